"""The synthesis executor: notebook cells run in a sandboxed IPython kernel.

Each kernel is an ``ipykernel`` process exec'd inside its own sandbox (see
:mod:`rcwork.sandbox.sandbox`), talking to us over ZeroMQ ``ipc`` sockets (TCP cannot cross its
network namespace). The sockets live in the sandbox's private /tmp, which we reach through
``/proc/PID/root`` of its pid 1: whatever the kernel writes there counts against its work-dir cap,
and nothing is left on the host when it dies, however the workbench ended. (Without namespaces
they live in a host directory shared with it, removed afterwards.)

Between cells the kernel is stopped (SIGSTOP, after every other process it started is killed) and
continued for the next cell: a thread a cell left behind burns no CPU while the teacher thinks, so
a kernel uses CPU only during cells, each bounded by its wall-clock timeout. A cell's result is what a notebook would show:
stdout, stderr, results and display text, and tracebacks, in arrival order, without ANSI colour
codes. Runs are repeatable: a fresh kernel has hash seed 0, works in /tmp as uid-owned scratch
space, and numbers its cells from 1, so the same cells give the same text.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import zmq
from jupyter_client import BlockingKernelClient

from rcwork.sandbox.limits import Limits
from rcwork.sandbox.output import TRUNCATION_MARKER, Capped, render_text, strip_ansi
from rcwork.sandbox import _linux
from rcwork.sandbox.sandbox import Job, Sandbox, SandboxError, default_sandbox, stdin_fd

CellStatus = Literal["ok", "error", "timeout", "dead"]

_KERNEL_ARGV = ["-s", "-B", "-m", "ipykernel_launcher", "--HistoryManager.enabled=False"]
_KERNEL_ENV = {"PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
_IDLE_GRACE_S = 2.0  # after the reply, how long the closing "idle" status may lag
_READY_RETRY_S = 1.0
_STOP_TIMEOUT_S = 15.0
# Over this a message is dropped by ZeroMQ instead of received: a cell cannot make the workbench
# allocate gigabytes by bypassing the in-kernel cap below.
_MAX_MESSAGE_BYTES = 32 << 20
_CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
_IPC_NAME = ".kernel-ipc"  # in the kernel's work dir: sockets .kernel-ipc-1 ... -5
_STOP_WAIT_S = 5.0

# Run silently in every new kernel. First, it stops a cell's prints from sending more than the cap (plus one
# character, so we can tell it overflowed) instead of flooding the workbench to be cut there.
# IPython wraps ``stream.write`` anew around each cell (to record outputs) and restores it after, so
# the cap is wrapped around that at every cell start: outermost, so dropped text is not recorded
# either. This is a courtesy, not a defence: a cell can undo it, which is what the client-side
# message size limit is for. Second, builtins a cell rebinds (``builtins.print = ...``) are put back
# before the next cell, so one cell's patch cannot blank or skew every later cell's output; within
# the cell that made it, the patch holds, as in any notebook. Verdicts never depend on a kernel:
# tests run in :mod:`rcwork.sandbox.verdicts`.
_CAP_STREAMS = """
def _rcwork_cap_streams(cap):
    import sys
    budget = [cap]
    def capped(write):
        def write_capped(text):
            left = budget[0]
            budget[0] = left - len(text)
            if left <= 0:
                return len(text)
            return write(text[:left])
        write_capped.rcwork_inner = write
        return write_capped
    def install(*_):
        budget[0] = cap
        for stream in (sys.stdout, sys.stderr):
            write = stream.write
            stream.write = capped(getattr(write, "rcwork_inner", write))
    get_ipython().events.register("pre_run_cell", install)
_rcwork_cap_streams({cap})
del _rcwork_cap_streams

def _rcwork_keep_builtins():
    import builtins
    saved = dict(vars(builtins))
    def restore(*_):
        current = vars(builtins)
        for name, value in saved.items():
            if current.get(name, saved) is not value:
                current[name] = value
    get_ipython().events.register("pre_run_cell", restore)
