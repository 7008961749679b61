"""A sweep: one setting varied over values — its statistics (the best value, each value against the
baseline value, where seeds diverge) and the words under its figure."""
from __future__ import annotations

from typing import Any, Sequence

from .numbers import Num, Sentence, get, num
from .numbers import and_list as _and
from .sentences import pm, stats_words
from .stats import compare, direction, group_by_name


def sweep_summary(results: dict, groups: Sequence[str], values: Sequence[float], baseline: float,
                  alpha: float) -> dict[str, Any]:
    """Best validation loss per value of the swept setting, each value compared with the baseline
    value; the first value significantly worse than it, and where seeds diverge."""
    points = []
    for value, name in zip(values, groups):
        g = group_by_name(results, name)
        points.append({"value": value, "group": name, "best_val_loss": g["metrics"]["best_val_loss"],
                       "val_acc_at_best": g["metrics"]["val_acc_at_best"], "n_done": g["n_done"],
                       "n_diverged": g["n_diverged"]})
    base = groups[list(values).index(baseline)]
    comps = []
    for value, name in zip(values, groups):
        if value == baseline:
            continue
        c = compare(results, name, base, "best_val_loss", alpha, uncertainty=False)
        c["value"] = value
        comps.append(c)
    done = [p for p in points if p["n_done"]]
    return {"points": points, "baseline": baseline, "comparisons_to_baseline": comps, "worse_from": worse_from(comps),
            "all_diverged": [p["value"] for p in done if p["n_diverged"] == p["n_done"]],
            "some_diverged": [p["value"] for p in done if 0 < p["n_diverged"] < p["n_done"]]}


def worse_from(comps: Sequence[dict]) -> Any:
    """The first value of the swept setting significantly worse than the baseline value (at each
    comparison's level: after collect, the exploratory family's)."""
    return next((c["value"] for c in comps if direction(c) == "higher"), None)


def _setting(sw: dict, value: Num) -> list:
    """A swept setting and its value in words: "learning rate 0.02", "k = 3 frozen conv layers"."""
    vary = sw["vary"]
    if vary == "frozen_conv_layers":
        return ["k = ", value, " frozen conv layers"]
    if vary == "epochs":
        return [value, " epochs"]
    return [f"{sw['vary_words']} ", value]


def _values(results: dict, ref: str) -> list:
    """The values listed at ``ref`` ("0.2, 0.0632 and 0.02"), each pointing into results.json."""
    return _and([num(results, f"{ref}/{i}", "g") for i in range(len(get(results, ref)))])


def stats_n(results: dict, S: str, i: int) -> Sentence:
    return [num(results, f"{S}/points/{i}/best_val_loss/n", "int"), " at the baseline"]


def sweep_observations(results: dict, si: int) -> list[Sentence]:
    """Which value of the swept setting is best, where seeds diverge, and which values differ
    significantly from the baseline value."""
    S = f"/sweeps/{si}"
    sw = results["sweeps"][si]
    pts = sw["points"]
    have = [i for i, p in enumerate(pts) if p["best_val_loss"]["n"]]
    if not have:
        return [["No run of this sweep has been trained yet."] if not any(p["n_done"] for p in pts)
                else ["Every seed of every value diverged before finishing an epoch."]]
    best_i = min(have, key=lambda i: pts[i]["best_val_loss"]["mean"])
    out: list[Sentence] = [["The lowest mean best validation loss, ", *pm(results, f"{S}/points/{best_i}/best_val_loss"),
                            ", comes with ", *_setting(sw, num(results, f"{S}/points/{best_i}/value", "g")), "."]]
    if sw["all_diverged"] or sw["some_diverged"]:
        s: Sentence = []
        if sw["all_diverged"]:
            s += ["Every seed diverges at ", sw["vary_words"], " ", *_values(results, f"{S}/all_diverged")]
        if sw["some_diverged"]:
            s += ["; some seeds diverge at " if s else "Some seeds diverge at " + sw["vary_words"] + " ",
                  *_values(results, f"{S}/some_diverged")]
        out.append(s + ["; at the other values no seed diverges."])
    base_i = next(i for i, p in enumerate(pts) if p["value"] == sw["baseline"])
    comps = sw["comparisons_to_baseline"]
    words = {"higher": [], "lower": []}
    for ci, c in enumerate(comps):
        d = direction(c)
        if d is not None:
            words[d].append(num(results, f"{S}/comparisons_to_baseline/{ci}/value", "g"))
    if comps:
        s = ["Compared with ", *_setting(sw, num(results, f"{S}/baseline", "g")), " (",
             *stats_words(results, f"{S}/points/{base_i}/best_val_loss"), "), the best validation loss is "]
        if not words["higher"] and not words["lower"]:
            s += ["not significantly different at any other value (at the level of the report's comparisons)."]
        else:
            parts = [[f"significantly {d} at ", *_and(words[d])] for d in ("higher", "lower") if words[d]]
            s += [*parts[0], *([" and "] + parts[1] if len(parts) > 1 else []),
                  " (at the level of the report's comparisons; a seed that diverged is the worst outcome of an exact "
                  "rank test); the other values do not differ significantly."]
        out.append(s)
        # (the same configuration elsewhere in the report may have more seeds, hence another mean: say which)
        out.append(["These are means over the sweep's own seeds at each value (", *stats_n(results, S, base_i),
                    "); a section that shows the same configuration may average more seeds."])
    if sw["reference"] is not None:
        ref = group_by_name(results, sw["reference"]["group"])
        out.append([f"For reference, {ref['title']} at learning rate ", num(results, f"{S}/reference/lr", "g"),
                    " reaches ", *pm(results, f"{S}/reference/best_val_loss"), "."])
    return out
