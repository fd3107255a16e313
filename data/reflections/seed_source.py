"""Hand-written source of the seed reflection records (``data/reflections/seed.jsonl``).

Every record here was written for rcwork; none is copied from a public dataset or benchmark.
This file holds only what a teacher would *write*; ``scripts/build_seed_reflections.py`` runs
every code block in a Jupyter kernel (one kernel per record, blocks in order, state carried
over as in a notebook) and inserts the real output after each one as an execution block.

Shape of one entry (``seed(...)``):

* ``instruction``: the Python task, naming the function (or class) and its signature.
* ``thread``: the assistant's reflection message, as ``T(text)`` and ``C(code, raises=...)``
  items: a plan, then alternating code attempts and analyses.  The build script places an
  execution block after every ``C``.  ``raises`` names the exception the attempt is expected
  to end with (``AssertionError`` from its own asserts, or an error raised inside its own
  function); ``raises=None`` marks the passing attempt, which must be the last one and prints
  ``All tests passed.``.
* ``final_text`` / ``final_code``: the clean answer to the re-answer instruction (no asserts,
  no prints).

Task ids are ``seed/NNN`` by position (1-based): append new entries at the end so that
existing ids stay stable.
"""

SEEDS: list[dict] = []


def T(text: str) -> tuple[str, str]:
    """An analysis (or plan) text block."""
    return ("text", text.strip())


def C(code: str, raises: str | None = None) -> tuple[str, str, str | None]:
    """A code block; ``raises`` is the exception expected to end it (None: it passes)."""
    return ("code", code.strip("\n"), raises)


def seed(instruction: str, thread: list, final_text: str, final_code: str) -> None:
    SEEDS.append({
        "instruction": instruction.strip(),
        "thread": thread,
        "final_text": final_text.strip(),
        "final_code": final_code.strip("\n"),
    })


# --------------------------------------------------------------------------------- strings

seed(
    "Write a Python function `run_length_encode(s: str) -> str` that compresses runs of "
    "repeated characters as the character followed by the run length, so `\"aaabcc\"` becomes "
    "`\"a3b1c2\"`. The empty string encodes to the empty string.",
    [
        T("I'll walk the string keeping the current character and the length of its run; when "
          "the character changes I append the finished run to the output. I'll test the "
          "example, a single character, the empty string and a string without repeats."),
        C(r'''
def run_length_encode(s: str) -> str:
    if not s:
        return ""
    out = []
    current, count = s[0], 1
    for ch in s[1:]:
        if ch == current:
            count += 1
        else:
            out.append(f"{current}{count}")
            current, count = ch, 1
    return "".join(out)

assert run_length_encode("aaabcc") == "a3b1c2", run_length_encode("aaabcc")
assert run_length_encode("x") == "x1"
assert run_length_encode("") == ""
assert run_length_encode("abcd") == "a1b1c1d1"
print("All tests passed.")
''', raises="AssertionError"),
        T("The first assert fails and the function returned `'a3b1'`: the last run (`c2`) is "
          "missing. A run is only written out when the character changes, so the run that is "
          "still open when the loop ends is never flushed. I'll append it after the loop."),
        C(r'''
def run_length_encode(s: str) -> str:
    if not s:
        return ""
    out = []
    current, count = s[0], 1
    for ch in s[1:]:
        if ch == current:
            count += 1
        else:
            out.append(f"{current}{count}")
            current, count = ch, 1
    out.append(f"{current}{count}")
    return "".join(out)

assert run_length_encode("aaabcc") == "a3b1c2", run_length_encode("aaabcc")
assert run_length_encode("x") == "x1"
assert run_length_encode("") == ""
assert run_length_encode("abcd") == "a1b1c1d1"
print("All tests passed.")
'''),
    ],
    "Each run is flushed when the character changes and once more after the loop.",
    r'''
def run_length_encode(s: str) -> str:
    if not s:
        return ""
    out = []
    current, count = s[0], 1
    for ch in s[1:]:
        if ch == current:
            count += 1
        else:
            out.append(f"{current}{count}")
            current, count = ch, 1
    out.append(f"{current}{count}")
    return "".join(out)
''',
)

seed(
    "Write `caesar_shift(text: str, k: int) -> str` that shifts every ASCII letter of `text` by "
    "`k` places in the alphabet, wrapping around from z to a and preserving case; every other "
    "character (digits, punctuation, non-ASCII letters) is left unchanged. `k` may be negative "
    "or larger than 26.",
    [
        T("For each letter I'll take its offset from `a`, add `k`, reduce modulo the alphabet "
          "size and convert back. Tests: a simple shift, wrap-around, mixed case with "
          "punctuation, a negative shift, a shift above 26 and a non-ASCII letter."),
        C(r'''
def caesar_shift(text: str, k: int) -> str:
    out = []
    for ch in text:
        if ch.isalpha():
            out.append(chr((ord(ch) - ord("a") + k) % 25 + ord("a")))
        else:
            out.append(ch)
    return "".join(out)

assert caesar_shift("abc", 1) == "bcd"
assert caesar_shift("xyz", 3) == "abc", caesar_shift("xyz", 3)
assert caesar_shift("Hello, World!", 5) == "Mjqqt, Btwqi!", caesar_shift("Hello, World!", 5)
assert caesar_shift("abc", -1) == "zab"
assert caesar_shift("abc", 53) == "bcd"
assert caesar_shift("café 42", 1) == "dbgé 42", caesar_shift("café 42", 1)
print("All tests passed.")
''', raises="AssertionError"),
        T("`caesar_shift(\"xyz\", 3)` gave `'bcd'` instead of `'abc'`. The wrap-around is "
          "taken modulo 25, but the alphabet has 26 letters, so every shift that wraps lands "
          "one letter too far. The modulus must be 26."),
        C(r'''
def caesar_shift(text: str, k: int) -> str:
    out = []
    for ch in text:
        if ch.isalpha():
            out.append(chr((ord(ch) - ord("a") + k) % 26 + ord("a")))
        else:
            out.append(ch)
    return "".join(out)

assert caesar_shift("abc", 1) == "bcd"
assert caesar_shift("xyz", 3) == "abc", caesar_shift("xyz", 3)
assert caesar_shift("Hello, World!", 5) == "Mjqqt, Btwqi!", caesar_shift("Hello, World!", 5)
assert caesar_shift("abc", -1) == "zab"
assert caesar_shift("abc", 53) == "bcd"
assert caesar_shift("café 42", 1) == "dbgé 42", caesar_shift("café 42", 1)
print("All tests passed.")
''', raises="AssertionError"),
        T("Wrap-around works now, but the mixed-case test returned `'gjqqt, vtwqi!'`: the "
          "capitals came out as wrong lower-case letters (`H` became `g`, `W` became `v`). The offset is always "
          "measured from `a`, so an upper-case letter is shifted relative to the wrong base and "
          "rebuilt as lower case. I'll use `A` as the base for upper-case letters."),
        C(r'''
def caesar_shift(text: str, k: int) -> str:
    out = []
    for ch in text:
        if ch.isalpha():
            base = ord("A") if ch.isupper() else ord("a")
            out.append(chr((ord(ch) - base + k) % 26 + base))
        else:
            out.append(ch)
    return "".join(out)

assert caesar_shift("abc", 1) == "bcd"
assert caesar_shift("xyz", 3) == "abc", caesar_shift("xyz", 3)
assert caesar_shift("Hello, World!", 5) == "Mjqqt, Btwqi!", caesar_shift("Hello, World!", 5)
assert caesar_shift("abc", -1) == "zab"
assert caesar_shift("abc", 53) == "bcd"
assert caesar_shift("café 42", 1) == "dbgé 42", caesar_shift("café 42", 1)
print("All tests passed.")
''', raises="AssertionError"),
        T("Only the last test fails: `é` was turned into `h`. `str.isalpha()` is true for "
          "every Unicode letter, not just ASCII ones, so `é` is treated as a letter and pushed "
          "through the arithmetic. I'll test the ASCII ranges explicitly instead."),
        C(r'''
def caesar_shift(text: str, k: int) -> str:
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            base = ord("a")
        elif "A" <= ch <= "Z":
            base = ord("A")
        else:
            out.append(ch)
            continue
        out.append(chr((ord(ch) - base + k) % 26 + base))
    return "".join(out)

assert caesar_shift("abc", 1) == "bcd"
assert caesar_shift("xyz", 3) == "abc", caesar_shift("xyz", 3)
assert caesar_shift("Hello, World!", 5) == "Mjqqt, Btwqi!", caesar_shift("Hello, World!", 5)
assert caesar_shift("abc", -1) == "zab"
assert caesar_shift("abc", 53) == "bcd"
assert caesar_shift("café 42", 1) == "dbgé 42", caesar_shift("café 42", 1)
print("All tests passed.")
'''),
    ],
    "Only ASCII letters are shifted, each relative to the start of its own case, modulo 26.",
    r'''
def caesar_shift(text: str, k: int) -> str:
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            base = ord("a")
        elif "A" <= ch <= "Z":
            base = ord("A")
        else:
            out.append(ch)
            continue
        out.append(chr((ord(ch) - base + k) % 26 + base))
    return "".join(out)
''',
)

seed(
    "Write `word_frequencies(text: str) -> dict[str, int]` that counts words "
    "case-insensitively. A word is a maximal run of ASCII letters and apostrophes; everything "
    "else (spaces, punctuation, digits) separates words. The keys of the result appear in "
    "order of first occurrence.",
    [
        T("Lower-case the text, split it into words and count them in a dict, which keeps "
          "insertion order. I'll test punctuation, an apostrophe and digits between letters."),
        C(r'''
def word_frequencies(text: str) -> dict[str, int]:
    counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts

result = word_frequencies("The cat; the hat. THE end!")
assert result == {"the": 3, "cat": 1, "hat": 1, "end": 1}, result
assert word_frequencies("don't stop") == {"don't": 1, "stop": 1}
assert word_frequencies("abc123def") == {"abc": 1, "def": 1}
assert word_frequencies("") == {}
print("All tests passed.")
''', raises="AssertionError"),
        T("The result contains `'cat;'`, `'hat.'` and `'end!'`: `str.split()` only splits on "
          "whitespace, so punctuation stays glued to the words. The definition of a word is a "
          "run of letters and apostrophes, so I'll extract exactly those runs with a regular "
          "expression."),
        C(r'''
import re

def word_frequencies(text: str) -> dict[str, int]:
    counts = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts

result = word_frequencies("The cat; the hat. THE end!")
assert result == {"the": 3, "cat": 1, "hat": 1, "end": 1}, result
assert word_frequencies("don't stop") == {"don't": 1, "stop": 1}
assert word_frequencies("abc123def") == {"abc": 1, "def": 1}
assert word_frequencies("") == {}
print("All tests passed.")
'''),
    ],
    "Words are the runs of letters and apostrophes of the lower-cased text, counted in order.",
    r'''
import re


def word_frequencies(text: str) -> dict[str, int]:
    counts = {}
    for word in re.findall(r"[a-z']+", text.lower()):
        counts[word] = counts.get(word, 0) + 1
    return counts
''',
)

seed(
    "Write `headline(title: str, minor: set[str]) -> str` that capitalizes each "
    "space-separated word of `title` (first letter upper case, the rest lower case), except "
    "words found in `minor` (compared case-insensitively), which are written in lower case. "
    "The first and the last word are always capitalized.",
    [
        T("Split on spaces, map each word to its capitalized or lower-case form depending on "
          "membership in `minor`, and join with spaces."),
        C(r'''
def headline(title: str, minor: set[str]) -> str:
    words = title.split(" ")
    out = []
    for word in words:
        if word.lower() in minor:
            out.append(word.lower())
        else:
            out.append(word.capitalize())
    return " ".join(out)

result = headline("the lord OF the rings", {"the", "of"})
assert result == "The Lord of the Rings", result
assert headline("what is it for", {"is", "for"}) == "What is It For"
assert headline("of", {"of"}) == "Of"
print("All tests passed.")
''', raises="AssertionError"),
        T("It returned `'the Lord of the Rings'`: the leading `the` is a minor word, so it was "
          "lower-cased. I ignored the rule that the first and last words are always "
          "capitalized. I'll check the word's position before looking it up in `minor`."),
        C(r'''
def headline(title: str, minor: set[str]) -> str:
    words = title.split(" ")
    out = []
    for i, word in enumerate(words):
        if 0 < i < len(words) - 1 and word.lower() in minor:
            out.append(word.lower())
        else:
            out.append(word.capitalize())
    return " ".join(out)

result = headline("the lord OF the rings", {"the", "of"})
assert result == "The Lord of the Rings", result
assert headline("what is it for", {"is", "for"}) == "What is It For"
assert headline("of", {"of"}) == "Of"
print("All tests passed.")
'''),
    ],
    "Minor words are lower-cased only when they are neither the first nor the last word.",
    r'''
def headline(title: str, minor: set[str]) -> str:
    words = title.split(" ")
    out = []
    for i, word in enumerate(words):
        if 0 < i < len(words) - 1 and word.lower() in minor:
            out.append(word.lower())
        else:
            out.append(word.capitalize())
    return " ".join(out)
''',
)

seed(
    "Write `longest_common_prefix(words: list[str]) -> str` returning the longest string that "
    "is a prefix of every word in `words`. An empty list gives the empty string.",
    [
        T("`zip(*words)` yields the characters at each position until the shortest word ends; "
          "while all characters at a position agree they belong to the prefix."),
        C(r'''
def longest_common_prefix(words: list[str]) -> str:
    prefix = []
    for chars in zip(*words):
        if len(set(chars)) == 1:
            prefix.append(chars[0])
    return "".join(prefix)

assert longest_common_prefix(["flower", "flow", "flight"]) == "fl"
assert longest_common_prefix(["abcx", "abdx"]) == "ab", longest_common_prefix(["abcx", "abdx"])
assert longest_common_prefix(["solo"]) == "solo"
assert longest_common_prefix([]) == ""
assert longest_common_prefix(["abc", ""]) == ""
print("All tests passed.")
''', raises="AssertionError"),
        T("For `[\"abcx\", \"abdx\"]` it returned `'abx'`: after the mismatch at position 2 the "
          "loop went on and picked up the matching `x` at position 3. A prefix must stop at "
          "the first mismatch, so the loop has to break there."),
        C(r'''
def longest_common_prefix(words: list[str]) -> str:
    prefix = []
    for chars in zip(*words):
        if len(set(chars)) != 1:
            break
        prefix.append(chars[0])
    return "".join(prefix)

assert longest_common_prefix(["flower", "flow", "flight"]) == "fl"
assert longest_common_prefix(["abcx", "abdx"]) == "ab", longest_common_prefix(["abcx", "abdx"])
assert longest_common_prefix(["solo"]) == "solo"
assert longest_common_prefix([]) == ""
assert longest_common_prefix(["abc", ""]) == ""
print("All tests passed.")
'''),
    ],
    "Characters are taken position by position until the first disagreement.",
    r'''
def longest_common_prefix(words: list[str]) -> str:
    prefix = []
    for chars in zip(*words):
        if len(set(chars)) != 1:
            break
        prefix.append(chars[0])
    return "".join(prefix)
''',
)

seed(
    "Write `snake_to_camel(name: str) -> str` converting a snake_case identifier to "
    "lowerCamelCase: `\"parse_http_response\"` becomes `\"parseHttpResponse\"`. Several "
    "underscores in a row count as one separator, leading and trailing underscores are dropped "
    "(`\"__init__\"` becomes `\"init\"`), and a name made only of underscores gives `\"\"`.",
    [
        T("Split on `_`, keep the first part as is and capitalize the first letter of the "
          "others."),
        C(r'''
def snake_to_camel(name: str) -> str:
    parts = name.split("_")
    return parts[0] + "".join(p[0].upper() + p[1:] for p in parts[1:])

assert snake_to_camel("parse_http_response") == "parseHttpResponse"
assert snake_to_camel("x") == "x"
assert snake_to_camel("max__value") == "maxValue"
assert snake_to_camel("__init__") == "init"
assert snake_to_camel("___") == ""
print("All tests passed.")
''', raises="IndexError"),
        T("`\"max__value\"` raised `IndexError: string index out of range` inside the generator: "
          "splitting on `_` produces an empty string between two underscores, and `p[0]` fails "
          "on it. Empty parts carry no word, so I'll drop them before building the name."),
        C(r'''
def snake_to_camel(name: str) -> str:
    parts = [p for p in name.split("_") if p]
    return parts[0] + "".join(p[0].upper() + p[1:] for p in parts[1:])

assert snake_to_camel("parse_http_response") == "parseHttpResponse"
assert snake_to_camel("x") == "x"
assert snake_to_camel("max__value") == "maxValue"
assert snake_to_camel("__init__") == "init"
assert snake_to_camel("___") == ""
print("All tests passed.")
''', raises="IndexError"),
        T("Now `\"___\"` fails with `IndexError: list index out of range`: after dropping the "
          "empty parts nothing is left, and `parts[0]` does not exist. A name with no words "
          "must return the empty string before indexing."),
        C(r'''
def snake_to_camel(name: str) -> str:
    parts = [p for p in name.split("_") if p]
    if not parts:
        return ""
    return parts[0] + "".join(p[0].upper() + p[1:] for p in parts[1:])

assert snake_to_camel("parse_http_response") == "parseHttpResponse"
assert snake_to_camel("x") == "x"
assert snake_to_camel("max__value") == "maxValue"
assert snake_to_camel("__init__") == "init"
assert snake_to_camel("___") == ""
print("All tests passed.")
'''),
    ],
    "Empty parts are dropped, and a name without any word gives the empty string.",
    r'''
def snake_to_camel(name: str) -> str:
    parts = [p for p in name.split("_") if p]
    if not parts:
        return ""
    return parts[0] + "".join(p[0].upper() + p[1:] for p in parts[1:])
''',
)

