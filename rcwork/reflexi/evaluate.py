"""Evaluating ReflexiCoder completions: pass@1 of the final answer, and what the loop costs.

For each problem one greedy completion is generated from the system prompt and the problem
(through :class:`rcwork.evaluation.generation.PromptBackend` on a transformers engine, the
workbench's shared inference layer) and read with
:func:`rcwork.reflexi.trajectory.parse_trajectory`.  The solution is the **final answer's
code**.  Reported beside pass@1, as the authors do:

* ``format_rate`` — well-formed completions (the reward grammar); ``protocol_rate`` — well formed
  *and* following the system prompt's STATUS / answer-count / stop rules;
* ``reflections_mean`` and ``reflection_counts`` (the histogram; malformed completions count as
  0 reflections);
* ``tokens_per_completion`` and ``tokens_per_solved`` (all tokens generated divided by the
  problems solved: what one solution costs; None when nothing is solved).

A base model that ignores the format would score 0 by the strict rule, which says nothing about
its code.  So ``pass@1`` judges a malformed completion by its last fenced python block anywhere
(what EvalPlus-style extraction would take), and ``pass@1_strict`` only credits well-formed
trajectories.  Both are reported.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from rcwork.jsonl import JsonlError, read_json_lines, write_jsonl
from rcwork.evaluation.data import BenchmarkProblem
from rcwork.reflexi.execution import AnswerScorer
from rcwork.reflexi.trajectory import parse_trajectory, protocol_violations

_ANY_FENCE = re.compile(r"```(?:python|py)?[^\S\n]*\n(.*?)(?:```|$)", re.DOTALL)


@dataclass
class TrajectoryResult:
    """One completion of one problem, scored."""

    task_id: str
    text: str
    n_tokens: int
    truncated: bool
    well_formed: bool
    follows_protocol: bool
    n_reflections: int
    answer_scores: list[int]
    passed: bool
    passed_strict: bool


def fallback_code(text: str) -> str | None:
    """The last fenced code block anywhere in the text (an unclosed last fence counts)."""
    blocks = _ANY_FENCE.findall(text)
    return blocks[-1] if blocks else None


def generate_trajectories(model: Any, tokenizer: Any, problems: Sequence[BenchmarkProblem],
                          system_prompt: str, *, max_new_tokens: int, batch_size: int = 8
                          ) -> list[dict[str, Any]]:
    """One greedy completion per problem: ``{task_id, text, n_tokens, truncated}``."""
    from rcwork.engines import make_engine
    from rcwork.evaluation.generation import PromptBackend, Request, SamplingSettings
    from rcwork.evaluation.prompts import Prompt
    from rcwork.reflexi.data import chat_prompt

    backend = PromptBackend(make_engine("transformers", model, tokenizer=tokenizer,
                                        batch_size=batch_size))
    requests = []
    for p in problems:
        messages = chat_prompt(p, system_prompt)
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        requests.append(Request(p.task_id, 0, Prompt("chat", text, messages=messages)))
    settings = SamplingSettings(n=1, temperature=0.0, max_new_tokens=max_new_tokens)
    done: dict[str, dict[str, Any]] = {}
    was_training = model.training
    model.eval()
    try:
        for group in backend.generate(requests, settings):
            for req, completion in group:
                done[req.task_id] = {"task_id": req.task_id, "text": completion.text,
                                     "n_tokens": int(completion.n_tokens or 0),
                                     "truncated": completion.finish_reason == "length"}
    finally:
        model.train(was_training)
    return [done[p.task_id] for p in problems]


def score_trajectories(problems: Sequence[BenchmarkProblem], completions: Sequence[dict[str, Any]],
                       scorer: AnswerScorer) -> list[TrajectoryResult]:
    """Parse and execute every completion (``{task_id, text, n_tokens[, truncated]}``)."""
    by_id = {p.task_id: p for p in problems}
    parsed, jobs = [], []
    for c in completions:
        if c["task_id"] not in by_id:
            raise KeyError(f"completion for unknown task_id {c['task_id']!r}")
        problem = by_id[c["task_id"]]
        traj = parse_trajectory(c["text"])
        codes = traj.answers if traj.well_formed else []
        fallback = None if traj.well_formed else fallback_code(c["text"])
        parsed.append((c, traj, len(jobs), len(codes), fallback is not None))
        jobs.extend((code, problem) for code in codes)
        if fallback is not None:
            jobs.append((fallback, problem))
    verdicts = scorer.score(jobs)
    results = []
    for c, traj, start, n_codes, has_fallback in parsed:
        scores = [int(v) for v in verdicts[start:start + n_codes]]
        fallback_ok = bool(verdicts[start + n_codes]) if has_fallback else False
        results.append(TrajectoryResult(
            task_id=c["task_id"], text=c["text"], n_tokens=int(c.get("n_tokens") or 0),
            truncated=bool(c.get("truncated", False)), well_formed=traj.well_formed,
            follows_protocol=traj.well_formed and not protocol_violations(traj),
            n_reflections=traj.n_reflections, answer_scores=scores,
            passed=bool(scores[-1]) if scores else fallback_ok,
            passed_strict=bool(scores and scores[-1])))
    return results


def summarize_trajectories(results: Sequence[TrajectoryResult]) -> dict[str, Any]:
    """The figures of the module docstring over a list of scored completions."""
    n = len(results)
    if n == 0:
        raise ValueError("no completions to summarize")
    solved = sum(r.passed for r in results)
    tokens = sum(r.n_tokens for r in results)
    return {
        "n": n,
        "pass@1": solved / n,
        "pass@1_strict": sum(r.passed_strict for r in results) / n,
        "format_rate": sum(r.well_formed for r in results) / n,
        "protocol_rate": sum(r.follows_protocol for r in results) / n,
        "truncated_rate": sum(r.truncated for r in results) / n,
        "reflections_mean": sum(r.n_reflections for r in results) / n,
        "reflection_counts": {str(k): v for k, v in
                              sorted(Counter(r.n_reflections for r in results).items())},
        "tokens_per_completion": tokens / n,
        "tokens_per_solved": tokens / solved if solved else None,
    }


def evaluate_model(model: Any, tokenizer: Any, problems: Sequence[BenchmarkProblem],
                   system_prompt: str, scorer: AnswerScorer, *, max_new_tokens: int,
                   batch_size: int = 8, out_path: str | Path | None = None) -> dict[str, Any]:
    """Generate, score and summarize; ``out_path`` gets one JSON line per completion."""
    completions = generate_trajectories(model, tokenizer, problems, system_prompt,
                                        max_new_tokens=max_new_tokens, batch_size=batch_size)
    results = score_trajectories(problems, completions, scorer)
    if out_path is not None:
        write_results(results, out_path)
    return summarize_trajectories(results)


def write_results(results: Sequence[TrajectoryResult], path: str | Path) -> None:
    """One line per completion (atomically, :func:`rcwork.jsonl.write_jsonl`)."""
    write_jsonl(path, (asdict(r) for r in results))


def read_results(path: str | Path) -> list[TrajectoryResult]:
    """The per-completion file :func:`evaluate_model` writes."""
    out = []
    for lineno, obj in read_json_lines(path):
        try:
            out.append(TrajectoryResult(**obj))
        except TypeError as e:
            raise JsonlError(f"not a trajectory result: {e}", source=str(path),
                             line=lineno) from None
    return out
