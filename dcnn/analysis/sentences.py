"""Observation sentences: what the report says under each figure, in each comparison and for each
claim, written from the metrics and statistics alone. A sentence is a list of strings and ``Num``s
(numbers that point into results.json), never a number typed by hand."""
from __future__ import annotations

from ..vocabulary import CLAIM_KINDS, METRIC_WORDS
from .numbers import Sentence, get, num
from .stats import group_by_name

def _and(parts: list) -> list:
    """[a, b, c] → [a, ', ', b, ' and ', c] (parts may be Num or str)."""
    out: list = []
    for i, p in enumerate(parts):
        if i:
            out.append(" and " if i == len(parts) - 1 else ", ")
        out.append(p)
    return out


def pm(results: dict, ref: str, fmt: str = "loss") -> list:
    """mean ± std of an aggregate at ``ref`` (std left out for a single value)."""
    agg = get(results, ref)
    if agg["n"] <= 1:
        return [num(results, f"{ref}/mean", fmt)]
    return [num(results, f"{ref}/mean", fmt), " ± ", num(results, f"{ref}/std", fmt)]


def run_observations(results: dict, ri: int, tol_ref: str = "/study/analysis/plateau_tol") -> list[Sentence]:
    """Sentences under a single-seed figure, from that run's metrics."""
    R = f"/runs/{ri}"
    run = results["runs"][ri]
    m = run["metrics"]
    out: list[Sentence] = []
    if run["status"] not in ("complete", "diverged"):
        return [["This run has not been trained yet."] if run["status"] == "missing"
                else ["This run failed: ", run.get("error") or "unknown error", "."]]
    if run["status"] == "diverged":
        if not run["history"]:
            return [["Training diverged in epoch ", num(results, f"{R}/diverged_epoch", "int"),
                     ": the loss became NaN or infinite before the first epoch ended, so there is no curve."]]
        out.append(["Training diverged in epoch ", num(results, f"{R}/diverged_epoch", "int"),
                    "; the curve shows the epochs before it."])
    if not m["learned"]:
        out.append(["It never learned: its best validation loss, ", num(results, f"{R}/metrics/best_val_loss"),
                    " (epoch ", num(results, f"{R}/metrics/best_epoch", "int"),
                    "), stays above 90 % of the chance level ln ", num(results, f"{R}/num_classes", "int"),
                    " = ", num(results, f"{R}/metrics/chance_loss"), "."])
    else:
        out.append(["Validation loss is lowest at epoch ", num(results, f"{R}/metrics/best_epoch", "int"), " (",
                    num(results, f"{R}/metrics/best_val_loss"), ", accuracy ",
                    num(results, f"{R}/metrics/val_acc_at_best", "pct"), ")."])
    if m["plateau_epoch"] is not None:
        out.append(["It levels off by epoch ", num(results, f"{R}/metrics/plateau_epoch", "int"),
                    ": no later epoch improves on the best so far by more than ", num(results, tol_ref, "pct"), "."])
    else:
        out.append(["It is still improving at the last epoch."])
    if m["upturn_epoch"] is not None:
        s = ["After its best epoch it turns upward from epoch ", num(results, f"{R}/metrics/upturn_epoch", "int"),
             " and ends ", num(results, f"{R}/metrics/final_rise"), " higher, at ",
             num(results, f"{R}/metrics/final_val_loss"), "; the final gap to the training loss is ",
             num(results, f"{R}/metrics/overfit_gap")]
        s.append(", a sign of overfitting." if m["overfits"] else ".")
        out.append(s)
    else:
        out.append(["It ends at ", num(results, f"{R}/metrics/final_val_loss"),
                    ", within 10 % of its best; the final gap to the training loss is ",
                    num(results, f"{R}/metrics/overfit_gap"), "."])
    return out


