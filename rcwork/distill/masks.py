"""Which tokens the student cannot see: the dynamic mask of reflection self-distillation.

The student reads the teacher sample ``[RI, RS, I, FC]`` with the reflection instruction (RI) always
hidden and part of the reflection sequence (RS) hidden; bos, ``[I, FC]`` and eos are never hidden
(``docs/method.md``).  How much of RS is hidden grows with the *mask rate*, the current
training step over the number of steps, so training moves from reflection-assisted answering to
answering from the instruction alone, which is what the model does at test time.

Seven strategies choose the hidden part of RS:

==================  =========================================================================
``all``             all of RS at any rate (vanilla self-distillation, "w/o dynamic mask")
``random_block``    ``ceil(rate * n_blocks)`` blocks chosen at random
``sequential_block`` the leftmost ``ceil(rate * n_blocks)`` blocks
``block``           by block kind in an ``order`` such as ``"EAC"``: the first kind once
                    ``rate > 0``, the second from ``rate >= 0.33``, the third from
                    ``rate >= 0.67`` (the authors' literals)
``random_token``    ``ceil(rate * n_tokens)`` RS tokens chosen at random
``sequential_token`` the leftmost ``ceil(rate * n_tokens)`` RS tokens
``three``           one of ``random_block``, ``sequential_block``, ``block`` per training step,
                    drawn from ``(seed, step)`` (the paper's "w/ Three Strategies")
==================  =========================================================================

Counts round up as in the paper's code (``math.ceil(n * rate)``, SenseLLM/ReflectionCoder
``src/utils/trainer.py`` lines 78, 88, 98, 114: any rate above 0 hides something), and the block
thresholds are the literals ``0.33`` and ``0.67`` the authors compare the rate with (lines
131 and 134), not 1/3 and 2/3: with ``rate = step / max_steps`` the two differ by a step for some
step counts (9 steps: the third kind from step 7, not 6).  Block strategies hide
whole blocks (type token, content and ``<|endofblock|>``); a reflection message's role and
``<|endofmessage|>`` tokens are hidden once all of that message's blocks are.  Random choices come
from a ``random.Random`` seeded by the caller, and a random strategy hides a prefix of one seeded
permutation, so under a fixed seed the hidden set only grows with the rate.

Everything here is plain Python over the per-token arrays of :class:`rcwork.encoding.Encoded`:
no torch, so masks can be computed, tested and drawn anywhere.
"""

from __future__ import annotations

import math
import random
from typing import Hashable, Sequence

from rcwork.encoding import CODE, EXECUTION, INSTRUCTION, REFLECTION, TEXT, Encoded

STRATEGIES = ("all", "random_block", "sequential_block", "block", "random_token",
              "sequential_token", "three")
THREE_STRATEGIES = ("random_block", "sequential_block", "block")  # what ``three`` draws from
KIND_LETTERS = {"E": EXECUTION, "A": TEXT, "C": CODE}
ORDERS = ("EAC", "ECA", "AEC", "ACE", "CEA", "CAE")
DEFAULT_ORDER = "EAC"  # the paper's best: execution results first, then analysis, then code
# Orders by name: the authors' argparse default ``block_order='etc'`` (src/train.py line 35;
# t = text/analysis, c = code, e = execution) is E, A, C; the training command of their README
# (line 64) passes ``--block_order tce``: A, C, E.
NAMED_ORDERS = {"paper": "EAC", "authors_default": "EAC", "released_command": "ACE"}
# Rates from which the 2nd and 3rd kinds of the block strategy are hidden (the 1st: rate > 0):
# the authors' literals (src/utils/trainer.py lines 131 and 134).
BLOCK_THRESHOLDS = (0.33, 0.67)
_EPS = 1e-9  # a rate a hair above 1 (float noise) is still a valid rate


def mask_rate(step: int, max_steps: int) -> float:
    """The paper's schedule: ``step / max_steps`` clipped to [0, 1] (0 when there are no steps)."""
    if max_steps <= 0:
        return 0.0
    return min(max(step / max_steps, 0.0), 1.0)


def step_strategy(strategy: str, seed: Hashable, step: int) -> str:
    """The concrete strategy of a training step: ``strategy`` itself, or for ``three`` one of
    :data:`THREE_STRATEGIES` drawn from ``(seed, step)``, so a resumed run draws the same."""
    if strategy != "three":
        return strategy
    return random.Random(f"three/{seed}/{step}").choice(THREE_STRATEGIES)


def resolve_order(order: str) -> str:
    """An order as three letters: a name of :data:`NAMED_ORDERS` or the letters themselves."""
    return NAMED_ORDERS.get(order, order).upper()


