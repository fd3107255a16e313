"""The sweep registry: one flat JSON row per finished point, in ``<sweep>/registry.jsonl``.

Each point's row is written into its run folder (``row.json``) when the point finishes; the
registry is rebuilt from those files (under a lock, through a rename), so a sweep killed at
any moment loses no finished point and lists none twice.  Columns are flat scalars (the
configs as JSON strings) so pandas and ``datasets.load_dataset("json", ...)`` read it as one
table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rcwork.bootstrap import (Interval, Units, difference, difference_p, holm, interval,
                              permutation_test)
from rcwork.jsonl import read_jsonl_values, write_jsonl
from rcwork.stage_files import DistillMetrics, EvaluationResults, read_json
from rcwork.sweep.plan import _locked, run_dir
from rcwork.sweep.spec import HELDOUT_SETS

REGISTRY_FILE = "registry.jsonl"

# The effective values of the method's knobs, from metrics.json's config (an all_mask ablation
# shows strategy "all" there, as it trained).
CONFIG_COLUMNS = ("upsample_k", "order", "strategy", "ablation", "seed", "model", "max_steps",
                  "learning_rate", "loss_normalization", "instruction_data")


# The held-out sets measured beside the reflection records (rcwork.sweep.heldout): each gets
# its NLL columns and its own paired comparison in a row.
EXTRA_SETS = tuple(name for name in HELDOUT_SETS if name != "records")


def heldout_units(records: dict[str, Any]) -> Units:
    """A run's held-out records as bootstrap units (summed NLL over tokens)."""
    return Units.make(records["ids"], records["nll_sum"], records["tokens"])


def set_units(held: dict[str, Any], name: str, when: str = "after") -> Units | None:
    """The units of held-out set ``name`` in a run's ``heldout_records.json`` (None where the
    run was not measured on it: a sweep planned before the set existed)."""
    values = (held.get("sets") or {}).get(name)
    if values is None and name == "records" and when in held:
        values = {when: held[when]}
    return heldout_units(values[when]) if values else None


def problem_units(results: EvaluationResults) -> Units:
    """A run's benchmark problems as bootstrap units (pass@1 each)."""
    probs = results.problems
    return Units.make(list(probs), [float(v.pass_at_k.get("pass@1", 0.0)) for v in probs.values()])


def make_row(point, *, metrics: DistillMetrics, heldout: dict, results: EvaluationResults | None,
             timing: dict, commit: dict, run_path: str) -> dict[str, Any]:
    """The registry row of a finished point."""
    cfg = metrics.config
    before = metrics.before.get("nll_final_given_instruction")
    if before is None and heldout.get("before"):  # measured once for the sweep, not per point
        before = heldout_units(heldout["before"]).value
    after = metrics.after.get("nll_final_given_instruction")
    if after is None:  # the sweep's own per-record measurement of the trained model
        after = heldout_units(heldout["after"]).value
    row: dict[str, Any] = {"id": point.id, "curves": list(point.curves), "run": run_path}
    for col in CONFIG_COLUMNS:
        value = cfg.get(col)
        row[col] = value if value is None or isinstance(value, (int, float, str, bool)) \
            else str(value)
    row.update(steps=metrics.steps, heldout_records=len(heldout["after"]["ids"]),
               nll_before=before, nll_after=after)
    ci = interval([heldout_units(heldout["after"])])
    row.update(nll_after_low=ci.low, nll_after_high=ci.high)
    for name in EXTRA_SETS:
        after_units, before_units = set_units(heldout, name), set_units(heldout, name, "before")
        sci = interval([after_units]) if after_units else None
        row.update({f"nll_{name}_before": before_units.value if before_units else None,
                    f"nll_{name}_after": after_units.value if after_units else None,
                    f"nll_{name}_low": sci.low if sci else None,
                    f"nll_{name}_high": sci.high if sci else None,
                    f"{name}_units": len(after_units.ids) if after_units else None})
    if results is not None and results.problems:
        pci = interval([problem_units(results)])
        row.update(pass_at_1=results.pass_at_1, pass_at_1_low=pci.low,
                   pass_at_1_high=pci.high, benchmark=results.benchmark,
                   n_problems=results.n_problems)
    else:
        row.update(pass_at_1=None, pass_at_1_low=None, pass_at_1_high=None, benchmark=None,
                   n_problems=None)
    row.update(train_runtime_s=metrics.train_runtime_s, wall_s=timing.get("wall_s"),
               attempts=timing.get("attempts"), finished=timing.get("finished"),
               commit=commit.get("commit"), dirty=commit.get("dirty"),
               params=json.dumps(point.params, sort_keys=True),
               distill_config=json.dumps(point.distill, sort_keys=True, default=str),
               evaluate_config=json.dumps(point.evaluate, sort_keys=True, default=str))
    return row


