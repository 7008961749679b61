"""Deciding with more seeds keeps its false-positive rate (a simulation of thousands of synthetic
studies, no training), gains power with the cap, and works end to end (dcnn run --decide)."""
import json
import random

from conftest import dcnn, load_results, minimal_study, write_study
from dcnn import analysis as A
from dcnn.vocabulary import METRICS

CHECK = {"lower": "best_val_loss", "a": "x@0.1", "b": "y@0.1"}


def synthetic(values: dict[str, list[float]]) -> dict:
    """A results dict with one group per name and one run per value (its best validation loss)."""
    runs, groups = [], []
    for name, vals in values.items():
        idx = []
        for v in vals:
            metrics = {m: None for m in METRICS} | {"best_val_loss": v, "learned": True, "overfits": False,
                                                    "upturn_epoch": None, "collapsed": False}
            runs.append({"status": "complete", "metrics": metrics, "history": [{}]})
            idx.append(len(runs) - 1)
        variant, lr = name.split("@")
        groups.append({"group": name, "variant": variant, "lr": float(lr), "sweep": None, "runs": idx,
                       **A.summarise_group([runs[i] for i in idx])})
    return {"runs": runs, "groups": groups, "study": {"analysis": {"plateau_tol": 0.01}}}


def _study(rng: random.Random, shift: float, cap: int):
    """One synthetic study: 3 seeds per group, up to ``cap``; y's values are shifted up by ``shift`` SDs.
    Returns evaluate(extra_seeds, alpha) -> the claim's entry at that look."""
    results = synthetic({"x@0.1": [rng.gauss(0, 1) for _ in range(cap)],
                         "y@0.1": [rng.gauss(shift, 1) for _ in range(cap)]})
    n0 = {"x@0.1": 3, "y@0.1": 3}
    return lambda extra, a: A.evaluate_claim(A.at_look(results, extra, n0), CHECK, a, 0.1, uncertainty=False)


def decided(rng: random.Random, shift: float, cap: int) -> str:
    """dcnn's procedure: every planned look at alpha / looks, stop at the first verdict."""
    return A.sequential_verdict(_study(rng, shift, cap), A.planned_looks(3, cap), cap - 3, 0.05)["verdict"]


def naive(rng: random.Random, shift: float, cap: int) -> str:
    """What not to do: test at alpha at every look and stop at the first verdict."""
    evaluate = _study(rng, shift, cap)
    for extra in range(cap - 2):
        v = evaluate(extra, 0.05)["verdict"]
        if v != "inconclusive":
            return v
    return v


def rate(verdicts: list[str], which=("supported", "contradicted")) -> float:
    return sum(v in which for v in verdicts) / len(verdicts)


def test_adding_seeds_keeps_the_false_positive_rate_at_or_below_alpha():
    rng = random.Random(0)
    for cap in (3, 5, 8):
        fpr = rate([decided(rng, 0.0, cap) for _ in range(1000)])
        assert fpr <= 0.05, (cap, fpr)            # the same distribution on both sides: no verdict is true
    # Testing at alpha at every look instead would not: seeds added because a result was undecided
    # find a difference that does not exist more often than alpha says.
    fpr = rate([naive(rng, 0.0, 8) for _ in range(1500)])
    assert fpr > 0.07, fpr


def test_its_power_on_a_real_difference_grows_with_the_cap():
    rng = random.Random(1)
    power = {cap: rate([decided(rng, 1.5, cap) for _ in range(600)], ("supported",)) for cap in (3, 5, 8, 12)}
    assert power[3] < power[5] < power[8] < power[12], power
    assert power[12] > 0.6, power


def test_dcnn_run_decide_adds_seeds_to_the_groups_behind_undecided_claims(tmp_path):
    d = minimal_study()
    d["defaults"]["seeds"] = 2
    d["analysis"] = {"max_seeds": 4}
    d["claims"] = [{"section": "3", "says": "Freezing every feature layer lowers the loss.",
                    "check": {"lower": "best_val_loss", "a": "vgg16-freeze-all@0.01", "b": "vgg16-train-all@0.01"}}]
    study = write_study(tmp_path / "study.yaml", d)
    build = tmp_path / "build"
    proc = dcnn("run", "--decide", "-j", "1", "--study", str(study), "--build", str(build), check=True)
    extra = json.loads(json.loads((build / "seeds.json").read_text())["payload"])
    assert set(extra) <= {"vgg16-freeze-all@0.01", "vgg16-train-all@0.01"}      # only the claim's groups grew
    dcnn("report", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    r = load_results(build)
    claim = r["claims"][0]
    assert claim["looks"] == 3 and claim["alpha_per_look"] == 0.05 / 3
    assert "claims before: " in proc.stderr and "; after: " in proc.stderr
    scratch = next(g for g in r["groups"] if g["group"] == "scratch@0.01")
    assert scratch["n_seeds"] == 2                                              # no claim rests on it
    grown = {g["group"]: g["n_seeds"] for g in r["groups"] if g["group"] in extra}
    assert all(n == claim["look"] + 1 for n in grown.values()) or claim["final"]
    html = (build / "report.html").read_text()
    assert "seeds added" in html                                                # the report says so
    again = dcnn("run", "--decide", "-j", "1", "--study", str(study), "--build", str(build), check=True)
    assert " 0 trained" in again.stderr or "\n0 trained" in again.stderr or again.stderr.count("trained, ") >= 1
