"""The in-sandbox half of :mod:`rcwork.sandbox.verdicts`: tests in one process, the candidate in
another, talking over a socket in plain data.

Standard library only: the sandbox server loads it once by path (so no sample pays for compiling
it), and each sandboxed program that judges a sample just calls :func:`main`; it holds no secret. Process H (this one) makes itself non-dumpable, forks the candidate process K, and
only then reads the test specification from stdin: K never holds the tests, the expected outputs
or the reference solution in its memory. K points stdin, stdout and stderr at /dev/null and
closes every other descriptor before it receives the candidate's source, so it has no way to
write where H reports. Being non-dumpable, H cannot be traced, nor its memory or descriptors read
through /proc, by K (same uid, no privileges).

H runs the (trusted) benchmark code: the prompt's helpers, then the tests, where the candidate's
functions are proxies that call into K. Arguments and results cross as plain data (None, bool,
int, float, complex, str, bytes, list, tuple, dict, set, frozenset, range), rebuilt from JSON on
the receiving side, so whatever K returns is compared by Python's own ``==`` on builtin types:
an object whose ``__eq__`` says yes to everything cannot cross. Anything else K returns crosses
as an opaque handle: H may call it, read its attributes (more plain data or handles) and pass it
back; with ``objects`` set (problem files whose tests drive the candidate's classes, e.g.
``Matrix(a) @ Matrix(b) == Matrix(c)``) operators on handles are forwarded too, except that a
handle is never equal to, nor ordered against, plain data, and an operator that took plain data
(or a unary one) must give back a handle. The tests' namespace takes the candidate's entry point
and other helpers, never a builtin or dunder name (see :func:`_injectable`). Functions the tests pass to the candidate (callbacks) cross as
handles K may only call.

The verdict is one line on H's stdout, ``<nonce> <json>``, the nonce being a per-run secret the
workbench put in the specification; K never sees it. Exit status and stderr mean nothing.
"""

import builtins
import ctypes
import json
import os
import socket
import struct
import sys
import traceback
import types

_PR_SET_DUMPABLE = 4
_LIBC = ctypes.CDLL(None)
_MAX_MESSAGE = 64 << 20
_HEADER = struct.Struct("!I")
_PLAIN = (type(None), bool, int, float, str)


class CandidateError(Exception):
    """An exception raised in the other process whose type has no builtin twin here."""

    def __init__(self, type_name, message):
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name


class _PeerGone(Exception):
    """The other process ended (or broke the protocol) in the middle of a call."""


class _Sink:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


# ---- the channel -------------------------------------------------------------------------------


