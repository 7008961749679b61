"""The report: paper structure in the PDF, every printed number equal to results.json, escaping."""
import json
import html as html_lib
import re

import pytest

from conftest import dcnn_here as dcnn, load_results, minimal_study, write_study
from dcnn import analysis as A

# Every test of this module shares one trained study: keep them on one xdist worker.
pytestmark = pytest.mark.xdist_group("paper_shaped")

NUM_SPAN = re.compile(r'<span class="n" data-ref="([^"]+)">([^<]*)</span>')


@pytest.fixture(scope="module")
def report(paper_shaped):
    study, build = paper_shaped
    return (build / "report.html").read_text(), load_results(build), build


def pdf_text(path) -> str:
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
    text = re.sub("[\u2010-]\n", "", text)      # words hyphenated at a line end
    return re.sub(r"\s+", " ", text)


def test_pdf_holds_the_27_captions_in_order_and_the_papers_sections(report):
    _, _, build = report
    text = pdf_text(build / "report.pdf").split("A reproduction of", 1)[1]     # after the contents page
    positions = [text.find(f"Figure {i}:") for i in range(1, 28)]
    assert all(p >= 0 for p in positions), [i + 1 for i, p in enumerate(positions) if p < 0]
    assert positions == sorted(positions)
    assert "Figure 10: VGG16 with all 30 feature layers frozen" in text
    for heading in ("1 Introduction", "2 Training a deep network from scratch", "3 Transfer learning",
                    "4 Conclusion on the learning rate", "6 Transfer learning with a learning rate of 0.002",
                    "7 Fine-tuning strategies", "8 Project information", "9 Claims checked",
                    "Appendix A What pretraining bought", "Appendix B Summary of every run"):
        assert heading in text, heading
    order = [text.find(h) for h in ("1 Introduction", "3 Transfer learning", "4 Conclusion", "4.1 The scratch CNN",
                                     "5 Training a deep", "7 Fine-tuning", "8 Project information", "9 Claims checked",
                                     "Appendix A", "Appendix B Summary of every run")]
    assert -1 not in order and order == sorted(order)


def test_summary_table_lists_every_run(report):
    html, results, _ = report
    summary = html[html.index('id="summary"'):]
    assert summary.count("<tr class=") == len(results["runs"])


def parse_printed(text: str):
    """(kind, value) of a printed number, read without dcnn's own formatter."""
    text = html_lib.unescape(text).strip()
    if text in ("p < 0.001", "q < 0.001"):
        return "lt", 0.001
    text = text.removeprefix("p = ").removeprefix("q = ")
    if text.endswith("%"):
        return "pct", float(text.rstrip(" %"))
    return "num", float(text.replace(",", ""))


def test_every_printed_number_equals_the_results_json_value_it_names(report):
    html, results, _ = report
    spans = NUM_SPAN.findall(html)
    assert len(spans) > 500
    for ref, text in spans:
        value = A.get(results, ref)
        kind, printed = parse_printed(text)
        if kind == "lt":
            assert value < printed, (ref, text, value)
            continue
        if kind == "pct":
            value *= 100
        decimals = len(text.rstrip(" %").split(".")[1]) if "." in text else 0
        assert abs(value - printed) <= 0.5 * 10 ** -decimals + 1e-9, (ref, text, value)


def test_observations_print_no_number_that_does_not_name_its_source(report):
    html, _, _ = report
    paragraphs = re.findall(r'<p class="obs">(.*?)</p>', html, flags=re.S)
    assert len(paragraphs) > 27
    for p in paragraphs:
        bare = re.sub(r"§[\d.]*\d", "", NUM_SPAN.sub("", p))   # section references are not results
        assert not re.search(r"\d\.\d", bare), bare   # every decimal number is a tagged one


def _figure_text(html: str, label: str) -> str:
    block = re.search(rf'<figure id="fig-{label}">(.*?)</figure>', html, flags=re.S).group(1)
    return re.sub(r"<[^>]+>", "", block)


