"""Batched vs one-at-a-time greedy generation, tokens per second, on the embedded model.

Both users of :mod:`rcwork.engines` are measured on one loaded model, all in one run:

**Evaluation** — the first N HumanEval problems in the chat prompt style go through
:class:`rcwork.evaluation.generation.PromptBackend` on a transformers engine with
``batch_size=1`` and with ``batch_size=N``, in two modes:

* **fixed length** — every prompt generates exactly ``--max-new-tokens`` tokens
  (``ignore_eos``, as vLLM's throughput benchmark does): the engine's raw throughput;
* **answers** — generation stops where each answer ends (eos, closing code fence), as in an
  evaluation; tokens/s counts each answer's own tokens.  Answers range from a dozen tokens to
  the limit, and every prompt's prefill costs the same in both settings, so this ratio is lower.
  The batched run is also repeated with ``model.generate`` on the fixed batch, to show what
  dropping finished rows from the batch (the continuous-batching loop) buys.

**Teacher** — the same problems as synthesis's first-round conversations (system prompt, stage-1
prompt, stop at the closing fence) through :class:`rcwork.teachers.EngineTeacher`: N synthesis
workers (threads) each asking for one reply, merged by the teacher's queue into one batch, vs
the N requests one after another; natural ends only.  ``batched model.generate`` is the same
merged batch on ``model.generate`` (what the teacher did before it shared the loop).

Greedy decoding makes every setting produce the same answers, which the script checks.

    python benchmarks/bench_generation.py --threads 1            # embedded, 16 prompts
    python benchmarks/bench_generation.py --model tiny --prompts 4 --max-new-tokens 16
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable


def _timed(fn: Callable[[], dict[str, tuple[str, int]]]) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    tokens = sum(n for _, n in out.values())
    return {"wall_s": round(wall, 2), "tokens": tokens, "tokens_per_s": round(tokens / wall, 2),
            "_out": out}


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
    from rcwork.engines import GenerationSettings, make_engine
    from rcwork.evaluation import build_prompt, load_benchmark
    from rcwork.evaluation.generation import PromptBackend, Request, SamplingSettings
    from rcwork.synthesis import prompts
    from rcwork.teachers import EngineTeacher

    backend = PromptBackend(make_engine("transformers", args.model, name=args.model))
    style = backend.resolve_style(args.prompt_style)
    problems = load_benchmark("humaneval", limit=args.prompts)
    requests = [Request(p.task_id, 0, build_prompt(p, style, backend.tokenizer))
                for p in problems]
    n = len(requests)

    def evaluation(batch_size: int, settings: SamplingSettings, use_generate: bool = False
                   ) -> dict[str, Any]:
        backend.engine.batch_size, backend.engine.use_generate = batch_size, use_generate
        return _timed(lambda: {r.task_id: (c.text, c.n_tokens or 0)
                               for batch in backend.generate(requests, settings)
                               for r, c in batch})

    # The teacher shares the loaded model through its own engine (no token budget: first-round
    # conversations are short).  One worker's teacher runs a request alone; N workers' teacher
    # waits for all N requests and decodes them as one batch.
    engine = make_engine("transformers", backend.engine.model, tokenizer=backend.tokenizer,
                         batch_size=n, name=args.model)
    alone = EngineTeacher(engine, max_batch_size=1, batch_wait_s=0.0)
    merged = EngineTeacher(engine, batch_wait_s=2.0)  # the engine's batch: all N
    convs = {p.task_id: [{"role": "system", "content": prompts.SYSTEM},
                         {"role": "user", "content": prompts.STAGE1.format(
                             instruction=p.instruction)}] for p in problems}

    def ask(teacher: EngineTeacher, task_id: str) -> str:
        return teacher.chat([convs[task_id]], max_new_tokens=args.max_new_tokens,
                            stop=list(prompts.STOP))[0]

    def teacher_sequential() -> dict[str, str]:
        engine.use_generate = False
        return {t: ask(alone, t) for t in convs}

    def teacher_workers(use_generate: bool = False) -> dict[str, str]:
        engine.use_generate = use_generate
        replies: dict[str, str] = {}
        threads = [threading.Thread(target=lambda t=t: replies.__setitem__(t, ask(merged, t)))
                   for t in convs]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return replies

    # Warm-up (first-call allocations), not timed.
    backend.engine.batch_size = 2
    list(backend.generate(requests[:2], SamplingSettings(max_new_tokens=4)))

    fixed = SamplingSettings(max_new_tokens=args.max_new_tokens, ignore_eos=True)
    answers = SamplingSettings(max_new_tokens=args.max_new_tokens)
    runs: dict[str, dict[str, dict[str, Any]]] = {
        "fixed_length": {"one_at_a_time": evaluation(1, fixed), "batched": evaluation(n, fixed)},
        "answers": {"one_at_a_time": evaluation(1, answers), "batched": evaluation(n, answers),
                    "batched_model_generate": evaluation(n, answers, use_generate=True)},
    }
    # A teacher hands back strings: each reply's token count comes from one untimed engine
    # run of the same greedy requests.
    reference = engine.chat(list(convs.values()), GenerationSettings(
        max_new_tokens=args.max_new_tokens, stop=prompts.STOP))
    n_tokens = {t: c.n_tokens or 0 for t, c in zip(convs, reference)}

    def counted(fn: Callable[[], dict[str, str]]) -> Callable[[], dict[str, tuple[str, int]]]:
        return lambda: {t: (text, n_tokens[t]) for t, text in fn().items()}

    runs["teacher_answers"] = {
        "one_at_a_time": _timed(counted(teacher_sequential)),
        "batched": _timed(counted(teacher_workers)),
        "batched_model_generate": _timed(counted(lambda: teacher_workers(True)))}
    report: dict[str, Any] = {"model": args.model, "prompt_style": style, "prompts": n,
                              "max_new_tokens": args.max_new_tokens, "threads": args.threads,
                              "load_average": [round(x, 2) for x in os.getloadavg()],
                              "teacher_batches": merged.batch_stats.batch_sizes}
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
          f"{report['fixed_length']['speedup']:.2f}x, answers {report['answers']['speedup']:.2f}x,"
          f" teacher answers {report['teacher_answers']['speedup']:.2f}x "
          f"(load average {report['load_average'][0]})")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
