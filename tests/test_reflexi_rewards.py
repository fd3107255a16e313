"""ReflexiCoder's trajectory grammar, protocol checks and rewards, against hand-computed values.

Each expected value is written out from the formula (docs/reflexicoder.md) with its numbers, not
computed by calling the implementation.
"""

import math

import pytest

from rcwork.reflexi.rewards import (TrajectoryRewards, combined_reward, completion_text,
                                    cycle_regulation, efficiency, format_score,
                                    iterative_quality)
from rcwork.reflexi.trajectory import parse_trajectory, protocol_violations

TANH_10 = 0.9999999958776927            # tanh(1 / 0.1): an improvement or decline of 1 over s
W2 = 0.4501660026875221                  # e^0.2 / (e^0.2 + e^0.4)
W3 = 0.5498339973124779                  # e^0.4 / (e^0.2 + e^0.4)


def code(body: str) -> str:
    return f"```python\n{body}\n```"


def trajectory(*answers: str, statuses=None, think="plan") -> str:
    statuses = statuses or ["BUG_DETECTED"] * (len(answers) - 1)
    parts = [f"<think>{think}</think>", f"<answer>{code(answers[0])}</answer>"]
    for status, body in zip(statuses, answers[1:]):
        parts += [f"<reflection>STATUS: {status}\nlooked again</reflection>",
                  f"<answer>{code(body)}</answer>"]
    return "\n".join(parts)


# ---------------------------------------------------------------------------- P(n)

@pytest.mark.parametrize("n, expected", [
    (0, 0.0),
    (1, 1.0),
    (5, 1.0),
    # 1/(1 + 0.1·3²) · e^(−0.05·3) · (1 − 0.1·sin(3π/2)) = (1/1.9) · 0.860708 · 1.1
    (6, 0.4983046179302966),
    # 1/(1 + 0.1·4²) · e^(−0.05·4) · (1 − 0.1·sin(2π)) = (1/2.6) · 0.818731 · 1.0
    (7, 0.31489644349153145),
    # 1/(1 + 0.1·5²) · e^(−0.05·5) · (1 − 0.1·sin(5π/2)) = (1/3.5) · 0.778801 · 0.9
    (8, 0.20026305850407553),
])
def test_cycle_regulation(n, expected):
    assert cycle_regulation(True, n) == pytest.approx(expected, abs=1e-12)
    assert cycle_regulation(False, n) == 0.0


# ---------------------------------------------------------------------------- R and E

@pytest.mark.parametrize("scores, expected", [
    ([0, 1], 1 + 0.5 * TANH_10),                    # improvement: m = tanh(1/0.1)
    ([1, 1], 1 + 0.5 * 0.05),                       # stagnation at r_max: +h_pos
    ([0, 0], 0 + 0.5 * -1.0),                       # stagnation below r_max: −h_neg
    ([1, 0], 0 + 0.5 * -TANH_10),                   # decline: −tanh(1/0.1)
    ([0, 0, 1], 1 + 0.5 * (W2 * -1.0 + W3 * TANH_10)),
    ([0, 1, 1], 1 + 0.5 * (W2 * TANH_10 + W3 * 0.05)),
])
def test_iterative_quality(scores, expected):
    n = len(scores) - 1
    assert iterative_quality(True, n, scores) == pytest.approx(expected, abs=1e-12)
    assert iterative_quality(False, n, scores) == 0.0


def test_hand_computed_constants_are_the_formula():
    assert TANH_10 == pytest.approx(math.tanh(10), abs=1e-15)
    assert W2 + W3 == pytest.approx(1.0)
    assert W3 / W2 == pytest.approx(math.exp(0.2))