seed(
    "Write `wrap_words(text: str, width: int) -> list[str]` that greedily packs the "
    "whitespace-separated words of `text` into lines of at most `width` characters, words on a "
    "line separated by single spaces. A word longer than `width` goes on a line of its own.",
    [
        T("Keep the line being built; append the next word if the line plus a space plus the "
          "word still fits, otherwise start a new line."),
        C(r'''
def wrap_words(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) < width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines

result = wrap_words("the quick brown fox", 9)
assert result == ["the quick", "brown fox"], result
assert wrap_words("a b c", 1) == ["a", "b", "c"]
assert wrap_words("tremendously big", 5) == ["tremendously", "big"]
assert wrap_words("   ", 4) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("Every word ended up on its own line, even though `\"the quick\"` is exactly 9 "
          "characters. The fit test uses `<`, so a line that would be exactly `width` long is "
          "rejected; \"at most `width`\" means `<=`."),
        C(r'''
def wrap_words(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines

result = wrap_words("the quick brown fox", 9)
assert result == ["the quick", "brown fox"], result
assert wrap_words("a b c", 1) == ["a", "b", "c"]
assert wrap_words("tremendously big", 5) == ["tremendously", "big"]
assert wrap_words("   ", 4) == []
print("All tests passed.")
'''),
    ],
    "A word joins the current line when the result is at most `width` characters long.",
    r'''
def wrap_words(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines
''',
)

seed(
    "Write `parse_duration(s: str) -> int` converting strings such as `\"1h30m\"`, `\"45s\"`, "
    "`\"2d4h\"` or `\"1h5m10s\"` to a number of seconds. Units are `d`, `h`, `m` and `s`, and "
    "each number may have several digits. Raise `ValueError` for an empty string, for a number "
    "without a unit (`\"10\"`, `\"5m3\"`) and for an unknown unit.",
    [
        T("Scan the characters, collecting digits into the current number; a unit letter "
          "multiplies the number by the unit's seconds and adds it to the total. I'll check "
          "the error cases with try/except."),
        C(r'''
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

def parse_duration(s: str) -> int:
    total = 0
    number = ""
    for ch in s:
        if ch.isdigit():
            number = ch
        elif ch in UNITS and number:
            total += int(number) * UNITS[ch]
            number = ""
        else:
            raise ValueError(f"unexpected {ch!r} in {s!r}")
    if number:
        raise ValueError(f"number without a unit in {s!r}")
    return total

assert parse_duration("45s") == 45, parse_duration("45s")
assert parse_duration("1h30m") == 5400, parse_duration("1h30m")
assert parse_duration("2d4h") == 187200
assert parse_duration("1h5m10s") == 3910
for bad in ["10", "5m3", "3x", "h", ""]:
    try:
        parse_duration(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {bad!r}")
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"45s\"` gave 5 instead of 45: only the last digit of the number survived. "
          "`number = ch` replaces the digits collected so far with the latest one, so `45` "
          "became `5` (and `30` would become `0`). Digits have to be appended: "
          "`number += ch`."),
        C(r'''
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

def parse_duration(s: str) -> int:
    total = 0
    number = ""
    for ch in s:
        if ch.isdigit():
            number += ch
        elif ch in UNITS and number:
            total += int(number) * UNITS[ch]
            number = ""
        else:
            raise ValueError(f"unexpected {ch!r} in {s!r}")
    if number:
        raise ValueError(f"number without a unit in {s!r}")
    return total

assert parse_duration("45s") == 45, parse_duration("45s")
assert parse_duration("1h30m") == 5400, parse_duration("1h30m")
assert parse_duration("2d4h") == 187200
assert parse_duration("1h5m10s") == 3910
for bad in ["10", "5m3", "3x", "h", ""]:
    try:
        parse_duration(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {bad!r}")
print("All tests passed.")
''', raises="AssertionError"),
        T("All valid durations parse now; the remaining failure is `no ValueError for ''`. "
          "With an empty string the loop never runs and the function returns 0. The empty "
          "string has to be rejected explicitly at the start."),
        C(r'''
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

def parse_duration(s: str) -> int:
    if not s:
        raise ValueError("empty duration")
    total = 0
    number = ""
    for ch in s:
        if ch.isdigit():
            number += ch
        elif ch in UNITS and number:
            total += int(number) * UNITS[ch]
            number = ""
        else:
            raise ValueError(f"unexpected {ch!r} in {s!r}")
    if number:
        raise ValueError(f"number without a unit in {s!r}")
    return total

assert parse_duration("45s") == 45, parse_duration("45s")
assert parse_duration("1h30m") == 5400, parse_duration("1h30m")
assert parse_duration("2d4h") == 187200
assert parse_duration("1h5m10s") == 3910
for bad in ["10", "5m3", "3x", "h", ""]:
    try:
        parse_duration(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {bad!r}")
print("All tests passed.")
'''),
    ],
    "Digits accumulate into a number that each unit letter converts and adds to the total.",
    r'''
UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_duration(s: str) -> int:
    if not s:
        raise ValueError("empty duration")
    total = 0
    number = ""
    for ch in s:
        if ch.isdigit():
            number += ch
        elif ch in UNITS and number:
            total += int(number) * UNITS[ch]
            number = ""
        else:
            raise ValueError(f"unexpected {ch!r} in {s!r}")
    if number:
        raise ValueError(f"number without a unit in {s!r}")
    return total
''',
)

seed(
    "Write `roman_to_int(s: str) -> int` converting a valid Roman numeral (I, V, X, L, C, D, M, "
    "with the subtractive forms such as IV and CM) to an integer.",
    [
        T("Add each symbol's value, except that a symbol followed by a larger one is "
          "subtracted. I'll test subtractive forms, a long numeral and repeated symbols."),
        C(r'''
VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

def roman_to_int(s: str) -> int:
    total = 0
    for i, ch in enumerate(s):
        v = VALUES[ch]
        if i + 1 < len(s) and v <= VALUES[s[i + 1]]:
            total -= v
        else:
            total += v
    return total

assert roman_to_int("IX") == 9
assert roman_to_int("MCMXCIV") == 1994
assert roman_to_int("III") == 3, roman_to_int("III")
assert roman_to_int("LVIII") == 58
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"III\"` gave -1. The subtraction rule uses `<=`, so a symbol followed by an *equal* "
          "symbol is subtracted: I-I+I. Only a strictly larger successor means subtraction."),
        C(r'''
VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

def roman_to_int(s: str) -> int:
    total = 0
    for i, ch in enumerate(s):
        v = VALUES[ch]
        if i + 1 < len(s) and v < VALUES[s[i + 1]]:
            total -= v
        else:
            total += v
    return total

assert roman_to_int("IX") == 9
assert roman_to_int("MCMXCIV") == 1994
assert roman_to_int("III") == 3, roman_to_int("III")
assert roman_to_int("LVIII") == 58
print("All tests passed.")
'''),
    ],
    "A symbol is subtracted only when the next symbol is strictly larger.",
    r'''
VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(s: str) -> int:
    total = 0
    for i, ch in enumerate(s):
        v = VALUES[ch]
        if i + 1 < len(s) and v < VALUES[s[i + 1]]:
            total -= v
        else:
            total += v
    return total
''',
)

seed(
    "Write `int_to_roman(n: int) -> str` converting an integer from 1 to 3999 to a Roman "
    "numeral in standard form (e.g. 1994 is `\"MCMXCIV\"`, 4 is `\"IV\"`).",
    [
        T("Greedy conversion: walk a table of values from largest to smallest, subtracting "
          "each value as long as it fits and appending its symbol."),
        C(r'''
TABLE = [(1000, "M"), (500, "D"), (100, "C"), (50, "L"), (10, "X"),
         (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]

def int_to_roman(n: int) -> str:
    out = []
    for value, symbol in TABLE:
        while n >= value:
            out.append(symbol)
            n -= value
    return "".join(out)

assert int_to_roman(4) == "IV"
assert int_to_roman(58) == "LVIII"
assert int_to_roman(1994) == "MCMXCIV", int_to_roman(1994)
assert int_to_roman(3999) == "MMMCMXCIX"
print("All tests passed.")
''', raises="AssertionError"),
        T("1994 came out as `'MDCCCCLXXXXIV'`: 900 and 90 were written additively. The table "
          "has the subtractive pairs for the units (IX, IV) but not for the tens and hundreds "
          "(XC, XL, CM, CD), so the greedy loop never picks them."),
        C(r'''
TABLE = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
         (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]

def int_to_roman(n: int) -> str:
    out = []
    for value, symbol in TABLE:
        while n >= value:
            out.append(symbol)
            n -= value
    return "".join(out)

assert int_to_roman(4) == "IV"
assert int_to_roman(58) == "LVIII"
assert int_to_roman(1994) == "MCMXCIV", int_to_roman(1994)
assert int_to_roman(3999) == "MMMCMXCIX"
print("All tests passed.")
'''),
    ],
    "A greedy walk over all thirteen values, subtractive pairs included.",
    r'''
TABLE = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
         (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def int_to_roman(n: int) -> str:
    out = []
    for value, symbol in TABLE:
        while n >= value:
            out.append(symbol)
            n -= value
    return "".join(out)
''',
)

seed(
    "Write `group_anagrams(words: list[str]) -> list[list[str]]` that groups words which are "
    "anagrams of each other (the same letters with the same counts). Groups are ordered by the "
    "first appearance of their first word, and words inside a group keep their input order.",
    [
        T("Use a dict from a canonical key to the list of words; dicts keep insertion order, "
          "so the groups come out in order of first appearance."),
        C(r'''
def group_anagrams(words: list[str]) -> list[list[str]]:
    groups = {}
    for word in words:
        groups.setdefault(frozenset(word), []).append(word)
    return list(groups.values())

assert group_anagrams(["listen", "google", "silent", "enlist", "gogole"]) == [
    ["listen", "silent", "enlist"], ["google", "gogole"]]
result = group_anagrams(["aab", "abb", "bab"])
assert result == [["aab"], ["abb", "bab"]], result
assert group_anagrams([]) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"aab\"` and `\"abb\"` ended up in one group. The key `frozenset(word)` only records "
          "*which* letters occur, not how often, so words with the same letters in different "
          "counts collide. The sorted letters make a key that keeps the counts."),
        C(r'''
def group_anagrams(words: list[str]) -> list[list[str]]:
    groups = {}
    for word in words:
        groups.setdefault("".join(sorted(word)), []).append(word)
    return list(groups.values())

assert group_anagrams(["listen", "google", "silent", "enlist", "gogole"]) == [
    ["listen", "silent", "enlist"], ["google", "gogole"]]
result = group_anagrams(["aab", "abb", "bab"])
assert result == [["aab"], ["abb", "bab"]], result
assert group_anagrams([]) == []
print("All tests passed.")
'''),
    ],
    "Words are grouped under their sorted letters, which keeps letter counts.",
    r'''
def group_anagrams(words: list[str]) -> list[list[str]]:
    groups = {}
    for word in words:
        groups.setdefault("".join(sorted(word)), []).append(word)
    return list(groups.values())
''',
)

seed(
    "Write `is_balanced(s: str) -> bool` that tells whether the brackets `()`, `[]` and `{}` in "
    "`s` are balanced and properly nested. All other characters are ignored.",
    [
        T("Push opening brackets on a stack; a closing bracket must match the bracket on top "
          "of the stack. Tests cover nesting, the empty string, a mismatch, an extra closing "
          "bracket and unclosed brackets."),
        C(r'''
PAIRS = {")": "(", "]": "[", "}": "{"}

def is_balanced(s: str) -> bool:
    stack = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if stack.pop() != ch:
                return False
    return True

assert is_balanced("(a[b]{c})")
assert is_balanced("")
assert not is_balanced("(]")
assert not is_balanced("())")
assert not is_balanced("((")
print("All tests passed.")
''', raises="AssertionError"),
        T("Even `\"(a[b]{c})\"` is reported unbalanced. The popped opening bracket is compared "
          "with the closing character itself, and `'(' != ')'` is always true. It must be "
          "compared with the opening bracket that matches: `PAIRS[ch]`."),
        C(r'''
PAIRS = {")": "(", "]": "[", "}": "{"}

def is_balanced(s: str) -> bool:
    stack = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if stack.pop() != PAIRS[ch]:
                return False
    return True

assert is_balanced("(a[b]{c})")
assert is_balanced("")
assert not is_balanced("(]")
assert not is_balanced("())")
assert not is_balanced("((")
print("All tests passed.")
''', raises="IndexError"),
        T("Matching works now, but `\"())\"` raises `IndexError: pop from empty list`: a closing "
          "bracket with nothing open pops an empty stack. That case is simply unbalanced, so "
          "I'll return False when the stack is empty."),
        C(r'''
PAIRS = {")": "(", "]": "[", "}": "{"}

def is_balanced(s: str) -> bool:
    stack = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if not stack or stack.pop() != PAIRS[ch]:
                return False
    return True

assert is_balanced("(a[b]{c})")
assert is_balanced("")
assert not is_balanced("(]")
assert not is_balanced("())")
assert not is_balanced("((")
print("All tests passed.")
''', raises="AssertionError"),
        T("The last assert fails: `\"((\"` is reported balanced. The function returns True "
          "whenever no closing bracket mismatched, without checking that every opening bracket "
          "was closed. The string is balanced only if the stack is empty at the end."),
        C(r'''
PAIRS = {")": "(", "]": "[", "}": "{"}

def is_balanced(s: str) -> bool:
    stack = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if not stack or stack.pop() != PAIRS[ch]:
                return False
    return not stack

assert is_balanced("(a[b]{c})")
assert is_balanced("")
assert not is_balanced("(]")
assert not is_balanced("())")
assert not is_balanced("((")
print("All tests passed.")
'''),
    ],
    "A stack of open brackets: each closer must match the top, and nothing may stay open.",
    r'''
PAIRS = {")": "(", "]": "[", "}": "{"}


def is_balanced(s: str) -> bool:
    stack = []
    for ch in s:
        if ch in "([{":
            stack.append(ch)
        elif ch in PAIRS:
            if not stack or stack.pop() != PAIRS[ch]:
                return False
    return not stack
''',
)

seed(
    "Write `mask_email(address: str) -> str` that hides the local part of an email address: "
    "keep its first and last characters and replace the ones in between with `*` "
    "(`\"john.doe@example.com\"` → `\"j******e@example.com\"`). A local part of one or two "
    "characters becomes its first character followed by one `*` (`\"ab@x.org\"` → "
    "`\"a*@x.org\"`, `\"a@x.org\"` → `\"a*@x.org\"`). The domain is unchanged.",
    [
        T("Split at the `@`, rebuild the local part as first char + stars + last char, and "
          "append the domain."),
        C(r'''
def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    masked = local[0] + "*" * (len(local) - 2) + local[-1]
    return masked + "@" + domain

assert mask_email("john.doe@example.com") == "j******e@example.com"
assert mask_email("abc@x.org") == "a*c@x.org"
assert mask_email("ab@x.org") == "a*@x.org", mask_email("ab@x.org")
assert mask_email("a@x.org") == "a*@x.org", mask_email("a@x.org")
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"ab@x.org\"` came back unchanged as `'ab@x.org'`: with two characters there are "
          "`len - 2 = 0` stars, and the last character is shown again. Short local parts need "
          "the special rule from the task (and with one character the same formula would "
          "repeat it, giving `aa`)."),
        C(r'''
def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    if len(local) <= 2:
        masked = local[0] + "*"
    else:
        masked = local[0] + "*" * (len(local) - 2) + local[-1]
    return masked + "@" + domain

assert mask_email("john.doe@example.com") == "j******e@example.com"
assert mask_email("abc@x.org") == "a*c@x.org"
assert mask_email("ab@x.org") == "a*@x.org", mask_email("ab@x.org")
assert mask_email("a@x.org") == "a*@x.org", mask_email("a@x.org")
print("All tests passed.")
'''),
    ],
    "Local parts of up to two characters get the short form; longer ones keep both ends.",
    r'''
def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    if len(local) <= 2:
        masked = local[0] + "*"
    else:
        masked = local[0] + "*" * (len(local) - 2) + local[-1]
    return masked + "@" + domain
''',
)

seed(
    "Write `compare_versions(a: str, b: str) -> int` for dotted version strings such as "
    "`\"1.10.2\"`: return -1 if `a` is older, 1 if it is newer and 0 if they are equal. "
    "Components compare as integers, missing trailing components count as zero (`\"1.0\"` "
    "equals `\"1\"`), and an optional leading `v` is ignored (`\"v2.1\"` equals `\"2.1\"`).",
    [
        T("Split both versions on dots and compare the component lists lexicographically."),
        C(r'''
def compare_versions(a: str, b: str) -> int:
    pa, pb = a.split("."), b.split(".")
    if pa < pb:
        return -1
    if pa > pb:
        return 1
    return 0

assert compare_versions("1.2", "1.3") == -1
assert compare_versions("1.10", "1.9") == 1, compare_versions("1.10", "1.9")
assert compare_versions("1.0", "1") == 0, compare_versions("1.0", "1")
assert compare_versions("v2.1", "2.1") == 0
assert compare_versions("2.0.1", "2") == 1
print("All tests passed.")
''', raises="AssertionError"),
        T("`compare_versions(\"1.10\", \"1.9\")` returned -1. The components are still strings, "
          "and `'10' < '9'` as text. They have to be converted to integers before comparing."),
        C(r'''
def compare_versions(a: str, b: str) -> int:
    pa = [int(x) for x in a.split(".")]
    pb = [int(x) for x in b.split(".")]
    if pa < pb:
        return -1
    if pa > pb:
        return 1
    return 0

assert compare_versions("1.2", "1.3") == -1
assert compare_versions("1.10", "1.9") == 1, compare_versions("1.10", "1.9")
assert compare_versions("1.0", "1") == 0, compare_versions("1.0", "1")
assert compare_versions("v2.1", "2.1") == 0
assert compare_versions("2.0.1", "2") == 1
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"1.0\"` vs `\"1\"` gives 1 instead of 0: list comparison treats `[1, 0]` as "
          "greater than its prefix `[1]`. Missing components must count as zero, so I'll pad "
          "the shorter list with zeros to the same length."),
        C(r'''
def compare_versions(a: str, b: str) -> int:
    pa = [int(x) for x in a.split(".")]
    pb = [int(x) for x in b.split(".")]
    n = max(len(pa), len(pb))
    pa += [0] * (n - len(pa))
    pb += [0] * (n - len(pb))
    if pa < pb:
        return -1
    if pa > pb:
        return 1
    return 0

assert compare_versions("1.2", "1.3") == -1
assert compare_versions("1.10", "1.9") == 1, compare_versions("1.10", "1.9")
assert compare_versions("1.0", "1") == 0, compare_versions("1.0", "1")
assert compare_versions("v2.1", "2.1") == 0
assert compare_versions("2.0.1", "2") == 1
print("All tests passed.")
''', raises="ValueError"),
        T("Padding fixed the equality case; now `int('v2')` raises `ValueError: invalid literal "
          "for int() with base 10: 'v2'`. I forgot the optional leading `v`, which must be "
          "removed before splitting."),
        C(r'''
def compare_versions(a: str, b: str) -> int:
    pa = [int(x) for x in a.removeprefix("v").split(".")]
    pb = [int(x) for x in b.removeprefix("v").split(".")]
    n = max(len(pa), len(pb))
    pa += [0] * (n - len(pa))
    pb += [0] * (n - len(pb))
    if pa < pb:
        return -1
    if pa > pb:
        return 1
    return 0

assert compare_versions("1.2", "1.3") == -1
assert compare_versions("1.10", "1.9") == 1, compare_versions("1.10", "1.9")
assert compare_versions("1.0", "1") == 0, compare_versions("1.0", "1")
assert compare_versions("v2.1", "2.1") == 0
assert compare_versions("2.0.1", "2") == 1
print("All tests passed.")
'''),
    ],
    "Versions become zero-padded integer lists (after dropping a leading `v`) and compare as "
    "lists.",
    r'''
def compare_versions(a: str, b: str) -> int:
    pa = [int(x) for x in a.removeprefix("v").split(".")]
    pb = [int(x) for x in b.removeprefix("v").split(".")]
    n = max(len(pa), len(pb))
    pa += [0] * (n - len(pa))
    pb += [0] * (n - len(pb))
    if pa < pb:
        return -1
    if pa > pb:
        return 1
    return 0
''',
)

# ----------------------------------------------------------------------------------- lists

seed(
    "Write `chunked(items: list, size: int) -> list[list]` that splits `items` into "
    "consecutive chunks of length `size`; the last chunk may be shorter. Raise `ValueError` if "
    "`size` is less than 1.",
    [
        T("Slice the list at multiples of `size` with a list comprehension over `range`."),
        C(r'''
def chunked(items: list, size: int) -> list[list]:
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[i:i + size] for i in range(0, len(items) - size + 1, size)]

assert chunked([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]
assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]], chunked([1, 2, 3, 4, 5], 2)
assert chunked([], 3) == []
assert chunked([1, 2], 5) == [[1, 2]]
try:
    chunked([1], 0)
except ValueError:
    pass
else:
    raise AssertionError("size 0 accepted")
print("All tests passed.")
''', raises="AssertionError"),
        T("The partial last chunk `[5]` is missing. The range stops at `len(items) - size + 1`, "
          "which only admits start positions with a *full* chunk after them. Any start below "
          "`len(items)` is valid because slicing past the end is safe."),
        C(r'''
def chunked(items: list, size: int) -> list[list]:
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[i:i + size] for i in range(0, len(items), size)]

assert chunked([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]
assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]], chunked([1, 2, 3, 4, 5], 2)
assert chunked([], 3) == []
assert chunked([1, 2], 5) == [[1, 2]]
try:
    chunked([1], 0)
except ValueError:
    pass
else:
    raise AssertionError("size 0 accepted")
print("All tests passed.")
'''),
    ],
    "Chunks start at every multiple of `size` below the length; the last may be short.",
    r'''
def chunked(items: list, size: int) -> list[list]:
    if size < 1:
        raise ValueError("size must be at least 1")
    return [items[i:i + size] for i in range(0, len(items), size)]
''',
)

seed(
    "Write `rotate_left(items: list, k: int) -> list` returning a new list rotated left by `k` "
    "positions. `k` may be larger than the length, or negative (which rotates right). An empty "
    "list stays empty.",
    [
        T("A left rotation by `k` is `items[k:] + items[:k]`. Tests: a small rotation, `k` "
          "larger than the length, a negative `k` and the empty list."),
        C(r'''
def rotate_left(items: list, k: int) -> list:
    return items[k:] + items[:k]

assert rotate_left([1, 2, 3, 4, 5], 2) == [3, 4, 5, 1, 2]
assert rotate_left([1, 2, 3, 4, 5], 7) == [3, 4, 5, 1, 2], rotate_left([1, 2, 3, 4, 5], 7)
assert rotate_left([1, 2, 3, 4, 5], -1) == [5, 1, 2, 3, 4]
assert rotate_left([], 3) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("With `k = 7` the list came back unrotated: `items[7:]` is empty and `items[:7]` is "
          "the whole list. Rotating by the length is a no-op, so `k` should be reduced modulo "
          "the length first (this also turns a negative `k` into the equivalent left shift)."),
        C(r'''
def rotate_left(items: list, k: int) -> list:
    k %= len(items)
    return items[k:] + items[:k]

assert rotate_left([1, 2, 3, 4, 5], 2) == [3, 4, 5, 1, 2]
assert rotate_left([1, 2, 3, 4, 5], 7) == [3, 4, 5, 1, 2], rotate_left([1, 2, 3, 4, 5], 7)
assert rotate_left([1, 2, 3, 4, 5], -1) == [5, 1, 2, 3, 4]
assert rotate_left([], 3) == []
print("All tests passed.")
''', raises="ZeroDivisionError"),
        T("The empty list now raises `ZeroDivisionError: integer modulo by zero`: `k % 0` is "
          "undefined. An empty list has nothing to rotate, so I'll return a copy before "
          "taking the modulus."),
        C(r'''
def rotate_left(items: list, k: int) -> list:
    if not items:
        return []
    k %= len(items)
    return items[k:] + items[:k]

assert rotate_left([1, 2, 3, 4, 5], 2) == [3, 4, 5, 1, 2]
assert rotate_left([1, 2, 3, 4, 5], 7) == [3, 4, 5, 1, 2], rotate_left([1, 2, 3, 4, 5], 7)
assert rotate_left([1, 2, 3, 4, 5], -1) == [5, 1, 2, 3, 4]
assert rotate_left([], 3) == []
print("All tests passed.")
'''),
    ],
    "`k` is reduced modulo the length, with the empty list handled first.",
    r'''
def rotate_left(items: list, k: int) -> list:
    if not items:
        return []
    k %= len(items)
    return items[k:] + items[:k]
''',
)

seed(
    "Write `moving_average(xs: list[float], w: int) -> list[float]` returning the mean of every "
    "window of `w` consecutive values, in order. There are `len(xs) - w + 1` windows, and none "
    "when `w` is larger than `len(xs)`.",
    [
        T("Loop over the window start positions and average each slice."),
        C(r'''
def moving_average(xs: list[float], w: int) -> list[float]:
    return [sum(xs[i:i + w]) / w for i in range(len(xs) - w)]

result = moving_average([1, 2, 3, 4], 2)
assert result == [1.5, 2.5, 3.5], result
assert moving_average([5, 5, 5], 3) == [5.0]
assert moving_average([1, 2], 3) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("The last window `[3, 4]` is missing: `range(len(xs) - w)` yields `len(xs) - w` "
          "starts, one fewer than the `len(xs) - w + 1` windows. Classic off-by-one; the range "
          "needs `+ 1`. (When `w > len(xs)` the range is still empty.)"),
        C(r'''
def moving_average(xs: list[float], w: int) -> list[float]:
    return [sum(xs[i:i + w]) / w for i in range(len(xs) - w + 1)]

result = moving_average([1, 2, 3, 4], 2)
assert result == [1.5, 2.5, 3.5], result
assert moving_average([5, 5, 5], 3) == [5.0]
assert moving_average([1, 2], 3) == []
print("All tests passed.")
'''),
    ],
    "One mean per window start, `len(xs) - w + 1` of them.",
    r'''
def moving_average(xs: list[float], w: int) -> list[float]:
    return [sum(xs[i:i + w]) / w for i in range(len(xs) - w + 1)]
''',
)

seed(
    "Write `flatten(nested: list) -> list` that flattens arbitrarily nested lists and tuples "
    "into one flat list, left to right. Strings are kept whole, not split into characters.",
    [
        T("Go through the items; lists and tuples contribute their elements, everything else "
          "is appended as is."),
        C(r'''
def flatten(nested: list) -> list:
    out = []
    for x in nested:
        if isinstance(x, (list, tuple)):
            out.extend(x)
        else:
            out.append(x)
    return out

assert flatten([1, [2, 3], 4]) == [1, 2, 3, 4]
result = flatten([1, [2, [3, [4]]], (5, "ab")])
assert result == [1, 2, 3, 4, 5, "ab"], result
assert flatten([[], [[]]]) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("Only one level was removed: the result still holds `[3, [4]]`. `out.extend(x)` "
          "copies the elements of a nested list but not the lists nested inside those. The "
          "nested sequence must itself be flattened recursively before extending."),
        C(r'''
def flatten(nested: list) -> list:
    out = []
    for x in nested:
        if isinstance(x, (list, tuple)):
            out.extend(flatten(x))
        else:
            out.append(x)
    return out

assert flatten([1, [2, 3], 4]) == [1, 2, 3, 4]
result = flatten([1, [2, [3, [4]]], (5, "ab")])
assert result == [1, 2, 3, 4, 5, "ab"], result
assert flatten([[], [[]]]) == []
print("All tests passed.")
'''),
    ],
    "Lists and tuples are flattened recursively; other values are kept as they are.",
    r'''
def flatten(nested: list) -> list:
    out = []
    for x in nested:
        if isinstance(x, (list, tuple)):
            out.extend(flatten(x))
        else:
            out.append(x)
    return out
''',
)

seed(
    "Write `dedupe(items: list) -> list` that removes duplicates from a list of hashable items, "
    "keeping the first occurrence of each item in its original order.",
    [
        T("A set removes duplicates; I'll convert back to a list."),
        C(r'''
def dedupe(items: list) -> list:
    return list(set(items))

result = dedupe([3, 1, 3, 2, 1])
assert result == [3, 1, 2], result
assert dedupe(["b", "a", "b"]) == ["b", "a"]
assert dedupe([]) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("The result `[1, 2, 3]` has the right elements in the wrong order: a set has no "
          "notion of insertion order, so converting through it loses the original positions. "
          "I'll keep a set only for membership and build the output list in input order."),
        C(r'''
def dedupe(items: list) -> list:
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out

result = dedupe([3, 1, 3, 2, 1])
assert result == [3, 1, 2], result
assert dedupe(["b", "a", "b"]) == ["b", "a"]
assert dedupe([]) == []
print("All tests passed.")
'''),
    ],
    "A set tracks what was seen while the output list keeps the input order.",
    r'''
def dedupe(items: list) -> list:
    seen = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
''',
)

seed(
    "Write `second_largest(nums: list[int]) -> int | None` returning the second largest "
    "*distinct* value in `nums`, or `None` when there are fewer than two distinct values.",
    [
        T("Sort and take the element before the last."),
        C(r'''
def second_largest(nums: list[int]) -> int | None:
    return sorted(nums)[-2]

assert second_largest([4, 1, 3]) == 3
assert second_largest([5, 5, 3]) == 3, second_largest([5, 5, 3])
assert second_largest([7, 7]) is None
assert second_largest([]) is None
assert second_largest([-2, -1]) == -2
print("All tests passed.")
''', raises="AssertionError"),
        T("`[5, 5, 3]` gave 5: the maximum appears twice, so the second-to-last sorted element "
          "is the maximum again. The task asks for distinct values, so duplicates must be "
          "removed before sorting."),
        C(r'''
def second_largest(nums: list[int]) -> int | None:
    distinct = sorted(set(nums))
    return distinct[-2]

assert second_largest([4, 1, 3]) == 3
assert second_largest([5, 5, 3]) == 3, second_largest([5, 5, 3])
assert second_largest([7, 7]) is None
assert second_largest([]) is None
assert second_largest([-2, -1]) == -2
print("All tests passed.")
''', raises="IndexError"),
        T("`[7, 7]` now raises `IndexError`: after deduplication only one value is left, so "
          "`distinct[-2]` does not exist. I forgot the `None` case for fewer than two distinct "
          "values."),
        C(r'''
def second_largest(nums: list[int]) -> int | None:
    distinct = sorted(set(nums))
    if len(distinct) < 2:
        return None
    return distinct[-2]

assert second_largest([4, 1, 3]) == 3
assert second_largest([5, 5, 3]) == 3, second_largest([5, 5, 3])
assert second_largest([7, 7]) is None
assert second_largest([]) is None
assert second_largest([-2, -1]) == -2
print("All tests passed.")
'''),
    ],
    "Deduplicate, sort, and return the runner-up if there is one.",
    r'''
def second_largest(nums: list[int]) -> int | None:
    distinct = sorted(set(nums))
    if len(distinct) < 2:
        return None
    return distinct[-2]
''',
)

seed(
    "Write `merge_sorted(a: list[int], b: list[int]) -> list[int]` merging two ascending lists "
    "into one ascending list in linear time (do not call `sorted`).",
    [
        T("Two indices, one per list; repeatedly take the smaller head."),
        C(r'''
def merge_sorted(a: list[int], b: list[int]) -> list[int]:
    i = j = 0
    out = []
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    return out

result = merge_sorted([1, 4, 9], [2, 3])
assert result == [1, 2, 3, 4, 9], result
assert merge_sorted([], [1, 2]) == [1, 2]
assert merge_sorted([1, 1], [1]) == [1, 1, 1]
print("All tests passed.")
''', raises="AssertionError"),
        T("The result stops at `[1, 2, 3]`: the loop ends as soon as one list is exhausted, and "
          "the remaining tail of the other list (`[4, 9]`) is dropped. Both tails must be "
          "appended after the loop (at most one is non-empty)."),
        C(r'''
def merge_sorted(a: list[int], b: list[int]) -> list[int]:
    i = j = 0
    out = []
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out

result = merge_sorted([1, 4, 9], [2, 3])
assert result == [1, 2, 3, 4, 9], result
assert merge_sorted([], [1, 2]) == [1, 2]
assert merge_sorted([1, 1], [1]) == [1, 1, 1]
print("All tests passed.")
'''),
    ],
    "The standard two-pointer merge, followed by the leftover tails.",
    r'''
def merge_sorted(a: list[int], b: list[int]) -> list[int]:
    i = j = 0
    out = []
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            out.append(a[i])
            i += 1
        else:
            out.append(b[j])
            j += 1
    out.extend(a[i:])
    out.extend(b[j:])
    return out
''',
)

seed(
    "Write `binary_search(xs: list[int], target: int) -> int` returning an index of `target` "
    "in the ascending list `xs`, or -1 if it is absent. It must run in O(log n).",
    [
        T("Keep an inclusive window `[lo, hi]` and halve it around the middle element."),
        C(r'''
def binary_search(xs: list[int], target: int) -> int:
    lo, hi = 0, len(xs) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1

assert binary_search([1, 3, 5, 7], 5) == 2
assert binary_search([1, 3, 5, 7], 7) == 3, binary_search([1, 3, 5, 7], 7)
assert binary_search([1, 3, 5, 7], 4) == -1
assert binary_search([], 1) == -1
assert binary_search([2], 2) == 0
print("All tests passed.")
''', raises="AssertionError"),
        T("Searching for 7 returned -1. The window is inclusive (`hi = len(xs) - 1`), but the "
          "loop runs only while `lo < hi`, so when the window narrows to one element (`lo == "
          "hi == 3`) that element is never compared. The condition must be `lo <= hi`."),
        C(r'''
def binary_search(xs: list[int], target: int) -> int:
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1

assert binary_search([1, 3, 5, 7], 5) == 2
assert binary_search([1, 3, 5, 7], 7) == 3, binary_search([1, 3, 5, 7], 7)
assert binary_search([1, 3, 5, 7], 4) == -1
assert binary_search([], 1) == -1
assert binary_search([2], 2) == 0
print("All tests passed.")
'''),
    ],
    "Binary search over an inclusive window, looping while it is non-empty.",
    r'''
def binary_search(xs: list[int], target: int) -> int:
    lo, hi = 0, len(xs) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if xs[mid] == target:
            return mid
        if xs[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
''',
)

seed(
    "Write `max_profit(prices: list[int]) -> int`: given daily prices, return the largest "
    "profit from buying on one day and selling on a later day. Return 0 when no profit is "
    "possible or there are fewer than two prices.",
    [
        T("One pass: track the lowest price so far and the best difference between today's "
          "price and that low."),
        C(r'''
def max_profit(prices: list[int]) -> int:
    if len(prices) < 2:
        return 0
    best = prices[1] - prices[0]
    low = prices[0]
    for p in prices[1:]:
        best = max(best, p - low)
        low = min(low, p)
    return best

assert max_profit([7, 1, 5, 3, 6, 4]) == 5
assert max_profit([9, 7, 4, 1]) == 0, max_profit([9, 7, 4, 1])
assert max_profit([3]) == 0
assert max_profit([2, 2]) == 0
print("All tests passed.")
''', raises="AssertionError"),
        T("Falling prices gave -2 instead of 0. `best` starts at the first day-to-day "
          "difference, which can be negative, and a loss is then reported as the best profit. "
          "Since not trading is allowed, `best` must start at 0."),
        C(r'''
def max_profit(prices: list[int]) -> int:
    if len(prices) < 2:
        return 0
    best = 0
    low = prices[0]
    for p in prices[1:]:
        best = max(best, p - low)
        low = min(low, p)
    return best

assert max_profit([7, 1, 5, 3, 6, 4]) == 5
assert max_profit([9, 7, 4, 1]) == 0, max_profit([9, 7, 4, 1])
assert max_profit([3]) == 0
assert max_profit([2, 2]) == 0
print("All tests passed.")
'''),
    ],
    "Track the lowest price so far; the best profit starts at zero.",
    r'''
def max_profit(prices: list[int]) -> int:
    if len(prices) < 2:
        return 0
    best = 0
    low = prices[0]
    for p in prices[1:]:
        best = max(best, p - low)
        low = min(low, p)
    return best
''',
)

seed(
    "Write `running_max(xs: list[float]) -> list[float]` where element `i` of the result is "
    "the maximum of `xs[:i + 1]`.",
    [
        T("Keep the current maximum and append it after each element."),
        C(r'''
def running_max(xs: list[float]) -> list[float]:
    out = []
    current = 0
    for x in xs:
        current = max(current, x)
        out.append(current)
    return out

assert running_max([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]
result = running_max([-3, -5, -1])
assert result == [-3, -3, -1], result
assert running_max([]) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("For all-negative input the result is `[0, 0, 0]`. Starting the running maximum at 0 "
          "assumes the values are non-negative; 0 is not an element of the list at all. It "
          "must start at minus infinity (or the first element)."),
        C(r'''
def running_max(xs: list[float]) -> list[float]:
    out = []
    current = float("-inf")
    for x in xs:
        current = max(current, x)
        out.append(current)
    return out

assert running_max([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]
result = running_max([-3, -5, -1])
assert result == [-3, -3, -1], result
assert running_max([]) == []
print("All tests passed.")
'''),
    ],
    "The running maximum starts at minus infinity.",
    r'''
def running_max(xs: list[float]) -> list[float]:
    out = []
    current = float("-inf")
    for x in xs:
        current = max(current, x)
        out.append(current)
    return out
''',
)

seed(
    "Write `transpose(matrix: list[list[int]]) -> list[list[int]]` returning the transpose of "
    "a rectangular matrix given as a list of rows (not necessarily square). The transpose of "
    "`[]` is `[]`.",
    [
        T("Element `[r][c]` moves to `[c][r]`; build the result with nested comprehensions."),
        C(r'''
def transpose(matrix: list[list[int]]) -> list[list[int]]:
    n = len(matrix)
    return [[matrix[r][c] for r in range(n)] for c in range(n)]

assert transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]
result = transpose([[1, 2, 3], [4, 5, 6]])
assert result == [[1, 4], [2, 5], [3, 6]], result
assert transpose([[1], [2], [3]]) == [[1, 2, 3]]
assert transpose([]) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("For the 2×3 matrix the third column is missing: I used `len(matrix)` for both "
          "dimensions, which only works for square matrices. The number of columns is "
          "`len(matrix[0])`."),
        C(r'''
def transpose(matrix: list[list[int]]) -> list[list[int]]:
    rows, cols = len(matrix), len(matrix[0])
    return [[matrix[r][c] for r in range(rows)] for c in range(cols)]

assert transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]
result = transpose([[1, 2, 3], [4, 5, 6]])
assert result == [[1, 4], [2, 5], [3, 6]], result
assert transpose([[1], [2], [3]]) == [[1, 2, 3]]
assert transpose([]) == []
print("All tests passed.")
''', raises="IndexError"),
        T("Non-square matrices work; now `transpose([])` raises `IndexError` because "
          "`matrix[0]` does not exist for an empty matrix. The empty matrix has to be handled "
          "before reading the first row."),
        C(r'''
def transpose(matrix: list[list[int]]) -> list[list[int]]:
    if not matrix:
        return []
    rows, cols = len(matrix), len(matrix[0])
    return [[matrix[r][c] for r in range(rows)] for c in range(cols)]

assert transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]
result = transpose([[1, 2, 3], [4, 5, 6]])
assert result == [[1, 4], [2, 5], [3, 6]], result
assert transpose([[1], [2], [3]]) == [[1, 2, 3]]
assert transpose([]) == []
print("All tests passed.")
'''),
    ],
    "Rows and columns are counted separately, and the empty matrix is handled first.",
    r'''
def transpose(matrix: list[list[int]]) -> list[list[int]]:
    if not matrix:
        return []
    rows, cols = len(matrix), len(matrix[0])
    return [[matrix[r][c] for r in range(rows)] for c in range(cols)]
''',
)

seed(
    "Write `spiral_order(matrix: list[list[int]]) -> list[int]` returning the elements of a "
    "rectangular matrix in clockwise spiral order starting at the top-left corner. An empty "
    "matrix gives an empty list.",
    [
        T("Keep four boundaries (top, bottom, left, right); walk the top row, the right "
          "column, the bottom row backwards and the left column upwards, shrinking the "
          "boundaries after each side."),
        C(r'''
def spiral_order(matrix: list[list[int]]) -> list[int]:
    out = []
    top, bottom = 0, len(matrix) - 1
    left, right = 0, len(matrix[0]) - 1
    while top <= bottom and left <= right:
        for c in range(left, right + 1):
            out.append(matrix[top][c])
        top += 1
        for r in range(top, bottom + 1):
            out.append(matrix[r][right])
        right -= 1
        for c in range(right, left - 1, -1):
            out.append(matrix[bottom][c])
        bottom -= 1
        for r in range(bottom, top - 1, -1):
            out.append(matrix[r][left])
        left += 1
    return out

assert spiral_order([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]
result = spiral_order([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
assert result == [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7], result
assert spiral_order([[1, 2, 3]]) == [1, 2, 3]
assert spiral_order([[1], [2], [3]]) == [1, 2, 3]
assert spiral_order([]) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("The 3×4 case repeats the 6 at the end. On the last lap only the middle row is left; "
          "after walking it left-to-right, `top` passes `bottom`, yet the bottom-row loop "
          "still runs and walks the same row back. The bottom row must only be walked while "
          "`top <= bottom`, and likewise the left column only while `left <= right`."),
        C(r'''
def spiral_order(matrix: list[list[int]]) -> list[int]:
    out = []
    top, bottom = 0, len(matrix) - 1
    left, right = 0, len(matrix[0]) - 1
    while top <= bottom and left <= right:
        for c in range(left, right + 1):
            out.append(matrix[top][c])
        top += 1
        for r in range(top, bottom + 1):
            out.append(matrix[r][right])
        right -= 1
        if top <= bottom:
            for c in range(right, left - 1, -1):
                out.append(matrix[bottom][c])
            bottom -= 1
        if left <= right:
            for r in range(bottom, top - 1, -1):
                out.append(matrix[r][left])
            left += 1
    return out

assert spiral_order([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]
result = spiral_order([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
assert result == [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7], result
assert spiral_order([[1, 2, 3]]) == [1, 2, 3]
assert spiral_order([[1], [2], [3]]) == [1, 2, 3]
assert spiral_order([]) == []
print("All tests passed.")
''', raises="IndexError"),
        T("All non-empty shapes pass. The empty matrix raises `IndexError` at "
          "`len(matrix[0])`, since there is no first row. I'll return `[]` for an empty "
          "matrix up front."),
        C(r'''
def spiral_order(matrix: list[list[int]]) -> list[int]:
    if not matrix:
        return []
    out = []
    top, bottom = 0, len(matrix) - 1
    left, right = 0, len(matrix[0]) - 1
    while top <= bottom and left <= right:
        for c in range(left, right + 1):
            out.append(matrix[top][c])
        top += 1
        for r in range(top, bottom + 1):
            out.append(matrix[r][right])
        right -= 1
        if top <= bottom:
            for c in range(right, left - 1, -1):
                out.append(matrix[bottom][c])
            bottom -= 1
        if left <= right:
            for r in range(bottom, top - 1, -1):
                out.append(matrix[r][left])
            left += 1
    return out

assert spiral_order([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) == [1, 2, 3, 6, 9, 8, 7, 4, 5]
result = spiral_order([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
assert result == [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7], result
assert spiral_order([[1, 2, 3]]) == [1, 2, 3]
assert spiral_order([[1], [2], [3]]) == [1, 2, 3]
assert spiral_order([]) == []
print("All tests passed.")
'''),
    ],
    "Four shrinking boundaries, with the return legs guarded so no row or column is walked "
    "twice.",
    r'''
def spiral_order(matrix: list[list[int]]) -> list[int]:
    if not matrix:
        return []
    out = []
    top, bottom = 0, len(matrix) - 1
    left, right = 0, len(matrix[0]) - 1
    while top <= bottom and left <= right:
        for c in range(left, right + 1):
            out.append(matrix[top][c])
        top += 1
        for r in range(top, bottom + 1):
            out.append(matrix[r][right])
        right -= 1
        if top <= bottom:
            for c in range(right, left - 1, -1):
                out.append(matrix[bottom][c])
            bottom -= 1
        if left <= right:
            for r in range(bottom, top - 1, -1):
                out.append(matrix[r][left])
            left += 1
    return out
''',
)

seed(
    "Write `top_k_frequent(items: list[str], k: int) -> list[str]` returning the `k` most "
    "frequent items, most frequent first. Items with equal counts are ordered by their first "
    "appearance in `items`.",
    [
        T("Count occurrences in a dict (which remembers first appearance), sort the keys by "
          "count and take the first `k`. Python's sort is stable, so ties keep first-"
          "appearance order."),
        C(r'''
def top_k_frequent(items: list[str], k: int) -> list[str]:
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return sorted(counts, key=lambda item: counts[item])[:k]

result = top_k_frequent(["a", "b", "b", "c", "c", "c"], 2)
assert result == ["c", "b"], result
assert top_k_frequent(["x", "y", "y", "x", "z"], 2) == ["x", "y"]
assert top_k_frequent([], 3) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("I got `['a', 'b']`, the two *least* frequent items: `sorted` is ascending, so the "
          "key has to be the negated count. Negating (rather than `reverse=True`) keeps the "
          "tie order by first appearance."),
        C(r'''
def top_k_frequent(items: list[str], k: int) -> list[str]:
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return sorted(counts, key=lambda item: -counts[item])[:k]

result = top_k_frequent(["a", "b", "b", "c", "c", "c"], 2)
assert result == ["c", "b"], result
assert top_k_frequent(["x", "y", "y", "x", "z"], 2) == ["x", "y"]
assert top_k_frequent([], 3) == []
print("All tests passed.")
'''),
    ],
    "Counts in first-appearance order, stably sorted by descending count.",
    r'''
def top_k_frequent(items: list[str], k: int) -> list[str]:
    counts = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return sorted(counts, key=lambda item: -counts[item])[:k]
''',
)

seed(
    "Write `interleave(*lists: list) -> list` that takes one element from each list in turn, "
    "skipping lists that have run out: `interleave([1, 2, 3], [\"a\"], [True, False])` is "
    "`[1, \"a\", True, 2, False, 3]`.",
    [
        T("`zip` groups the i-th elements of all lists; flattening the groups interleaves "
          "them."),
        C(r'''
def interleave(*lists: list) -> list:
    return [x for group in zip(*lists) for x in group]

result = interleave([1, 2, 3], ["a"], [True, False])
assert result == [1, "a", True, 2, False, 3], result
assert interleave([1, 2], [3, 4]) == [1, 3, 2, 4]
assert interleave() == []
print("All tests passed.")
''', raises="AssertionError"),
        T("Only `[1, 'a', True]` came back: `zip` stops at the shortest list, while the task "
          "wants the longer lists to continue. I'll iterate up to the longest length and take "
          "an element from each list that still has one."),
        C(r'''
def interleave(*lists: list) -> list:
    longest = max((len(lst) for lst in lists), default=0)
    out = []
    for i in range(longest):
        for lst in lists:
            if i < len(lst):
                out.append(lst[i])
    return out

result = interleave([1, 2, 3], ["a"], [True, False])
assert result == [1, "a", True, 2, False, 3], result
assert interleave([1, 2], [3, 4]) == [1, 3, 2, 4]
assert interleave() == []
print("All tests passed.")
'''),
    ],
    "Walk positions up to the longest list, taking from every list that is long enough.",
    r'''
def interleave(*lists: list) -> list:
    longest = max((len(lst) for lst in lists), default=0)
    out = []
    for i in range(longest):
        for lst in lists:
            if i < len(lst):
                out.append(lst[i])
    return out
''',
)

seed(
    "Write `find_missing(nums: list[int]) -> int`: `nums` holds the numbers 1..n with exactly "
    "one of them missing, in any order. Return the missing number.",
    [
        T("The sum 1..n is `n(n+1)/2`; the missing number is that sum minus the sum of the "
          "list."),
        C(r'''
def find_missing(nums: list[int]) -> int:
    n = len(nums)
    return n * (n + 1) // 2 - sum(nums)

result = find_missing([3, 1, 4])
assert result == 2, result
assert find_missing([1]) == 2
assert find_missing([2]) == 1
assert find_missing([]) == 1
print("All tests passed.")
''', raises="AssertionError"),
        T("`[3, 1, 4]` gave -2. Since one number is missing, the list has `n - 1` elements, so "
          "`n` is `len(nums) + 1`, not `len(nums)`; I summed 1..3 instead of 1..4."),
        C(r'''
def find_missing(nums: list[int]) -> int:
    n = len(nums) + 1
    return n * (n + 1) // 2 - sum(nums)

result = find_missing([3, 1, 4])
assert result == 2, result
assert find_missing([1]) == 2
assert find_missing([2]) == 1
assert find_missing([]) == 1
print("All tests passed.")
'''),
    ],
    "`n` is one more than the length; the gap between the full sum and the actual sum is the "
    "answer.",
    r'''
def find_missing(nums: list[int]) -> int:
    n = len(nums) + 1
    return n * (n + 1) // 2 - sum(nums)
''',
)

# ----------------------------------------------------------------------------------- dicts

seed(
    "Write `invert_dict(d: dict) -> dict` mapping each value of `d` to the list of keys that "
    "had that value, the keys listed in the order they appear in `d`.",
    [
        T("Loop over the items and record each key under its value."),
        C(r'''
def invert_dict(d: dict) -> dict:
    inverted = {}
    for key, value in d.items():
        inverted[value] = [key]
    return inverted

result = invert_dict({"a": 1, "b": 2, "c": 1})
assert result == {1: ["a", "c"], 2: ["b"]}, result
assert invert_dict({}) == {}
print("All tests passed.")
''', raises="AssertionError"),
        T("Value 1 maps to `['c']` only: each key *replaces* the list stored under its value, "
          "so earlier keys with the same value are lost. The key has to be appended to the "
          "existing list, creating it on first use."),
        C(r'''
def invert_dict(d: dict) -> dict:
    inverted = {}
    for key, value in d.items():
        inverted.setdefault(value, []).append(key)
    return inverted

result = invert_dict({"a": 1, "b": 2, "c": 1})
assert result == {1: ["a", "c"], 2: ["b"]}, result
assert invert_dict({}) == {}
print("All tests passed.")
'''),
    ],
    "Keys are appended to a per-value list created on first use.",
    r'''
def invert_dict(d: dict) -> dict:
    inverted = {}
    for key, value in d.items():
        inverted.setdefault(value, []).append(key)
    return inverted
''',
)

seed(
    "Write `deep_merge(base: dict, override: dict) -> dict` returning a new dict with the keys "
    "of both: a key present in both maps to the recursive merge of the two values when both "
    "are dicts, and to the value from `override` otherwise. Neither argument may be modified.",
    [
        T("Start from a copy of `base` and apply `override` on top. Tests check nested merging "
          "and that the inputs are left untouched."),
        C(r'''
def deep_merge(base: dict, override: dict) -> dict:
    return {**base, **override}

base = {"db": {"host": "localhost", "port": 5432}, "debug": False}
override = {"db": {"port": 6543}, "debug": True, "name": "app"}
merged = deep_merge(base, override)
assert merged == {"db": {"host": "localhost", "port": 6543}, "debug": True, "name": "app"}, merged
assert base == {"db": {"host": "localhost", "port": 5432}, "debug": False}, base
assert override == {"db": {"port": 6543}, "debug": True, "name": "app"}
assert deep_merge({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
print("All tests passed.")
''', raises="AssertionError"),
        T("`db` lost its `host`: dict unpacking replaces whole values, so the nested dict from "
          "`override` replaced the one from `base` instead of being merged into it. When both "
          "values are dicts the merge must recurse."),
        C(r'''
def deep_merge(base: dict, override: dict) -> dict:
    for key, value in override.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base

base = {"db": {"host": "localhost", "port": 5432}, "debug": False}
override = {"db": {"port": 6543}, "debug": True, "name": "app"}
merged = deep_merge(base, override)
assert merged == {"db": {"host": "localhost", "port": 6543}, "debug": True, "name": "app"}, merged
assert base == {"db": {"host": "localhost", "port": 5432}, "debug": False}, base
assert override == {"db": {"port": 6543}, "debug": True, "name": "app"}
assert deep_merge({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
print("All tests passed.")
''', raises="AssertionError"),
        T("The merge is right now, but `base` was modified: it shows `port` 6543, `debug` True "
          "and the new `name` key. The recursive version writes into `base` and its nested "
          "dicts in place. I'll build a fresh dict at every level instead (copying `base` "
          "shallowly and replacing merged sub-dicts with new ones)."),
        C(r'''
def deep_merge(base: dict, override: dict) -> dict:
    result = dict(base)
    for key, value in override.items():
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result

base = {"db": {"host": "localhost", "port": 5432}, "debug": False}
override = {"db": {"port": 6543}, "debug": True, "name": "app"}
merged = deep_merge(base, override)
assert merged == {"db": {"host": "localhost", "port": 6543}, "debug": True, "name": "app"}, merged
assert base == {"db": {"host": "localhost", "port": 5432}, "debug": False}, base
assert override == {"db": {"port": 6543}, "debug": True, "name": "app"}
assert deep_merge({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
print("All tests passed.")
'''),
    ],
    "Each level is a new dict; sub-dicts present on both sides are merged recursively.",
    r'''
def deep_merge(base: dict, override: dict) -> dict:
    result = dict(base)
    for key, value in override.items():
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result
''',
)

seed(
    "Write `add_tag(tag: str, tags: list[str] | None = None) -> list[str]` that appends `tag` "
    "to `tags` unless it is already there, and returns the list. When `tags` is not given, "
    "each call starts from a new empty list.",
    [
        T("Default `tags` to an empty list, append if missing, return it."),
        C(r'''
def add_tag(tag: str, tags: list[str] = []) -> list[str]:
    if tag not in tags:
        tags.append(tag)
    return tags

assert add_tag("a") == ["a"]
result = add_tag("b")
assert result == ["b"], result
mine = ["x"]
assert add_tag("y", mine) == ["x", "y"] and mine == ["x", "y"]
assert add_tag("x", mine) == ["x", "y"]
print("All tests passed.")
''', raises="AssertionError"),
        T("The second call returned `['a', 'b']`: the `[]` default is created once, when the "
          "function is defined, and shared by every call that omits `tags`, so tags leak "
          "from one call into the next. The usual fix is a `None` default and a new list "
          "inside the function."),
        C(r'''
def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:
    if tags is None:
        tags = []
    if tag not in tags:
        tags.append(tag)
    return tags

assert add_tag("a") == ["a"]
result = add_tag("b")
assert result == ["b"], result
mine = ["x"]
assert add_tag("y", mine) == ["x", "y"] and mine == ["x", "y"]
assert add_tag("x", mine) == ["x", "y"]
print("All tests passed.")
'''),
    ],
    "A `None` default gives every call without `tags` its own new list.",
    r'''
def add_tag(tag: str, tags: list[str] | None = None) -> list[str]:
    if tags is None:
        tags = []
    if tag not in tags:
        tags.append(tag)
    return tags
''',
)

seed(
    "Write `count_by(items: list, key) -> dict` returning how many items map to each value of "
    "`key(item)`, with the dict's keys in order of first appearance.",
    [
        T("Compute the key of each item and increment its counter."),
        C(r'''
def count_by(items: list, key) -> dict:
    counts = {}
    for item in items:
        counts[key(item)] += 1
    return counts

assert count_by(["apple", "avocado", "banana"], lambda w: w[0]) == {"a": 2, "b": 1}
assert count_by([1, 2, 3, 4, 5], lambda n: n % 2 == 0) == {False: 3, True: 2}
assert count_by([], len) == {}
print("All tests passed.")
''', raises="KeyError"),
        T("`KeyError: 'a'` on the very first item: `counts[k] += 1` reads `counts[k]` before "
          "writing it, and a key seen for the first time is not in the dict yet. The count "
          "must default to 0."),
        C(r'''
def count_by(items: list, key) -> dict:
    counts = {}
    for item in items:
        k = key(item)
        counts[k] = counts.get(k, 0) + 1
    return counts

assert count_by(["apple", "avocado", "banana"], lambda w: w[0]) == {"a": 2, "b": 1}
assert count_by([1, 2, 3, 4, 5], lambda n: n % 2 == 0) == {False: 3, True: 2}
assert count_by([], len) == {}
print("All tests passed.")
'''),
    ],
    "Counts default to zero for keys seen for the first time.",
    r'''
def count_by(items: list, key) -> dict:
    counts = {}
    for item in items:
        k = key(item)
        counts[k] = counts.get(k, 0) + 1
    return counts
''',
)

seed(
    "Write `nested_get(data: dict, path: str, default=None)` that follows a dotted path such "
    "as `\"a.b.c\"` through nested dicts and returns the value found there, or `default` if a "
    "key is missing or an intermediate value is not a dict.",
    [
        T("Split the path on dots and index one level per key."),
        C(r'''
def nested_get(data: dict, path: str, default=None):
    for key in path.split("."):
        data = data[key]
    return data

config = {"server": {"http": {"port": 8080}}, "name": "svc"}
assert nested_get(config, "server.http.port") == 8080
assert nested_get(config, "name") == "svc"
assert nested_get(config, "server.https.port", 443) == 443
assert nested_get(config, "server.http.port.number") is None
assert nested_get(config, "name.first") is None
print("All tests passed.")
''', raises="KeyError"),
        T("`KeyError: 'https'`: a missing key raises instead of producing the default. I'll "
          "check membership at each level and return `default` when the key is absent."),
        C(r'''
def nested_get(data: dict, path: str, default=None):
    for key in path.split("."):
        if key not in data:
            return default
        data = data[key]
    return data

config = {"server": {"http": {"port": 8080}}, "name": "svc"}
assert nested_get(config, "server.http.port") == 8080
assert nested_get(config, "name") == "svc"
assert nested_get(config, "server.https.port", 443) == 443
assert nested_get(config, "server.http.port.number") is None
assert nested_get(config, "name.first") is None
print("All tests passed.")
''', raises="TypeError"),
        T("Missing keys work; now `\"server.http.port.number\"` raises `TypeError: argument "
          "of type 'int' is not iterable`. The path runs past the leaf: at that step the "
          "current value is the port number 8080, and `key in 8080` is not a dict lookup. "
          "Before descending I must check that the current value is a dict."),
        C(r'''
def nested_get(data: dict, path: str, default=None):
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data

config = {"server": {"http": {"port": 8080}}, "name": "svc"}
assert nested_get(config, "server.http.port") == 8080
assert nested_get(config, "name") == "svc"
assert nested_get(config, "server.https.port", 443) == 443
assert nested_get(config, "server.http.port.number") is None
assert nested_get(config, "name.first") is None
print("All tests passed.")
'''),
    ],
    "Each step checks that the current value is a dict holding the next key.",
    r'''
def nested_get(data: dict, path: str, default=None):
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data
''',
)

seed(
    "Write `group_by_length(words: list[str]) -> dict[int, list[str]]` mapping each word length "
    "to the words of that length in input order. The keys of the returned dict must be in "
    "increasing order.",
    [
        T("Append each word to the list for its length with `setdefault`."),
        C(r'''
def group_by_length(words: list[str]) -> dict[int, list[str]]:
    groups = {}
    for word in words:
        groups.setdefault(len(word), []).append(word)
    return groups

result = group_by_length(["ccc", "a", "bb", "dd"])
assert result == {1: ["a"], 2: ["bb", "dd"], 3: ["ccc"]}
assert list(result) == [1, 2, 3], list(result)
assert group_by_length([]) == {}
print("All tests passed.")
''', raises="AssertionError"),
        T("The contents are right (dict equality ignores order) but the keys come out as "
          "`[3, 1, 2]`, the order in which lengths were first seen. The task asks for "
          "increasing keys, so I'll rebuild the dict from its items sorted by key."),
        C(r'''
def group_by_length(words: list[str]) -> dict[int, list[str]]:
    groups = {}
    for word in words:
        groups.setdefault(len(word), []).append(word)
    return dict(sorted(groups.items()))

result = group_by_length(["ccc", "a", "bb", "dd"])
assert result == {1: ["a"], 2: ["bb", "dd"], 3: ["ccc"]}
assert list(result) == [1, 2, 3], list(result)
assert group_by_length([]) == {}
print("All tests passed.")
'''),
    ],
    "Group by length, then rebuild the dict in increasing key order.",
    r'''
def group_by_length(words: list[str]) -> dict[int, list[str]]:
    groups = {}
    for word in words:
        groups.setdefault(len(word), []).append(word)
    return dict(sorted(groups.items()))
''',
)

seed(
    "Write `letter_grade(score: float) -> str`: 90 and above is `\"A\"`, 80 up to (not "
    "including) 90 is `\"B\"`, 70 up to 80 `\"C\"`, 60 up to 70 `\"D\"`, below 60 `\"F\"`. "
    "Scores outside 0..100 raise `ValueError`.",
    [
        T("Validate the range, then check the thresholds from the top down."),
        C(r'''
def letter_grade(score: float) -> str:
    if not 0 <= score <= 100:
        raise ValueError(f"score out of range: {score}")
    if score > 90:
        return "A"
    if score > 80:
        return "B"
    if score > 70:
        return "C"
    if score > 60:
        return "D"
    return "F"

assert letter_grade(95) == "A"
assert letter_grade(90) == "A", letter_grade(90)
assert letter_grade(89.5) == "B"
assert letter_grade(60) == "D"
assert letter_grade(0) == "F"
try:
    letter_grade(101)
except ValueError:
    pass
else:
    raise AssertionError("101 accepted")
print("All tests passed.")
''', raises="AssertionError"),
        T("A score of exactly 90 was graded `'B'`. The thresholds are inclusive (\"90 and "
          "above\"), but I compared with `>`, so each boundary score falls into the grade "
          "below. All comparisons must be `>=`."),
        C(r'''
def letter_grade(score: float) -> str:
    if not 0 <= score <= 100:
        raise ValueError(f"score out of range: {score}")
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    if score >= 60:
        return "D"
    return "F"

assert letter_grade(95) == "A"
assert letter_grade(90) == "A", letter_grade(90)
assert letter_grade(89.5) == "B"
assert letter_grade(60) == "D"
assert letter_grade(0) == "F"
try:
    letter_grade(101)
except ValueError:
    pass
else:
    raise AssertionError("101 accepted")
print("All tests passed.")
'''),
    ],
    "Inclusive lower thresholds, checked from the highest grade down.",
    r'''
def letter_grade(score: float) -> str:
    if not 0 <= score <= 100:
        raise ValueError(f"score out of range: {score}")
    if score >= 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    if score >= 60:
        return "D"
    return "F"
''',
)

seed(
    "Write `diff_dicts(old: dict, new: dict) -> tuple[list, list, list]` returning `(added, "
    "removed, changed)`: the sorted keys only in `new`, the sorted keys only in `old`, and the "
    "sorted keys present in both whose values differ. Keys are strings.",
    [
        T("Three comprehensions over the key sets, each sorted."),
        C(r'''
def diff_dicts(old: dict, new: dict) -> tuple[list, list, list]:
    added = sorted(k for k in new if k not in old)
    removed = sorted(k for k in old if k not in new)
    changed = sorted(k for k in new if old[k] != new[k])
    return added, removed, changed

old = {"a": 1, "b": 2, "c": 3}
new = {"b": 2, "c": 4, "d": 5}
assert diff_dicts(old, new) == (["d"], ["a"], ["c"])
assert diff_dicts({}, {}) == ([], [], [])
print("All tests passed.")
''', raises="KeyError"),
        T("`KeyError: 'd'` in the `changed` comprehension: it loops over every key of `new`, "
          "including the added key `d`, and looks it up in `old`. Only keys present in both "
          "dicts can have changed."),
        C(r'''
def diff_dicts(old: dict, new: dict) -> tuple[list, list, list]:
    added = sorted(k for k in new if k not in old)
    removed = sorted(k for k in old if k not in new)
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    return added, removed, changed

old = {"a": 1, "b": 2, "c": 3}
new = {"b": 2, "c": 4, "d": 5}
assert diff_dicts(old, new) == (["d"], ["a"], ["c"])
assert diff_dicts({}, {}) == ([], [], [])
print("All tests passed.")
'''),
    ],
    "Changed keys are restricted to those present in both dicts.",
    r'''
def diff_dicts(old: dict, new: dict) -> tuple[list, list, list]:
    added = sorted(k for k in new if k not in old)
    removed = sorted(k for k in old if k not in new)
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    return added, removed, changed
''',
)

seed(
    "Write `word_index(lines: list[str]) -> dict[str, list[int]]` mapping each lower-cased "
    "whitespace-separated word to the ascending list of 1-based line numbers on which it "
    "occurs, each line number listed once.",
    [
        T("Enumerate the lines, split each into lower-cased words and append the line number "
          "to each word's list."),
        C(r'''
def word_index(lines: list[str]) -> dict[str, list[int]]:
    index = {}
    for number, line in enumerate(lines):
        for word in line.lower().split():
            index.setdefault(word, []).append(number)
    return index

index = word_index(["the cat", "the the dog", "Cat"])
assert index["cat"] == [1, 3], index["cat"]
assert index["the"] == [1, 2], index["the"]
assert index["dog"] == [2]
assert word_index([]) == {}
print("All tests passed.")
''', raises="AssertionError"),
        T("`cat` maps to `[0, 2]`, each number one too small: `enumerate` counts from 0, but "
          "line numbers are 1-based. I'll pass `start=1`."),
        C(r'''
def word_index(lines: list[str]) -> dict[str, list[int]]:
    index = {}
    for number, line in enumerate(lines, start=1):
        for word in line.lower().split():
            index.setdefault(word, []).append(number)
    return index

index = word_index(["the cat", "the the dog", "Cat"])
assert index["cat"] == [1, 3], index["cat"]
assert index["the"] == [1, 2], index["the"]
assert index["dog"] == [2]
assert word_index([]) == {}
print("All tests passed.")
''', raises="AssertionError"),
        T("`the` maps to `[1, 2, 2]`: it occurs twice on line 2 and I append the line number "
          "once per occurrence. Since lines are processed in order, it is enough to skip the "
          "append when the list already ends with the current line number."),
        C(r'''
def word_index(lines: list[str]) -> dict[str, list[int]]:
    index = {}
    for number, line in enumerate(lines, start=1):
        for word in line.lower().split():
            numbers = index.setdefault(word, [])
            if not numbers or numbers[-1] != number:
                numbers.append(number)
    return index

index = word_index(["the cat", "the the dog", "Cat"])
assert index["cat"] == [1, 3], index["cat"]
assert index["the"] == [1, 2], index["the"]
assert index["dog"] == [2]
assert word_index([]) == {}
print("All tests passed.")
'''),
    ],
    "Line numbers start at 1 and a word's list grows at most once per line.",
    r'''
def word_index(lines: list[str]) -> dict[str, list[int]]:
    index = {}
    for number, line in enumerate(lines, start=1):
        for word in line.lower().split():
            numbers = index.setdefault(word, [])
            if not numbers or numbers[-1] != number:
                numbers.append(number)
    return index
''',
)

# ------------------------------------------------------------------------------------ math

seed(
    "Write `is_prime(n: int) -> bool` that tells whether the integer `n` is prime, by trial "
    "division up to the square root of `n`.",
    [
        T("Try every divisor from 2 up to the square root; if none divides `n`, it is prime."),
        C(r'''
def is_prime(n: int) -> bool:
    for d in range(2, int(n ** 0.5)):
        if n % d == 0:
            return False
    return True

assert is_prime(2) and is_prime(3) and is_prime(17)
assert not is_prime(9), "9 reported prime"
assert not is_prime(25)
assert not is_prime(1)
assert not is_prime(0) and not is_prime(-7)
print("All tests passed.")
''', raises="AssertionError"),
        T("9 is reported prime: `range(2, int(9 ** 0.5))` is `range(2, 3)`, which never tries "
          "3 itself. The square root must be included in the candidate divisors: "
          "`range(2, isqrt(n) + 1)`."),
        C(r'''
from math import isqrt

def is_prime(n: int) -> bool:
    for d in range(2, isqrt(n) + 1):
        if n % d == 0:
            return False
    return True

assert is_prime(2) and is_prime(3) and is_prime(17)
assert not is_prime(9), "9 reported prime"
assert not is_prime(25)
assert not is_prime(1)
assert not is_prime(0) and not is_prime(-7)
print("All tests passed.")
''', raises="AssertionError"),
        T("Squares are handled; now `is_prime(1)` returns True because the loop has no "
          "candidates and the function falls through. Numbers below 2 are not prime by "
          "definition and need an explicit check (it also keeps negative numbers away from "
          "`isqrt`)."),
        C(r'''
from math import isqrt

def is_prime(n: int) -> bool:
    if n < 2:
        return False
    for d in range(2, isqrt(n) + 1):
        if n % d == 0:
            return False
    return True

assert is_prime(2) and is_prime(3) and is_prime(17)
assert not is_prime(9), "9 reported prime"
assert not is_prime(25)
assert not is_prime(1)
assert not is_prime(0) and not is_prime(-7)
print("All tests passed.")
'''),
    ],
    "Numbers below 2 are rejected; otherwise try divisors up to and including `isqrt(n)`.",
    r'''
from math import isqrt


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    for d in range(2, isqrt(n) + 1):
        if n % d == 0:
            return False
    return True
''',
)

seed(
    "Write `digit_sum(n: int) -> int` returning the sum of the decimal digits of the integer "
    "`n`, ignoring its sign (`digit_sum(-123) == 6`).",
    [
        T("Turn the number into a string and add up its digits."),
        C(r'''
def digit_sum(n: int) -> int:
    return sum(int(c) for c in str(n))

assert digit_sum(123) == 6
assert digit_sum(0) == 0
assert digit_sum(-123) == 6
assert digit_sum(10 ** 20) == 1
print("All tests passed.")
''', raises="ValueError"),
        T("`digit_sum(-123)` raises `ValueError: invalid literal for int() with base 10: '-'`: "
          "the string of a negative number starts with a minus sign, which is not a digit. "
          "The sign is to be ignored, so I'll take the absolute value first."),
        C(r'''
def digit_sum(n: int) -> int:
    return sum(int(c) for c in str(abs(n)))

assert digit_sum(123) == 6
assert digit_sum(0) == 0
assert digit_sum(-123) == 6
assert digit_sum(10 ** 20) == 1
print("All tests passed.")
'''),
    ],
    "Sum the digits of the absolute value.",
    r'''
def digit_sum(n: int) -> int:
    return sum(int(c) for c in str(abs(n)))
''',
)

seed(
    "Write `fib_list(n: int) -> list[int]` returning the first `n` Fibonacci numbers, "
    "starting `0, 1, 1, 2, 3, ...`. `fib_list(0)` is `[]`.",
    [
        T("Start from `[0, 1]` and append sums of the last two until there are `n` numbers."),
        C(r'''
def fib_list(n: int) -> list[int]:
    seq = [0, 1]
    while len(seq) < n:
        seq.append(seq[-1] + seq[-2])
    return seq

assert fib_list(6) == [0, 1, 1, 2, 3, 5]
assert fib_list(1) == [0], fib_list(1)
assert fib_list(0) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("`fib_list(1)` returned `[0, 1]`: the seed list already has two numbers and the loop "
          "can only add, never remove, so `n` of 0 or 1 gets too many. Truncating to `n` "
          "fixes both small cases."),
        C(r'''
def fib_list(n: int) -> list[int]:
    seq = [0, 1]
    while len(seq) < n:
        seq.append(seq[-1] + seq[-2])
    return seq[:n]

assert fib_list(6) == [0, 1, 1, 2, 3, 5]
assert fib_list(1) == [0], fib_list(1)
assert fib_list(0) == []
print("All tests passed.")
'''),
    ],
    "Grow the sequence to `n` numbers and truncate for `n < 2`.",
    r'''
def fib_list(n: int) -> list[int]:
    seq = [0, 1]
    while len(seq) < n:
        seq.append(seq[-1] + seq[-2])
    return seq[:n]
''',
)

seed(
    "Write `binomial(n: int, k: int) -> int` returning the exact binomial coefficient "
    "C(n, k) for non-negative integers, and 0 when `k > n`. It must be exact for large values "
    "such as C(64, 32).",
    [
        T("Use the multiplicative formula: multiply by `(n - i) / (i + 1)` for `i` in "
          "`range(k)`."),
        C(r'''
def binomial(n: int, k: int) -> int:
    if k < 0 or k > n:
        return 0
    result = 1
    for i in range(k):
        result = result * (n - i) / (i + 1)
    return int(result)

assert binomial(5, 2) == 10
assert binomial(10, 0) == 1
assert binomial(3, 5) == 0
assert binomial(64, 32) == 1832624140942590534, binomial(64, 32)
print("All tests passed.")
''', raises="AssertionError"),
        T("C(64, 32) came out as 1832624140942591488, off by almost a thousand. `/` is float "
          "division, and a float has only 53 bits of mantissa, so values near 1.8e18 cannot "
          "be represented exactly. Doing the "
          "multiplication first and then an exact integer division keeps everything in "
          "integers: after step `i` the value is C(n, i + 1), so the division is always "
          "exact."),
        C(r'''
def binomial(n: int, k: int) -> int:
    if k < 0 or k > n:
        return 0
    result = 1
    for i in range(k):
        result = result * (n - i) // (i + 1)
    return result

assert binomial(5, 2) == 10
assert binomial(10, 0) == 1
assert binomial(3, 5) == 0
assert binomial(64, 32) == 1832624140942590534, binomial(64, 32)
print("All tests passed.")
'''),
    ],
    "The multiplicative formula in integer arithmetic; each division is exact.",
    r'''
def binomial(n: int, k: int) -> int:
    if k < 0 or k > n:
        return 0
    result = 1
    for i in range(k):
        result = result * (n - i) // (i + 1)
    return result
''',
)

seed(
    "Write `median(xs: list[float]) -> float` returning the median of a non-empty list (the "
    "mean of the two middle values when the length is even). The list may be unsorted and "
    "must not be modified. Raise `ValueError` for an empty list.",
    [
        T("Take the middle element, or the mean of the two middle elements for even lengths."),
        C(r'''
def median(xs: list[float]) -> float:
    n = len(xs)
    mid = n // 2
    if n % 2:
        return xs[mid]
    return (xs[mid - 1] + xs[mid]) // 2

assert median([3, 1, 2]) == 2, median([3, 1, 2])
assert median([4, 1, 3, 2]) == 2.5, median([4, 1, 3, 2])
data = [5, 3, 9]
assert median(data) == 5 and data == [5, 3, 9]
try:
    median([])
except ValueError:
    pass
else:
    raise AssertionError("no ValueError for []")
print("All tests passed.")
''', raises="AssertionError"),
        T("`median([3, 1, 2])` returned 1, the element in the middle *position*. The median "
          "is defined on the sorted values; I never sorted. I'll sort a copy (`sorted`), "
          "which leaves the input untouched."),
        C(r'''
def median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    mid = n // 2
    if n % 2:
        return xs[mid]
    return (xs[mid - 1] + xs[mid]) // 2

assert median([3, 1, 2]) == 2, median([3, 1, 2])
assert median([4, 1, 3, 2]) == 2.5, median([4, 1, 3, 2])
data = [5, 3, 9]
assert median(data) == 5 and data == [5, 3, 9]
try:
    median([])
except ValueError:
    pass
else:
    raise AssertionError("no ValueError for []")
print("All tests passed.")
''', raises="AssertionError"),
        T("Odd lengths work; the even case `[4, 1, 3, 2]` gives 2 instead of 2.5. The mean of "
          "the middle pair uses floor division `//`, which drops the `.5`. It must be true "
          "division `/`."),
        C(r'''
def median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    mid = n // 2
    if n % 2:
        return xs[mid]
    return (xs[mid - 1] + xs[mid]) / 2

assert median([3, 1, 2]) == 2, median([3, 1, 2])
assert median([4, 1, 3, 2]) == 2.5, median([4, 1, 3, 2])
data = [5, 3, 9]
assert median(data) == 5 and data == [5, 3, 9]
try:
    median([])
except ValueError:
    pass
else:
    raise AssertionError("no ValueError for []")
print("All tests passed.")
''', raises="IndexError"),
        T("The values are right; the empty list raises `IndexError` instead of `ValueError`: "
          "with `n == 0` the even branch reads `xs[-1]`. I'll raise `ValueError` explicitly "
          "for an empty list."),
        C(r'''
def median(xs: list[float]) -> float:
    if not xs:
        raise ValueError("median of an empty list")
    xs = sorted(xs)
    n = len(xs)
    mid = n // 2
    if n % 2:
        return xs[mid]
    return (xs[mid - 1] + xs[mid]) / 2

assert median([3, 1, 2]) == 2, median([3, 1, 2])
assert median([4, 1, 3, 2]) == 2.5, median([4, 1, 3, 2])
data = [5, 3, 9]
assert median(data) == 5 and data == [5, 3, 9]
try:
    median([])
except ValueError:
    pass
else:
    raise AssertionError("no ValueError for []")
print("All tests passed.")
'''),
    ],
    "Sort a copy, take the middle value or the true mean of the middle pair; reject empty "
    "input.",
    r'''
def median(xs: list[float]) -> float:
    if not xs:
        raise ValueError("median of an empty list")
    xs = sorted(xs)
    n = len(xs)
    mid = n // 2
    if n % 2:
        return xs[mid]
    return (xs[mid - 1] + xs[mid]) / 2
''',
)

seed(
    "Write `to_base(n: int, base: int) -> str` writing the integer `n` in the given base "
    "(2 to 36) with digits `0-9` then lowercase `a-z`. Negative numbers get a leading `-`, and "
    "zero is `\"0\"`.",
    [
        T("Repeatedly take `n % base` as the next (least significant) digit and divide."),
        C(r'''
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

def to_base(n: int, base: int) -> str:
    out = ""
    while n > 0:
        out = DIGITS[n % base] + out
        n //= base
    return out

assert to_base(255, 16) == "ff"
assert to_base(10, 2) == "1010"
assert to_base(0, 7) == "0", repr(to_base(0, 7))
assert to_base(-10, 2) == "-1010", repr(to_base(-10, 2))
assert to_base(35, 36) == "z"
print("All tests passed.")
''', raises="AssertionError"),
        T("`to_base(0, 7)` returned `''`: for zero the loop body never runs, so no digit is "
          "produced. Zero needs its own case."),
        C(r'''
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

def to_base(n: int, base: int) -> str:
    if n == 0:
        return "0"
    out = ""
    while n > 0:
        out = DIGITS[n % base] + out
        n //= base
    return out

assert to_base(255, 16) == "ff"
assert to_base(10, 2) == "1010"
assert to_base(0, 7) == "0", repr(to_base(0, 7))
assert to_base(-10, 2) == "-1010", repr(to_base(-10, 2))
assert to_base(35, 36) == "z"
print("All tests passed.")
''', raises="AssertionError"),
        T("Negative input also returns `''`, for the same reason: `while n > 0` is false from "
          "the start. I'll convert the absolute value and prepend the sign."),
        C(r'''
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

def to_base(n: int, base: int) -> str:
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    n = abs(n)
    out = ""
    while n > 0:
        out = DIGITS[n % base] + out
        n //= base
    return sign + out

assert to_base(255, 16) == "ff"
assert to_base(10, 2) == "1010"
assert to_base(0, 7) == "0", repr(to_base(0, 7))
assert to_base(-10, 2) == "-1010", repr(to_base(-10, 2))
assert to_base(35, 36) == "z"
print("All tests passed.")
'''),
    ],
    "Zero is special-cased and negative numbers are converted by absolute value plus a sign.",
    r'''
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def to_base(n: int, base: int) -> str:
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    n = abs(n)
    out = ""
    while n > 0:
        out = DIGITS[n % base] + out
        n //= base
    return sign + out
''',
)

seed(
    "Write `perfect_numbers(limit: int) -> list[int]` returning, in increasing order, the "
    "perfect numbers up to and including `limit`: numbers equal to the sum of their proper "
    "divisors (6 = 1 + 2 + 3).",
    [
        T("For every candidate, add up its divisors and compare with the number. A simple "
          "O(n²) loop is fine for small limits."),
        C(r'''
def perfect_numbers(limit: int) -> list[int]:
    found = []
    for n in range(2, limit + 1):
        if sum(d for d in range(1, n + 1) if n % d == 0) == n:
            found.append(n)
    return found

result = perfect_numbers(500)
assert result == [6, 28, 496], result
assert perfect_numbers(28) == [6, 28]
assert perfect_numbers(5) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("No number was found at all (`[]`). The divisor sum includes `n` itself because the "
          "range goes up to `n + 1`, so every sum exceeds `n`. *Proper* divisors exclude the "
          "number, so the range must stop at `n`."),
        C(r'''
def perfect_numbers(limit: int) -> list[int]:
    found = []
    for n in range(2, limit + 1):
        if sum(d for d in range(1, n) if n % d == 0) == n:
            found.append(n)
    return found

result = perfect_numbers(500)
assert result == [6, 28, 496], result
assert perfect_numbers(28) == [6, 28]
assert perfect_numbers(5) == []
print("All tests passed.")
'''),
    ],
    "Compare each number with the sum of its proper divisors (those below it).",
    r'''
def perfect_numbers(limit: int) -> list[int]:
    found = []
    for n in range(2, limit + 1):
        if sum(d for d in range(1, n) if n % d == 0) == n:
            found.append(n)
    return found
''',
)

seed(
    "Write `collatz_steps(n: int) -> int` returning how many steps the Collatz process "
    "(`n → n / 2` if `n` is even, `n → 3n + 1` if odd) takes to reach 1 from a positive "
    "integer `n`; `collatz_steps(1) == 0`. Raise `ValueError` for `n < 1`.",
    [
        T("Validate `n`, then iterate the rule and count the steps until reaching 1."),
        C(r'''
def collatz_steps(n: int) -> int:
    if n < 1:
        raise ValueError("n must be positive")
    steps = 0
    while True:
        steps += 1
        if n == 1:
            return steps
        n = n // 2 if n % 2 == 0 else 3 * n + 1

assert collatz_steps(6) == 8, collatz_steps(6)
assert collatz_steps(1) == 0
assert collatz_steps(27) == 111
try:
    collatz_steps(0)
except ValueError:
    pass
else:
    raise AssertionError("0 accepted")
print("All tests passed.")
''', raises="AssertionError"),
        T("`collatz_steps(6)` gave 9 instead of 8 (6→3→10→5→16→8→4→2→1 is eight moves). The "
          "counter is incremented before checking for 1, so the final value 1 is counted as a "
          "step too. Counting only actual moves, `while n != 1`, fixes it."),
        C(r'''
def collatz_steps(n: int) -> int:
    if n < 1:
        raise ValueError("n must be positive")
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps

assert collatz_steps(6) == 8, collatz_steps(6)
assert collatz_steps(1) == 0
assert collatz_steps(27) == 111
try:
    collatz_steps(0)
except ValueError:
    pass
else:
    raise AssertionError("0 accepted")
print("All tests passed.")
'''),
    ],
    "Count only the moves made before reaching 1.",
    r'''
def collatz_steps(n: int) -> int:
    if n < 1:
        raise ValueError("n must be positive")
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps
''',
)

seed(
    "Write `percent_change(old: float, new: float) -> float | None` returning the change from "
    "`old` to `new` in percent of `old`, rounded to 2 decimals, or `None` when `old` is 0.",
    [
        T("`(new - old) / old * 100`, rounded."),
        C(r'''
def percent_change(old: float, new: float) -> float | None:
    return round((new - old) / old * 100, 2)

assert percent_change(50, 75) == 50.0
assert percent_change(80, 60) == -25.0
assert percent_change(3, 4) == 33.33
assert percent_change(0, 5) is None
print("All tests passed.")
''', raises="ZeroDivisionError"),
        T("`percent_change(0, 5)` raised `ZeroDivisionError: division by zero`: I divide by "
          "`old` without handling the case the task singles out. A change relative to 0 is "
          "undefined, so return `None` before dividing."),
        C(r'''
def percent_change(old: float, new: float) -> float | None:
    if old == 0:
        return None
    return round((new - old) / old * 100, 2)

assert percent_change(50, 75) == 50.0
assert percent_change(80, 60) == -25.0
assert percent_change(3, 4) == 33.33
assert percent_change(0, 5) is None
print("All tests passed.")
'''),
    ],
    "Return `None` for a zero base before dividing.",
    r'''
def percent_change(old: float, new: float) -> float | None:
    if old == 0:
        return None
    return round((new - old) / old * 100, 2)
''',
)

seed(
    "Write `prime_factors(n: int) -> list[int]` returning the prime factorization of `n >= 2` "
    "as an ascending list with repetition (`prime_factors(12) == [2, 2, 3]`).",
    [
        T("Trial division: divide out each `d` while it divides `n`, for `d` up to the square "
          "root of what remains."),
        C(r'''
def prime_factors(n: int) -> list[int]:
    factors = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1
    return factors

assert prime_factors(8) == [2, 2, 2]
assert prime_factors(12) == [2, 2, 3], prime_factors(12)
assert prime_factors(13) == [13]
assert prime_factors(2 * 3 * 5 * 97) == [2, 3, 5, 97]
print("All tests passed.")
''', raises="AssertionError"),
        T("12 gave `[2, 2]`: after dividing out the 2s, `n` is 3 and `3 * 3 <= 3` is false, so "
          "the loop stops and the remaining prime 3 is never recorded. Whatever is left above "
          "1 after the loop is itself a prime factor and must be appended."),
        C(r'''
def prime_factors(n: int) -> list[int]:
    factors = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1
    if n > 1:
        factors.append(n)
    return factors

assert prime_factors(8) == [2, 2, 2]
assert prime_factors(12) == [2, 2, 3], prime_factors(12)
assert prime_factors(13) == [13]
assert prime_factors(2 * 3 * 5 * 97) == [2, 3, 5, 97]
print("All tests passed.")
'''),
    ],
    "Trial division up to the square root, plus the prime left over at the end.",
    r'''
def prime_factors(n: int) -> list[int]:
    factors = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1
    if n > 1:
        factors.append(n)
    return factors
''',
)

seed(
    "Write `pascal_row(n: int) -> list[int]` returning row `n` of Pascal's triangle, where "
    "row 0 is `[1]`, row 1 is `[1, 1]` and row 4 is `[1, 4, 6, 4, 1]`.",
    [
        T("Start from `[1]` and build each next row from sums of adjacent pairs."),
        C(r'''
def pascal_row(n: int) -> list[int]:
    row = [1]
    for _ in range(n - 1):
        row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
    return row

assert pascal_row(0) == [1]
assert pascal_row(1) == [1, 1], pascal_row(1)
assert pascal_row(4) == [1, 4, 6, 4, 1]
print("All tests passed.")
''', raises="AssertionError"),
        T("Row 1 came out as `[1]`: going from row 0 to row `n` takes `n` steps, but the loop "
          "runs `n - 1` times. Off by one; the loop should be `range(n)`."),
        C(r'''
def pascal_row(n: int) -> list[int]:
    row = [1]
    for _ in range(n):
        row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
    return row

assert pascal_row(0) == [1]
assert pascal_row(1) == [1, 1], pascal_row(1)
assert pascal_row(4) == [1, 4, 6, 4, 1]
print("All tests passed.")
'''),
    ],
    "Row `n` is `n` expansion steps away from `[1]`.",
    r'''
def pascal_row(n: int) -> list[int]:
    row = [1]
    for _ in range(n):
        row = [1] + [row[i] + row[i + 1] for i in range(len(row) - 1)] + [1]
    return row
''',
)

# --------------------------------------------------------------------------------- parsing

seed(
    "Write `parse_csv_line(line: str) -> list[str]` splitting one CSV line at commas. A field "
    "may be enclosed in double quotes, in which case it may contain commas, and a doubled "
    "quote `\"\"` inside it stands for one quote character. The enclosing quotes are removed. "
    "An empty line gives `[\"\"]`.",
    [
        T("A small state machine: track whether we are inside quotes; a comma outside quotes "
          "ends the current field. Tests cover plain fields, a quoted comma, escaped quotes, "
          "quoted fields at the end of the line, and the empty line."),
        C(r'''
def parse_csv_line(line: str) -> list[str]:
    fields, current, in_quotes = [], "", False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            fields.append(current)
            current = ""
        else:
            current += ch
    return fields

assert parse_csv_line("a,b,c") == ["a", "b", "c"], parse_csv_line("a,b,c")
assert parse_csv_line('"x, y",z') == ["x, y", "z"]
result = parse_csv_line('"He said ""hi""",ok')
assert result == ['He said "hi"', "ok"], result
assert parse_csv_line('"a","b"') == ["a", "b"]
assert parse_csv_line("") == [""]
assert parse_csv_line("a,") == ["a", ""]
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"a,b,c\"` gave `['a', 'b']`: a field is only stored when a comma follows it, so the "
          "last field of the line is dropped. It has to be appended after the loop (this also "
          "makes the empty line give `[\"\"]`)."),
        C(r'''
def parse_csv_line(line: str) -> list[str]:
    fields, current, in_quotes = [], "", False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            fields.append(current)
            current = ""
        else:
            current += ch
    fields.append(current)
    return fields

assert parse_csv_line("a,b,c") == ["a", "b", "c"], parse_csv_line("a,b,c")
assert parse_csv_line('"x, y",z') == ["x, y", "z"]
result = parse_csv_line('"He said ""hi""",ok')
assert result == ['He said "hi"', "ok"], result
assert parse_csv_line('"a","b"') == ["a", "b"]
assert parse_csv_line("") == [""]
assert parse_csv_line("a,") == ["a", ""]
print("All tests passed.")
''', raises="AssertionError"),
        T("Quoted commas work, but the escaped quotes vanished: `'He said hi'`. Every `\"` "
          "just toggles the quote state, so `\"\"` toggles twice and produces nothing. Inside "
          "quotes, a `\"` followed by another `\"` must emit one literal quote and skip both. "
          "That needs a look-ahead, so I'll switch to an index-based loop."),
        C(r'''
def parse_csv_line(line: str) -> list[str]:
    fields, current, in_quotes = [], "", False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            if in_quotes and line[i + 1] == '"':
                current += '"'
                i += 2
                continue
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            fields.append(current)
            current = ""
        else:
            current += ch
        i += 1
    fields.append(current)
    return fields

assert parse_csv_line("a,b,c") == ["a", "b", "c"], parse_csv_line("a,b,c")
assert parse_csv_line('"x, y",z') == ["x, y", "z"]
result = parse_csv_line('"He said ""hi""",ok')
assert result == ['He said "hi"', "ok"], result
assert parse_csv_line('"a","b"') == ["a", "b"]
assert parse_csv_line("") == [""]
assert parse_csv_line("a,") == ["a", ""]
print("All tests passed.")
''', raises="IndexError"),
        T("Escaped quotes work now; `'\"a\",\"b\"'` raises `IndexError: string index out of "
          "range`. The closing quote of the last field is the last character of the line, and "
          "the look-ahead `line[i + 1]` reads past the end. The look-ahead must check that a "
          "next character exists."),
        C(r'''
def parse_csv_line(line: str) -> list[str]:
    fields, current, in_quotes = [], "", False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            if in_quotes and i + 1 < len(line) and line[i + 1] == '"':
                current += '"'
                i += 2
                continue
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            fields.append(current)
            current = ""
        else:
            current += ch
        i += 1
    fields.append(current)
    return fields

assert parse_csv_line("a,b,c") == ["a", "b", "c"], parse_csv_line("a,b,c")
assert parse_csv_line('"x, y",z') == ["x, y", "z"]
result = parse_csv_line('"He said ""hi""",ok')
assert result == ['He said "hi"', "ok"], result
assert parse_csv_line('"a","b"') == ["a", "b"]
assert parse_csv_line("") == [""]
assert parse_csv_line("a,") == ["a", ""]
print("All tests passed.")
'''),
    ],
    "An index-based state machine with a bounds-checked look-ahead for doubled quotes.",
    r'''
def parse_csv_line(line: str) -> list[str]:
    fields, current, in_quotes = [], "", False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            if in_quotes and i + 1 < len(line) and line[i + 1] == '"':
                current += '"'
                i += 2
                continue
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            fields.append(current)
            current = ""
        else:
            current += ch
        i += 1
    fields.append(current)
    return fields
''',
)

seed(
    "Write `parse_query(qs: str) -> dict[str, list[str]]` parsing a URL query string such as "
    "`\"a=1&b=2&a=3\"` into `{\"a\": [\"1\", \"3\"], \"b\": [\"2\"]}`. Each pair is split at "
    "its first `=` only (values may contain `=`); a pair without `=` has the value `\"\"`; "
    "empty pairs (from `&&` or an empty string) are skipped. No percent-decoding is needed.",
    [
        T("Split on `&`, split each pair into key and value, and collect values per key."),
        C(r'''
def parse_query(qs: str) -> dict[str, list[str]]:
    result = {}
    for pair in qs.split("&"):
        key, value = pair.split("=")
        result.setdefault(key, []).append(value)
    return result

assert parse_query("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}
assert parse_query("token=abc==") == {"token": ["abc=="]}
assert parse_query("flag&x=1") == {"flag": [""], "x": ["1"]}
assert parse_query("x=1&&y=2") == {"x": ["1"], "y": ["2"]}
assert parse_query("") == {}
print("All tests passed.")
''', raises="ValueError"),
        T("`\"token=abc==\"` raises `ValueError: too many values to unpack (expected 2)`: "
          "`split(\"=\")` splits at *every* `=`, giving four parts. Only the first `=` "
          "separates key and value, so I'll use `split(\"=\", 1)`."),
        C(r'''
def parse_query(qs: str) -> dict[str, list[str]]:
    result = {}
    for pair in qs.split("&"):
        key, value = pair.split("=", 1)
        result.setdefault(key, []).append(value)
    return result

assert parse_query("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}
assert parse_query("token=abc==") == {"token": ["abc=="]}
assert parse_query("flag&x=1") == {"flag": [""], "x": ["1"]}
assert parse_query("x=1&&y=2") == {"x": ["1"], "y": ["2"]}
assert parse_query("") == {}
print("All tests passed.")
''', raises="ValueError"),
        T("Next failure: `\"flag&x=1\"` gives `ValueError: not enough values to unpack "
          "(expected 2, got 1)`, because a pair without `=` splits into one part. "
          "`str.partition` always returns three parts, with an empty value when there is no "
          "separator, which is exactly the required behaviour."),
        C(r'''
def parse_query(qs: str) -> dict[str, list[str]]:
    result = {}
    for pair in qs.split("&"):
        key, _, value = pair.partition("=")
        result.setdefault(key, []).append(value)
    return result

assert parse_query("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}
assert parse_query("token=abc==") == {"token": ["abc=="]}
assert parse_query("flag&x=1") == {"flag": [""], "x": ["1"]}
assert parse_query("x=1&&y=2") == {"x": ["1"], "y": ["2"]}
assert parse_query("") == {}
print("All tests passed.")
''', raises="AssertionError"),
        T("Now `\"x=1&&y=2\"` fails its assert: the empty pair between `&&` becomes an entry "
          "with key `\"\"`. The same happens for the empty query string, since "
          "`\"\".split(\"&\")` is `[\"\"]`. Empty pairs have to be skipped."),
        C(r'''
def parse_query(qs: str) -> dict[str, list[str]]:
    result = {}
    for pair in qs.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        result.setdefault(key, []).append(value)
    return result

assert parse_query("a=1&b=2&a=3") == {"a": ["1", "3"], "b": ["2"]}
assert parse_query("token=abc==") == {"token": ["abc=="]}
assert parse_query("flag&x=1") == {"flag": [""], "x": ["1"]}
assert parse_query("x=1&&y=2") == {"x": ["1"], "y": ["2"]}
assert parse_query("") == {}
print("All tests passed.")
'''),
    ],
    "Non-empty pairs are split with `partition`, at the first `=` only.",
    r'''
def parse_query(qs: str) -> dict[str, list[str]]:
    result = {}
    for pair in qs.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        result.setdefault(key, []).append(value)
    return result
''',
)

seed(
    "Write `parse_config(text: str) -> dict[str, str]` for lines of the form `key = value`. "
    "Keys and values are stripped of surrounding whitespace; blank lines and lines whose first "
    "non-blank character is `#` are ignored; a later key overrides an earlier one.",
    [
        T("Go line by line, skip blank and comment lines, split the rest at the first `=`."),
        C(r'''
def parse_config(text: str) -> dict[str, str]:
    config = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, value = line.split("=", 1)
        config[key.strip()] = value.strip()
    return config

text = """
# database
host = localhost
port=5432
    # an indented comment
host = db.internal
url = postgres://u@h/db?x=1
"""
result = parse_config(text)
assert result == {"host": "db.internal", "port": "5432", "url": "postgres://u@h/db?x=1"}, result
assert parse_config("") == {}
print("All tests passed.")
''', raises="ValueError"),
        T("`ValueError: not enough values to unpack (expected 2, got 1)` on the indented "
          "comment: `line.startswith(\"#\")` looks at the raw line, which starts with spaces, "
          "so the comment is treated as a `key = value` line without `=`. The comment test "
          "must use the stripped line."),
        C(r'''
def parse_config(text: str) -> dict[str, str]:
    config = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, value = stripped.split("=", 1)
        config[key.strip()] = value.strip()
    return config

text = """
# database
host = localhost
port=5432
    # an indented comment
host = db.internal
url = postgres://u@h/db?x=1
"""
result = parse_config(text)
assert result == {"host": "db.internal", "port": "5432", "url": "postgres://u@h/db?x=1"}, result
assert parse_config("") == {}
print("All tests passed.")
'''),
    ],
    "Comments and blank lines are recognised on the stripped line; the rest split at the first "
    "`=`.",
    r'''
def parse_config(text: str) -> dict[str, str]:
    config = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, value = stripped.split("=", 1)
        config[key.strip()] = value.strip()
    return config
''',
)

seed(
    "Write `eval_rpn(tokens: list[str]) -> int` evaluating an expression in reverse Polish "
    "notation with integer operands and the operators `+ - * /`, where `/` is integer "
    "division truncating toward zero (so `-7 / 2` is `-3`). Raise `ValueError` if the "
    "expression is malformed (an operator without two operands, or leftover operands).",
    [
        T("Push numbers on a stack; an operator pops two operands and pushes the result. At "
          "the end the stack holds the value."),
        C(r'''
def eval_rpn(tokens: list[str]) -> int:
    stack = []
    for tok in tokens:
        if tok in ("+", "-", "*", "/"):
            a = stack.pop()
            b = stack.pop()
            if tok == "+":
                stack.append(a + b)
            elif tok == "-":
                stack.append(a - b)
            elif tok == "*":
                stack.append(a * b)
            else:
                stack.append(a // b)
        else:
            stack.append(int(tok))
    return stack[0]

assert eval_rpn(["2", "3", "+"]) == 5
result = eval_rpn(["5", "1", "2", "+", "4", "*", "+", "3", "-"])
assert result == 14, result
assert eval_rpn(["-7", "2", "/"]) == -3, eval_rpn(["-7", "2", "/"])
assert eval_rpn(["7", "-2", "/"]) == -3
for bad in (["1", "+"], ["1", "2"]):
    try:
        eval_rpn(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {bad}")
print("All tests passed.")
''', raises="AssertionError"),
        T("The longer expression gave -14 instead of 14: the final `3 -` computed `3 - 17`. "
          "The first value popped is the *right* operand, because it was pushed last; I "
          "named them the other way round, which only matters for `-` and `/`."),
        C(r'''
def eval_rpn(tokens: list[str]) -> int:
    stack = []
    for tok in tokens:
        if tok in ("+", "-", "*", "/"):
            b = stack.pop()
            a = stack.pop()
            if tok == "+":
                stack.append(a + b)
            elif tok == "-":
                stack.append(a - b)
            elif tok == "*":
                stack.append(a * b)
            else:
                stack.append(a // b)
        else:
            stack.append(int(tok))
    return stack[0]

assert eval_rpn(["2", "3", "+"]) == 5
result = eval_rpn(["5", "1", "2", "+", "4", "*", "+", "3", "-"])
assert result == 14, result
assert eval_rpn(["-7", "2", "/"]) == -3, eval_rpn(["-7", "2", "/"])
assert eval_rpn(["7", "-2", "/"]) == -3
for bad in (["1", "+"], ["1", "2"]):
    try:
        eval_rpn(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {bad}")
print("All tests passed.")
''', raises="AssertionError"),
        T("`-7 / 2` gave -4. Python's `//` floors toward negative infinity, but the task asks "
          "for truncation toward zero. I'll divide the absolute values and apply the sign, "
          "which stays exact for big integers (unlike `int(a / b)`)."),
        C(r'''
def eval_rpn(tokens: list[str]) -> int:
    stack = []
    for tok in tokens:
        if tok in ("+", "-", "*", "/"):
            b = stack.pop()
            a = stack.pop()
            if tok == "+":
                stack.append(a + b)
            elif tok == "-":
                stack.append(a - b)
            elif tok == "*":
                stack.append(a * b)
            else:
                q = abs(a) // abs(b)
                stack.append(q if (a < 0) == (b < 0) else -q)
        else:
            stack.append(int(tok))
    return stack[0]

assert eval_rpn(["2", "3", "+"]) == 5
result = eval_rpn(["5", "1", "2", "+", "4", "*", "+", "3", "-"])
assert result == 14, result
assert eval_rpn(["-7", "2", "/"]) == -3, eval_rpn(["-7", "2", "/"])
assert eval_rpn(["7", "-2", "/"]) == -3
for bad in (["1", "+"], ["1", "2"]):
    try:
        eval_rpn(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {bad}")
print("All tests passed.")
''', raises="IndexError"),
        T("Arithmetic is right; the malformed `[\"1\", \"+\"]` raises `IndexError: pop from "
          "empty list` instead of `ValueError`. I never validated the stack: an operator "
          "needs two operands, and a well-formed expression leaves exactly one value (so "
          "`[\"1\", \"2\"]` must be rejected too, where `stack[0]` would silently return 1)."),
        C(r'''
def eval_rpn(tokens: list[str]) -> int:
    stack = []
    for tok in tokens:
        if tok in ("+", "-", "*", "/"):
            if len(stack) < 2:
                raise ValueError(f"operator {tok!r} needs two operands")
            b = stack.pop()
            a = stack.pop()
            if tok == "+":
                stack.append(a + b)
            elif tok == "-":
                stack.append(a - b)
            elif tok == "*":
                stack.append(a * b)
            else:
                q = abs(a) // abs(b)
                stack.append(q if (a < 0) == (b < 0) else -q)
        else:
            stack.append(int(tok))
    if len(stack) != 1:
        raise ValueError(f"malformed expression: {len(stack)} values left")
    return stack[0]

assert eval_rpn(["2", "3", "+"]) == 5
result = eval_rpn(["5", "1", "2", "+", "4", "*", "+", "3", "-"])
assert result == 14, result
assert eval_rpn(["-7", "2", "/"]) == -3, eval_rpn(["-7", "2", "/"])
assert eval_rpn(["7", "-2", "/"]) == -3
for bad in (["1", "+"], ["1", "2"]):
    try:
        eval_rpn(bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {bad}")
print("All tests passed.")
'''),
    ],
    "A stack evaluator with operand order kept, truncating division, and validation.",
    r'''
def eval_rpn(tokens: list[str]) -> int:
    stack = []
    for tok in tokens:
        if tok in ("+", "-", "*", "/"):
            if len(stack) < 2:
                raise ValueError(f"operator {tok!r} needs two operands")
            b = stack.pop()
            a = stack.pop()
            if tok == "+":
                stack.append(a + b)
            elif tok == "-":
                stack.append(a - b)
            elif tok == "*":
                stack.append(a * b)
            else:
                q = abs(a) // abs(b)
                stack.append(q if (a < 0) == (b < 0) else -q)
        else:
            stack.append(int(tok))
    if len(stack) != 1:
        raise ValueError(f"malformed expression: {len(stack)} values left")
    return stack[0]
''',
)

seed(
    "Write `to_24h(t: str) -> str` converting a 12-hour time such as `\"07:05 PM\"` to 24-hour "
    "form `\"19:05\"`. `\"12:00 AM\"` is midnight (`\"00:00\"`), `\"12:30 PM\"` is "
    "`\"12:30\"`, and the hour is always written with two digits.",
    [
        T("Split off the AM/PM marker, parse the hour, add 12 in the afternoon and format."),
        C(r'''
def to_24h(t: str) -> str:
    clock, period = t.split()
    hour, minute = clock.split(":")
    hour = int(hour)
    if period == "PM":
        hour += 12
    return f"{hour}:{minute}"

assert to_24h("07:05 PM") == "19:05"
assert to_24h("12:30 PM") == "12:30", to_24h("12:30 PM")
assert to_24h("12:00 AM") == "00:00", to_24h("12:00 AM")
assert to_24h("09:15 AM") == "09:15", to_24h("09:15 AM")
assert to_24h("11:59 PM") == "23:59"
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"12:30 PM\"` became `'24:30'`. 12 PM is noon, hour 12, so 12 must not be added "
          "when the hour is already 12."),
        C(r'''
def to_24h(t: str) -> str:
    clock, period = t.split()
    hour, minute = clock.split(":")
    hour = int(hour)
    if period == "PM" and hour != 12:
        hour += 12
    return f"{hour}:{minute}"

assert to_24h("07:05 PM") == "19:05"
assert to_24h("12:30 PM") == "12:30", to_24h("12:30 PM")
assert to_24h("12:00 AM") == "00:00", to_24h("12:00 AM")
assert to_24h("09:15 AM") == "09:15", to_24h("09:15 AM")
assert to_24h("11:59 PM") == "23:59"
print("All tests passed.")
''', raises="AssertionError"),
        T("Noon is right; midnight `\"12:00 AM\"` gives `'12:00'`. The mirror-image rule: "
          "12 AM is hour 0."),
        C(r'''
def to_24h(t: str) -> str:
    clock, period = t.split()
    hour, minute = clock.split(":")
    hour = int(hour)
    if period == "PM" and hour != 12:
        hour += 12
    elif period == "AM" and hour == 12:
        hour = 0
    return f"{hour}:{minute}"

assert to_24h("07:05 PM") == "19:05"
assert to_24h("12:30 PM") == "12:30", to_24h("12:30 PM")
assert to_24h("12:00 AM") == "00:00", to_24h("12:00 AM")
assert to_24h("09:15 AM") == "09:15", to_24h("09:15 AM")
assert to_24h("11:59 PM") == "23:59"
print("All tests passed.")
''', raises="AssertionError"),
        T("Midnight now prints as `'0:00'`: after `int()` the hour has lost its leading zero "
          "and `f\"{hour}\"` does not pad it. The hour must be formatted with two digits, "
          "`{hour:02d}`."),
        C(r'''
def to_24h(t: str) -> str:
    clock, period = t.split()
    hour, minute = clock.split(":")
    hour = int(hour)
    if period == "PM" and hour != 12:
        hour += 12
    elif period == "AM" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute}"

assert to_24h("07:05 PM") == "19:05"
assert to_24h("12:30 PM") == "12:30", to_24h("12:30 PM")
assert to_24h("12:00 AM") == "00:00", to_24h("12:00 AM")
assert to_24h("09:15 AM") == "09:15", to_24h("09:15 AM")
assert to_24h("11:59 PM") == "23:59"
print("All tests passed.")
'''),
    ],
    "12 AM maps to 0, PM hours other than 12 add 12, and the hour is zero-padded.",
    r'''
def to_24h(t: str) -> str:
    clock, period = t.split()
    hour, minute = clock.split(":")
    hour = int(hour)
    if period == "PM" and hour != 12:
        hour += 12
    elif period == "AM" and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute}"
''',
)

seed(
    "Write `tokenize(expr: str) -> list[str]` splitting an arithmetic expression into tokens: "
    "non-negative integers (possibly several digits), the operators `+ - * /` and "
    "parentheses. Spaces are skipped; any other character raises `ValueError`.",
    [
        T("Scan character by character, emitting operators and parentheses as tokens and "
          "digits as numbers."),
        C(r'''
def tokenize(expr: str) -> list[str]:
    tokens = []
    for ch in expr:
        if ch.isdigit() or ch in "+-*/()":
            tokens.append(ch)
        elif ch != " ":
            raise ValueError(f"unexpected character {ch!r}")
    return tokens

assert tokenize("3+4") == ["3", "+", "4"]
result = tokenize("12 * (30 - 4)")
assert result == ["12", "*", "(", "30", "-", "4", ")"], result
assert tokenize("") == []
try:
    tokenize("2 ^ 3")
except ValueError:
    pass
else:
    raise AssertionError("'^' accepted")
print("All tests passed.")
''', raises="AssertionError"),
        T("Multi-digit numbers were split into single digits: `['1', '2', '*', ...]`. Each "
          "digit is emitted as its own token. Consecutive digits must be accumulated into one "
          "number token that is flushed when a non-digit (or the end) arrives."),
        C(r'''
def tokenize(expr: str) -> list[str]:
    tokens = []
    number = ""
    for ch in expr:
        if ch.isdigit():
            number += ch
            continue
        if number:
            tokens.append(number)
            number = ""
        if ch in "+-*/()":
            tokens.append(ch)
        elif ch != " ":
            raise ValueError(f"unexpected character {ch!r}")
    if number:
        tokens.append(number)
    return tokens

assert tokenize("3+4") == ["3", "+", "4"]
result = tokenize("12 * (30 - 4)")
assert result == ["12", "*", "(", "30", "-", "4", ")"], result
assert tokenize("") == []
try:
    tokenize("2 ^ 3")
except ValueError:
    pass
else:
    raise AssertionError("'^' accepted")
print("All tests passed.")
'''),
    ],
    "Digits accumulate into a number token that is flushed at the next non-digit and at the "
    "end.",
    r'''
def tokenize(expr: str) -> list[str]:
    tokens = []
    number = ""
    for ch in expr:
        if ch.isdigit():
            number += ch
            continue
        if number:
            tokens.append(number)
            number = ""
        if ch in "+-*/()":
            tokens.append(ch)
        elif ch != " ":
            raise ValueError(f"unexpected character {ch!r}")
    if number:
        tokens.append(number)
    return tokens
''',
)

seed(
    "Write `parse_ranges(spec: str) -> list[int]` expanding a page-range specification such "
    "as `\"1-3,5,7-8\"` into `[1, 2, 3, 5, 7, 8]`. Ranges are inclusive, spaces around items "
    "are allowed, and the result follows the order of the specification.",
    [
        T("Split on commas; an item with a dash is a range `a-b`, otherwise a single page."),
        C(r'''
def parse_ranges(spec: str) -> list[int]:
    pages = []
    for item in spec.split(","):
        item = item.strip()
        if "-" in item:
            start, end = item.split("-")
            pages.extend(range(int(start), int(end)))
        else:
            pages.append(int(item))
    return pages

result = parse_ranges("1-3,5,7-8")
assert result == [1, 2, 3, 5, 7, 8], result
assert parse_ranges(" 4 , 10-10 ") == [4, 10]
print("All tests passed.")
''', raises="AssertionError"),
        T("The ranges lost their last page: `1-3` gave `1, 2` and `7-8` gave `7`. `range` "
          "excludes its end, but page ranges are inclusive, so the end must be `int(end) + 1`."),
        C(r'''
def parse_ranges(spec: str) -> list[int]:
    pages = []
    for item in spec.split(","):
        item = item.strip()
        if "-" in item:
            start, end = item.split("-")
            pages.extend(range(int(start), int(end) + 1))
        else:
            pages.append(int(item))
    return pages

result = parse_ranges("1-3,5,7-8")
assert result == [1, 2, 3, 5, 7, 8], result
assert parse_ranges(" 4 , 10-10 ") == [4, 10]
print("All tests passed.")
'''),
    ],
    "Inclusive ranges: the end page is part of the range.",
    r'''
def parse_ranges(spec: str) -> list[int]:
    pages = []
    for item in spec.split(","):
        item = item.strip()
        if "-" in item:
            start, end = item.split("-")
            pages.extend(range(int(start), int(end) + 1))
        else:
            pages.append(int(item))
    return pages
''',
)

seed(
    "Write `hex_to_rgb(color: str) -> tuple[int, int, int]` converting a hex color such as "
    "`\"#1a2B3c\"` to `(26, 43, 60)`. The leading `#` is optional, and the three-digit short "
    "form `\"#abc\"` means `\"#aabbcc\"`.",
    [
        T("Drop the `#` and parse the three two-character slices in base 16."),
        C(r'''
def hex_to_rgb(color: str) -> tuple[int, int, int]:
    h = color.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))

assert hex_to_rgb("#1a2B3c") == (26, 43, 60)
assert hex_to_rgb("ffffff") == (255, 255, 255)
assert hex_to_rgb("#abc") == (170, 187, 204)
print("All tests passed.")
''', raises="ValueError"),
        T("`\"#abc\"` raises `ValueError: invalid literal for int() with base 16: ''`: the short "
          "form has only three characters, so the third slice is empty. I didn't implement "
          "the short form; each of its digits must be doubled first."),
        C(r'''
def hex_to_rgb(color: str) -> tuple[int, int, int]:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))

assert hex_to_rgb("#1a2B3c") == (26, 43, 60)
assert hex_to_rgb("ffffff") == (255, 255, 255)
assert hex_to_rgb("#abc") == (170, 187, 204)
print("All tests passed.")
'''),
    ],
    "Short forms are expanded by doubling each digit before parsing three byte pairs.",
    r'''
def hex_to_rgb(color: str) -> tuple[int, int, int]:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
''',
)

# ------------------------------------------------------------------------------ algorithms

seed(
    "Write `insertion_sort(xs: list) -> list` returning a new ascending list, sorted with "
    "insertion sort. The input list must not be modified.",
    [
        T("Standard insertion sort: shift larger elements right and drop each element into "
          "its place. I'll also check that the input is untouched."),
        C(r'''
def insertion_sort(xs: list) -> list:
    for i in range(1, len(xs)):
        value = xs[i]
        j = i - 1
        while j >= 0 and xs[j] > value:
            xs[j + 1] = xs[j]
            j -= 1
        xs[j + 1] = value
    return xs

data = [3, 1, 2]
result = insertion_sort(data)
assert result == [1, 2, 3]
assert data == [3, 1, 2], data
assert insertion_sort([]) == []
assert insertion_sort([5, -1, 5, 0]) == [-1, 0, 5, 5]
print("All tests passed.")
''', raises="AssertionError"),
        T("The result is sorted, but `data` is now `[1, 2, 3]` too: the algorithm works in "
          "place on the list it was given and returns that same list. I'll sort a copy."),
        C(r'''
def insertion_sort(xs: list) -> list:
    xs = list(xs)
    for i in range(1, len(xs)):
        value = xs[i]
        j = i - 1
        while j >= 0 and xs[j] > value:
            xs[j + 1] = xs[j]
            j -= 1
        xs[j + 1] = value
    return xs

data = [3, 1, 2]
result = insertion_sort(data)
assert result == [1, 2, 3]
assert data == [3, 1, 2], data
assert insertion_sort([]) == []
assert insertion_sort([5, -1, 5, 0]) == [-1, 0, 5, 5]
print("All tests passed.")
'''),
    ],
    "Insertion sort on a copy, so the caller's list is left alone.",
    r'''
def insertion_sort(xs: list) -> list:
    xs = list(xs)
    for i in range(1, len(xs)):
        value = xs[i]
        j = i - 1
        while j >= 0 and xs[j] > value:
            xs[j + 1] = xs[j]
            j -= 1
        xs[j + 1] = value
    return xs
''',
)

seed(
    "Write `two_sum(nums: list[int], target: int) -> tuple[int, int] | None` returning indices "
    "`(i, j)` with `i < j` and `nums[i] + nums[j] == target`, choosing the pair with the "
    "smallest `j` and then the smallest `i`; return `None` if there is no such pair. An "
    "element cannot be paired with itself.",
    [
        T("Map each value to its index, then for each element look up its complement."),
        C(r'''
def two_sum(nums: list[int], target: int) -> tuple[int, int] | None:
    index = {x: i for i, x in enumerate(nums)}
    for i, x in enumerate(nums):
        j = index.get(target - x)
        if j is not None:
            return (i, j)
    return None

assert two_sum([2, 7, 11, 15], 9) == (0, 1)
assert two_sum([3, 5], 6) is None, two_sum([3, 5], 6)
assert two_sum([3, 3], 6) == (0, 1)
assert two_sum([1, 4, 2, 3], 5) == (0, 1)
print("All tests passed.")
''', raises="AssertionError"),
        T("`two_sum([3, 5], 6)` returned `(0, 0)`: 3's complement is 3 itself, and the lookup "
          "finds the same element. The index map also holds the *last* index of each value, "
          "which would break the ordering rule. A single pass fixes both: for each `j`, look "
          "the complement up among the elements *before* `j` (remembering each value's first "
          "index) and only then record `nums[j]`."),
        C(r'''
def two_sum(nums: list[int], target: int) -> tuple[int, int] | None:
    first_index = {}
    for j, x in enumerate(nums):
        i = first_index.get(target - x)
        if i is not None:
            return (i, j)
        first_index.setdefault(x, j)
    return None

assert two_sum([2, 7, 11, 15], 9) == (0, 1)
assert two_sum([3, 5], 6) is None, two_sum([3, 5], 6)
assert two_sum([3, 3], 6) == (0, 1)
assert two_sum([1, 4, 2, 3], 5) == (0, 1)
print("All tests passed.")
'''),
    ],
    "One pass that only pairs `nums[j]` with elements seen before it.",
    r'''
def two_sum(nums: list[int], target: int) -> tuple[int, int] | None:
    first_index = {}
    for j, x in enumerate(nums):
        i = first_index.get(target - x)
        if i is not None:
            return (i, j)
        first_index.setdefault(x, j)
    return None
''',
)

seed(
    "Write `flood_fill(grid: list[list[int]], row: int, col: int, color: int) -> "
    "list[list[int]]` returning a new grid in which the 4-connected region containing "
    "`(row, col)` (cells with the same value as that cell) is recolored to `color`. The input "
    "grid must not change.",
    [
        T("Copy the grid, remember the old color, and recursively recolor neighbours that "
          "still have it. If the new color equals the old one there is nothing to do."),
        C(r'''
def flood_fill(grid: list[list[int]], row: int, col: int, color: int) -> list[list[int]]:
    out = [r[:] for r in grid]
    old = out[row][col]
    if old == color:
        return out

    def fill(r: int, c: int) -> None:
        if r >= len(out) or c >= len(out[0]) or out[r][c] != old:
            return
        out[r][c] = color
        fill(r + 1, c)
        fill(r - 1, c)
        fill(r, c + 1)
        fill(r, c - 1)

    fill(row, col)
    return out

grid = [[1, 0, 1],
        [0, 0, 0],
        [1, 0, 1]]
result = flood_fill(grid, 0, 0, 2)
assert result == [[2, 0, 1], [0, 0, 0], [1, 0, 1]], result
assert flood_fill(grid, 1, 1, 5) == [[1, 5, 1], [5, 5, 5], [1, 5, 1]]
assert grid == [[1, 0, 1], [0, 0, 0], [1, 0, 1]]
print("All tests passed.")
''', raises="AssertionError"),
        T("The fill escaped its region: `(0, 0)` is isolated, yet the other three corners "
          "were recolored too. The bounds check only rejects indices past the end; `r - 1 = "
          "-1` passes it, and Python's negative indexing wraps around to the last row (and "
          "column), which also holds a 1. Negative indices have to be rejected as well."),
        C(r'''
def flood_fill(grid: list[list[int]], row: int, col: int, color: int) -> list[list[int]]:
    out = [r[:] for r in grid]
    old = out[row][col]
    if old == color:
        return out

    def fill(r: int, c: int) -> None:
        if not (0 <= r < len(out) and 0 <= c < len(out[0])) or out[r][c] != old:
            return
        out[r][c] = color
        fill(r + 1, c)
        fill(r - 1, c)
        fill(r, c + 1)
        fill(r, c - 1)

    fill(row, col)
    return out

grid = [[1, 0, 1],
        [0, 0, 0],
        [1, 0, 1]]
result = flood_fill(grid, 0, 0, 2)
assert result == [[2, 0, 1], [0, 0, 0], [1, 0, 1]], result
assert flood_fill(grid, 1, 1, 5) == [[1, 5, 1], [5, 5, 5], [1, 5, 1]]
assert grid == [[1, 0, 1], [0, 0, 0], [1, 0, 1]]
print("All tests passed.")
'''),
    ],
    "A recursive fill on a copy, with full bounds checks so negative indices never wrap.",
    r'''
def flood_fill(grid: list[list[int]], row: int, col: int, color: int) -> list[list[int]]:
    out = [r[:] for r in grid]
    old = out[row][col]
    if old == color:
        return out

    def fill(r: int, c: int) -> None:
        if not (0 <= r < len(out) and 0 <= c < len(out[0])) or out[r][c] != old:
            return
        out[r][c] = color
        fill(r + 1, c)
        fill(r - 1, c)
        fill(r, c + 1)
        fill(r, c - 1)

    fill(row, col)
    return out
''',
)

seed(
    "Write `topo_order(deps: dict[str, list[str]]) -> list[str]` where `deps[x]` lists the "
    "tasks that must run before task `x`. Return an order in which every task (including "
    "tasks that only appear as dependencies) comes after its dependencies; among tasks that "
    "are ready at the same time, take the alphabetically smallest first. Raise `ValueError` "
    "if there is a cycle.",
    [
        T("Kahn's algorithm with a heap: count unmet dependencies per task, start with the "
          "tasks that have none, and release dependants as tasks are emitted."),
        C(r'''
import heapq

def topo_order(deps: dict[str, list[str]]) -> list[str]:
    pending = {task: len(before) for task, before in deps.items()}
    dependants = {}
    for task, before in deps.items():
        for b in before:
            dependants.setdefault(b, []).append(task)
    ready = [t for t, n in pending.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        t = heapq.heappop(ready)
        order.append(t)
        for u in dependants.get(t, []):
            pending[u] -= 1
            if pending[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(pending):
        raise ValueError("dependency cycle")
    return order

assert topo_order({"a": [], "b": ["a"], "c": ["a"], "d": ["c", "b"]}) == ["a", "b", "c", "d"]
assert topo_order({"build": ["compile"], "compile": ["fetch"], "test": ["build"]}) == [
    "fetch", "compile", "build", "test"]
try:
    topo_order({"x": ["y"], "y": ["x"]})
except ValueError:
    pass
else:
    raise AssertionError("cycle not detected")
print("All tests passed.")
''', raises="ValueError"),
        T("The second graph has no cycle, yet it raised `ValueError: dependency cycle`. "
          "`fetch` only appears as a dependency, so it never got an entry in `pending`: it is "
          "never ready, `compile` waits for it forever, and nothing is emitted. Every task "
          "named anywhere must be in `pending`, with zero unmet dependencies if it has no "
          "entry of its own."),
        C(r'''
import heapq

def topo_order(deps: dict[str, list[str]]) -> list[str]:
    pending = {task: len(before) for task, before in deps.items()}
    dependants = {}
    for task, before in deps.items():
        for b in before:
            pending.setdefault(b, 0)
            dependants.setdefault(b, []).append(task)
    ready = [t for t, n in pending.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        t = heapq.heappop(ready)
        order.append(t)
        for u in dependants.get(t, []):
            pending[u] -= 1
            if pending[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(pending):
        raise ValueError("dependency cycle")
    return order

assert topo_order({"a": [], "b": ["a"], "c": ["a"], "d": ["c", "b"]}) == ["a", "b", "c", "d"]
assert topo_order({"build": ["compile"], "compile": ["fetch"], "test": ["build"]}) == [
    "fetch", "compile", "build", "test"]
try:
    topo_order({"x": ["y"], "y": ["x"]})
except ValueError:
    pass
else:
    raise AssertionError("cycle not detected")
print("All tests passed.")
'''),
    ],
    "Kahn's algorithm over every task mentioned, with a heap for alphabetical tie-breaking.",
    r'''
import heapq


def topo_order(deps: dict[str, list[str]]) -> list[str]:
    pending = {task: len(before) for task, before in deps.items()}
    dependants = {}
    for task, before in deps.items():
        for b in before:
            pending.setdefault(b, 0)
            dependants.setdefault(b, []).append(task)
    ready = [t for t, n in pending.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        t = heapq.heappop(ready)
        order.append(t)
        for u in dependants.get(t, []):
            pending[u] -= 1
            if pending[u] == 0:
                heapq.heappush(ready, u)
    if len(order) != len(pending):
        raise ValueError("dependency cycle")
    return order
''',
)

seed(
    "Write `levenshtein(a: str, b: str) -> int` returning the edit distance between two "
    "strings (minimum number of single-character insertions, deletions and substitutions).",
    [
        T("Dynamic programming over prefixes, keeping only the previous row: "
          "`cur[j] = min(prev[j] + 1, cur[j-1] + 1, prev[j-1] + (a[i] != b[j]))`."),
        C(r'''
def levenshtein(a: str, b: str) -> int:
    prev = [0] * (len(b) + 1)
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]

assert levenshtein("kitten", "sitting") == 3, levenshtein("kitten", "sitting")
assert levenshtein("", "abc") == 3, levenshtein("", "abc")
assert levenshtein("abc", "") == 3
assert levenshtein("flaw", "lawn") == 2
assert levenshtein("same", "same") == 0
print("All tests passed.")
''', raises="AssertionError"),
        T("`kitten`/`sitting` passes but `levenshtein(\"\", \"abc\")` gives 0. The first row "
          "is the distance from the empty prefix of `a` to each prefix of `b`, which is `j` "
          "insertions, not 0; with zeros the row claims any prefix of `b` is free to produce. "
          "It must be initialised to `range(len(b) + 1)`."),
        C(r'''
def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]

assert levenshtein("kitten", "sitting") == 3, levenshtein("kitten", "sitting")
assert levenshtein("", "abc") == 3, levenshtein("", "abc")
assert levenshtein("abc", "") == 3
assert levenshtein("flaw", "lawn") == 2
assert levenshtein("same", "same") == 0
print("All tests passed.")
'''),
    ],
    "The row-by-row edit-distance table, with the first row counting insertions.",
    r'''
def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
''',
)

seed(
    "Write `min_coins(coins: list[int], amount: int) -> int` returning the fewest coins "
    "(unlimited supply of each positive denomination) that add up to `amount`, or -1 if the "
    "amount cannot be made. `min_coins(coins, 0)` is 0.",
    [
        T("Bottom-up DP: `best[x]` is the fewest coins for amount `x`, built from "
          "`best[x - c] + 1` over the coins."),
        C(r'''
def min_coins(coins: list[int], amount: int) -> int:
    best = [0] + [float("inf")] * amount
    for x in range(1, amount + 1):
        for c in coins:
            if c <= x:
                best[x] = min(best[x], best[x - c] + 1)
    return best[amount]

assert min_coins([1, 2, 5], 11) == 3
assert min_coins([4, 3, 1], 6) == 2
assert min_coins([2], 3) == -1, min_coins([2], 3)
assert min_coins([7], 0) == 0
print("All tests passed.")
''', raises="AssertionError"),
        T("An impossible amount returns `inf` instead of -1: infinity is the DP's marker for "
          "\"unreachable\" and I returned it as is. It has to be translated to -1 at the end."),
        C(r'''
def min_coins(coins: list[int], amount: int) -> int:
    best = [0] + [float("inf")] * amount
    for x in range(1, amount + 1):
        for c in coins:
            if c <= x:
                best[x] = min(best[x], best[x - c] + 1)
    return -1 if best[amount] == float("inf") else best[amount]

assert min_coins([1, 2, 5], 11) == 3
assert min_coins([4, 3, 1], 6) == 2
assert min_coins([2], 3) == -1, min_coins([2], 3)
assert min_coins([7], 0) == 0
print("All tests passed.")
'''),
    ],
    "Bottom-up DP with infinity for unreachable amounts, reported as -1.",
    r'''
def min_coins(coins: list[int], amount: int) -> int:
    best = [0] + [float("inf")] * amount
    for x in range(1, amount + 1):
        for c in coins:
            if c <= x:
                best[x] = min(best[x], best[x - c] + 1)
    return -1 if best[amount] == float("inf") else best[amount]
''',
)

seed(
    "Write `is_valid_ipv4(s: str) -> bool`, true when `s` consists of exactly four decimal "
    "numbers from 0 to 255 separated by dots, without leading zeros (`\"0\"` is fine, `\"01\"` "
    "is not), signs or spaces.",
    [
        T("Split on dots, require four parts, and check each part's numeric range."),
        C(r'''
def is_valid_ipv4(s: str) -> bool:
    parts = s.split(".")
    if len(parts) != 4:
        return False
    return all(0 <= int(p) <= 255 for p in parts)

assert is_valid_ipv4("192.168.0.1")
assert is_valid_ipv4("0.0.0.0")
assert not is_valid_ipv4("256.1.1.1")
assert not is_valid_ipv4("1.2.3")
assert not is_valid_ipv4("01.2.3.4"), "leading zero accepted"
assert not is_valid_ipv4("1.+2.3.4")
assert not is_valid_ipv4("1..2.3")
print("All tests passed.")
''', raises="AssertionError"),
        T("`\"01.2.3.4\"` is accepted: `int(\"01\")` is 1, so the conversion hides the leading "
          "zero. A part is canonical only if it equals `str(int(part))`; that also rejects "
          "signs and spaces, which `int` would tolerate."),
        C(r'''
def is_valid_ipv4(s: str) -> bool:
    parts = s.split(".")
    if len(parts) != 4:
        return False
    return all(p == str(int(p)) and 0 <= int(p) <= 255 for p in parts)

assert is_valid_ipv4("192.168.0.1")
assert is_valid_ipv4("0.0.0.0")
assert not is_valid_ipv4("256.1.1.1")
assert not is_valid_ipv4("1.2.3")
assert not is_valid_ipv4("01.2.3.4"), "leading zero accepted"
assert not is_valid_ipv4("1.+2.3.4")
assert not is_valid_ipv4("1..2.3")
print("All tests passed.")
''', raises="ValueError"),
        T("`\"1..2.3\"` raises `ValueError: invalid literal for int() with base 10: ''`: the "
          "empty part between the two dots reaches `int()`. Non-numeric parts must be "
          "rejected before converting; `p.isdecimal()` does that (and short-circuits the "
          "`and`). I'll prefer it to `isdigit()`, which also accepts characters like `²` "
          "that `int()` refuses."),
        C(r'''
def is_valid_ipv4(s: str) -> bool:
    parts = s.split(".")
    if len(parts) != 4:
        return False
    return all(p.isdecimal() and p == str(int(p)) and int(p) <= 255 for p in parts)

assert is_valid_ipv4("192.168.0.1")
assert is_valid_ipv4("0.0.0.0")
assert not is_valid_ipv4("256.1.1.1")
assert not is_valid_ipv4("1.2.3")
assert not is_valid_ipv4("01.2.3.4"), "leading zero accepted"
assert not is_valid_ipv4("1.+2.3.4")
assert not is_valid_ipv4("1..2.3")
print("All tests passed.")
'''),
    ],
    "Four parts, each made of decimal digits, canonical (no leading zero) and at most 255.",
    r'''
def is_valid_ipv4(s: str) -> bool:
    parts = s.split(".")
    if len(parts) != 4:
        return False
    return all(p.isdecimal() and p == str(int(p)) and int(p) <= 255 for p in parts)
''',
)

seed(
    "Write `luhn_valid(number: str) -> bool` implementing the Luhn checksum: spaces are "
    "ignored; starting from the rightmost digit, every second digit is doubled (subtracting 9 "
    "when the result exceeds 9) and all digits are summed; the number is valid when the sum is "
    "a multiple of 10. Strings with fewer than two digits, or with characters other than "
    "digits and spaces, are invalid.",
    [
        T("Collect the digits, double every second one and check the sum modulo 10."),
        C(r'''
def luhn_valid(number: str) -> bool:
    digits = number.replace(" ", "")
    if len(digits) < 2 or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0

assert luhn_valid("79927398713")
assert not luhn_valid("79927398710")
assert luhn_valid("4539 3195 0343 6467"), "valid 16-digit number rejected"
assert luhn_valid("18")
assert not luhn_valid("0")
assert not luhn_valid("12a4")
print("All tests passed.")
''', raises="AssertionError"),
        T("The 11-digit example passes but the valid 16-digit number is rejected. I doubled "
          "every second digit counting from the *left*; that coincides with counting from the "
          "right only for odd lengths. The positions must be counted from the rightmost digit, "
          "so I'll iterate over the reversed digits."),
        C(r'''
def luhn_valid(number: str) -> bool:
    digits = number.replace(" ", "")
    if len(digits) < 2 or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0

assert luhn_valid("79927398713")
assert not luhn_valid("79927398710")
assert luhn_valid("4539 3195 0343 6467"), "valid 16-digit number rejected"
assert luhn_valid("18")
assert not luhn_valid("0")
assert not luhn_valid("12a4")
print("All tests passed.")
'''),
    ],
    "Every second digit counted from the right is doubled.",
    r'''
def luhn_valid(number: str) -> bool:
    digits = number.replace(" ", "")
    if len(digits) < 2 or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
''',
)

seed(
    "Write `matmul(a: list[list[int]], b: list[list[int]]) -> list[list[int]]` multiplying "
    "two matrices given as lists of rows. Raise `ValueError` if the number of columns of `a` "
    "differs from the number of rows of `b`.",
    [
        T("Entry `(i, j)` is the dot product of row `i` of `a` with column `j` of `b`."),
        C(r'''
def matmul(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    if len(a[0]) != len(b):
        raise ValueError("shape mismatch")
    n, p = len(a), len(b[0])
    return [[sum(a[i][k] * b[k][j] for k in range(n)) for j in range(p)] for i in range(n)]

assert matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]
result = matmul([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, 1], [1, 1]])
assert result == [[4, 5], [10, 11]], result
try:
    matmul([[1, 2]], [[1, 2]])
except ValueError:
    pass
else:
    raise AssertionError("shape mismatch not detected")
print("All tests passed.")
''', raises="AssertionError"),
        T("Square matrices work, but the 2×3 by 3×2 product is `[[1, 2], [4, 5]]`, missing the "
          "third term of every dot product. The inner sum runs over `range(n)`, the number of "
          "rows of `a`, instead of the shared dimension `len(b)` (the columns of `a`)."),
        C(r'''
def matmul(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    if len(a[0]) != len(b):
        raise ValueError("shape mismatch")
    n, m, p = len(a), len(b), len(b[0])
    return [[sum(a[i][k] * b[k][j] for k in range(m)) for j in range(p)] for i in range(n)]

assert matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]) == [[19, 22], [43, 50]]
result = matmul([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, 1], [1, 1]])
assert result == [[4, 5], [10, 11]], result
try:
    matmul([[1, 2]], [[1, 2]])
except ValueError:
    pass
else:
    raise AssertionError("shape mismatch not detected")
print("All tests passed.")
'''),
    ],
    "Dot products over the shared dimension, after checking the shapes agree.",
    r'''
def matmul(a: list[list[int]], b: list[list[int]]) -> list[list[int]]:
    if len(a[0]) != len(b):
        raise ValueError("shape mismatch")
    n, m, p = len(a), len(b), len(b[0])
    return [[sum(a[i][k] * b[k][j] for k in range(m)) for j in range(p)] for i in range(n)]
''',
)

seed(
    "Write `longest_increasing_run(xs: list[int]) -> int` returning the length of the longest "
    "run of consecutive, strictly increasing elements of `xs` (0 for an empty list).",
    [
        T("Walk the list, extending the current run while each element exceeds the previous "
          "one and recording the best run when it breaks."),
        C(r'''
def longest_increasing_run(xs: list[int]) -> int:
    best = run = 0
    for i in range(1, len(xs)):
        if xs[i] > xs[i - 1]:
            run += 1
        else:
            best = max(best, run)
            run = 1
    return best

assert longest_increasing_run([1, 2, 3, 1, 2]) == 3, longest_increasing_run([1, 2, 3, 1, 2])
assert longest_increasing_run([5, 1, 2, 3, 4]) == 4, longest_increasing_run([5, 1, 2, 3, 4])
assert longest_increasing_run([3, 3, 3]) == 1
assert longest_increasing_run([]) == 0, longest_increasing_run([])
print("All tests passed.")
''', raises="AssertionError"),
        T("`[1, 2, 3, 1, 2]` gave 2: the run `1, 2, 3` was counted as 2. The run starts at 0 "
          "and is incremented once per *step*, so it counts the comparisons, not the "
          "elements; the first element is never counted. The initial run is 1."),
        C(r'''
def longest_increasing_run(xs: list[int]) -> int:
    best = 0
    run = 1
    for i in range(1, len(xs)):
        if xs[i] > xs[i - 1]:
            run += 1
        else:
            best = max(best, run)
            run = 1
    return best

assert longest_increasing_run([1, 2, 3, 1, 2]) == 3, longest_increasing_run([1, 2, 3, 1, 2])
assert longest_increasing_run([5, 1, 2, 3, 4]) == 4, longest_increasing_run([5, 1, 2, 3, 4])
assert longest_increasing_run([3, 3, 3]) == 1
assert longest_increasing_run([]) == 0, longest_increasing_run([])
print("All tests passed.")
''', raises="AssertionError"),
        T("Now `[5, 1, 2, 3, 4]` gives 1: the longest run is still going when the list ends, "
          "and `best` is only updated when a run breaks. The final run has to be compared "
          "after the loop."),
        C(r'''
def longest_increasing_run(xs: list[int]) -> int:
    best = 0
    run = 1
    for i in range(1, len(xs)):
        if xs[i] > xs[i - 1]:
            run += 1
        else:
            best = max(best, run)
            run = 1
    return max(best, run)

assert longest_increasing_run([1, 2, 3, 1, 2]) == 3, longest_increasing_run([1, 2, 3, 1, 2])
assert longest_increasing_run([5, 1, 2, 3, 4]) == 4, longest_increasing_run([5, 1, 2, 3, 4])
assert longest_increasing_run([3, 3, 3]) == 1
assert longest_increasing_run([]) == 0, longest_increasing_run([])
print("All tests passed.")
''', raises="AssertionError"),
        T("Only the empty list is left: it returns 1, because the run starts at 1 even when "
          "there is no element. An empty list has to return 0 up front."),
        C(r'''
def longest_increasing_run(xs: list[int]) -> int:
    if not xs:
        return 0
    best = 0
    run = 1
    for i in range(1, len(xs)):
        if xs[i] > xs[i - 1]:
            run += 1
        else:
            best = max(best, run)
            run = 1
    return max(best, run)

assert longest_increasing_run([1, 2, 3, 1, 2]) == 3, longest_increasing_run([1, 2, 3, 1, 2])
assert longest_increasing_run([5, 1, 2, 3, 4]) == 4, longest_increasing_run([5, 1, 2, 3, 4])
assert longest_increasing_run([3, 3, 3]) == 1
assert longest_increasing_run([]) == 0, longest_increasing_run([])
print("All tests passed.")
'''),
    ],
    "Runs count elements (starting at 1), the last run is compared after the loop, and the "
    "empty list gives 0.",
    r'''
def longest_increasing_run(xs: list[int]) -> int:
    if not xs:
        return 0
    best = 0
    run = 1
    for i in range(1, len(xs)):
        if xs[i] > xs[i - 1]:
            run += 1
        else:
            best = max(best, run)
            run = 1
    return max(best, run)
''',
)

seed(
    "Write `primes_up_to(n: int) -> list[int]` returning all primes less than or equal to `n`, "
    "using the sieve of Eratosthenes.",
    [
        T("A boolean list marks candidates; for each prime `p` up to `sqrt(n)` cross out its "
          "multiples from `p * p`."),
        C(r'''
def primes_up_to(n: int) -> list[int]:
    if n < 2:
        return []
    is_prime = [True] * n
    is_prime[0] = is_prime[1] = False
    for p in range(2, int(n ** 0.5) + 1):
        if is_prime[p]:
            for m in range(p * p, n, p):
                is_prime[m] = False
    return [i for i, flag in enumerate(is_prime) if flag]

assert primes_up_to(10) == [2, 3, 5, 7]
assert primes_up_to(13) == [2, 3, 5, 7, 11, 13], primes_up_to(13)
assert primes_up_to(2) == [2]
assert primes_up_to(1) == []
print("All tests passed.")
''', raises="AssertionError"),
        T("`primes_up_to(13)` misses 13: the sieve has `n` entries, indices 0..n-1, so `n` "
          "itself is never considered although the bound is inclusive. The table needs "
          "`n + 1` entries, and the crossing-out range must reach `n` too."),
        C(r'''
def primes_up_to(n: int) -> list[int]:
    if n < 2:
        return []
    is_prime = [True] * (n + 1)
    is_prime[0] = is_prime[1] = False
    for p in range(2, int(n ** 0.5) + 1):
        if is_prime[p]:
            for m in range(p * p, n + 1, p):
                is_prime[m] = False
    return [i for i, flag in enumerate(is_prime) if flag]

assert primes_up_to(10) == [2, 3, 5, 7]
assert primes_up_to(13) == [2, 3, 5, 7, 11, 13], primes_up_to(13)
assert primes_up_to(2) == [2]
assert primes_up_to(1) == []
print("All tests passed.")
'''),
    ],
    "A sieve with `n + 1` slots so that `n` itself is included.",
    r'''
def primes_up_to(n: int) -> list[int]:
    if n < 2:
        return []
    is_prime = [True] * (n + 1)
    is_prime[0] = is_prime[1] = False
    for p in range(2, int(n ** 0.5) + 1):
        if is_prime[p]:
            for m in range(p * p, n + 1, p):
                is_prime[m] = False
    return [i for i, flag in enumerate(is_prime) if flag]
''',
)

seed(
    "Write `format_bytes(n: int) -> str` rendering a byte count with binary units: below 1024 "
    "as `\"{n} B\"`, otherwise in the largest of KiB, MiB, GiB, TiB for which the value is at "
    "least 1, with one decimal (`1536` → `\"1.5 KiB\"`, `1048576` → `\"1.0 MiB\"`).",
    [
        T("Divide by 1024 unit by unit until the value drops below 1024."),
        C(r'''
UNITS = ["KiB", "MiB", "GiB", "TiB"]

def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = n
    for unit in UNITS:
        value /= 1024
        if value <= 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"

assert format_bytes(0) == "0 B"
assert format_bytes(1023) == "1023 B"
assert format_bytes(1536) == "1.5 KiB"
assert format_bytes(1048576) == "1.0 MiB", format_bytes(1048576)
assert format_bytes(5 * 1024 ** 5) == "5120.0 TiB"
print("All tests passed.")
''', raises="AssertionError"),
        T("1048576 bytes came out as `'1024.0 KiB'`. The stopping test `value <= 1024` accepts "
          "exactly 1024 in the smaller unit, although it is 1 in the next one. The value has "
          "to be strictly below 1024 to stay in a unit."),
        C(r'''
UNITS = ["KiB", "MiB", "GiB", "TiB"]

def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = n
    for unit in UNITS:
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"

assert format_bytes(0) == "0 B"
assert format_bytes(1023) == "1023 B"
assert format_bytes(1536) == "1.5 KiB"
assert format_bytes(1048576) == "1.0 MiB", format_bytes(1048576)
assert format_bytes(5 * 1024 ** 5) == "5120.0 TiB"
print("All tests passed.")
'''),
    ],
    "Step through the units while the value is 1024 or more, stopping at TiB.",
    r'''
UNITS = ["KiB", "MiB", "GiB", "TiB"]


def format_bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = n
    for unit in UNITS:
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
''',
)

# --------------------------------------------------------------------------------- classes

seed(
    "Write a class `RingBuffer` with `__init__(self, capacity: int)`, `append(self, item)` and "
    "`to_list(self) -> list`. It holds at most `capacity` items; appending to a full buffer "
    "overwrites the oldest item. `to_list` returns the items from oldest to newest, and "
    "`len(buffer)` is the number of items currently held.",
    [
        T("A fixed list of slots, a start index and a size. Appending writes at "
          "`(start + size) % capacity`; when full, the oldest slot is overwritten and "
          "`start` advances."),
        C(r'''
class RingBuffer:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.slots = [None] * capacity
        self.start = 0
        self.size = 0

    def append(self, item) -> None:
        self.slots[(self.start + self.size) % self.capacity] = item
        if self.size < self.capacity:
            self.size += 1
        else:
            self.start = (self.start + 1) % self.capacity

    def to_list(self) -> list:
        return self.slots[self.start:self.start + self.size]

rb = RingBuffer(3)
for x in [1, 2]:
    rb.append(x)
assert rb.to_list() == [1, 2]
for x in [3, 4, 5]:
    rb.append(x)
assert rb.to_list() == [3, 4, 5], rb.to_list()
rb.append(6)
assert rb.to_list() == [4, 5, 6], rb.to_list()
assert len(rb) == 3
assert len(RingBuffer(2)) == 0
print("All tests passed.")
''', raises="AssertionError"),
        T("After wrapping around, `to_list` returned `[3]` instead of `[3, 4, 5]`. The plain "
          "slice `slots[start:start + size]` stops at the end of the slot list and does not "
          "wrap around to 4 and 5, which were written at the beginning. Each position must "
          "be taken modulo the capacity."),
        C(r'''
class RingBuffer:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.slots = [None] * capacity
        self.start = 0
        self.size = 0

    def append(self, item) -> None:
        self.slots[(self.start + self.size) % self.capacity] = item
        if self.size < self.capacity:
            self.size += 1
        else:
            self.start = (self.start + 1) % self.capacity

    def to_list(self) -> list:
        return [self.slots[(self.start + i) % self.capacity] for i in range(self.size)]

rb = RingBuffer(3)
for x in [1, 2]:
    rb.append(x)
assert rb.to_list() == [1, 2]
for x in [3, 4, 5]:
    rb.append(x)
assert rb.to_list() == [3, 4, 5], rb.to_list()
rb.append(6)
assert rb.to_list() == [4, 5, 6], rb.to_list()
assert len(rb) == 3
assert len(RingBuffer(2)) == 0
print("All tests passed.")
''', raises="TypeError"),
        T("The contents are right now; `len(rb)` raises `TypeError: object of type "
          "'RingBuffer' has no len()`. The task requires `len()`, and I never defined "
          "`__len__`. It returns the current size."),
        C(r'''
class RingBuffer:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.slots = [None] * capacity
        self.start = 0
        self.size = 0

    def append(self, item) -> None:
        self.slots[(self.start + self.size) % self.capacity] = item
        if self.size < self.capacity:
            self.size += 1
        else:
            self.start = (self.start + 1) % self.capacity

    def to_list(self) -> list:
        return [self.slots[(self.start + i) % self.capacity] for i in range(self.size)]

    def __len__(self) -> int:
        return self.size

rb = RingBuffer(3)
for x in [1, 2]:
    rb.append(x)
assert rb.to_list() == [1, 2]
for x in [3, 4, 5]:
    rb.append(x)
assert rb.to_list() == [3, 4, 5], rb.to_list()
rb.append(6)
assert rb.to_list() == [4, 5, 6], rb.to_list()
assert len(rb) == 3
assert len(RingBuffer(2)) == 0
print("All tests passed.")
'''),
    ],
    "Slots indexed modulo the capacity, a moving start, and `__len__` for the size.",
    r'''
class RingBuffer:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.slots = [None] * capacity
        self.start = 0
        self.size = 0

    def append(self, item) -> None:
        self.slots[(self.start + self.size) % self.capacity] = item
        if self.size < self.capacity:
            self.size += 1
        else:
            self.start = (self.start + 1) % self.capacity

    def to_list(self) -> list:
        return [self.slots[(self.start + i) % self.capacity] for i in range(self.size)]

    def __len__(self) -> int:
        return self.size
''',
)

seed(
    "Write a class `Inventory` with methods `add(name: str, qty: int)`, `remove(name: str, "
    "qty: int)` and `items() -> list[tuple[str, int]]` (sorted by name). Removing more than is "
    "in stock raises `ValueError` and changes nothing; an item whose quantity drops to zero "
    "no longer appears in `items()`.",
    [
        T("A dict from name to quantity; `remove` checks the stock before subtracting."),
        C(r'''
class Inventory:
    def __init__(self):
        self.stock = {}

    def add(self, name: str, qty: int) -> None:
        self.stock[name] = self.stock.get(name, 0) + qty

    def remove(self, name: str, qty: int) -> None:
        if self.stock.get(name, 0) < qty:
            raise ValueError(f"not enough {name}")
        self.stock[name] -= qty

    def items(self) -> list[tuple[str, int]]:
        return sorted(self.stock.items())

inv = Inventory()
inv.add("pear", 3)
inv.add("apple", 2)
inv.add("pear", 1)
assert inv.items() == [("apple", 2), ("pear", 4)]
try:
    inv.remove("apple", 5)
except ValueError:
    pass
else:
    raise AssertionError("over-removal accepted")
assert inv.items() == [("apple", 2), ("pear", 4)]
inv.remove("apple", 2)
assert inv.items() == [("pear", 4)], inv.items()
print("All tests passed.")
''', raises="AssertionError"),
        T("After removing all apples, `items()` still lists `('apple', 0)`. `remove` only "
          "decrements the count and never deletes the entry. When the quantity reaches zero "
          "the key must be removed from the dict."),
        C(r'''
class Inventory:
    def __init__(self):
        self.stock = {}

    def add(self, name: str, qty: int) -> None:
        self.stock[name] = self.stock.get(name, 0) + qty

    def remove(self, name: str, qty: int) -> None:
        if self.stock.get(name, 0) < qty:
            raise ValueError(f"not enough {name}")
        self.stock[name] -= qty
        if self.stock[name] == 0:
            del self.stock[name]

    def items(self) -> list[tuple[str, int]]:
        return sorted(self.stock.items())

inv = Inventory()
inv.add("pear", 3)
inv.add("apple", 2)
inv.add("pear", 1)
assert inv.items() == [("apple", 2), ("pear", 4)]
try:
    inv.remove("apple", 5)
except ValueError:
    pass
else:
    raise AssertionError("over-removal accepted")
assert inv.items() == [("apple", 2), ("pear", 4)]
inv.remove("apple", 2)
assert inv.items() == [("pear", 4)], inv.items()
print("All tests passed.")
'''),
    ],
    "A name-to-quantity dict whose entries are deleted when they reach zero.",
    r'''
class Inventory:
    def __init__(self):
        self.stock = {}

    def add(self, name: str, qty: int) -> None:
        self.stock[name] = self.stock.get(name, 0) + qty

    def remove(self, name: str, qty: int) -> None:
        if self.stock.get(name, 0) < qty:
            raise ValueError(f"not enough {name}")
        self.stock[name] -= qty
        if self.stock[name] == 0:
            del self.stock[name]

    def items(self) -> list[tuple[str, int]]:
        return sorted(self.stock.items())
''',
)

seed(
    "Write a class `LRUCache` with `__init__(self, capacity: int)`, `get(self, key)` (the "
    "stored value, or `None`) and `put(self, key, value)`. When a `put` makes the cache exceed "
    "its capacity, the least recently used key is evicted; both `get` and `put` count as a "
    "use of the key.",
    [
        T("A plain dict keeps insertion order, so the first key is the oldest. Re-inserting a "
          "key moves it to the end; on overflow I delete the first key."),
        C(r'''
class LRUCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.data = {}

    def get(self, key):
        return self.data.get(key)

    def put(self, key, value) -> None:
        self.data.pop(key, None)
        self.data[key] = value
        if len(self.data) > self.capacity:
            del self.data[next(iter(self.data))]

cache = LRUCache(2)
cache.put("a", 1)
cache.put("b", 2)
assert cache.get("a") == 1
cache.put("c", 3)
assert cache.get("b") is None, "b should have been evicted"
assert cache.get("a") == 1
assert cache.get("c") == 3
print("All tests passed.")
''', raises="AssertionError"),
        T("`b` was not evicted: `a` was evicted instead, even though it had just been read. "
          "`get` does not refresh a key's position, so reads don't count as uses. On a hit, "
          "`get` must move the key to the most-recent end (pop and re-insert)."),
        C(r'''
class LRUCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.data = {}

    def get(self, key):
        if key not in self.data:
            return None
        value = self.data.pop(key)
        self.data[key] = value
        return value

    def put(self, key, value) -> None:
        self.data.pop(key, None)
        self.data[key] = value
        if len(self.data) > self.capacity:
            del self.data[next(iter(self.data))]

cache = LRUCache(2)
cache.put("a", 1)
cache.put("b", 2)
assert cache.get("a") == 1
cache.put("c", 3)
assert cache.get("b") is None, "b should have been evicted"
assert cache.get("a") == 1
assert cache.get("c") == 3
print("All tests passed.")
'''),
    ],
    "An insertion-ordered dict where both `get` and `put` move the key to the newest end.",
    r'''
class LRUCache:
    def __init__(self, capacity: int):
        self.capacity = capacity
        self.data = {}

    def get(self, key):
        if key not in self.data:
            return None
        value = self.data.pop(key)
        self.data[key] = value
        return value

    def put(self, key, value) -> None:
        self.data.pop(key, None)
        self.data[key] = value
        if len(self.data) > self.capacity:
            del self.data[next(iter(self.data))]
''',
)

seed(
    "Write a class `Temperature` that stores a temperature in degrees Celsius in a `celsius` "
    "attribute, has a `fahrenheit` property that can be read and assigned (F = C × 9/5 + 32), "
    "and a classmethod `from_fahrenheit(f)`.",
    [
        T("Store Celsius only; the property converts in both directions."),
        C(r'''
class Temperature:
    def __init__(self, celsius: float):
        self.celsius = celsius

    @property
    def fahrenheit(self) -> float:
        return self.celsius * 9 // 5 + 32

    @fahrenheit.setter
    def fahrenheit(self, f: float) -> None:
        self.celsius = (f - 32) * 5 / 9

    @classmethod
    def from_fahrenheit(cls, f: float) -> "Temperature":
        return cls((f - 32) * 5 / 9)

assert Temperature(100).fahrenheit == 212
assert Temperature(37.5).fahrenheit == 99.5, Temperature(37.5).fahrenheit
t = Temperature(0)
t.fahrenheit = 50
assert t.celsius == 10
assert Temperature.from_fahrenheit(212).celsius == 100
print("All tests passed.")
''', raises="AssertionError"),
        T("37.5 °C gave 99.0 °F instead of 99.5: the getter uses floor division `// 5`, which "
          "throws away the fractional part of `337.5 / 5`. The conversion must use true "
          "division."),
        C(r'''
class Temperature:
    def __init__(self, celsius: float):
        self.celsius = celsius

    @property
    def fahrenheit(self) -> float:
        return self.celsius * 9 / 5 + 32

    @fahrenheit.setter
    def fahrenheit(self, f: float) -> None:
        self.celsius = (f - 32) * 5 / 9

    @classmethod
    def from_fahrenheit(cls, f: float) -> "Temperature":
        return cls((f - 32) * 5 / 9)

assert Temperature(100).fahrenheit == 212
assert Temperature(37.5).fahrenheit == 99.5, Temperature(37.5).fahrenheit
t = Temperature(0)
t.fahrenheit = 50
assert t.celsius == 10
assert Temperature.from_fahrenheit(212).celsius == 100
print("All tests passed.")
'''),
    ],
    "Celsius is stored; Fahrenheit is a property converted with true division both ways.",
    r'''
class Temperature:
    def __init__(self, celsius: float):
        self.celsius = celsius

    @property
    def fahrenheit(self) -> float:
        return self.celsius * 9 / 5 + 32

    @fahrenheit.setter
    def fahrenheit(self, f: float) -> None:
        self.celsius = (f - 32) * 5 / 9

    @classmethod
    def from_fahrenheit(cls, f: float) -> "Temperature":
        return cls((f - 32) * 5 / 9)
''',
)

seed(
    "Write a class `MinStack` with `push(x)`, `pop()` (returns the removed top), `top()` and "
    "`get_min()`, all in O(1). `pop`, `top` and `get_min` on an empty stack raise `IndexError`.",
    [
        T("Keep the items in a list and track the smallest value pushed so far, so that "
          "`get_min` is a field read."),
        C(r'''
class MinStack:
    def __init__(self):
        self.items = []
        self.minimum = None

    def push(self, x) -> None:
        self.items.append(x)
        if self.minimum is None or x < self.minimum:
            self.minimum = x

    def pop(self):
        return self.items.pop()

    def top(self):
        return self.items[-1]

    def get_min(self):
        if not self.items:
            raise IndexError("get_min from empty stack")
        return self.minimum

s = MinStack()
for x in [5, 2, 8, 1]:
    s.push(x)
assert s.get_min() == 1
assert s.pop() == 1
assert s.get_min() == 2, s.get_min()
assert s.top() == 8
s.pop(); s.pop(); s.pop()
try:
    s.get_min()
except IndexError:
    pass
else:
    raise AssertionError("get_min on empty stack")
print("All tests passed.")
''', raises="AssertionError"),
        T("After popping the 1, `get_min()` still returns 1. A single running minimum cannot "
          "be undone when its element leaves the stack: the previous minimum is forgotten. I "
          "need the minimum at every depth, i.e. a second stack: each push records the "
          "minimum so far and each pop drops it (and an empty stack then raises "
          "`IndexError` by itself)."),
        C(r'''
class MinStack:
    def __init__(self):
        self.items = []
        self.mins = []

    def push(self, x) -> None:
        self.items.append(x)
        self.mins.append(x if not self.mins else min(x, self.mins[-1]))

    def pop(self):
        self.mins.pop()
        return self.items.pop()

    def top(self):
        return self.items[-1]

    def get_min(self):
        return self.mins[-1]

s = MinStack()
for x in [5, 2, 8, 1]:
    s.push(x)
assert s.get_min() == 1
assert s.pop() == 1
assert s.get_min() == 2, s.get_min()
assert s.top() == 8
s.pop(); s.pop(); s.pop()
try:
    s.get_min()
except IndexError:
    pass
else:
    raise AssertionError("get_min on empty stack")
print("All tests passed.")
'''),
    ],
    "A parallel stack of running minimums, popped together with the items.",
    r'''
class MinStack:
    def __init__(self):
        self.items = []
        self.mins = []

    def push(self, x) -> None:
        self.items.append(x)
        self.mins.append(x if not self.mins else min(x, self.mins[-1]))

    def pop(self):
        self.mins.pop()
        return self.items.pop()

    def top(self):
        return self.items[-1]

    def get_min(self):
        return self.mins[-1]
''',
)

seed(
    "Write a class `Ratio` for exact fractions: `Ratio(num: int, den: int)` raises "
    "`ZeroDivisionError` for a zero denominator and stores the fraction in lowest terms with a "
    "positive denominator (attributes `num` and `den`). Ratios support `==` and `+`, and "
    "`repr` gives `Ratio(1, 2)`.",
    [
        T("Store numerator and denominator; `__add__` cross-multiplies; `__eq__` compares the "
          "fields."),
        C(r'''
class Ratio:
    def __init__(self, num: int, den: int):
        if den == 0:
            raise ZeroDivisionError("zero denominator")
        self.num, self.den = num, den

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.num * other.den + other.num * self.den, self.den * other.den)

    def __eq__(self, other) -> bool:
        return isinstance(other, Ratio) and (self.num, self.den) == (other.num, other.den)

    def __repr__(self) -> str:
        return f"Ratio({self.num}, {self.den})"

assert Ratio(1, 2) == Ratio(1, 2)
half = Ratio(1, 3) + Ratio(1, 6)
assert half == Ratio(1, 2), half
assert Ratio(2, 4) == Ratio(1, 2)
assert Ratio(1, -2) == Ratio(-1, 2), Ratio(1, -2)
assert (Ratio(3, -6).num, Ratio(3, -6).den) == (-1, 2)
try:
    Ratio(1, 0)
except ZeroDivisionError:
    pass
else:
    raise AssertionError("zero denominator accepted")
print("All tests passed.")
''', raises="AssertionError"),
        T("1/3 + 1/6 gave `Ratio(9, 18)`, which is 1/2 but compares unequal: the fields are "
          "never reduced, so equal values have different representations. The constructor "
          "must divide both parts by their gcd."),
        C(r'''
from math import gcd

class Ratio:
    def __init__(self, num: int, den: int):
        if den == 0:
            raise ZeroDivisionError("zero denominator")
        g = gcd(num, den)
        self.num, self.den = num // g, den // g

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.num * other.den + other.num * self.den, self.den * other.den)

    def __eq__(self, other) -> bool:
        return isinstance(other, Ratio) and (self.num, self.den) == (other.num, other.den)

    def __repr__(self) -> str:
        return f"Ratio({self.num}, {self.den})"

assert Ratio(1, 2) == Ratio(1, 2)
half = Ratio(1, 3) + Ratio(1, 6)
assert half == Ratio(1, 2), half
assert Ratio(2, 4) == Ratio(1, 2)
assert Ratio(1, -2) == Ratio(-1, 2), Ratio(1, -2)
assert (Ratio(3, -6).num, Ratio(3, -6).den) == (-1, 2)
try:
    Ratio(1, 0)
except ZeroDivisionError:
    pass
else:
    raise AssertionError("zero denominator accepted")
print("All tests passed.")
''', raises="AssertionError"),
        T("Reduction works, but `Ratio(1, -2)` is stored as `Ratio(1, -2)` and differs from "
          "`Ratio(-1, 2)`. `gcd` is always non-negative, so the sign stays wherever it was. "
          "The invariant needs the denominator positive: if it is negative, negate both "
          "parts."),
        C(r'''
from math import gcd

class Ratio:
    def __init__(self, num: int, den: int):
        if den == 0:
            raise ZeroDivisionError("zero denominator")
        if den < 0:
            num, den = -num, -den
        g = gcd(num, den)
        self.num, self.den = num // g, den // g

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.num * other.den + other.num * self.den, self.den * other.den)

    def __eq__(self, other) -> bool:
        return isinstance(other, Ratio) and (self.num, self.den) == (other.num, other.den)

    def __repr__(self) -> str:
        return f"Ratio({self.num}, {self.den})"

assert Ratio(1, 2) == Ratio(1, 2)
half = Ratio(1, 3) + Ratio(1, 6)
assert half == Ratio(1, 2), half
assert Ratio(2, 4) == Ratio(1, 2)
assert Ratio(1, -2) == Ratio(-1, 2), Ratio(1, -2)
assert (Ratio(3, -6).num, Ratio(3, -6).den) == (-1, 2)
try:
    Ratio(1, 0)
except ZeroDivisionError:
    pass
else:
    raise AssertionError("zero denominator accepted")
print("All tests passed.")
'''),
    ],
    "The constructor normalises the sign and reduces by the gcd, so equality is field-wise.",
    r'''
from math import gcd


class Ratio:
    def __init__(self, num: int, den: int):
        if den == 0:
            raise ZeroDivisionError("zero denominator")
        if den < 0:
            num, den = -num, -den
        g = gcd(num, den)
        self.num, self.den = num // g, den // g

    def __add__(self, other: "Ratio") -> "Ratio":
        return Ratio(self.num * other.den + other.num * self.den, self.den * other.den)

    def __eq__(self, other) -> bool:
        return isinstance(other, Ratio) and (self.num, self.den) == (other.num, other.den)

    def __repr__(self) -> str:
        return f"Ratio({self.num}, {self.den})"
''',
)

# ------------------------------------------- solved on the first attempt (single round)
# Kept on purpose: the synthesis filter can drop single-round records, and these let its
# tests see that happen.

seed(
    "Write `clamp(x: float, lo: float, hi: float) -> float` returning `x` limited to the "
    "closed interval `[lo, hi]`. Raise `ValueError` if `lo > hi`.",
    [
        T("Validate the bounds, then `max(lo, min(x, hi))`. Tests: inside, below, above, on "
          "a bound, and invalid bounds."),
        C(r'''
def clamp(x: float, lo: float, hi: float) -> float:
    if lo > hi:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    return max(lo, min(x, hi))

assert clamp(5, 0, 10) == 5
assert clamp(-3, 0, 10) == 0
assert clamp(12.5, 0, 10) == 10
assert clamp(10, 0, 10) == 10
assert clamp(4, 4, 4) == 4
try:
    clamp(1, 2, 0)
except ValueError:
    pass
else:
    raise AssertionError("lo > hi accepted")
print("All tests passed.")
'''),
    ],
    "Validate the interval, then bound `x` from both sides.",
    r'''
def clamp(x: float, lo: float, hi: float) -> float:
    if lo > hi:
        raise ValueError(f"empty interval [{lo}, {hi}]")
    return max(lo, min(x, hi))
''',
)

seed(
    "Write `reverse_words(s: str) -> str` returning the words of `s` in reverse order, joined "
    "by single spaces; leading, trailing and repeated whitespace is dropped.",
    [
        T("`str.split()` without arguments already splits on runs of whitespace and drops "
          "empty strings, so reversing its result and joining with spaces is enough."),
        C(r'''
def reverse_words(s: str) -> str:
    return " ".join(reversed(s.split()))

assert reverse_words("the sky is blue") == "blue is sky the"
assert reverse_words("  hello   world  ") == "world hello"
assert reverse_words("single") == "single"
assert reverse_words("   ") == ""
print("All tests passed.")
'''),
    ],
    "Split on whitespace runs, reverse, and join with single spaces.",
    r'''
def reverse_words(s: str) -> str:
    return " ".join(reversed(s.split()))
''',
)

seed(
    "Write `is_leap_year(year: int) -> bool` for the Gregorian calendar: years divisible by 4 "
    "are leap years, except those divisible by 100, unless they are also divisible by 400.",
    [
        T("Encode the rule directly: divisible by 4 and (not by 100, or by 400). The tests "
          "cover each branch: 2024, 2023, 1900 and 2000."),
        C(r'''
def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)

assert is_leap_year(2024)
assert not is_leap_year(2023)
assert not is_leap_year(1900)
assert is_leap_year(2000)
assert is_leap_year(1600) and not is_leap_year(2100)
print("All tests passed.")
'''),
    ],
    "The Gregorian rule as one boolean expression.",
    r'''
def is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
''',
)

seed(
    "Write `char_classes(s: str) -> dict[str, int]` counting the characters of `s` in four "
    "classes and returning `{\"letters\": ..., \"digits\": ..., \"spaces\": ..., "
    "\"other\": ...}` (all four keys always present). Use `str.isalpha`, `str.isdigit` and "
    "`str.isspace` for the first three.",
    [
        T("Initialise all four counters to 0 and classify each character with the string "
          "predicates, in the order given."),
        C(r'''
def char_classes(s: str) -> dict[str, int]:
    counts = {"letters": 0, "digits": 0, "spaces": 0, "other": 0}
    for ch in s:
        if ch.isalpha():
            counts["letters"] += 1
        elif ch.isdigit():
            counts["digits"] += 1
        elif ch.isspace():
            counts["spaces"] += 1
        else:
            counts["other"] += 1
    return counts

assert char_classes("Hi 42!") == {"letters": 2, "digits": 2, "spaces": 1, "other": 1}
assert char_classes("") == {"letters": 0, "digits": 0, "spaces": 0, "other": 0}
assert char_classes("a\tb\n") == {"letters": 2, "digits": 0, "spaces": 2, "other": 0}
print("All tests passed.")
'''),
    ],
    "Four counters, each character classified by the first predicate that holds.",
    r'''
def char_classes(s: str) -> dict[str, int]:
    counts = {"letters": 0, "digits": 0, "spaces": 0, "other": 0}
    for ch in s:
        if ch.isalpha():
            counts["letters"] += 1
        elif ch.isdigit():
            counts["digits"] += 1
        elif ch.isspace():
            counts["spaces"] += 1
        else:
            counts["other"] += 1
    return counts
''',
)

seed(
    "Write `sum_of_multiples(limit: int, factors: list[int]) -> int` returning the sum of all "
    "distinct positive integers below `limit` that are multiples of at least one of the "
    "(positive) `factors`.",
    [
        T("Loop over 1..limit-1 and add the numbers divisible by any factor; testing "
          "membership per number, rather than adding each factor's multiples, counts shared "
          "multiples such as 15 only once."),
        C(r'''
def sum_of_multiples(limit: int, factors: list[int]) -> int:
    return sum(n for n in range(1, limit) if any(n % f == 0 for f in factors))

assert sum_of_multiples(10, [3, 5]) == 23
assert sum_of_multiples(16, [3, 5]) == 60
assert sum_of_multiples(1, [3]) == 0
assert sum_of_multiples(20, []) == 0
print("All tests passed.")
'''),
    ],
    "Each number below the limit is counted once if any factor divides it.",
    r'''
def sum_of_multiples(limit: int, factors: list[int]) -> int:
    return sum(n for n in range(1, limit) if any(n % f == 0 for f in factors))
''',
)
