"""Base pass@k of a model on rcwork's candidate evaluation sets (docs/sweeps.md, "Where the
embedded model scores").

Issue 20 asks whether any set puts the untrained embedded model's pass@10 between roughly 10 %
and 90 %, so that a CPU run's evaluation can move.  This samples n completions per problem at
the Codex paper's pass@10 temperature (0.8, top-p 0.95) on every `--stride`-th problem of
each set — a subset fixed by position, chosen before any trained model is looked at — and prints a
markdown table.  Each set is an ordinary `rcwork evaluate` run under `--out_dir/<set>`, so a
killed measurement resumes (finished samples are kept) and every per-problem result is kept.

    python scripts/base_pass_at_k.py --out_dir runs/base_pass_at_k
    python scripts/base_pass_at_k.py --sets mbpp=/path/to/sanitized-mbpp.json --stride 4
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rcwork.evaluation.data import load_benchmark
from rcwork.evaluation.stage import EvaluateConfig, evaluate
from rcwork.paths import PROBLEMS, project_path

DEFAULT_SETS = {"problems": str(project_path(PROBLEMS)), "humaneval": ""}


def parse_sets(items: list[str]) -> dict[str, str]:
    """``name=path`` pairs (an empty path: the benchmark's packaged file)."""
    out = {}
    for item in items:
        name, _, path = item.partition("=")
        out[name] = path
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--sets", nargs="*", default=[f"{k}={v}" for k, v in DEFAULT_SETS.items()],
                    help="benchmark=path pairs: problems, humaneval, mbpp, ...")
    ap.add_argument("--stride", type=int, default=4, help="every STRIDE-th problem of a set")
    ap.add_argument("--strides", nargs="*", default=[],
                    help="set=STRIDE pairs overriding --stride for one set")
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--max_new_tokens", type=int, default=256)
    ap.add_argument("--batch_size", type=int, default=20)
    ap.add_argument("--prompt_style", default="auto", help="auto, chat, completion or paper")
    ap.add_argument("--out_dir", default="runs/base_pass_at_k")
    args = ap.parse_args()

    strides = {k: int(v) for k, v in parse_sets(args.strides).items()}
    rows = []
    for name, path in parse_sets(args.sets).items():
        problems = load_benchmark(name, path or None)
        stride = strides.get(name, args.stride)
        chosen = problems[::stride]
        cfg = EvaluateConfig(
            benchmark=name, problems=path or None, model=args.model,
            task_ids=",".join(p.task_id for p in chosen), n=args.n,
            temperature=args.temperature, max_new_tokens=args.max_new_tokens,
            batch_size=args.batch_size, ks=[1, 10], prompt_style=args.prompt_style,
            out_dir=str(Path(args.out_dir) / name))
        evaluate(cfg)
        data = json.loads((Path(cfg.out_dir) / "results.json").read_text())
        solved = sum(1 for p in data["problems"].values() if p["correct"] > 0)
        rows.append((name, len(problems), stride, len(chosen), data["pass@1"], data["pass@10"],
                     solved))
    print(f"\n{args.model} ({args.prompt_style} prompt), n = {args.n}, temperature "
          f"{args.temperature}, top-p 0.95, "
          f"{args.max_new_tokens} new tokens\n")
    print("| set | problems | measured (every n-th) | pass@1 | pass@10 | solved at least once |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, total, stride, n, p1, p10, solved in rows:
        print(f"| {name} | {total} | {n} ({stride}) | {p1:.3f} | {p10:.3f} | {solved} |")


if __name__ == "__main__":
    main()
