"""Teachers: the batched chat protocol on engines, stop strings, batching across threads, keys,
and the synthesis config's teacher built through the one engine factory."""

from __future__ import annotations

import pickle
import threading
import time

import pytest

from rcwork.engines import GenerationSettings, make_engine, truncate_at_stop
from rcwork.synthesis.run import SynthesisConfig, build_teacher
from rcwork.teachers import BatchQueue, EngineTeacher, ScriptedTeacher, Teacher

CONV = [{"role": "user", "content": "Write a Python function that adds two numbers."}]


def test_truncate_at_stop_cuts_before_the_earliest_stop():
    assert truncate_at_stop("abc\n```\nmore", ["\n```\n"]) == "abc"
    assert truncate_at_stop("a STOP b END c", ["END", "STOP"]) == "a "
    assert truncate_at_stop("nothing", ["x"]) == "nothing"
    assert truncate_at_stop("keep", None) == "keep"


def _run_threads(fn, n):
    out, threads = {}, []
    for i in range(n):
        threads.append(threading.Thread(target=lambda i=i: out.__setitem__(i, fn(i))))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_batch_queue_merges_concurrent_requests_into_one_batch():
    calls = []

    def generate(convs, key):
        calls.append(len(convs))
        time.sleep(0.05)
        return [c[0]["content"].upper() for c in convs]

    q = BatchQueue(generate, max_batch_size=8, wait_s=1.0)
    out = _run_threads(lambda i: q.submit([[{"role": "user", "content": f"m{i}"}]], ("k",)), 3)
    assert out == {i: [f"M{i}"] for i in range(3)}
    assert calls == [3]  # three threads, one generate call
    assert q.stats.mean_batch == 3


def test_batch_queue_keeps_settings_apart_and_respects_max_batch():
    seen = []

    def generate(convs, key):
        seen.append((key, len(convs)))
        return [key[0]] * len(convs)

    q = BatchQueue(generate, max_batch_size=2, wait_s=0.3)
    out = _run_threads(lambda i: q.submit([[{"role": "user", "content": "x"}]],
                                          ("a" if i % 2 else "b",)), 6)
    assert all(v == ["a" if i % 2 else "b"] for i, v in out.items())
    assert all(n <= 2 for _, n in seen) and sum(n for _, n in seen) == 6
    assert q.submit([[{"role": "user", "content": "x"}]] * 5, ("c",)) == ["c"] * 5  # split


def test_batch_queue_hands_an_error_to_every_caller_in_the_batch():
    def generate(convs, key):
        raise RuntimeError("model exploded")

    q = BatchQueue(generate, max_batch_size=4, wait_s=0.3)
    errors = _run_threads(lambda i: _catch(lambda: q.submit([CONV], ("k",))), 2)
    assert all("model exploded" in e for e in errors.values())
    with pytest.raises(RuntimeError):  # and the queue still works afterwards (not stuck busy)
        q.submit([CONV], ("k",))


def _catch(fn):
    try:
        fn()
    except Exception as e:
        return str(e)
    return ""


def test_scripted_teacher_is_a_teacher_and_applies_stop():
    t = ScriptedTeacher(["one\n```\ntwo", "three"])
    assert isinstance(t, Teacher)
    assert t.chat([CONV, CONV], stop=["\n```\n"]) == ["one", "three"]
    assert t.chat([CONV]) == ["one\n```\ntwo"]  # cycles
    with pytest.raises(ValueError):
        t.chat([[{"role": "robot", "content": "x"}]])


def _local(batch_wait_s: float = 0.25, **options) -> EngineTeacher:
    return EngineTeacher(make_engine("transformers", "tiny", num_threads=1, batch_size=8,
                                     **options), batch_wait_s=batch_wait_s)


def test_transformers_teacher_batches_with_left_padding_and_stop_strings():
    t = _local(batch_wait_s=0.5)
    assert isinstance(t, Teacher) and t.name == "tiny"
    short = [{"role": "user", "content": "hi"}]
    out = t.chat([CONV, short], max_new_tokens=12)
    assert len(out) == 2 and all(isinstance(o, str) for o in out)
    # Left padding: the short prompt's greedy continuation does not depend on its batch mate.
    assert t.chat([short], max_new_tokens=12) == [out[1]]
    res = _run_threads(lambda i: t.chat([CONV], max_new_tokens=8)[0], 2)
    assert res[0] == res[1]
    assert 2 in t.batch_stats.batch_sizes  # the two threads' requests ran as one batch
    # A stop string is cut off (here one that certainly occurs: the first generated character).
    first = t.chat([CONV], max_new_tokens=12)[0]
    if first:
        assert t.chat([CONV], max_new_tokens=12, stop=[first[0]])[0] == ""


