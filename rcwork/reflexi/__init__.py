"""ReflexiCoder (Jiang et al., arXiv 2603.05863): GRPO over think → answer → reflection → answer.

One concept per module, data flowing one way (docs/reflexicoder.md):

* :mod:`~rcwork.reflexi.trajectory` — the reward grammar and the protocol checks;
* :mod:`~rcwork.reflexi.rewards` — F, P(n), R, E as pure functions, and TRL reward functions;
* :mod:`~rcwork.reflexi.execution` — per-answer scores from the sandbox, batched and cached;
* :mod:`~rcwork.reflexi.data` — problems with tests as GRPO prompts; the held-out split;
* :mod:`~rcwork.reflexi.warmup` — rcwork's optional format warm-up (SFT on converted records);
* :mod:`~rcwork.reflexi.config`, :mod:`~rcwork.reflexi.train` — ``ReinforceConfig`` (a TRL
  ``GRPOConfig``) and ``reinforce(cfg)``; :mod:`~rcwork.reflexi.cli` — ``rcwork reinforce``;
* :mod:`~rcwork.reflexi.evaluate` — format rate, reflections, tokens and pass@1 of completions;
* its pictures (the trajectory viewer widget, reward curves, the report section) are in
  :mod:`rcwork.display.reflexi`.

Importing this package loads neither torch nor TRL; the modules that need them do.
"""
