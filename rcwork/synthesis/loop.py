"""One problem, two stages: the reflection loop with a real executor, then the re-answer.

Stage 1: the teacher answers the problem with code and its own asserts; the code block runs in
the problem's Jupyter kernel and the output is appended as an execution block; on failure the
teacher analyses the root cause (a text block) and retries (a code block), up to ``max_rounds``.

A round is *resolved* (the paper's criterion) when its cell ran with status ``ok`` and the code
ran at least one ``assert`` (see :func:`has_assert`: asserts inside a function that is never
called do not count).  Independently, the problem's own tests are run against the last
round's code and against the final answer's code, each in a fresh sandbox of its own, never in
the problem's kernel (:func:`problem_tests_pass`): nothing a teacher's cell did there (rebinding
``exec``, patching builtins) can change the verdict, and a solution's own names (a global
``compile``) cannot break the check. The results go into ``metadata.extra``
(``hidden_tests_passed``, ``final_tests_passed``) and only filter a record when
``require_hidden_tests`` is set.

Stage 2 (only for resolved sequences; an unresolved one is filtered anyway, so its final
answer is a marker text and ``metadata.extra["stage2"] == "skipped"``): the re-answer
instruction, and the teacher's reply split into a text block and a code block.
"""

from __future__ import annotations

import ast
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Protocol

from rcwork.problems import Problem
from rcwork.records import Block, Message, Metadata, ReflectionRecord
from rcwork.synthesis import prompts
from rcwork.teachers.base import Conversation, Teacher


class Executor(Protocol):
    """What the loop needs from a kernel (``rcwork.sandbox.KernelSession`` fits)."""

    def execute(self, code: str, timeout_s: float | None = None) -> Any: ...


@dataclass
class LoopConfig:
    max_rounds: int = 8
    max_new_tokens: int = 512
    final_max_new_tokens: int | None = None  # default: max_new_tokens
    temperature: float = 0.0
    cell_timeout_s: float | None = None  # None: the sandbox's default limit
    run_hidden_tests: bool = True


# ---------------------------------------------------------------- parsing replies

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[ \t]*\n")
_PYTHON_LANGS = {"", "python", "python3", "py", "ipython"}


def split_reply(reply: str) -> tuple[str, str | None]:
    """``(text before the first Python code block, that block's code)``; code is None when the
    reply has no such block.  A block left open (the stop string or the token limit ended the
    reply) runs to the end of the reply."""
    pos = 0
    while True:
        m = _FENCE.search(reply, pos)
        if m is None:
            return reply.strip(), None
        if m.group(1).lower() in _PYTHON_LANGS:
            break
        close = reply.find("```", m.end())  # another language: skip the whole block
        if close == -1:
            return reply.strip(), None
        pos = close + 3
    body_start = m.end()
    close = re.compile(r"^[ \t]*```", re.M).search(reply, body_start)
    code = reply[body_start:close.start() if close else len(reply)]
    return reply[:m.start()].strip(), code.strip("\n")


def canonical_reply(text: str, code: str | None) -> str:
    """A reply as the teacher sees it in later turns: its text, then its code block closed."""
    parts = [text] if text else []
    if code is not None:
        parts.append(f"```python\n{code}\n```")
    return "\n\n".join(parts)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _walk_scope(node: ast.AST):
    """Nodes of ``node``'s own scope: nested function and class bodies are not entered."""
    todo = list(ast.iter_child_nodes(node))
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, _SCOPES):
            todo.extend(ast.iter_child_nodes(n))


