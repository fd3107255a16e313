"""Which synthesized records are kept (ReflectionCoder §3.1: drop code doing I/O, sequences
still unresolved after the last round, and optionally those resolved in a single round).

Every record is written either way; the filtered ones carry their reasons, and the summary
counts records per reason (a record can have several, so the per-reason counts may add up to
more than the number filtered).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rcwork.records import ReflectionRecord

# Reasons, in the order they are reported.
IO = "io_keywords"
UNRESOLVED = "unresolved"
SINGLE_ROUND = "single_round"
NO_FINAL_CODE = "no_final_code"
HIDDEN_TESTS_FAILED = "hidden_tests_failed"
REASONS = (IO, UNRESOLVED, SINGLE_ROUND, NO_FINAL_CODE, HIDDEN_TESTS_FAILED)

# Code that touches files, the terminal, the network, other processes or the package manager.
# Such a program's execution result depends on the machine it ran on, so the sequence would
# teach the student behaviour it cannot reproduce.  Matched on every code block of the
# reflection and of the final answer; the label is what the summary counts.
IO_PATTERNS: tuple[tuple[str, str], ...] = (
    ("open(", r"(?<![\w.])open\s*\("),
    ("input(", r"(?<![\w.])input\s*\("),
    ("pip", r"(?:^|[\s!%])pip3?\s+install|\bimport\s+pip\b|\bpip\.main\b"),
    ("os.system", r"\bos\s*\.\s*(?:system|popen|exec\w*|spawn\w*|remove|unlink|rmdir|"
                  r"removedirs|mkdir|makedirs|rename|replace|chdir|chmod|walk|listdir|scandir)\b"),
    ("subprocess", r"\bsubprocess\b"),
    ("shutil", r"\bshutil\b"),
    ("network", r"\b(?:requests|urllib|http\.client|socket|ftplib|smtplib)\b"),
    (".dump(", r"\.dump\s*\("),  # json.dump / pickle.dump / yaml.dump write to a file
    ("pickle", r"\bpickle\s*\.\s*loads?\s*\("),
    (".write(", r"\.(?:write|writelines)\s*\("),
    (".read(", r"\.(?:read|readline|readlines)\s*\("),
    ("pathlib I/O", r"\.(?:write_text|write_bytes|read_text|read_bytes|unlink|mkdir|touch)\s*\("),
    ("sys.stdin", r"\bsys\s*\.\s*stdin\b"),
    ("dataframe I/O", r"\b(?:read_csv|to_csv|read_excel|to_excel|read_json|to_json|savefig|"
                      r"savetxt|loadtxt|np\.save|np\.load)\b"),
    ("shell", r"^\s*[!%]"),
)
_COMPILED = tuple((label, re.compile(rx, re.M)) for label, rx in IO_PATTERNS)


def io_keywords(code: str) -> list[str]:
    """The I/O pattern labels that occur in ``code`` (comments and strings included, on
    purpose: a cheap, conservative filter)."""
    return [label for label, rx in _COMPILED if rx.search(code)]


@dataclass
class FilterConfig:
    io: bool = True
    unresolved: bool = True
    single_round: bool = True  # the paper's optional filter; on by default
    require_hidden_tests: bool = False  # stricter than the paper: the problem's tests must pass


def record_io_keywords(record: ReflectionRecord) -> list[str]:
    found: list[str] = []
    for b in [*record.reflection_blocks, *record.final]:
        if b.kind == "code":
            found += [k for k in io_keywords(b.content) if k not in found]
    return found


def filter_reasons(record: ReflectionRecord, config: FilterConfig | None = None) -> list[str]:
    """Why ``record`` is filtered out; empty when it is kept."""
    config = config or FilterConfig()
    meta = record.metadata
    reasons: list[str] = []
    if config.io and record_io_keywords(record):
        reasons.append(IO)
    if config.unresolved and not meta.resolved:
        reasons.append(UNRESOLVED)
    if config.single_round and meta.resolved and meta.rounds == 1:
        reasons.append(SINGLE_ROUND)
    if meta.resolved and not record.final_code().strip():
        reasons.append(NO_FINAL_CODE)
    if config.require_hidden_tests and meta.extra.get("hidden_tests_passed") is not True:
        reasons.append(HIDDEN_TESTS_FAILED)
    return reasons
