"""Answers that are structures, compared by our own means: matrices entry by entry, unions of intervals as sets.

MATH answers are often a vector (``\\begin{pmatrix} -1/3 \\\\ 2/3 \\end{pmatrix}``) or a set of reals
(``(0,9) \\cup (9,36)``). Left to math-verify, each comparison costs 10–100 ms in its helper process (and the
first one starts it: 0.7 s), for a question our exact comparison of the parts answers in microseconds. Here a
structure is decided only when every part is: a matrix whose entries all compare, a union whose endpoints
all have values; anything else is ``None`` and goes on to the comparisons after this one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Final

Compare = Callable[[str, str], "bool | None"]
"""How two parts (an entry, an endpoint) compare: the answer comparison itself, recursively."""
ValueOf = Callable[[str], "Fraction | None"]
"""The exact (or 40-digit) value of an endpoint's text, or ``None``."""

_MATRIX_RE: Final = re.compile(r"^\s*\\begin\{([pbB]?matrix|smallmatrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}\s*$", re.S)
_ROW_BREAK_RE: Final = re.compile(r"\\\\")
_CUP_RE: Final = re.compile(r"\\cup|∪")
_INFINITY_RE: Final = re.compile(r"^\s*([+-]?)\s*\\infty\s*$|^\s*([+-]?)\s*∞\s*$")


def matrix_entries(answer: str) -> list[list[str]] | None:
    """The rows of a matrix or vector answer, each a list of entry texts; ``None`` when it is not one.

    A determinant (``vmatrix``) is a number, not a matrix: not read here."""
    m = _MATRIX_RE.match(answer)
    if m is None:
        return None
    rows = [row.strip() for row in _ROW_BREAK_RE.split(m.group(2))]
    while rows and not rows[-1]:
        rows.pop()  # a trailing \\ before \end
    if not rows:
        return None
    entries = [[entry.strip() for entry in row.split("&")] for row in rows]
    if any(not entry for row in entries for entry in row):
        return None
    return entries


def compare_matrices(a: str, b: str, compare: Compare) -> bool | None:
    """Two matrices (or vectors): different shapes differ; else entry by entry, decided when every entry is."""
    ma, mb = matrix_entries(a), matrix_entries(b)
    if ma is None or mb is None:
        return None
    if [len(row) for row in ma] != [len(row) for row in mb]:
        return False
    outcomes = [compare(x, y) for row_a, row_b in zip(ma, mb, strict=True) for x, y in zip(row_a, row_b, strict=True)]
    if any(outcome is False for outcome in outcomes):
        return False
    return None if any(outcome is None for outcome in outcomes) else True


Bound = tuple[int, Fraction]
"""An endpoint: ``(-1, 0)`` is −∞, ``(1, 0)`` is +∞, ``(0, x)`` is the number x."""
Interval = tuple[Bound, bool, Bound, bool]
"""Left bound, left closed, right bound, right closed."""


def _bound(text: str, value_of: ValueOf) -> Bound | None:
    inf = _INFINITY_RE.match(text)
    if inf:
        return (-1 if "-" in (inf.group(1) or inf.group(2) or "") else 1, Fraction(0))
    value = value_of(text)
    return None if value is None else (0, value)


def _interval(text: str, value_of: ValueOf) -> Interval | None:
    text = text.strip()
    if len(text) < 5 or text[0] not in "([" or text[-1] not in ")]":
        return None
    inner = text[1:-1]
    depth, comma = 0, -1
    for i, ch in enumerate(inner):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            if comma >= 0:
                return None  # three parts: a tuple, not an interval
            comma = i
    if comma < 0 or depth != 0:
        return None
    left, right = _bound(inner[:comma], value_of), _bound(inner[comma + 1:], value_of)
    if left is None or right is None or left > right:
        return None
    return left, text[0] == "[" and left[0] == 0, right, text[-1] == "]" and right[0] == 0


