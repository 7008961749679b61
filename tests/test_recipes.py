"""Every recipe setting a fine-tuning study varies acts, and acts as declared: schedules' rates against
their formulas, discriminative and layer-wise rates, gradual unfreezing, EMA, smoothing, mixup,
CutMix, the augmentation policies, erasing, clipping, stochastic depth, early stopping and a run's
own image size — each trained on a tiny task through dcnn's own fit()."""
import math

import pytest
import torch

from dcnn.data.images import load_digits_tasks
from dcnn.study.settings import RunConfig
from dcnn.study.words import recipe_words
from dcnn.train import optim
from dcnn.train.fit import fit


@pytest.fixture(scope="module")
def task():
    torch.set_num_threads(1)
    _, target = load_digits_tasks(train_per_class=4, val_per_class=2, image_size=32, test_per_class=2,
                                  target_digits=(0, 1, 2, 3, 4), source_digits=())
    return target


def cfg(**kw) -> RunConfig:
    base = dict(model="vgg16", width_divisor=32, lr=0.05, seed=1, epochs=3, batch_size=4, num_classes=5)
    return RunConfig(**{**base, **kw})


def train(task, **kw):
    return fit(cfg(**kw), task.train, task.val, test=task.test)


def column(result, key):
    return [h[key] for h in result.history]


# ---- the learning rate over time ---------------------------------------------------------------------

def rates(config: RunConfig, steps_per_epoch: int) -> list[float]:
    """The rate of each optimizer step, as the run's scheduler sets it."""
    model = torch.nn.Linear(2, 2)
    opt = optim.make_optimizer(config, list(model.parameters()))
    sched = optim.make_scheduler(config, opt, steps_per_epoch)
    out = []
    for _ in range(config.epochs * steps_per_epoch):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    return out


def test_warmup_then_cosine_follow_their_formulas():
    c = cfg(schedule="cosine", warmup_epochs=1, min_lr=0.005, epochs=4, lr=0.1)
    got, n, warm = rates(c, 5), 20, 5
    for k, lr in enumerate(got):
        want = 0.1 * (k + 1) / warm if k < warm else \
            0.005 + (0.1 - 0.005) * 0.5 * (1 + math.cos(math.pi * (k - warm) / (n - warm)))
        assert lr == pytest.approx(want, rel=1e-9), k


def test_step_drops_the_rate_after_each_listed_epoch_and_constant_keeps_it():
    got = rates(cfg(schedule="step", step_epochs=[1, 2], step_gamma=0.5, epochs=3, lr=0.08), 4)
    assert got == pytest.approx([0.08] * 4 + [0.04] * 4 + [0.02] * 4)
    assert rates(cfg(epochs=2), 3) == [0.05] * 6


def test_onecycle_is_torchs_and_peaks_at_the_rate():
    got = rates(cfg(schedule="onecycle", epochs=4), 5)
    assert max(got) == pytest.approx(0.05) and got[0] < 0.01 and got[-1] < 1e-4
    assert got.index(max(got)) == round(0.3 * 20) - 1


def test_a_run_records_the_rate_of_each_epochs_last_step(task):
    r = train(task, schedule="step", step_epochs=[1], step_gamma=0.1)
    assert column(r, "lr") == pytest.approx([0.05, 0.005, 0.005])


def test_discriminative_rates_and_layer_decay_give_each_group_its_rate(task):
    from dcnn.train.models import build_for_fit

    c = cfg(lr_scale={"features": 0.1, "features.28": 0.5})
    model = build_for_fit(c, None)
    groups = optim.param_groups(model, c, "classifier.6", set())
    lr_of = {id(p): g["lr"] for g in groups for p in g["params"]}
    assert lr_of[id(model.features[0].weight)] == pytest.approx(0.005)      # features: 0.1 ×
    assert lr_of[id(model.features[28].weight)] == pytest.approx(0.025)     # the longest path wins: 0.5 ×
    assert lr_of[id(model.classifier[6].weight)] == pytest.approx(0.05)
    c = cfg(layer_decay=0.5)
    groups = optim.param_groups(build_for_fit(c, None), c, "classifier.6", set())
    assert sorted(g["lr"] for g in groups)[-3:] == pytest.approx([0.0125, 0.025, 0.05])   # head, one back, two back
    assert len(groups) == 16                                                 # 13 convs and 3 linears


