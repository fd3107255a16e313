"""A synthesis run: many problems, a pool of kernels, one teacher, files that survive a kill.

``synthesize(problems, teacher, output_dir, config)`` skips the problems whose records are
already in ``output_dir`` (resume), works through the rest with ``config.workers`` threads
(each problem gets a fresh-state kernel from a :class:`rcwork.sandbox.KernelPool`; the teacher
merges the workers' concurrent requests into batches where its backend can), filters each
record as it completes, appends it to the worker's shard, and ends with a summary computed from
every shard, so a resumed run reports on all of its records.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, ContextManager, Sequence

from rcwork.paths import PROBLEMS, resolve_paths
from rcwork.problems import Problem, load_problems
from rcwork.stage_files import StageFileError, SynthesisSummary, read_json, write_json
from rcwork.synthesis import prompts
from rcwork.synthesis.filters import REASONS, FilterConfig, filter_reasons, record_io_keywords
from rcwork.synthesis.loop import KernelHandle, LoopConfig, synthesize_problem
from rcwork.synthesis.store import ShardStore, iter_shard_lines
from rcwork.teachers.base import Teacher

log = logging.getLogger(__name__)


@dataclass
class SynthesisConfig:
    """The synthesis stage's one configuration: problems, teacher, loop and filters.

    ``rcwork synthesize`` flags, notebook 01's ``config`` parameter and the pipeline profiles
    are overrides of these fields (``rcwork.stages``)."""

    problems: str = field(default=PROBLEMS, metadata={
        "help": "a problems JSONL file or a directory of them"})
    num_problems: int | None = field(default=None, metadata={
        "help": "use only the first N problems"})
    output_dir: str = field(default="runs/synthesize", metadata={
        "help": "output directory; an existing run there is resumed"})
    teacher_backend: str = field(default="transformers", metadata={
        "help": "transformers (a model in this process), openai (any OpenAI-compatible "
                "server), vllm (offline engine on a GPU box)"})
    teacher_model: str = field(default="embedded", metadata={
        "help": "embedded | tiny | a folder | a hub id | the served model's name"})
    base_url: str | None = field(default=None, metadata={
        "help": "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1"})
    api_key_env: str = field(default="OPENAI_API_KEY", metadata={
        "help": "environment variable holding the API key (never logged or saved)"})
    threads: int = field(default=1, metadata={"help": "torch threads for a local teacher"})
    max_batch_size: int = field(default=8, metadata={
        "help": "conversations per generate call (local, vllm) or concurrent requests (openai)"})
    max_batch_tokens: int = field(default=8192, metadata={
        "help": "local teacher: rows x (prompt + new tokens) per generate call; bounds memory "
                "as conversations grow"})
    max_rounds: int = field(default=8, metadata={
        "help": "stage-1 rounds before a sequence counts as unresolved (paper: 8)"})
    max_new_tokens: int = field(default=512, metadata={"help": "per teacher reply"})
    final_max_new_tokens: int | None = field(default=None, metadata={
        "help": "for the stage-2 reply (default: max_new_tokens)"})
    temperature: float = field(default=0.0, metadata={"help": "0: greedy"})
    workers: int = field(default=2, metadata={
        "help": "problems in flight at once, each with its own kernel"})
    cell_timeout_s: float | None = field(default=None, metadata={
        "help": "seconds per executed cell (default: the sandbox's limit)"})
    run_hidden_tests: bool = field(default=True, metadata={
        "help": "run the problem's own tests on the last and the final code (recorded)"})
    filter_io: bool = field(default=True, metadata={"help": "filter code doing I/O"})
    filter_unresolved: bool = field(default=True, metadata={
        "help": "filter sequences unresolved after max_rounds"})
    filter_single_round: bool = field(default=True, metadata={
        "help": "filter sequences resolved in one round (they hold no reflection)"})
    require_hidden_tests: bool = field(default=False, metadata={
        "help": "also filter records whose code fails the problem's own tests"})
    progress: bool = field(default=True, metadata={"help": "a progress bar"})
    overwrite: bool = field(default=False, metadata={
        "help": "delete output_dir first (else an existing run there is resumed)"})

    def __post_init__(self) -> None:
        resolve_paths(self, ("problems", "output_dir"))

    def loop_config(self) -> LoopConfig:
        return LoopConfig(max_rounds=self.max_rounds, max_new_tokens=self.max_new_tokens,
                          final_max_new_tokens=self.final_max_new_tokens,
                          temperature=self.temperature, cell_timeout_s=self.cell_timeout_s,
                          run_hidden_tests=self.run_hidden_tests)

    def filter_config(self) -> FilterConfig:
        return FilterConfig(io=self.filter_io, unresolved=self.filter_unresolved,
                            single_round=self.filter_single_round,
                            require_hidden_tests=self.require_hidden_tests)


def load_problem_sources(path: str | Path, num_problems: int | None = None
                         ) -> tuple[list[Problem], dict[str, str]]:
    """Problems from a file or directory (validated by :func:`load_problems`), the first
    ``num_problems`` of them, and the file each came from (for ``metadata.source``)."""
    path = Path(path)
    problems = load_problems(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    sources = {p.task_id: str(f) for f in files for p in load_problems(f)}
    if num_problems is not None:
        problems = problems[:num_problems]
    return problems, sources


# ---------------------------------------------------------------- summary


def summarize_run(output_dir: str | Path) -> SynthesisSummary:
    """Counts over every record in a run's shards: kept/filtered, reasons, rounds."""
    store = ShardStore(output_dir)
    reasons: Counter = Counter()
    io_kw: Counter = Counter()
    rounds_all: Counter = Counter()
    rounds_kept: Counter = Counter()
    round_status: Counter = Counter()
    stage2: Counter = Counter()
    n = kept = resolved = 0
    hidden = {"passed": 0, "failed": 0, "not_run": 0}
    final_tests = {"passed": 0, "failed": 0, "not_run": 0}
    problem_s = 0.0
    for path in store.shard_paths():
        is_kept = path.parent.name == "kept"
        for _, obj in iter_shard_lines(path):
            if obj is None:
                continue
            meta = obj.get("metadata", {})
            n += 1
            kept += is_kept
            resolved += bool(meta.get("resolved"))
            r = int(meta.get("rounds", 0))
            rounds_all[r] += 1
            if is_kept:
                rounds_kept[r] += 1
            else:
                reasons.update(meta.get("filter_reasons", []))
            io_kw.update(meta.get("io_keywords", []))
            round_status.update(meta.get("round_status", []))
            stage2[meta.get("stage2", "?")] += 1
            for key, tally in (("hidden_tests_passed", hidden), ("final_tests_passed", final_tests)):
                v = meta.get(key)
                tally["not_run" if v is None else "passed" if v else "failed"] += 1
            problem_s += float(meta.get("duration_s", 0.0))
    ordered = {k: reasons.get(k, 0) for k in REASONS}
    ordered.update({k: v for k, v in reasons.items() if k not in ordered})
    return SynthesisSummary(
        records=n, kept=kept, filtered=n - kept, resolved=resolved, filter_reasons=ordered,
        io_keywords=dict(io_kw.most_common()),
        rounds_histogram={str(k): rounds_all[k] for k in sorted(rounds_all)},
        rounds_histogram_kept={str(k): rounds_kept[k] for k in sorted(rounds_kept)},
        round_status=dict(round_status.most_common()), stage2=dict(stage2.most_common()),
        hidden_tests=hidden, final_tests=final_tests, problem_seconds=round(problem_s, 1))


