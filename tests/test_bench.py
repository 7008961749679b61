"""The benchmark scripts still run (their tiny modes, in seconds): a benchmark that no longer runs is a bug."""
import subprocess
import sys

from conftest import ROOT


def run(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cpu_benchmark_tiny_mode_prints_both_speeds_and_their_ratio():
    out = run("cpu_study.py", "--tiny")
    assert "bare PyTorch loop" in out and "dcnn runner" in out and "ratio runner/bare" in out


def test_gpu_benchmark_tiny_mode_runs_on_the_cpu(tmp_path):
    out = run("gpu_study.py", "--tiny", "--out", str(tmp_path))
    assert "naive (sequential, eager fp32, DataLoader)" in out and "x naive" in out
    assert (tmp_path / "gpu_bench.json").exists()


def test_cpu_benchmark_tiny_mode_prints_the_roofline():
    out = run("cpu_study.py", "--tiny")
    assert "copy bandwidth" in out and "GFLOP/s" in out and "nearer" in out
    row = next(l for l in out.splitlines() if l.strip().endswith("%") and ("memory" in l or "arithmetic" in l))
    assert float(row.split()[-2]) > 0                        # the step's share of its nearer limit, in %


def test_the_roofline_predicts_a_builds_compute_from_the_steps_its_runs_took(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    import roofline
    from conftest import dcnn_here, minimal_study, write_study

    study = write_study(tmp_path / "study.yaml", minimal_study())
    build = tmp_path / "b"
    dcnn_here("report", "--run-missing", "--no-pdf", "--study", str(study), "--build", str(build), check=True)
    _, profiles = roofline.roofline(study, n_steps=2, repeat=1)
    assert profiles and all(p.step_s > 0 and p.flops > 0 and p.bytes > 0 for p in profiles.values())
    compute = roofline.predicted_compute(build, profiles, study)
    # every run's steps at its step time, and every epoch's evaluations: more than one run's steps alone
    one = min(p.step_s for p in profiles.values())
    assert compute > one
    limits = roofline.machine_limits(1)
    bound = roofline.predicted_compute(build, profiles, study, limits=limits)
    assert 0 < bound < compute          # every step slower than its roofline bound, so the study too
