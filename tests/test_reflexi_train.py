"""ReflexiCoder training on the tiny model: warm-up, GRPO with sandboxed rewards, resume, CLI,
evaluation figures, the viewer and the report section."""

import json

import pytest

from rcwork.evaluation.data import BenchmarkProblem
from rcwork.reflexi.evaluate import score_trajectories, summarize_trajectories
from rcwork.reflexi.execution import AnswerScorer
from rcwork.reflexi.trajectory import parse_trajectory


def _fence(body):
    return f"```python\n{body}\n```"


ADD = BenchmarkProblem(task_id="t/add", prompt="", instruction="Write add(a, b).",
                       entry_point="add", test="assert add(1, 2) == 3\nassert add(2, 2) == 4")
WRONG, RIGHT = "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b"


def test_seed_records_convert_to_well_formed_trajectories():
    from rcwork.records import read_records
    from rcwork.reflexi.warmup import record_to_trajectory

    records = read_records("data/reflections/seed.jsonl")
    for rec in records:
        traj = parse_trajectory(record_to_trajectory(rec))
        assert traj.well_formed, traj.reason
        assert traj.answers[-1].strip() and "assert " not in traj.answers[0]
    # a multi-round record: one BUG_DETECTED reflection per retry, no execution output
    multi = next(r for r in records if r.metadata.rounds >= 3)
    traj = parse_trajectory(record_to_trajectory(multi))
    assert traj.statuses == ["BUG_DETECTED"] * (len(traj.answers) - 1)
    assert "Traceback" not in traj.text


def test_warmup_rows_skip_long_and_heldout_records(tiny):
    from rcwork.records import read_records
    from rcwork.reflexi.warmup import warmup_rows

    _, tokenizer = tiny
    records = read_records("data/reflections/seed.jsonl")[:10]
    rows, counts = warmup_rows(records, "sys", tokenizer, max_tokens=100_000,
                               exclude_entry_points={"run_length_encode"})
    assert counts == {"kept": 9, "too_long": 0, "held_out": 1, "unconvertible": 0}
    assert rows[0]["prompt"][0] == {"role": "system", "content": "sys"}
    rows, counts = warmup_rows(records, "sys", tokenizer, max_tokens=10)
    assert rows == [] and counts["too_long"] == 10


def test_split_is_seeded_and_disjoint():
    from rcwork.reflexi.data import load_training_problems, split_problems

    problems = load_training_problems("problems", "data/problems", limit=20)
    train, held = split_problems(problems, 0.25, seed=3)
    assert len(held) == 5 and len(train) == 15
    assert not {p.task_id for p in train} & {p.task_id for p in held}
    assert split_problems(problems, 0.25, seed=3)[1] == held
    assert len(split_problems(problems, 4)[1]) == 4
    with pytest.raises(ValueError, match="none to train"):
        split_problems(problems, 20)


@pytest.mark.slow
def test_evaluation_figures_on_hand_made_completions():
    good = (f"<think>t</think><answer>{_fence(WRONG)}</answer><reflection>STATUS: BUG_DETECTED"
            f"</reflection><answer>{_fence(RIGHT)}</answer>")
    completions = [
        {"task_id": "t/add", "text": good, "n_tokens": 40},
        {"task_id": "t/add", "text": "Sure! " + _fence(RIGHT), "n_tokens": 20},  # malformed
        {"task_id": "t/add", "text": "no code at all", "n_tokens": 60, "truncated": True},
    ]
    results = score_trajectories([ADD], completions, AnswerScorer(timeout_s=5))
    assert [r.answer_scores for r in results] == [[0, 1], [], []]
    assert [(r.passed, r.passed_strict) for r in results] == [(True, True), (True, False),
                                                              (False, False)]
    s = summarize_trajectories(results)
    assert s["pass@1"] == pytest.approx(2 / 3) and s["pass@1_strict"] == pytest.approx(1 / 3)
    assert s["format_rate"] == pytest.approx(1 / 3) and s["protocol_rate"] == pytest.approx(1 / 3)
    assert s["reflection_counts"] == {"0": 2, "1": 1}
    assert s["tokens_per_completion"] == pytest.approx(40.0)
    assert s["tokens_per_solved"] == pytest.approx(120 / 2)
    assert s["truncated_rate"] == pytest.approx(1 / 3)


