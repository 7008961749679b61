"""The speed work changes no result: the runner's history equals a direct fit(), batched evaluation
equals image-by-image evaluation within float rounding (stated tolerance: 1e-6 relative), and
batched preprocessing equals preprocessing one image at a time. (GPU: tests/test_gpu.py checks that
CUDA-graph steps equal eager steps within 1e-4.)"""
import pytest
import torch

from conftest import minimal_study, write_study
from dcnn.study.resolve import load_study
from dcnn.data.images import load_digits_tasks
from dcnn.data.transforms import Preprocess, epoch_batches
from dcnn.registry.data import load_study_data
from dcnn.run.plan import plan
from dcnn.run.progress import Reporter
from dcnn.run.runner import run_study
from dcnn.store.build import Store
from dcnn.study.settings import RunConfig
from dcnn.train.fit import build_for_fit, evaluate, fit

TOLERANCE = 1e-6


def test_runner_history_equals_a_direct_fit(tmp_path):
    study_path = write_study(tmp_path / "study.yaml", minimal_study())
    study = load_study(study_path)
    build = tmp_path / "build"
    run_study(study, build, workers=2, device="cpu", reporter=Reporter(live=False, stream=open("/dev/null", "w")))
    store = Store(build)
    data = load_study_data(study, store, None)
    pretrains, jobs = plan(study, data, study.runs)
    backbone = store.read_backbone(pretrains[0].key)
    torch.set_num_threads(1)
    for job in jobs:
        cached = store.read_result(job.key)["history"]
        direct = fit(job.config, data.target.train, data.target.val, test=data.target.test,
                     init_state=backbone if job.backbone else None).history
        strip = lambda h: [{k: v for k, v in row.items() if k != "seconds"} for row in h]
        assert strip(cached) == strip(direct), job.label


class CountingModel(torch.nn.Module):
    """The model, counting the batches it is called on."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, x):
        self.calls += 1
        return self.model(x)


def test_batched_evaluation_equals_one_image_at_a_time():
    # 650 validation images: more than one evaluation batch (at most 500 at 32x32), so two batches.
    task = load_digits_tasks(train_per_class=5, val_per_class=130)[1]
    cfg = RunConfig(model="vgg16", num_classes=5, lr=0.01, seed=0, width_divisor=8)
    model = build_for_fit(cfg, None)
    pre = Preprocess(None, (0.1, 0.1, 0.1), (0.3, 0.3, 0.3))
    counting = CountingModel(model)
    ev = evaluate(counting, task.val, pre)
    loss, acc = ev["val_loss"], ev["val_acc"]
    assert counting.calls == 2
    model.eval()
    losses, correct, outs = [], 0, []
    with torch.no_grad():
        for i in range(len(task.val)):
            out = model(pre(task.val.x[i:i + 1], train=False))
            outs.append(out[0])
            losses.append(torch.nn.functional.cross_entropy(out, task.val.y[i:i + 1]).item())
            correct += int(out.argmax(1).item() == task.val.y[i].item())
    assert loss == pytest.approx(sum(losses) / len(losses), rel=TOLERANCE)
    assert acc == correct / len(task.val)
    # The collapse measures: the most predicted class's share, and how much each logit varies.
    logits = torch.stack(outs).double()
    preds = [int(o.argmax()) for o in outs]
    assert ev["val_top_share"] == max(preds.count(c) for c in set(preds)) / len(preds)
    spread = (logits.max(0).values - logits.min(0).values).mean().item()
    assert ev["val_logit_range"] == pytest.approx(spread, rel=1e-5)


def test_batched_preprocessing_equals_one_image_at_a_time():
    # 600 training images: more than one preprocessing chunk (510 images at batch 3), so two chunks.
    task = load_digits_tasks(train_per_class=120, val_per_class=5)[1]
    pre = Preprocess(None, (0.2, 0.3, 0.4), (0.5, 0.6, 0.7))
    chunks = []
    counting = lambda x, **kw: (chunks.append(len(x)), pre(x, **kw))[1]
    gen_a, gen_b = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    batches = list(epoch_batches(task.train, 3, counting, gen_a))
    assert chunks == [510, 90]
    order = torch.randperm(len(task.train), generator=gen_b)
    singles = [pre(task.train.x[i:i + 1], train=True) for i in order.tolist()]
    assert torch.equal(torch.cat([x for x, _ in batches]), torch.cat(singles))
    assert torch.equal(torch.cat([y for _, y in batches]), task.train.y[order])
    assert [len(y) for _, y in batches] == [3] * 200
