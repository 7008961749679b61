"""What a run's training recipe changes in how its numbers read: an early stop, and gaps taken against
the training images' plain loss where the objective was not plain cross-entropy (label smoothing,
mixup, CutMix). Every number points into results.json."""
from __future__ import annotations

from .numbers import Sentence, and_list, num


def recipe_observations(results: dict, ri: int) -> list[Sentence]:
    """What a run's recipe changes in how its numbers read: an early stop, gaps taken against the
    training images' plain loss, the averaged weights validation saw."""
    R = f"/runs/{ri}"
    run = results["runs"][ri]
    out: list[Sentence] = []
    if run.get("stopped_early") is not None:
        out.append(["It stopped early, after epoch ", num(results, f"{R}/stopped_early", "int"),
                    ": its validation loss had not improved for its patience; the run is complete."])
    if run["metrics"].get("gap_train_loss") == "train_clean_loss":
        out.append(["Its training objective is not plain cross-entropy on the clean images, so its gaps are taken "
                    "against the training images' plain loss, measured after each epoch in evaluation mode."])
    return out


def recipe_sentences(results: dict, done: list[tuple[int, dict]]) -> list[Sentence]:
    """A group's early stops, and where its gaps are taken against the training images' plain loss."""
    out: list[Sentence] = []
    stopped = [i for i, r in done if r.get("stopped_early") is not None]
    if stopped:
        out.append([str(len(stopped)) if len(stopped) > 1 else "One", f" of the {len(done)} seeds stopped early (after "
                    "epoch ", *and_list([num(results, f"/runs/{i}/stopped_early", "int") for i in stopped]),
                    "): the validation loss had not improved for the run's patience."])
    if done and all(r["metrics"].get("gap_train_loss") == "train_clean_loss" for _, r in done):
        out.append(["The training objective is not plain cross-entropy on the clean images, so the gaps are "
                    "taken against the training images' plain loss, measured after each epoch in evaluation mode."])
    return out
