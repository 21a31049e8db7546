"""Scans for the patterns Python's regular-expression engine would try at every position of a chain.

A pattern that opens with ``^``, ``\\b``, ``(?i)`` or a look-behind gives the engine no literal to skip ahead to,
so ``finditer`` over a 3,000-character chain tries it 3,000 times: 20–150 µs a pattern, a tenth of a chain's
time for a handful of markers. Where the places a match can start are known (the lines that begin with a
``Q``, the places "answer" is written), ``matches_at`` tries only those, and finds exactly what ``finditer``
would (``tests/test_scan.py`` holds the two equal).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final


def past_blanks(text: str, pos: int, end: int) -> int:
    """Where the run of spaces and tabs from ``pos`` ends (at ``end`` at most): where a line's first character is."""
    while pos < end:
        c = ord(text[pos])  # (a code, not a string: the compiled engine reads it in place)
        if c != 32 and c != 9:
            break
        pos += 1
    return pos


def lines_beginning(text: str, start: int, first: frozenset[str]) -> list[int]:
    """The starts of the lines from ``start`` (a line's start) whose first character other than a space or a tab
    is one of ``first``."""
    out: list[int] = []
    at, size = start, len(text)
    while at < size:
        k = past_blanks(text, at, size)
        if k < size and text[k] in first:
            out.append(at)
        nl = text.find("\n", k)
        if nl < 0:
            break
        at = nl + 1
    return out


def lines_with(text: str, chars: str) -> list[int]:
    """The starts of the lines that contain one of ``chars``, in order."""
    starts: set[int] = set()
    for ch in chars:
        at = text.find(ch)
        while at >= 0:
            line = text.rfind("\n", 0, at) + 1
            starts.add(line)
            nl = text.find("\n", at)
            if nl < 0:
                break
            at = text.find(ch, nl + 1)
    return sorted(starts)


def occurrences(text: str, needles: tuple[str, ...]) -> list[int]:
    """Every position where one of ``needles`` starts (overlapping ones too), in order."""
    found: set[int] = set()
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            found.add(at)
            at = text.find(needle, at + 1)
    return sorted(found)


FOLDS_TO_ASCII: Final = "ſıİK"
"""Characters ``(?i)`` matches to ASCII letters (ſ to s, ı and İ to i, the Kelvin sign to k) that ``str.lower`` does
not lower to them."""


def lowered(text: str) -> str | None:
    """``text.lower()`` where it has ``text``'s offsets and holds every ASCII letter ``(?i)`` would match in ``text``
    (else None)."""
    if not text.isascii() and any(ch in text for ch in FOLDS_TO_ASCII):
        return None
    low = text.lower()
    return low if len(low) == len(text) else None


def may_contain(text: str, words: tuple[str, ...]) -> bool:
    """Could a case-blind pattern that cannot match without one of ``words`` (in lower case) match ``text``? No
    only where none of them is written, in any case: a search is then not needed (most gaps between two equations
    say nothing of the kind, and a ``(?i)\\b(?:…)`` search of one cost 20 µs)."""
    low = lowered(text)
    return low is None or any(w in low for w in words)


def matches_at(rx: re.Pattern[str], text: str, starts: Sequence[int]) -> list[re.Match[str]]:
    """What ``rx.finditer(text)`` finds, given every position a match of it can start at (ascending): each tried
    with ``match``. A marker pattern that opens with ``\\b``, ``^`` or a look-behind gives Python's engine no
    literal to skip ahead to, and tried at each of a chain's 3,000 positions it cost 40–150 µs."""
    out: list[re.Match[str]] = []
    done = -1
    for at in starts:
        if at < done:
            continue
        m = rx.match(text, at)
        if m is not None:
            out.append(m)
            done = max(m.end(), at + 1)
    return out