def test_gradual_unfreezing_grows_the_trainable_parameters_at_its_epochs(task):
    r = train(task, freeze=("features[0:30]",), unfreeze={2: ["features[15:30]"], 3: ["features[0:15]"]})
    tp = column(r, "trainable_params")
    assert tp[0] < tp[1] < tp[2] == r.total_params
    frozen = train(task, freeze=("features[0:30]",))
    assert column(frozen, "train_loss")[0] == column(r, "train_loss")[0]    # epoch 1 is the frozen run's
    assert column(frozen, "train_loss")[1] != column(r, "train_loss")[1]


# ---- what each setting changes ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def baseline(task):
    return train(task)


@pytest.mark.parametrize("setting", [
    {"label_smoothing": 0.1}, {"mixup": 0.4}, {"cutmix": 1.0}, {"augment": "randaugment"},
    {"augment": "trivialaugment"}, {"augment": "autoaugment"}, {"random_erasing": 0.5}, {"clip_grad": 0.05},
    {"optimizer": "adamw", "weight_decay": 0.05, "lr": 0.002}, {"momentum": 0.9, "nesterov": True},
    {"image_size": 40},
])
def test_each_setting_changes_the_history(task, baseline, setting):
    changed = train(task, **setting)
    assert column(changed, "train_loss") != column(baseline, "train_loss")


def test_ema_evaluates_the_averaged_weights_and_trains_the_same(task, baseline):
    r = train(task, ema=0.9)
    assert column(r, "train_loss")[0] == column(baseline, "train_loss")[0]   # training is untouched ...
    assert column(r, "val_loss") != column(baseline, "val_loss")             # ... validation sees the average


def test_a_smoothed_or_mixed_objective_records_the_clean_training_loss_and_the_gaps_use_it(task, baseline):
    from dcnn.analysis.metrics import compute_metrics

    r = train(task, label_smoothing=0.2)
    clean = column(r, "train_clean_loss")
    assert all(c is not None for c in clean) and clean != column(r, "train_loss")
    m = compute_metrics(r.history, 5)
    assert m["gap_train_loss"] == "train_clean_loss" and m["overfit_gap"] == pytest.approx(r.history[-1]["val_loss"] - clean[-1])
    assert compute_metrics(baseline.history, 5)["gap_train_loss"] == "train_loss"
    assert all(h.get("train_clean_loss") is None for h in baseline.history)


def test_stochastic_depth_changes_a_model_that_has_it(task):
    kw = dict(model="efficientnet_b0", width_divisor=1, epochs=1, batch_size=10, lr=0.01)
    assert column(train(task, drop_path=0.0, **kw), "train_loss") != column(train(task, drop_path=0.5, **kw), "train_loss")


def test_early_stop_ends_a_run_that_no_longer_improves(task):
    r = train(task, lr=1e-9, epochs=8, early_stop=2)       # a rate this small moves nothing: no improvement
    assert r.status == "complete" and r.stopped_early == 3 and len(r.history) == 3


class _Stops:
    """A checkpoint in memory that makes the run stop after ``epoch``."""

    def __init__(self):
        self.state = None

    def load(self):
        return self.state

    def save(self, state):
        import copy

        self.state = copy.deepcopy(state)


def test_a_resumed_run_with_a_schedule_ema_and_unfreezing_gives_the_uninterrupted_history(task):
    kw = dict(schedule="cosine", warmup_epochs=1, ema=0.8, freeze=("features[0:30]",),
              unfreeze={2: ["features[15:30]"]}, mixup=0.3, epochs=3)
    whole = train(task, **kw)
    ckpt = _Stops()
    first = fit(cfg(**kw), task.train, task.val, test=task.test, checkpoint=ckpt, should_stop=lambda: True)
    assert first.status == "interrupted" and len(first.history) == 1
    rest = fit(cfg(**kw), task.train, task.val, test=task.test, checkpoint=ckpt)
    strip = lambda h: [{k: v for k, v in row.items() if k != "seconds"} for row in h]  # noqa: E731
    assert strip(rest.history) == strip(whole.history)


def test_the_recipe_in_words():
    assert recipe_words({**cfg(schedule="cosine", warmup_epochs=1).model_dump()}) == ["cosine decay after 1 warmup epoch"]
    words = recipe_words(cfg(label_smoothing=0.1, mixup=0.2, augment="randaugment", ema=0.999).model_dump())
    assert words == ["label smoothing 0.1", "mixup α = 0.2", "RandAugment",
                     "EMA of weights, decay 0.999 (validation and test use the averaged weights)"]
    assert recipe_words(cfg().model_dump()) == []
