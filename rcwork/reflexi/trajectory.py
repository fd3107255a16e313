"""The ReflexiCoder trajectory: think → answer → (reflection → answer)+, and its checks.

A completion is read in three ways (docs/reflexicoder.md, "The trajectory"):

* the **authors' reward grammar** (``grammar="authors"``, the default of :func:`parse_trajectory`)
  — what the authors' training code rewards.  Their ``CompletionParser``
  (juyongjiang/ReflexiCoder ``rewards_code/reflection.py``, lines 13–69) strips the text, then
  *searches* (unanchored, from the current position) for ``<think>…</think>``, then an answer,
  then a reflection and an answer, then further reflection/answer pairs while a reflection is
  found; the format is 1 when the last answer ends the text.  Whatever the searches skip — text
  before ``<think>``, prose between elements, stray or nested tags — does not matter.  An answer
  is ``<answer>`` followed by a ```` ```python ```` fence, a closing fence and ``</answer>``; an
  answer without a python fence is absorbed into the next one that has one.  Its code is the
  **last fenced block of any language** (their ``extract_code_from_model``,
  ``rewards_code/sandbox/code_reward.py`` lines 24–37), stripped.
* the **strict grammar** (``grammar="strict"``, rcwork's reading before it followed the authors):
  after stripping, the text must be exactly ``<think>…</think> <answer>…</answer>
  (<reflection>…</reflection> <answer>…</answer>)+`` with only whitespace between elements and
  nothing after the last answer; each element closes at the first closing tag of its kind; every
  answer holds a ```` ```python ```` block and its code is the last such block.  What the system
  prompt asks for, to the letter.
* the **protocol** (:func:`protocol_violations`) — what the system prompt asks for beyond the
  authors' grammar: the strict format, every reflection opening with ``STATUS: BUG_DETECTED`` or
  ``STATUS: OPTIMIZATION_ONLY``, at most 5 answers, and after ``OPTIMIZATION_ONLY`` one more answer,
  then stop.  The reward does not look at these; they are reported beside it so a run shows how
  far the model follows instructions the reward never enforces.

The authors' grammar is implemented here with plain ``str.find`` scans whose result equals their
regular expressions' (``tests/test_reflexi_authors_grammar.py`` compares both on every edge case
and on random tag soups).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STATUS_BUG = "BUG_DETECTED"
STATUS_OPTIMIZATION = "OPTIMIZATION_ONLY"
MAX_ANSWERS = 5
GRAMMARS = ("authors", "strict")

_FENCED_PYTHON = re.compile(r"```python[^\S\n]*\n?(.*?)```", re.DOTALL)
_STATUS = re.compile(r"STATUS:[^\S\n]*([A-Z_]+)")
_FENCE = "```"
_PYTHON_FENCE = "```python"


@dataclass
class Trajectory:
    """A completion read against a reward grammar.

    ``answers`` holds each answer's code (``""`` when the grammar finds no code block in it: such
    an answer scores 0 without running); ``answer_texts`` each answer's text; ``reflections`` each
    reflection's text; ``statuses`` each reflection's STATUS word (``""`` when it has none);
    ``skipped`` the non-blank text the authors' searches passed over (prose, stray tags), which
    the strict grammar would reject.  For a malformed completion ``reason`` says what broke and
    the lists hold what was read before it broke (the trajectory viewer shows them; rewards
    ignore them).
    """

    text: str
    well_formed: bool
    think: str = ""
    answers: list[str] = field(default_factory=list)
    answer_texts: list[str] = field(default_factory=list)
    reflections: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    reason: str = ""
    grammar: str = "authors"
    skipped: list[str] = field(default_factory=list)

    @property
    def n_reflections(self) -> int:
        return len(self.reflections) if self.well_formed else 0

    @property
    def final_code(self) -> str | None:
        """The solution a ReflexiCoder completion stands for: its last answer's code."""
        return self.answers[-1] if self.answers else None


def check_grammar(grammar: str) -> str:
    """``grammar`` if it names a reward grammar, else ValueError (a typo must not train)."""
    if grammar not in GRAMMARS:
        raise ValueError(f"reward grammar must be one of {GRAMMARS}, got {grammar!r}")
    return grammar


# ---------------------------------------------------------------------------- code extraction

def _is_word(ch: str) -> bool:
    """A regex ``\\w`` character (letters, digits of any script, underscore)."""
    return ch.isalnum() or ch == "_"


