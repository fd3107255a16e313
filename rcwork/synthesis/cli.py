"""``rcwork synthesize``: problems in, reflection records out (see rcwork.synthesis.run).

    rcwork synthesize --problems data/problems --num-problems 20 --output runs/synthesize \\
        --teacher-backend transformers --teacher-model embedded --max-new-tokens 384

    # any OpenAI-compatible server; the key is read from $OPENAI_API_KEY (never logged)
    rcwork synthesize --teacher-backend openai --base-url http://127.0.0.1:8000/v1 \\
        --teacher-model Qwen/Qwen2.5-Coder-7B-Instruct ...

Rerunning the same command after a crash or a kill resumes: finished problems are skipped.
"""

from __future__ import annotations

import argparse
import logging
import os

from rcwork.teachers import BACKENDS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problems", default="data/problems",
                   help="a problems JSONL file or a directory of them (default: %(default)s)")
    p.add_argument("--num-problems", type=int, default=None,
                   help="use only the first N problems")
    p.add_argument("--output", default="runs/synthesize",
                   help="output directory; an existing one is resumed (default: %(default)s)")
    t = p.add_argument_group("teacher")
    t.add_argument("--teacher-backend", choices=[b for b in BACKENDS if b != "scripted"],
                   default="transformers")
    t.add_argument("--teacher-model", default="embedded",
                   help="embedded | tiny | a folder | a hub id | the served model's name")
    t.add_argument("--base-url", default=None,
                   help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    t.add_argument("--api-key-env", default="OPENAI_API_KEY",
                   help="environment variable holding the API key (default: %(default)s)")
    t.add_argument("--threads", type=int, default=1,
                   help="torch threads for a local teacher (default: %(default)s)")
    t.add_argument("--max-batch-size", type=int, default=8,
                   help="conversations per generate call (local, vllm) or concurrent requests "
                        "(openai) (default: %(default)s)")
    t.add_argument("--max-batch-tokens", type=int, default=8192,
                   help="local teacher: rows x (prompt + new tokens) per generate call; bounds "
                        "memory as conversations grow (default: %(default)s)")
    g = p.add_argument_group("synthesis")
    g.add_argument("--max-rounds", type=int, default=8,
                   help="stage-1 rounds before a sequence counts as unresolved (paper: 8)")
    g.add_argument("--max-new-tokens", type=int, default=512, help="per teacher reply")
    g.add_argument("--final-max-new-tokens", type=int, default=None,
                   help="for the stage-2 reply (default: --max-new-tokens)")
    g.add_argument("--temperature", type=float, default=0.0, help="0: greedy")
    g.add_argument("--workers", type=int, default=2,
                   help="problems in flight at once, each with its own kernel")
    g.add_argument("--cell-timeout", type=float, default=None,
                   help="seconds per executed cell (default: the sandbox's limit)")
    g.add_argument("--keep-single-round", action="store_true",
                   help="do not filter sequences resolved in one round")
    g.add_argument("--keep-io", action="store_true", help="do not filter code doing I/O")
    g.add_argument("--require-hidden-tests", action="store_true",
                   help="also filter records whose code fails the problem's own tests")
    g.add_argument("--no-hidden-tests", action="store_true",
                   help="do not run the problem's tests at all")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")


def build_teacher(args: argparse.Namespace):
    from rcwork.teachers import make_teacher

    if args.teacher_backend == "transformers":
        return make_teacher("transformers", args.teacher_model, num_threads=args.threads,
                            max_batch_size=args.max_batch_size,
                            max_batch_tokens=args.max_batch_tokens)
    if args.teacher_backend == "openai":
        return make_teacher("openai", args.teacher_model, base_url=args.base_url,
                            api_key_env=args.api_key_env,
                            max_concurrency=args.max_batch_size)
    return make_teacher(args.teacher_backend, args.teacher_model,
                        max_batch_size=args.max_batch_size)


def run(args: argparse.Namespace) -> int:
    from rcwork.synthesis.run import (SynthesisConfig, format_summary, load_problem_sources,
                                      synthesize)

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.teacher_backend == "transformers" and args.threads:
        os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    problems, sources = load_problem_sources(args.problems, args.num_problems)
    teacher = build_teacher(args)
    cfg = SynthesisConfig(
        max_rounds=args.max_rounds, max_new_tokens=args.max_new_tokens,
        final_max_new_tokens=args.final_max_new_tokens, temperature=args.temperature,
        workers=args.workers, cell_timeout_s=args.cell_timeout,
        run_hidden_tests=not args.no_hidden_tests, filter_io=not args.keep_io,
        filter_single_round=not args.keep_single_round,
        require_hidden_tests=args.require_hidden_tests, progress=not args.no_progress)
    summary = synthesize(problems, teacher, args.output, cfg, sources=sources)
    print(format_summary(summary))
    print(f"records in {args.output}/kept and {args.output}/filtered; "
          f"summary in {args.output}/summary.json")
    return 1 if summary["errors"] else 0
