"""What dcnn writes in the report besides the figures: the introduction's generated paragraphs, the
learning-rate comparison, the rankings, the claims, the project information and the summary.
Every piece is true of any study; the study's own words come from its file."""
from __future__ import annotations

from typing import Any

from .. import analysis
from ..study.resolve import Study
from ..study.words import recipe_words
from .parts import Piece, builds

# Each piece is a function of the report's outline (outline.Outline: its study, results and the
# numbers it gave the parts) and of the number of the part it goes in.
Outline = Any

# Rankings: the variants of one configuration that differ from it in one setting only.
RANKED_SETTINGS = {"freeze": "Freezing strategies", "batch_size": "Batch sizes", "dropout": "Dropout rates",
                   "augment": "With and without augmentation", "normalise": "Normalisations", "model": "Models",
                   "optimizer": "Optimizers", "momentum": "Momentum values", "epochs": "Training lengths",
                   "pretrained": "Pretrained or not"}


def _descendants(study: Study, base: str) -> list[str]:
    """Every variant that extends ``base``, directly or through others."""
    out, frontier = [], [base]
    while frontier:
        children = [n for n, v in study.file.variants.items() if v.extends in frontier]
        out += children
        frontier = children
    return out


def rankings(study: Study, r: dict) -> list[dict]:
    """At each learning rate, for each configuration and each setting: the configuration and every
    variant built on it that differs from it in that setting alone (when there are at least three),
    ranked by the mean of the metric the claims use (best validation loss without claims)."""
    groups = {(g["variant"], g["lr"]): gi for gi, g in enumerate(r["groups"]) if g["sweep"] is None}
    lrs = sorted({lr for _, lr in groups}, reverse=True)
    metric = analysis.claims_metric(r) if r["claims"] else "best_val_loss"   # ranked on what the claims use
    mean = lambda gi: r["groups"][gi]["metrics"][metric]["mean"]  # noqa: E731
    out = []
    for key, heading in RANKED_SETTINGS.items():
        for lr in lrs:
            families = []
            for base in study.file.variants:
                if (base, lr) not in groups:
                    continue
                b = r["groups"][groups[(base, lr)]]["settings"]
                families.append([groups[(base, lr)]] + [
                    groups[(v, lr)] for v in _descendants(study, base) if (v, lr) in groups
                    and {k for k, val in r["groups"][groups[(v, lr)]]["settings"].items() if b[k] != val} == {key}])
            for family in families:   # the largest families only (not bs2's inside train-all's)
                if len(family) >= 3 and not any(set(family) < set(other) for other in families):
                    dead = all(r["groups"][gi]["n_done"] and r["groups"][gi]["n_diverged"] == r["groups"][gi]["n_done"]
                               for gi in family)
                    out.append({"heading": f"{heading} at learning rate {lr:g}", "setting": key, "lr": lr, "metric": metric,
                                "all_diverged": dead,
                                "base": r["groups"][family[0]]["variant"],
                                "groups": sorted(family, key=lambda gi: (mean(gi) is None, mean(gi) or 0.0))})
    return out


