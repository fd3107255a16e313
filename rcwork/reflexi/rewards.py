"""ReflexiCoder's granular rewards: pure math, then TRL-shaped reward functions.

The math (docs/reflexicoder.md, "Rewards") is a function of three things only — whether the
trajectory is well formed, its number of reflections ``n`` and the per-answer scores
``r_1 … r_T`` (``T = n + 1``, each 0 or 1: the answer's code passes every test) — so tests pin it
with hand-computed values and no model:

* format ``F`` = 1 for a well-formed trajectory, else 0;
* cycle-count regulation ``P(n)``: 0 if malformed or ``n = 0``; 1 for ``n ≤ 5``; beyond that
  ``1/(1 + α(n−3)^β) · exp(−γ(n−3)) · (1 − δ·sin(π/2·(n−3)))``;
* iterative quality ``R = r_T + η Σ_{t=2..T} w_t m_t`` with ``w_t ∝ exp(λ(t−1))`` and ``m_t`` the
  improvement / stagnation / decline term of ``d = r_t − r_{t−1}``; a stagnation earns ``+h_pos``
  when ``|r_{t−1} − r_max| ≤ ε`` (the authors' test, juyongjiang/ReflexiCoder
  ``rewards_code/reflection.py`` line 201), ``−h_neg`` otherwise;
* efficiency ``E = r_T/n + (r_T − r_1)/(max(1, n−1) + ε')``.

Training sums three reward functions with TRL's ``reward_weights``: ``F`` (1.0), ``P·R`` (0.5)
and ``P·E`` (1.0) — the authors' combination, :func:`combined_reward` here.

:class:`TrajectoryRewards` turns the math into ``f(completions, **kwargs) -> list[float]``
functions for ``GRPOTrainer``: each completion is parsed, each answer's code is run against the
problem's tests in the sandbox (:class:`rcwork.reflexi.execution.AnswerScorer`, cached, so the
three functions of one step execute each answer once).

``reward_grammar`` picks how a completion is read (:mod:`rcwork.reflexi.trajectory`):
``"authors"`` (the default) is the authors' released parser, code extraction and stagnation test;
``"strict"`` is rcwork's earlier reading — the exact format, the last python block, and a
stagnation at ``r_{t−1} ≥ r_max`` — kept for runs that want the prompt's format enforced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

from rcwork.reflexi.trajectory import Trajectory, check_grammar, parse_trajectory

# The authors' constants.
ALPHA, BETA, GAMMA, DELTA = 0.1, 2.0, 0.05, 0.1            # P(n)
P_FREE_CYCLES, P_CENTRE = 5, 3                            # P = 1 up to 5; the decay centres on 3
LAMBDA, SCALE, EPSILON = 0.2, 0.1, 1e-4                   # R: time weights, tanh scale, |d| ≈ 0
H_POS, H_NEG, R_MAX, ETA = 0.05, 1.0, 1.0, 0.5            # R: stagnation terms, best score, η
EFFICIENCY_EPSILON = 1e-6                                 # E: ε'
REWARD_WEIGHTS = {"format_reward": 1.0, "quality_reward": 0.5, "efficiency_reward": 1.0}


def _check(n: int, scores: Sequence[float] | None = None) -> None:
    if n < 0:
        raise ValueError(f"n (reflections) must be >= 0, got {n}")
    if scores is not None and n > 0 and len(scores) != n + 1:
        raise ValueError(f"n = {n} reflections means {n + 1} answer scores, got {len(scores)}")


def format_score(well_formed: bool) -> float:
    """F: 1 for a well-formed trajectory, else 0."""
    return 1.0 if well_formed else 0.0


def cycle_regulation(well_formed: bool, n: int) -> float:
    """P(n): free up to 5 reflections, then a damped, slightly oscillating decay."""
    _check(n)
    if not well_formed or n == 0:
        return 0.0
    if n <= P_FREE_CYCLES:
        return 1.0
    x = n - P_CENTRE
    return (1.0 / (1.0 + ALPHA * x ** BETA) * math.exp(-GAMMA * x)
            * (1.0 - DELTA * math.sin(math.pi / 2 * x)))


def at_best(previous: float, reward_grammar: str = "authors") -> bool:
    """Whether a stagnating answer sits at the best score.

    ``authors``: ``|r_{t−1} − r_max| ≤ ε`` (reflection.py line 201), so 0.99995 counts as the
    best; ``strict``: ``r_{t−1} ≥ r_max``.  Equal while scores are 0 or 1.
    """
    if check_grammar(reward_grammar) == "authors":
        return abs(previous - R_MAX) <= EPSILON
    return previous >= R_MAX


def step_term(previous: float, current: float, reward_grammar: str = "authors") -> float:
    """m_t of ``d = r_t − r_{t−1}``: improvement, stagnation (at the best score or not), decline."""
    d = current - previous
    if d > EPSILON:
        return math.tanh(d / SCALE)
    if d < -EPSILON:
        return -math.tanh(abs(d) / SCALE)
    return H_POS if at_best(previous, reward_grammar) else -H_NEG


def time_weights(T: int) -> list[float]:
    """w_2 … w_T: ``exp(λ(t−1))`` normalised over t = 2..T (later steps count more)."""
    raw = [math.exp(LAMBDA * (t - 1)) for t in range(2, T + 1)]
    total = sum(raw)
    return [w / total for w in raw]


def iterative_quality(well_formed: bool, n: int, scores: Sequence[float],
                      reward_grammar: str = "authors") -> float:
    """R = r_T + η Σ_{t=2..T} w_t m_t (0 if malformed or no reflection)."""
    _check(n, scores)
    if not well_formed or n == 0:
        return 0.0
    T = len(scores)
    weights = time_weights(T)
    shaped = sum(w * step_term(scores[t - 1], scores[t], reward_grammar)
                 for w, t in zip(weights, range(1, T)))
    return scores[-1] + ETA * shaped


def efficiency(well_formed: bool, n: int, scores: Sequence[float]) -> float:
    """E = r_T/n + (r_T − r_1)/(max(1, n−1) + ε') (0 if malformed, n = 0 or < 2 answers)."""
    _check(n, scores)
    if not well_formed or n == 0 or len(scores) < 2:
        return 0.0
    first, last = scores[0], scores[-1]
    return last / n + (last - first) / (max(1, n - 1) + EFFICIENCY_EPSILON)


def combined_reward(well_formed: bool, n: int, scores: Sequence[float],
                    reward_grammar: str = "authors") -> float:
    """The authors' training reward: F + 0.5·P·R + 1.0·P·E."""
    p = cycle_regulation(well_formed, n)
    quality = iterative_quality(well_formed, n, scores, reward_grammar)
    return (REWARD_WEIGHTS["format_reward"] * format_score(well_formed)
            + REWARD_WEIGHTS["quality_reward"] * p * quality
            + REWARD_WEIGHTS["efficiency_reward"] * p * efficiency(well_formed, n, scores))


# ---------------------------------------------------------------------------- TRL's shape

def completion_text(completion: Any) -> str:
    """A TRL completion as text: a string, or the last assistant message of a conversation."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content", "")
        if isinstance(content, list):  # multimodal-style parts
            return "".join(part.get("text", "") for part in content if isinstance(part, dict))
        return str(content)
    raise TypeError(f"a completion is a string or a list of messages, got {type(completion).__name__}")


@dataclass
class Scored:
    """One completion with everything its rewards need."""

    trajectory: Trajectory
    scores: list[float]

    @property
    def n(self) -> int:
        return self.trajectory.n_reflections


class TrajectoryRewards:
    """The three training rewards as ``f(completions, **kwargs) -> list[float]`` methods.

    The dataset gives each prompt its tests in the columns ``task_id``, ``entry_point``,
    ``test`` and ``check_call`` (the :class:`rcwork.evaluation.BenchmarkProblem` fields);
    GRPOTrainer passes them as keyword lists aligned with ``completions``.  Only well-formed
    trajectories are executed — a malformed one scores 0 on every component anyway — and an
    answer without code (``""``: the authors' extraction found no block) scores 0 unexecuted, as
    the authors' ``RewardCodeFn`` does (code_reward.py lines 303–306).
    """

    def __init__(self, scorer: Any, reward_grammar: str = "authors"):
        self.scorer = scorer
        self.reward_grammar = check_grammar(reward_grammar)

    def parse(self, completion: Any) -> Trajectory:
        return parse_trajectory(completion_text(completion), self.reward_grammar)

    def score(self, completions: Sequence[Any], **columns: Any) -> list[Scored]:
        self.scorer.check_columns(columns)  # fail on a wrong dataset at step 1, not later
        trajectories = [self.parse(c) for c in completions]
        jobs = []
        for i, traj in enumerate(trajectories):
            if traj.well_formed:
                problem = self.scorer.problem_from_columns(columns, i)
                jobs.extend((i, a, code, problem) for a, code in enumerate(traj.answers)
                            if code)
        verdicts = self.scorer.score([(code, problem) for _, _, code, problem in jobs])
        scores: list[list[float]] = [[0.0] * len(t.answers) if t.well_formed else []
                                     for t in trajectories]
        for (i, a, _, _), ok in zip(jobs, verdicts):
            scores[i][a] = 1.0 if ok else 0.0
        return [Scored(t, s) for t, s in zip(trajectories, scores)]

    def format_reward(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        """F: 1 for a well-formed trajectory (no execution needed)."""
        return [format_score(self.parse(c).well_formed) for c in completions]

    def quality_reward(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        """P(n)·R."""
        return [cycle_regulation(s.trajectory.well_formed, s.n)
                * iterative_quality(s.trajectory.well_formed, s.n, s.scores, self.reward_grammar)
                for s in self.score(completions, **kwargs)]

    def efficiency_reward(self, completions: Sequence[Any], **kwargs: Any) -> list[float]:
        """P(n)·E."""
        return [cycle_regulation(s.trajectory.well_formed, s.n)
                * efficiency(s.trajectory.well_formed, s.n, s.scores)
                for s in self.score(completions, **kwargs)]

    def functions(self) -> list[Any]:
        """The reward functions in the order of :data:`REWARD_WEIGHTS`."""
        return [getattr(self, name) for name in REWARD_WEIGHTS]
