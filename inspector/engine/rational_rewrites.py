"""Equations with letters in a denominator, rewritten on the next line: the rewrite must keep their solutions.

``x + 1 = \\frac{nx + 11}{n + 1}``, then "Simplifying this equation, we get" ``x + 1 = x + \\frac{11}{n + 1}``;
``L = \\frac{1}{3}(L + \\frac{1}{L} − 1)``, then "Multiplying through by 3L, we get" ``3L^2 = L + \\frac{1}{L} − 1``.
``derive`` follows rewrites as polynomials with rational coefficients and so cannot see these (a letter in a
denominator is no polynomial). Here the equation above is solved for one of its letters (numerically, where
it is linear or quadratic in it), the other letters set to test values, and the new line must hold at a
solution; at two sets of test values. Multiplying through by a letter keeps the solutions, so it passes.

Only where the text says the line rewrites the one above ("simplifying", "multiplying through", "dividing"):
equations with the same letters listed one under the other are as often a system as a derivation.
"""

from __future__ import annotations

import re
from typing import Final

from .arith import NotRational, Unverifiable, evaluate, symbols_of
from .check import Checked
from .derive_forms import says_anew
from .extract import Formula
from .float_eval import float_at as _float_at
from .letters import _POINTS
from .model import Claim, ClaimStatus
from .parse import Node
from .roots import real_roots
from .scan import may_contain

_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

_SAYS_REWRITE_RE: Final = re.compile(
    r"(?i)\b(?:expand\w*|simplif\w*|rearrang\w*|collect\w*|combin\w*|rewrit\w*|multiply\w*|multiplying|"
    r"divid\w*|cross[- ]multipl\w*|clear\w*\s+(?:the\s+)?(?:denominator|fraction)\w*)\b"
)
_SAYS_REWRITE_WORDS: Final = ("expand", "simplif", "rearrang", "collect", "combin", "rewrit", "multipl", "divid", "clear")
"""A word each alternative of ``_SAYS_REWRITE_RE`` needs (``tests/test_scan.py``)."""
_OTHER_EQUATION_RE: Final = re.compile(r"(?i)\b(?:first|second|third|other|both|each|previous|original|earlier)\b|\(\d\)")
"""The text names which equation it rewrites ("Rearrange the first equation"): maybe not the one right above."""
_MAX_LETTERS: Final = 2


_FIELD: Final = frozenset({"num", "sym", "add", "mul", "div", "paren", "neg"})
"""The operations of a rational function (and whole powers): no roots, no functions, no letter exponents."""


def _rational_function(node: Node) -> bool:
    """Built from numbers and letters by + − × ÷ and whole powers only."""
    stack = [node]
    while stack:
        n = stack.pop()
        tag = n[0]
        if tag == "pow":
            exponent = n[2]
            if exponent[0] == "paren":
                exponent = exponent[1]
            if exponent[0] == "neg":
                exponent = exponent[1]
            if exponent[0] != "num" or exponent[1].denominator != 1:
                return False
            stack.append(n[1])
        elif tag not in _FIELD:
            return False
        elif tag == "add":
            stack.extend(sub for _, sub in n[1])
        elif tag not in ("num", "sym"):
            stack.extend(c for c in n[1:] if isinstance(c, tuple))
    return True


def _letter_denominator(node: Node) -> bool:
    """Letters in a denominator: outside the polynomials ``derive`` follows exactly."""
    try:
        evaluate(node)
    except NotRational:
        return True
    except Unverifiable:
        return False
    return False


def follows(prev: Formula, new: Formula) -> bool | None:
    """Does ``new`` hold at the solutions of ``prev`` (True), at none of them (False), or can it not be told
    (None)?"""
    pl, pr, nl, nr = prev.sides[0].node, prev.sides[-1].node, new.sides[0].node, new.sides[-1].node
    if pl is None or pr is None or nl is None or nr is None:
        return None
    names = sorted(symbols_of(pl) | symbols_of(pr))
    if not names or len(names) > _MAX_LETTERS or "i" in names or set(names) != symbols_of(nl) | symbols_of(nr):
        return None
    for letter in names:
        verdicts = []
        for shift in (0, 1):
            values = {name: float(_POINTS[(k + shift) % len(_POINTS)] + shift) for k, name in enumerate(names)}
            roots = real_roots(pl, pr, letter, values, powers=(0, 1, 2))
            if not roots:
                break
            held = False
            for root in roots:
                if abs(root) < 1e-9:
                    continue
                values[letter] = root
                a, b = _float_at(nl, values), _float_at(nr, values)
                if a is not None and b is not None and abs(a - b) <= 1e-7 * max(abs(a), abs(b), 1.0):
                    held = True
            verdicts.append(held)
        if len(verdicts) == 2:
            return all(verdicts) if all(verdicts) or not any(verdicts) else None
    return None


def rational_rewrites(formulas: list[Formula], text: str, rule: str) -> list[Checked]:
    """Each line that rewrites the equation right above it, letters in a denominator, and loses its solutions."""
    out: list[Checked] = []
    prev: Formula | None = None
    for f in formulas:
        if f.kind != "inline" or len(f.sides) != 2:
            continue
        before, prev = prev, f
        if before is None or f.line - before.line not in (1, 2) or before.kind != "inline":
            continue
        gap = text[before.end : f.start]
        if (not may_contain(gap, _SAYS_REWRITE_WORDS) or _SAYS_REWRITE_RE.search(gap) is None or says_anew(gap)
                or _OTHER_EQUATION_RE.search(gap) is not None):
            continue
        sides = (*before.sides, *f.sides)
        if any(s.node is None or not _rational_function(s.node) for s in sides):
            continue  # roots, functions, letters in exponents: not solved here
        if not any(_letter_denominator(s.node) for s in sides if s.node is not None):
            continue  # polynomials: ``derive`` follows them exactly
        if "^{-1}" in text[before.start : f.end]:
            continue  # f^{-1}(2): an inverse function, not a power
        if follows(before, f) is not False:
            continue
        new = f.sides[-1]
        span = (f.start, f.end)
        claim = Claim(
            step=f.step, span=span, text=text[f.start : f.end], stated=text[f.start : f.end], actual=None,
            status=_WRONG, kind="rewrite", rule=rule,
            reason="does not keep the solutions of the equation above", stated_span=(new.start, new.end),
        )
        out.append(Checked(claim, f, None, None, None, span[0]))
    return out