class Peer:
    """One end of the symmetric call protocol: send a request, serve the other side's requests
    (callbacks) while waiting for its reply."""

    def __init__(self, sock, *, trusted, objects):
        self.sock = sock
        self.trusted = trusted  # H: may read attributes of, and apply operators to, K's objects
        self.objects = objects
        self.exported = {}  # our objects the other side holds handles to, by number
        self.proxies = {}  # its objects we hold handles to, by number
        self.lines = []  # K: the candidate's source lines, for tracebacks

    # -- wire
    def _send(self, message):
        data = json.dumps(message, allow_nan=True).encode()
        self.sock.sendall(_HEADER.pack(len(data)) + data)

    def _recv(self):
        header = self._read(_HEADER.size)
        (size,) = _HEADER.unpack(header)
        if size > _MAX_MESSAGE:
            raise _PeerGone(f"message of {size} bytes")
        return json.loads(self._read(size))

    def _read(self, size):
        chunks, left = [], size
        while left:
            chunk = self.sock.recv(min(left, 1 << 20))
            if not chunk:
                raise _PeerGone("end of file")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    # -- values
    def encode(self, value, depth=0):
        if depth > 200:
            raise ValueError("value nested too deeply to send")
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is list:
            return [self.encode(v, depth + 1) for v in value]
        if kind is tuple:
            return {"T": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            return {"D": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if kind is set or kind is frozenset:
            return {"S" if kind is set else "F": [self.encode(v, depth + 1) for v in value]}
        if kind is bytes:
            return {"B": value.hex()}
        if kind is complex:
            return {"C": [value.real, value.imag]}
        if kind is range:
            return {"G": [value.start, value.stop, value.step]}
        if isinstance(value, _Proxy) and value._peer is self:
            return {"L": value._number}  # the other side's own object, going home
        if not self.trusted and not isinstance(value, type):
            # K: convert what an honest solution returns for plain data
            for base in (bool, int, float, str, bytes, complex, tuple, list, dict):
                if isinstance(value, base):
                    return self.encode(base(value), depth + 1)
            if callable(getattr(value, "tolist", None)):  # numpy arrays and scalars
                return self.encode(value.tolist(), depth + 1)
            if not self.objects and hasattr(type(value), "__next__"):  # a generator, map, zip...
                return {"I": [self.encode(v, depth + 1) for v in value]}
        number = id(value)
        self.exported[number] = value
        name = getattr(value, "__name__", None) if callable(value) else None
        return {"R": number, "N": name} if isinstance(name, str) else {"R": number}

    def decode(self, data):
        if type(data) is list:
            return [self.decode(v) for v in data]
        if type(data) is not dict:
            return data
        tag, body = next(iter(data.items()))
        if tag == "T":
            return tuple(self.decode(v) for v in body)
        if tag == "D":
            return {self.decode(k): self.decode(v) for k, v in body}
        if tag in ("S", "F"):
            items = [self.decode(v) for v in body]
            return set(items) if tag == "S" else frozenset(items)
        if tag == "B":
            return bytes.fromhex(body)
        if tag == "C":
            return complex(*body)
        if tag == "G":
            return range(*body)
        if tag == "I":
            return iter([self.decode(v) for v in body])
        if tag == "L":
            return self.exported[body]
        if tag == "R":
            proxy = self.proxies.get(body)
            if proxy is None:
                if not self.trusted:
                    kind = _TestObject
                else:
                    kind = _ObjectHandle if self.objects else _Handle
                proxy = self.proxies[body] = kind(self, body, data.get("N"))
            return proxy
        raise ValueError(f"unknown tag {tag!r}")

    # -- calls
    def request(self, message):
        """Send a request; serve callbacks until its reply comes; return or raise it."""
        self._send(message)
        return self.wait_reply()

    def wait_reply(self):
        while True:
            reply = self._recv()
            if type(reply) is not dict:
                raise _PeerGone("a reply that is not an object")
            if "q" in reply:
                self._serve_one(reply)
                continue
            if "x" in reply:
                raise _exception(*reply["x"])
            return self.decode(reply["r"])

    def serve(self):
        """K: answer requests until H goes away."""
        while True:
            self._serve_one(self._recv())

    def _serve_one(self, message):
        try:
            result = self._handle(message)
            reply = {"r": self.encode(result)}
        except _PeerGone:
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure is the caller's to see
            reply = {"x": [type(exc).__name__, str(exc)[:300],
                           _frames(exc.__traceback__, "<solution>", self.lines)]}
        self._send(reply)

    def _handle(self, message):
        op = message["q"]
        target = self.exported[message["n"]]
        if op == "call":
            return target(*self.decode(message["a"]), **dict(self.decode(message["k"])))
        if self.trusted:
            # H never lets K look into its objects (a callback's __globals__ would hold the
            # tests): K may only call them and iterate over them.
            if op == "op" and message["attr"] in ("__iter__", "__next__"):
                return _apply(target, message["attr"], [])
            raise TypeError(f"{op} on a test's object is not allowed")
        if op == "getattr":
            return getattr(target, message["attr"])
        if op == "op" and self.objects:
            return _apply(target, message["attr"], self.decode(message["a"]))
        raise TypeError(f"operation {op!r} not allowed")


def _apply(target, name, args):
    if name in _BUILTIN_OPS:
        return _BUILTIN_OPS[name](target, *args)
    return getattr(target, name)(*args)


_BUILTIN_OPS = {"__len__": len, "__iter__": iter, "__next__": next, "__str__": str, "__repr__": repr,
                "__bool__": bool, "__hash__": hash, "__abs__": abs, "__round__": round,
                "__float__": float, "__int__": int}


def _exception(type_name, message, frames):
    kind = getattr(builtins, type_name, None) if isinstance(type_name, str) else None
    exc = None
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            exc = kind(message)
        except Exception:  # noqa: BLE001 - a builtin whose constructor wants more arguments
            exc = None
    if exc is None:
        exc = CandidateError(str(type_name), message)
    exc.remote_frames = frames
    exc.remote_type = type_name
    return exc


class _Proxy:
    """A handle on an object of the other process; see the module docstring for what it allows."""

    __slots__ = ("_peer", "_number", "_name")

    def __init__(self, peer, number, name=None):
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_number", number)
        object.__setattr__(self, "_name", name)

    def __call__(self, *args, **kwargs):
        peer = self._peer
        return peer.request({"q": "call", "n": self._number, "a": peer.encode(list(args)),
                             "k": peer.encode(list(kwargs.items()))})

    @property
    def __name__(self):
        if self._name is None:
            raise AttributeError("__name__")
        return self._name

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __hash__(self):
        return hash(self._number)

    def __repr__(self):
        return f"<object #{self._number} of the other process>"


def _forward(name):
    def method(self, *args):
        peer = self._peer
        return peer.request({"q": "op", "n": self._number, "attr": name, "a": peer.encode(list(args))})
    method.__name__ = name
    return method


class _TestObject(_Proxy):
    """K's handle on an object a test passed in (a callback, an iterator): call and iterate only."""

    __slots__ = ()
    __iter__ = _forward("__iter__")
    __next__ = _forward("__next__")


_READABLE_DUNDERS = ("__name__", "__qualname__", "__doc__")


class _Handle(_Proxy):
    """H's handle on an object of the candidate: call it, read its attributes, pass it back."""

    __slots__ = ()

    def __getattr__(self, attr):
        if attr.startswith("__") and attr not in _READABLE_DUNDERS:
            raise AttributeError(attr)
        return self._peer.request({"q": "getattr", "n": self._number, "attr": attr})

    __name__ = property(lambda self: self.__getattr__("__name__"))

    def __bool__(self):
        raise TypeError("the candidate returned an object where plain data was expected")

    def __repr__(self):
        return f"<candidate object #{self._number}>"


def _forward_equality(name):
    forwarded = _forward(name)

    def method(self, other):
        # Against plain data a handle is never equal: an object's own __eq__ must not decide
        # whether the candidate's answer matches the test's.
        if not isinstance(other, _Proxy):
            return NotImplemented
        return forwarded(self, other)
    method.__name__ = name
    return method


def _forward_arithmetic(name):
    forwarded = _forward(name)

    def method(self, *args):
        # The test's plain data handed to the candidate's operator may be the expected answer
        # (``abs(area(2) - 12.566) < 1e-9``): what comes back must be the candidate's own object
        # again (``3 * Vector(1, 2)``), never plain data the test would then compare, or the
        # candidate's operator could answer "zero difference" to any expected value. A unary
        # operator (``abs(obj - expected)``) likewise; between two of its own objects
        # (``Vector(1, 2) * Vector(3, 4)``) a plain result is its answer.
        result = forwarded(self, *args)
        binary_on_objects = bool(args) and all(isinstance(a, _Proxy) for a in args)
        if not isinstance(result, _Proxy) and not binary_on_objects:
            raise TypeError(f"{name} of the candidate's object returned plain data: a test's value "
                            "went into the candidate's operator and a verdict-shaped value came out")
        return result
    method.__name__ = name
    return method


_ORDERING = ("__lt__", "__le__", "__gt__", "__ge__")
# Unary ones included: ``abs(obj - expected)`` must not turn the candidate's object into 0.0.
_ARITHMETIC = ("__neg__", "__pos__", "__abs__", "__invert__",
               "__add__", "__sub__", "__mul__", "__matmul__", "__truediv__", "__floordiv__",
               "__mod__", "__divmod__", "__pow__", "__lshift__", "__rshift__", "__and__", "__or__",
               "__xor__", "__radd__", "__rsub__", "__rmul__", "__rmatmul__", "__rtruediv__",
               "__rfloordiv__", "__rmod__", "__rdivmod__", "__rpow__", "__rlshift__",
               "__rrshift__", "__rand__", "__ror__", "__rxor__")


class _ObjectHandle(_Handle):
    """A handle whose operators run in the candidate's process (problem files with classes).

    Comparisons (equality and ordering) run there only between two of the candidate's objects;
    against plain data a handle is never equal and not ordered (TypeError), so an object cannot
    decide whether it matches the test's expected value. Arithmetic with plain data must give
    back one of the candidate's objects (see :func:`_forward_arithmetic`)."""

    __slots__ = ()
    __eq__ = _forward_equality("__eq__")
    __ne__ = _forward_equality("__ne__")
    __hash__ = _forward("__hash__")
    __bool__ = _forward("__bool__")
    __repr__ = _forward("__repr__")


for _name in ("__len__", "__iter__", "__next__", "__getitem__", "__setitem__", "__delitem__",
              "__contains__", "__str__", "__round__", "__float__", "__int__", "__index__",
              "__enter__", "__exit__"):
    setattr(_ObjectHandle, _name, _forward(_name))
for _name in _ORDERING:
    setattr(_ObjectHandle, _name, _forward_equality(_name))
for _name in _ARITHMETIC:
    setattr(_ObjectHandle, _name, _forward_arithmetic(_name))


def _frames(tb, filename, lines=None):
    """[[line, source], ...] of the traceback's frames in ``filename``."""
    found = []
    for frame in traceback.extract_tb(tb):
        if frame.filename == filename and frame.lineno:
            source = lines[frame.lineno - 1].strip() if lines and 0 < frame.lineno <= len(lines) else (frame.line or "")
            found.append([frame.lineno, source])
    return found[-4:]


# ---- K: the candidate --------------------------------------------------------------------------


def _candidate(sock):
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    keep = sock.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
    sys.stdout = sys.stderr = _Sink()
    peer = Peer(sock, trusted=False, objects=False)
    try:
        message = peer._recv()
        source, peer.objects = message["source"], bool(message["objects"])
        peer.lines = source.splitlines()
        module = types.ModuleType("__solution__")
        sys.modules["__solution__"] = module
        try:
            exec(compile(source, "<solution>", "exec"), module.__dict__)
        except BaseException as exc:  # noqa: BLE001 - a solution that does not load
            frames = _frames(exc.__traceback__, "<solution>", source.splitlines())
            if isinstance(exc, SyntaxError) and exc.lineno:
                frames = [[exc.lineno, (exc.text or "").strip()]]
            peer._send({"x": [type(exc).__name__, str(getattr(exc, "msg", None) or exc)[:300], frames]})
            os._exit(0)
        peer._send({"r": peer.encode({n: v for n, v in vars(module).items()
                                      if callable(v) and not n.startswith("__")})})
        peer.serve()
    except BaseException:  # noqa: BLE001 - H is gone, or sent garbage: nothing left to do
        pass
    os._exit(0)


# ---- H: the tests ------------------------------------------------------------------------------


_BUILTIN_NAMES = frozenset(dir(builtins))


def _injectable(name, entry_point, namespace):
    """Whether the candidate's top-level callable ``name`` may join the tests' namespace.

    The tests see the entry point and the candidate's other helpers (MBPP's tests build its
    ``Pair`` objects), but never under a name that the tests resolve to something of their own:
    a builtin (``enumerate``, ``abs``, ``exec`` in the tests would be the candidate's, and
    ``exec(_RC_REFERENCE, ...)`` would hand it the reference solution), a dunder name
    (``__import__``, ``__builtins__``), or a name the prompt's helpers already bound. Checked
    here, in the tester: the candidate's process is untrusted and may send any load reply.
    """
    if type(name) is not str or not name.isidentifier() or name.startswith("__"):
        return False
    if name == entry_point:
        return True
    return name not in _BUILTIN_NAMES and name not in namespace


def _run_tests(peer, spec):
    """The verdict, as a dict: status, exception, message, frames (line and source)."""
    namespace = {"__name__": "__rcwork_tests__", "__builtins__": builtins}
    test_lines = spec["test"].splitlines()
    # The candidate loads while the prompt's helpers run and the tests compile here.
    peer._send({"source": spec["candidate"], "objects": spec["objects"]})
    try:
        if spec["prelude"]:
            exec(compile(spec["prelude"], "<prompt>", "exec"), namespace)
        test = compile(spec["test"], "<test>", "exec")
    except BaseException as exc:  # noqa: BLE001 - the benchmark's own code is broken
        return {"status": "error", "exception": type(exc).__name__, "message": f"in the tests: {exc}"[:300],
                "where": "test", "frames": []}
    try:
        defined = peer.wait_reply()
    except _PeerGone:
        return {"status": "error", "exception": "", "message": "the candidate's process ended while loading"}
    except Exception as exc:  # noqa: BLE001 - the solution did not load
        return {"status": "error", "exception": getattr(exc, "remote_type", type(exc).__name__),
                "message": str(exc.args[0] if exc.args else "")[:300], "where": "solution",
                "frames": getattr(exc, "remote_frames", [])}
    try:
        if type(defined) is not dict:
            raise TypeError("the candidate's process answered the load with something else")
        for name, handle in defined.items():
            if _injectable(name, spec["entry_point"], namespace):
                namespace[name] = handle
        if spec["entry_point"] not in defined or namespace.get(spec["entry_point"]) is not defined[spec["entry_point"]]:
            raise NameError(f"the solution does not define {spec['entry_point']!r}")
        exec(test, namespace)
        if spec["check_call"]:
            namespace["check"](namespace[spec["entry_point"]])
    except _PeerGone:
        return {"status": "error", "exception": "",
                "message": "the candidate's process ended during the tests (os._exit? a signal?)"}
    except AssertionError as exc:
        frames = _frames(exc.__traceback__, "<test>", test_lines)
        return {"status": "failed", "exception": "AssertionError", "message": str(exc)[:300],
                "where": "test", "frames": frames}
    except BaseException as exc:  # noqa: BLE001 - anything else is an error
        remote = getattr(exc, "remote_frames", None)
        return {"status": "error", "exception": getattr(exc, "remote_type", type(exc).__name__),
                "message": str(exc.args[0] if isinstance(exc, CandidateError) and exc.args else exc)[:300],
                "where": "solution" if remote else "test",
                "frames": remote if remote else _frames(exc.__traceback__, "<test>", test_lines)}
    return {"status": "passed"}


def main():
    _LIBC.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    sys.set_int_max_str_digits(0)
    ours, theirs = socket.socketpair()
    if os.fork() == 0:
        ours.close()
        _candidate(theirs)  # K learns nothing of the spec but the candidate's source
    theirs.close()
    chunks = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    spec = json.loads(b"".join(chunks))
    sys.stdout = sys.stderr = _Sink()
    peer = Peer(ours, trusted=True, objects=spec["objects"])
    verdict = _run_tests(peer, spec)
    line = f"\n{spec['nonce']} {json.dumps(verdict)}\n".encode()
    while line:
        line = line[os.write(1, line):]
    os._exit(0)