def test_transformers_teacher_splits_batches_over_the_token_budget():
    t = _local(max_batch_tokens=1)
    long = [{"role": "user", "content": "x" * 300}]
    # Every row is over budget alone: three generate calls, results in the callers' order.
    out = t.chat([CONV, long, CONV], max_new_tokens=6)
    assert out[0] == out[2] == t.chat([CONV], max_new_tokens=6)[0]
    assert out[1] == t.chat([long], max_new_tokens=6)[0]


def test_transformers_teacher_samples_with_temperature():
    t = _local(batch_wait_s=0.0)
    outs = {t.chat([CONV], max_new_tokens=16, temperature=1.0)[0] for _ in range(3)}
    assert len(outs) > 1


def test_a_teachers_unset_arguments_are_the_generation_settings_defaults():
    t = _local(batch_wait_s=1.0)
    defaults = GenerationSettings()
    assert t.chat([CONV]) == t.chat([CONV], max_new_tokens=defaults.max_new_tokens,
                                    temperature=defaults.temperature, stop=list(defaults.stop))
    # Equal settings are one batch key however the stops are spelled: two workers, one batch.
    res = _run_threads(lambda i: t.chat([CONV], max_new_tokens=4,
                                        stop=["\n\n"] if i else ("\n\n",))[0], 2)
    assert res[0] == res[1] and t.batch_stats.batch_sizes[-1] == 2


def test_openai_teacher_never_exposes_the_key(monkeypatch):
    secret = "sk-test-DO-NOT-LEAK-4242"
    monkeypatch.setenv("RCWORK_TEST_KEY", secret)
    t = EngineTeacher(make_engine("openai", "some-model", base_url="http://127.0.0.1:9/v1",
                                  api_key_env="RCWORK_TEST_KEY"))
    for text in (repr(t), str(t), str(t.describe()), str(vars(t)), str(vars(t.engine))):
        assert secret not in text
    assert t.describe()["api_key_env"] == "RCWORK_TEST_KEY"
    assert secret.encode() not in pickle.dumps(t)
    assert pickle.loads(pickle.dumps(t)).describe() == t.describe()


def test_openai_teacher_without_key_for_hosted_api_names_the_variable(monkeypatch):
    monkeypatch.delenv("RCWORK_MISSING_KEY", raising=False)
    with pytest.raises(ValueError, match="RCWORK_MISSING_KEY"):
        make_engine("openai", "gpt-x", api_key_env="RCWORK_MISSING_KEY")
    # A local server needs no key.
    assert EngineTeacher(make_engine("openai", "m", base_url="http://127.0.0.1:9/v1",
                                     api_key_env="RCWORK_MISSING_KEY")).name == "m"


def test_vllm_teacher_without_vllm_says_how_to_get_it():
    try:
        import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install vllm"):
            build_teacher(SynthesisConfig(teacher_backend="vllm", teacher_model="some/model"))
    else:
        pytest.skip("vllm is installed")


def test_build_teacher_makes_each_backend_through_the_engine_factory(monkeypatch):
    monkeypatch.setenv("RCWORK_BUILD_KEY", "sk-build")
    local = build_teacher(SynthesisConfig(teacher_model="tiny", max_batch_size=3,
                                          max_batch_tokens=999))
    assert isinstance(local, EngineTeacher) and local.engine.backend == "transformers"
    # The merged batch and the engine's decoding batch are the config's max_batch_size.
    assert local.describe()["max_batch_size"] == local.engine.batch_size == 3
    assert local.engine.max_batch_tokens == 999
    remote = build_teacher(SynthesisConfig(teacher_backend="openai", teacher_model="m",
                                           base_url="http://127.0.0.1:9/v1",
                                           api_key_env="RCWORK_BUILD_KEY", max_batch_size=5))
    assert remote.engine.backend == "openai" and remote.engine.max_concurrency == 5
    assert remote.batch_stats is None  # an HTTP engine is called by every worker directly
    with pytest.raises(ValueError, match="unknown engine backend 'carrier-pigeon'"):
        build_teacher(SynthesisConfig(teacher_backend="carrier-pigeon"))