@builds("introduction")
def introduction(o: Outline, number: str) -> dict:
    """The task and the method, in the words every study shares."""
    r = o.r
    seeds = sorted({g["n_seeds"] for g in r["groups"] if g["sweep"] is None})
    data = ["The task is ", r["study"]["data"]["target"]["name"], ": ",
            analysis.num(r, "/study/data/target/train_images", "int"), " training and ",
            analysis.num(r, "/study/data/target/val_images", "int"), " validation images of ",
            analysis.num(r, "/study/data/target/image_size", "int"), "×",
            analysis.num(r, "/study/data/target/image_size", "int"), " pixels in ",
            str(len(r["study"]["data"]["target"]["classes"])), " classes, so a uniform guess has a cross-entropy of ln ",
            str(len(r["study"]["data"]["target"]["classes"])), " ≈ "]
    data += [analysis.num(r, "/runs/0/metrics/chance_loss"), "; every loss figure shows that level as a dotted line."] \
        if r["runs"] else ["its logarithm."]
    project = o.place.get("project", "")
    swept = sorted({g["n_seeds"] for g in r["groups"] if g["sweep"] is not None} - set(seeds))
    if seeds and max(seeds) > 1:
        how_many = f"{seeds[0]}" if len(seeds) == 1 else f"{seeds[0]} to {seeds[-1]}"
        if swept:   # (a sweep's points may have fewer seeds than the configurations)
            how_many += " seeds (the sweeps' points " + " to ".join(str(k) for k in dict.fromkeys([swept[0], swept[-1]])) + ")"
        else:
            how_many += " seeds"
        method = [f"Every setting is trained with {how_many}; figures show each seed faintly with the mean and its range, numbers are given as mean ± "
                  "standard deviation over seeds, and every comparison states its test (Welch's t-test at Hsu's degrees "
                  "of freedom, or an exact rank test where a seed diverged): a difference is called lower or higher "
                  "only when it is significant after correcting for the report's comparisons (a Benjamini–Hochberg "
                  "q-value below ", analysis.num(r, "/study/analysis/alpha", "g"), "), and otherwise is not called either."]
    else:
        method = ["Every setting is trained once (one seed), so no difference can be told from seed noise."]
    method += [f" All text under the figures is generated from the metrics defined in §{project}.3; "
               "nothing is written by hand."]
    recipes = recipe_sentence(r)
    return {"sentences": [data, method] + ([recipes] if recipes else [])}


def recipe_sentence(r) -> list:
    """The training recipes the study's variants use beyond a constant rate and plain cross-entropy,
    each with the variants that use it."""
    users: dict[str, list[str]] = {}
    for g in r["groups"]:
        for phrase in recipe_words(g["settings"] or {}):
            if g["variant"] not in users.setdefault(phrase, []):
                users[phrase].append(g["variant"])
    if not users:
        return []
    items = [f"{phrase} ({', '.join(v)})" for phrase, v in users.items()]
    return ["Beyond the settings above, the variants' training recipes use: " + "; ".join(items) + "."]


@builds("abstract", needed=lambda o: bool(o.r["runs"]))
def abstract(o: Outline, number: str) -> dict:
    """Findings first: the summary generated from the verdicts and the metrics (analysis/findings.py)."""
    return {"sentences": analysis.summary_sentences(o.r), "claims": o.place.get("claims"),
            "discussion": o.place.get("discussion"), "methods": o.place.get("project")}


@builds("discussion", needed=lambda o: bool(o.r["claims"]) or bool(o.rankings))
def discussion(o: Outline, number: str) -> dict:
    return {"sentences": analysis.discussion_sentences(o.r, o.rankings)}


@builds("learning_rates", needed=lambda o: bool(o.r["learning_rates"]["n"]))
def learning_rates(o: Outline, number: str) -> dict:
    r = o.r
    rows = []
    for gi, g in enumerate(r["groups"]):
        for ci in g.get("lr_comparisons", []):
            c = r["comparisons"][ci]
            hi = analysis.group_by_name(r, c["b"])
            rows.append({"title": g["title"], "group": g["group"], "low": gi, "high": analysis.group_index(r, c["b"]),
                         "low_lr": g["lr"], "high_lr": hi["lr"], "comparison": ci, "verdict": c["verdict"]})
    L = "/learning_rates"
    summary = ["Each configuration trained at two learning rates is compared on its best validation loss. The lower "
               "rate gives a significantly lower loss in ", analysis.num(r, f"{L}/n_lower", "int"), " of ",
               analysis.num(r, f"{L}/n", "int"), " comparisons (after correcting for the report's comparisons; a run "
               "that diverged is the worst outcome of an exact rank test), a significantly "
               "higher one in ", analysis.num(r, f"{L}/n_higher", "int"), ", and no significant difference in ",
               analysis.num(r, f"{L}/n_undecided", "int"), "."]
    high = [" At the higher rate, ", analysis.num(r, f"{L}/n_high_diverged", "int"),
            " of them diverged in every seed and ", analysis.num(r, f"{L}/n_high_never_learned", "int"),
            f" never learned (their best validation loss stayed above {analysis.percent(analysis.LEARNED_FRACTION)} "
            "of chance)."]
    return {"rows": rows, "sentences": [summary + high]}


