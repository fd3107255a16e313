"""Evaluation: HumanEval(+), MBPP(+) and rcwork problem sets; pass@k with sandboxed execution.

The stages hand each other files, as EvalPlus does::

    load_benchmark ─▶ generate_samples ─▶ samples.jsonl ─▶ evaluate_samples ─▶ results.json
                      (transformers,                        (sandbox, pass@k,
                       OpenAI, vLLM)                         tokens)

* :mod:`~rcwork.evaluation.data` — one module per benchmark source, one problem shape;
* :mod:`~rcwork.evaluation.paired` — two runs compared problem by problem;
* :mod:`~rcwork.evaluation.prompts` — the paper's test prompt, the chat template, plain
  completion; response post-processing into EvalPlus sample fields;
* :mod:`~rcwork.evaluation.samples` — the sample file (append as you go, resume);
* :mod:`~rcwork.evaluation.generation` — the prompt backend around an engine
  (:func:`rcwork.engines.make_engine`) and the generation driver (imports torch lazily:
  scoring alone never loads it);
* :mod:`~rcwork.evaluation.scoring` — the harness, verdicts, pass@k, results.json, run
  comparison;
* :mod:`~rcwork.evaluation.cli` — ``rcwork evaluate``.
"""

from rcwork.evaluation.data import (BENCHMARKS, BenchmarkProblem, BenchmarkUnavailable,
                                    load_benchmark)
from rcwork.evaluation.prompts import PROMPT_STYLES, Prompt, build_prompt, response_to_sample
from rcwork.evaluation.samples import read_samples, write_samples
from rcwork.evaluation.scoring import (compare_results, evaluate_samples, load_results,
                                       mean_pass_at_k, pass_at_k, score_samples, summarize)

__all__ = [
    "BENCHMARKS", "BenchmarkProblem", "BenchmarkUnavailable", "load_benchmark",
    "PROMPT_STYLES", "Prompt", "build_prompt", "response_to_sample",
    "read_samples", "write_samples",
    "compare_results", "evaluate_samples", "load_results", "mean_pass_at_k", "pass_at_k",
    "score_samples", "summarize",
    "generate_samples", "PromptBackend", "SamplingSettings",
]

_LAZY = {"generate_samples", "PromptBackend", "SamplingSettings"}


def __getattr__(name: str):  # generation pulls in torch; load it only when asked for
    if name in _LAZY:
        from rcwork.evaluation import generation

        return getattr(generation, name)
    raise AttributeError(name)
