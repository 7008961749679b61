"""Into the tools researchers already use: the tidy tables pandas reads (build/tables/), dcnn.load, the
TensorBoard export read back with TensorBoard's own reader, per-class results and confusion matrices,
and the live report of ``report --watch`` seen in a real browser."""
import json
import math
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import dcnn_start, load_results, minimal_study, write_study

pytestmark = pytest.mark.xdist_group("paper_shaped")   # the shared toy study of test_report.py


def test_epochs_csv_has_a_row_per_run_and_finished_epoch_equal_to_results_json(paper_shaped):
    pd = pytest.importorskip("pandas")
    _, build = paper_shaped
    results = load_results(build)
    epochs = pd.read_csv(build / "tables" / "epochs.csv")
    want = [(r["key"], h["epoch"]) for r in results["runs"] for h in r["history"]]
    assert list(zip(epochs["key"], epochs["epoch"])) == want
    assert {"group", "variant", "lr", "seed", "key", "epoch", "train_loss", "val_loss", "val_acc", "test_loss",
            "test_acc", "epoch_lr", "seconds", "val_top_share", "val_logit_range"} <= set(epochs.columns)
    assert list(epochs["lr"]) == [r["lr"] for r in results["runs"] for _ in r["history"]]
    flat = [h for r in results["runs"] for h in r["history"]]
    for column in ("train_loss", "val_loss", "val_acc", "test_loss", "test_acc"):
        assert all(math.isclose(a, h[column], rel_tol=1e-12) for a, h in zip(epochs[column], flat)), column


def test_runs_csv_and_dcnn_load_give_every_run_with_its_settings_and_metrics(paper_shaped):
    pytest.importorskip("pandas")
    import dcnn

    _, build = paper_shaped
    results = load_results(build)
    b = dcnn.load(build)
    runs = b.runs()
    assert len(runs) == len(results["runs"]) and len(b.epochs()) == sum(len(r["history"]) for r in results["runs"])
    assert list(runs["key"]) == [r["key"] for r in results["runs"]]
    assert list(runs["best_val_loss"].fillna(-1)) == [r["metrics"]["best_val_loss"] if r["metrics"]["best_val_loss"]
                                                      is not None else -1 for r in results["runs"]]
    assert {"setting.model", "setting.freeze", "status", "backbone", "class_accuracy.5", "confused_true"} <= set(runs.columns)
    assert b.groups[0].group == results["groups"][0]["group"]          # the typed results, as attributes
    if (build / "tables" / "runs.parquet").exists():
        assert len(pd_read(build / "tables" / "runs.parquet")) == len(runs)


def pd_read(path):
    import pandas as pd

    return pd.read_parquet(path)


def test_confusion_matrices_add_up_to_the_splits_and_the_report_names_the_most_confused_pair(paper_shaped):
    _, build = paper_shaped
    results = load_results(build)
    data = results["study"]["data"]["target"]
    trained = [r for r in results["runs"] if r["history"]]
    assert trained
    for r in trained:
        c = r["confusion"]
        assert sum(map(sum, c["val"]["matrix"])) == data["val_images"]
        assert sum(map(sum, c["test"]["matrix"])) == data["test_images"]
        best = r["metrics"]["best_epoch"]
        assert c["epoch"] == best
        assert c["test"]["per_class_accuracy"] == [row[i] / sum(row) for i, row in enumerate(c["test"]["matrix"])]
        assert math.isclose(sum(row[i] for i, row in enumerate(c["val"]["matrix"])) / data["val_images"],
                            r["history"][best - 1]["val_acc"])
    html = (build / "report.html").read_text()
    for g in results["groups"]:
        if g["sweep"] is None and g["confusion"] and g["confusion"]["top"]:
            top = g["confusion"]["top"][0]
            names = g["confusion"]["classes"]
            assert f"{names[top['true']]} as {names[top['predicted']]} (" in html
            assert sum(map(sum, g["confusion"]["matrix"])) == data["test_images"] * g["confusion"]["n_runs"]


