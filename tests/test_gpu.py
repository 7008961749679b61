"""The CUDA path: graph-captured steps match eager ones; runs train on the GPU. Skipped without CUDA."""
from contextlib import nullcontext

import pytest
import torch

from dcnn.data.images import load_digits_tasks
from dcnn.study.settings import RunConfig
from dcnn.train.steps import EagerStep, GraphedStep
from dcnn.train.fit import build_for_fit, fit, make_optimizer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_graphed_steps_equal_eager_steps():
    torch.backends.cudnn.deterministic = True
    cfg = RunConfig(model="vgg16", num_classes=5, lr=0.01, seed=0, width_divisor=8, batch_size=4, momentum=0.9)
    x = torch.rand(40, 3, 32, 32, device="cuda")
    y = torch.randint(0, 5, (40,), device="cuda")
    losses = []
    for graphed in (False, True):
        model = build_for_fit(cfg, None).cuda().eval()  # eval: no dropout, so the two are comparable
        opt = make_optimizer(cfg, [p for p in model.parameters() if p.requires_grad])
        step = EagerStep(model, opt, nullcontext, False)
        if graphed:
            step = GraphedStep(step, 4)
        losses.append([float(step(x[i:i + 4], y[i:i + 4])) for i in range(0, 40, 4)])
        if graphed:
            assert step.graph is not None and not step.failed
        weights = [p.detach().clone() for p in model.parameters()]
        if not graphed:
            eager_weights = weights
    assert losses[0] == pytest.approx(losses[1], rel=1e-4, abs=1e-5)
    for a, b in zip(eager_weights, weights):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("bf16,channels_last,rel", [(False, True, 1e-3), (True, False, 5e-2), (True, True, 5e-2)])
def test_speed_options_give_the_fp32_numbers_within_their_rounding(bf16, channels_last, rel):
    task = load_digits_tasks(train_per_class=10, val_per_class=5)[1]
    base = dict(model="vgg16", num_classes=5, lr=0.01, seed=0, epochs=2, batch_size=3, width_divisor=8)
    fp32 = fit(RunConfig(**base), task.train, task.val, device="cuda")
    res = fit(RunConfig(**base, bf16=bf16, channels_last=channels_last), task.train, task.val, device="cuda")
    assert fp32.status == res.status == "complete" and len(res.history) == 2
    for a, b in zip(fp32.history, res.history):
        for k in ("train_loss", "val_loss"):
            assert b[k] == pytest.approx(a[k], rel=rel), (k, a, b)
    if bf16:   # the option took effect: bfloat16 rounding shows in the losses
        assert [h["train_loss"] for h in res.history] != [h["train_loss"] for h in fp32.history]


def test_divergence_is_caught_on_the_gpu():
    task = load_digits_tasks(train_per_class=10, val_per_class=5)[1]
    res = fit(RunConfig(model="vgg16", num_classes=5, lr=1e6, seed=0, epochs=3, width_divisor=8),
              task.train, task.val, device="cuda")
    assert res.status == "diverged" and res.diverged_epoch == 1