def test_trajectory_viewer_colours_and_filters():
    from rcwork.reflexi.evaluate import TrajectoryResult
    from rcwork.display.reflexi import TrajectoryViewer, segments, trajectory_html

    good = (f"<think>a < b</think><answer>{_fence(WRONG)}</answer><reflection>STATUS: "
            f"BUG_DETECTED</reflection><answer>{_fence(RIGHT)}</answer>")
    page = trajectory_html(good, [0, 1])
    for kind in ("think", "answer", "reflection"):
        assert f'class="rx-el rx-{kind}"' in page
    assert "a &lt; b" in page and "✗" in page and "✓" in page and "well formed" in page
    assert [k for k, _, _ in segments(good + " tail")][-1] == "other"
    bad = trajectory_html("<think>never closed")
    assert "malformed" in bad and "(unclosed)" in bad
    results = [TrajectoryResult("t/1", good, 10, False, True, True, 1, [0, 1], True, True),
               TrajectoryResult("t/2", "junk", 5, False, False, False, 0, [], False, False)]
    v = TrajectoryViewer(results)
    assert "1 of 2" in v.count.value and "rx-think" in v.view.value
    v.filter.value = "malformed"
    assert v._indices == [1] and "t/2" in v.count.value
    v.filter.value = "passed"
    v.filter.value = "failed"
    assert v._indices == [1]


def test_cli_builds_the_config_from_its_fields():
    from rcwork.reflexi.cli import parse

    authors = parse(["--output_dir", "x"])
    assert (authors.num_generations, authors.beta, authors.learning_rate) == (8, 0.01, 5e-6)
    assert authors.lr_scheduler_type == "cosine_with_min_lr"
    assert authors.lr_scheduler_kwargs == {"min_lr_rate": 0.1}
    assert authors.mask_truncated_completions and authors.temperature == 1.0
    assert authors.reward_weights == [1.0, 0.5, 1.0] and authors.format_warmup_steps == 0
    cpu = parse(["--config", "cpu", "--num_generations", "2", "--per_device_train_batch_size",
                 "2", "--output_dir", "x"])
    assert cpu.num_generations == 2 and cpu.format_warmup_steps > 0  # flags win over the file
    assert cpu.use_cpu and not cpu.bf16 and not cpu.activation_checkpointing
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        parse(["--config", "huge"])


@pytest.mark.slow
def test_grpo_on_the_tiny_model_resumes_and_reports(tmp_path):
    import plotly.graph_objects as go

    from rcwork.display.reflexi import reinforce_section as section
    from rcwork.reflexi.train import reinforce
    from rcwork.stages import stage_config

    settings = dict(model="tiny", output_dir=str(tmp_path / "run"), num_problems=6, heldout=2,
                    max_completion_length=24, heldout_max_new_tokens=24, num_generations=2,
                    per_device_train_batch_size=2, format_warmup_steps=2,
                    warmup_max_tokens=1500, save_steps=2, score_timeout_s=5.0)
    m = reinforce(stage_config("reinforce", "cpu", dict(max_steps=2, **settings)))
    out = tmp_path / "run"
    assert m.steps == 2 and m.resumed_from is None
    assert m.warmup["records"]["kept"] > 0 and len(m.warmup["loss"]) == 2
    for name in ("format_reward", "quality_reward", "efficiency_reward", "reward"):
        assert len(m.curves[name]) == 2 and all(v is not None for v in m.curves[name])
    assert set(m.heldout) == {"base", "warmed_up", "trained"}
    assert m.heldout["trained"]["n"] == 2 and m.step_time_s > 0
    assert (out / "model" / "config.json").exists()
    assert json.loads((out / "metrics.json").read_text())["steps"] == 2
    assert (out / "heldout_trained.jsonl").read_text().count("\n") == 2

    m2 = reinforce(stage_config("reinforce", "cpu", dict(max_steps=4, **settings)))
    assert m2.resumed_from.endswith("checkpoint-2") and m2.steps == 4
    assert m2.heldout["base"] == m.heldout["base"]  # read back, not re-measured
    assert m2.curves["step"][-1] == 4

    import shutil  # killed before any checkpoint: GRPO restarts from start/, no new warm-up
    for ckpt in out.glob("checkpoint-*"):
        shutil.rmtree(ckpt)
    m3 = reinforce(stage_config("reinforce", "cpu", dict(max_steps=1, **settings)))
    assert m3.resumed_from is None and m3.steps == 1
    assert m3.warmup == m.warmup and m3.heldout["base"] == m.heldout["base"]

    parts = section(out)
    assert sum(isinstance(p, go.Figure) for p in parts) == 2
    assert "warm-up" in "".join(p for p in parts if isinstance(p, str))
    assert "stage not run" in section(tmp_path / "nothing")[1]
