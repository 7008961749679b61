#!/usr/bin/env bash
# The one prepared GPU session (see BENCHMARKS.md): the CUDA tests, then bench/gpu_study.py.
# Run on the device machine from the repository root with the carried wheels in .whl/ (pydantic is
# not installed there); everything it prints also lands in $OUT.
set -uo pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  && export PYTHONPATH=/tmp/site:$PWD || exit 1
export PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)" | tee -a "$OUT/gpu.txt"
timeout 180 python3 -m pytest -q -p no:cacheprovider tests/test_gpu.py ${TESTS:-tests/test_metrics.py tests/test_claims.py} 2>&1 \
  | tee "$OUT/gpu_tests.log"
timeout 420 python3 bench/gpu_study.py --workers ${WORKERS:-4 8} --out "$OUT" 2>&1 | grep -v "time left" | tee "$OUT/gpu_bench.log"
