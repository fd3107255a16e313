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


def test_new_token_rows_start_from_their_stand_ins():
    """<|endofblock|> starts where a closing fence is, <|endofmessage|> where the end of a turn
    is: the rows are the mean embeddings of the stand-in texts, input and output side."""
    from rcwork.models import STAND_INS, tiny_model, tiny_tokenizer

    tok = tiny_tokenizer()
    model = tiny_model(len(tok), seed=3, tie_word_embeddings=False)
    before_in = model.get_input_embeddings().weight.detach().clone()
    before_out = model.get_output_embeddings().weight.detach().clone()
    assert add_reflection_tokens(model, tok) == len(SPECIAL_TOKENS)
    emb_in = model.get_input_embeddings().weight
    emb_out = model.get_output_embeddings().weight
    for token, text in STAND_INS.items():
        row = tok.convert_tokens_to_ids(token)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        torch.testing.assert_close(emb_in[row], before_in[ids].mean(0))
        torch.testing.assert_close(emb_out[row], before_out[ids].mean(0))
    end_block = emb_in[tok.convert_tokens_to_ids("<|endofblock|>")]
    end_msg = emb_in[tok.convert_tokens_to_ids("<|endofmessage|>")]
    assert not torch.allclose(end_block, end_msg)  # not all alike, as a plain mean resize is
