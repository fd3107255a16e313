"""The ReflexiCoder trajectory: think → answer → (reflection → answer)+, and its two checks.

A completion is read in two separate ways (docs/reflexicoder.md, "The trajectory"):

* the **reward grammar** (:func:`parse_trajectory`) — what the authors' training code rewards.
  After stripping surrounding whitespace the text must be exactly::

      <think>…</think> <answer>…```python …```…</answer>
      (<reflection>…</reflection> <answer>…```python …```…</answer>)+

  with only whitespace between elements and nothing after the last answer.  Each element closes
  at the *first* closing tag of its kind (lazy matching, as a regex ``<think>(.*?)</think>``
  would), and every answer must hold a fenced ```` ```python ```` block; the last such block
  of an answer is that answer's code.  Anything else is malformed and earns no reward at all.
* the **protocol** (:func:`protocol_violations`) — what the system prompt asks for beyond the
  grammar: every reflection opens with ``STATUS: BUG_DETECTED`` or ``STATUS: OPTIMIZATION_ONLY``,
  at most 5 answers, and after ``OPTIMIZATION_ONLY`` exactly one more answer, then stop.  The
  reward does not look at these; they are reported beside it so a run shows how far the model
  follows instructions the reward never enforces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STATUS_BUG = "BUG_DETECTED"
STATUS_OPTIMIZATION = "OPTIMIZATION_ONLY"
MAX_ANSWERS = 5

_FENCED_PYTHON = re.compile(r"```python[^\S\n]*\n?(.*?)```", re.DOTALL)
_STATUS = re.compile(r"STATUS:[^\S\n]*([A-Z_]+)")


@dataclass
class Trajectory:
    """A completion read against the reward grammar.

    ``answers`` holds each answer's code (its last fenced python block); ``reflections`` each
    reflection's text; ``statuses`` each reflection's STATUS word (``""`` when it has none).
    For a malformed completion ``reason`` says what broke and the lists hold what was read
    before it broke (the trajectory viewer shows them; rewards ignore them).
    """

    text: str
    well_formed: bool
    think: str = ""
    answers: list[str] = field(default_factory=list)
    answer_texts: list[str] = field(default_factory=list)
    reflections: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def n_reflections(self) -> int:
        return len(self.reflections) if self.well_formed else 0

    @property
    def final_code(self) -> str | None:
        """The solution a ReflexiCoder completion stands for: its last answer's code."""
        return self.answers[-1] if self.answers else None


class _Malformed(Exception):
    pass


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


def answer_code(answer: str) -> str | None:
    """The last fenced python block of an answer, or None when it has none."""
    blocks = _FENCED_PYTHON.findall(answer)
    return blocks[-1] if blocks else None


def reflection_status(reflection: str) -> str:
    """The STATUS word a reflection opens with (``""`` if it does not open with one)."""
    m = _STATUS.match(reflection.strip())
    return m.group(1) if m else ""


def parse_trajectory(text: str) -> Trajectory:
    """Read ``text`` against the reward grammar (module docstring); never raises."""
    stripped = text.strip()
    traj = Trajectory(text=stripped, well_formed=False)
    reader = _Reader(stripped)

    def read_answer() -> None:
        reader.skip_space()
        content = reader.element("answer")
        code = answer_code(content)
        if code is None:
            raise _Malformed(f"answer {len(traj.answers) + 1} holds no ```python fenced block")
        traj.answer_texts.append(content)
        traj.answers.append(code)

    try:
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
    except _Malformed as e:
        traj.reason = str(e)
        return traj
    traj.well_formed = True
    return traj


def protocol_violations(traj: Trajectory) -> list[str]:
    """What a well-formed trajectory does against the system prompt's protocol (empty: none).

    A malformed trajectory is reported as such and not checked further.
    """
    if not traj.well_formed:
        return [f"malformed: {traj.reason}"]
    problems: list[str] = []
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