@pytest.mark.parametrize("scores, expected", [
    ([0, 1], 1 / 1 + 1 / (1 + 1e-6)),               # r_T/n + (r_T − r_1)/(max(1, n−1) + ε')
    ([1, 1], 1 / 1 + 0 / (1 + 1e-6)),
    ([0, 0], 0.0),
    ([1, 0], 0 / 1 + -1 / (1 + 1e-6)),
    ([0, 0, 1], 1 / 2 + 1 / (1 + 1e-6)),
    ([0, 1, 1], 1 / 2 + 1 / (1 + 1e-6)),
])
def test_efficiency(scores, expected):
    n = len(scores) - 1
    assert efficiency(True, n, scores) == pytest.approx(expected, abs=1e-12)
    assert efficiency(False, n, scores) == 0.0


def test_efficiency_and_quality_need_a_reflection():
    assert efficiency(True, 0, [1]) == 0.0
    assert iterative_quality(True, 0, [1]) == 0.0
    with pytest.raises(ValueError, match="3 answer scores"):
        iterative_quality(True, 2, [0, 1])


def test_combined_reward_is_the_authors_weighting():
    # F + 0.5·P·R + 1.0·P·E with n = 1 (P = 1), scores [0, 1]
    assert combined_reward(True, 1, [0, 1]) == pytest.approx(
        1 + 0.5 * (1 + 0.5 * TANH_10) + (1 + 1 / (1 + 1e-6)), abs=1e-12)
    # n = 6: P = 0.4983046…, scores [0,0,0,0,0,0,1]: the last step improves, the others stagnate
    weights = [math.exp(0.2 * (t - 1)) for t in range(2, 8)]
    m = [-1.0] * 5 + [TANH_10]
    r = 1 + 0.5 * sum(w * x for w, x in zip(weights, m)) / sum(weights)
    e = 1 / 6 + 1 / (5 + 1e-6)
    assert combined_reward(True, 6, [0] * 6 + [1]) == pytest.approx(
        1 + 0.4983046179302966 * (0.5 * r + e), abs=1e-12)
    assert combined_reward(False, 1, [0, 1]) == 0.0


# ---------------------------------------------------------------------------- the grammar

GOOD = trajectory("x = 1", "x = 2")


@pytest.mark.parametrize("grammar, codes", [
    ("authors", ["def f():\n    return 1", "def f():\n    return 2"]),   # stripped
    ("strict", ["def f():\n    return 1\n", "def f():\n    return 2\n"]),  # as written
])
def test_well_formed_trajectory(grammar, codes):
    text = "\n  " + trajectory("def f():\n    return 1", "def f():\n    return 2") + "\n\n"
    t = parse_trajectory(text, grammar)
    assert t.well_formed, t.reason
    assert t.n_reflections == 1
    assert t.answers == codes
    assert t.statuses == ["BUG_DETECTED"]
    assert format_score(t.well_formed) == 1.0


def test_answer_code_is_its_last_fenced_block():
    text = ("<think>t</think><answer>draft " + code("x = 1") + " final " + code("x = 2")
            + "</answer><reflection>STATUS: OPTIMIZATION_ONLY</reflection><answer>"
            + code("x = 3") + "</answer>")
    t = parse_trajectory(text)
    assert t.well_formed and t.answers == ["x = 2", "x = 3"]
    t = parse_trajectory(text, "strict")
    assert t.well_formed and t.answers == ["x = 2\n", "x = 3\n"]


def test_tags_close_lazily():
    # The think closes at its first </think>; the rest is then junk before <answer>, which
    # the strict grammar rejects and the authors' search skips.
    text = GOOD.replace("</think>", "</think> b </think>", 1)
    assert not parse_trajectory(text, "strict").well_formed
    t = parse_trajectory(text)
    assert t.well_formed and t.think == "plan" and t.skipped == ["b </think>"]


