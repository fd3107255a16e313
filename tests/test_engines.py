"""The engine layer: one continuous-batching decoder shared by evaluation and the synthesis teacher,
per-row stop ids, the batch token budget, API keys that never leave the environment, one factory
that builds every engine, and decoding defaults written in one place."""

from __future__ import annotations

import ast
import dataclasses
import json
import pickle
import subprocess
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import torch

from rcwork.engines import (ENGINES, Engine, GenerationSettings, Query, make_engine,
                            truncate_at_stop)
from rcwork.engines.openai_api import OpenAIEngine
from rcwork.engines.transformers import TransformersEngine
from rcwork.teachers import EngineTeacher

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def chaotic():
    """The tiny model with larger random weights: greedy output varies from prompt to prompt,
    so rows stop at different steps."""
    from rcwork.models import tiny_model, tiny_tokenizer

    tok = tiny_tokenizer()
    model = tiny_model(len(tok), seed=0, initializer_range=0.2)
    model.generation_config.eos_token_id = tok.eos_token_id
    return model, tok


def _batch_sizes(model):
    """Rows in every forward call of ``model`` (a list that fills as it runs) and the hook."""
    sizes: list[int] = []
    hook = model.register_forward_pre_hook(
        lambda m, args, kwargs: sizes.append(kwargs["input_ids"].shape[0]), with_kwargs=True)
    return sizes, hook


CONVS = [[{"role": "user", "content": text}] for text in
         ("Write add(a, b).", "Reverse a string in Python, please.", "hi", "Sort a list.")]


def test_the_teacher_decodes_with_the_shared_continuous_batching_loop(chaotic):
    model, tok = chaotic
    engine = make_engine("transformers", model, tokenizer=tok, batch_size=4)
    teacher = EngineTeacher(engine, batch_wait_s=0.0)  # merges the engine's batch size
    free = teacher.chat(CONVS, max_new_tokens=20)
    # A stop string every reply contains, at different places: rows finish at different steps.
    stop = next(ch for ch in sorted(set(free[0])) if ch.strip()
                and all(ch in r for r in free) and len({r.index(ch) for r in free}) > 1)
    sizes, hook = _batch_sizes(model)
    try:
        replies = teacher.chat(CONVS, max_new_tokens=20, stop=[stop])
    finally:
        hook.remove()
    assert replies == [r[:r.index(stop)] for r in free]
    # One prefill of all four rows, then the batch shrinks as rows stop: continuous batching
    # (model.generate would run every step with all four rows).
    assert sizes[0] == 4 and min(sizes) < 4 and sizes == sorted(sizes, reverse=True)
    assert teacher.batch_stats.batch_sizes[-1] == 4
    # Each reply is what the conversation gets alone, and what model.generate gives.
    assert [teacher.chat([c], max_new_tokens=20, stop=[stop])[0] for c in CONVS] == replies
    engine.use_generate = True
    assert teacher.chat(CONVS, max_new_tokens=20, stop=[stop]) == replies


def test_complete_stops_each_row_at_its_own_stop_ids(chaotic):
    model, tok = chaotic
    engine = make_engine("transformers", model, tokenizer=tok, batch_size=2)
    texts = ["def add(a, b):", "# reverse a string\n"]
    settings = GenerationSettings(max_new_tokens=10)
    free = engine.complete(texts, settings)
    assert [c.finish_reason for c in free] == ["length", "length"]
    first = engine.complete(texts[:1], GenerationSettings(max_new_tokens=1))[0].text
    first_id = tok(first, add_special_tokens=False)["input_ids"][-1]
    got = engine.run([Query(text=texts[0], stop_ids=frozenset({first_id})),
                      Query(text=texts[1])], settings)
    assert (got[0].text, got[0].n_tokens, got[0].finish_reason) == ("", 1, "stop")
    assert got[1] == free[1]  # the other row's stops are its own
    # A stop string ends the text before it (the OpenAI convention) on every engine; the
    # settings' stops and a query's own both count.
    cut, other = free[1].text[3:5], free[0].text[4:6]
    assert engine.complete(texts[1:], replace(settings, stop=[cut]))[0].text == \
        free[1].text[:free[1].text.index(cut)]
    both = engine.run([Query(text=t, stop=(other,)) for t in texts], replace(settings, stop=[cut]))
    assert [c.text for c in both] == [truncate_at_stop(c.text, [cut, other]) for c in free]


def test_the_token_budget_bounds_every_forward_call(chaotic):
    model, tok = chaotic
    texts = ["x" * 40, "y" * 30, "z" * 20, "w" * 10]
    settings = GenerationSettings(max_new_tokens=8)
    unbounded = make_engine("transformers", model, tokenizer=tok, batch_size=4).complete(
        texts, settings)
    longest = len(tok(texts[0], add_special_tokens=False)["input_ids"])
    bounded = make_engine("transformers", model, tokenizer=tok, batch_size=4,
                          max_batch_tokens=2 * (longest + 8))
    sizes, hook = _batch_sizes(model)
    try:
        assert bounded.complete(texts, settings) == unbounded
    finally:
        hook.remove()
    assert max(sizes) == 2


