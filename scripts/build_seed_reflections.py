"""Build ``data/reflections/seed.jsonl`` from the hand-written ``data/reflections/seed_source.py``.

Every code block of a record's reflection thread runs, in order, in one Jupyter kernel per record
(``rcwork.sandbox.KernelSession``: state carries over between blocks as in a notebook), and what
the notebook shows for it becomes the execution block that follows it.  The script fails loudly,
naming the record, when

* a failing attempt does not fail with the exception its source declares (status ``error``),
* the passing attempt (the last one) does not pass (status ``ok`` and ``All tests passed.``),
* the final answer, run in a fresh kernel with the test statements of the last attempt, fails,
* the final answer holds an ``assert`` or a ``print``, or the thread is not shaped
  plan, (code, analysis)*, code.

Usage::

    python scripts/build_seed_reflections.py            # (re)write data/reflections/seed.jsonl
    python scripts/build_seed_reflections.py --check    # compare with the committed file only

Each record's reflection instruction RI is synthesis's stage-1 prompt with the problem inside
(what a teacher in ``rcwork synthesize`` sees), and its source instruction I is the bare problem,
so the teacher sample ``[RI, RS, I, FC]`` holds the reflection prompt once and the test-time
prompt before the final answer.

The re-answer instruction is one constant for every record, :data:`REANSWER_INSTRUCTION` (the
paper's stage-2 prompt, reworded): keeping it constant means a model cannot learn anything from
its wording, and it is what the synthesis pipeline sends too.
"""

from __future__ import annotations

import argparse
import ast
import runpy
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rcwork.records import (  # noqa: E402
    Block, Message, Metadata, ReflectionRecord, read_jsonl, write_jsonl)
from rcwork.synthesis.prompts import STAGE1  # noqa: E402

SOURCE = ROOT / "data" / "reflections" / "seed_source.py"
OUTPUT = ROOT / "data" / "reflections" / "seed.jsonl"

REANSWER_INSTRUCTION = ("Based on the above, write the final standalone solution as a single "
                        "Python code block, without explanations of the process.")
SOURCE_NAME = "rcwork-seed"
TEACHER = "hand-written"
PASS_MARKER = "All tests passed."
CELL_TIMEOUT_S = 10.0


class SeedError(RuntimeError):
    """A seed record whose source or real execution does not match what it claims."""

    def __init__(self, task_id: str, reason: str):
        self.task_id, self.reason = task_id, reason
        super().__init__(f"{task_id}: {reason}")


class Cell(NamedTuple):
    """What running one code block gave: the kernel status and what a notebook shows.
    (A NamedTuple, not a dataclass, so the script also loads by path via importlib.)"""

    status: str
    text: str


def task_id(index: int) -> str:
    """``seed/NNN`` for the 0-based position in the source."""
    return f"seed/{index + 1:03d}"


# ---------------------------------------------------------------------------------- source


def load_source(path: str | Path = SOURCE) -> list[dict[str, Any]]:
    """The ``SEEDS`` list of the source file, each entry checked for shape."""
    seeds = runpy.run_path(str(path))["SEEDS"]
    for i, seed in enumerate(seeds):
        validate_seed(task_id(i), seed)
    return seeds