def _divergence_sentence(results: dict, gi: int, done: list[tuple[int, dict]]) -> list[Sentence]:
    G = f"/groups/{gi}"
    div = [(i, r) for i, r in done if r["status"] == "diverged"]
    if not div:
        return []
    # One epoch number per distinct epoch ("in epoch 1", not "in epoch 1, 1 and 1").
    first_of: dict[int, int] = {}
    for i, r in div:
        first_of.setdefault(r["diverged_epoch"], i)
    epochs = _and([num(results, f"/runs/{i}/diverged_epoch", "int") for i in first_of.values()])
    if len(div) == len(done):
        return [["Every seed diverged (in epoch ", *epochs, "): the loss became NaN or infinite."]]
    return [[num(results, f"{G}/n_diverged", "int"), " of ", num(results, f"{G}/n_done", "int"),
             " seeds diverged (in epoch ", *epochs, "); their curves stop there."]]


def _learning_sentences(results: dict, gi: int, done: list[tuple[int, dict]]) -> list[Sentence]:
    G, M = f"/groups/{gi}", f"/groups/{gi}/metrics"
    g = results["groups"][gi]
    n = num(results, f"{G}/n_done", "int")
    if g["n_learned"] == 0:
        return [["No seed learned: the best validation loss, ", *pm(results, f"{M}/best_val_loss"),
                 ", stays above 90 % of the chance level ln ", num(results, f"/runs/{done[0][0]}/num_classes", "int"),
                 " = ", num(results, f"/runs/{done[0][0]}/metrics/chance_loss"), "."]]
    best_epochs = [num(results, f"/runs/{i}/metrics/best_epoch", "int") for i, r in done
                   if r["metrics"]["best_epoch"] is not None]
    out = [["Across ", n, " seeds the best validation loss is ", *pm(results, f"{M}/best_val_loss"),
            " (range ", num(results, f"{M}/best_val_loss/min"), " to ", num(results, f"{M}/best_val_loss/max"),
            "), reached at epoch ", *_and(best_epochs), ", with accuracy ",
            *pm(results, f"{M}/val_acc_at_best", "pct"), "."]]
    if g["n_learned"] < g["n_done"]:
        out.append(["Only ", num(results, f"{G}/n_learned", "int"), " of ", n,
                    " seeds learned; the others stayed near chance."])
    return out


def _shape_sentences(results: dict, gi: int, done: list[tuple[int, dict]], tol_ref: str) -> list[Sentence]:
    """Where the seeds level off, and whether they turn upward after their best epoch."""
    G, M = f"/groups/{gi}", f"/groups/{gi}/metrics"
    g = results["groups"][gi]
    n = num(results, f"{G}/n_done", "int")
    with_hist = [(i, r) for i, r in done if r["metrics"]["best_val_loss"] is not None]
    plateaus = [num(results, f"/runs/{i}/metrics/plateau_epoch", "int") for i, r in with_hist
                if r["metrics"]["plateau_epoch"] is not None]
    if not plateaus:
        out = [["No seed has levelled off: each is still improving at the last epoch."]]
    elif len(plateaus) == len(with_hist):
        out = [["It levels off by epoch ", *_and(plateaus), " (one per seed; no later epoch improves by more than ",
                num(results, tol_ref, "pct"), ")."]]
    else:
        out = [["It levels off by epoch ", *_and(plateaus), " in ", num(results, f"{G}/n_plateaued", "int"),
                " of ", n, " seeds; the rest are still improving at the last epoch."]]
    gap = pm(results, f"{M}/overfit_gap")
    if g["n_overfit"] == len(with_hist):
        out.append(["Every seed overfits: after its best epoch the validation loss turns upward, ending ",
                    *pm(results, f"{M}/final_rise"), " above its best, with a final gap of ", *gap,
                    " to the training loss."])
    elif g["n_upturn"] > 0:
        out.append([num(results, f"{G}/n_upturn", "int"), " of ", n,
                    " seeds turn upward after their best epoch (", num(results, f"{G}/n_overfit", "int"),
                    " with training loss below validation loss, i.e. overfitting); the final gap to the training loss is ",
                    *gap, "."])
    else:
        out.append(["No seed turns upward: each ends within 10 % of its best, with a final gap of ", *gap,
                    " to the training loss."])
    return out


