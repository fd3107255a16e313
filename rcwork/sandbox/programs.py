"""The scoring executor: run a Python program in a sandbox and say how it ended.

A verdict is one of

- ``passed``: exit status 0;
- ``failed``: the program died of an ``AssertionError`` (the last line of its traceback says so):
  what a failing test looks like;
- ``error``: any other exception or non-zero exit (``MemoryError`` at the memory limit included);
- ``timeout``: still running at ``timeout_s`` wall-clock seconds; the sandbox was killed;
- ``killed``: ended by a signal (segfault, SIGKILL at the CPU limit, killing itself).
"""

from __future__ import annotations

import fcntl
import os
import re
import selectors
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Literal

from rcwork.sandbox.limits import Limits
from rcwork.sandbox.output import Capped, render_bytes
from rcwork.sandbox.sandbox import Job, Sandbox, SandboxError, default_sandbox, stdin_fd

Status = Literal["passed", "failed", "timeout", "error", "killed"]

_PIPE_BYTES = 1 << 20  # a larger pipe means fewer wake-ups when a program floods its output
_F_SETPIPE_SZ = 1031
_KILL_GRACE_S = 15.0  # from "kill" to "nothing left": well under a second unless the box is swamped
_DRAIN_GRACE_S = 2.0  # how long pipes may outlive the tree (only without pid namespaces)
_ASSERTION = re.compile(r"^AssertionError\b")


@dataclass
class ProgramResult:
    """How a program ended; ``returncode`` is the exit code, ``-N`` for signal N, None on timeout."""

    status: Status
    stdout: str
    stderr: str
    duration_s: float
    returncode: int | None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def run_program(
    source: str,
    *,
    timeout_s: float = 10.0,
    memory_mb: int = 1024,
    stdin: str | None = None,
    limits: Limits | None = None,
    sandbox: Sandbox | None = None,
) -> ProgramResult:
    """Run ``source`` as a fresh ``python -I`` process in a sandbox and classify the outcome.

    ``timeout_s``/``memory_mb`` are shorthands for ``limits``; give one or the other. ``stdin`` is
    what the program reads (default: end-of-file at once).
    """
    if limits is None:
        limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb)
    elif (timeout_s, memory_mb) != (10.0, 1024):
        raise TypeError("give either limits or timeout_s/memory_mb, not both")
    sandbox = sandbox or default_sandbox()
    out_r, out_w = _pipe()
    err_r, err_w = _pipe()
    start = time.monotonic()
    try:
        job = sandbox.spawn(limits=limits, cpu_s=limits.program_cpu_s(), stdin=stdin_fd(stdin),
                            stdout=out_w, stderr=err_w, source=source.encode())
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    try:
        stdout = Capped(limits.max_output_bytes, b"")
        stderr = Capped(limits.max_output_bytes, b"")
        timed_out = _collect(job, {out_r: stdout, err_r: stderr}, deadline=start + limits.timeout_s)
        duration = time.monotonic() - start
    finally:
        job.close()
    stderr_text = render_bytes(stderr)
    status, returncode = _verdict(job, timed_out, stderr_text)
    return ProgramResult(status, render_bytes(stdout), stderr_text, duration, returncode)


def run_programs(sources: Iterable[str], *, workers: int = 2, progress: bool = False,
                 **kwargs: object) -> list[ProgramResult]:
    """:func:`run_program` over ``sources`` with ``workers`` in parallel; results in input order."""
    sources = list(sources)
    results: list[ProgramResult | None] = [None] * len(sources)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rcwork-score") as pool:
        futures = {pool.submit(run_program, source, **kwargs): i for i, source in enumerate(sources)}
        done = as_completed(futures)
        if progress:
            from tqdm.auto import tqdm

            done = tqdm(done, total=len(futures), desc="scoring", unit="program")
        for future in done:
            results[futures[future]] = future.result()
    return results  # type: ignore[return-value]


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    try:
        fcntl.fcntl(read, _F_SETPIPE_SZ, _PIPE_BYTES)
    except OSError:
        pass  # above /proc/sys/fs/pipe-max-size: keep the default
    return read, write


def _collect(job: Job, streams: dict[int, Capped[bytes]], *, deadline: float) -> bool:
    """Drain the program's output until its tree has ended; kill it at ``deadline``.
    Returns whether it was killed for time. Closes the read ends."""
    selector = selectors.DefaultSelector()
    for fd in streams:
        selector.register(fd, selectors.EVENT_READ)
    selector.register(job.status, selectors.EVENT_READ)
    timed_out = False
    stop_by: float | None = None  # once the tree is dead (or killed): how long to keep draining
    try:
        while selector.get_map():
            now = time.monotonic()
            if not job.finished and not timed_out and now >= deadline:
                job.kill()
                timed_out = True
                stop_by = now + _KILL_GRACE_S
            if stop_by is not None and now >= stop_by:
                if not job.finished:
                    raise SandboxError(f"sandbox still running {_KILL_GRACE_S:.0f} s after being killed")
                break  # a pipe outlived the tree: some process escaped (fallback mode only)
            for key, _ in selector.select(max(0.0, (stop_by or deadline) - now)):
                if key.fileobj is job.status:
                    if not job.read_events():
                        selector.unregister(job.status)
                        stop_by = min(stop_by or float("inf"), time.monotonic() + _DRAIN_GRACE_S)
                    continue
                chunk = os.read(key.fd, _PIPE_BYTES)
                if chunk:
                    streams[key.fd].feed(chunk)
                else:
                    selector.unregister(key.fd)
    finally:
        selector.close()
        for fd in streams:
            os.close(fd)
    return timed_out


def _verdict(job: Job, timed_out: bool, stderr: str) -> tuple[Status, int | None]:
    events = job.events
    if "error" in events:
        raise SandboxError(events["error"])
    if timed_out:
        return "timeout", None
    if "signal" in events:
        return "killed", -events["signal"]
    if "exit" not in events:
        raise SandboxError("the sandbox ended without reporting how the program ended (did its server die?)")
    code = events["exit"]
    if code == 0:
        return "passed", 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    return ("failed" if lines and _ASSERTION.match(lines[-1]) else "error"), code
