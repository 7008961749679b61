"""The report a reviewer accepts (issue 31): findings first and generated, figures for every eye, one
sum for every total."""
import copy
import itertools
import re

import pytest
from matplotlib.colors import to_rgba

from conftest import load_results
from dcnn import analysis as A
from dcnn.report import figures

# The tests that need the trained study share it with test_report.py's worker.
pytestmark = pytest.mark.xdist_group("paper_shaped")


def words(sentences) -> str:
    return " ".join("".join(p.text if isinstance(p, A.Num) else p for p in s) for s in sentences)


@pytest.fixture(scope="module")
def shaped(paper_shaped):
    from dcnn.study.resolve import load_study

    study, build = paper_shaped
    return load_study(study), load_results(build), build


def drawn(study, results, monkeypatch) -> list[tuple[str, dict, object]]:
    """Every figure the report of ``results`` draws: (kind, payload, matplotlib Figure)."""
    from dcnn.report import confusion, render_html

    out = []

    def capture(cache_dir, kind, payload, draw):
        fig = draw(**payload)
        out.append((kind, payload, fig))
        return figures.Drawing(figures._svg(fig))

    monkeypatch.setattr(figures, "cached", capture)
    monkeypatch.setattr(confusion, "cached", capture)
    render_html(study, results)
    return out