def fenced_blocks(text: str) -> list[str]:
    """Every fenced block the authors' extraction sees, in order, unstripped.

    A block opens with three backticks, an optional language word and a newline, and ends at the
    next three backticks; the scan resumes after the closing fence, and an opening that never
    closes is skipped one character at a time — what ``re.findall(r"```(?:\\w+)?\\n(.*?)```", …,
    re.DOTALL)`` returns (code_reward.py line 34).  A fence whose language word is followed by
    anything but a newline (```` ```python x```` on one line) opens no block.
    """
    blocks: list[str] = []
    pos = 0
    while True:
        start = text.find(_FENCE, pos)
        if start < 0:
            return blocks
        j = start + len(_FENCE)
        while j < len(text) and _is_word(text[j]):
            j += 1
        if j < len(text) and text[j] == "\n":
            end = text.find(_FENCE, j + 1)
            if end >= 0:
                blocks.append(text[j + 1:end])
                pos = end + len(_FENCE)
                continue
        pos = start + 1


def answer_code(answer: str, grammar: str = "authors") -> str | None:
    """An answer's code, or None when it has none.

    ``authors``: the last fenced block of any language, stripped (the authors'
    ``extract_code_from_model``, code_reward.py lines 24–37): an answer that ends with an example
    block after its Python block is scored on the example.  ``strict``: the last
    ```` ```python ```` block, as written.
    """
    if check_grammar(grammar) == "authors":
        blocks = fenced_blocks(answer)
        return blocks[-1].strip() if blocks else None
    blocks = _FENCED_PYTHON.findall(answer)
    return blocks[-1] if blocks else None


def reflection_status(reflection: str) -> str:
    """The STATUS word a reflection opens with (``""`` if it does not open with one)."""
    m = _STATUS.match(reflection.strip())
    return m.group(1) if m else ""


# ---------------------------------------------------------------------------- the authors' grammar

class _Malformed(Exception):
    pass


def _search_element(text: str, pos: int, tag: str) -> tuple[str, int, int] | None:
    """The first ``<tag>…</tag>`` at or after ``pos``: (stripped content, start, end), or None.

    Opens at the first ``<tag>`` from ``pos`` and closes at the first ``</tag>`` after it, as the
    authors' lazy ``<tag>\\s*([\\s\\S]*?)\\s*</tag>`` search does (reflection.py lines 15 and 20).
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    start = text.find(opening, pos)
    if start < 0:
        return None
    close = text.find(closing, start + len(opening))
    if close < 0:
        return None
    return text[start + len(opening):close].strip(), start, close + len(closing)


def _search_answer(text: str, pos: int) -> tuple[str, int, int] | None:
    """The first answer at or after ``pos``: (stripped content, start, end), or None.

    The authors' answer pattern (reflection.py lines 16–19) opens at ``<answer>``, then needs a
    ```` ```python ```` fence, a closing fence after it and then ``</answer>``, each the first one
    after the previous: so the match starts at the first ``<answer>`` from ``pos`` and, when that
    answer holds no python fence, runs on through later ``</answer>`` tags to the next answer
    that does.  If the first ``<answer>`` cannot start a match, no later one can.
    """
    start = text.find("<answer>", pos)
    if start < 0:
        return None
    fence = text.find(_PYTHON_FENCE, start + len("<answer>"))
    if fence < 0:
        return None
    close_fence = text.find(_FENCE, fence + len(_PYTHON_FENCE))
    if close_fence < 0:
        return None
    close = text.find("</answer>", close_fence + len(_FENCE))
    if close < 0:
        return None
    return text[start + len("<answer>"):close].strip(), start, close + len("</answer>")


def _parse_authors(stripped: str, traj: Trajectory) -> None:
    """The authors' ``CompletionParser.parse`` (reflection.py lines 22–69), filling ``traj``."""
    pos = 0

    def skipped_to(start: int) -> None:
        gap = stripped[pos:start].strip()
        if gap:
            traj.skipped.append(gap)

    def answer(after: str) -> None:
        nonlocal pos
        found = _search_answer(stripped, pos)
        if found is None:
            raise _Malformed(f"no <answer> with a ```python block and a closing fence after "
                             f"{after}")
        content, start, end = found
        skipped_to(start)
        traj.answer_texts.append(content)
        traj.answers.append(answer_code(content, "authors") or "")
        pos = end

    def reflection() -> bool:
        nonlocal pos
        found = _search_element(stripped, pos, "reflection")
        if found is None:
            return False
        content, start, end = found
        skipped_to(start)
        traj.reflections.append(content)
        traj.statuses.append(reflection_status(content))
        pos = end
        return True

    think = _search_element(stripped, 0, "think")
    if think is None:
        raise _Malformed("no <think>…</think>")
    traj.think, start, end = think
    skipped_to(start)  # the text before <think> (pos is still 0)
    pos = end
    answer("the think")
    if not reflection():
        raise _Malformed("no <reflection>…</reflection> after the first answer: the grammar "
                         "needs at least one reflection/answer pair")
    answer(f"reflection {len(traj.reflections)}")
    while pos < len(stripped) and reflection():
        answer(f"reflection {len(traj.reflections)}")
    if pos != len(stripped):
        raise _Malformed(f"text after answer {len(traj.answers)}: "
                         f"{stripped[pos:pos + 20]!r}")


