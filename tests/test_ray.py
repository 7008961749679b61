"""The Ray executor on a real local Ray cluster writes the same cache as the local executor."""
import json

import ray  # installed by the test set-up (`.[test,ray]`): a missing Ray must fail, not skip

from conftest import minimal_study, write_study
from dcnn.cli import main


def cache_content(build):
    """Every cached file's payload, keyed by its path under the build dir, without times and hosts."""
    out = {}
    for f in sorted(build.glob("*/*/result.json")):
        payload = json.loads(json.loads(f.read_text())["payload"])
        for k in ("train_seconds", "finished_at", "env"):
            payload.pop(k)
        for h in payload["history"]:
            h.pop("seconds")
        out[str(f.relative_to(build))] = payload
    out["backbones"] = sorted(str(p.relative_to(build)) for p in build.glob("pretrain/*/backbone.pt"))
    return out


def test_ray_executor_matches_the_local_one(tmp_path, capsys):
    study = write_study(tmp_path / "study.yaml", minimal_study())
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert main(["run", "--executor", "ray", "--study", str(study), "--build", str(tmp_path / "ray")]) == 0
        assert "4 trained" in capsys.readouterr().err
    finally:
        ray.shutdown()
    assert main(["run", "-j", "1", "--study", str(study), "--build", str(tmp_path / "local")]) == 0
    ray_cache, local_cache = cache_content(tmp_path / "ray"), cache_content(tmp_path / "local")
    assert len(ray_cache) == 5 and ray_cache == local_cache