@builds("claims", needed=lambda o: bool(o.r["claims"]))
def claims(o: Outline, number: str) -> dict:
    paper = o.r["study"]["paper"]
    whose = f"The statements of {paper}" if paper else "The study's claims"
    return {"whose": whose, "sequential": o.r["study"]["plan"]["looks"] > 1, "methods": o.place.get("project")}


@builds("project")
def project(o: Outline, number: str) -> dict:
    r, study = o.r, o.study
    envs = [run.get("env") or {} for run in r["runs"] if run.get("env")]
    versions = sorted({(e.get("python"), e.get("torch"), e.get("torchvision")) for e in envs})
    devices = sorted({e.get("device", "?") if e.get("device_name") in (None, "", e.get("device"))
                      else f"{e['device']} ({e['device_name']})" for e in envs})
    return {"number": number, "versions": versions, "devices": devices, "commands": reproduce(study, r),
            "pretraining": r["study"]["pretraining"], "methods": analysis.methods_sentences(r)}


def reproduce(study: Study, r: dict) -> list[str]:
    """The commands that rebuild this study: its file, profile and data."""
    file, profile, data = r["study"]["file"], r["study"]["profile"], r["study"]["data_dir"]
    make = [f"STUDY={file}"] if file != "study.yaml" else []
    make += [f"PROFILE={profile}"] if profile != "demo" else []
    make += [f"DATA={data}"] if data else []
    first = next(iter(study.file.variants), None)
    cli = f"python -m dcnn report --run-missing --study {file} --profile {profile}" + (f" --data {data}" if data else "")
    lines = [" ".join(["make report", *make]).ljust(44) + "# set up, train what is missing, write the report"]
    if first:
        lines.append(" ".join([f"make run VARIANT={first}", *make]).ljust(44) + "# one variant, all its learning rates and seeds")
    return lines + [cli]


@builds("summary", needed=lambda o: bool(o.r["runs"]))
def summary(o: Outline, number: str) -> dict:
    return {}


APPENDIX_HEADINGS = ("Machines and software", "Compute", "What the error bars capture", "Settings that vary",
                     "Size of every variant", "Reproducibility checklist")


@builds("reproducibility")
def reproducibility(o: Outline, number: str) -> dict:
    """The reproducibility appendix: what it says comes from results.json's ``provenance``; here, the
    checklist items of the NeurIPS paper checklist on experiments, each with where the report answers it."""
    P, R = o.place.get("project", ""), number
    summary = o.place.get("summary")
    where = lambda *refs: [(f"§{ref}", f"s{ref}") for ref in refs if ref and not ref.startswith(".")]  # noqa: E731
    items = [
        ("Experimental result reproducibility: the commands, the code and the data that rebuild every number",
         where(f"{P}.1", f"{P}.2", f"{R}.1")),
        ("Experimental setting and details: hyperparameters, how they were chosen, the splits",
         where(f"{R}.4", f"{P}.2", f"{P}.3") + ([(f"Appendix {summary}", f"s{summary}")] if summary and not summary[0].isdigit()
                                                else where(summary or ""))),
        ("Statistical significance: error bars, what they capture, the test behind each verdict",
         where(f"{R}.3", f"{P}.4")),
        ("Compute resources: the device, the time of every run and in total", where(f"{R}.2", f"{R}.1")),
        ("Open access to data and code: the data's fingerprint and the code's version", where(f"{R}.1", f"{P}.1")),
    ]
    return {"number": number, "headings": APPENDIX_HEADINGS, "versions": project(o, number)["versions"],
            "checklist": [{"item": item, "where": refs} for item, refs in items],
            "error_bars": analysis.methods_sentences(o.r)[0], "methods": o.place.get("project")}


@builds("rankings", needed=lambda o: bool(o.rankings), items=True)
def ranked(o: Outline, number: str, free) -> list[Piece]:
    """One numbered subsection per ranking of the variants that differ in one setting."""
    out = []
    for ranking in o.rankings:
        n = next(free)
        out.append(Piece("ranking", n, ranking["heading"], 3, f"s{n}", ranking))
    return out


@builds("selection", needed=lambda o: bool(o.r.get("selection")), items=True)
def selection(o: Outline, number: str, free) -> list:
    """Validation against test: what choosing the best epoch on validation flatters."""
    return [o.builder.selection_block(next(free))]
