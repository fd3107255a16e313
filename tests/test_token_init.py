"""Where the paper's new tokens start: rcwork's stand-ins (default) or the authors' sub-words.

The authors (SenseLLM/ReflectionCoder ``src/utils/model_utils.py`` lines 9–17) start every new
token's input and output row from the mean of the rows of the sub-words a second, untouched
copy of the tokenizer splits the token's string into.  That loop is transcribed here and
compared with ``token_init="subwords"``.
"""

from __future__ import annotations

import pytest
import torch

from rcwork.models import (STAND_INS, add_reflection_tokens, load_model, tiny_model,
                           tiny_tokenizer)
from rcwork.textformat import SPECIAL_TOKENS


def _authors_update_new_token(input_emb, output_emb, tokenizer, src_tokenizer) -> None:
    """model_utils.py ``update_new_token``: every id past the source vocabulary."""
    for _id in range(len(src_tokenizer), len(tokenizer)):
        string = tokenizer.convert_ids_to_tokens(_id)
        ids = src_tokenizer.encode(string, add_special_tokens=False)
        input_emb[_id] = torch.mean(input_emb[ids], dim=0)
        output_emb[_id] = torch.mean(output_emb[ids], dim=0)


def test_subwords_is_the_authors_start():
    tok = tiny_tokenizer()
    model = tiny_model(len(tok), seed=3, tie_word_embeddings=False)
    before_in = model.get_input_embeddings().weight.detach().clone()
    before_out = model.get_output_embeddings().weight.detach().clone()
    assert add_reflection_tokens(model, tok, "subwords") == len(SPECIAL_TOKENS)

    theirs_in = torch.cat([before_in, torch.zeros(len(SPECIAL_TOKENS), before_in.shape[1])])
    theirs_out = torch.cat([before_out, torch.zeros(len(SPECIAL_TOKENS), before_out.shape[1])])
    _authors_update_new_token(theirs_in, theirs_out, tok, tiny_tokenizer())
    torch.testing.assert_close(model.get_input_embeddings().weight.detach(), theirs_in)
    torch.testing.assert_close(model.get_output_embeddings().weight.detach(), theirs_out)
    # A different start from rcwork's stand-ins: "<|endofblock|>" spelled out is not "\n```\n".
    row = tok.convert_tokens_to_ids("<|endofblock|>")
    stand_in = before_in[tok(STAND_INS["<|endofblock|>"], add_special_tokens=False)["input_ids"]]
    assert not torch.allclose(theirs_in[row], stand_in.mean(0))


def test_load_model_passes_the_choice_and_rejects_unknown_ones():
    with pytest.raises(ValueError, match="token_init"):
        add_reflection_tokens(None, tiny_tokenizer(), "random")
    a, tok = load_model("tiny", seed=3)
    assert len(tok) == tiny_tokenizer().__len__() + len(SPECIAL_TOKENS)
    # The tiny model is built at the final vocabulary size (no resize): the option is a no-op.
    b, _ = load_model("tiny", seed=3, token_init="subwords")
    torch.testing.assert_close(a.get_input_embeddings().weight, b.get_input_embeddings().weight)
