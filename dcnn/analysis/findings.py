"""Findings first: the report's summary (after the title) and its closing discussion, generated from
the verdicts, the metrics, the rankings and the selection gap of any study — never written by hand.
Every decimal number points into results.json; counts of configurations are counted here."""
from __future__ import annotations

from collections import Counter

from .metrics import LEARNED_FRACTION
from .numbers import Sentence, and_list, num, percent
from .sentences import pm

METRIC_WORDS = {"test_loss_at_best": "test loss at the epoch chosen on validation",
                "best_val_loss": "best validation loss", "overfit_gap": "overfitting gap"}
VERDICTS = ("supported", "contradicted", "inconclusive")


def claims_metric(r: dict) -> str:
    """The metric most of the study's claims are judged on (its test loss where there is a test split)."""
    used = Counter(c["metric"] for c in r["claims"] if c.get("metric") in ("test_loss_at_best", "best_val_loss"))
    if used:
        return used.most_common(1)[0][0]
    return "test_loss_at_best" if r["study"]["data"]["target"].get("test_images") else "best_val_loss"


def _trained(r: dict) -> list[int]:
    return [gi for gi, g in enumerate(r["groups"]) if g["sweep"] is None and g["n_done"]]


def _best(r: dict, metric: str, among: list[int]):
    have = [gi for gi in among if r["groups"][gi]["metrics"][metric]["n"]]
    return min(have, key=lambda gi: r["groups"][gi]["metrics"][metric]["mean"]) if have else None


def _name(r: dict, gi: int) -> list:
    g = r["groups"][gi]
    return [f"{g['title']} at learning rate ", num(r, f"/groups/{gi}/lr", "g"), f" (§{g['section']})"]


def failures(r: dict, among: list[int]) -> tuple[list[int], list[int]]:
    """(configurations whose every seed diverged, configurations that never learned in any seed)."""
    dead = [gi for gi in among if r["groups"][gi]["n_diverged"] == r["groups"][gi]["n_done"]]
    never = [gi for gi in among if gi not in dead and not r["groups"][gi]["n_learned"]]
    return dead, never


def summary_sentences(r: dict) -> list[Sentence]:
    """The abstract: what was run and substituted, what was found, and the claims' tally."""
    trained = _trained(r)
    out: list[Sentence] = [["This study trained ", num(r, "/study/n_done", "int"), " of its ", num(r, "/study/n_runs", "int"),
                            f" declared runs, {len(trained)} configurations (a variant at a learning rate) with their seeds, on ",
                            r["study"]["data"]["target"]["name"], "."]]
    p = r["study"]["pretraining"]
    done = [b for b in p.get("backbones") or [] if b.get("status") == "complete"]
    if p["kind"] == "own" and done:
        b = done[0]
        accs = [num(r, f"/study/pretraining/backbones/{i}/source_accuracy", "pct")
                for i, x in enumerate(p["backbones"]) if x.get("status") == "complete"]
        whose = "the original's" if r["study"]["paper"] else "a published"
        out.append([f"Its “pretrained {b['arch'].upper()}” is not {whose} network: it is this study's own {b['model']} "
                    f"(widths divided by {b['width_divisor']}) pretrained on {p['source_task']}, "
                    f"{len(done)} backbone{'s' if len(done) > 1 else ''} whose held-out accuracy on that task is ",
                    *and_list(accs), "; every statement about pretraining is conditional on it."])
    metric = claims_metric(r)
    other = "best_val_loss" if metric != "best_val_loss" else "test_loss_at_best"
    best = _best(r, metric, trained)
    if best is not None:
        s = ["The lowest ", METRIC_WORDS[metric], " (the metric the claims use) is that of ", *_name(r, best), ", ",
             *pm(r, f"/groups/{best}/metrics/{metric}")]
        if r["groups"][best]["metrics"][other]["n"]:
            s += [f" ({METRIC_WORDS[other]} ", *pm(r, f"/groups/{best}/metrics/{other}"), ")"]
        s.append(".")
        alt = _best(r, other, trained)
        if alt is not None and alt != best:
            s += [" On the ", METRIC_WORDS[other], " instead, ", *_name(r, alt), " is lowest (",
                  *pm(r, f"/groups/{alt}/metrics/{other}"), "): the two splits rank them differently."]
        out.append(s)
    dead, never = failures(r, trained)
    if dead or never:
        s = [f"Of the {len(trained)} configurations, {len(dead)} diverged in every seed and {len(never)} more never "
             f"learned (best validation loss above {percent(LEARNED_FRACTION)} of chance)"]
        for lr in sorted({r["groups"][gi]["lr"] for gi in trained}):
            at = [gi for gi in trained if r["groups"][gi]["lr"] == lr]
            if len(at) > 1 and all(gi in dead or gi in never for gi in at):
                s += ["; at learning rate ", num(r, f"/groups/{at[0]}/lr", "g"), " none of them learned"]
        out.append(s + ["."])
    if r["claims"]:
        tally = Counter(c["verdict"] for c in r["claims"])
        whose = f"the statements of {r['study']['paper']}" if r["study"]["paper"] else "the study's claims"
        out.append([f"Of {whose} ({len(r['claims'])} claims checked), ",
                    *and_list([f"{tally.get(v, 0)} {'are' if tally.get(v, 0) != 1 else 'is'} {v}" for v in VERDICTS]),
                    ", at a family-wise error rate of ", num(r, "/study/analysis/alpha", "g"), "."])
    return out


