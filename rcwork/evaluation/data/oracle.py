"""The differential test of EvalPlus's release-format files (inputs, no expected outputs).

The canonical solution computes the expected outputs in the sandbox's tester process; the
candidate's outputs arrive there as plain data.  The test is source text because it runs inside
the test program the tester executes, never in this process.
"""

from __future__ import annotations

import json
from typing import Any


# Differential test for the release-format EvalPlus files: inputs only, the canonical solution
# computes the expected outputs in the tester's process (the candidate's outputs arrive there as
# plain data).  Tolerance as in EvalPlus: exact equality,
# else floats (or sequences of floats) within atol, 1e-6 when atol is 0; NaN equals NaN only
# where the reference's output is NaN too (never "within tolerance" of a number), and an
# infinity matches only the same infinity (as numpy.allclose).
_DIFFERENTIAL_TEST = '''
import copy as _rc_copy
import json as _rc_json
import math as _rc_math


def _rc_is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _rc_close(out, exp, atol):
    try:
        if out == exp:
            return True
    except Exception:
        return False
    if not _rc_is_floats(exp):
        return False
    atol = atol or 1e-6
    outs = out if isinstance(out, (list, tuple)) else [out]
    exps = exp if isinstance(exp, (list, tuple)) else [exp]
    if len(outs) != len(exps):
        return False
    for o, e in zip(outs, exps):
        if not isinstance(o, (int, float)) or isinstance(o, bool):
            return False
        if _rc_math.isnan(e) or _rc_math.isnan(o):
            if _rc_math.isnan(e) and _rc_math.isnan(o):
                continue
            return False
        if _rc_math.isinf(e) or _rc_math.isinf(o):  # the tolerance of an infinity is infinite
            if o != e:
                return False
            continue
        # Written so that anything but a number within tolerance fails: "not (d <= tol)" is
        # True for NaN, where "d > tol" would be False and let NaN through.
        if not abs(o - e) <= atol + 1e-7 * abs(e):
            return False
    return True


def _rc_check(candidate):
    _rc_ref_globals = {"__name__": "__reference__"}
    exec(_RC_REFERENCE, _rc_ref_globals)
    _rc_reference = _rc_ref_globals[_RC_ENTRY_POINT]
    for i, inp in enumerate(_rc_json.loads(_RC_INPUTS)):
        try:
            exp = _rc_reference(*_rc_copy.deepcopy(inp))
        except Exception:
            continue  # an input the reference itself rejects tests nothing
        out = candidate(*_rc_copy.deepcopy(inp))
        assert _rc_close(out, exp, _RC_ATOL), f"input #{i}: {inp!r:.300}"
'''


def differential_test(entry_point: str, reference: str, inputs: list[Any], atol: float) -> str:
    """Test code that compares the candidate with ``reference`` on every input."""
    return (f"_RC_ENTRY_POINT = {entry_point!r}\n"
            f"_RC_REFERENCE = {reference!r}\n"
            f"_RC_INPUTS = {json.dumps(inputs)!r}\n"
            f"_RC_ATOL = {float(atol or 0)!r}\n"
            + _DIFFERENTIAL_TEST
            + f"\n_rc_check({entry_point})\n")
