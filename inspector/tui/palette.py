"""Colours of verdicts, claim marks and labels, for a dark and a light background.

Badges carry their own background and foreground, so they read the same on either theme; the
highlight tints are chosen per theme, because a tint that is quiet on black shouts on white.
"""

from __future__ import annotations

from rich.style import Style

from inspector.labels.review import Mark

VERDICT_BADGE = {
    "valid": Style(color="#ffffff", bgcolor="#2e7d32", bold=True),
    "canceling_errors": Style(color="#ffffff", bgcolor="#8e24aa", bold=True),
    "lucky_guess": Style(color="#ffffff", bgcolor="#c62828", bold=True),
    "arithmetic_slip": Style(color="#000000", bgcolor="#ffa726", bold=True),
    "wrong_reasoning": Style(color="#ffffff", bgcolor="#6d4c41", bold=True),
    "no_answer": Style(color="#ffffff", bgcolor="#616161", bold=True),
    "unreferenced": Style(color="#ffffff", bgcolor="#1565c0", bold=True),
    "unchecked": Style(color="#000000", bgcolor="#bdbdbd", bold=True),
    "undecided": Style(color="#000000", bgcolor="#fff176", bold=True),
}
"""A badge per verdict: the most suspicious in the hottest colours."""

OTHER_BADGE = Style(color="#ffffff", bgcolor="#424242", bold=True)

_MARKS_DARK = {
    Mark.CORRECT: Style(bgcolor="#1b4223", color="#c8f7cf"),
    Mark.WRONG: Style(bgcolor="#5a1a1e", color="#ffd9d9"),
    Mark.UNVERIFIABLE: Style(bgcolor="#4d4210", color="#fff3b8", italic=True),
    Mark.ANSWER: Style(bold=True, underline=True),
    Mark.TAINTED: Style(color="#f48fb1", bold=True, underline=True),
    Mark.STATED: Style(color="#ffffff", bgcolor="#d32f2f", bold=True),
}
_MARKS_LIGHT = {
    Mark.CORRECT: Style(bgcolor="#d3f2d8", color="#0b3d16"),
    Mark.WRONG: Style(bgcolor="#fdd4d4", color="#5c0b0b"),
    Mark.UNVERIFIABLE: Style(bgcolor="#fff0b3", color="#4a3b00", italic=True),
    Mark.ANSWER: Style(bold=True, underline=True),
    Mark.TAINTED: Style(color="#ad1457", bold=True, underline=True),
    Mark.STATED: Style(color="#ffffff", bgcolor="#c62828", bold=True),
}
_ORDER = (Mark.CORRECT, Mark.UNVERIFIABLE, Mark.WRONG, Mark.ANSWER, Mark.TAINTED, Mark.STATED)
"""Later marks win where they overlap: the wrong number itself shows above everything."""

SELECTED_STEP = {True: Style(bgcolor="#26303f"), False: Style(bgcolor="#e3e9f3")}
"""The selected step's background, dark and light."""

STATUS_STYLE = {
    "correct": {True: Style(color="#81c784", bold=True), False: Style(color="#1b5e20", bold=True)},
    "wrong": {True: Style(color="#ef5350", bold=True), False: Style(color="#b71c1c", bold=True)},
    "unverifiable": {True: Style(color="#ffd54f", bold=True), False: Style(color="#8d6e00", bold=True)},
}
STATUS_GLYPH = {"correct": "✓", "wrong": "✗", "unverifiable": "?"}
"""Each claim status has a glyph as well as a colour, so colour is never the only signal."""

RATING_GLYPH = {1: "+", 0: "○", -1: "✗"}
RATING_STYLE = {
    1: {True: Style(color="#81c784", bold=True), False: Style(color="#1b5e20", bold=True)},
    0: {True: Style(color="#b0bec5", bold=True), False: Style(color="#455a64", bold=True)},
    -1: {True: Style(color="#ef5350", bold=True), False: Style(color="#b71c1c", bold=True)},
}
FIRST_ERROR_GLYPH = "⚑"


def mark_style(marks: frozenset[Mark], dark: bool) -> Style | None:
    """The style of a stretch of text carrying ``marks`` (``None`` for plain text)."""
    if not marks:
        return None
    table = _MARKS_DARK if dark else _MARKS_LIGHT
    style = Style()
    for mark in _ORDER:
        if mark in marks:
            style += table[mark]
    return style


def badge(verdict: str) -> Style:
    return VERDICT_BADGE.get(verdict, OTHER_BADGE)