def has_assert(code: str) -> bool:
    """Whether running ``code`` runs an ``assert``: one at module level (loops and ``if
    __name__ == "__main__"`` blocks included) or inside a function the module calls, directly
    or through other functions.  An assert used as input validation inside a function that is
    only defined tests nothing, and does not count (small teachers write those a lot)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # the cell fails anyway; keep a textual answer for the record
        return bool(re.search(r"^\s*assert\b", code, re.M))
    functions: dict[str, list[ast.AST]] = {}
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.setdefault(n.name, []).append(n)
    seen: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        scope = todo.pop()
        for n in _walk_scope(scope):
            if isinstance(n, ast.Assert):
                return True
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) \
                    and n.func.id in functions and n.func.id not in seen:
                seen.add(n.func.id)
                todo.extend(functions[n.func.id])
    return False


def problem_tests_pass(code: str, problem: Problem, timeout_s: float | None = None) -> bool:
    """Whether ``code`` passes ``problem``'s own tests, judged by the sandbox's tester in a fresh
    sandbox (:mod:`rcwork.sandbox.verdicts`): the tests run in a process of their own, the code
    in another, as a module whose ``if __name__ == "__main__"`` demos do not run."""
    from rcwork.sandbox import Limits
    from rcwork.sandbox.verdicts import TestSpec, run_tests

    spec = TestSpec(candidate=code, test="\n".join(problem.tests), entry_point=problem.entry_point,
                    objects=True)  # problem tests drive the solution's own classes
    limits = Limits(timeout_s=timeout_s) if timeout_s else Limits()
    return run_tests(spec, limits=limits).passed


# ---------------------------------------------------------------- the kernel of one problem


class KernelHandle:
    """A problem's kernel, opened lazily from a factory (``pool.session``; a problem whose
    teacher never writes code takes no kernel).  A kernel that dies or hangs is restarted by
    the session itself (fresh state); ``restarts`` counts those rounds."""

    def __init__(self, open_session: Callable[[], ContextManager[Any]]):
        self._open = open_session
        self._cm: ContextManager[Any] | None = None
        self._kernel: Any = None
        self.restarts = 0

    def execute(self, code: str, timeout_s: float | None = None) -> Any:
        if self._kernel is None:
            self._cm = self._open()
            self._kernel = self._cm.__enter__()
        result = self._kernel.execute(code, timeout_s=timeout_s)
        self.restarts += result.status in ("dead", "timeout")
        return result

    def close(self) -> None:
        cm, self._cm, self._kernel = self._cm, None, None
        if cm is not None:
            cm.__exit__(None, None, None)

    def __enter__(self) -> "KernelHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------- the two stages


@dataclass
class Trace:
    """What happened, beyond the record: for the summary and for debugging a run."""

    round_status: list[str] = field(default_factory=list)
    teacher_s: float = 0.0
    exec_s: float = 0.0
    teacher_calls: int = 0


def _ask(teacher: Teacher, conversation: Conversation, max_new_tokens: int, cfg: LoopConfig,
         trace: Trace) -> str:
    t = time.perf_counter()
    reply = teacher.chat([conversation], max_new_tokens=max_new_tokens,
                         temperature=cfg.temperature, stop=list(prompts.STOP))[0]
    trace.teacher_s += time.perf_counter() - t
    trace.teacher_calls += 1
    # A lone surrogate (an HTTP teacher's broken escape) is no text a tokenizer or a UTF-8
    # file accepts; it becomes U+FFFD here, so the problem does not fail on every resume.
    return reply.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _run(executor: Executor, code: str, cfg: LoopConfig, trace: Trace) -> Any:
    t = time.perf_counter()
    result = executor.execute(code, timeout_s=cfg.cell_timeout_s)
    trace.exec_s += time.perf_counter() - t
    return result


def _tests_pass(code: str, problem: Problem, cfg: LoopConfig, trace: Trace) -> bool:
    t = time.perf_counter()
    passed = problem_tests_pass(code, problem, cfg.cell_timeout_s)
    trace.exec_s += time.perf_counter() - t
    return passed


def opening_conversation(problem: Problem) -> Conversation:
    """Stage 1's first turn: the system message, then RI (the reflection prompt with the
    problem inside), which the record keeps as its instruction."""
    return [{"role": "system", "content": prompts.SYSTEM},
            {"role": "user", "content": prompts.STAGE1.format(instruction=problem.instruction)}]


def judge_round(code: str, result: Any) -> tuple[str, str | None]:
    """A round's verdict from its cell's result, and the message the teacher gets next
    (``None`` when the round resolved the sequence).

    ``ok``: the cell ran and ran an assert (the paper's criterion); ``no_assert``: it ran but
    tested nothing; ``timeout``; otherwise the cell's status (``error``, ``dead``)."""
    output = prompts.empty_output(result.text)
    if result.status == "ok" and has_assert(code):
        return "ok", None
    if result.status == "ok":
        return "no_assert", prompts.FEEDBACK_NO_ASSERT.format(output=output)
    if result.status == "timeout":
        return "timeout", prompts.FEEDBACK_TIMEOUT.format(output=output)
    return result.status, prompts.FEEDBACK_ERROR.format(output=output)


def synthesize_problem(problem: Problem, teacher: Teacher, executor: Executor,
                       config: LoopConfig | None = None, *, source: str = "") -> ReflectionRecord:
    """Run both stages for one problem and return its record (not yet filtered)."""
    cfg = config or LoopConfig()
    start = time.perf_counter()
    trace = Trace()
    conv = opening_conversation(problem)
    stage1 = conv[-1]["content"]  # RI of the record
    blocks: list[Block] = []
    resolved = False
    last_code: str | None = None
    last_output = ""
    rounds = 0
    for rounds in range(1, cfg.max_rounds + 1):
        reply = _ask(teacher, conv, cfg.max_new_tokens, cfg, trace)
        text, code = split_reply(reply)
        if text:
            blocks.append(Block("text", text))
        conv.append({"role": "assistant", "content": canonical_reply(text, code)})
        if code is None or not code.strip():
            trace.round_status.append("no_code")
            conv.append({"role": "user", "content": prompts.FEEDBACK_NO_CODE})
            continue
        blocks.append(Block("code", code))
        last_code = code
        result = _run(executor, code, cfg, trace)
        last_output = result.text
        blocks.append(Block("execution", result.text))
        verdict, feedback = judge_round(code, result)
        trace.round_status.append(verdict)
        if feedback is None:
            resolved = True
            break
        conv.append({"role": "user", "content": feedback})

    extra: dict[str, Any] = {"task_id": problem.task_id,
                             "prompt_version": prompts.PROMPT_VERSION}
    if cfg.run_hidden_tests and last_code is not None:
        extra["hidden_tests_passed"] = _tests_pass(last_code, problem, cfg, trace)
    else:
        extra["hidden_tests_passed"] = None

    if resolved:
        conv.append({"role": "user",
                     "content": prompts.FEEDBACK_PASSED.format(
                         output=prompts.empty_output(last_output))
                     + "\n\n" + prompts.REANSWER})
        reply = _ask(teacher, conv, cfg.final_max_new_tokens or cfg.max_new_tokens, cfg, trace)
        text, code = split_reply(reply)
        final = [Block("text", text)] if text else []
        if code is not None and code.strip():
            final.append(Block("code", code))
            extra["stage2"] = "done"
            if cfg.run_hidden_tests:
                extra["final_tests_passed"] = _tests_pass(code, problem, cfg, trace)
        else:
            extra["stage2"] = "no_code"
        if not final:
            final = [Block("text", "[no final answer: the teacher's reply was empty]")]
    else:
        final = [Block("text", f"[no final answer: unresolved after {rounds} round(s)]")]
        extra["stage2"] = "skipped"
    extra.setdefault("final_tests_passed", None)
    extra.update(round_status=trace.round_status, teacher_calls=trace.teacher_calls,
                 teacher_s=round(trace.teacher_s, 3), exec_s=round(trace.exec_s, 3),
                 duration_s=round(time.perf_counter() - start, 3))
    if isinstance(executor, KernelHandle):
        extra["kernel_restarts"] = executor.restarts
    if not blocks:  # the reader needs a non-empty reflection message to round-trip
        blocks = [Block("text", "")]
    return ReflectionRecord(
        instruction=stage1,
        reflection=[Message("assistant", blocks)],
        reanswer_instruction=prompts.REANSWER,
        source_instruction=problem.instruction,
        final=final,
        metadata=Metadata(source=source or problem.task_id, teacher=teacher.name,
                          rounds=rounds, resolved=resolved, extra=extra),
    )
