"""Latency of a trivial cell (``1+1``): a warm pooled kernel vs a fresh kernel per cell.

Synthesis runs many short episodes of a few cells each; starting an IPython kernel per episode
would dominate. Prints medians and their ratios (target: warm at least 20x faster than fresh).

    python benchmarks/bench_kernel_latency.py [--warm-cells 50] [--fresh-kernels 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from rcwork.sandbox import KernelPool, KernelSession, Sandbox


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-cells", type=int, default=50)
    parser.add_argument("--fresh-kernels", type=int, default=5)
    parser.add_argument("--episodes", type=int, default=5, help="pooled checkouts measured")
    args = parser.parse_args()

    with Sandbox() as sandbox, KernelPool(size=2, sandbox=sandbox) as pool:
        warm = []
        with pool.session() as session:
            session.execute("1+1")
            for _ in range(args.warm_cells):
                start = time.perf_counter()
                assert session.execute("1+1").text == "2\n"
                warm.append(time.perf_counter() - start)

        episodes = []  # check out a kernel, run the cell, hand it back
        for _ in range(args.episodes):
            time.sleep(3)  # let the background warmer refill the pool, as between real episodes
            start = time.perf_counter()
            with pool.session() as session:
                assert session.execute("1+1").text == "2\n"
            episodes.append(time.perf_counter() - start)

        fresh = []  # start a kernel, run the cell, stop it
        for _ in range(args.fresh_kernels):
            start = time.perf_counter()
            with KernelSession(sandbox=sandbox) as session:
                assert session.execute("1+1").text == "2\n"
            fresh.append(time.perf_counter() - start)

    print(f"warm pooled kernel, one cell:        median {_ms(warm):9.2f} ms  (n={len(warm)})")
    print(f"pooled episode, checkout+cell+return: median {_ms(episodes):9.2f} ms  (n={len(episodes)})")
    print(f"fresh kernel per cell, start+cell+stop: median {_ms(fresh):7.2f} ms  (n={len(fresh)})")
    print(f"fresh / warm cell:    {statistics.median(fresh) / statistics.median(warm):8.1f}x  (target >= 20x)")
    print(f"fresh / pooled episode: {statistics.median(fresh) / statistics.median(episodes):6.1f}x")


if __name__ == "__main__":
    main()
