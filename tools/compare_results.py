"""Do two builds hold the same numbers? Compare two results.json files run by run, bit for bit.

    python tools/compare_results.py OLD/results.json NEW/results.json

Runs are matched by (variant, lr, seed); a run trained in both is the same when its status and
every epoch's epoch, train_loss, val_loss and val_acc are equal to the last digit (timings are left
out); a run not trained in one of them is counted apart. Each backbone's pretraining history is compared
too (a study that pretrains nothing says so).
Exits 1 when a run both files trained differs. Used to check that a refactor changed no result
(BENCHMARKS.md).
"""
from __future__ import annotations

import json
import sys

FIELDS = ("epoch", "train_loss", "val_loss", "val_acc")


def _runs(results: dict) -> dict[tuple, dict]:
    return {(r["variant"], r["lr"], r["seed"]): r for r in results["runs"]}


def _numbers(run: dict) -> tuple:
    return run["status"], [{k: e[k] for k in FIELDS} for e in run.get("history") or []]


def _pretraining(results: dict) -> list[list]:
    """Each backbone's pretraining history (none for a study that pretrains nothing: torchvision's weights,
    or no pretrained run)."""
    p = results["study"].get("pretraining") or {}
    backbones = p["backbones"] if "backbones" in p else [p] if p.get("history") else []
    return [[{k: e[k] for k in FIELDS} for e in b.get("history") or []] for b in backbones]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    a, b = (json.loads(open(p).read()) for p in argv)
    ra, rb = _runs(a), _runs(b)
    both = sorted(set(ra) & set(rb), key=str)
    trained = lambda r: r["status"] in ("complete", "diverged")  # noqa: E731
    common = [k for k in both if trained(ra[k]) and trained(rb[k])]
    differ = [k for k in common if _numbers(ra[k]) != _numbers(rb[k])]
    print(f"{len(common)} runs trained in both: {len(common) - len(differ)} identical, {len(differ)} different; "
          f"not trained in one of them: {len(both) - len(common)}; "
          f"only in the first: {len(set(ra) - set(rb))}, only in the second: {len(set(rb) - set(ra))}")
    for k in differ[:10]:
        print("  differs:", *k)
    pre_a, pre_b = _pretraining(a), _pretraining(b)
    same_pre = pre_a == pre_b
    if not pre_a and not pre_b:
        print("pretraining: none in either")
    else:
        epochs = ", ".join(str(len(h)) for h in pre_b) or "none"
        print(f"pretraining history ({len(pre_b)} backbone{'s' if len(pre_b) != 1 else ''}, {epochs} epochs):",
              "identical" if same_pre else "different")
    return 1 if differ or not same_pre else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