def series(fig) -> list[tuple[str, tuple, str, str]]:
    """(label, colour, line style, marker) of every labelled line of every panel."""
    return [(line.get_label(), to_rgba(line.get_color()), line.get_linestyle(), str(line.get_marker()))
            for ax in fig.axes for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_no_two_series_of_any_figure_differ_by_hue_alone(shaped, monkeypatch):
    study, results, _ = shaped
    seen = drawn(study, results, monkeypatch)
    kinds = {k for k, _, _ in seen}
    assert {"loss", "overlay", "sweep", "selection"} <= kinds, kinds
    # (the toy study does not blow up within an epoch: its divergence figure, drawn as the default study's is)
    steps = {"steps_before": 0, "epoch": 1, "non_finite": "nan"}
    seen.append(("divergence", {}, figures.divergence_figure(
        [{"seed": k, "divergence": {**steps, "step_losses": [1.6, 40.0 * (k + 1), None], "step": 3, "global_step": 3}}
         for k in range(8)], 1.609)))
    for kind, _, fig in seen:
        for (la, ca, sa, ma), (lb, cb, sb, mb) in itertools.combinations(series(fig), 2):
            if la != lb:
                assert (sa, ma) != (sb, mb), f"{kind}: '{la}' and '{lb}' differ by colour alone ({ca} / {cb})"


def test_the_palette_is_okabe_ito_and_every_style_is_its_own():
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(figures.PALETTE) <= okabe_ito and {figures.TRAIN, figures.VAL} <= okabe_ito
    styles = [tuple(figures.style(k).values()) for k in range(28)]
    assert len({(ls, m) for _, ls, m in styles}) == 28     # 28 series told apart without their colour


def test_no_plateau_line_on_a_run_that_did_not_learn(shaped, monkeypatch):
    study, results, _ = shaped
    n_drawn = 0
    for kind, payload, fig in drawn(study, results, monkeypatch):
        if kind != "loss":
            continue
        plateau = [line for ax in fig.axes for line in ax.get_lines() if "plateau" in line.get_label()]
        learned = [r["metrics"]["learned"] for r in payload["runs"]]
        if not any(learned):
            assert not plateau, "a plateau line on runs that never learned"
        n_drawn += bool(plateau)
    # ... and a run that learned, with a plateau, still has its line
    run = {"history": [{"epoch": e, "train_loss": 1 / e, "val_loss": v, "val_acc": 0.9}
                       for e, v in enumerate([1.0, 0.5, 0.4, 0.4], 1)], "status": "complete", "diverged_epoch": None,
           "metrics": {"best_epoch": 3, "plateau_epoch": 3, "learned": True}}
    labels = lambda fig: [ln.get_label() for ln in fig.axes[0].get_lines()]  # noqa: E731
    assert "plateau (epoch 3)" in labels(figures.loss_figure([run], 1.609, (0, 2), 4))
    dead = copy.deepcopy(run)
    dead["metrics"]["learned"] = False
    assert not any("plateau" in x for x in labels(figures.loss_figure([dead], 1.609, (0, 2), 4)))


def test_a_sweeps_diverged_values_are_no_marker_at_the_top_of_a_panel():
    points = [{"value": v, "best_val_loss": {"values": vals, "mean": (sum(vals) / len(vals)) if vals else None},
               "val_acc_at_best": {"values": accs, "mean": (sum(accs) / len(accs)) if accs else None},
               "n_diverged": nd}
              for v, vals, accs, nd in ((0.002, [0.3, 0.4], [0.9, 0.8], 0), (0.2, [], [], 2))]
    fig = figures.sweep_figure(points, "lr", None, "", 1.609)
    for ax in fig.axes:
        top = ax.get_ylim()[1]
        for line in ax.get_lines():
            ys = [y for y in line.get_ydata() if isinstance(y, (int, float))]
            if str(line.get_marker()) == "x":
                assert not any(abs(y - top) < 1e-9 for y in ys), "an x at the top of the panel reads as a value"
        assert [t.get_text() for t in ax.texts] == ["2✕"]       # the count, at the foot of the band


def test_the_summary_and_the_discussion_are_generated_from_the_claims(shaped):
    _, results, _ = shaped
    before = words(A.summary_sentences(results)), words(A.discussion_sentences(results, []))
    other = copy.deepcopy(results)
    for i, c in enumerate(other["claims"]):
        c["verdict"] = "supported" if i % 2 else "contradicted"
        c["says"] = f"Statement number {i + 1} of another study"
    after = words(A.summary_sentences(other)), words(A.discussion_sentences(other, []))
    assert before[0] != after[0] and before[1] != after[1]
    n = len(other["claims"])
    assert f"{n // 2} are supported, {n - n // 2} are contradicted and 0 are inconclusive" in after[0] \
        or f"{n // 2} is supported" in after[0]
    assert "“Statement number 2 of another study”. Here it is supported" in after[1]
    assert "Statement number" not in before[1]


def test_the_summary_says_what_the_pretrained_backbone_is(shaped):
    _, results, _ = shaped
    text = words(A.summary_sentences(results))
    p = results["study"]["pretraining"]
    if p["kind"] == "own":
        assert f"this study's own {p['backbones'][0]['model']}" in text and p["source_task"] in text


def test_the_report_opens_with_its_title_and_summary_and_ends_its_body_with_a_discussion(shaped):
    _, results, build = shaped
    html = (build / "report.html").read_text()
    assert html.index('<h1>') < html.index('<nav class="toc"') < html.index('id="glossary"') < html.index('id="s1"')
    parts = re.findall(r'<h2 id="([^"]+)">', html)
    assert parts[0] == "intro" and "Discussion" in html
    assert parts.index(f"s{_number(html, 'Discussion')}") > parts.index(f"s{_number(html, 'Claims checked')}")
    for term in ("collapsed", "plateau", "look", "Holm", "TOST", "selection gap"):
        assert re.search(rf"<dt[^>]*>[^<]*{term}", html), term


def _number(html: str, heading: str) -> str:
    return re.search(rf'<span class="num">([^<]+)</span> {heading}</h2>', html).group(1)


def test_every_compute_total_is_the_same_sum(shaped):
    _, results, _ = shaped
    compute = results["provenance"]["compute"]
    runs = sum(e["seconds"] for e in compute["by_status"].values())
    assert abs(runs - results["study"]["train_seconds"]) <= 0.1 * len(compute["by_status"])
    assert abs(compute["total_seconds"] - runs - compute["pretraining"]["seconds"]) <= 0.2
    assert abs(sum(d["seconds"] for d in compute["devices"]) - runs) <= 0.1 * (1 + len(compute["devices"]))


def test_the_introduction_counts_the_sweeps_seeds_too(shaped):
    _, results, build = shaped
    html = (build / "report.html").read_text()
    swept = {g["n_seeds"] for g in results["groups"] if g["sweep"] is not None}
    configured = {g["n_seeds"] for g in results["groups"] if g["sweep"] is None}
    if swept - configured:
        assert "(the sweeps' points " in html


def test_claims_need_no_seeds_for_a_difference_against_the_statement(shaped):
    _, results, build = shaped
    html = (build / "report.html").read_text()
    table = html[html.index('id="claims-table"'):html.index("</table>", html.index('id="claims-table"'))]
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<th>" not in row]
    assert len(rows) == len(results["claims"])
    for row, c in zip(rows, results["claims"]):
        d = c["comparison"] or {}
        if c["kind"] in ("lower", "higher") and d.get("difference") is not None and \
                (d["difference"] < 0) != (c["kind"] == "lower"):
            assert row.rstrip().endswith("<td>–</td>"), row


def test_the_printed_runs_table_is_left_to_its_csv(shaped):
    _, results, build = shaped
    html = (build / "report.html").read_text()
    assert "tables/runs.csv" in html[html.index('id="s' + _appendix(html, "Summary of every run")):]
    assert (build / "tables" / "runs.csv").exists()


def _appendix(html: str, heading: str) -> str:
    return re.search(rf'<span class="num">Appendix ([A-Z])</span> {heading}</h2>', html).group(1)


def test_an_outlying_first_epoch_does_not_set_the_sections_scale():
    h = lambda e, t, v: {"epoch": e, "train_loss": t, "val_loss": v, "val_acc": 0.5}  # noqa: E731
    runs = [{"history": [h(1, 3.8, 1.5), h(2, 1.2, 1.1), h(3, 0.9, 1.0)]}, {"history": [h(1, 1.6, 1.4), h(2, 1.0, 1.0)]}]
    bottom, top = figures.section_ylim(runs, 1.609)
    assert bottom == 0 and 1.609 < top < 2.0          # not 0-4: the 3.8 of one first epoch is clipped ...
    assert figures.clipped(runs[:1], top) and not figures.clipped(runs[1:], top)   # ... and its caption says so


def test_page_one_holds_the_title_the_contents_and_the_summary(shaped):
    from pypdf import PdfReader

    _, results, build = shaped
    first = PdfReader(str(build / "report.pdf")).pages[0].extract_text()
    assert results["study"]["title"].split(":")[0] in first
    assert "Contents" in first and "Summary" in first and "Introduction" in first