def _list(indices: list[int]) -> str:
    return ", ".join(str(ci + 1) for ci in indices)


def _claims(indices: list[int]) -> str:
    return ("claim " if len(indices) == 1 else "claims ") + _list(indices)


def _direction(c: dict) -> str:
    """"along" or "against" the statement, for a claim that one group is lower or higher than another."""
    d = c.get("comparison") or {}
    if c["kind"] not in ("lower", "higher") or d.get("difference") is None:
        return ""
    return "along" if (d["difference"] < 0) == (c["kind"] == "lower") else "against"


def _reordered(r: dict, rankings: list[dict]) -> list[Sentence]:
    """The rankings whose first place on the claims' metric is not the first on validation loss."""
    out: list[Sentence] = []
    metric = claims_metric(r)
    if metric != "best_val_loss":
        for rk in rankings:
            have = [gi for gi in rk["groups"] if r["groups"][gi]["metrics"][metric]["n"]]
            if len(have) < 2:
                continue
            on_val = [gi for gi in have if r["groups"][gi]["metrics"]["best_val_loss"]["n"]]
            if not on_val:
                continue
            m = lambda gi: r["groups"][gi]["metrics"][metric]["mean"]  # noqa: E731
            a = min(on_val, key=lambda gi: r["groups"][gi]["metrics"]["best_val_loss"]["mean"])
            b = min(have, key=m)
            if a != b:
                out.append([f"Among the {rk['heading'][0].lower() + rk['heading'][1:]}, validation loss ranks "
                            f"{r['groups'][a]['title']} first, but on the ",
                            METRIC_WORDS[metric], f" {r['groups'][b]['title']} is lowest (", *pm(r, f"/groups/{b}/metrics/{metric}"),
                            " against ", *pm(r, f"/groups/{a}/metrics/{metric}"), "): a statement drawn from the "
                            "validation ranking need not carry over to unseen images."])
    return out


def discussion_sentences(r: dict, rankings: list[dict]) -> list[Sentence]:
    """Where the study's findings meet the original's statements: the decided claims one by one, the
    undecided together, rankings that the claims' metric reorders, and what choosing on validation flatters."""
    out: list[Sentence] = []
    whose = r["study"]["paper"] or "the study"
    for ci, c in enumerate(r["claims"]):
        if c["verdict"] in ("supported", "contradicted"):
            out.append([f"{whose} states: “{c['says'].rstrip('.')}”. Here it is {c['verdict']} (claim {ci + 1}, "
                        f"§{c['section']}, at level ", num(r, f"/claims/{ci}/level", "e3"), ")."])
    open_ = [ci for ci, c in enumerate(r["claims"]) if c["verdict"] == "inconclusive"]
    if open_:
        collapsed = [ci for ci in open_ if (r["claims"][ci].get("reason") or "").endswith("collapsed")]
        s = [f"{len(open_)} of the {len(r['claims'])} statements stay undecided at these seeds"]
        if collapsed:
            s.append(f"; in {len(collapsed)} of them ({_claims(collapsed)}) every seed compared collapsed, so the "
                     "runs say nothing about the statement")
        out.append(s + ["."])
        against = [ci for ci in open_ if _direction(r["claims"][ci]) == "against"]
        along = [ci for ci in open_ if _direction(r["claims"][ci]) == "along"]
        if along:
            out.append([f"In {_claims(along)} the difference lies in the stated direction without being "
                        "significant at the level each is tested at; the claims table gives the seeds each would need."])
        if against:
            said = [[f"“{r['claims'][ci]['says'].rstrip('.')}” (a − b = ", num(r, f"/claims/{ci}/comparison/difference"),
                     ")"] for ci in against]
            out.append([f"In {_claims(against)} the difference has the opposite sign to the statement: ",
                        *[x for part in and_list(said) for x in (part if isinstance(part, list) else [part])],
                        "; more seeds could contradict rather than support them."])
    out += _reordered(r, rankings)
    if r.get("selection"):
        out.append(["Choosing each run's epoch on validation flattered ", num(r, "/selection/n_flattered", "int"), " of ",
                    num(r, "/selection/n_groups", "int"), " configurations, by ", num(r, "/selection/gap/mean"),
                    " on average: the test figures are the ones to quote."])
    return out
