"""A chain's text as the chain view draws it, worked out apart from the widget: pure functions that a
worker thread runs as well as the widget (``chain_text.ChainText``).

``prepare`` turns a chain's text, its step spans and its highlights into the text drawn (LaTeX as readable
text, or as written; tabs as spaces) with every offset moved to match; ``lay_out`` finds where its rows
break at a width. For a long chain both run off the UI thread (``tui/chain_load.py``), and the widget only
takes their result; for a short one the widget calls them itself, as it always did.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, get_character_cell_size

from inspector.engine.latex_text import readable
from inspector.engine.model import ChainResult
from inspector.labels.review import Marked

from ..truth import view_marks

GUTTER = 8
"""``▌ 12 +⚑│``: selection bar, step number, rating, first-error flag, rule."""


@dataclass(frozen=True)
class Prepared:
    """A chain's text as drawn, its steps and its highlights (sorted by start) in that text's offsets."""

    text: str
    spans: list[tuple[int, int]]
    marks: list[Marked]
    mark_starts: list[int]
    mark_reach: int
    """The longest mark: a row's marks are those starting at most this far before it."""
    as_text: bool
    """Whether LaTeX is shown as readable text."""


@dataclass(frozen=True)
class Layout:
    """Where a prepared text's rows break at ``width`` cells (the gutter's included)."""

    width: int
    rows: list[tuple[int, int]]
    """Each visual row as ``[start, end)`` of the text."""
    line_step: list[int]
    """The step of each row."""
    first_line: list[int]
    """The first row of each step."""


def prepare(cot: str, spans: Sequence[tuple[int, int]], marks: Sequence[Marked], as_text: bool) -> Prepared:
    """``cot`` with its step ``spans`` and ``marks``, as drawn (``as_text``: LaTeX as readable text)."""
    text = cot
    spans = list(spans) or [(0, len(cot))]
    marks = list(marks)
    if as_text:
        r = readable(cot)
        text = r.text
        spans = [r.span(s, e) for s, e in spans]
        marks = [(*r.span(s, e), m) for s, e, m in marks]
    if "\t" in text or "\r" in text:
        text, at = _expand_tabs(text)
        spans = [(at(s), at(e)) for s, e in spans]
        marks = [(at(s), at(e), m) for s, e, m in marks]
    marks.sort(key=lambda mark: mark[0])
    return Prepared(
        text,
        spans,
        marks,
        [mark[0] for mark in marks],
        max((e - s for s, e, _ in marks), default=0),
        as_text,
    )


def prepare_result(result: ChainResult, as_text: bool) -> Prepared:
    """A verified chain as drawn: its steps, and every claim highlighted as ``truth.view_marks`` says."""
    return prepare(result.chain.cot, [s.span for s in result.steps], view_marks(result), as_text)


def lay_out(prepared: Prepared, width: int) -> Layout:
    """The rows of every step of ``prepared`` at ``width`` cells (a greedy word wrap over the plain text)."""
    text, text_width = prepared.text, width - GUTTER
    rows: list[tuple[int, int]] = []
    line_step: list[int] = []
    first_line: list[int] = []
    ascii_text = text.isascii()
    for k, (s, e) in enumerate(prepared.spans):
        first_line.append(len(rows))
        step_rows = _row_breaks(text, s, e, text_width, ascii_text)
        rows.extend(step_rows)
        line_step.extend([k] * len(step_rows))
    return Layout(width, rows, line_step, first_line)


def _expand_tabs(text: str) -> tuple[str, Callable[[int], int]]:
    """The text with each tab as four spaces and carriage returns dropped, and where an offset moved to."""
    moves = [(k, 3 if ch == "\t" else -1) for k, ch in enumerate(text) if ch in "\t\r"]
    positions = [k for k, _ in moves]
    shifts = list(itertools.accumulate(d for _, d in moves))

    def at(offset: int) -> int:
        n = bisect_left(positions, offset)
        return offset + (shifts[n - 1] if n else 0)

    return text.replace("\t", "    ").replace("\r", ""), at


def _row_breaks(text: str, start: int, end: int, width: int, ascii_text: bool) -> list[tuple[int, int]]:
    """The visual rows of ``text[start:end]`` at ``width`` cells: its lines, each cut greedily at the last
    space that fits (or, in a word longer than a row, at the width). Linear, and cheap on plain text."""
    if not text[start:end].strip():
        return [(start, start)]
    rows: list[tuple[int, int]] = []
    pos = start
    while True:
        nl = text.find("\n", pos, end)
        line_end = end if nl < 0 else nl
        if line_end - pos <= width and (ascii_text or cell_len(text[pos:line_end]) <= width):
            rows.append((pos, line_end))
        else:
            rows.extend(_fold(text, pos, line_end, width, ascii_text))
        if nl < 0:
            return rows
        pos = nl + 1


def _fold(text: str, start: int, end: int, width: int, ascii_text: bool) -> list[tuple[int, int]]:
    """One long line as rows of at most ``width`` cells; the spaces where it breaks belong to no row."""
    rows = []
    pos = start
    while pos < end:
        limit = min(end, pos + width) if ascii_text else _fits(text, pos, end, width)
        if limit >= end:
            rows.append((pos, end))
            break
        space = text.rfind(" ", pos, limit + 1)
        if space > pos:
            rows.append((pos, space))
            pos = space + 1
            while pos < end and text[pos] == " ":
                pos += 1
        else:
            rows.append((pos, limit))  # a word longer than a row: folded at the width
            pos = limit
    return rows


def _fits(text: str, start: int, end: int, width: int) -> int:
    """The end of the longest run from ``start`` that fits in ``width`` cells (at least one character)."""
    cells = 0
    for k in range(start, end):
        cells += get_character_cell_size(text[k])
        if cells > width:
            return max(k, start + 1)
    return end
