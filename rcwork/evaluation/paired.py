"""Two evaluations of the same problems compared problem by problem.

pass@1 of two checkpoints on the same problems is a paired measurement: each problem is solved
by both, by neither, or by one of them.  Only the problems that changed verdict (the
*discordant* ones) carry evidence, so the comparison reports them, a paired bootstrap interval
of the difference over the shared problems (:func:`rcwork.bootstrap.difference`, each problem's
pass rate over its samples) and the exact sign test on the discordant ones.  Unpaired intervals
of the two pass@1 values would overlap long before the paired one includes zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from rcwork.bootstrap import Units, difference, sign_test
from rcwork.stage_files import EvaluationResults


@dataclass(frozen=True)
class PairedComparison:
    """``b − a`` on the problems both runs scored."""

    problems: int  # shared problems (the units)
    fixed: int  # failed in a, passed in b (first sample's verdict)
    broken: int  # passed in a, failed in b
    difference: float  # pass rate of b minus a, mean over shared problems
    low: float
    high: float
    p_value: float  # exact two-sided sign test on fixed vs broken

    @property
    def discordant(self) -> int:
        return self.fixed + self.broken

    def sentence(self, a: str, b: str) -> str:
        """One line for a reader: the difference, its interval, the discordant problems."""
        if self.problems == 0:
            return f"{b} vs {a}: no problem scored by both runs, nothing to compare"
        inside = self.low <= 0 <= self.high
        verdict = ("not distinguishable (the interval includes 0)" if inside
                   else f"{b} {'higher' if self.difference > 0 else 'lower'}")
        return (f"{b} − {a}: pass@1 {self.difference:+.3f} [{self.low:+.3f}, {self.high:+.3f}] "
                f"paired over {self.problems} problems; {self.discordant} changed verdict "
                f"({self.fixed} fixed, {self.broken} broken), sign test p = {self.p_value:.3g}: "
                f"{verdict}")


def compare_paired(a: EvaluationResults, b: EvaluationResults, *,
                   seed: int = 0) -> PairedComparison:
    """``b`` against ``a`` on their shared problems (see the module docstring)."""
    def verdicts(r: EvaluationResults) -> dict[str, tuple[bool, float]]:
        return {t: (v.passed, v.correct / max(v.n, 1)) for t, v in r.problems.items()}

    return compare_verdicts(verdicts(a), verdicts(b), seed=seed)


def compare_verdicts(a: dict[str, tuple[bool, float]], b: dict[str, tuple[bool, float]], *,
                     seed: int = 0) -> PairedComparison:
    """``b`` against ``a`` from per-problem ``(first sample passed, pass rate)``: the same
    comparison for any two runs that scored the same problems (evaluations, ReflexiCoder's
    held-out trajectories)."""
    shared = [t for t in a if t in b]
    if not shared:
        return PairedComparison(0, 0, 0, 0.0, 0.0, 0.0, 1.0)
    d, _ = difference([Units.make(shared, [b[t][1] for t in shared])],
                      [Units.make(shared, [a[t][1] for t in shared])], seed=seed)
    fixed = sum(not a[t][0] and b[t][0] for t in shared)
    broken = sum(a[t][0] and not b[t][0] for t in shared)
    return PairedComparison(len(shared), fixed, broken, d.value, d.low, d.high,
                            sign_test(fixed, broken))
