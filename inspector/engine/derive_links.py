"""The lines of a derivation, each linked to the line it rewrites: the structure `derive` checks.

Apart from the checks because every other part of the derivation check reads it: `derive` decides which links
hold, `derive_forms` reads the lines' written form, `derive_slips` records each rewrite's claim on its
`Link`. Here too the few ways of reading one side (its value, its text, its letters) they all share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from .arith import NotRational, PolyValue, Unverifiable, Value, evaluate, has_unknowns, subtract
from .check import Checked
from .extract import Formula, Side
from .native_attrs import mypyc_attr
from .scan import may_contain


@mypyc_attr(acyclic=True)
@dataclass(slots=True, init=False)
class Link:
    """One line of a derivation, linked to the line it rewrites (or starting a new derivation)."""

    formula: Formula
    poly: PolyValue | None
    """``left − right`` of an equation, or the value of a continued expression."""
    prev: Link | None
    _start: Link | None
    _starts_itself: bool
    equation_mode: bool
    """Linked to a line with letters: a false numeric equality here is a contradiction, not a slip."""
    checked: list[Checked]

    # explicit ``__init__``: see ``Token``'s (the compiled engine would call ``dataclass``'s through the interpreter)
    def __init__(self, formula: Formula, poly: PolyValue | None, prev: Link | None = None, start: Link | None = None,
                 equation_mode: bool = False, checked: list[Checked] | None = None) -> None:
        self.formula = formula
        self.poly = poly
        self.prev = prev
        self._start = start
        self._starts_itself = False
        self.equation_mode = equation_mode
        self.checked = [] if checked is None else checked

    @property
    def start(self) -> Link | None:
        """The first line of the derivation this line belongs to (the line itself where it starts one), or None."""
        return self if self._starts_itself else self._start

    @start.setter
    def start(self, link: Link | None) -> None:
        # a line that starts its derivation is not kept as its own ``_start``: that would be a reference cycle, which
        # only the garbage collector frees (and with it the formulas and values the line holds)
        self._starts_itself = link is self
        self._start = None if link is self else link


def _value(side: Side) -> Value | None:
    if side.node is None:
        return None
    try:
        return evaluate(side.node)
    except (NotRational, Unverifiable):
        return None


def _norm(side: Side) -> str:
    return "".join(t.text for t in side.tokens)


def _has_letters(formula: Formula) -> bool:
    return any(side.node is not None and has_unknowns(side.node) for side in formula.sides)


def _side_letters(side: Side) -> bool:
    return side.node is not None and has_unknowns(side.node)


_CONNECTIVE_RE: Final = re.compile(
    r"(?i)\b(?:so|thus|hence|therefore|gives?|giving|get|gets|getting|obtain|implies|means|simplif\w*|expand\w*|"
    r"rearrang\w*|becomes?|reduces?\s+to|i\.e)\b|\\implies|\\Rightarrow|\\Longrightarrow|⟹|⇒|→|\\to\b"
)
"""Words between two equations of one line that make the second a rewrite of the first
(``$2p = 0.58$. So $p = 0.29$``); without one they are separate facts (``3p + e = 1.24 and 5p + e = 1.82``)."""
_CONNECTIVE_WORDS: Final = (
    "so", "thus", "hence", "therefore", "giv", "get", "obtain", "implies", "means", "simplif", "expand", "rearrang",
    "become", "reduce", "i.e", "rightarrow", "⟹", "⇒", "→", "\\to",
)
"""A word or sign each alternative of ``_CONNECTIVE_RE`` needs, in lower case (``tests/test_scan.py``)."""


def says_connected(text: str, start: int = 0, end: int | None = None) -> bool:
    """``_CONNECTIVE_RE.search(text, start, end) is not None``: the text between two equations makes the second a
    rewrite of the first."""
    end = len(text) if end is None else end
    return may_contain(text[start:end], _CONNECTIVE_WORDS) and _CONNECTIVE_RE.search(text, start, end) is not None


def link_lines(formulas: list[Formula], text: str = "") -> list[Link]:
    """Derivation links between consecutive equations: across lines (prose lines in between are
    skipped), and within a line where a connective joins them."""
    links: list[Link] = []
    prev: Link | None = None
    by_line: dict[int, list[Formula]] = {}
    for f in formulas:
        if f.kind != "annotation":
            by_line.setdefault(f.line, []).append(f)
    for line in sorted(by_line):
        fs = by_line[line]
        for k, f in enumerate(fs):
            if k > 0 and (prev is None or prev.formula is not fs[k - 1]
                          or not says_connected(text, fs[k - 1].end, f.start)):
                prev = None
            usable = (
                all(s.node is not None for s in f.sides[1 if f.kind == "continuation" else 0 :])
                and not any(t.unit == "..." for s in f.sides for t in s.tokens)  # 3.333...: not exact
            )
            if not usable or f.cut_left:
                prev = None
                continue
            if f.kind in ("continuation", "expression"):
                # "= …" continues the row right above it, never an older one
                above = prev if prev is not None and prev.formula.line == f.line - 1 else None
                link = Link(f, None, prev=above if f.kind == "continuation" else None)
            elif len(f.sides) == 2:
                left, right = _value(f.sides[0]), _value(f.sides[1])
                if left is None or right is None:
                    prev = None
                    continue
                link = Link(f, subtract(left, right), prev=prev)
            else:
                prev = None
                continue
            links.append(link)
            prev = link
    return links