def _union(text: str, value_of: ValueOf) -> list[Interval] | None:
    """The intervals of ``(a, b) \\cup [c, d]``, merged where they overlap or touch, in order."""
    pieces = [_interval(piece, value_of) for piece in _CUP_RE.split(text)]
    if not pieces or any(piece is None for piece in pieces):
        return None
    merged: list[Interval] = []
    for left, left_closed, right, right_closed in sorted(p for p in pieces if p is not None):
        if merged:
            m_left, m_left_closed, m_right, m_right_closed = merged[-1]
            if left < m_right or (left == m_right and (m_right_closed or left_closed)):
                if right > m_right or (right == m_right and right_closed):
                    m_right, m_right_closed = right, right_closed or (right == m_right and m_right_closed)
                merged[-1] = (m_left, m_left_closed, m_right, m_right_closed)
                continue
        merged.append((left, left_closed, right, right_closed))
    return merged


def compare_unions(a: str, b: str, value_of: ValueOf) -> bool | None:
    """Two sets of reals, at least one written as a union (``(0, 36)`` is not ``(0,9) \\cup (9,36)``): equal
    when their merged intervals are. ``None`` unless both read as unions of intervals with known endpoints."""
    if not (_CUP_RE.search(a) or _CUP_RE.search(b)):
        return None  # a lone (a, b) may be a point: the tuple comparison decides it
    ua, ub = _union(a, value_of), _union(b, value_of)
    if ua is None or ub is None:
        return None
    return ua == ub


_PM_RE: Final = re.compile(r"\\pm|±")
_BRACE_SET_RE: Final = re.compile(r"^\s*\\\{(.*)\\\}\s*$", re.S)


def top_level_split(text: str, sep: str) -> list[str] | None:
    """``text`` split at ``sep`` outside brackets and braces; ``None`` when the brackets do not balance."""
    parts, depth, last = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif ch == sep and depth == 0:
            parts.append(text[last:i].strip())
            last = i + 1
    if depth != 0:
        return None
    parts.append(text[last:].strip())
    return parts


def set_elements(answer: str) -> list[str] | None:
    """The members of an answer read as a set of values: ``\\{a, b\\}``, a bare list ``a, b``, or ``a \\pm b``
    (two members, ``a + b`` and ``a - b``). ``None`` for a tuple or interval in brackets, whose order counts."""
    text = answer.strip()
    brace = _BRACE_SET_RE.match(text)
    if brace:
        text = brace.group(1)
    elif text[:1] in "([":
        return None
    parts = top_level_split(text, ",")
    if parts is None or not all(parts):
        return None
    members: list[str] = []
    for part in parts:
        signs = list(_PM_RE.finditer(part))
        if not signs:
            members.append(part)
            continue
        before, after = part[: signs[0].start()].strip(), part[signs[0].end():].strip()
        if len(signs) > 1 or not after or top_level_split(before, ",") is None:
            return None  # two ± in one member, or one inside a fraction (\frac{1 \pm \sqrt{5}}{2}): not expanded
        members += [f"{before} + ({after})", f"{before} - ({after})"] if before else [after, f"-({after})"]
    return members


def compare_sets(a: str, b: str, compare: Compare) -> bool | None:
    """Two answers as sets of values (``-1, 3`` against ``1 \\pm \\sqrt{19}``; ``{4, -4, 0}`` against
    ``{1 \\pm \\sqrt{5}, -2}``; ``3, 7, 5`` against ``3, 5, 7``, as math-verify reads bare lists): equal when
    every member of each equals a member of the other. Only when a ``\\pm`` or two bare lists make them sets;
    ``None`` when a member's comparison is undecided."""
    xs, ys = set_elements(a), set_elements(b)
    if xs is None or ys is None or (len(xs) < 2 and len(ys) < 2):
        return None
    bare = not _BRACE_SET_RE.match(a) and not _BRACE_SET_RE.match(b) and len(xs) >= 2 and len(ys) >= 2
    if not (_PM_RE.search(a) or _PM_RE.search(b) or bare):
        return None  # two sets in braces: the set comparison after this one
    undecided = False
    for mine, theirs in ((xs, ys), (ys, xs)):
        for x in mine:
            outcomes = [compare(x, y) for y in theirs]
            if True in outcomes:
                continue
            if None in outcomes:
                undecided = True
                continue
            return False
    return None if undecided else True


