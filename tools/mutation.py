"""Mutation testing of dcnn's pure analysis code, with mutmut (``make mutation``; not part of CI).

Runs ``mutmut run`` with the settings in pyproject.toml ([tool.mutmut]), then prints the score and
every surviving mutant's name. The survivors are explained (or were killed by a new test) in
MUTATION.md; ``mutmut show <name>`` prints one mutant's diff.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = [sys.executable, "-m", "mutmut"]


def main() -> int:
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)   # a fresh run, not one resumed from old code
    t0 = time.perf_counter()
    with open(ROOT / "mutation.log", "w") as log:     # mutmut's live progress is one very long line
        rc = subprocess.run([*MUTMUT, "run"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    minutes = (time.perf_counter() - t0) / 60
    if rc != 0:
        print(f"mutmut run failed ({rc}); see mutation.log", file=sys.stderr)
        return rc
    subprocess.run([*MUTMUT, "export-cicd-stats"], cwd=ROOT, check=True, capture_output=True)
    stats = json.loads((ROOT / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = subprocess.run([*MUTMUT, "results"], cwd=ROOT, check=True, capture_output=True,
                               text=True).stdout.split("\n")
    judged = stats["killed"] + stats["survived"] + stats["timeout"]
    print(f"{stats['total']} mutants in {minutes:.1f} min: {stats['killed']} killed, {stats['survived']} survived, "
          f"{stats['timeout']} timed out, {stats['no_tests']} not reached by any test")
    print(f"mutation score (killed + timed out) / (all but unreached): "
          f"{(stats['killed'] + stats['timeout']) / max(judged, 1):.1%}; of all mutants: "
          f"{(stats['killed'] + stats['timeout']) / max(stats['total'], 1):.1%}")
    for line in survivors:
        if line.strip():
            print(line.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
