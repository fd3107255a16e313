"""Per-answer scores: run each answer's code against its problem's tests in the sandbox.

One answer is one sample for :func:`rcwork.evaluation.scoring.score_samples` — the same harness,
verdicts and sandbox as ``rcwork evaluate`` — so an answer scores 1 exactly when evaluation
would call it passed.  A GRPO step hands over every answer of every completion at once; they run
``workers`` at a time, each with a wall-clock and memory limit, so a hostile answer (an endless
loop, a fork or memory bomb) costs at most ``timeout_s`` and scores 0.  Verdicts are cached per
(code, problem): the three reward functions of a step, and repeated answers within a group,
execute once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any, Sequence

from rcwork.evaluation.data import BenchmarkProblem
from rcwork.evaluation.scoring import score_samples

PROBLEM_COLUMNS = ("task_id", "entry_point", "test", "check_call")


def problem_key(problem: BenchmarkProblem) -> str:
    """Identifies a problem by its tests, not only its id (two datasets may reuse ids)."""
    h = hashlib.sha256(f"{problem.task_id}\0{problem.entry_point}\0{problem.check_call}\0"
                       f"{problem.test}".encode()).hexdigest()
    return h[:24]


class AnswerScorer:
    """Batched, parallel, cached pass/fail verdicts for (code, problem) pairs."""

    def __init__(self, *, timeout_s: float = 5.0, memory_mb: int = 512, workers: int = 2,
                 cache_size: int = 100_000):
        self.timeout_s, self.memory_mb, self.workers = timeout_s, memory_mb, workers
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str], bool] = OrderedDict()
        self.executed = 0  # programs actually run (cache misses), for the metrics

    @staticmethod
    def check_columns(columns: dict[str, Any]) -> None:
        """KeyError unless the reward keyword arguments carry the problem columns."""
        missing = [c for c in PROBLEM_COLUMNS[:3] if c not in columns]
        if missing:
            raise KeyError(f"the training dataset needs the columns {list(PROBLEM_COLUMNS)}; "
                           f"missing {missing}")

    @classmethod
    def problem_from_columns(cls, columns: dict[str, Any], i: int) -> BenchmarkProblem:
        """The problem of row ``i`` from GRPOTrainer's per-row keyword lists."""
        cls.check_columns(columns)
        check_call = columns.get("check_call")
        return BenchmarkProblem(task_id=str(columns["task_id"][i]), prompt="", instruction="",
                                entry_point=str(columns["entry_point"][i]),
                                test=str(columns["test"][i]),
                                check_call=bool(check_call[i]) if check_call else False)

    def score(self, pairs: Sequence[tuple[str, BenchmarkProblem]]) -> list[bool]:
        """Whether each code passes its problem's tests, in input order."""
        keys = [(code, problem_key(problem)) for code, problem in pairs]
        known = {key: self._cache[key] for key in keys if key in self._cache}
        todo: dict[tuple[str, str], tuple[str, BenchmarkProblem]] = {}
        for key, pair in zip(keys, pairs):
            if key not in known and key not in todo:
                todo[key] = pair
        if todo:
            by_key: dict[str, BenchmarkProblem] = {}
            samples = []
            for index, ((code, pkey), (_, problem)) in enumerate(todo.items()):
                # score_samples needs unique (task_id, index) and a problem per task_id: key
                # the problem by its content hash, which also separates reused task ids.
                by_key[pkey] = BenchmarkProblem(
                    task_id=pkey, prompt="", instruction="", entry_point=problem.entry_point,
                    test=problem.test, check_call=problem.check_call)
                samples.append({"task_id": pkey, "index": index, "solution": code})
            results = score_samples(list(by_key.values()), samples, timeout_s=self.timeout_s,
                                    memory_mb=self.memory_mb, workers=self.workers)
            self.executed += len(results)
            for key, result in zip(todo, results):
                known[key] = result.passed
                self._remember(key, result.passed)
        return [known[key] for key in keys]

    def _remember(self, key: tuple[str, str], passed: bool) -> None:
        self._cache[key] = passed
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
