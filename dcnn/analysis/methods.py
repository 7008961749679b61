"""The report's statistical methods, written from the study's own settings: what the numbers and
error bars are, the tests of comparisons and claims, the correction for their number, the planned
looks and, once ``dcnn calibrate`` ran, how often these claims would be false where nothing differs.
Every number points into results.json or comes from its definition."""
from __future__ import annotations

from .evidence import CORRECTION_WORDS
from .inference import CORRECTIONS
from .numbers import Sentence, num, percent
from .uncertainty import CONFIDENCE, DRAWS, POWER
from .verdicts import FUTILE_BELOW

S, P = "/study/analysis", "/study/plan"


def _numbers(results: dict) -> Sentence:
    pre = results["study"]["pretraining"]
    if pre["kind"] == "own" and pre.get("per_model", 1) > 1:
        backbone = [" A pretrained run's seed also picks one of ", num(results, "/study/pretraining/per_model", "int"),
                    " backbones pretrained from different seeds (seed mod their number), so the spread of a pretrained "
                    "configuration includes the backbone's."]
    elif pre["kind"] != "none":
        backbone = [" Every pretrained run starts from the same backbone, so the spread of a pretrained configuration "
                    "leaves out the backbone's, and what is said of them holds for that backbone."]
    else:
        backbone = []
    return ["Every number is a mean ± standard deviation over seeds, and every interval a ", percent(CONFIDENCE),
            " confidence interval of a difference of means (Welch). The seeds of a configuration vary the network's "
            "initialisation (for a pretrained one, its new head's), the order of the training images and any random "
            "transformation or dropout; the split into training, validation and test images is the same for every "
            "seed.", *backbone]


def _selection(results: dict) -> Sentence:
    if not results["study"]["data"]["target"].get("test_images"):
        return ["This profile has no test split: the best epoch is chosen on the validation images and the numbers "
                "are measured on them, which flatters the noisier settings."]
    return ["Each run's best epoch is the one with the lowest validation loss; the ",
            num(results, "/study/data/target/test_images", "int"), " test images are evaluated after every epoch and "
            "never used to choose an epoch, a setting or a scale, so the test loss at the best epoch measures the "
            "chosen network without the luck of the choice (the selection gap is the difference)."]


def _comparisons(results: dict) -> Sentence:
    return ["A comparison of two groups is Welch's two-sided t-test at alpha ", num(results, f"{S}/alpha", "g"),
            "; beside each raw p-value the tables give the Benjamini–Hochberg q-value over all ",
            num(results, "/study/methods/n_comparisons", "int"),
            " comparisons of this report, which are exploratory: a q-value below alpha keeps the expected share "
            "of false findings among them at alpha."]


def _family(results: dict) -> Sentence:
    an, plan = results["study"]["analysis"], results["study"]["plan"]
    s: Sentence = ["The ", num(results, "/study/methods/n_claims", "int"),
                   " claims are one family: each claim's test gives one p-value, the family is corrected by ",
                   CORRECTION_WORDS[an["correction"]], " (",
                   "statsmodels" if CORRECTIONS[an["correction"]] else "each at its own level",
                   "), and a claim is supported or contradicted only when its corrected p-value is below alpha"]
    if plan["looks"] > 1:
        s += [" divided by the ", num(results, f"{P}/looks", "int"), " planned looks (",
              num(results, f"{P}/alpha_per_look", "e3"), " at each look: up to ",
              num(results, f"{S}/max_seeds", "int"), " seeds per group, one look after each added seed, "
              "a Bonferroni split that keeps the chance of any false verdict at alpha however the looks go)"]
    return s + ["."]


