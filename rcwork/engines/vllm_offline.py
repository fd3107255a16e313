"""vLLM's offline engine, when vLLM is installed (GPU machines; ``pip install rcwork[gpu]``)."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from rcwork.engines.base import Completion, Engine, GenerationSettings, Query, truncate_at_stop


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError as e:
        raise ImportError(
            "the vllm engine needs vLLM, which is not installed: pip install vllm (or "
            "rcwork[gpu]) on a machine with a supported GPU, or use the openai backend against "
            "a running `vllm serve`") from e
    return vllm


class VLLMEngine(Engine):
    """``vllm.LLM(model)``: text queries go in as token ids (the prompts already hold their bos /
    template tokens), chat queries through ``LLM.chat`` (the model's template).  The engine
    schedules its own continuous batching; ``batch_size`` queries go in per call, and each
    call's completions are handed back together."""

    backend = "vllm"

    def __init__(self, model: str, *, name: str | None = None, batch_size: int = 512,
                 **engine_kwargs: Any):
        vllm = _import_vllm()
        self._sampling_params = vllm.SamplingParams
        self.model = model
        self.name = name or model
        self.batch_size = max(1, int(batch_size))
        self.llm = vllm.LLM(model=model, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()

    def describe(self) -> dict[str, Any]:
        return {"backend": self.backend, "name": self.name, "model": self.model}

    def _params(self, query: Query, settings: GenerationSettings, seed: int) -> Any:
        return self._sampling_params(
            n=1, temperature=max(settings.temperature, 0.0),
            top_p=1.0 if settings.greedy else settings.top_p,
            max_tokens=settings.max_new_tokens, ignore_eos=settings.ignore_eos,
            stop=None if settings.ignore_eos else (list(query.stop) or None),
            stop_token_ids=None if settings.ignore_eos else (sorted(query.stop_ids) or None),
            seed=None if settings.greedy else seed,
            skip_special_tokens=query.messages is not None, spaces_between_special_tokens=False)

    def _stream(self, queries: Sequence[Query], settings: GenerationSettings
                ) -> Iterator[list[tuple[int, Completion]]]:
        for start in range(0, len(queries), self.batch_size):
            idx = range(start, min(start + self.batch_size, len(queries)))
            texts = [i for i in idx if queries[i].text is not None]
            chats = [i for i in idx if queries[i].messages is not None]
            outs: dict[int, Any] = {}
            if texts:
                inputs = [{"prompt_token_ids": self.tokenizer(
                    queries[i].text, add_special_tokens=False)["input_ids"]} for i in texts]
                params = [self._params(queries[i], settings, settings.seed + i) for i in texts]
                outs.update(zip(texts, self.llm.generate(inputs, params, use_tqdm=False)))
            if chats:
                params = [self._params(queries[i], settings, settings.seed + i) for i in chats]
                outs.update(zip(chats, self.llm.chat([queries[i].messages for i in chats],
                                                     params, use_tqdm=False)))
            group = []
            for i in idx:
                c = outs[i].outputs[0]
                group.append((i, Completion(
                    text=truncate_at_stop(c.text, None if settings.ignore_eos else queries[i].stop),
                    n_tokens=len(c.token_ids),
                    finish_reason="length" if c.finish_reason == "length" else "stop")))
            yield group
