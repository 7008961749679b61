// The summary table: click a column's header to sort by it (again to reverse), type to filter rows.
// Plain JavaScript, inlined: the report stays one offline file.
(function () {
  var table = document.getElementById("summary");
  var filter = document.getElementById("summary-filter");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  function value(row, col) {
    var text = row.cells[col] ? row.cells[col].textContent.trim() : "";
    var number = parseFloat(text.replace(/,/g, ""));
    return isNaN(number) ? text.toLowerCase() : number;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.setAttribute("role", "button");
    th.title = "sort by this column";
    th.addEventListener("click", function () {
      var down = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", down ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = value(a, col), y = value(b, col);
        if (typeof x !== typeof y) { x = String(x); y = String(y); }
        return (x < y ? -1 : x > y ? 1 : 0) * (down ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  if (filter) {
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (r) {
        var text = r.textContent.toLowerCase();
        var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.style.display = keep ? "" : "none";
        shown += keep ? 1 : 0;
      });
      document.getElementById("summary-count").textContent = shown + " of " + rows.length + " runs";
    });
  }
})();
