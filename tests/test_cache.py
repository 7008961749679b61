"""End to end on a tiny study: train what is missing, never twice; a changed variant retrains alone."""
import json

from conftest import dcnn, dcnn_here, load_results, minimal_study, write_study
from dcnn.cli import main


def trained_count(stderr: str) -> int:
    last = [l for l in stderr.splitlines() if " trained, " in l][-1]
    return int(last.split()[0])


def test_cache_trains_each_run_once_and_only_changed_runs_again(tmp_path, capsys):
    d = minimal_study()
    study = write_study(tmp_path / "study.yaml", d)
    build = tmp_path / "build"
    args = ["--study", str(study), "--build", str(build), "-j", "1"]
    assert main(["run", *args]) == 0
    assert trained_count(capsys.readouterr().err) == 4           # pretraining + three runs

    assert main(["run", "vgg16-freeze-all", *args]) == 0
    err = capsys.readouterr().err
    assert "nothing to train: 1 run and 1 backbone pretraining are cached" in err and trained_count(err) == 0

    d["variants"]["vgg16-freeze-all"]["freeze"] = ["features[0:15]"]   # change one variant's settings
    write_study(study, d)
    assert main(["run", *args]) == 0
    err = capsys.readouterr().err
    assert trained_count(err) == 1 and "vgg16-freeze-all lr=0.01 seed=0" in err

    d["variants"]["scratch"]["title"] = "A new caption"                 # presentation only: no retraining
    write_study(study, d)
    assert main(["run", *args]) == 0
    assert trained_count(capsys.readouterr().err) == 0

    assert main(["run", "--force", "scratch", *args]) == 0               # --force retrains just that
    assert trained_count(capsys.readouterr().err) == 1


def test_list_shows_cache_state(tmp_path, capsys):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    build = tmp_path / "build"
    assert main(["list", "--json", "--study", str(study), "--build", str(build)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["cache"] for r in rows] == ["missing"] * 3
    assert main(["run", "scratch", "--study", str(study), "--build", str(build), "-j", "1"]) == 0
    capsys.readouterr()
    assert main(["list", "--json", "--study", str(study), "--build", str(build)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["cache"] for r in rows] == ["cached", "missing", "missing"]


def test_report_renders_from_the_cache_only(tmp_path):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    build = tmp_path / "build"
    proc = dcnn("report", "--study", str(study), "--build", str(build), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    assert "scratch lr=0.01 seed=0: not run yet" in proc.stderr
    assert not (build / "runs").exists()                     # nothing was trained
    r = load_results(build)
    assert [x["status"] for x in r["runs"]] == ["missing"] * 3
    assert "This run has not been trained yet." in (build / "report.html").read_text()


def test_parallel_workers_give_the_same_histories_as_one_process(tmp_path):
    d = minimal_study()
    study = write_study(tmp_path / "study.yaml", d)
    for j, run in (("1", dcnn_here), ("2", dcnn)):   # worker processes are spawned from a process of their own
        run("report", "--run-missing", "--no-pdf", "--study", str(study), "--build", str(tmp_path / j), "-j", j,
            check=True)
    a, b = load_results(tmp_path / "1"), load_results(tmp_path / "2")
    strip = lambda r: [[{k: v for k, v in h.items() if k != "seconds"} for h in run["history"]] for run in r["runs"]]
    assert strip(a) == strip(b)


def test_list_why_names_exactly_the_changed_key_and_its_runs(tmp_path, capsys):
    d = minimal_study()
    d["variants"]["scratch"]["seeds"] = 2
    study = write_study(tmp_path / "study.yaml", d)
    args = ["--study", str(study), "--build", str(tmp_path / "build")]
    assert main(["run", "-j", "1", *args]) == 0
    capsys.readouterr()
    d["variants"]["scratch"]["dropout"] = 0.3                      # edit one variant's dropout
    write_study(study, d)
    assert main(["list", "--why", "--json", *args]) == 0
    rows = json.loads(capsys.readouterr().out)
    changed = {(r["variant"], r["seed"]): r["why"] for r in rows if r["why"]["state"] != "cached"}
    assert set(changed) == {("scratch", 0), ("scratch", 1)}
    assert all(w == {"state": "missing", "why": "changed", "changes": {"settings": {"dropout": [0.0, 0.3]}}}
               for w in changed.values())
    assert main(["run", "-j", "1", *args]) == 0                    # the plan says the same, one line per run
    err = capsys.readouterr().err
    assert "to train: scratch lr=0.01 seed=0: dropout 0.0 → 0.3" in err
    assert [l for l in err.splitlines() if l.startswith("to train:")] == [
        "to train: scratch lr=0.01 seed=0: dropout 0.0 → 0.3", "to train: scratch lr=0.01 seed=1: dropout 0.0 → 0.3"]
    d["variants"]["scratch"]["seeds"] = 3                          # a new seed: never trained
    write_study(study, d)
    assert main(["list", "--why", *args]) == 0
    out = capsys.readouterr().out
    assert [l.split()[-2:] for l in out.splitlines() if "missing" in l] == [["never", "trained"]]