def test_decoding_runs_in_eval_mode_and_hands_the_model_back_as_it_came(chaotic):
    model, tok = chaotic
    modes: list[bool] = []
    hook = model.register_forward_pre_hook(lambda m, args: modes.append(m.training))
    model.train()  # lent mid-training, as a ReflexiCoder evaluation between steps does
    try:
        engine = make_engine("transformers", model, tokenizer=tok, batch_size=2)
        engine.complete(["def add(a, b):"], GenerationSettings(max_new_tokens=3))
        assert modes and not any(modes) and model.training
    finally:
        hook.remove()
        model.eval()


class _Stub(BaseHTTPRequestHandler):
    """An OpenAI-compatible server: records (path, Authorization, body); replies ``REPLY``."""

    seen: list = []
    REPLY = ("Add them.\n```python\ndef add(a, b):\n    return a + b\n\nassert add(1, 2) == 3\n"
             "```\nSTOP and more")

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization"), body))
        choice = {"index": 0, "finish_reason": "stop", "logprobs": None}
        if self.path.endswith("/chat/completions"):
            choice["message"] = {"role": "assistant", "content": self.REPLY}
        else:
            choice["text"] = self.REPLY
        data = json.dumps({"id": "x", "object": "x", "created": 0, "model": body["model"],
                           "choices": [choice], "usage": {"prompt_tokens": 3,
                                                          "completion_tokens": 7,
                                                          "total_tokens": 10}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    _Stub.seen = []
    server = HTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()


def test_openai_engine_reads_the_key_at_call_time_and_never_keeps_it(stub, monkeypatch):
    monkeypatch.setenv("RCWORK_ENGINE_KEY", "sk-first-secret-1111")
    engine = make_engine("openai", "stub-model", base_url=stub, api_key_env="RCWORK_ENGINE_KEY")
    monkeypatch.setenv("RCWORK_ENGINE_KEY", "sk-rotated-secret-2222")
    out = engine.run([Query(messages=[{"role": "user", "content": "add"}], stop=("STOP",)),
                      Query(text="def add(a, b):", stop=("#1", "#2", "#3", "#4", "STOP"))],
                     GenerationSettings(max_new_tokens=16))
    # The server ignores stops here; the engine cuts, the 5th (over the API's 4) included.
    assert out[0].text == out[1].text == _Stub.REPLY[:_Stub.REPLY.index("STOP")]
    assert out[0].n_tokens == 7 and out[0].finish_reason == "stop"
    assert sorted(p for p, _, _ in _Stub.seen) == ["/v1/chat/completions", "/v1/completions"]
    assert {auth for _, auth, _ in _Stub.seen} == {"Bearer sk-rotated-secret-2222"}
    assert all(len(body["stop"]) == 4 for p, _, body in _Stub.seen if p.endswith("/completions")
               and "prompt" in body)
    blob = pickle.dumps(engine)
    for text in (repr(engine), str(vars(engine)), str(engine.describe()), blob.decode("latin-1")):
        assert "secret" not in text
    assert pickle.loads(blob).run([Query(text="x")])[0].text == _Stub.REPLY


def test_synthesis_run_files_never_hold_the_key(stub, monkeypatch, tmp_path):
    from rcwork.sandbox import KernelPool, Limits
    from rcwork.synthesis import SynthesisConfig, synthesize
    from tests.helpers import easy_problems

    secret = "sk-run-files-secret-3333"
    monkeypatch.setenv("RCWORK_RUN_KEY", secret)
    teacher = EngineTeacher(make_engine("openai", "stub-model", base_url=stub,
                                        api_key_env="RCWORK_RUN_KEY"))
    pool = KernelPool(1, Limits())
    try:
        summary = synthesize(easy_problems(1), teacher, tmp_path / "run",
                             SynthesisConfig(max_rounds=1, workers=1, progress=False),
                             kernel_pool=pool)
    finally:
        pool.close()
    assert summary.records == 1 and summary.errors == 0
    assert {auth for _, auth, _ in _Stub.seen} == {f"Bearer {secret}"}
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert any(p.name == "run.json" for p in files)
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["teacher"]["api_key_env"] == "RCWORK_RUN_KEY"
    for p in files:
        assert secret.encode() not in p.read_bytes(), p


def test_make_engine_names_the_backends_and_imports_lazily():
    with pytest.raises(ValueError, match="transformers, openai, vllm"):
        make_engine("carrier-pigeon", "m")
    code = ("import sys, rcwork.engines, rcwork.teachers; "
            "print(sorted(m for m in ('torch', 'openai', 'vllm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]"


RCWORK = Path(__file__).resolve().parent.parent / "rcwork"


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(RCWORK.rglob("*.py"))]


def test_one_factory_builds_every_engine_and_nothing_else_is_or_builds_one(monkeypatch):
    import rcwork.evaluation.generation as generation
    import rcwork.teachers as teachers
    from rcwork.evaluation.generation import PromptBackend

    # The factories and mixins that came before are gone.
    for module, name in [(teachers, "make_teacher"), (generation, "make_backend"),
                         (generation, "TransformersBackend"), (generation, "OpenAIBackend"),
                         (generation, "VLLMBackend")]:
        assert not hasattr(module, name), name
    # Every kind builds through make_engine; teachers and evaluation hold what it built.
    local = make_engine("transformers", "tiny", num_threads=1)
    monkeypatch.setenv("RCWORK_FACTORY_KEY", "sk-x")
    remote = make_engine("openai", "m", base_url="http://127.0.0.1:9/v1",
                         api_key_env="RCWORK_FACTORY_KEY")
    assert (type(local), type(remote)) == (TransformersEngine, OpenAIEngine)
    assert sorted(ENGINES) == ["openai", "transformers", "vllm"]
    for engine in (local, remote):
        teacher, backend = EngineTeacher(engine), PromptBackend(engine)
        assert teacher.engine is engine and backend.engine is engine
        assert not isinstance(teacher, Engine) and not isinstance(backend, Engine)
    # No module outside rcwork/engines subclasses an engine (no mixins), and no module calls an
    # engine class: make_engine (which looks its class up by name) is the only way to one.
    engine_classes = {"Engine"} | {cls for _, cls in ENGINES.values()}
    offenders = []
    for path, tree in _modules():
        inside = path.parent == RCWORK / "engines"
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and not inside:
                bases = {getattr(b, "id", getattr(b, "attr", None)) for b in node.bases}
                offenders += [f"{path.name}: class {node.name}({b})" for b in bases
                              & engine_classes]
            if isinstance(node, ast.Call):
                called = getattr(node.func, "id", getattr(node.func, "attr", None))
                if called in engine_classes:
                    offenders.append(f"{path.name}:{node.lineno}: {called}(...)")
            if isinstance(node, ast.FunctionDef) and node.name.startswith("make_") and (
                    "backend" in ast.unparse(node.args) or "engine" in node.name):
                if path != RCWORK / "engines" / "__init__.py":
                    offenders.append(f"{path.name}: def {node.name} (another factory)")
    assert offenders == []


# Names of GenerationSettings fields that decide decoding.  ``seed`` is left out: many
# functions take a seed for other things (masks, splits, toy data).
DECODING = {f.name for f in dataclasses.fields(GenerationSettings)} - {"seed"}


def _written_defaults(tree: ast.Module) -> list[tuple[str, str, int]]:
    """(where, name, line) of every default for a decoding name that is neither None nor empty:
    function parameters anywhere, class-level fields outside stage configs (``*Config``, the
    dataclasses a stage's CLI and profiles override, which choose the stage's own values)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            positional = a.posonlyargs + a.args
            pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
            pairs += [(arg, d) for arg, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            found += [(node.name, arg.arg, node.lineno) for arg, d in pairs
                      if arg.arg in DECODING and not _empty(d)]
        elif isinstance(node, ast.ClassDef) and not node.name.endswith("Config"):
            found += [(node.name, st.target.id, st.lineno) for st in node.body
                      if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name)
                      and st.target.id in DECODING and st.value is not None
                      and not _empty(st.value)]
    return found


def _empty(node: ast.expr) -> bool:
    """None, ``()``, ``[]``, ``frozenset()`` or ``field(default_factory=list)``: nothing added
    to what the settings say (a query's own stops are none unless given)."""
    text = ast.unparse(node)
    return text in ("None", "()", "[]", "frozenset()", "field(default_factory=list)",
                    "field(default_factory=tuple)")


def test_decoding_defaults_are_written_once_in_generation_settings():
    written = {f"{path.relative_to(RCWORK)}:{line} {where}.{name}"
               for path, tree in _modules() for where, name, line in _written_defaults(tree)}
    ours = {w for w in written if w.startswith("engines/base.py") and " GenerationSettings." in w}
    # The scan sees GenerationSettings' own defaults (so it would see a copy) ...
    assert {w.rsplit(".", 1)[1] for w in ours} == {
        f.name for f in dataclasses.fields(GenerationSettings) if f.name in DECODING and f.default
        not in (None, ())}
    # ... and no other default anywhere in rcwork.
    assert written - ours == set()
    # A caller's None means "the settings' value": the teacher's chat resolves it there.
    assert GenerationSettings.given(max_new_tokens=None, temperature=0.5, stop=["x"]) == \
        GenerationSettings(temperature=0.5, stop=("x",))
    assert GenerationSettings(stop="\n```").stop == ("\n```",)