MALFORMED = {
    "unclosed think": GOOD.replace("</think>", ""),
    "no think": GOOD.split("</think>", 1)[1],
    "unfenced code": GOOD.replace("```python\nx = 2\n```", "x = 2"),
    "fence without python": GOOD.replace("```python\nx = 1", "```\nx = 1"),
    "reflection without answer": GOOD + "\n<reflection>STATUS: BUG_DETECTED</reflection>",
    "trailing text": GOOD + "\nHope this helps!",
    "no reflection": "<think>t</think><answer>" + code("x = 1") + "</answer>",
    "unclosed answer": GOOD[:-len("</answer>")],
    "empty": "",
}


@pytest.mark.parametrize("grammar", ["authors", "strict"])
@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_trajectories_score_zero(kind, grammar):
    t = parse_trajectory(MALFORMED[kind], grammar)
    assert not t.well_formed and t.reason
    assert t.n_reflections == 0
    assert combined_reward(t.well_formed, t.n_reflections, [0, 1]) == 0.0
    assert protocol_violations(t) == [f"malformed: {t.reason}"]


def test_protocol_is_checked_apart_from_the_grammar():
    assert protocol_violations(parse_trajectory(GOOD)) == []
    no_status = GOOD.replace("STATUS: BUG_DETECTED\n", "")
    t = parse_trajectory(no_status)
    assert t.well_formed and t.statuses == [""]
    assert "does not open with STATUS" in protocol_violations(t)[0]
    goes_on = trajectory("a=1", "a=2", "a=3", statuses=["OPTIMIZATION_ONLY", "BUG_DETECTED"])
    assert "goes on" in protocol_violations(parse_trajectory(goes_on))[0]
    six = trajectory(*[f"a={i}" for i in range(6)])
    t = parse_trajectory(six)
    assert t.well_formed and t.n_reflections == 5
    assert protocol_violations(t) == ["6 answers (at most 5)"]


# ---------------------------------------------------------------------------- TRL functions

def test_completion_text_shapes():
    assert completion_text("x") == "x"
    assert completion_text([{"role": "assistant", "content": "y"}]) == "y"
    with pytest.raises(TypeError):
        completion_text(3)


@pytest.mark.slow
def test_trl_reward_functions_execute_answers_in_the_sandbox():
    from rcwork.reflexi.execution import AnswerScorer

    wrong, right = "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b"
    hostile = "def add(a, b):\n    while True:\n        pass"
    completions = [
        [{"role": "assistant", "content": trajectory(wrong, right)}],   # [0, 1]
        [{"role": "assistant", "content": trajectory(right, right)}],   # [1, 1]
        [{"role": "assistant", "content": trajectory(right, hostile)}],  # [1, 0]: a hang
        [{"role": "assistant", "content": trajectory(wrong, right) + " junk"}],  # malformed
    ]
    columns = dict(task_id=["t/add"] * 4, entry_point=["add"] * 4,
                   test=["assert add(1, 2) == 3\nassert add(-1, 1) == 0"] * 4,
                   check_call=[False] * 4, prompts=[None] * 4)
    scorer = AnswerScorer(timeout_s=3.0, workers=2)
    rewards = TrajectoryRewards(scorer)
    assert rewards.format_reward(completions, **columns) == [1.0, 1.0, 1.0, 0.0]
    quality = rewards.quality_reward(completions, **columns)
    assert quality == pytest.approx([1 + 0.5 * TANH_10, 1.025, -0.5 * TANH_10, 0.0], abs=1e-9)
    assert scorer.executed == 3  # wrong, right, hostile: each distinct answer ran once
    eff = rewards.efficiency_reward(completions, **columns)
    assert eff == pytest.approx([1 + 1 / (1 + 1e-6), 1.0, -1 / (1 + 1e-6), 0.0], abs=1e-9)
    assert scorer.executed == 3  # the second function hit the cache


def test_reward_functions_need_the_test_columns():
    rewards = TrajectoryRewards(__import__("rcwork.reflexi.execution",
                                           fromlist=["AnswerScorer"]).AnswerScorer())
    with pytest.raises(KeyError, match="columns"):
        rewards.quality_reward([GOOD], task_id=["x"])