def format_summary(s: SynthesisSummary) -> str:
    lines = [f"records {s.records}: kept {s.kept}, filtered {s.filtered} "
             f"(resolved {s.resolved})"]
    lines.append("filtered by reason (a record may have several): " + ", ".join(
        f"{k} {v}" for k, v in s.filter_reasons.items()))
    if s.io_keywords:
        lines.append("I/O keywords: " + ", ".join(f"{k} {v}" for k, v in s.io_keywords.items()))
    lines.append("rounds (all): " + ", ".join(f"{k}: {v}" for k, v in s.rounds_histogram.items()))
    lines.append("rounds (kept): " + (", ".join(f"{k}: {v}" for k, v in
                                                s.rounds_histogram_kept.items()) or "-"))
    lines.append(f"problem tests on the last round's code: {s.hidden_tests}; "
                 f"on the final answer: {s.final_tests}")
    if s.wall_clock_s is not None:
        lines.append(f"this invocation: {s.processed} problem(s) in {s.wall_clock_s:.1f} s, "
                     f"{s.skipped_resumed} skipped as already done, {s.errors} error(s)")
    return "\n".join(lines)


# ---------------------------------------------------------------- the run


def _default_pool(workers: int, limits: Any):
    try:
        from rcwork.sandbox import KernelPool, Limits
    except ImportError as e:  # pragma: no cover - the sandbox is part of rcwork
        raise ImportError("synthesis executes code in rcwork.sandbox kernels, which could "
                          f"not be imported: {e}") from e
    return KernelPool(workers, limits if limits is not None else Limits())


