"""The prompts of the two synthesis stages (ReflectionCoder §3.1 and appendix A, paraphrased).

Stage 1 asks the teacher to solve the problem, test its own code with ``assert`` statements and
put the code in one ```python block that will be executed; after each failed execution the
teacher sees the output and is asked for the root cause and a corrected program.  Stage 2 asks
for the final, standalone answer without mentioning the process.

The record keeps the stage-1 prompt as the teacher saw it (the problem inside it) as
``instruction`` (the paper's reflection instruction RI), the problem's own text as
``source_instruction`` (I, which the teacher sample puts before the final answer and which a
model sees at test time), the stage-2 text as ``reanswer_instruction``, and the teacher's replies and
execution outputs as one assistant message of text / code / execution blocks.  The feedback
turns below are scaffolding for the teacher only; they are not part of the record (a code
interpreter shows the execution output itself, which is what the execution block holds).
"""

from __future__ import annotations

PROMPT_VERSION = "rcwork-synthesis-v1"

SYSTEM = ("You are an expert Python programmer. You solve programming problems by writing code, "
          "running it, and fixing it when the execution shows a mistake.")

STAGE1 = """{instruction}

Solve this problem in Python. Write the complete solution and, after it, a few `assert` \
statements that check it on typical and edge-case inputs. Put the solution and the asserts \
together in a single ```python code block. The code block will be executed in a Jupyter \
notebook and you will see its output."""

FEEDBACK_ERROR = """Execution output:
```
{output}
```
The code failed. Analyse the root cause of the failure step by step, then write the complete \
corrected code, with its asserts, in a single ```python code block."""

FEEDBACK_TIMEOUT = """Execution output:
```
{output}
```
The code did not finish in time. Analyse why it is too slow or never stops, then write the \
complete corrected code, with its asserts, in a single ```python code block."""

FEEDBACK_NO_ASSERT = """Execution output:
```
{output}
```
The code ran, but it contains no `assert` statement, so nothing was checked. Write the \
complete code again with asserts that test it, in a single ```python code block."""

FEEDBACK_NO_CODE = """Your reply has no ```python code block, so nothing was executed. Write the \
complete solution with its `assert` tests in a single ```python code block."""

FEEDBACK_PASSED = """Execution output:
```
{output}
```
The code ran and all asserts passed."""

REANSWER = """Now give the final answer to the original problem: a short explanation and the \
complete, standalone solution in a single ```python code block. Write it as a direct answer: \
do not mention earlier attempts, errors, tests or their execution, and do not include the \
assert statements."""

# Generation stops at the end of the first code block: a code interpreter runs the code before
# the model says anything more, so text written after it would be unchecked narration.
STOP = ("\n```\n",)


def empty_output(text: str) -> str:
    return text if text.strip() else "(no output)"


def all_prompts() -> dict[str, str]:
    """Every prompt text, for a run's config file."""
    return {"version": PROMPT_VERSION, "system": SYSTEM, "stage1": STAGE1,
            "feedback_error": FEEDBACK_ERROR, "feedback_timeout": FEEDBACK_TIMEOUT,
            "feedback_no_assert": FEEDBACK_NO_ASSERT, "feedback_no_code": FEEDBACK_NO_CODE,
            "feedback_passed": FEEDBACK_PASSED, "reanswer": REANSWER, "stop": list(STOP)}