def _tests(results: dict) -> Sentence:
    corr = CORRECTION_WORDS[results["study"]["analysis"]["correction"]]
    return ["A claim that one group is lower or higher than another uses Welch's test. A claim that two are "
            "similar is decided by two one-sided Welch tests against a margin, by default ±",
            num(results, f"{S}/similar_margin", "pct"), " of the second group's mean: it is supported only "
            "when the difference is shown to lie inside the margin and contradicted only when it is shown to "
            "lie outside, never by the mere absence of a significant difference. A claim that one group is "
            "the best (or worst) of several, or that one learning rate beats another for every variant, is "
            "supported when every comparison it needs points its way (the largest of their p-values decides) "
            "and contradicted when one comparison shows the opposite after ", corr, " over its comparisons. "
            "A claim about every seed of a group (it learns, overfits, is still improving, levels off by an "
            "epoch) is a one-sample t-test of a per-seed margin that is positive when the claim holds; the "
            "count of seeds that show it is a description, since a sign test on three seeds could never reach "
            "alpha. A group that holds some diverged or collapsed seeds is judged with and without them, and "
            "the claim is decided only when both agree."]


def _power(results: dict) -> Sentence:
    return ["The smallest detectable differences and the seeds needed are those of the test the verdict "
            "uses, at power ", f"{POWER:g}", ": for Welch's test they are simulated (", f"{DRAWS:,}",
            " studies with each group's own spread, judged as Welch's test judges them, since with three "
            "seeds a side the textbook noncentral-t formula overstates its power), for the difference that "
            "Hedges' g states rather than the raw one, at the alpha of one look before the correction for "
            "the number of claims. A claim that seeds up to the cap would settle with less than ",
            percent(FUTILE_BELOW), " power is not given more seeds."]


def _restart(results: dict) -> Sentence:
    r = results["study"]["plan"]["restarts"][-1]
    return [f"The plan of looks was restarted with python -m dcnn run --decide --new-plan; it had been "
            f"max_seeds {r['max_seeds']}, alpha {r['alpha']:g}, correction {r['correction']}. Verdicts after "
            "a restarted plan no longer keep the chance of a false verdict at alpha."]


def _calibration(results: dict) -> Sentence:
    C = "/study/calibration"
    s: Sentence = ["Simulated with no true difference anywhere (python -m dcnn calibrate, ",
                   num(results, f"{C}/n", "count"), " studies of these claims with the seeds' own spread), some "
                   "claim got a false verdict in ", num(results, f"{C}/family_rate", "pct"), " of them (± ",
                   num(results, f"{C}/family_se", "pct"), ") with the seeds declared"]
    if results["study"]["calibration"].get("decide"):
        s += [", and in ", num(results, f"{C}/decide/family_rate", "pct"), " with seeds added by --decide"]
    return s + ["."]


def _factors(results: dict) -> Sentence:
    s: Sentence = ["A factorial analysis (what matters most) is a type-II analysis of variance (statsmodels) of the "
                   "per-seed values on its factors and their two-way interactions. An effect's share is its partial "
                   "η², the variance it explains over that and the residual's, with a ",
                   num(results, "/factors/0/confidence", "pct"), " percentile interval from ",
                   num(results, "/factors/0/resamples", "count"), " resamples of the seeds within each cell (their "
                   "deviations from the cell's mean, scaled by √(n/(n − 1)) so that they keep the seeds' variance; a "
                   "seeded generator), and the residual's share is what seed noise leaves. A seed without a value is "
                   "left out and named; a design too empty to fit is not fitted."]
    if any(c["kind"] == "matters_more" for c in results["claims"]):
        s += [" A claim that one effect matters more than another is supported when the interval of the difference "
              "of their shares over the same resamples (paired) lies above 0 at the claim's level, contradicted when "
              "it lies below; the p-value that inverts that interval is corrected with the other claims."]
    return s


def methods_sentences(results: dict) -> list[Sentence]:
    """The statistical methods, from the study's settings: tests, alpha, correction, margins, looks."""
    parts = [_numbers, _selection, _comparisons]
    if results["claims"]:
        parts += [_family, _tests, _power]
    if results.get("factors"):
        parts.append(_factors)
    if results["study"]["plan"].get("restarts"):
        parts.append(_restart)
    if results["study"].get("calibration"):
        parts.append(_calibration)
    return [part(results) for part in parts]