def synthesize(problems: Sequence[Problem], teacher: Teacher, output_dir: str | Path,
               config: SynthesisConfig | None = None, *, sources: dict[str, str] | None = None,
               kernel_pool: Any = None, limits: Any = None,
               open_session: Callable[[], ContextManager[Any]] | None = None
               ) -> SynthesisSummary:
    """Synthesize a record for every problem not yet in ``output_dir``; returns the summary
    (also written to ``summary.json``).

    Code runs in kernels from ``kernel_pool`` (default: a new ``KernelPool(workers, limits)``,
    shut down at the end), or from ``open_session()`` if given (any context manager yielding an
    object with ``execute(code, timeout_s=...)``).
    """
    cfg = config or SynthesisConfig()
    loop_cfg, filter_cfg = cfg.loop_config(), cfg.filter_config()
    sources = sources or {}
    started = time.perf_counter()
    store = ShardStore(output_dir)
    scan = store.open()
    own_pool = None
    counts: Counter = Counter()
    todo = [p for p in problems if p.task_id not in scan.completed]
    skipped = len(problems) - len(todo)
    try:
        if scan.torn_lines_cut or scan.corrupt_lines or scan.duplicates:
            log.warning("resume scan of %s: %s", output_dir, scan.as_dict())
        _write_run_config(store, teacher, cfg, len(problems), skipped, scan.as_dict())

        if open_session is None and todo:
            if kernel_pool is None:
                own_pool = kernel_pool = _default_pool(max(1, cfg.workers), limits)
            open_session = kernel_pool.session

        work: queue.Queue[Problem] = queue.Queue()
        for p in todo:
            work.put(p)
        lock = threading.Lock()
        stop = threading.Event()
        bar = _progress(len(todo), cfg.progress, skipped)

        def worker(shard: int) -> None:
            while not stop.is_set():
                try:
                    problem = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    with KernelHandle(open_session) as kernel:
                        record = synthesize_problem(problem, teacher, kernel, loop_cfg,
                                                    source=sources.get(problem.task_id, ""))
                    reasons = filter_reasons(record, filter_cfg)
                    record.metadata.extra["io_keywords"] = record_io_keywords(record)
                    record.metadata.extra["filter_reasons"] = reasons
                    store.append(record, kept=not reasons, shard=shard)
                    outcome = "filtered" if reasons else "kept"
                except Exception as e:  # the problem stays undone and is retried on resume
                    log.exception("problem %s failed", problem.task_id)
                    store.append_error(problem.task_id, f"{type(e).__name__}: {e}")
                    outcome = "errors"
                with lock:
                    counts[outcome] += 1
                    if bar is not None:
                        bar.set_postfix(kept=counts["kept"], filtered=counts["filtered"],
                                        errors=counts["errors"], refresh=False)
                        bar.update(1)

        threads = [threading.Thread(target=worker, args=(i,), name=f"synth-{i}", daemon=True)
                   for i in range(max(1, min(cfg.workers, len(todo))))]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.5)
        except KeyboardInterrupt:
            stop.set()  # workers finish (and write) the problem they hold, then stop
            for t in threads:
                t.join()
            raise
        finally:
            if bar is not None:
                bar.close()
    finally:
        if own_pool is not None:
            own_pool.close()
        stats = getattr(teacher, "batch_stats", None)
        summary = replace(
            summarize_run(output_dir), teacher=teacher.name, problems=len(problems),
            skipped_resumed=skipped, processed=counts["kept"] + counts["filtered"],
            errors=counts["errors"], wall_clock_s=round(time.perf_counter() - started, 1),
            resume_scan=scan.as_dict(),
            teacher_batches={"calls": stats.calls, "mean_batch": round(stats.mean_batch, 2)}
            if stats is not None and stats.calls else None)
        summary.write(store.root)
        store.close()
    return summary


