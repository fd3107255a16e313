"""Distillation: batches, the two student forms, the loss terms, and the public API."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from transformers import AttentionInterface

import rcwork.distill.batching as batching
from rcwork.distill import (DistillBatch, loss_terms, make_batch, student_final_logits)
import rcwork.distill.layout as layouts
from rcwork.distill.layout import layout, model_inputs
from rcwork.distill.loss import _sums_from_logits, forward_logits, loss_sums
from rcwork.distill.toy import toy_pairs, toy_records
from rcwork.encoding import IGNORE, encode_record
from rcwork.models import load_model



@pytest.fixture(scope="module")
def tiny_model():
    model, tok = load_model("tiny", seed=1)
    return model, tok


def with_attention(model, impl):
    model.set_attn_implementation(impl)
    return model


def test_public_api_returns_the_three_terms(tiny_model):
    model, tok = tiny_model
    batch = make_batch(toy_records(3), tok, strategy="block", order="EAC", rate=0.5, seed=0)
    assert isinstance(batch, DistillBatch) and len(batch.items) == 3
    terms = loss_terms(model, batch, student_form="dropped")
    for value in (terms.ntp, terms.student_ntp, terms.kl):
        assert value.dim() == 0 and torch.isfinite(value)
    assert terms.kl >= 0
    assert terms.ntp_tokens == batch.ntp_tokens and terms.final_tokens == batch.final_tokens
    assert torch.allclose(terms.total(1, 2, 3), terms.ntp + 2 * terms.student_ntp + 3 * terms.kl)
    terms.total().backward()
    assert model.get_input_embeddings().weight.grad is not None
    model.zero_grad(set_to_none=True)


def _final_logits_and_terms(model, batch, form):
    logits, lay = forward_logits(model, batch, student_form=form)
    ntp, st, kl = (float(t) for t in _sums_from_logits(logits, lay))
    terms = (ntp / max(len(lay.ntp_index), 1), st / max(len(lay.student_index), 1),
             kl / max(len(lay.student_index), 1))
    return logits[lay.student_index], terms


@pytest.mark.parametrize("impl,strategy", [
    ("sdpa", "block"), ("sdpa", "random_block"), ("sdpa", "sequential_block"),
    ("sdpa", "random_token"), ("sdpa", "sequential_token"), ("sdpa", "all"), ("eager", "block")])
def test_dropped_and_attention_forms_give_the_same_final_logits(tiny_model, impl, strategy):
    model, tok = tiny_model
    with_attention(model, impl)
    try:
        records = toy_records(3)
        with torch.no_grad():
            for rate in (0.0, 0.5, 1.0):
                batch = make_batch(records, tok, strategy=strategy, rate=rate, seed=2,
                                   pairs=toy_pairs(1))
                dropped, terms_d = _final_logits_and_terms(model, batch, "dropped")
                attention, terms_a = _final_logits_and_terms(model, batch, "attention")
                assert dropped.shape == attention.shape == (batch.final_tokens, len(tok))
                torch.testing.assert_close(dropped, attention, rtol=1e-5, atol=1e-5)
                assert terms_d == pytest.approx(terms_a, rel=1e-5, abs=1e-6)
    finally:
        with_attention(model, "sdpa")


@pytest.mark.slow
def test_forms_agree_on_the_embedded_model(embedded):
    model, tok = embedded
    records = toy_records(1)
    with torch.no_grad():
        for strategy, rate in (("block", 0.5), ("random_token", 0.8)):
            batch = make_batch(records, tok, strategy=strategy, rate=rate, seed=0)
            dropped, terms_d = _final_logits_and_terms(model, batch, "dropped")
            attention, terms_a = _final_logits_and_terms(model, batch, "attention")
            torch.testing.assert_close(dropped, attention, rtol=1e-4, atol=1e-4)
            assert terms_d == pytest.approx(terms_a, rel=1e-4, abs=1e-5)


def test_hidden_tokens_are_never_attended(tiny_model):
    """Changing the hidden tokens' ids changes nothing the student computes on the answer."""
    model, tok = tiny_model
    enc = encode_record(toy_records(1)[0], tok)
    batch = make_batch([enc], strategy="block", rate=0.5)
    item = batch.items[0]
    scrambled = DistillBatch([batching.DistillItem(
        type(item.sample)(**{**item.sample.__dict__, "input_ids": [
            (t + 7) % 256 if h else t for t, h in zip(item.sample.input_ids, item.hidden)]}),
        item.hidden, 0)])
    with torch.no_grad():
        for form in ("attention", "dropped"):
            torch.testing.assert_close(student_final_logits(model, batch, form),
                                       student_final_logits(model, scrambled, form))


