"""The authors' distillation step, in their layout, for comparison and benchmarks.

ReflectionCoder's released trainer (SenseLLM/ReflectionCoder, ``src/utils/trainer.py``) puts the
teacher and the student in one batch as two rows of the same right-padded tokens and computes,
in one forward pass over full-vocabulary logits at every position of both rows:

* one cross-entropy **mean over the label tokens of both rows together**: the teacher row's
  labels (every token but bos, user messages and execution blocks; eos trains) and the student
  row's *distillation labels* (the final message from its ``<|assistant|>`` token up to, not
  including, eos);
* plus ``KL(p_teacher || p_student)`` as ``kl_div(log_softmax(s), softmax(t).detach(),
  reduction="batchmean")`` over the positions whose distillation label is set, taken on the
  logits *at* those positions (not shifted: the logits that predict the next token).

The student row's 2-D ``attention_mask`` is 0 on bos, RI, the first assistant message's role and
end tokens and its masked blocks, so no token attends them; positions are not renumbered.  (The
authors mask only the first assistant message; their data has one.  rcwork's own student keeps
bos, as every test-time prompt has it, and hides a message's role and end tokens with its last
block; :func:`authors_student_mask` turns rcwork's block choices into the authors' mask.)  :func:`authors_loss` does exactly this from an rcwork :class:`DistillBatch`, and
``tests/test_method_fidelity.py`` pins it against a line-by-line transcription of the authors'
processing on raw text.  rcwork's own loss (:mod:`rcwork.distill.loss`) differs on purpose in
two places, documented in ``docs/method.md``: its student targets include eos, and its KL sits on
the same predictions as the student's cross-entropy.  Its ``per_sample`` normalisation is the
authors' averaging; ``joint`` and ``per_term`` average over the whole batch.

Two more pieces of the authors' trainer are transcribed here, so that a comparison reaches them
too:

* **the mask functions** (:class:`AuthorsMasks`, ``src/utils/trainer.py`` lines 57–157): the
  collator splits the first assistant message's tokens into blocks and hides them by its
  strategy (``all_mask``, ``random_token_mask``, ``sequential_token_mask``,
  ``random_block_mask``, ``sequential_block_mask``, ``block_mask`` with the literal thresholds
  0.33 and 0.67); ``mask`` adds the zeros for bos, RI, the assistant role token and
  ``<|endofmessage|>``;
* **the averaging** (:func:`authors_per_sample_loss`): the README's command trains with
  ``--per_device_train_batch_size 1`` and gradient accumulation (``README.md`` line 64), so each
  sample is its own ``compute_loss`` call (lines 243–275; an instruction pair takes the plain
  label loss, line 247–249) and the optimizer step averages them (transformers' Trainer divides
  each micro-batch loss by the accumulation steps; DDP averages ranks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from rcwork.distill.batching import DistillBatch
from rcwork.distill.loss import unwrap
from rcwork.encoding import IGNORE, INSTRUCTION, REFLECTION, Encoded
from rcwork.textformat import BLOCK_TOKENS, END_OF_BLOCK, END_OF_MESSAGE, ROLE_TOKENS

# rcwork's order letters as the authors' block type tokens (src/train.py line 42: t = text,
# c = code, e = execution).
ORDER_TOKENS = {"E": BLOCK_TOKENS["execution"], "A": BLOCK_TOKENS["text"],
                "C": BLOCK_TOKENS["code"]}
AUTHORS_STRATEGIES = ("all_mask", "random_token_mask", "sequential_token_mask",
                      "random_block_mask", "sequential_block_mask", "block_mask")


class AuthorsMasks:
    """The authors' ``MaskCollator`` mask functions on token ids (trainer.py lines 29–157).

    ``order`` is rcwork's three letters (``"EAC"``; the authors' ``etc``).  Random choices use
    ``numpy.random.RandomState(seed)`` as theirs do, so they match the authors' draws, not
    rcwork's (which are seeded per sample and step).
    """

    def __init__(self, tokenizer, order: str = "EAC", seed: int = 0):
        tid = tokenizer.convert_tokens_to_ids
        self.assistant = tid(ROLE_TOKENS["assistant"])
        self.end_of_message = tid(END_OF_MESSAGE)
        self.block_begin = {tid(t): t for t in BLOCK_TOKENS.values()}
        self.block_end = tid(END_OF_BLOCK)
        self.order = [ORDER_TOKENS[c] for c in order.upper()]
        self.rng = np.random.RandomState(seed)

    def split_block(self, ids: Sequence[int]) -> list[tuple[str, list[int]]]:
        """Lines 57–69: (block type token, tokens) per block; a block ends at <|endofblock|>."""
        blocks, block, kind = [], [], ""
        for t in ids:
            if t in self.block_begin:
                kind = self.block_begin[t]
            block.append(t)
            if t == self.block_end:
                blocks.append((kind, block))
                block, kind = [], ""
        return blocks

    def all_mask(self, ids: Sequence[int], rate: float) -> list[int]:
        return [0] * len(ids)  # lines 71–73

    def random_token_mask(self, ids: Sequence[int], rate: float) -> list[int]:
        n = len(ids)  # lines 75–83
        k = math.ceil(n * rate)
        mask = [0] * k + [1] * (n - k)
        self.rng.shuffle(mask)
        return mask

    def sequential_token_mask(self, ids: Sequence[int], rate: float) -> list[int]:
        n = len(ids)  # lines 85–92
        k = math.ceil(n * rate)
        return [0] * k + [1] * (n - k)

    def random_block_mask(self, ids: Sequence[int], rate: float) -> list[int]:
        blocks = self.split_block(ids)  # lines 94–108
        chosen = self.rng.choice(len(blocks), math.ceil(len(blocks) * rate), replace=False)
        mask: list[int] = []
        for i, (_, block) in enumerate(blocks):
            mask += [0 if i in chosen else 1] * len(block)
        return mask

    def sequential_block_mask(self, ids: Sequence[int], rate: float) -> list[int]:
        blocks = self.split_block(ids)  # lines 110–123
        k = math.ceil(len(blocks) * rate)
        mask: list[int] = []
        for i, (_, block) in enumerate(blocks):
            mask += [0 if i < k else 1] * len(block)
        return mask

    def block_mask(self, ids: Sequence[int], rate: float) -> list[int]:
        blocks = self.split_block(ids)  # lines 125–144
        hidden = [self.order[0]]
        if rate >= 0.33:
            hidden.append(self.order[1])
        if rate >= 0.67:
            hidden.append(self.order[2])
        mask: list[int] = []
        for kind, block in blocks:
            mask += [0 if kind in hidden else 1] * len(block)
        return mask

    def mask(self, ids: Sequence[int], rate: float, strategy: str) -> list[int]:
        """Lines 146–157: the student's attention mask over a whole sample (1 = attended)."""
        if strategy not in AUTHORS_STRATEGIES:
            raise ValueError(f"strategy must be one of {AUTHORS_STRATEGIES}, got {strategy!r}")
        ids = list(ids)
        start = ids.index(self.assistant) + 1
        end = start + ids[start:].index(self.end_of_message)
        inner = getattr(self, strategy)(ids[start:end], rate)
        return [0] * start + inner + [0] + [1] * (len(ids) - end - 1)


