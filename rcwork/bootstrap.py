"""Bootstrap intervals for sweep metrics: over held-out records, problems and seeds.

A run's metric is a ratio of sums over units (held-out NLL: summed token NLL over tokens, per
record; pass@1: passes over problems, denominator 1 each), so a replicate resamples the units
with replacement and recomputes the ratio.  Runs that differ only in their seed form a group:
a replicate resamples the seeds too, then the units inside each, and averages, so the interval
holds both sources of noise.  Differences between two settings resample the *same* units for
both when they were measured on the same units (a paired bootstrap), which is what decides
whether a difference is inside the noise.  Beside the intervals: a paired permutation test
(:func:`permutation_test`), an exact sign test on the units that moved (:func:`sign_test`), and
Holm's correction when many comparisons are read at once (:func:`holm`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

REPLICATES = 2000
LEVEL = 0.95


@dataclass
class Units:
    """One run's per-unit numerators and denominators, with the units' ids (for pairing)."""

    ids: list[str]
    num: np.ndarray
    den: np.ndarray

    @classmethod
    def make(cls, ids: Sequence[str], num: Sequence[float], den: Sequence[float] | None = None
             ) -> "Units":
        num_a = np.asarray(num, dtype=np.float64)
        den_a = np.ones_like(num_a) if den is None else np.asarray(den, dtype=np.float64)
        if not (len(ids) == len(num_a) == len(den_a)) or len(ids) == 0:
            raise ValueError(f"units need equal, non-zero lengths: {len(ids)} ids, "
                             f"{len(num_a)} numerators, {len(den_a)} denominators")
        return cls(list(ids), num_a, den_a)

    @property
    def value(self) -> float:
        return float(self.num.sum() / self.den.sum())


@dataclass
class Interval:
    value: float
    low: float
    high: float
    runs: int

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high


Draws = tuple[list[np.ndarray], np.ndarray]


def _draws(groups: Sequence[Units], rng: np.random.Generator, n: int) -> Draws:
    """Per replicate: the unit indices of each group, and which groups (seeds) it averages."""
    units = [rng.integers(0, len(u.ids), (n, len(u.ids))) for u in groups]
    return units, rng.integers(0, len(groups), (n, len(groups)))


def _values(groups: Sequence[Units], draws: Draws) -> np.ndarray:
    """The replicate values of the seed-averaged ratio."""
    units, pick = draws
    values = np.stack([u.num[d].sum(1) / u.den[d].sum(1) for u, d in zip(groups, units)])
    if len(groups) == 1:
        return values[0]
    return values[pick, np.arange(pick.shape[0])[:, None]].mean(1)


def _interval(value: float, reps: np.ndarray, level: float, runs: int) -> Interval:
    alpha = (1 - level) / 2
    return Interval(value, float(np.quantile(reps, alpha)), float(np.quantile(reps, 1 - alpha)),
                    runs)


def interval(groups: Sequence[Units], *, n: int = REPLICATES, level: float = LEVEL,
             seed: int = 0) -> Interval:
    """Percentile interval of the metric averaged over ``groups`` (one per seed)."""
    if not groups:
        raise ValueError("no runs to bootstrap")
    reps = _values(groups, _draws(groups, np.random.default_rng(seed), n))
    return _interval(float(np.mean([g.value for g in groups])), reps, level, len(groups))


def _difference_replicates(a: Sequence[Units], b: Sequence[Units], n: int, seed: int
                           ) -> tuple[float, np.ndarray, bool]:
    if not a or not b:
        raise ValueError("no runs to compare")
    rng = np.random.default_rng(seed)
    paired = len(a) == len(b) and all(x.ids == y.ids for x, y in zip(a, b))
    if paired:
        draws = _draws(a, rng, n)
        reps = _values(a, draws) - _values(b, draws)
    else:
        reps = _values(a, _draws(a, rng, n)) - _values(b, _draws(b, rng, n))
    value = float(np.mean([g.value for g in a]) - np.mean([g.value for g in b]))
    return value, reps, paired


def difference(a: Sequence[Units], b: Sequence[Units], *, n: int = REPLICATES,
               level: float = LEVEL, seed: int = 0) -> tuple[Interval, bool]:
    """Interval of ``metric(a) - metric(b)`` and whether it was paired.

    Paired when the runs of ``a`` and ``b`` match one to one (in order) on the same unit ids:
    each replicate then draws one set of units for both, so shared noise cancels.
    """
    value, reps, paired = _difference_replicates(a, b, n, seed)
    return _interval(value, reps, level, len(a)), paired


def difference_p(a: Sequence[Units], b: Sequence[Units], *, n: int = REPLICATES,
                 seed: int = 0) -> float:
    """Two-sided bootstrap p-value of "no difference", read off the replicates
    :func:`difference` draws (same ``n`` and ``seed``): twice the smaller share on either side
    of zero, so p < 1 − level exactly when that interval leaves zero out.

    For settings run under several seeds this is the test that carries seed-to-seed training
    noise (each replicate resamples the seeds, then the units): a permutation test over
    (seed, unit) pairs would treat each trained model as fixed, and call "different" a shift
    that one seed shows and the other reverses."""
    _, reps, _ = _difference_replicates(a, b, n, seed)
    side = min(np.count_nonzero(reps <= 0), np.count_nonzero(reps >= 0))
    return float(min(1.0, 2 * (side + 1) / (n + 1)))


# ---- paired tests and many comparisons --------------------------------------------------------


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided sign test (McNemar's exact test for paired pass/fail): the probability,
    with no real difference, of a split of the discordant units at least this lopsided.  Ties
    (units equal in both runs) carry no information and are left out; none discordant: 1."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: p-values that keep the chance of any false "different"
    among ``len(p_values)`` comparisons at the level they are read at."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def permutation_test(a: Units, b: Units, *, n: int = REPLICATES, seed: int = 0) -> float:
    """Paired sign-flip permutation test of ``metric(a) − metric(b)`` on shared units.

    Under "no difference" each unit's difference ``num_a − num_b`` is as likely with either
    sign; the p-value is the share of sign flips whose statistic (summed differences over the
    summed denominators, the same weighting as the metric) is at least as far from zero as the
    observed one.  Needs the same units in the same order (a paired measurement)."""
    if a.ids != b.ids:
        raise ValueError("a permutation test needs the same units in both runs")
    d = a.num - b.num
    den = float(a.den.sum())
    observed = abs(d.sum() / den)
    signs = np.random.default_rng(seed).choice((-1.0, 1.0), size=(n, len(d)))
    flipped = np.abs((signs * d).sum(1) / den)
    return float((1 + np.count_nonzero(flipped >= observed - 1e-12)) / (n + 1))
