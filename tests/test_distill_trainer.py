"""The distillation trainer on the tiny model: schedule, logging, mixing, resume, checkpoints,
the CLI and the notebook."""

from __future__ import annotations

import json

import nbformat
import pytest
import torch
from transformers import TrainerCallback

from rcwork.distill.data import (DistillDataset, LengthGroupedSampler, build_training_data,
                                 split_heldout)
from rcwork.distill.toy import toy_pairs, toy_records
from rcwork.distill.trainer import (DistillConfig, DistillTrainer, save_for_evaluation,
                                    training_curves)
from rcwork.models import load_model
from rcwork.records import write_jsonl


def make_trainer(tmp_path, *, records=8, pairs=2, k=1, heldout=(), model_seed=0, **overrides):
    model, tok = load_model("tiny", seed=model_seed)
    data = build_training_data([("toy", toy_records(records))], toy_pairs(pairs), tok, k=k,
                               max_len=4096, ablation=overrides.get("ablation", "none"))
    kw = dict(output_dir=str(tmp_path / "trainer"), use_cpu=True, per_device_train_batch_size=2,
              max_steps=3, learning_rate=2e-3, warmup_steps=0, seed=0, report_to="none",
              save_strategy="no", disable_tqdm=True, strategy="random_block")
    kw.update(overrides)
    args = DistillConfig(**kw)
    return DistillTrainer(model=model, args=args, train_dataset=data.train,
                          eval_dataset=list(heldout) or None, processing_class=tok)


def losses(trainer, key="loss"):
    return [e[key] for e in trainer.state.log_history if "loss" in e]


def test_logs_each_term_and_the_rate_schedule(tmp_path):
    held = toy_records(10)[8:]
    trainer = make_trainer(tmp_path, heldout=held, eval_strategy="steps", eval_steps=3)
    trainer.train()
    logs = [e for e in trainer.state.log_history if "loss" in e]
    assert [e["mask_rate"] for e in logs] == pytest.approx([1 / 3, 2 / 3, 1.0], abs=1e-6)
    for e in logs:
        assert e["loss"] == pytest.approx(e["ntp"] + e["student_ntp"] + e["kl"], rel=1e-4)
        assert e["kl"] >= 0
    curves = training_curves(trainer.state.log_history)
    assert curves["step"] == [1, 2, 3]
    assert curves["heldout"]["step"] == [3]
    assert curves["heldout"]["nll_final_given_instruction"][0] > 0


def test_gradient_accumulation_matches_one_big_batch(tmp_path):
    big = make_trainer(tmp_path / "a", per_device_train_batch_size=4, max_steps=2)
    big.train()
    accum = make_trainer(tmp_path / "b", per_device_train_batch_size=2,
                         gradient_accumulation_steps=2, max_steps=2)
    accum.train()
    for key in ("loss", "ntp", "student_ntp", "kl"):
        assert losses(accum, key) == pytest.approx(losses(big, key), rel=1e-4, abs=1e-6), key


def test_loss_weights_and_ablations(tmp_path):
    weighted = make_trainer(tmp_path / "w", ntp_weight=0.5, student_weight=2.0, kl_weight=0.0,
                            max_steps=1)
    weighted.train()
    e = weighted.state.log_history[0]
    assert e["loss"] == pytest.approx(0.5 * e["ntp"] + 2.0 * e["student_ntp"], rel=1e-4)

    all_mask = make_trainer(tmp_path / "m", ablation="all_mask", max_steps=2)
    assert all_mask.args.strategy == "all"
    all_mask.train()
    assert losses(all_mask, "mask_rate") == [1.0, 1.0]

    no_distill = make_trainer(tmp_path / "n", ablation="no_distill", max_steps=2)
    no_distill.train()
    assert losses(no_distill, "student_ntp") == [0.0, 0.0] == losses(no_distill, "kl")
    assert losses(no_distill) == pytest.approx(losses(no_distill, "ntp"), rel=1e-5)
    # no student, so no mask: a mask-rate curve would plot a schedule nothing followed
    assert all("mask_rate" not in e for e in no_distill.state.log_history)

    only_pairs = make_trainer(tmp_path / "p", ablation="no_reflection", pairs=4, max_steps=2)
    assert len(only_pairs.train_dataset) == 4 and only_pairs.train_dataset.num_reflection == 0
    only_pairs.train()
    with pytest.raises(ValueError, match="instruction pairs"):
        make_trainer(tmp_path / "q", ablation="no_reflection", pairs=0)
    with pytest.raises(ValueError, match="strategy"):
        DistillConfig(output_dir=str(tmp_path), strategy="sideways")