def columns(measure: str | None, *, pooled: bool = False) -> tuple[str, str, str, str, str]:
    """The registry columns of one paired comparison: (difference, low, high, p, Holm p).
    ``measure``: None for the primary metric, else a held-out set of :data:`EXTRA_SETS`;
    ``pooled``: the comparison over all of a setting's seeds instead of the row's own."""
    if measure is None:
        return (("pooled_diff", "pooled_diff_low", "pooled_diff_high", "pooled_p",
                 "pooled_p_holm") if pooled else
                ("diff_vs_reference", "diff_low", "diff_high", "p_permutation", "p_holm"))
    pre = "pooled_" if pooled else ""
    return (f"{pre}diff_{measure}", f"{pre}diff_low_{measure}", f"{pre}diff_high_{measure}",
            f"{pre}p_{measure}", f"{pre}p_holm_{measure}")


PAIRED_COLUMNS = ("reference", "paired_metric", "paired_weighting", *columns(None),
                  "comparisons")
SET_PAIRED_COLUMNS = tuple(c for name in EXTRA_SETS for c in columns(name))
# A setting run under several seeds, compared over all of them at once (the same columns on
# each of its rows): the primary metric, then each extra held-out set.
POOLED_COLUMNS = ("pooled_seeds", *columns(None, pooled=True), "pooled_comparisons",
                  *(c for name in EXTRA_SETS for c in columns(name, pooled=True)))


def row_units(sweep_dir: Path, row: dict[str, Any], metric: str) -> Units | None:
    """A finished point's per-unit values, as stored in its run folder: its problems
    (``pass_at_1``), held-out records (``nll``) or another held-out set (its name)."""
    run = sweep_dir / row["run"]
    if metric == "pass_at_1":
        return problem_units(EvaluationResults.read(run))
    return set_units(read_json(run / "heldout_records.json"),
                     "records" if metric == "nll" else metric)


def setting(row: dict[str, Any]) -> str:
    """A row's swept settings without its seed: the runs of one setting differ only there."""
    params = json.loads(row.get("params") or "{}")
    params.pop("seed", None)
    return json.dumps(params, sort_keys=True)


def _compare(a: list[Units], b: list[Units]) -> tuple[Interval, float]:
    """``a − b`` paired unit by unit (and seed by seed, in order): the bootstrap interval,
    and its p-value: for one seed a sign-flip permutation test on the units; for several, the
    hierarchical bootstrap's own (:func:`rcwork.bootstrap.difference_p`), which carries the
    seed-to-seed noise as the interval does."""
    d, _ = difference(a, b)
    return d, permutation_test(a[0], b[0]) if len(a) == 1 else difference_p(a, b)


