"""How a distillation batch is laid out for the model: the tensors of its forward calls.

:func:`layout` turns a :class:`~rcwork.distill.batching.DistillBatch` into tensors — teachers,
students and pairs — in one of two student forms:

* ``"dropped"`` (default): hidden tokens are removed from the student; the survivors keep their
  original ``position_ids``.  Under rotary embeddings attention only sees relative positions, so
  this equals the attention-mask form, and the student costs less the more is hidden.
* ``"attention"``: the student has the teacher's tokens and no token may attend a hidden one (a
  hidden query still attends itself, so no softmax row is empty; it carries no loss).

Sequences are packed without padding waste where the attention implementation allows:

* flash-attention (``varlen``): everything in one row and one forward call, ``position_ids``
  restarting per sequence and ``cu_seq_lens_*`` passed to the kernels (transformers'
  padding-free path);
* sdpa / eager: two calls, teachers and pairs then students, each as long as its own longest
  sequence.  ``padded`` (the default) puts one sequence per row, right-padded, under plain causal
  attention — padding only ever follows the real tokens, so no mask is needed and sdpa takes its
  fast ``is_causal`` kernel.  ``rows`` packs shorter sequences first-fit into rows under a
  block-diagonal causal 4-D mask (no padding compute, but a masked kernel).  The attention form
  always needs the 4-D mask.  Padding tokens attend only themselves.

Only positions that carry a loss get logits (``logits_to_keep`` as a boolean mask): the
vocabulary projection is a large part of a small model's step, and the student needs it on the
final answer only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch

from rcwork.distill.batching import DistillBatch, DistillItem
from rcwork.encoding import IGNORE, Encoded

STUDENT_FORMS = ("dropped", "attention")
LAYOUTS = ("auto", "rows", "padded", "varlen")
# Attention implementations that take packed sequences through cu_seq_lens (no mask).
VARLEN_IMPLEMENTATIONS = {"flash_attention_2", "flash_attention_3", "kernels-community/flash-attn",
                          "kernels-community/flash-attn3", "kernels-community/vllm-flash-attn3"}


@dataclass
class _Segment:
    ids: list[int]
    pos: list[int]
    visible: list[bool]  # may other tokens attend to this one (attention form hides some)
    is_student: bool = False
    # (index in segment, target) for the losses; "key" pairs a student target with the teacher's
    ntp: list[tuple[int, int]] = field(default_factory=list)
    student: list[tuple[int, int, tuple[int, int]]] = field(default_factory=list)
    teacher_final: dict[tuple[int, int], int] = field(default_factory=dict)


@dataclass
class Pass:
    """The tensors of one forward call: rows of packed sequences."""

    input_ids: torch.Tensor  # (rows, length)
    position_ids: torch.Tensor  # (rows, length)
    segment: torch.Tensor  # (rows, length) sequence number in the row, -1 for padding
    visible: torch.Tensor  # (rows, length) bool: may be attended
    keep: torch.Tensor  # (rows, length) bool: positions whose logits are computed
    mode: str
    cu_seq_lens: torch.Tensor | None = None  # varlen: sequence boundaries in the single row
    max_length: int = 0
    placeholder: bool = False  # a one-token call that only keeps the call count (see layout)

    @property
    def tokens(self) -> int:
        return int((self.segment >= 0).sum())

    @property
    def causal_rows(self) -> bool:
        """One sequence per row, every token visible: plain causal attention is exact."""
        return bool(self.segment.max() <= 0 and self.visible[self.segment == 0].all())


@dataclass
class Layout:
    """The forward calls of a batch; index tensors point into their kept logits, concatenated
    in pass order."""

    passes: list[Pass]
    ntp_index: torch.Tensor
    ntp_target: torch.Tensor
    student_index: torch.Tensor
    student_target: torch.Tensor
    teacher_index: torch.Tensor  # the teacher position matching each student_index

    @property
    def mode(self) -> str:
        return self.passes[0].mode

    @property
    def tokens(self) -> int:
        """Tokens run through the model, padding excluded."""
        return sum(p.tokens for p in self.passes)

    @property
    def computed_tokens(self) -> int:
        """Tokens run through the model, padding included."""
        return sum(p.input_ids.numel() for p in self.passes)

    @property
    def kept(self) -> int:
        return sum(int(p.keep.sum()) for p in self.passes)


def _segments(batch: DistillBatch, form: str) -> list[_Segment]:
    segs: list[_Segment] = []
    for k, it in enumerate(batch.items):
        s = it.sample
        n = len(s)
        teacher = _Segment(list(s.input_ids), list(range(n)), [True] * n)
        for t in range(n - 1):
            if s.labels[t + 1] != IGNORE:
                teacher.ntp.append((t, s.labels[t + 1]))
            if it.distilled and s.final_labels[t + 1] != IGNORE:
                teacher.teacher_final[(k, t)] = t
        segs.append(teacher)
        if not it.distilled:
            continue
        hidden = it.hidden
        if len(hidden) != n:
            raise ValueError(f"mask has {len(hidden)} entries for a sample of {n} tokens")
        if form == "dropped":
            keep = [i for i in range(n) if not hidden[i]]
            student = _Segment([s.input_ids[i] for i in keep], keep, [True] * len(keep), True)
        else:
            keep = list(range(n))
            student = _Segment(list(s.input_ids), keep, [not h for h in hidden], True)
        for j, t in enumerate(keep):
            if t + 1 < n and s.final_labels[t + 1] != IGNORE:
                # The student predicts the same next token as the teacher, so the token before
                # every final-answer token must be visible ([I, FC] never is hidden).
                if hidden[t] or hidden[t + 1]:
                    raise ValueError("a final-answer token or its predecessor is hidden")
                student.student.append((j, s.final_labels[t + 1], (k, t)))
        segs.append(student)
    return segs


def _pack_rows(lengths: list[int], mode: str) -> list[list[int]]:
    """Segment indices per row: one row (varlen), one per segment (padded), or first-fit."""
    if mode == "varlen":
        return [list(range(len(lengths)))]
    if mode == "padded":
        return [[i] for i in range(len(lengths))]
    capacity = max(lengths)
    rows: list[list[int]] = []
    room: list[int] = []
    for i in sorted(range(len(lengths)), key=lambda i: -lengths[i]):
        for r, free in enumerate(room):
            if lengths[i] <= free:
                rows[r].append(i)
                room[r] -= lengths[i]
                break
        else:
            rows.append([i])
            room.append(capacity - lengths[i])
    return rows


def resolve_layout(layout: str, attn_implementation: str | None) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    if layout != "auto":
        return layout
    return "varlen" if attn_implementation in VARLEN_IMPLEMENTATIONS else "padded"


def layout(batch: DistillBatch, student_form: str = "dropped", mode: str = "padded",
           pad_token_id: int = 0, student_pass: bool | None = None) -> Layout:
    """Lay the batch out for the model (see the module docstring).

    ``varlen`` packs everything into one row for one call.  ``rows`` and ``padded`` make two
    calls, teachers (and pairs) then students, each as long as its own longest sequence: in one
    call the short students of a high mask rate would sit in rows as long as the teachers, and
    dense attention would cost them as much as a teacher.

    Under data parallelism every rank must make the same number of forward calls (DDP
    broadcasts buffers and ZeRO-3 gathers parameters in each one): ``student_pass=True`` makes
    the students' call even when this batch has no student, as a one-token placeholder whose
    logit enters the loss with weight 0 (ZeRO-3 also gathers parameters in the backward pass, so
    the placeholder must have one).  ``None`` makes the call only when there are students.
    """
    if student_form not in STUDENT_FORMS:
        raise ValueError(f"unknown student form {student_form!r}; expected one of "
                         f"{', '.join(STUDENT_FORMS)}")
    if mode not in ("rows", "padded", "varlen"):
        raise ValueError(f"unknown layout mode {mode!r}")
    if mode == "varlen" and student_form == "attention":
        raise ValueError("the attention-mask student form needs an explicit attention mask; "
                         "flash-attention's varlen path has none: use the dropped form, or sdpa")
    if not batch.items:
        raise ValueError("empty batch")
    segs = _segments(batch, student_form)
    if mode == "varlen":
        groups = [list(range(len(segs)))]
    else:
        students = [i for i, s in enumerate(segs) if s.is_student]
        groups = [[i for i, s in enumerate(segs) if not s.is_student]]
        if students or student_pass:
            groups.append(students)
    passes: list[Pass] = []
    base: dict[int, tuple[int, int]] = {}  # segment -> (pass, flat coordinate of first token)
    for g in groups:
        if not g:  # the students' call of a batch without students
            passes.append(Pass(input_ids=torch.full((1, 1), pad_token_id, dtype=torch.long),
                               position_ids=torch.zeros((1, 1), dtype=torch.long),
                               segment=torch.zeros((1, 1), dtype=torch.long),
                               visible=torch.ones((1, 1), dtype=torch.bool),
                               keep=torch.ones((1, 1), dtype=torch.bool), mode=mode,
                               placeholder=True))
            continue
        rows = [[g[i] for i in row] for row in _pack_rows([len(segs[i].ids) for i in g], mode)]
        length = max(sum(len(segs[i].ids) for i in row) for row in rows)
        R = len(rows)
        p = Pass(input_ids=torch.full((R, length), pad_token_id, dtype=torch.long),
                 position_ids=torch.zeros((R, length), dtype=torch.long),
                 segment=torch.full((R, length), -1, dtype=torch.long),
                 visible=torch.zeros((R, length), dtype=torch.bool),
                 keep=torch.zeros((R, length), dtype=torch.bool), mode=mode)
        seq_lens = []
        for r, row in enumerate(rows):
            col = 0
            for si, i in enumerate(row):
                s = segs[i]
                n = len(s.ids)
                p.input_ids[r, col:col + n] = torch.tensor(s.ids)
                p.position_ids[r, col:col + n] = torch.tensor(s.pos)
                p.segment[r, col:col + n] = si
                p.visible[r, col:col + n] = torch.tensor(s.visible)
                base[i] = (len(passes), r * length + col)
                col += n
                seq_lens.append(n)
        if mode == "varlen":
            p.cu_seq_lens = torch.tensor([0, *torch.tensor(seq_lens).cumsum(0).tolist()],
                                         dtype=torch.int32)
            p.max_length = max(seq_lens)
        passes.append(p)
    # Loss positions as (pass, flat coordinate), in batch order whatever the packing.
    ntp_at, ntp_tgt, st_at, st_tgt, st_key = [], [], [], [], []
    teacher_at: dict[tuple[int, int], tuple[int, int]] = {}
    for i, s in enumerate(segs):
        pi, b = base[i]
        for j, tgt in s.ntp:
            ntp_at.append((pi, b + j))
            ntp_tgt.append(tgt)
        for j, tgt, key in s.student:
            st_at.append((pi, b + j))
            st_tgt.append(tgt)
            st_key.append(key)
        for key, j in s.teacher_final.items():
            teacher_at[key] = (pi, b + j)
    def split(at: list[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor]:
        t = torch.tensor(at, dtype=torch.long).view(-1, 2)
        return t[:, 0], t[:, 1]

    # Teacher final positions are NTP positions already when final answers are trained; keep
    # them anyway for encodings that do not train them.
    which, flat = split([*ntp_at, *st_at, *teacher_at.values()])
    for pi, p in enumerate(passes):
        p.keep.view(-1)[flat[which == pi]] = True
    ranks, offset = [], 0
    for p in passes:  # flat coordinate -> index among the kept logits of all passes
        ranks.append(torch.cumsum(p.keep.view(-1).long(), 0) - 1 + offset)
        offset += int(p.keep.sum())

    def index(at: list[tuple[int, int]]) -> torch.Tensor:
        which, flat = split(at)
        out = torch.zeros(len(at), dtype=torch.long)
        for pi, rank in enumerate(ranks):
            sel = which == pi
            out[sel] = rank[flat[sel]]
        return out

    return Layout(passes=passes, ntp_index=index(ntp_at),
                  ntp_target=torch.tensor(ntp_tgt, dtype=torch.long),
                  student_index=index(st_at),
                  student_target=torch.tensor(st_tgt, dtype=torch.long),
                  teacher_index=index([teacher_at[k] for k in st_key]))


def attention_mask_4d(lay: Pass, dtype: torch.dtype | None = None) -> torch.Tensor:
    """``(rows, 1, L, L)`` mask: causal within a sequence, never across sequences, never onto a
    hidden token; every token attends itself.  Boolean (True = attend) for sdpa, or additive
    in ``dtype`` (0 / dtype min) for eager attention."""
    seg, vis = lay.segment, lay.visible
    L = seg.shape[1]
    causal = torch.ones(L, L, dtype=torch.bool).tril()
    same = (seg[:, :, None] == seg[:, None, :]) & (seg[:, :, None] >= 0)
    allowed = same & causal[None] & vis[:, None, :]
    allowed |= torch.eye(L, dtype=torch.bool)[None]
    allowed = allowed[:, None]
    if dtype is None:
        return allowed
    return torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)


def student_attention_mask(sample: Encoded, hidden: Sequence[bool]) -> torch.Tensor:
    """The ``(L, L)`` boolean mask (query rows, key columns; True = may attend) that the
    attention-form student of ``sample`` gets in training, made by the trainer's own code
    (:func:`layout`, :func:`attention_mask_4d`), so a picture of it cannot drift from training.

    A hidden query row attends what a visible one at its place would (and itself); it carries
    no loss, and in the dropped form it does not exist at all."""
    lay = layout(DistillBatch([DistillItem(sample, list(hidden))]), "attention", "padded")
    student = lay.passes[-1]
    return attention_mask_4d(student)[0, 0, :len(sample), :len(sample)]


def model_inputs(lay: Pass, attn_implementation: str | None, dtype: torch.dtype,
                 device: torch.device | str) -> dict:
    """Keyword arguments for a causal LM's forward (``logits_to_keep`` selects loss positions)."""
    kw = dict(input_ids=lay.input_ids.to(device), position_ids=lay.position_ids.to(device),
              logits_to_keep=lay.keep.to(device), use_cache=False)
    if lay.mode == "varlen":
        cu = lay.cu_seq_lens.to(device)
        kw.update(attention_mask=None, cu_seq_lens_q=cu, cu_seq_lens_k=cu,
                  max_length_q=lay.max_length, max_length_k=lay.max_length)
    elif lay.causal_rows:
        # One sequence per row, padding only at the end: causal attention alone keeps every
        # real token off the padding, so sdpa can take its is_causal kernel (a materialised mask
        # is markedly slower on CPU).  An explicit all-ones 2-D mask, not None, so transformers
        # does not read the gaps in a dropped student's position_ids as packed sequences.
        kw["attention_mask"] = torch.ones(lay.input_ids.shape, dtype=torch.long, device=device)
    elif attn_implementation == "sdpa":
        kw["attention_mask"] = attention_mask_4d(lay).to(device)
    elif attn_implementation in (None, "eager"):
        kw["attention_mask"] = attention_mask_4d(lay, dtype).to(device)
    else:
        raise ValueError(f"attention implementation {attn_implementation!r} is not supported by "
                         "the distillation batches: use sdpa, eager or flash_attention_2")
    return kw
