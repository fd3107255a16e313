"""A teacher on vLLM's offline engine (GPU boxes; ``pip install rcwork[gpu]``)."""

from __future__ import annotations

from typing import Any, Sequence

from rcwork.teachers.base import BatchQueue, Conversation, truncate_at_stop


def _import_vllm():
    try:
        import vllm
    except ImportError as e:
        raise ImportError(
            "the vllm teacher backend needs vLLM, which is not installed: "
            "pip install vllm (or rcwork[gpu]) on a machine with a supported GPU, or use "
            "--teacher-backend openai against a running `vllm serve`") from e
    return vllm


class VLLMTeacher:
    """``vllm.LLM(model).chat`` over a batch; concurrent worker calls are merged like the local
    transformers teacher's (the engine itself is not for concurrent use from threads)."""

    def __init__(self, model: str, *, name: str | None = None, max_batch_size: int = 64,
                 batch_wait_s: float = 0.1, seed: int = 0, **engine_kwargs: Any):
        vllm = _import_vllm()
        self._vllm = vllm
        self.model = model
        self.name = name or model
        self.seed = seed
        self.llm = vllm.LLM(model=model, seed=seed, **engine_kwargs)
        self._queue = BatchQueue(self._generate_batch, max_batch_size=max_batch_size,
                                 wait_s=batch_wait_s)

    def describe(self) -> dict[str, Any]:
        return {"backend": "vllm", "name": self.name, "model": self.model}

    def __repr__(self) -> str:
        return f"VLLMTeacher(model={self.model!r})"

    def chat(self, conversations: Sequence[Conversation], *, max_new_tokens: int = 512,
             temperature: float = 0.0, stop: Sequence[str] | None = None) -> list[str]:
        return self._queue.chat(conversations, max_new_tokens=max_new_tokens,
                                temperature=temperature, stop=stop)

    def _generate_batch(self, conversations: list[Conversation], key: tuple) -> list[str]:
        max_new_tokens, temperature, stop = key
        params = self._vllm.SamplingParams(max_tokens=max_new_tokens, temperature=temperature,
                                           stop=list(stop) or None, seed=self.seed)
        outs = self.llm.chat(conversations, params, use_tqdm=False)
        return [truncate_at_stop(o.outputs[0].text, stop) for o in outs]