_RELATION_RE: Final = re.compile(r"\\leq?\b|\\geq?\b|\\neq?\b|≤|≥|≠|<=|>=|<|>")
_AND_RE: Final = re.compile(r"\\text\{\s*and\s*\}|\band\b|\\wedge|,")
_VARIABLE_RE: Final = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)$")
_RELATION_OF: Final = {"\\le": "<=", "\\leq": "<=", "≤": "<=", "\\ge": ">=", "\\geq": ">=", "≥": ">=",
                "\\ne": "!=", "\\neq": "!=", "≠": "!="}
_FLIP: Final = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _inequality_set(answer: str, value_of: ValueOf) -> list[Interval] | None:
    """``0 \\le \\lambda \\le 4 and \\lambda \\neq 1`` → [0, 1) ∪ (1, 4]: the set of reals an inequality in one
    variable describes, when every bound has a value; ``None`` for anything else."""
    lower: Bound = (-1, Fraction(0))
    upper: Bound = (1, Fraction(0))
    lower_closed = upper_closed = False
    holes: list[Fraction] = []
    variable = None
    for clause in _AND_RE.split(answer.strip()):
        ops = [(m.start(), m.end(), _RELATION_OF.get(m.group(0), m.group(0))) for m in _RELATION_RE.finditer(clause)]
        if not ops or len(ops) > 2:
            return None
        cuts = [0, *[x for start, end, _ in ops for x in (start, end)], len(clause)]
        terms = [clause[cuts[i]:cuts[i + 1]].strip() for i in range(0, len(cuts), 2)]
        relations = [op for _, _, op in ops]
        names = [i for i, term in enumerate(terms) if _VARIABLE_RE.match(term)]
        if len(names) != 1 or (variable is not None and terms[names[0]] != variable):
            return None
        variable, at = terms[names[0]], names[0]
        for i, op in enumerate(relations):
            # the variable against the other term of this relation, written as "variable op bound"
            other, op = (terms[i + 1], op) if i == at else (terms[i], _FLIP.get(op, op)) if i + 1 == at else ("", "")
            if not other:
                return None
            bound = value_of(other)
            if bound is None:
                return None
            if op == "!=":
                holes.append(bound)
            elif op in (">", ">=") and ((0, bound) > lower or ((0, bound) == lower and op == ">")):
                lower, lower_closed = (0, bound), op == ">="
            elif op in ("<", "<=") and ((0, bound) < upper or ((0, bound) == upper and op == "<")):
                upper, upper_closed = (0, bound), op == "<="
    if variable is None or lower > upper:
        return None
    pieces: list[Interval] = [(lower, lower_closed, upper, upper_closed)]
    for hole in sorted(set(holes)):
        point: Bound = (0, hole)
        split: list[Interval] = []
        for left, left_closed, right, right_closed in pieces:
            if left < point < right:
                split += [(left, left_closed, point, False), (point, False, right, right_closed)]
            elif point == left and left_closed:
                split.append((left, False, right, right_closed))
            elif point == right and right_closed:
                split.append((left, left_closed, right, False))
            else:
                split.append((left, left_closed, right, right_closed))
        pieces = split
    return pieces


def compare_inequality(a: str, b: str, value_of: ValueOf) -> bool | None:
    """An inequality in one variable against an interval or union of intervals (``0 \\le x \\le 4`` is not
    ``(3,4]``), as sets of reals; ``None`` unless one side is such an inequality and the other reads as
    intervals (or as an inequality too)."""
    sa, sb = _inequality_set(a, value_of), _inequality_set(b, value_of)
    if sa is None and sb is None:
        return None
    ua = sa if sa is not None else _union(a, value_of)
    ub = sb if sb is not None else _union(b, value_of)
    if ua is None or ub is None:
        return None
    return ua == ub
