"""Per-record held-out NLL of a sweep point, for bootstrap intervals over held-out records.

``metrics.json`` holds the held-out ``nll_final_given_instruction`` as one mean; an interval
needs each record's share.  This recomputes it record by record — the same layout (``bos, I,
final answer, eos``), the same encoder and loss as :func:`rcwork.distill.loss.heldout_metrics`,
so the token-weighted mean equals the stage's number — for the trained model of a point and,
once per sweep and held-out split, for the base model it started from (``before``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from rcwork.stage_files import read_json, write_json


def heldout_records(cfg, tokenizer) -> list:
    """The held-out records of a DistillConfig: its first data source, split as training
    splits it (records over ``max_len`` are rejected first, under the same tokenizer)."""
    from rcwork.distill.data import load_training_data

    data = load_training_data(cfg.data[:1], tokenizer, max_len=cfg.max_len, heldout=cfg.heldout,
                              k=1, seed=cfg.seed)
    return data.heldout


@torch.no_grad()
def record_nlls(model_ref: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """``{"ids", "nll_sum", "tokens", "nll"}`` per held-out record for the model ``model_ref``
    (a name or a folder); ``nll`` is the token-weighted mean over all records."""
    from rcwork.distill.batching import DistillBatch, DistillItem
    from rcwork.distill.loss import loss_sums
    from rcwork.distill.trainer import DistillConfig
    from rcwork.encoding import encode_pair
    from rcwork.models import load_model
    from rcwork.records import InstructionPair
    from rcwork.stages import from_overrides

    cfg = from_overrides(DistillConfig, {**overrides, "report_to": "none"})
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    model, tokenizer = load_model(model_ref, seed=cfg.seed)
    model.eval()
    held = heldout_records(cfg, tokenizer)
    ids, sums, tokens = [], [], []
    for i, r in enumerate(held):
        pair = encode_pair(InstructionPair(r.source_instruction, r.final), tokenizer)
        s = loss_sums(model, DistillBatch([DistillItem(pair, None, 0)]))
        ids.append(str(r.metadata.extra.get("task_id") or f"heldout/{i}"))
        sums.append(float(s.ntp))
        tokens.append(int(s.ntp_tokens))
    return {"model": model_ref, "ids": ids, "nll_sum": sums, "tokens": tokens,
            "nll": sum(sums) / max(sum(tokens), 1)}


def baseline_nlls(sweep_dir: str | Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """:func:`record_nlls` of the base model, computed once per (model, held-out split) and
    kept under ``<sweep_dir>/baselines/``: every point that starts from it shares it."""
    key_fields = {k: overrides.get(k) for k in ("model", "data", "heldout", "max_len", "seed")}
    key = hashlib.sha1(json.dumps(key_fields, sort_keys=True, default=str).encode()
                       ).hexdigest()[:12]
    path = Path(sweep_dir) / "baselines" / f"{key}.json"
    if path.exists():
        return read_json(path)
    from rcwork.distill.trainer import DistillConfig

    model = overrides.get("model", DistillConfig.model)
    out = {**record_nlls(model, overrides), "key": key_fields}
    write_json(path, out)
    return out