def compare_to_reference(sweep_dir: Path, rows: list[dict[str, Any]]) -> None:
    """Add to each row its paired comparisons with its curve's reference setting (the one the
    curves share, else the curve's first) run under the same seed: the difference with a
    paired bootstrap interval, a sign-flip permutation p-value, and Holm's adjustment over
    every such comparison of the sweep (``comparisons`` says how many).  The primary metric is
    pass@1 where the whole curve was evaluated, else the held-out records' NLL; every held-out
    set of :data:`EXTRA_SETS` the two runs share is compared too (``diff_<set>``, ...).  NLL is
    token-weighted (each unit by its answer tokens, the mean training reports), pass@1
    weights each problem once.

    A setting run under several seeds is also compared over all of them at once
    (``pooled_*``, the same on each of its rows): the bootstrap resamples seeds and the units
    inside each, the p-value is read off those replicates (so seed-to-seed noise counts), and
    Holm runs over these pooled comparisons as a family of their own
    (``pooled_comparisons``)."""
    for r in rows:
        r.update(dict.fromkeys(PAIRED_COLUMNS + SET_PAIRED_COLUMNS + POOLED_COLUMNS))
    cache: dict[tuple[str, str], Units | None] = {}

    def units(row: dict[str, Any], name: str) -> Units | None:  # each file read once
        key = (row["id"], name)
        if key not in cache:
            cache[key] = row_units(sweep_dir, row, name)
        return cache[key]

    found: list[tuple[list[dict[str, Any]], str, float]] = []  # (rows, p_holm column, p)
    pooled: list[tuple[list[dict[str, Any]], str, float]] = []

    def compare(group: list[dict[str, Any]], refs: list[dict[str, Any]], name: str,
                metric: str, family: list) -> bool:
        """Compare measure ``name`` of ``group`` (one row per seed) with ``refs`` (the same
        seeds) and write the columns on every row of ``group``; False where not paired."""
        a, b = [units(r, name) for r in group], [units(r, name) for r in refs]
        if any(x is None or y is None or x.ids != y.ids for x, y in zip(a, b)):
            return False  # not the same units: no paired comparison to offer
        d, p = _compare(a, b)
        diff, low, high, p_col, holm_col = columns(None if name == metric else name,
                                                   pooled=family is pooled)
        for r in group:
            r.update({diff: d.value, low: d.low, high: d.high, p_col: p})
        family.append((group, holm_col, p))
        return True

    done = [r for r in rows if r.get("curves")]
    for curve in dict.fromkeys(c for r in done for c in r["curves"]):
        members = [r for r in done if curve in r["curves"]]
        shared = [r for r in members if len(r["curves"]) > 1]
        reference = setting((shared or members)[0])
        refs = {m.get("seed"): m for m in members if setting(m) == reference}
        metric = "pass_at_1" if all(r.get("pass_at_1") is not None for r in members) else "nll"
        groups: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        for r in members:
            ref = refs.get(r.get("seed"))
            if setting(r) == reference or r["reference"] is not None or ref is None:
                continue
            if not compare([r], [ref], metric, metric, found):
                continue
            r.update(reference=ref["id"], paired_metric=metric,
                     paired_weighting="per token" if metric == "nll" else "per problem")
            for name in EXTRA_SETS:
                compare([r], [ref], name, metric, found)
            groups.setdefault(setting(r), []).append((r, ref))
        for pairs in groups.values():
            if len(pairs) > 1:
                group, group_refs = [r for r, _ in pairs], [ref for _, ref in pairs]
                if any([compare(group, group_refs, name, metric, pooled)
                        for name in (metric, *EXTRA_SETS)]):
                    for r in group:
                        r["pooled_seeds"] = [x.get("seed") for x in group]
    for family, total in ((found, "comparisons"), (pooled, "pooled_comparisons")):
        for (group, column, _), p in zip(family, holm([p for _, _, p in family])):
            for r in group:
                r.update({column: p, total: len(family)})


def collect(plan) -> list[dict[str, Any]]:
    """Rebuild ``registry.jsonl`` from the finished run folders; returns the rows, plan order
    first, then finished points a changed spec no longer lists.  Curve memberships come from
    the current plan."""
    sweep_dir = Path(plan.sweep_dir)
    rows, seen = [], set()
    for pt in plan.points:
        path = run_dir(plan, pt) / "row.json"
        if path.exists():
            row = read_json(path)
            row["curves"] = list(pt.curves)
            rows.append(row)
            seen.add(pt.id)
    for path in sorted((sweep_dir / "runs").glob("*/row.json")):
        if path.parent.name not in seen:
            rows.append(read_json(path))
    compare_to_reference(sweep_dir, rows)
    with _locked(sweep_dir / ".registry.lock"):
        write_jsonl(sweep_dir / REGISTRY_FILE, rows)
    return rows


def read_registry(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """The registry's rows (what the report reads)."""
    path = Path(sweep_dir) / REGISTRY_FILE
    if not path.exists():
        return []
    return read_jsonl_values(path)