def _manual_terms(model, enc, hidden):
    """The terms computed the plain way: two separate calls, no packing, no logits_to_keep."""
    ids = torch.tensor([enc.input_ids])
    teacher = model(input_ids=ids).logits[0].float()
    keep = [i for i, h in enumerate(hidden) if not h]
    # an explicit all-ones mask: position_ids with gaps would otherwise read as packed sequences
    student = model(input_ids=ids[:, keep], position_ids=torch.tensor([keep]),
                    attention_mask=torch.ones(1, len(keep), dtype=torch.long)).logits[0].float()
    labels = torch.tensor(enc.labels[1:])
    ntp = F.cross_entropy(teacher[:-1], labels, ignore_index=IGNORE)
    st_rows = [j for j, t in enumerate(keep) if t + 1 < len(enc)
               and enc.final_labels[t + 1] != IGNORE]
    t_rows = [keep[j] for j in st_rows]
    targets = torch.tensor([enc.final_labels[keep[j] + 1] for j in st_rows])
    st = F.cross_entropy(student[st_rows], targets)
    p_t = F.softmax(teacher[t_rows], -1).detach()
    kl = (p_t * (torch.log(p_t) - F.log_softmax(student[st_rows], -1))).sum(-1).mean()
    return ntp, st, kl


@pytest.mark.parametrize("rate", [0.0, 0.5, 1.0])
def test_loss_terms_match_a_plain_computation(tiny_model, rate):
    model, tok = tiny_model
    enc = encode_record(toy_records(2)[1], tok)
    batch = make_batch([enc], strategy="sequential_block", rate=rate)
    terms = loss_terms(model, batch)
    ntp, st, kl = _manual_terms(model, enc.teacher, batch.items[0].hidden)
    torch.testing.assert_close(terms.ntp, ntp, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(terms.student_ntp, st, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(terms.kl, kl, rtol=1e-4, atol=1e-7)


def test_kl_gradient_reaches_the_student_only(tiny_model):
    """KL(teacher || student) with the teacher detached: its gradient equals the plain
    computation's, and differs from one where the teacher is not detached."""
    model, tok = tiny_model
    enc = encode_record(toy_records(1)[0], tok)
    batch = make_batch([enc], strategy="block", rate=2 / 3)
    w = model.get_input_embeddings().weight

    def grad_of(fn):
        model.zero_grad(set_to_none=True)
        fn().backward()
        g = w.grad.clone()
        model.zero_grad(set_to_none=True)
        return g

    ours = grad_of(lambda: loss_terms(model, batch).kl)
    plain = grad_of(lambda: _manual_terms(model, enc.teacher, batch.items[0].hidden)[2])
    torch.testing.assert_close(ours, plain, rtol=1e-3, atol=1e-7)

    def undetached():
        ids = torch.tensor([enc.teacher.input_ids])
        hidden = batch.items[0].hidden
        keep = [i for i, h in enumerate(hidden) if not h]
        t = model(input_ids=ids).logits[0]
        s = model(input_ids=ids[:, keep], position_ids=torch.tensor([keep]),
                  attention_mask=torch.ones(1, len(keep), dtype=torch.long)).logits[0]
        rows = [j for j, p in enumerate(keep) if p + 1 < len(hidden)
                and enc.teacher.final_labels[p + 1] != IGNORE]
        return F.kl_div(F.log_softmax(s[rows], -1), F.log_softmax(t[[keep[j] for j in rows]], -1),
                        log_target=True, reduction="batchmean")

    assert not torch.allclose(ours, grad_of(undetached), rtol=1e-3, atol=1e-7)


def _varlen_reference(module, query, key, value, attention_mask, scaling=None, dropout=0.0,
                      **kwargs):
    """A CPU stand-in for flash-attention's varlen kernel: attention within each
    [cu[i], cu[i+1]) span of the single packed row, as the kwargs transformers passes say."""
    cu = kwargs["cu_seq_lens_q"]
    assert attention_mask is None and query.shape[0] == 1
    assert kwargs["max_length_q"] == int((cu[1:] - cu[:-1]).max())
    groups = query.shape[1] // key.shape[1]
    key, value = key.repeat_interleave(groups, 1), value.repeat_interleave(groups, 1)
    out = torch.zeros_like(query)
    for a, b in zip(cu[:-1].tolist(), cu[1:].tolist()):
        out[:, :, a:b] = F.scaled_dot_product_attention(query[:, :, a:b], key[:, :, a:b],
                                                        value[:, :, a:b], is_causal=True,
                                                        scale=scaling)
    return out.transpose(1, 2).contiguous(), None


def test_packing_layouts_agree_including_varlen(tiny_model, monkeypatch):
    """rows, padded, and the varlen path flash-attention takes (one packed row, position_ids
    restarting per sequence, cu_seq_lens) give the same terms."""
    model, tok = tiny_model
    AttentionInterface.register("rcwork_varlen_reference", _varlen_reference)
    monkeypatch.setattr(layouts, "VARLEN_IMPLEMENTATIONS",
                        layouts.VARLEN_IMPLEMENTATIONS | {"rcwork_varlen_reference"})
    batch = make_batch(toy_records(5), tok, strategy="random_token", rate=0.4, seed=3,
                       pairs=toy_pairs(2))
    lay = layout(batch, "dropped", "varlen")
    assert len(lay.passes) == 1 and lay.passes[0].input_ids.shape[0] == 1
    assert lay.passes[0].cu_seq_lens[-1] == lay.tokens == lay.computed_tokens  # no padding
    with torch.no_grad():
        results = {mode: loss_terms(model, batch, layout_mode=mode).as_floats()
                   for mode in ("rows", "padded")}
        with_attention(model, "rcwork_varlen_reference")
        try:
            results["auto->varlen"] = loss_terms(model, batch, layout_mode="auto").as_floats()
        finally:
            with_attention(model, "sdpa")
    for name, value in results.items():
        assert value == pytest.approx(results["rows"], rel=1e-5, abs=1e-6), name


def test_rows_layout_packs_short_sequences_and_keeps_positions(tiny_model):
    _, tok = tiny_model
    batch = make_batch(toy_records(4), tok, strategy="block", rate=1.0, pairs=toy_pairs(2))
    lay = layout(batch, "dropped", "rows")
    teachers, students = lay.passes
    assert students.input_ids.shape[1] < teachers.input_ids.shape[1]  # own length per call
    assert lay.computed_tokens < layout(batch, "dropped", "padded").computed_tokens
    # the students' survivors keep their original positions (gaps where tokens were dropped)
    sequences = [students.position_ids[r][students.segment[r] == s].tolist()
                 for r in range(students.segment.shape[0])
                 for s in set(students.segment[r].tolist()) - {-1}]
    for item in batch.items[:4]:
        assert [i for i, h in enumerate(item.hidden) if not h] in sequences
    # logits only where a loss needs them
    assert lay.kept == len(set(lay.ntp_index.tolist()) | set(lay.student_index.tolist())
                           | set(lay.teacher_index.tolist()))


def test_pairs_and_no_distillation_get_ntp_only(tiny_model):
    model, tok = tiny_model
    batch = make_batch(toy_records(2), tok, rate=0.5, pairs=toy_pairs(2))
    assert [it.distilled for it in batch.items] == [True, True, False, False]
    plain = make_batch(toy_records(2), tok, rate=0.5, distill=False)
    assert not any(it.distilled for it in plain.items) and plain.final_tokens == 0
    terms = loss_terms(model, plain)
    assert terms.student_ntp.item() == 0 and terms.kl.item() == 0 and terms.ntp.item() > 0
    only_pairs = make_batch([], tok, pairs=toy_pairs(2))
    assert loss_terms(model, only_pairs).final_tokens == 0


def test_student_pass_placeholder_keeps_the_call_count(tiny_model):
    model, tok = tiny_model
    only_pairs = make_batch([], tok, pairs=toy_pairs(2))
    assert len(layout(only_pairs, "dropped", "rows", student_pass=True).passes) == 2
    assert len(layout(only_pairs, "dropped", "rows").passes) == 1
    calls = []
    handle = model.register_forward_hook(lambda *a: calls.append(1))
    try:
        loss_sums(model, only_pairs, student_pass=True)
    finally:
        handle.remove()
    assert len(calls) == 2


def test_bad_inputs_are_refused(tiny_model):
    model, tok = tiny_model
    batch = make_batch(toy_records(1), tok, rate=0.5)
    with pytest.raises(ValueError, match="student form"):
        loss_terms(model, batch, student_form="masked")
    with pytest.raises(ValueError, match="varlen"):
        layout(batch, "attention", "varlen")
    with pytest.raises(ValueError, match="tokenizer"):
        make_batch(toy_records(1))
    with pytest.raises(ValueError, match="unknown mask strategy"):
        make_batch(toy_records(1), tok, strategy="half")


def test_padded_rows_take_the_plain_causal_path(tiny_model):
    """One right-padded sequence per row needs no materialised mask (sdpa's fast is_causal
    kernel); packing or hidden-but-present tokens do."""
    model, tok = tiny_model
    batch = make_batch(toy_records(3), tok, strategy="block", rate=0.5)
    dropped = layout(batch, "dropped", "padded")
    for p in dropped.passes:
        assert p.causal_rows
        assert model_inputs(p, "sdpa", torch.float32, "cpu")["attention_mask"].dim() == 2
    attention = layout(batch, "attention", "padded")
    assert not attention.passes[1].causal_rows
    assert model_inputs(attention.passes[1], "sdpa", torch.float32,
                        "cpu")["attention_mask"].dim() == 4
    packed = layout(make_batch(toy_records(2), tok, pairs=toy_pairs(3)), "dropped", "rows")
    assert not packed.passes[0].causal_rows  # the short pairs share a row