def authors_rate(global_step: int, max_steps: int) -> float:
    """The collator's rate (trainer.py lines 172–177): (global_step + 1) / max_steps, at most 1."""
    if max_steps == 0:
        return 0
    return min((global_step + 1) / max_steps, 1)


@dataclass
class AuthorsLoss:
    total: torch.Tensor  # ce + kl, what the authors' compute_loss returns
    ce: torch.Tensor  # one mean over both rows' label tokens
    kl: torch.Tensor  # batchmean over the distillation positions
    label_tokens: int
    kl_positions: int


def authors_student_mask(sample: Encoded, hidden: list[bool]) -> list[int]:
    """The authors' student attention mask (1 = attended) for rcwork's choice of hidden blocks:
    0 on bos, RI and everything of the first assistant message but its visible blocks."""
    first = next(m for m, p in zip(sample.message, sample.part) if p == REFLECTION)
    mask = []
    for i, (m, p, b) in enumerate(zip(sample.message, sample.part, sample.block)):
        if i == 0 or p == INSTRUCTION:
            mask.append(0)
        elif p == REFLECTION and m == first:
            mask.append(0 if b < 0 or hidden[i] else 1)
        else:
            mask.append(1)
    return mask


def authors_inputs(batch: DistillBatch, pad_token_id: int = 0) -> dict[str, torch.Tensor]:
    """The authors' collated batch: ``input_ids`` (B, L), the teacher's ``attention_mask`` and
    ``labels``, the student's ``distillation_attention_mask`` and ``distillation_labels``."""
    items = [it for it in batch.items if it.distilled]
    if len(items) != len(batch.items):
        raise ValueError("the authors' layout holds reflection records only (no NTP-only items)")
    B, L = len(items), max(len(it.sample) for it in items)
    ids = torch.full((B, L), pad_token_id, dtype=torch.long)
    teacher_mask = torch.zeros((B, L), dtype=torch.long)
    student_mask = torch.zeros((B, L), dtype=torch.long)
    labels = torch.full((B, L), IGNORE, dtype=torch.long)
    distill = torch.full((B, L), IGNORE, dtype=torch.long)
    for b, it in enumerate(items):
        s = it.sample
        n = len(s)
        ids[b, :n] = torch.tensor(s.input_ids)
        teacher_mask[b, :n] = 1
        student_mask[b, :n] = torch.tensor(authors_student_mask(s, it.hidden))
        labels[b, :n] = torch.tensor(s.labels)
        # The final message without eos (the authors' ``label[index:-1] + [-100]``).
        final = list(s.final_labels)
        final[n - 1] = IGNORE
        distill[b, :n] = torch.tensor(final)
    return {"input_ids": ids, "attention_mask": teacher_mask, "labels": labels,
            "distillation_attention_mask": student_mask, "distillation_labels": distill}


