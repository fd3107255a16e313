"""Batched vs one-at-a-time greedy generation, tokens per second, on the embedded model.

The same prompts (the first N HumanEval problems in the chat prompt style) go through
:class:`rcwork.evaluation.generation.TransformersBackend` with ``batch_size=1`` and with
``batch_size=N``, in two modes, all in one run:

* **fixed length** — every prompt generates exactly ``--max-new-tokens`` tokens
  (``ignore_eos``, as vLLM's throughput benchmark does): the engine's raw throughput;
* **answers** — generation stops where each answer ends (eos, closing code fence), as in an
  evaluation; tokens/s counts each answer's own tokens.  Answers range from a dozen tokens to
  the limit, and every prompt's prefill costs the same in both settings, so this ratio is lower.
  The batched run is also repeated with ``model.generate`` on the fixed batch, to show what
  dropping finished rows from the batch (our decoding loop) buys.

Greedy decoding makes every setting produce the same answers, which the script checks.

    python benchmarks/bench_generation.py --threads 1            # embedded, 16 prompts
    python benchmarks/bench_generation.py --model tiny --prompts 4 --max-new-tokens 16
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="embedded")
    ap.add_argument("--prompts", type=int, default=16, help="how many prompts (= the batch size)")
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 unless the cores are free: oversubscribed threads "
                         "make generation several times slower)")
    ap.add_argument("--prompt-style", default="chat")
    ap.add_argument("--out", help="also write the numbers as JSON here")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from rcwork.evaluation import build_prompt, load_benchmark
    from rcwork.evaluation.generation import Request, SamplingSettings, TransformersBackend

    backend, style = TransformersBackend.load(args.model, prompt_style=args.prompt_style)
    problems = load_benchmark("humaneval", limit=args.prompts)
    requests = [Request(p.task_id, 0, build_prompt(p, style, backend.tokenizer))
                for p in problems]

    def run(batch_size: int, settings: SamplingSettings, use_generate: bool = False
            ) -> dict[str, object]:
        backend.batch_size, backend.use_generate = batch_size, use_generate
        t0 = time.perf_counter()
        out = {r.task_id: (c.text, c.n_tokens or 0)
               for batch in backend.generate(requests, settings) for r, c in batch}
        wall = time.perf_counter() - t0
        tokens = sum(n for _, n in out.values())
        return {"wall_s": round(wall, 2), "tokens": tokens,
                "tokens_per_s": round(tokens / wall, 2), "_out": out}

    # Warm-up (first-call allocations), not timed.
    backend.batch_size = 2
    list(backend.generate(requests[:2], SamplingSettings(max_new_tokens=4)))

    n = len(requests)
    fixed = SamplingSettings(max_new_tokens=args.max_new_tokens, ignore_eos=True)
    answers = SamplingSettings(max_new_tokens=args.max_new_tokens)
    runs = {
        "fixed_length": {"one_at_a_time": run(1, fixed), "batched": run(n, fixed)},
        "answers": {"one_at_a_time": run(1, answers), "batched": run(n, answers),
                    "batched_model_generate": run(n, answers, use_generate=True)},
    }
    report: dict[str, object] = {"model": args.model, "prompt_style": style, "prompts": n,
                                 "max_new_tokens": args.max_new_tokens, "threads": args.threads}
    for mode, res in runs.items():
        base = res["one_at_a_time"]
        same = all(r["_out"] == base["_out"] for r in res.values())
        print(f"{mode.replace('_', ' ')}:")
        for name, r in res.items():
            ratio = r["tokens_per_s"] / base["tokens_per_s"]
            print(f"  {name.replace('_', ' '):24s} {r['tokens']:6d} tokens in {r['wall_s']:7.1f} s"
                  f" = {r['tokens_per_s']:6.1f} tokens/s   x{ratio:.2f}")
        print(f"  identical greedy answers across settings: {same}")
        report[mode] = {name: {k: v for k, v in r.items() if not k.startswith("_")}
                        for name, r in res.items()}
        report[mode]["speedup"] = round(res["batched"]["tokens_per_s"] / base["tokens_per_s"], 2)
        report[mode]["identical_answers"] = same
    print(f"speed-up, batched ({n}) / one at a time: fixed length "
          f"{report['fixed_length']['speedup']:.2f}x, answers {report['answers']['speedup']:.2f}x")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