def _codes(seed: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [item for item in seed["thread"] if item[0] == "code"]


def validate_seed(tid: str, seed: dict[str, Any]) -> None:
    thread = seed["thread"]
    kinds = [item[0] for item in thread]
    expected = ["text", "code"] * (len(kinds) // 2)
    if not kinds or kinds != expected:
        raise SeedError(tid, f"thread must be plan text then (code, analysis text)* then code, "
                             f"got {kinds}")
    for _, text, *_ in thread:
        if not text.strip():
            raise SeedError(tid, "empty block in the thread")
    codes = _codes(seed)
    if codes[-1][2] is not None:
        raise SeedError(tid, "the last attempt must pass (raises=None)")
    for n, (_, code, raises) in enumerate(codes[:-1], 1):
        if raises is None:
            raise SeedError(tid, f"attempt {n} passes but is not the last one")
    for n, (_, code, _) in enumerate(codes, 1):
        try:
            ast.parse(code)
        except SyntaxError as e:
            raise SeedError(tid, f"attempt {n} is not valid Python: {e}") from None
        if not any(isinstance(node, ast.Assert) for node in ast.walk(ast.parse(code))):
            raise SeedError(tid, f"attempt {n} has no assert tests")
    final = seed["final_code"]
    try:
        tree = ast.parse(final)
    except SyntaxError as e:
        raise SeedError(tid, f"final code is not valid Python: {e}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            raise SeedError(tid, "final code contains an assert")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "print"):
            raise SeedError(tid, "final code contains a print")
    if not seed["final_text"].strip() or not seed["instruction"].strip():
        raise SeedError(tid, "empty instruction or final text")


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def tests_of(code: str) -> str:
    """The test part of an attempt, as written: its top-level statements after the last
    definition or import (the asserts, the data they use and the closing print).  Constants
    defined before the functions (``UNITS = ...``) belong to the solution and are left out."""
    tree = ast.parse(code)
    last_def = max((i for i, node in enumerate(tree.body) if isinstance(node, _DEFINITIONS)),
                   default=-1)
    parts = [ast.get_source_segment(code, node) for node in tree.body[last_def + 1:]]
    return "\n".join(p for p in parts if p)


# ------------------------------------------------------------------------------- execution


def _default_session_factory():
    from rcwork.sandbox import KernelSession, Limits

    return lambda: KernelSession(Limits(timeout_s=CELL_TIMEOUT_S))


def run_cells(codes: list[str], session_factory: Callable | None = None) -> list[Cell]:
    """Run ``codes`` in order in one fresh kernel; one :class:`Cell` per code block."""
    factory = session_factory or _default_session_factory()
    out = []
    with factory() as kernel:
        for code in codes:
            r = kernel.execute(code)
            out.append(Cell(r.status, r.text))
    return out


def _exception_shown(text: str, name: str) -> bool:
    """Whether the notebook output ends with ``name`` raised (its final ``Name: message`` line,
    or the header line of IPython's traceback)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return False
    last = lines[-1]
    return last == name or last.startswith(name + ":") or any(
        ln.startswith(name + " ") and "Traceback" in ln for ln in lines)


def check_cells(tid: str, seed: dict[str, Any], cells: list[Cell]) -> None:
    """Raise :class:`SeedError` unless every failing attempt failed as declared and the last one
    passed."""
    codes = _codes(seed)
    if len(cells) != len(codes):
        raise SeedError(tid, f"ran {len(cells)} cells for {len(codes)} code blocks")
    for n, ((_, _, raises), cell) in enumerate(zip(codes, cells), 1):
        if raises is None:
            if cell.status != "ok":
                raise SeedError(tid, f"the fixed attempt {n} did not pass (status {cell.status}):"
                                     f"\n{cell.text}")
            if PASS_MARKER not in cell.text:
                raise SeedError(tid, f"the fixed attempt {n} did not print {PASS_MARKER!r}:"
                                     f"\n{cell.text}")
        else:
            if cell.status != "error":
                raise SeedError(tid, f"the buggy attempt {n} did not fail as expected "
                                     f"(status {cell.status}, expected {raises}):\n{cell.text}")
            if not _exception_shown(cell.text, raises):
                raise SeedError(tid, f"the buggy attempt {n} failed, but not with {raises}:"
                                     f"\n{cell.text}")


def final_check_code(seed: dict[str, Any]) -> str:
    """The final answer followed by the tests of the last (passing) attempt."""
    return seed["final_code"] + "\n\n\n" + tests_of(_codes(seed)[-1][1]) + "\n"


def check_final(tid: str, seed: dict[str, Any], session_factory: Callable | None = None) -> None:
    """Run the final answer and the last attempt's tests in a fresh kernel; they must pass."""
    (cell,) = run_cells([final_check_code(seed)], session_factory)
    if cell.status != "ok" or PASS_MARKER not in cell.text:
        raise SeedError(tid, f"the final code fails the tests of the last attempt "
                             f"(status {cell.status}):\n{cell.text}")


def execute_seed(index: int, seed: dict[str, Any], *, final: bool = True,
                 session_factory: Callable | None = None) -> list[str]:
    """The execution texts of one record (checked), one per code block."""
    tid = task_id(index)
    try:
        cells = run_cells([code for _, code, _ in _codes(seed)], session_factory)
    except SeedError:
        raise
    except Exception as e:  # a kernel that would not start, died, ...: name the record
        raise SeedError(tid, f"execution failed: {type(e).__name__}: {e}") from e
    check_cells(tid, seed, cells)
    if final:
        check_final(tid, seed, session_factory)
    return [c.text for c in cells]


def execute_all(seeds: list[dict[str, Any]], *, workers: int = 2, final: bool = True,
                session_factory: Callable | None = None,
                progress: Callable[[str], None] | None = None) -> list[list[str]]:
    """Execution texts for every record, ``workers`` kernels at a time (in source order)."""

    def one(i: int) -> list[str]:
        texts = execute_seed(i, seeds[i], final=final, session_factory=session_factory)
        if progress:
            progress(f"{task_id(i)}: {len(texts)} round(s) ok")
        return texts

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, range(len(seeds))))


# --------------------------------------------------------------------------------- records


def make_record(index: int, seed: dict[str, Any], exec_texts: list[str]) -> ReflectionRecord:
    blocks: list[Block] = []
    texts = iter(exec_texts)
    for item in seed["thread"]:
        blocks.append(Block(item[0], item[1]))
        if item[0] == "code":
            blocks.append(Block("execution", next(texts)))
    rounds = len(_codes(seed))
    return ReflectionRecord(
        instruction=STAGE1.format(instruction=seed["instruction"]),
        reflection=[Message("assistant", blocks)],
        reanswer_instruction=REANSWER_INSTRUCTION,
        source_instruction=seed["instruction"],
        final=[Block("text", seed["final_text"]), Block("code", seed["final_code"])],
        metadata=Metadata(source=SOURCE_NAME, teacher=TEACHER, rounds=rounds, resolved=True,
                          extra={"task_id": task_id(index)}),
    )


def build(seeds: list[dict[str, Any]] | None = None, *, workers: int = 2, final: bool = True,
          session_factory: Callable | None = None,
          progress: Callable[[str], None] | None = None) -> list[ReflectionRecord]:
    seeds = load_source() if seeds is None else seeds
    texts = execute_all(seeds, workers=workers, final=final, session_factory=session_factory,
                        progress=progress)
    return [make_record(i, s, t) for i, (s, t) in enumerate(zip(seeds, texts))]


def compare(built: list[ReflectionRecord], committed: list[ReflectionRecord]) -> list[str]:
    """Human-readable differences between two record lists (empty when identical)."""
    problems = []
    if len(built) != len(committed):
        problems.append(f"{len(committed)} committed records, {len(built)} built")
    for a, b in zip(built, committed):
        tid = a.metadata.extra.get("task_id", "?")
        if a == b:
            continue
        blocks_a, blocks_b = a.reflection_blocks, b.reflection_blocks
        diff = [i for i, (x, y) in enumerate(zip(blocks_a, blocks_b)) if x != y]
        if diff or len(blocks_a) != len(blocks_b):
            problems.append(f"{tid}: reflection blocks differ at {diff or 'length'}")
        else:
            problems.append(f"{tid}: record differs outside the reflection blocks")
    return problems


def summary(records: list[ReflectionRecord]) -> str:
    from collections import Counter

    rounds = Counter(r.metadata.rounds for r in records)
    dist = ", ".join(f"{n} round(s): {c}" for n, c in sorted(rounds.items()))
    return f"{len(records)} records ({dist})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="build in memory and compare with the committed file; write nothing")
    ap.add_argument("--output", type=Path, default=OUTPUT)
    ap.add_argument("--source", type=Path, default=SOURCE)
    ap.add_argument("--workers", type=int, default=2, help="kernels running at once")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)

    progress = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        records = build(load_source(args.source), workers=args.workers, progress=progress)
    except SeedError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.check:
        if not args.output.exists():
            print(f"error: {args.output} does not exist", file=sys.stderr)
            return 1
        problems = compare(records, read_jsonl(args.output))
        if problems:
            print(f"{args.output} is out of date:", file=sys.stderr)
            for p in problems:
                print(f"  {p}", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date: {summary(records)}")
        return 0
    write_jsonl(records, args.output)
    print(f"wrote {args.output}: {summary(records)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