def check_strategy(strategy: str, order: str = DEFAULT_ORDER) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown mask strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    if strategy in ("block", "three") and (len(order) != 3 or set(order.upper()) != set(KIND_LETTERS)):
        raise ValueError(f"block order must be a permutation of E, A, C (one of "
                         f"{', '.join(ORDERS)}), got {order!r}")


def count_for_rate(n: int, rate: float) -> int:
    """How many of ``n`` units a rate hides: ``ceil(n * rate)``, as the authors' code computes
    it (float product and all, so rcwork hides what theirs hides at every step)."""
    if rate <= 0 or n == 0:
        return 0
    return min(n, math.ceil(n * rate))


def hidden_kinds(rate: float, order: str = DEFAULT_ORDER) -> set[int]:
    """Block kinds hidden by the ``block`` strategy at this rate."""
    kinds = [KIND_LETTERS[c] for c in order.upper()]
    hidden: set[int] = set()
    if rate > 0:
        hidden.add(kinds[0])
    if rate >= BLOCK_THRESHOLDS[0]:
        hidden.add(kinds[1])
    if rate >= BLOCK_THRESHOLDS[1]:
        hidden.add(kinds[2])
    return hidden


def _block_kinds(enc: Encoded) -> list[int]:
    kinds = [0] * enc.num_reflection_blocks
    for b, k in zip(enc.block, enc.kind):
        if b >= 0:
            kinds[b] = k
    return kinds


def hidden_blocks(enc: Encoded, strategy: str, rate: float, *, order: str = DEFAULT_ORDER,
                  rng: random.Random | None = None) -> set[int]:
    """Indices of the reflection blocks a block strategy hides."""
    n = enc.num_reflection_blocks
    if strategy == "all":
        return set(range(n))
    if strategy == "sequential_block":
        return set(range(count_for_rate(n, rate)))
    if strategy == "random_block":
        perm = list(range(n))
        (rng or random.Random(0)).shuffle(perm)
        return set(perm[:count_for_rate(n, rate)])
    if strategy == "block":
        kinds = hidden_kinds(rate, order)
        return {b for b, k in enumerate(_block_kinds(enc)) if k in kinds}
    raise ValueError(f"{strategy!r} is not a block strategy")


def hidden_tokens(enc: Encoded, strategy: str, rate: float, *, order: str = DEFAULT_ORDER,
                  seed: Hashable = 0) -> list[bool]:
    """Per token of a teacher sample: True where the student cannot see it.

    ``seed`` (an int or a string such as ``"seed/step/sample"``) fixes the random strategies'
    choices; the result is a pure function of its arguments.
    """
    check_strategy(strategy, order)
    if rate < 0 or rate > 1 + _EPS:
        raise ValueError(f"mask rate must be in [0, 1], got {rate}")
    # The trainer resolves ``three`` per step (step_strategy); called directly, the seed draws.
    strategy = step_strategy(strategy, seed, 0)
    rng = random.Random(seed if isinstance(seed, (int, str, bytes)) else repr(seed))
    hidden = [p == INSTRUCTION for p in enc.part]
    rs = [i for i, p in enumerate(enc.part) if p == REFLECTION]
    if not rs:
        return hidden
    if strategy in ("random_token", "sequential_token"):
        order_of_tokens = list(rs)
        if strategy == "random_token":
            rng.shuffle(order_of_tokens)
        for i in order_of_tokens[:count_for_rate(len(rs), rate)]:
            hidden[i] = True
        return hidden

    blocks = hidden_blocks(enc, strategy, rate, order=order, rng=rng)
    # A message's structural tokens (role, <|endofmessage|>) go once all its blocks are hidden;
    # a message without blocks goes once anything is masked.
    message_blocks: dict[int, set[int]] = {}
    for i in rs:
        message_blocks.setdefault(enc.message[i], set())
        if enc.block[i] >= 0:
            message_blocks[enc.message[i]].add(enc.block[i])
    all_hidden = strategy == "all" or rate >= 1 - _EPS
    for i in rs:
        b = enc.block[i]
        if all_hidden:
            hidden[i] = True
        elif b >= 0:
            hidden[i] = b in blocks
        else:
            own = message_blocks[enc.message[i]]
            hidden[i] = own <= blocks if own else rate > 0
    return hidden


def describe(enc: Encoded, hidden: Sequence[bool]) -> dict[str, int]:
    """Counts for logs and widgets: tokens hidden per part, and RS blocks hidden by kind."""
    names = {INSTRUCTION: "instruction", REFLECTION: "reflection"}
    out = {"tokens": len(enc), "hidden": sum(hidden)}
    for part, name in names.items():
        idx = [i for i, p in enumerate(enc.part) if p == part]
        out[f"{name}_tokens"] = len(idx)
        out[f"{name}_hidden"] = sum(hidden[i] for i in idx)
    return out