def test_observations_are_generated_from_the_runs(report, paper_shaped):
    from dcnn.study.resolve import load_study
    from dcnn.report import render_html

    html, results, _ = report
    ri = next(i for i, run in enumerate(results["runs"]) if run["figure"] == 2)
    # Give Figure 2's run another history: its sentences must follow the new numbers.
    changed = json.loads(json.dumps(results))
    history = [{"epoch": 1, "train_loss": 1.2, "val_loss": 0.9, "val_acc": 0.5, "seconds": 0.1},
               {"epoch": 2, "train_loss": 0.1, "val_loss": 0.123, "val_acc": 0.875, "seconds": 0.1}]
    changed["runs"][ri].update(status="complete", history=history, diverged_epoch=None,
                               metrics=A.compute_metrics(history, 5, 0.01))
    before, after = _figure_text(html, "2"), _figure_text(render_html(load_study(paper_shaped[0]), changed), "2")
    assert "Validation loss is lowest at epoch 2 (0.123, accuracy 87.5 %)." in after
    assert "It levels off by epoch 1" not in after and "It is still improving at the last epoch." in after
    assert "lowest at epoch 2 (0.123," not in before


def test_results_json_follows_the_spec(report):
    _, results, _ = report
    run = next(r for r in results["runs"] if r["figure"] == 10)
    for key in ("variant", "section", "figure", "lr", "batch_size", "seed", "status", "trainable_params",
                "total_params", "num_classes", "history", "metrics"):
        assert key in run
    assert run["section"] == "3.3" and run["lr"] == 0.2 and run["variant"] == "vgg16-freeze-all"
    assert set(run["metrics"]) >= {"best_val_loss", "best_epoch", "final_train_loss", "final_val_loss",
                                   "overfit_gap", "gap_at_best", "plateau_epoch", "chance_loss", "learned"}
    for r in results["runs"]:
        assert r["status"] in ("complete", "diverged")
        assert r["metrics"] == A.compute_metrics(r["history"], r["num_classes"], 0.01)
        for h in r["history"]:
            assert set(h) == {"epoch", "train_loss", "val_loss", "val_acc", "seconds", "val_top_share",
                              "val_logit_range", "test_loss", "test_acc", "lr", "trainable_params", "train_clean_loss"}
            assert h["lr"] == r["lr"] and h["trainable_params"] is None and h["train_clean_loss"] is None


def test_p_values_recompute_from_the_per_seed_values(report):
    from test_claims import _welch_by_hand

    _, results, _ = report
    checked = 0
    for c in results["comparisons"]:
        a = [v for v in c["a_values"] if v is not None]
        b = [v for v in c["b_values"] if v is not None]
        if c["p_value"] is None or c.get("test") == "rank":
            continue
        diff, se, p = _welch_by_hand(a, b)
        assert c["p_value"] == pytest.approx(p, rel=1e-6)
        assert (c["difference"], c["difference_se"]) == pytest.approx((diff, se), rel=1e-9)
        checked += 1
    assert checked > 0


def test_html_is_self_contained_and_escapes_the_study(tmp_path):
    d = minimal_study()
    d["title"] = "Study <b>bold</b>"
    d["variants"]["scratch"]["title"] = "<script>alert('x')</script> net"
    study = write_study(tmp_path / "study.yaml", d)
    build = tmp_path / "build"
    dcnn("report", "--run-missing", "--no-pdf", "--study", str(study), "--build", str(build), "-j", "1", check=True)
    html = (build / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; net" in html
    assert "Study &lt;b&gt;bold&lt;/b&gt;" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "<link" not in html


def test_figures_keep_the_papers_numbers_and_the_others_continue_in_reading_order(report):
    html, _, _ = report
    labels = re.findall(r"<b>Figure ([^:]+):</b>", html)
    declared = [int(x) for x in labels if x.isdigit() and int(x) <= 27]
    assert sorted(declared) == list(range(1, 28))
    extra = [int(x) for x in labels if x.isdigit() and int(x) > 27]
    assert extra == list(range(28, 28 + len(extra))) and len(extra) >= 6   # overlays, sweeps: in reading order
    appendix = [x for x in labels if not x.isdigit()]
    assert appendix == [f"A{i}" for i in range(1, len(appendix) + 1)]       # "A" only inside appendix A
    assert "section A, mean over seeds" not in html        # no overlay mixing two learning rates
    assert not re.search(r"in epoch <span[^>]*>(\d+)</span>(?:, | and )<span[^>]*>\1</span>", html)  # "1, 1"


def test_a_claim_says_decided_only_when_it_was(report):
    html, results, _ = report
    blocks = re.findall(r'<div class="claim" id="claim-\d+">(.*?)</div>', html, re.S)
    assert len(blocks) == len(results["claims"]) > 0
    for block, claim in zip(blocks, results["claims"]):
        if claim["looks"] == 1:
            assert " look " not in block
            continue
        words = "Undecided at look" if claim["verdict"] == "inconclusive" else "Decided at look"
        assert words in block and ("Decided at look" in block) == (claim["verdict"] != "inconclusive"), block
