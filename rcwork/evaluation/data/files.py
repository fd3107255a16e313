"""Where benchmark rows come from: a local file (JSON, JSONL, gzipped JSONL), or the hub only
when it can answer — offline, the error comes at once, with what to pass instead."""

from __future__ import annotations

import os
import socket
import sys
import urllib.parse
from pathlib import Path
from typing import Any, Iterable

from rcwork.evaluation.data.problem import BenchmarkUnavailable
from rcwork.jsonl import read_jsonl_values
from rcwork.stage_files import read_json


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """A JSON list (``.json``) or JSON lines (``.jsonl``, ``.jsonl.gz``) file as a list, read
    through the one I/O layer (a bad line is named with its file and line)."""
    path = Path(path)
    if path.suffix == ".json":
        data = read_json(path)
        if isinstance(data, dict):  # {task_id: record}
            data = list(data.values())
        return list(data)
    return read_jsonl_values(path)


_TRUE = ("1", "true", "yes", "on")


def _offline_reason() -> str | None:
    """Why the hub cannot be reached now (None: it can), decided at once.

    ``HF_HUB_OFFLINE``/``HF_DATASETS_OFFLINE`` say so; otherwise one TCP connection to the hub's
    endpoint with a short timeout. Without this, ``datasets`` retries for ~25 s (11 log lines)
    before failing on a machine without network.
    """
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(name, "").strip().lower() in _TRUE:
            return f"{name} is set"
    endpoint = urllib.parse.urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        socket.create_connection((host, port), timeout=_PROBE_TIMEOUT_S).close()
    except OSError as e:
        return f"{host}:{port} unreachable ({e.strerror or type(e).__name__})"
    return None


_PROBE_TIMEOUT_S = 3.0


def _hub_records(repo: str, *, config: str | None = None, splits: Iterable[str] = ("test",)
                 ) -> list[dict[str, Any]]:
    """Rows of a hub dataset, or BenchmarkUnavailable when offline or unreachable.

    Offline (no network, or the offline variables set) the hub is not contacted: a hub cache
    is read if there is one (``datasets`` in offline mode), else the error says at once what to
    pass instead."""
    offline = _offline_reason()
    if offline is not None and "datasets" not in sys.modules:
        # Cache only, no retries: the variables are read when datasets is imported.
        os.environ["HF_HUB_OFFLINE"] = os.environ["HF_DATASETS_OFFLINE"] = "1"
    elif offline is not None:
        raise BenchmarkUnavailable(f"offline ({offline}): cannot load {repo} from the hub; pass a "
                                   f"local file with --problems")
    try:
        import datasets

        rows: list[dict[str, Any]] = []
        for split in splits:
            rows.extend(datasets.load_dataset(repo, config, split=split))
        return rows
    except Exception as e:  # offline mode, no network, no such split
        if offline is not None:
            raise BenchmarkUnavailable(f"offline ({offline}) and no cached copy of {repo}: pass "
                                       f"a local file with --problems") from None
        raise BenchmarkUnavailable(
            f"could not load {repo} from the hub ({type(e).__name__}: {str(e)[:200]}); "
            f"pass a local file with --problems") from e
