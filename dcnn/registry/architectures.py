"""The numerics of dcnn's own models: how each is built and initialised (their names, words and rules
are their registered entries', registry/models.py). A change here can change a run's numbers: bump
``train.NUMERICS`` with it (tests/test_golden.py says so when a history moves).

Importing this module loads no torch: each builder imports it when it builds.
"""
from __future__ import annotations

import functools
from typing import Any, Optional

# torchvision's configuration "D" (VGG16): conv output widths, "M" = 2x2 max-pool.
VGG16_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                    512, 512, 512, "M", 512, 512, 512, "M")


def vgg_init(module) -> None:
    # torchvision's VGG initialisation; PyTorch's default init leaves the narrow VGG stuck at chance.
    from torch import nn

    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def scratch_cnn(num_classes: int, *, dropout: float = 0.0, **_: Any):
    """The small CNN trained from random initialisation (three conv blocks, two linear layers)."""
    from torch import nn

    class ScratchCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            )
            # A fixed 4x4 map makes the classifier independent of the input size (32 or 224).
            self.avgpool = nn.AdaptiveAvgPool2d((4, 4))
            self.classifier = nn.Sequential(
                nn.Flatten(), nn.Linear(64 * 4 * 4, 128), nn.ReLU(inplace=True),
                nn.Dropout(dropout) if dropout > 0 else nn.Identity(),  # keeps the layout fixed
                nn.Linear(128, num_classes),
            )

        def forward(self, x):
            return self.classifier(self.avgpool(self.features(x)))

    return ScratchCNN()


def vgg16(num_classes: int, *, width_divisor: int = 1, pool: int = 7, **_: Any):
    """torchvision's VGG16 with every channel width divided by ``width_divisor`` (1 = the real model) and
    its features averaged to ``pool`` × ``pool`` before the classifier (7 = torchvision's; at 32×32 the
    features end at 1×1, which a 7×7 pool only copies 49 times into a classifier 49 times wider)."""
    import torch
    from torch import nn
    from torchvision.models.vgg import VGG, make_layers

    cfg = [c if c == "M" else c // width_divisor for c in VGG16_CFG]
    last, hidden = 512 // width_divisor, 4096 // width_divisor
    # Built on the meta device (torchvision's constructor would allocate and initialise its own
    # 120M-parameter classifier first), then materialised once and initialised as torchvision does.
    with torch.device("meta"):
        model = VGG(make_layers(cfg, batch_norm=False), num_classes=num_classes, init_weights=False)
        if pool != 7:
            model.avgpool = nn.AdaptiveAvgPool2d((pool, pool))
        model.classifier = nn.Sequential(
            nn.Linear(last * pool * pool, hidden), nn.ReLU(True), nn.Dropout(0.5),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(0.5),
            nn.Linear(hidden, num_classes),
        )
    if torch.empty(0).device.type != "meta":  # unless the caller only wants shapes
        model.to_empty(device=torch.empty(0).device)
        vgg_init(model)
    return model


def vgg16_first_convs(k: int) -> Optional[str]:
    """VGG16 with its first k conv layers (and their ReLUs) frozen, for a freeze-depth sweep."""
    n_convs = sum(1 for c in VGG16_CFG if c != "M")
    if not 0 <= k <= n_convs:
        raise ValueError(f"frozen_conv_layers must be 0..{n_convs}, got {k}")
    index, seen = 0, 0
    for c in VGG16_CFG:
        if seen == k:
            break
        index += 1 if c == "M" else 2    # a pool, or a conv and its ReLU
        seen += c != "M"
    return f"features[0:{index}]" if k else None


def mlp(num_classes: int, *, dropout: float = 0.0, **_: Any):
    """A multilayer perceptron baseline: the image average-pooled to 8x8, two hidden layers."""
    from torch import nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.avgpool = nn.AdaptiveAvgPool2d((8, 8))     # any input size (32 or 224) → 3x8x8 values
            self.features = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 256), nn.ReLU(inplace=True),
                                          nn.Linear(256, 128), nn.ReLU(inplace=True))
            self.classifier = nn.Sequential(nn.Dropout(dropout) if dropout > 0 else nn.Identity(),
                                            nn.Linear(128, num_classes))

        def forward(self, x):
            return self.classifier(self.features(self.avgpool(x)))

    return MLP()


def torchvision_model(name: str, num_classes: int, *, drop_path: Optional[float] = None, **_: Any):
    """Any torchvision classification model, from random initialisation (its weights: weights.py), with
    its stochastic depth at ``drop_path`` (None: the model's own default)."""
    import torchvision

    extra = {"stochastic_depth_prob": drop_path} if drop_path is not None else {}
    return torchvision.models.get_model(name, weights=None, num_classes=num_classes, **extra)


@functools.lru_cache(maxsize=None)
def torchvision_takes(name: str, argument: str) -> bool:
    """True when torchvision's ``name`` takes ``argument`` (tried on the meta device: no memory)."""
    import torch
    import torchvision

    try:
        with torch.device("meta"):
            torchvision.models.get_model(name, weights=None, num_classes=2, **{argument: 0.1})
    except TypeError:
        return False
    return True