def authors_loss(model: torch.nn.Module, batch: DistillBatch) -> AuthorsLoss:
    """The authors' ``compute_loss`` on ``batch`` (one forward of teacher and student rows)."""
    core = unwrap(model)
    pad = core.config.pad_token_id if core.config.pad_token_id is not None else 0
    x = authors_inputs(batch, pad)
    device = next(core.parameters()).device
    ids = x["input_ids"].to(device)
    out = model(input_ids=torch.cat([ids, ids]),
                attention_mask=torch.cat([x["attention_mask"],
                                          x["distillation_attention_mask"]]).to(device),
                use_cache=False)
    logits = out.logits.float()
    labels = torch.cat([x["labels"], x["distillation_labels"]]).to(device)
    V = logits.shape[-1]
    shifted = labels[:, 1:].reshape(-1)
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, V), shifted, ignore_index=IGNORE)
    teacher, student = torch.chunk(logits, 2, dim=0)
    sel = x["distillation_labels"].to(device) != IGNORE
    kl = F.kl_div(F.log_softmax(student[sel], -1), F.softmax(teacher[sel], -1).detach(),
                  reduction="batchmean")
    return AuthorsLoss(ce + kl, ce, kl, int((shifted != IGNORE).sum()), int(sel.sum()))


def authors_per_sample_loss(model: torch.nn.Module, batch: DistillBatch) -> torch.Tensor:
    """The loss of one optimizer step of the authors' run over ``batch``'s samples.

    Their command trains one sample per device with gradient accumulation, so every sample is
    its own ``compute_loss`` call — :func:`authors_loss` on a batch of one for a reflection
    sample; the model's own label loss for an instruction pair (trainer.py lines 247–249) — and
    the step's loss is the mean of those calls.
    """
    core = unwrap(model)
    device = next(core.parameters()).device
    losses = []
    for it in batch.items:
        if it.distilled:
            losses.append(authors_loss(model, DistillBatch([it], batch.rate, batch.strategy,
                                                           batch.order)).total)
        else:
            ids = torch.tensor([it.sample.input_ids], device=device)
            labels = torch.tensor([it.sample.labels], device=device)
            logits = model(input_ids=ids, use_cache=False).logits.float()
            losses.append(F.cross_entropy(logits[0, :-1], labels[0, 1:], ignore_index=IGNORE))
    return torch.stack(losses).mean()
