"""``loss_normalization="per_sample"`` is the authors' averaging, in both student forms.

The authors train one sample per device with gradient accumulation (SenseLLM/ReflectionCoder
README line 64), so each sample's loss is its own joint token mean of teacher and student NTP
plus its own final-token KL mean, an instruction pair's loss its own token mean, and the step
averages the samples.  Here the trainer's loss over an optimizer step of two micro-batches (with
instruction pairs mixed in) is compared with an independent computation: every sample run on
its own through plain forward calls, its terms written out, the samples averaged.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from rcwork.distill import loss_terms
from rcwork.distill.data import build_training_data, collate
from rcwork.distill.toy import toy_pairs, toy_records
from rcwork.distill.trainer import DistillConfig, DistillTrainer
from rcwork.encoding import IGNORE
from rcwork.models import load_model


def _sample_loss(model, item) -> torch.Tensor:
    """One sample's loss, the plain way: its own forward calls and token means."""
    enc = item.sample
    ids = torch.tensor([enc.input_ids])
    teacher = model(input_ids=ids).logits[0].float()
    labels = torch.tensor(enc.labels[1:])
    n_ntp = int((labels != IGNORE).sum())
    ntp_sum = F.cross_entropy(teacher[:-1], labels, ignore_index=IGNORE, reduction="sum")
    if not item.distilled:
        return ntp_sum / n_ntp
    keep = [i for i, h in enumerate(item.hidden) if not h]
    student = model(input_ids=ids[:, keep], position_ids=torch.tensor([keep]),
                    attention_mask=torch.ones(1, len(keep), dtype=torch.long)).logits[0].float()
    rows = [j for j, t in enumerate(keep) if t + 1 < len(enc) and enc.final_labels[t + 1] != IGNORE]
    targets = torch.tensor([enc.final_labels[keep[j] + 1] for j in rows])
    st_sum = F.cross_entropy(student[rows], targets, reduction="sum")
    log_t = F.log_softmax(teacher[[keep[j] for j in rows]], -1)
    log_s = F.log_softmax(student[rows], -1)
    kl_mean = (log_t.exp() * (log_t - log_s)).sum(-1).mean()
    return (ntp_sum + st_sum) / (n_ntp + len(rows)) + kl_mean


def _trainer(tmp_path, normalization: str, student_form: str, sharpen: float):
    model, tok = load_model("tiny", seed=3)
    with torch.no_grad():
        model.model.norm.weight.mul_(sharpen)
    data = build_training_data([("toy", toy_records(4))], toy_pairs(2), tok, max_len=4096, k=1)
    args = DistillConfig(output_dir=str(tmp_path), model="tiny", report_to="none",
                         loss_normalization=normalization, student_form=student_form,
                         strategy="block", max_steps=4)
    trainer = DistillTrainer(model=model, args=args, train_dataset=data.train,
                             processing_class=tok)
    trainer.state.max_steps = 4
    trainer.state.global_step = 1
    return trainer, model, data


@pytest.mark.parametrize("student_form", ["dropped", "attention"])
@pytest.mark.parametrize("sharpen", [1.0, 20.0])
def test_trainer_per_sample_loss_is_the_authors_averaging(tmp_path, student_form, sharpen):
    trainer, model, data = _trainer(tmp_path, "per_sample", student_form, sharpen)
    entries = [data.train[i] for i in range(len(data.train))]
    pairs = [e for e in entries if not e["distill"]]
    records = [e for e in entries if e["distill"]]
    assert len(pairs) == 2 and len(records) == 4
    micro = [[records[0], pairs[0], records[1]], [records[2], records[3], pairs[1]]]
    model.train()  # the global-batch path; the tiny model has no dropout
    with torch.no_grad():
        trainer.get_batch_samples(iter([collate(m) for m in micro]), 2, torch.device("cpu"))
        ours = sum(trainer.compute_loss(model, {"samples": m}).item() for m in micro)
        items = [it for m in micro for it in trainer.make_batch(m).items]
        expected = torch.stack([_sample_loss(model, it) for it in items]).mean().item()
        # The other two normalisations give clearly different numbers on the same step.
        others = {}
        for name in ("joint", "per_term"):
            trainer.args.loss_normalization = name
            others[name] = sum(trainer.compute_loss(model, {"samples": m}).item() for m in micro)
    assert ours == pytest.approx(expected, rel=1e-6, abs=1e-6)
    for name, value in others.items():
        assert abs(value - expected) > 1e-3, (name, value, expected)


def test_loss_terms_total_per_sample(tmp_path):
    trainer, model, data = _trainer(tmp_path, "per_sample", "dropped", 1.0)
    entries = [data.train[i] for i in range(len(data.train))][:3]
    with torch.no_grad():
        batch = trainer.make_batch(entries)
        terms = loss_terms(model, batch)
        expected = torch.stack([_sample_loss(model, it) for it in batch.items]).mean()
        assert terms.total(normalization="per_sample").item() == pytest.approx(
            expected.item(), rel=1e-6, abs=1e-6)
        model.eval()
        assert trainer.compute_loss(model, {"samples": entries}).item() == pytest.approx(
            expected.item(), rel=1e-6, abs=1e-6)
    with pytest.raises(ValueError, match="normalization"):
        terms.total(normalization="per_token")