def test_upsampling_and_length_grouped_order():
    _, tok = load_model("tiny")
    data = build_training_data([("toy", toy_records(5))], toy_pairs(3), tok, k=3,
                               max_len=4096).train
    assert len(data) == 5 * 3 + 3 and data.num_reflection == 15
    ids = [data[i]["sample_id"] for i in range(len(data))]
    assert ids == list(range(len(data)))  # every copy its own id, so its own random masks
    assert [data[i]["distill"] for i in range(len(data))] == [True] * 15 + [False] * 3
    sampler = LengthGroupedSampler(data.lengths, 6, seed=1)
    order = list(sampler)
    assert sorted(order) == list(range(len(data))) and order == list(sampler)
    sampler.set_epoch(1)
    assert list(sampler) != order
    with pytest.raises(ValueError):
        DistillDataset([], [], k=1)


def test_split_heldout_is_seeded_and_disjoint():
    recs = toy_records(10)
    train, held = split_heldout(recs, 0.2, seed=3)
    assert len(held) == 2 and len(train) == 8
    assert {r.instruction for r in train}.isdisjoint(r.instruction for r in held)
    assert split_heldout(recs, 0.2, seed=3)[1] == held
    assert len(split_heldout(recs, 3)[1]) == 3


class StopAt(TrainerCallback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_training_stop = True
        return control


def test_checkpoint_and_resume_match_a_straight_run(tmp_path):
    straight = make_trainer(tmp_path / "s", max_steps=6, records=10)
    straight.train()
    first = make_trainer(tmp_path / "r", max_steps=6, records=10, save_strategy="steps",
                         save_steps=2)
    first.add_callback(StopAt(4))
    first.train()
    assert (tmp_path / "r" / "trainer" / "checkpoint-4").is_dir()
    resumed = make_trainer(tmp_path / "r", max_steps=6, records=10, model_seed=5)  # other init
    resumed.train(resume_from_checkpoint=str(tmp_path / "r" / "trainer" / "checkpoint-4"))
    assert resumed.state.global_step == 6
    tail = [e for e in resumed.state.log_history if "loss" in e and e["step"] > 4]
    assert [e["step"] for e in tail] == [5, 6]
    assert [e["loss"] for e in tail] == pytest.approx(losses(straight)[4:], rel=1e-5)
    assert [e["mask_rate"] for e in tail] == pytest.approx([5 / 6, 1.0])


def test_checkpoint_for_evaluation_loads_with_load_model(tmp_path):
    trainer = make_trainer(tmp_path, max_steps=1)
    trainer.train()
    path = save_for_evaluation(trainer, tmp_path / "model")
    model, tok = load_model(str(path))
    assert len(tok) == len(trainer.processing_class)
    ids = torch.tensor([tok("<|user|><|text|>hi<|endofblock|>")["input_ids"]])
    with torch.no_grad():
        torch.testing.assert_close(model(input_ids=ids).logits,
                                   trainer.model.eval()(input_ids=ids).logits)


def test_cli_trains_and_writes_outputs(tmp_path):
    from rcwork.cli import main

    write_jsonl(toy_records(6), tmp_path / "records.jsonl")
    out = tmp_path / "run"
    rc = main(["distill", "--model", "tiny", "--data", str(tmp_path / "records.jsonl"),
               "--output-dir", str(out), "--max-steps", "2", "--heldout", "2",
               "--learning-rate", "1e-3", "--report-to", "none", "--threads", "1"])
    assert rc == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 2 and metrics["heldout_records"] == 2
    assert metrics["sources"] == [{"path": str(tmp_path / "records.jsonl"), "read": 6,
                                   "too_long": 0, "train": 4, "heldout": 2, "skipped": 0,
                                   "duplicates": 0, "skip_reasons": {}}]
    assert set(metrics["heldout"]["before"]) >= {"nll_final_given_instruction", "ntp", "kl"}
    assert (out / "model" / "tokenizer.json").exists()


def test_resume_last_never_trains_past_max_steps(tmp_path):
    """A run killed after its last checkpoint (before metrics.json) resumes from the checkpoint
    before it: resumed from the last one, Trainer would train one step too many."""
    from rcwork.checkpoints import resume_checkpoint
    from rcwork.cli import main

    write_jsonl(toy_records(6), tmp_path / "records.jsonl")
    out = tmp_path / "run"
    args = ["distill", "--model", "tiny", "--data", str(tmp_path / "records.jsonl"),
            "--output-dir", str(out), "--max-steps", "3", "--heldout", "0",
            "--save-strategy", "steps", "--save-steps", "1", "--learning-rate", "1e-3",
            "--report-to", "none", "--threads", "1",
            "--measure-before", "false", "--measure-after", "false", "--resume", "last"]
    assert main(args) == 0
    assert sorted(p.name for p in out.glob("checkpoint-*")) == [
        "checkpoint-1", "checkpoint-2", "checkpoint-3"]
    assert resume_checkpoint(out) == str(out / "checkpoint-2")  # each records max_steps 3
    assert resume_checkpoint(out, max_steps=5) == str(out / "checkpoint-3")  # a longer run
    (out / "checkpoint-2" / "trainer_state.json").unlink()  # a save the kill cut short
    assert resume_checkpoint(out, max_steps=3) == str(out / "checkpoint-1")
    assert main(args) == 0
    assert json.loads((out / "metrics.json").read_text())["steps"] == 3


@pytest.mark.slow
def test_notebook_runs_with_ci_parameters(tmp_path):
    from rcwork.runs import run_notebook

    data = tmp_path / "records.jsonl"
    write_jsonl(toy_records(10), data)
    out = tmp_path / "run"
    nb_path = run_notebook("04_distill", out, {"profile": "ci", "config": {
        "model": "tiny", "data": [str(data)], "heldout": 2, "max_steps": 4,
        "learning_rate": 2e-3, "max_len": 4096, "eval_strategy": "steps", "eval_steps": 2,
        "threads": 1, "report_to": "none", "output_dir": str(out)}})
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == 4
    assert metrics["curves"]["heldout"]["step"] == [2, 4]
    before, after = metrics["heldout"]["before"], metrics["heldout"]["after"]
    assert after["nll_final_given_instruction"] < before["nll_final_given_instruction"]
    model, tok = load_model(str(out / "model"))
    assert model.config.vocab_size >= len(tok)
    nb = nbformat.read(nb_path, as_version=4)
    assert any("training losses" in json.dumps(o) for c in nb.cells for o in c.get("outputs", []))
    # The checkpoint names the prompt it was trained for; evaluation's "auto" follows it.
    from rcwork.checkpoints import checkpoint_info

    assert checkpoint_info(out / "model")["prompt_style"] == "paper"


def test_bf16_and_activation_checkpointing_paths_run(tmp_path):
    """The GPU recipe's switches (bf16 autocast, activation checkpointing) on the CPU path."""
    fp32 = make_trainer(tmp_path / "a", max_steps=1)
    fp32.train()
    mixed = make_trainer(tmp_path / "b", max_steps=1, bf16=True, activation_checkpointing=True)
    mixed.train()
    assert mixed.model.is_activation_checkpointing
    assert losses(mixed) == pytest.approx(losses(fp32), rel=5e-2)


def test_choose_attention_keeps_sdpa_without_flash_attn():
    from rcwork.distill.trainer import choose_attention

    model, _ = load_model("tiny")
    assert choose_attention(model) == "sdpa"  # no GPU / flash-attn here
    assert choose_attention(model, "eager") == "eager"
    assert model.config._attn_implementation == "eager"