# ---------------------------------------------------------------------------- the strict grammar

class _Reader:
    """Reads the stripped text left to right, one tagged element at a time."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def element(self, tag: str) -> str:
        """The content of ``<tag>…</tag>`` starting exactly here, closed at the first ``</tag>``."""
        opening, closing = f"<{tag}>", f"</{tag}>"
        if not self.text.startswith(opening, self.pos):
            found = self.text[self.pos:self.pos + 20]
            raise _Malformed(f"expected {opening} at character {self.pos}, found {found!r}")
        start = self.pos + len(opening)
        end = self.text.find(closing, start)
        if end < 0:
            raise _Malformed(f"{opening} at character {self.pos} is never closed")
        self.pos = end + len(closing)
        return self.text[start:end]


def _parse_strict(stripped: str, traj: Trajectory) -> None:
    reader = _Reader(stripped)

    def read_answer() -> None:
        reader.skip_space()
        content = reader.element("answer")
        code = answer_code(content, "strict")
        if code is None:
            raise _Malformed(f"answer {len(traj.answers) + 1} holds no ```python fenced block")
        traj.answer_texts.append(content)
        traj.answers.append(code)

    traj.think = reader.element("think")
    read_answer()
    reader.skip_space()
    while not reader.at_end():
        if not stripped.startswith("<reflection>", reader.pos):
            raise _Malformed(f"text after answer {len(traj.answers)}: "
                             f"{stripped[reader.pos:reader.pos + 20]!r}")
        reflection = reader.element("reflection")
        traj.reflections.append(reflection)
        traj.statuses.append(reflection_status(reflection))
        reader.skip_space()
        if reader.at_end():
            raise _Malformed(f"reflection {len(traj.reflections)} has no answer after it")
        read_answer()
        reader.skip_space()
    if not traj.reflections:
        raise _Malformed("no reflection: the grammar needs at least one reflection/answer pair")


def parse_trajectory(text: str, grammar: str = "authors") -> Trajectory:
    """Read ``text`` against a reward grammar (module docstring); never raises on bad text."""
    stripped = text.strip()
    traj = Trajectory(text=stripped, well_formed=False, grammar=check_grammar(grammar))
    try:
        (_parse_authors if grammar == "authors" else _parse_strict)(stripped, traj)
    except _Malformed as e:
        traj.reason = str(e)
        return traj
    traj.well_formed = True
    return traj


def protocol_violations(traj: Trajectory) -> list[str]:
    """What a well-formed trajectory does against the system prompt's protocol (empty: none).

    A malformed trajectory is reported as such and not checked further.  A trajectory the
    authors' grammar accepts but the strict one rejects (prose between elements, stray tags) is
    reported with the strict grammar's reason: the reward pays for it, the prompt forbids it.
    """
    if not traj.well_formed:
        return [f"malformed: {traj.reason}"]
    problems: list[str] = []
    if traj.grammar != "strict":
        strict = parse_trajectory(traj.text, "strict")
        if not strict.well_formed:
            problems.append(f"not in the strict format: {strict.reason}")
    for i, status in enumerate(traj.statuses, 1):
        if status not in (STATUS_BUG, STATUS_OPTIMIZATION):
            problems.append(f"reflection {i} does not open with STATUS: {STATUS_BUG} or "
                            f"STATUS: {STATUS_OPTIMIZATION}")
        elif status == STATUS_OPTIMIZATION and i < len(traj.statuses):
            problems.append(f"reflection {i} is {STATUS_OPTIMIZATION} but the trajectory "
                            "goes on after the next answer")
    if len(traj.answers) > MAX_ANSWERS:
        problems.append(f"{len(traj.answers)} answers (at most {MAX_ANSWERS})")
    return problems
