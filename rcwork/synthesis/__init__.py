"""Synthesis of reflection sequences (ReflectionCoder §3.1, appendix A).

    problems ─▶ teacher writes code + asserts ─▶ kernel runs it ─▶ execution block
                  ▲                                                   │ error
                  └──── analysis of the root cause, corrected code ◀──┘   (≤ max_rounds)
             ─▶ re-answer instruction ─▶ final text + code ─▶ filters ─▶ kept / filtered shards

- :mod:`~rcwork.synthesis.prompts`: the two stages' prompt texts;
- :mod:`~rcwork.synthesis.loop`: one problem (``synthesize_problem``);
- :mod:`~rcwork.synthesis.filters`: I/O keywords, unresolved, single round;
- :mod:`~rcwork.synthesis.store`: sharded append-only files, resume after SIGKILL;
- :mod:`~rcwork.synthesis.run`: many problems with a worker pool, progress, summary;
- :mod:`~rcwork.synthesis.cli`: ``rcwork synthesize``.

Its pictures (filter statistics, records as Markdown) are in :mod:`rcwork.display.synthesis`.
"""

from rcwork.synthesis.filters import (IO_PATTERNS, REASONS, FilterConfig, filter_reasons,
                                      io_keywords)
from rcwork.synthesis.loop import (KernelHandle, LoopConfig, has_assert, judge_round,
                                   opening_conversation, split_reply, synthesize_problem)
from rcwork.synthesis.run import (SynthesisConfig, format_summary, load_problem_sources,
                                  summarize_run, synthesize)
from rcwork.synthesis.store import ShardStore, count_task_ids, read_run

__all__ = ["IO_PATTERNS", "REASONS", "FilterConfig", "KernelHandle", "LoopConfig", "ShardStore",
           "SynthesisConfig", "count_task_ids", "filter_reasons",
           "format_summary", "has_assert", "io_keywords", "judge_round", "load_problem_sources",
           "opening_conversation", "read_run",
           "split_reply", "summarize_run", "synthesize", "synthesize_problem"]