def group_observations(results: dict, gi: int, tol_ref: str = "/study/analysis/plateau_tol") -> list[Sentence]:
    """Sentences under a multi-seed figure, from its seeds' metrics (mean ± std, counts)."""
    G = f"/groups/{gi}"
    g = results["groups"][gi]
    runs = [(i, results["runs"][i]) for i in g["runs"]]
    done = [(i, r) for i, r in runs if r["status"] in ("complete", "diverged")]
    if not done:
        return [["No seed of this configuration has been trained yet."]]
    out: list[Sentence] = []
    if len(done) < len(runs):
        out.append(["Only ", num(results, f"{G}/n_done", "int"), " of ", num(results, f"{G}/n_seeds", "int"),
                    " seeds have finished; the rest are not run yet or failed."])
    out += _divergence_sentence(results, gi, done)
    if g["metrics"]["best_val_loss"]["n"] == 0:
        return out
    return out + _learning_sentences(results, gi, done) + _shape_sentences(results, gi, done, tol_ref)


def comparison_sentence(results: dict, ci: int, this: str, base_title: str, base_section: str) -> Sentence:
    """How a configuration compares with the one it builds on, in the words the evidence allows."""
    C = f"/comparisons/{ci}"
    c = results["comparisons"][ci]
    lead = [f"Against {base_title} (§{base_section}, same learning rate), "]
    v = c["verdict"]
    if v == "not_run":
        return lead + ["no comparison yet: one of the two has not been trained."]
    if v == "a_diverged":
        return lead + [f"{this} diverged in every seed while the other did not."]
    if v == "b_diverged":
        return lead + ["which diverged in every seed, this one trains."]
    if v == "both_diverged":
        return lead + ["both diverged in every seed."]
    if v == "single_seed":
        return lead + ["the best validation loss differs by ", num(results, f"{C}/difference"),
                       " (single seed, no noise estimate)."]
    if v == "identical":
        return lead + ["the best validation loss is identical in every seed."]
    if v in ("lower", "higher"):
        if c["p_value"] is None:
            return lead + [f"the best validation loss is {v} by ", num(results, f"{C}/magnitude"),
                           " in every seed (no spread within either)."]
        return lead + [f"the best validation loss is {v} by ", num(results, f"{C}/magnitude"), " ± ",
                       num(results, f"{C}/difference_se"), " (", num(results, f"{C}/p_value", "p"), ")."]
    return lead + ["the difference in best validation loss, ", num(results, f"{C}/difference"),
                   ", is within seed noise (", num(results, f"{C}/p_value", "p"), ")."]


def sweep_observations(results: dict, si: int) -> list[Sentence]:
    """Where freezing the first k conv layers starts to cost validation loss."""
    S = f"/sweeps/{si}"
    sw = results["sweeps"][si]
    pts = sw["points"]
    out: list[Sentence] = []
    have = [i for i, p in enumerate(pts) if p["best_val_loss"]["n"]]
    if not have:
        return [["No run of this sweep has been trained yet."]]
    best_i = min(have, key=lambda i: pts[i]["best_val_loss"]["mean"])
    out.append(["The lowest mean best validation loss, ", *pm(results, f"{S}/points/{best_i}/best_val_loss"),
                ", comes with k = ", num(results, f"{S}/points/{best_i}/frozen_conv_layers", "int"), " frozen conv layers."])
    comps = sw["comparisons_to_unfrozen"]
    k0 = next((i for i, p in enumerate(pts) if p["frozen_conv_layers"] == 0), None)
    if sw["hurts_from"] is None:
        if comps:
            out.append(["No depth is significantly worse than training every layer (k = 0, ",
                        *pm(results, f"{S}/points/{k0}/best_val_loss"), "): freezing costs nothing measurable here."])
    else:
        ci = next(i for i, c in enumerate(comps) if c["frozen_conv_layers"] == sw["hurts_from"])
        gi = next(i for i, p in enumerate(pts) if p["frozen_conv_layers"] == sw["hurts_from"])
        c = comps[ci]
        s = ["Freezing starts to hurt at k = ", num(results, f"{S}/hurts_from", "int"), ": best validation loss ",
             *pm(results, f"{S}/points/{gi}/best_val_loss"), " against ",
             *pm(results, f"{S}/points/{k0}/best_val_loss"), " with nothing frozen"]
        if c["p_value"] is not None:
            s += [" (", num(results, f"{S}/comparisons_to_unfrozen/{ci}/p_value", "p"), ")."]
        else:
            s += ["."]
        out.append(s)
    if sw["reference"] is not None:
        out.append(["For reference, the scratch CNN at its better learning rate reaches ",
                    *pm(results, f"{S}/reference/best_val_loss"), "."])
    return out


