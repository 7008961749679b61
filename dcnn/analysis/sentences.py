"""Observation sentences: what the report says under each figure, in each comparison and for each
claim, written from the metrics and statistics alone. A sentence is a list of strings and ``Num``s
(numbers that point into results.json), never a number typed by hand."""
from __future__ import annotations

from .comparison_words import comparison_sentence, degenerate_words, rank_words, uncertainty_words  # noqa: F401
from .metrics import COLLAPSE_RANGE, LEARNED_FRACTION, RISE_TOL
from .numbers import Sentence, and_list as _and, get, num, percent
from .recipe_sentences import recipe_observations, recipe_sentences


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
            return [divergence_words(results, ri) + [" The figure shows its batch loss step by step up to there."]]
        out.append(divergence_words(results, ri) + [" The curve shows the epochs before it."])
    if m.get("collapsed"):
        out.append(collapse_words(results, ri))
    if not m["learned"]:
        out.append(["It never learned: its best validation loss, ", num(results, f"{R}/metrics/best_val_loss"),
                    " (epoch ", num(results, f"{R}/metrics/best_epoch", "int"),
                    f"), is not {percent(1 - LEARNED_FRACTION)} below the chance level ", *chance_words(results, ri), "."])
    else:
        out.append(["Validation loss is lowest at epoch ", num(results, f"{R}/metrics/best_epoch", "int"), " (",
                    num(results, f"{R}/metrics/best_val_loss"), ", accuracy ",
                    num(results, f"{R}/metrics/val_acc_at_best", "pct"), ")."])
    if m["plateau_epoch"] is not None and not m["learned"]:
        pass   # a network that never left chance has no plateau to speak of (nor does its figure draw one)
    elif m["plateau_epoch"] is not None:
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
                    f", within {percent(RISE_TOL)} of its best; the final gap to the training loss is ",
                    num(results, f"{R}/metrics/overfit_gap"), "."])
    return out + recipe_observations(results, ri)


def chance_words(results: dict, ri: int) -> Sentence:
    """"ln 5 = 1.609" when the validation classes are balanced, else "(the classes' entropy) 0.500"."""
    R = f"/runs/{ri}"
    counts = results["study"].get("data", {}).get("target", {}).get("val_class_counts")
    if counts and len(set(counts)) > 1:
        return ["(the entropy of the validation classes) ", num(results, f"{R}/metrics/chance_loss")]
    return ["ln ", num(results, f"{R}/num_classes", "int"), " = ", num(results, f"{R}/metrics/chance_loss")]


def divergence_words(results: dict, ri: int) -> Sentence:
    """Where a run diverged: the epoch, the step, and the batch loss on the way there."""
    R = f"/runs/{ri}"
    d = results["runs"][ri].get("divergence")
    lead = ["Training diverged in epoch ", num(results, f"{R}/diverged_epoch", "int")]
    if not d or d.get("step") is None:
        return lead + [": its loss became NaN or infinite."]
    k = d["step"]
    what = {"nan": "NaN", "inf": "infinite", "-inf": "minus infinity"}[d["non_finite"]]
    if k == 1:
        return lead + [", at its first step: the batch loss was ", what, " at once."]
    return lead + [", at its step ", num(results, f"{R}/divergence/step", "int"), ": the batch loss went from ",
                   num(results, f"{R}/divergence/step_losses/0", "e3"), " at the first step to ",
                   num(results, f"{R}/divergence/step_losses/{k - 2}", "e3"), " at step ", str(k - 1),
                   ", its last finite value, and was then ", what, "."]


def collapse_words(results: dict, ri: int) -> Sentence:
    """A collapsed run: from which epoch on, and how (its outputs stopped depending on the input, or
    one class took nearly every prediction)."""
    R = f"/runs/{ri}"
    m = results["runs"][ri]["metrics"]
    lead = ["It collapsed in epoch ", num(results, f"{R}/metrics/collapse_epoch", "int"), ": from then on "]
    spread = m.get("final_logit_range")       # None in histories that recorded only the top share
    if spread is not None and spread < COLLAPSE_RANGE:
        how = (["each logit is the same for every validation image at the end"] if spread == 0 else
               ["each logit varies by ", num(results, f"{R}/metrics/final_logit_range", "e3"),
                " across the validation images at the end"])
        return lead + ["its outputs no longer depend on the input (", *how,
                       "), so it cannot tell the images apart."]
    return lead + ["it gives one class to ", num(results, f"{R}/metrics/final_top_share", "pct"),
                   " of the validation images."]


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
    steps = [(i, r) for i, r in div if (r.get("divergence") or {}).get("step")]
    if len(div) == len(done) and steps and len(steps) == len(div) and not any(r["history"] for _, r in div):
        last = [num(results, f"/runs/{i}/divergence/step_losses/{r['divergence']['step'] - 2}", "e3")
                for i, r in steps if r["divergence"]["step"] > 1]
        s = ["Every seed diverged in epoch ", *epochs, ", at step ",
             *_and([num(results, f"/runs/{i}/divergence/step", "int") for i, _ in steps])]
        s += ([" (the last finite batch losses: ", *_and(last), ")"] if last else [])
        return [s + ["; the figure shows each seed's batch loss step by step up to there."]]
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
                 f", is not {percent(1 - LEARNED_FRACTION)} below the chance level ", *chance_words(results, done[0][0]),
                 "."]]
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
    if g["n_learned"] == 0:   # seeds that never left chance: no plateau or upturn to speak of (the figure draws none)
        return [] if plateaus else [["No seed has levelled off: each is still improving at the last epoch."]]
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
        out.append([f"No seed turns upward: each ends within {percent(RISE_TOL)} of its best, with a final gap of ", *gap,
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
    collapsed = [(i, r) for i, r in done if r["metrics"].get("collapsed")]
    if collapsed:
        first_of: dict[int, int] = {}   # one epoch number per distinct epoch
        for i, r in collapsed:
            first_of.setdefault(r["metrics"]["collapse_epoch"], i)
        out.append([num(results, f"{G}/n_collapsed", "int"), " of ", num(results, f"{G}/n_done", "int"),
                    " seeds collapsed (from epoch ",
                    *_and([num(results, f"/runs/{i}/metrics/collapse_epoch", "int") for i in first_of.values()]),
                    "): their outputs stopped depending on the input, or one class took nearly every prediction."])
    return out + _learning_sentences(results, gi, done) + _shape_sentences(results, gi, done, tol_ref) + \
        recipe_sentences(results, done)


def stats_words(results: dict, ref: str) -> list:
    agg = get(results, ref)
    if agg["n"] == 0:
        return ["diverged"]
    return pm(results, ref)
