"""Segment a chain of thought into steps, each with its character span in the original text."""

from __future__ import annotations

import re
from typing import Final

from .model import Span
from .scan import lines_beginning, lowered, matches_at

_FENCE_RE: Final = re.compile(r"(?m)^[ \t]*(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+-]*)[^\n]*$")
_FENCE_FIRST: Final = frozenset("`~")


_ASY_RE: Final = re.compile(r"\[asy\].*?(?:\[/asy\]|\Z)", re.S)


def code_blocks(text: str) -> list[tuple[int, int, str]]:
    """Fenced code blocks (```` ```python ````, ```` ```output ````) as ``(start, end, language)``.

    A block runs from its opening fence to the closing fence of the same kind (or the end of the text,
    where a generation was cut off). Code is not prose: nothing inside is read as arithmetic.
    """
    blocks: list[tuple[int, int, str]] = []
    if "[asy]" in text:
        # Asymptote figures in MATH solutions: drawing code, not arithmetic
        for m in _ASY_RE.finditer(text):
            blocks.append((m.start(), m.end(), "asy"))
    if "```" not in text and "~~~" not in text:
        return blocks
    opened: tuple[int, str, str] | None = None
    for m in matches_at(_FENCE_RE, text, lines_beginning(text, 0, _FENCE_FIRST)):
        if opened is None:
            opened = (m.start(), m.group(1), m.group(2).lower())
        elif m.group(1)[0] == opened[1][0] and len(m.group(1)) >= len(opened[1]) and not m.group(2):
            blocks.append((opened[0], m.end(), opened[2]))
            opened = None
    if opened is not None:
        blocks.append((opened[0], len(text), opened[2]))
    return sorted(blocks)


_MARKER_RE: Final = re.compile(r"(?im)^[ \t]*(?:#+[ \t]*)?(?:\*\*)?step[ \t]*\d+\b")
_MARKER_FIRST: Final = frozenset("#*sSſ")
"""What a ``Step k`` marker's line can begin with after spaces (``(?i)`` reads ``ſ`` as ``s``)."""
_MARKER_SCAN_LIMIT: Final = 200_000
_BLANK_RE: Final = re.compile(r"\n[ \t]*\n")
_DISPLAY_OPEN_RE: Final = re.compile(r"\\\[|\$\$|\\begin\{(?:align|equation|gather|eqnarray|multline)\*?\}")
_DISPLAY_CLOSE: Final = {"\\[": "\\]", "$$": "$$"}


def segment(text: str, mode: str = "auto", given: tuple[str, ...] | None = None) -> list[Span]:
    """Split ``text`` into step spans.

    ``mode`` is ``auto`` (``Step k`` markers when there are two or more, else lines), ``lines``
    (each non-blank line; a display-math block spread over lines stays one step), ``paragraphs``
    (blank-line separated) or ``markers``. ``given`` are steps the input already had (ProcessBench):
    their spans are found in the text, which is their join.
    """
    if given is not None:
        return _given_spans(text, given)
    if mode == "auto":
        mode = "markers" if len(_markers(text[:_MARKER_SCAN_LIMIT])) >= 2 else "lines"
    if mode == "markers":
        starts = [m.start() for m in _markers(text)]
        if not starts:
            return _trim([(0, len(text))], text)
        bounds = ([0] if starts[0] > 0 else []) + starts + [len(text)]
        return _trim(list(zip(bounds, bounds[1:])), text)
    if mode == "paragraphs":
        spans, pos = [], 0
        for m in _BLANK_RE.finditer(text):
            spans.append((pos, m.start()))
            pos = m.end()
        spans.append((pos, len(text)))
        return _trim(spans, text)
    return _lines(text)


def _markers(text: str) -> list[re.Match[str]]:
    """``_MARKER_RE.finditer(text)``, tried only at the lines that can start a marker, and not at all in a text
    without the word (in any case: more than half of a model's chains never write it)."""
    low = lowered(text)
    if low is not None and "step" not in low:
        return []
    return matches_at(_MARKER_RE, text, lines_beginning(text, 0, _MARKER_FIRST))


def line_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Non-blank lines of ``text[start:end]`` as spans (no newline included)."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        k = pos  # (a line that is not blank: nearly always its first character says so, without a copy of it)
        while k < stop and text[k].isspace():
            k += 1
        if k < stop:
            spans.append((pos, stop))
        pos = stop + 1
    return spans


def _lines(text: str) -> list[Span]:
    spans = line_spans(text)
    if "\\[" not in text and "$$" not in text and "\\begin" not in text:
        return _trim(spans, text)
    merged: list[Span] = []
    closing: str | None = None
    for s, e in spans:  # (each line searched where it stands in the text, never copied out of it)
        if closing is not None:
            merged[-1] = (merged[-1][0], e)
            if text.find(closing, s, e) >= 0:
                closing = None
            continue
        merged.append((s, e))
        # (asked only where one of its openers is written: a LaTeX chain has a backslash on nearly every line)
        if text.find("\\[", s, e) < 0 and text.find("$$", s, e) < 0 and text.find("\\begin{", s, e) < 0:
            continue
        m = _DISPLAY_OPEN_RE.search(text, s, e)
        if m:
            opener = m.group()
            close = _DISPLAY_CLOSE.get(opener) or opener.replace("begin", "end")
            if text.find(close, m.end(), e) < 0:
                closing = close
    return _trim(merged, text)


def _trim(spans: list[Span], text: str) -> list[Span]:
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _given_spans(text: str, given: tuple[str, ...]) -> list[Span]:
    spans, pos = [], 0
    for step in given:
        at = text.find(step, pos)
        if at < 0:
            at = pos
        spans.append((at, at + len(step)))
        pos = at + len(step)
    return spans