def _stats_words(results: dict, ref: str) -> list:
    agg = get(results, ref)
    if agg["n"] == 0:
        return ["diverged"]
    return pm(results, ref)


def _compare_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    cmp_ = c["comparison"]
    s = [f"{METRIC_WORDS[c['metric']]}: {cmp_['a']} ", *_stats_words(results, f"{C}/a_stats"), f" vs {cmp_['b']} ",
         *_stats_words(results, f"{C}/b_stats")]
    if cmp_["p_value"] is not None:
        return s + [" (", num(results, f"{C}/comparison/p_value", "p"), ")."]
    if cmp_["verdict"] == "single_seed":
        return s + [" (single seed, no noise estimate)."]
    return s + ["."]


def _rank_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    a, best = c["check"]["a"], c["kind"] == "best"
    lead = ([f"{a} diverged in every seed; "] if group_by_name(results, a)["metrics"][c["metric"]]["n"] == 0 else
            [f"{a} ranks ", num(results, f"{C}/rank", "int"), f" of {len(c['ranking'])} by mean "
             f"{METRIC_WORDS[c['metric']]} (1 = {'lowest' if best else 'highest'}); "])
    return lead + [f"it is significantly {'lower' if best else 'higher'} than ",
                   num(results, f"{C}/n_beaten", "int"), f" of {len(c['comparisons'])} others and significantly "
                   f"{'higher' if best else 'lower'} than ", num(results, f"{C}/n_beating", "int"),
                   " (a diverged run counts as the higher loss)."]


def _lr_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    return ["lr ", num(results, f"{C}/better", "g"), " has a significantly lower ",
            METRIC_WORDS[results["claims"][ci]["metric"]], " than lr ", num(results, f"{C}/worse", "g"),
            " in ", num(results, f"{C}/n_better", "int"), " of ", num(results, f"{C}/n", "int"),
            " variants (a diverged run counts as worse) and a significantly higher one in ",
            num(results, f"{C}/n_worse", "int"), "."]


def _flag_evidence(results: dict, ci: int) -> Sentence:
    C = f"/claims/{ci}"
    c = results["claims"][ci]
    if c["n"] == 0:
        return [f"Every seed of {c['group']} diverged before finishing an epoch: there is no curve to judge."]
    if c["kind"] == "plateaus_by":
        return [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"),
                f" seeds of {c['group']} level off by epoch ", num(results, f"{C}/epoch", "int"), "."]
    return [num(results, f"{C}/count", "int"), " of ", num(results, f"{C}/n", "int"),
            f" seeds of {c['group']} with a finished epoch {CLAIM_KINDS[c['kind']].words}."]


def claim_evidence(results: dict, ci: int) -> Sentence:
    """The measured evidence behind claim ``ci``, with every number pointing into results.json."""
    shape = CLAIM_KINDS[results["claims"][ci]["kind"]].shape
    return {"compare": _compare_evidence, "rank": _rank_evidence, "lr": _lr_evidence,
            "flag": _flag_evidence}[shape](results, ci)
