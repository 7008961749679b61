"""The words of a comparison: its verdict at its level, its test, its uncertainty — in the report's
tables, under its figures and inside the claims. Every number points into results.json."""
from __future__ import annotations

from .numbers import Sentence, get, num
from .uncertainty import CONFIDENCE, PRACTICAL_SEEDS


def uncertainty_words(results: dict, ref: str, similar: bool = False, against: bool = False) -> Sentence:
    """The uncertainty of a comparison (or margin) at ``ref``: its interval at the level its verdict is
    taken at and, labelled as descriptive, its 95 % one; Hedges' g; the smallest difference its seeds would
    detect at that level and, when undecided, the seeds that would. For a "similar" claim (``similar``):
    the smallest margin its seeds could show similarity within, and the seeds that would settle the
    observed difference against its margin (its interval is said apart)."""
    c = get(results, ref)
    if c.get("ci_low") is None:
        return []
    s: Sentence = []
    if not similar:
        if c.get("decision_low") is not None:
            s += ["interval at the verdict's level ", *_level(results, ref), " ", num(results, f"{ref}/decision_low"),
                  " to ", num(results, f"{ref}/decision_high"), "; "]
        s += [f"descriptive {100 * CONFIDENCE:g} % CI ", num(results, f"{ref}/ci_low"), " to ",
              num(results, f"{ref}/ci_high")]
    if c.get("hedges_g") is not None:
        s += [", " if s else "", "Hedges' g ", num(results, f"{ref}/hedges_g", "d2")]
    if c.get("mde") is not None:
        s += ["; at that level these seeds could show similarity within ±" if similar else
              "; at that level these seeds would detect a difference of ", num(results, f"{ref}/mde"),
              " with power ", num(results, f"{ref}/power", "g")]
    if c.get("needed_practical") is not None:
        verb = "settle" if similar else "detect"
        if against:   # the seeds that would detect a difference of the wrong sign would contradict, not support
            s += [", and the observed one, which lies against the claim, with ", num(results, f"{ref}/needed_seeds", "int"),
                  " seeds per group (more seeds would then contradict it, not support it)"] if c["needed_practical"] else []
        else:
            s += ([", and the observed one with ", num(results, f"{ref}/needed_seeds", "int"), " seeds per group"]
              if c["needed_practical"] else
              [f", and no practical number of seeds (under {PRACTICAL_SEEDS}) would {verb} the observed one"])
    return s


def _level(results: dict, ref: str) -> Sentence:
    """"(alpha 0.00167)": the level a comparison (its ``alpha``) or a claim's margin (1 − its confidence) is at."""
    c, parent = get(results, ref), ref.rsplit("/", 1)[0]
    if c.get("a") is not None:
        return ["(alpha ", num(results, f"{ref}/alpha", "e3"), ")"]
    if parent.startswith("/claims/") and parent.count("/") == 2:
        return ["(alpha ", num(results, f"{parent}/level", "e3"), ")"]
    return ["(", num(results, f"{ref}/decision_confidence", "pct"), ")"]


def rank_words(results: dict, ref: str) -> Sentence:
    """The exact rank test of a comparison: why it was used (seeds that diverged before they had a value,
    ranked as the worst outcome, or no spread in either group)."""
    from .vocabulary import worse_sign

    c = get(results, ref)
    lost = [(side, c[side]) for side in ("a", "b") if c.get(f"{side}_lost")]
    if not lost:
        return ["an exact rank test, no spread within either group"]
    end = "highest" if worse_sign(c["metric"]) > 0 else "lowest"
    said: Sentence = []
    for k, (side, name) in enumerate(lost):
        said += [" and " if k else "", num(results, f"{ref}/{side}_lost", "int"), f" of {name}"]
    return ["an exact rank test in which the seeds that diverged before they had a value (", *said,
            f") rank as the {end}, the worst outcome"]


def comparison_sentence(results: dict, ci: int, this: str, base_title: str, base_section: str) -> Sentence:
    """How a configuration compares with the one it builds on, in the words the evidence allows: lower or
    higher only when it is so at the exploratory family's level (its q-value below alpha)."""
    C = f"/comparisons/{ci}"
    c = results["comparisons"][ci]
    lead = [f"Against {base_title} (§{base_section}, same learning rate), "]
    v = c["verdict"]
    fixed = {"not_run": ["no comparison yet: one of the two has not been trained."],
             "both_diverged": ["both diverged in every seed."],
             "identical": ["the best validation loss is identical in every seed."],
             "both_collapsed": ["both collapsed in every seed: their outputs no longer depend on the input (or one "
                                "class takes nearly every prediction), so the difference cannot speak to the setting."]}
    if v in fixed:
        return lead + fixed[v]
    if v == "single_seed":
        return lead + ["the best validation loss differs by ", num(results, f"{C}/difference"),
                       " (single seed, no noise estimate)."] if c["difference"] is not None else \
            lead + ["a side has a single seed: no noise estimate."]
    test = [num(results, f"{C}/p_value", "p")] + ([", ", num(results, f"{C}/q_value", "q")]
                                                  if c.get("q_value") is not None else [])
    if c.get("test") == "rank":
        test = [*rank_words(results, C), ": ", *test]
    more = uncertainty_words(results, C)
    more = ["; ", *more] if more else []
    found = v in ("lower", "higher")
    if v in ("a_diverged", "b_diverged"):
        # (never "this one trains" of seeds that ran every epoch without learning: that reads as a success)
        learned = next((g.get("n_learned") for g in results["groups"] if g["group"] == c.get("a")), None)
        who = f"{this} diverged in every seed while the other did not" if v == "a_diverged" else \
            "the other diverged in every seed while this one did not" + \
            (", though none of its seeds learned" if learned == 0 else "")
        return lead + [who, "; at these seeds that is not a significant difference (", *test, ")."]
    if found and c["difference"] is None:
        return lead + [f"the best validation loss is {v} (", *test, ")."] + degenerate_words(results, ci)
    if found:
        return lead + [f"the best validation loss is {v} by ", num(results, f"{C}/magnitude"), " ± ",
                       num(results, f"{C}/difference_se"), " (", *test, *more, ")."] + degenerate_words(results, ci)
    what = ("is not significant once corrected for the report's comparisons" if c["p_value"] < results["study"]
            .get("analysis", {}).get("alpha", 0.05) else "is not significant")
    diff = ["the difference in best validation loss, ", num(results, f"{C}/difference"), f", {what} ("] \
        if c["difference"] is not None else [f"the difference in best validation loss {what} ("]
    return lead + [*diff, *test, *more, ")."] + degenerate_words(results, ci)


def degenerate_words(results: dict, ci: int) -> Sentence:
    """A comparison whose groups hold seeds that diverged after some epochs or collapsed says so."""
    C = f"/comparisons/{ci}"
    c = results["comparisons"][ci]
    parts = [(side, where) for side, where in (("a", " here"), ("b", " in the other")) if c.get(f"{side}_degenerate")]
    if not parts:
        return []
    said = [[num(results, f"{C}/{side}_degenerate", "int"), where] for side, where in parts]
    return [" Seeds that diverged or collapsed: ", *(said[0] if len(said) == 1 else [*said[0], ", ", *said[1]]),
            "; the difference may reflect failed runs more than the setting."]