_rcwork_keep_builtins()
del _rcwork_keep_builtins
"""

_context_lock = threading.Lock()
_context: zmq.Context | None = None


def _zmq_context() -> zmq.Context:
    global _context
    with _context_lock:
        if _context is None:
            _context = zmq.Context()
            _context.setsockopt(zmq.MAXMSGSIZE, _MAX_MESSAGE_BYTES)
        return _context


def _drain(channel: object) -> list[dict]:
    """The messages waiting on a channel (``get_msgs`` of jupyter_client 8.10 blocks when none is)."""
    msgs = []
    while channel.msg_ready():  # type: ignore[attr-defined]
        msgs.append(channel.get_msg(timeout=0))  # type: ignore[attr-defined]
    return msgs


@dataclass
class CellResult:
    """What one cell showed, how it ended, and how long it took (wall clock)."""

    text: str
    status: CellStatus
    duration_s: float


class _Kernel:
    """One sandboxed kernel process and our client to it."""

    def __init__(self, sandbox: Sandbox, limits: Limits, startup_timeout_s: float) -> None:
        self._sandbox = sandbox
        self.uid = sandbox.new_uid()
        # Without namespaces the sockets need a host directory; with them, they stay inside.
        self.conn_dir = None if sandbox.namespaces else sandbox.shared_dir(self.uid)
        self._log = os.memfd_create("kernel-log")
        self.job: Job | None = None
        self.client: BlockingKernelClient | None = None
        self._host_pid: int | None = None
        try:
            self._launch(limits, startup_timeout_s)
            self._wait_ready(time.monotonic() + startup_timeout_s)
            self.execute_silently(_CAP_STREAMS.format(cap=limits.max_output_bytes + 1), startup_timeout_s)
            self.pause()
        except BaseException:
            self.close()
            raise

    def _launch(self, limits: Limits, startup_timeout_s: float) -> None:
        info = {name: port for port, name in enumerate(_CHANNELS, 1)}
        info.update(transport="ipc", key=secrets.token_hex(32), signature_scheme="hmac-sha256", kernel_name="")
        inside = self.conn_dir or "/tmp"
        kernel_info = {**info, "ip": os.path.join(inside, _IPC_NAME)}
        files = {"kernel.json": json.dumps(kernel_info)}
        if self.conn_dir is not None:  # fallback: a host directory, written by us for the kernel
            with open(os.path.join(self.conn_dir, "kernel.json"), "w") as f:
                f.write(files.pop("kernel.json"))
            if self.uid is not None:
                os.chown(self.conn_dir, self.uid, self.uid)
        self.job = self._sandbox.spawn(
            limits=limits,
            cpu_s=limits.cpu_s,
            stdin=stdin_fd(None),
            stdout=os.open(os.devnull, os.O_WRONLY),
            stderr=os.dup(self._log),
            argv=[sys.executable, *_KERNEL_ARGV, "-f", os.path.join(inside, "kernel.json")],
            uid=self.uid,
            files=files,
            env=_KERNEL_ENV,
        )
        if self.conn_dir is None:  # the kernel's /tmp as we see it: through its pid 1's root
            init = self.job.wait_for("init", startup_timeout_s)
            info["ip"] = f"/proc/{init}/root/tmp/{_IPC_NAME}"
        else:
            info["ip"] = kernel_info["ip"]
        self.client = BlockingKernelClient(context=_zmq_context())
        self.client.load_connection_info(info)
        self.client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=True)

    def host_pid(self) -> int:
        """The kernel process's pid on the host (its own pid namespace numbers it differently)."""
        if self._host_pid is None:
            self.job.read_events()
            ns_pid = self.job.wait_for("pid", _STOP_WAIT_S)
            init = self.job.events.get("init")
            if self._sandbox.namespaces and init is not None:
                found = [pid for pid, inner in _linux.namespace_processes(init) if inner == ns_pid]
                if not found:
                    raise SandboxError("the kernel process is gone")
                self._host_pid = found[0]
            else:
                self._host_pid = ns_pid
        return self._host_pid

    def pause(self) -> None:
        """Stop the kernel and kill everything else of its sandbox: no CPU between cells."""
        pid = self.host_pid()
        os.kill(pid, signal.SIGSTOP)
        deadline = time.monotonic() + _STOP_WAIT_S
        while not _linux.is_stopped(pid) and time.monotonic() < deadline:
            time.sleep(0.001)
        self.kill_strays()

    def resume(self) -> None:
        os.kill(self.host_pid(), signal.SIGCONT)

    def log_tail(self, chars: int = 2000) -> str:
        """The end of what the kernel wrote to its own stderr (start-up failures land here)."""
        size = os.lseek(self._log, 0, os.SEEK_END)
        return os.pread(self._log, chars, max(0, size - chars)).decode(errors="replace")

    def poller(self) -> zmq.Poller:
        poller = zmq.Poller()
        poller.register(self.client.iopub_channel.socket, zmq.POLLIN)
        poller.register(self.client.shell_channel.socket, zmq.POLLIN)
        poller.register(self.job.status.fileno(), zmq.POLLIN)
        return poller

    def _wait_ready(self, deadline: float) -> None:
        """Until a kernel_info reply AND an iopub message arrive: the latter proves our
        subscription is live, so the first cell's output cannot be lost."""
        poller = self.poller()
        while True:
            msg_id = self.client.kernel_info()
            replied = published = False
            retry_at = min(deadline, time.monotonic() + _READY_RETRY_S)
            while time.monotonic() < retry_at:
                poller.poll(max(0.0, retry_at - time.monotonic()) * 1000)
                if not self.job.read_events():
                    raise SandboxError(f"kernel exited while starting ({self.job.events}):\n{self.log_tail()}")
                published |= bool(_drain(self.client.iopub_channel))
                for msg in _drain(self.client.shell_channel):
                    replied |= msg["parent_header"].get("msg_id") == msg_id
                if replied and published:
                    return
            if time.monotonic() >= deadline:
                raise SandboxError(f"kernel not ready in time:\n{self.log_tail()}")

    def execute_silently(self, code: str, timeout_s: float) -> None:
        msg_id = self.client.execute(code, silent=True, store_history=False)
        deadline = time.monotonic() + timeout_s
        while True:  # replies to repeated kernel_info requests may still be queued ahead of ours
            try:
                reply = self.client.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SandboxError(f"kernel set-up cell got no reply:\n{self.log_tail()}") from None
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"]["status"] != "ok":
            raise SandboxError(f"kernel set-up cell failed: {reply['content']}")

    def interrupt(self) -> None:
        self.client.control_channel.send(self.client.session.msg("interrupt_request", content={}))

    def kill_strays(self) -> None:
        self.job.read_events()
        self._sandbox.kill_strays(self.job)

    def close(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
        if self.job is not None:
            self.job.kill()
            self.job.wait(_STOP_TIMEOUT_S)
            self.job.close()
        os.close(self._log)
        if self.conn_dir is not None:
            shutil.rmtree(self.conn_dir, ignore_errors=True)


class _CellText:
    """Builds a cell's text from iopub messages, honouring clear_output as a notebook does."""

    def __init__(self, cap: int) -> None:
        self.buffer: Capped[str] = Capped(cap, "")
        self.idle = False  # the closing status arrived: nothing more will
        self.lost = False  # some of the output never arrived
        self._clear_on_next = False

    def add(self, msg: dict) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            self.idle |= content["execution_state"] == "idle"
            return
        if kind == "clear_output":
            if content.get("wait"):
                self._clear_on_next = True
            else:
                self.buffer.clear()
            return
        if kind == "stream":
            text = content["text"]
        elif kind in ("execute_result", "display_data"):
            text = content["data"].get("text/plain", "")
            text = text + "\n" if text else ""
        elif kind == "error":
            text = "\n".join(content["traceback"]) + "\n"
        else:
            return
        if self._clear_on_next:
            self.buffer.clear()
            self._clear_on_next = False
        self.buffer.feed(strip_ansi(text))

    def render(self) -> str:
        text = render_text(self.buffer)
        return text + TRUNCATION_MARKER if self.lost and not self.buffer.truncated else text


class KernelSession:
    """A sandboxed IPython kernel whose state persists across :meth:`execute` calls.

    A cell past its timeout is interrupted (KeyboardInterrupt), and the kernel restarted when it
    does not answer within ``interrupt_grace_s``; a kernel that dies (memory, segfault, os._exit)
    is restarted before the next cell. Either way the session stays usable, with fresh state.
    Processes a cell leaves running are killed when it ends.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        sandbox: Sandbox | None = None,
        startup_timeout_s: float = 60.0,
        interrupt_grace_s: float = 5.0,
    ) -> None:
        self.limits = limits or Limits()
        self.startup_timeout_s = startup_timeout_s
        self.interrupt_grace_s = interrupt_grace_s
        self._sandbox = sandbox or default_sandbox()
        self._kernel: _Kernel | None = self._new_kernel()
        self._closed = False

    def _new_kernel(self) -> _Kernel:
        return _Kernel(self._sandbox, self.limits, self.startup_timeout_s)

    def execute(self, code: str, timeout_s: float | None = None) -> CellResult:
        """Run one cell; ``timeout_s`` defaults to ``limits.timeout_s``."""
        if self._closed:
            raise SandboxError("the kernel session is closed")
        if self._kernel is None:
            self._kernel = self._new_kernel()
        kernel = self._kernel
        text = _CellText(self.limits.max_output_bytes)
        start = time.monotonic()
        kernel.resume()
        msg_id = kernel.client.execute(code, store_history=True, allow_stdin=False, stop_on_error=False)
        status = self._collect(kernel, msg_id, text, start + (timeout_s or self.limits.timeout_s))
        if status == "timeout":
            kernel.interrupt()
            self._collect(kernel, msg_id, text, time.monotonic() + self.interrupt_grace_s)
        duration = time.monotonic() - start
        if text.idle and not kernel.job.finished:
            kernel.pause()
        else:  # dead, deaf to the interrupt, or its output channel broke: a fresh kernel next time
            # A reply without the closing "idle" means ZeroMQ dropped an oversized message.
            text.lost = status in ("ok", "error") and not text.idle
            self._discard()
        return CellResult(text=text.render(), status=status, duration_s=duration)

    def _collect(self, kernel: _Kernel, msg_id: str, text: _CellText, deadline: float) -> CellStatus:
        """Read the cell's messages until its reply and closing idle status, death, or deadline."""
        poller = kernel.poller()
        reply: CellStatus | None = None
        reply_at = 0.0
        while True:
            now = time.monotonic()
            if reply is not None and (text.idle or now >= reply_at + _IDLE_GRACE_S):
                return reply
            if now >= deadline and reply is None:
                return "timeout"
            until = deadline if reply is None else min(deadline, reply_at + _IDLE_GRACE_S)
            poller.poll(max(0.0, until - now) * 1000)
            for msg in _drain(kernel.client.iopub_channel):
                if msg["parent_header"].get("msg_id") == msg_id:
                    text.add(msg)
            for msg in _drain(kernel.client.shell_channel):
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
                    reply = "ok" if msg["content"]["status"] == "ok" else "error"
                    reply_at = time.monotonic()
            if not kernel.job.read_events():
                return reply or "dead"

    def _discard(self) -> None:
        """Drop the current kernel; the next cell starts a fresh one."""
        if self._kernel is not None:
            self._kernel.close()
            self._kernel = None

    def close(self) -> None:
        self._closed = True
        self._discard()

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class KernelPool:
    """Warm kernels for throughput: ``with pool.session() as s:`` gives a kernel no cell has run
    in; afterwards it is closed (never reused with old state) and a replacement warms up in the
    background."""

    def __init__(self, size: int = 2, limits: Limits | None = None, *, sandbox: Sandbox | None = None,
                 startup_timeout_s: float = 60.0) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one kernel")
        self.limits = limits or Limits()
        self.startup_timeout_s = startup_timeout_s
        self._sandbox = sandbox or default_sandbox()
        self._ready: queue.Queue[KernelSession | BaseException] = queue.Queue()
        self._wanted: queue.Queue[bool] = queue.Queue()
        self._stop = threading.Event()
        self._warmer = threading.Thread(target=self._warm, name="rcwork-kernel-pool", daemon=True)
        self._warmer.start()
        for _ in range(size):
            self._wanted.put(True)

    def _warm(self) -> None:
        while self._wanted.get() and not self._stop.is_set():
            try:
                session = KernelSession(self.limits, sandbox=self._sandbox,
                                        startup_timeout_s=self.startup_timeout_s)
            except BaseException as err:  # noqa: BLE001 - handed to whoever waits for a kernel
                self._ready.put(err)
                continue
            if self._stop.is_set():
                session.close()
            else:
                self._ready.put(session)

    @contextmanager
    def session(self) -> Iterator[KernelSession]:
        try:
            item = self._ready.get(timeout=self.startup_timeout_s * 2)
        except queue.Empty:
            raise SandboxError("no kernel became ready in time") from None
        self._wanted.put(True)
        if isinstance(item, BaseException):
            raise SandboxError("starting a pooled kernel failed") from item
        try:
            yield item
        finally:
            item.close()

    def close(self) -> None:
        self._stop.set()
        self._wanted.put(False)
        self._warmer.join(timeout=self.startup_timeout_s)
        while not self._ready.empty():
            item = self._ready.get_nowait()
            if isinstance(item, KernelSession):
                item.close()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
