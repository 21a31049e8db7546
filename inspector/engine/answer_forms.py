"""The last answer kinds our comparison reads before math-verify: each one a form the arithmetic parser has no
reading for, and each decided here exactly, in microseconds, where it used to wait on math-verify's helper
process (``equivalence``; 10–70 ms a comparison, and 0.7 s for the first in a process).

- an answer **cut short** (its braces do not balance: the chain ran out of tokens inside ``\\frac{1}{3726``)
  is not the reference;
- **numerals with a base** (``5234_8`` against ``2516_8``): the same base, compared as numbers;
- **times of day** (``4:30 p.m.`` against ``4:30p``): minutes after midnight, when both say a.m. or p.m.
  (or one does, and the other is past noon on the 24-hour clock);
- **lists of names** (``Navin, Luka, and Ian`` against ``Navin``): as sets of names, case aside;
- **functions** (``4 \\log 2 + 3 \\log 5`` against ``2``, ``\\csc x`` against ``\\cot x``):
  ``answer_functions``.

Each returns ``None`` for what it does not read, and the comparison goes on (to math-verify, bounded).
"""

from __future__ import annotations

import re
from typing import Final

from .answer_functions import compare_functions

_ESCAPED_BRACES_RE: Final = re.compile(r"\\[{}]")


def _balanced(text: str) -> bool:
    """Do the braces of ``text`` balance (``\\{``, ``\\}`` aside)?"""
    depth = 0
    for ch in _ESCAPED_BRACES_RE.sub("", text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def compare_cut_short(a: str, b: str) -> bool | None:
    """One side cut off inside a brace (``\\frac{1}{3726``), the other whole: not the same answer."""
    ba, bb = _balanced(a), _balanced(b)
    return False if ba != bb else None


_NUMERAL_RE: Final = re.compile(r"\(?([0-9][0-9A-Z]{0,63})\)?_\{?(\d{1,2})\}?")
_DIGITS: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _numeral(text: str) -> tuple[int, int] | None:
    """``5234_8`` → (2716, 8): a numeral with its base written as a subscript, or ``None`` (a digit the base
    does not have, a base outside 2–36, a variable ``a_8``)."""
    m = _NUMERAL_RE.fullmatch(text.strip())
    if m is None:
        return None
    base = int(m.group(2))
    if not 2 <= base <= 36 or any(_DIGITS.index(ch) >= base for ch in m.group(1)):
        return None
    return int(m.group(1), base), base


def compare_numerals(a: str, b: str) -> bool | None:
    """Two numerals in the same base: equal when they are the same number (``0123_8`` is ``123_8``).
    Different bases are not decided here (``12_8`` for ``1010_2``: the number is right, the base asked for
    is not)."""
    na, nb = _numeral(a), _numeral(b)
    if na is None or nb is None or na[1] != nb[1]:
        return None
    return na[0] == nb[0]


_TIME_RE: Final = re.compile(
    r"(\d{1,2}):([0-5]\d)\s*(?:\\(?:text|mathrm|mbox)\{\s*([AaPp])\.?\s*(?:[Mm]\.?)?\s*\}|([AaPp])\.?\s*(?:[Mm]\.?)?)?"
)


def _time(text: str) -> tuple[int, bool] | None:
    """``4:30 p.m.`` → (990, True): minutes after midnight, and whether it said a.m. or p.m.; ``None`` for
    anything else (``16:30`` is (990, False); ``13:30 p.m.`` is nothing)."""
    m = _TIME_RE.fullmatch(text.strip().rstrip("."))
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    half = (m.group(3) or m.group(4) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        return (hour % 12 + (12 if half == "p" else 0)) * 60 + minute, True
    return (hour * 60 + minute, False) if hour <= 23 else None


def compare_times(a: str, b: str) -> bool | None:
    """Two times of day: compared when both say a.m. or p.m., or one does and the other is past noon on the
    24-hour clock (``16:30`` is ``4:30 p.m.``). ``4:30`` against ``4:30 p.m.`` is not decided here, nor are
    two without either (``1:20`` and ``2:40``: times, or the same ratio?)."""
    ta, tb = _time(a), _time(b)
    if ta is None or tb is None or not (ta[1] or tb[1]):
        return None
    if ta[1] == tb[1] or (not ta[1] and ta[0] >= 13 * 60) or (not tb[1] and tb[0] >= 13 * 60):
        return ta[0] == tb[0]
    return None


_WORD_ITEM_RE: Final = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:\s+[A-Za-z][A-Za-z'’-]*)*")
_LIST_SPLIT_RE: Final = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def _names(text: str) -> frozenset[str] | None:
    """``Navin, Luka, and Ian`` → {navin, luka, ian}: a list of names or phrases in words; ``None`` when an
    item is not words (a digit, a command) or is one letter (a variable)."""
    items = [item for item in _LIST_SPLIT_RE.split(text.strip()) if item]
    if not items or len(items) > 50:
        return None
    if not all(_WORD_ITEM_RE.fullmatch(item) and len(item) >= 2 for item in items):
        return None
    return frozenset(" ".join(item.lower().split()) for item in items)


def compare_word_lists(a: str, b: str) -> bool | None:
    """Answers in words, one of them a list (``Navin, Luka, and Ian all earn the most`` against ``Navin``):
    the same names in any order, case aside; a list and one name differ."""
    if "," not in a and "," not in b:
        return None  # words without a list: answer_match's own comparison of words
    na, nb = _names(a), _names(b)
    if na is None or nb is None:
        return None
    return na == nb


def compare_forms(a: str, b: str) -> bool | None:
    """The kinds above, in turn; ``None`` when none of them reads both answers."""
    kinds = (compare_cut_short, compare_numerals, compare_times, compare_word_lists, compare_functions)
    for compare in kinds:
        decided = compare(a, b)
        if decided is not None:
            return decided
    return None
