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
the same predictions as the student's cross-entropy.  Its ``joint`` normalisation is the
authors'; ``per_term`` averages each term on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from rcwork.distill.batching import DistillBatch
from rcwork.distill.loss import unwrap
from rcwork.encoding import IGNORE, INSTRUCTION, REFLECTION, Encoded


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
