"""First load of the embedded model (GGUF → dequantise → cache as safetensors) vs a second load
(from the cache).  Target: the second at least 5x faster.

Each load runs in a fresh process with a fresh temporary cache, so nothing is shared through
module state.  The child times ``load_model`` itself (imports excluded); the wall time of the
whole process, imports included, is printed beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import time
from rcwork.models import load_model
t0 = time.perf_counter()
load_model('embedded')
print(time.perf_counter() - t0)
"""


def timed_load(cache: str) -> tuple[float, float]:
    env = {**os.environ, "RCWORK_CACHE": cache, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                         capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1]), time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        first, first_wall = timed_load(cache)
        seconds = [timed_load(cache) for _ in range(3)]
    second = sorted(s for s, _ in seconds)[1]
    second_wall = sorted(w for _, w in seconds)[1]
    print(f"{'':32}{'load_model':>12}{'process':>10}")
    print(f"{'first load (convert + cache)':32}{first:11.2f}s{first_wall:9.2f}s")
    print(f"{'second load (median of 3)':32}{second:11.2f}s{second_wall:9.2f}s")
    print(f"speed-up of load_model: {first / second:.1f}x (target >= 5x); "
          f"whole process: {first_wall / second_wall:.1f}x")


if __name__ == "__main__":
    main()