def test_export_tensorboard_reads_back_with_tensorboards_own_reader(paper_shaped, tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    from conftest import dcnn_here

    _, build = paper_shaped
    out = tmp_path / "tb"
    dcnn_here("export", "tensorboard", str(out), "--build", str(build), check=True)
    results = load_results(build)
    trained = [r for r in results["runs"] if r["history"]]
    for r in trained:
        acc = EventAccumulator(str(out / f"{r['variant']}@{r['lr']:g}" / f"seed{r['seed']}"))
        acc.Reload()
        val = [e.value for e in acc.Scalars("loss/validation")]
        assert val == pytest.approx([h["val_loss"] for h in r["history"]], rel=1e-6)
        assert [e.step for e in acc.Scalars("learning_rate")] == [h["epoch"] for h in r["history"]]
        hparams = acc.PluginTagToContent("hparams")
        session = plugin_data_pb2.HParamsPluginData.FromString(hparams["_hparams_/session_start_info"])
        assert session.session_start_info.hparams["variant"].string_value == r["variant"]
        assert session.session_start_info.hparams["seed"].number_value == r["seed"]


def _serving_url(proc, timeout=90) -> str:
    end = time.time() + timeout
    while time.time() < end:
        m = re.search(r"serving (http://\S+/report.html)", proc.output()[1])
        if m:
            return m.group(1)
        if proc.poll() is not None:
            raise AssertionError(proc.output()[1])
        time.sleep(0.2)
    raise AssertionError("report --watch never said where it serves:\n" + proc.output()[1])


def test_report_watch_shows_a_figure_once_its_run_finishes_without_a_reload(tmp_path):
    from test_browser import _chromium

    path = _chromium()
    d = minimal_study()
    d["variants"] = {"scratch": d["variants"]["scratch"]}
    d["defaults"]["epochs"] = 3
    study = write_study(tmp_path / "study.yaml", d)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DCNN_FAULT_DELAY": "train.epoch_end=1.5"}   # the page opens first
    proc = dcnn_start("report", "--watch", "--run-missing", "--port", "0", "-j", "1", "--study", str(study),
                      "--build", str(tmp_path / "build"), env=env)
    try:
        url = _serving_url(proc)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(url)
            before = page.content()
            assert "not been trained yet" in before or "not run yet" in before
            loaded = page.evaluate("performance.timeOrigin")
            page.wait_for_function("document.querySelectorAll('figure img').length > 0", timeout=120_000)
            assert page.evaluate("performance.timeOrigin") != loaded     # the page reloaded itself
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired as exc:          # what it said, for the next reader of a CI log
            raise AssertionError(f"report --watch did not stop within 60 s of a Ctrl-C:\n{exc.stderr}") from None
    assert (tmp_path / "build" / "report.html").exists() and json.loads((tmp_path / "build" / "results.json")
                                                                         .read_text())["runs"][0]["history"]


def test_ctrl_c_while_report_watch_trains_stops_the_training_and_the_serving(tmp_path):
    # CI saw it hang: the training answered the Ctrl-C (it stops after its epoch and returns 130) and
    # the watch then served on, waiting for a second Ctrl-C nobody sends
    from conftest import wait_for_checkpoint

    d = minimal_study()
    d["variants"] = {"scratch": d["variants"]["scratch"]}
    d["defaults"]["epochs"] = 4
    study = write_study(tmp_path / "study.yaml", d)
    build = tmp_path / "build"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DCNN_FAULT_DELAY": "train.epoch_end=1.0"}
    proc = dcnn_start("report", "--watch", "--run-missing", "--port", "0", "-j", "1", "--study", str(study),
                      "--build", str(build), env=env)
    try:
        _serving_url(proc)
        wait_for_checkpoint(build, 120)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(45) == 130, proc.output()[1]
        assert "stopped serving" in proc.output()[1]
    finally:
        if proc.poll() is None:
            proc.kill()


def test_ctrl_c_stops_report_watch_whatever_sigint_handler_it_was_started_with(tmp_path):
    # CI's forked test processes reached report --watch with a SIGINT handler not Python's own (a Ctrl-C
    # after the training then did nothing); a process started with SIGINT ignored is the plainest case
    import subprocess
    import sys

    from conftest import ROOT

    study = write_study(tmp_path / "study.yaml", minimal_study())
    proc = subprocess.Popen([sys.executable, "-m", "dcnn", "report", "--watch", "--port", "0", "--study", str(study),
                             "--build", str(tmp_path / "build")], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        end, err = time.time() + 120, ""
        while "serving http" not in err and time.time() < end and proc.poll() is None:
            err += proc.stderr.readline()
        assert "serving http" in err, err
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=45)[1]
        assert proc.returncode == 0 and "stopped serving" in rest, rest
    finally:
        if proc.poll() is None:
            proc.kill()
