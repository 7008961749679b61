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