def build_teacher(cfg: SynthesisConfig) -> Teacher:
    """The teacher ``cfg`` names: its engine with the settings that backend takes; a local
    engine decodes ``max_batch_size`` merged conversations at once."""
    from rcwork.engines import make_engine
    from rcwork.teachers import EngineTeacher

    if cfg.teacher_backend == "transformers":
        engine = make_engine("transformers", cfg.teacher_model, num_threads=cfg.threads,
                             batch_size=cfg.max_batch_size, max_batch_tokens=cfg.max_batch_tokens)
    elif cfg.teacher_backend == "openai":
        engine = make_engine("openai", cfg.teacher_model, base_url=cfg.base_url,
                             api_key_env=cfg.api_key_env, max_concurrency=cfg.max_batch_size)
    else:
        engine = make_engine(cfg.teacher_backend, cfg.teacher_model,
                             batch_size=cfg.max_batch_size)
    return EngineTeacher(engine)


def run_synthesis(cfg: SynthesisConfig, teacher: Teacher | None = None) -> SynthesisSummary:
    """The whole stage: the problems and the teacher of ``cfg``, then :func:`synthesize` into
    ``cfg.output_dir`` (resuming a run there, unless ``cfg.overwrite`` deletes it first);
    returns the summary."""
    if cfg.overwrite and Path(cfg.output_dir).exists():
        shutil.rmtree(cfg.output_dir)
    problems, sources = load_problem_sources(cfg.problems, cfg.num_problems)
    teacher = teacher if teacher is not None else build_teacher(cfg)
    return synthesize(problems, teacher, cfg.output_dir, cfg, sources=sources)


def _progress(total: int, enabled: bool, skipped: int):
    if not enabled or total == 0:
        return None
    from tqdm.auto import tqdm

    # tqdm's bar shows the rate (problems/s or s/problem) and the ETA.
    return tqdm(total=total, desc=f"synthesize ({skipped} done before)" if skipped
                else "synthesize", unit="problem", smoothing=0.1)


def _write_run_config(store: ShardStore, teacher: Teacher, cfg: SynthesisConfig,
                      num_problems: int, skipped: int, scan: dict[str, int]) -> None:
    path = store.root / "run.json"
    previous: list[dict[str, Any]] = []
    if path.exists():
        try:
            previous = read_json(path).get("invocations", [])
        except (StageFileError, AttributeError):
            previous = []
    invocation = {"started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "problems": num_problems,
                  "skipped_resumed": skipped, "resume_scan": scan}
    identity = ("backend", "name", "model")  # batching settings do not change the records
    if previous and {k: previous[-1].get("teacher", {}).get(k) for k in identity} != {
            k: teacher.describe().get(k) for k in identity}:
        log.warning("resuming %s with a different teacher than before: %s", store.root,
                    teacher.describe())
    write_json(path, {
        "teacher": teacher.describe(), "config": asdict(cfg), "prompts": prompts.all_prompts(),
        "invocations": [*previous, {**invocation, "teacher": teacher.describe()}]})
