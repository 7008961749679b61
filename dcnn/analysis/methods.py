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
    return ["A comparison of two groups is Welch's two-sided t-test judged at Hsu's degrees of freedom (the "
            "smaller group's seeds less one), which keeps its level whatever the ratio of the two groups' "
            "spreads (the Welch–Satterthwaite degrees of freedom do not at three seeds a side); where a seed "
            "diverged before it had a value it is the worst outcome of an exact rank test (every split of the "
            "seeds enumerated), never a certainty, and seeds that collapsed tie just above the healthy ones. "
            "The comparisons beside the figures and in the tables are exploratory: each carries its raw p-value "
            "and its Benjamini–Hochberg q-value over all ", num(results, "/study/methods/n_comparisons", "int"),
            " comparisons of this report, and says lower or higher only when its q-value is below alpha ",
            num(results, f"{S}/alpha", "g"), " (which keeps the expected share of false findings among them at "
            "alpha); its intervals and detectable differences are at that level, its 95 % interval only "
            "descriptive."]


def _family(results: dict) -> Sentence:
    an, plan = results["study"]["analysis"], results["study"]["plan"]
    s: Sentence = ["The ", num(results, "/study/methods/n_claims", "int"),
                   " claims are one family: each claim's test gives one p-value, the family is corrected by ",
                   CORRECTION_WORDS[an["correction"]], " (",
                   "statsmodels" if CORRECTIONS[an["correction"]] else "each at its own level",
                   "), and a claim is supported or contradicted only when its corrected p-value is below alpha"]
    if plan["looks"] > 1:
        s += [". Up to ", num(results, f"{S}/max_seeds", "int"), " seeds per group, each claim has its own planned "
              "looks, up to ", num(results, f"{P}/looks", "int"), ": look j judges it on the first declared + j − 1 "
              "seeds of each of its groups, whatever seeds a group got for other claims, and spends the share of "
              "alpha its seeds add (alpha times the seeds over max_seeds: ", num(results, f"{P}/alpha_per_look", "e3"),
              " at the first look of the claims with the fewest seeds, ", num(results, f"{P}/later_alpha", "e3"),
              " at each later one); its p is divided by that share before the correction, so that by the union "
              "bound the chance of any false verdict stays at alpha whatever the looks' correlation and whichever "
              "groups grow, and a claim decided at a look keeps its verdict"]
    return s + [". Each claim states its level: the alpha its own p is compared with (its look's share over its "
                "step of the correction); its intervals, detectable differences and needed seeds are at that level, "
                "and its 95 % interval only descriptive."]


def _tests(results: dict) -> Sentence:
    corr = CORRECTION_WORDS[results["study"]["analysis"]["correction"]]
    return ["A claim that one group is lower or higher than another uses that test. A claim that two are "
            "similar is decided by two one-sided Welch tests against a margin, by default ±",
            num(results, f"{S}/similar_margin", "pct"), " of the second group's mean, tested as a ratio of the "
            "two means (a against (1 ± the share) × b) so that b's measured mean never moves the margin; it is "
            "supported only when the interval at the claim's level lies inside the margin and contradicted only "
            "when it lies outside (at the margin both verdicts are false, and together they stay at the level), "
            "never by the mere absence of a significant difference; a claim that one is not worse than the other "
            "is the same test's one half. A claim that one group is the best (or worst) of several, or that one "
            "learning rate beats another for every variant, is supported when every comparison it needs points "
            "its way at the claim's level (the largest of their p-values decides) and contradicted when one "
            "comparison shows the opposite after ", corr, " over its comparisons. A claim about a group's seeds "
            "(it learns, overfits, is still improving, levels off by an epoch) is a one-sample t-test of a "
            "per-seed margin that is positive when the claim holds: it says the group does so on average over "
            "its seeds, not that every seed does; the share of seeds that show it is given with its exact "
            "interval. A group that holds some diverged or collapsed seeds is judged with and without them, and "
            "the claim is decided only when both agree."]


def _power(results: dict) -> Sentence:
    return ["The smallest detectable differences and the seeds needed are those of the test the verdict "
            "uses, at power ", f"{POWER:g}", " and at the claim's level: for Welch's statistic at Hsu's degrees "
            "of freedom they are simulated (", f"{DRAWS:,}", " studies with each group's own spread, judged as the "
            "test judges them), for the difference that Hedges' g states rather than the raw one. A claim that "
            "seeds up to the cap would settle, at its last look's level, with less than ",
            percent(FUTILE_BELOW), " power is not given more seeds."]


def _restart(results: dict) -> Sentence:
    r = results["study"]["plan"]["restarts"][-1]
    return [f"The plan of looks was restarted with python -m dcnn run --decide --new-plan; it had been "
            f"max_seeds {r['max_seeds']}, alpha {r['alpha']:g}, correction {r['correction']}. Verdicts after "
            "a restarted plan no longer keep the chance of a false verdict at alpha."]


def _calibration(results: dict) -> Sentence:
    C = "/study/calibration"
    s: Sentence = ["Simulated in worlds built on this study's own seeds (python -m dcnn calibrate: ",
                   num(results, f"{C}/n", "count"), " studies of these claims per world, each group's spread, the "
                   "correlation of a group's metrics, and seeds diverging before they have a value in ",
                   num(results, f"{C}/p_lost", "pct"), " and collapsing in ", num(results, f"{C}/p_collapsed", "pct"),
                   " of them, as here; where nothing differs, and where each similar, not-worse, best, worst or "
                   "learning-rate claim is least favourably placed), some claim got a false verdict in at most ",
                   num(results, f"{C}/family_rate", "pct"), " of them (± ", num(results, f"{C}/family_se", "pct"),
                   " simulation error) with the seeds declared"]
    if results["study"]["calibration"].get("decide"):
        s += [", and in at most ", num(results, f"{C}/decide/family_rate", "pct"), " (± ",
              num(results, f"{C}/decide/family_se", "pct"), ") with seeds added by --decide"]
    return s + [", against alpha ", num(results, f"{C}/alpha", "g"), "."]


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
