import subprocess
import sys

import pytest
import torch

from rcwork.models import add_reflection_tokens, load_model
from rcwork.textformat import SPECIAL_TOKENS


def test_tiny_model_has_reflection_tokens_and_runs(tiny):
    model, tok = tiny
    ids = tok.convert_tokens_to_ids(SPECIAL_TOKENS)
    assert len(set(ids)) == 7 and max(ids) < model.get_input_embeddings().weight.shape[0]
    assert tok.decode(tok("<|code|>x<|endofblock|>", add_special_tokens=False)["input_ids"]) \
        == "<|code|>x<|endofblock|>"
    out = model(torch.tensor([[tok.bos_token_id] + ids]))
    assert out.logits.shape == (1, 8, len(tok))
    assert model.config.model_type == "llama"


def test_adding_tokens_twice_is_a_no_op(tiny):
    model, tok = tiny
    n = len(tok)
    assert add_reflection_tokens(model, tok) == 0
    assert len(tok) == n


def test_local_path_round_trip_offline(tmp_path, tiny):
    model, tok = tiny
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    again, tok2 = load_model(str(tmp_path))
    assert len(tok2) == len(tok)
    x = torch.tensor([[1, 2, 3, 4]])
    torch.testing.assert_close(again(x).logits, model(x).logits)


@pytest.mark.slow
def test_embedded_model_answers_a_trivial_coding_prompt(embedded):
    from rcwork.textformat import extract_code

    model, tok = embedded
    assert model.config.model_type == "llama" and model.config.num_hidden_layers == 30
    assert sum(p.numel() for p in model.parameters()) > 130e6
    messages = [{"role": "user", "content":
                 "Write a Python function add(a, b) that returns the sum of a and b."}]
    inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                     return_dict=True)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=48, do_sample=False)
    answer = tok.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    program = extract_code(answer) + "\nassert add(2, 3) == 5 and add(-1, 1) == 0\n"
    run = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, timeout=60)
    assert run.returncode == 0, (answer, run.stderr)
