"""dcnn run --decide end to end: seeds go only to the groups behind undecided claims, the plan of looks
is recorded at the first --decide and held to afterwards (the simulations are in test_calibration.py)."""
import json

import yaml

from conftest import dcnn_here as dcnn, load_results, minimal_study, write_study


def test_dcnn_run_decide_adds_seeds_to_the_groups_behind_undecided_claims_and_locks_its_plan(tmp_path):
    d = minimal_study()
    d["defaults"]["seeds"] = 2
    d["analysis"] = {"max_seeds": 4}
    d["claims"] = [{"section": "3", "says": "Freezing every feature layer lowers the loss.",
                    "check": {"lower": "best_val_loss", "a": "vgg16-freeze-all@0.01", "b": "vgg16-train-all@0.01"}}]
    study = write_study(tmp_path / "study.yaml", d)
    build = tmp_path / "build"
    proc = dcnn("run", "--decide", "-j", "1", "--study", str(study), "--build", str(build), check=True)
    assert ("decide: up to 3 looks per claim, the first spending alpha 0.025, each later one 0.0125 (holm over the "
            "claims), up to 4 seeds per group") in proc.stderr
    plan = json.loads(json.loads((build / "decide-plan.json").read_text())["payload"])
    assert (plan["max_seeds"], plan["alpha"], plan["correction"], plan["looks"]) == (4, 0.05, "holm", 3)
    assert plan["claims"] == [d["claims"][0]["check"]] and plan["similar_margin"] == 0.1
    assert plan["declared"] == {"vgg16-freeze-all@0.01": 2, "vgg16-train-all@0.01": 2}
    seeds = build / "seeds.json"
    extra = json.loads(json.loads(seeds.read_text())["payload"]) if seeds.exists() else {}
    assert set(extra) <= {"vgg16-freeze-all@0.01", "vgg16-train-all@0.01"}      # only the claim's groups grew
    assert "claims before: " in proc.stderr and "; after: " in proc.stderr
    dcnn("report", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    r = load_results(build)
    claim = r["claims"][0]
    assert claim["looks"] == 3 and r["study"]["plan"]["recorded"] is True
    assert claim["alpha_per_look"] == (0.05 * 2 / 4 if claim["look"] == 1 else 0.05 / 4)     # the seeds it adds
    scratch = next(g for g in r["groups"] if g["group"] == "scratch@0.01")
    assert scratch["n_seeds"] == 2                                              # no claim rests on it
    grown = {g["group"]: g["n_seeds"] for g in r["groups"] if g["group"] in extra}
    assert all(n == claim["look"] + 1 for n in grown.values()) or claim["final"]
    if extra:
        assert "seeds added" in (build / "report.html").read_text()            # the report says so

    # The plan is held to: editing max_seeds (or alpha) after a look is one line, exit 2 ...
    d["analysis"] = {"max_seeds": 3}
    write_study(study, d)
    for cmd in (("report", "--no-pdf"), ("run", "--decide")):
        bad = dcnn(*cmd, "--study", str(study), "--build", str(build))
        assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
        assert "decide-plan.json: the looks of this build were planned with max_seeds 4, alpha 0.05, correction " \
               "holm, similar_margin 0.1, 1 claims (3 looks, the first spending alpha 0.025, then 0.0125 each), and" \
               in bad.stderr
        assert "now says max_seeds 3; put the planned values back, or start a new plan with: python -m dcnn run " \
               "--decide --new-plan" in bad.stderr
    # ... unless a new plan is started on purpose, which the report then states.
    dcnn("run", "--decide", "--new-plan", "-j", "1", "--study", str(study), "--build", str(build), check=True)
    dcnn("report", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    r = load_results(build)
    assert r["study"]["plan"]["max_seeds"] == 3 and r["study"]["plan"]["restarts"][0]["max_seeds"] == 4
    assert "The plan of looks was restarted" in (build / "report.html").read_text()
    again = dcnn("run", "--decide", "-j", "1", "--study", str(study), "--build", str(build), check=True)
    assert "0 trained" in again.stderr


def test_new_plan_belongs_to_decide(tmp_path):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    proc = dcnn("run", "--new-plan", "--study", str(study), "--build", str(tmp_path / "build"))
    assert proc.returncode == 2 and proc.stderr.strip() == (
        "error: --new-plan: only with --decide (it replaces the plan of looks --decide recorded)")
    assert yaml.safe_load(study.read_text())["title"] == "tiny"
