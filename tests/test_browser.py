"""The report as people read it: the HTML in a real browser (headless Chromium through playwright) at
400 and 1400 px, and the PDF page by page."""
import re
import shutil

import pytest

from conftest import load_results

pytestmark = pytest.mark.xdist_group("paper_shaped")   # the shared toy study of test_report.py


def _chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        pytest.skip("headless Chromium not found: apt-get install chromium, and pip install playwright "
                    "(.ci/run installs both)")
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = _chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                                          "--disable-background-networking", "--disable-sync",
                                                          "--disable-component-update"])
        yield b
        b.close()


def open_report(browser, build, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((build / "report.html").as_uri())
    page.wait_for_load_state("load")
    return page, errors


@pytest.mark.parametrize("width", [400, 1400])
def test_the_page_fits_its_window_and_every_image_decodes(browser, paper_shaped, width):
    _, build = paper_shaped
    page, errors = open_report(browser, build, width)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px of sideways scrolling at {width} px"
    broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                           ".map(i => i.alt)")
    assert page.evaluate("document.images.length") > 30 and not broken, broken
    assert not errors, errors
    page.close()


def test_every_in_page_link_resolves_and_links_go_both_ways(browser, paper_shaped):
    _, build = paper_shaped
    page, errors = open_report(browser, build, 1400)
    links = page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    inner = [h for h in links if h.startswith("#")]
    missing = page.evaluate("hs => hs.filter(h => !document.getElementById(decodeURIComponent(h.slice(1))))", inner)
    assert len(inner) > 100 and not missing, missing
    outer = [h for h in links if not h.startswith("#")]
    assert outer and all(h.startswith("csv/figure-") and (build / h).is_file() for h in outer), outer
    # a claim links to its figures, and a figure to the claims that cite it
    assert page.evaluate("document.querySelectorAll('.claim a[href^=\"#fig-\"]').length") > 10
    assert page.evaluate("document.querySelectorAll('figcaption .cites a[href^=\"#claim-\"]').length") > 10
    # the contents stay in view on a wide screen
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    assert page.evaluate("document.querySelector('nav.toc').getBoundingClientRect().top") >= 0
    assert not errors, errors
    page.close()


def test_the_summary_table_sorts_and_filters(browser, paper_shaped):
    _, build = paper_shaped
    results = load_results(build)
    page, errors = open_report(browser, build, 1400)
    page.fill("#summary-filter", "vgg16-bs10 complete")
    shown = page.evaluate("Array.from(document.querySelectorAll('#summary tbody tr'))"
                          ".filter(r => r.style.display !== 'none').length")
    assert shown == sum(r["variant"] == "vgg16-bs10" and r["status"] == "complete" for r in results["runs"]) > 0
    page.fill("#summary-filter", "")
    page.click("#summary thead th:nth-child(3)")                      # lr, ascending
    lrs = page.evaluate("Array.from(document.querySelectorAll('#summary tbody tr td:nth-child(3)'))"
                        ".map(td => parseFloat(td.textContent))")
    assert lrs == sorted(lrs) and len(lrs) == len(results["runs"])
    assert not errors, errors
    page.close()


def _pdf_pages(path):
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    texts = [page.extract_text() or "" for page in reader.pages]
    return reader, texts


def _headings(html: str) -> set[str]:
    found = re.findall(r'<h[234][^>]*>(?:<span class="num">([^<]*)</span> )?([^<]*)</h[234]>', html)
    return {re.sub(r"\s+", " ", f"{n} {t}".strip()) for n, t in found}


def test_no_pdf_page_ends_with_a_heading_and_every_caption_is_on_its_figures_page(paper_shaped):
    _, build = paper_shaped
    reader, texts = _pdf_pages(build / "report.pdf")
    headings = _headings((build / "report.html").read_text())
    first = next(i for i, t in enumerate(texts) if "generated by dcnn" in t.replace("\n", " ").lower())
    for i, text in enumerate(texts[first:], first):           # the contents pages list headings: skipped
        lines = [l.strip() for l in text.splitlines() if l.strip() and not re.fullmatch(r"\d+ / \d+", l.strip())]
        assert lines and re.sub(r"\s+", " ", lines[-1]) not in headings, (i + 1, lines[-1])
    destinations = {name: reader.get_destination_page_number(d) for name, d in reader.named_destinations.items()}
    figures = [name for name in destinations if name.startswith("fig-")]
    assert len(figures) > 30
    for name in figures:
        caption = f"Figure {name[4:]}:"
        page = destinations[name]
        assert caption in re.sub(r"\s+", " ", texts[page]), (caption, page + 1)


def test_the_pdf_has_contents_with_page_numbers(paper_shaped):
    _, build = paper_shaped
    _, texts = _pdf_pages(build / "report.pdf")
    first = texts[0]
    assert "Contents" in first
    # Leader dots, then the page the heading is on (the stylesheet reaches WeasyPrint unescaped).
    m = re.search(r"Conclusion on the learning rate\s*\.{3,}\s*(\d+)", first)
    assert m, first[:500]
    assert "Conclusion on the learning rate" in texts[int(m.group(1)) - 1]
    html = (build / "report.html").read_text()
    style = html[html.index("<style>"):html.index("</style>")]
    assert '"DejaVu Serif"' in style and "&#34;" not in style and "&quot;" not in style
