"""Check derivations across lines: each rewrite of an equation or expression must stay equivalent.

Within-line checks miss the slips that matter most: ``900 = 195 + … − 468 − 3X`` followed by
``900 = 1717 − 905 − 3X`` holds no false equality on either line. Here letters are symbols and
each line is a polynomial over the rationals, so "the same equation" means proportional
polynomials, and a rewrite whose constant part moved is a slip. The slip is then pinned to the one
number that, corrected, restores equivalence, preferring a number the line above explains (the
sum of a run of its terms), which is how a person would point at it.

The work is in four modules: `derive_links` links each line to the one it rewrites, `derive_forms` reads what
a line's written form says, `derive_slips` records each rewrite's claim and pins a slip; here,
`check_derivations` decides which links hold. `Link`, `link_lines` and `is_value` are imported here too, for
the callers that know them as ``derive``'s (`trace`).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

from .arith import PolyValue, subtract, symbols_of
from .check import Checked
from .derive_forms import (
    _constant_offset,
    _is_normal,
    _new_item,
    _next_case,
    _proportional,
    _same_shape,
    _same_step,
    _says_rewrite,
    _starts_anew,
)
from .derive_forms import is_value as is_value
from .derive_links import Link as Link
from .derive_links import _has_letters, _norm, _side_letters, _value
from .derive_links import link_lines as link_lines
from .derive_slips import (
    _check_continuation,
    _check_identity,
    _record,
    _record_equation,
    _record_unequal,
    _solved_rounded,
)
from .extract import Formula
from .model import ClaimStatus
from .rational import neg, numerator

_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""
_ZERO: Final = Fraction(0)
_ONE: Final = Fraction(1)


def check_derivations(formulas: list[Formula], text: str, rule: str, cont_rule: str) -> list[Link]:
    """Link lines and check each rewrite; the links carry their claims (``Link.checked``)."""
    links = link_lines(formulas, text)
    stated: dict[tuple[str, str], int] = {}
    """Each equation written so far (its first two sides as written), and where: a line that writes one of
    them again restates that one (``(x − 4)^2 + y^2 = 16`` expanded after a system of two equations), not the
    line right above it."""
    for position, link in enumerate(links):
        prev = link.prev
        f = link.formula
        written = (_norm(f.sides[0]), _norm(f.sides[1])) if len(f.sides) >= 2 and f.kind == "inline" else None
        if written is not None:
            earlier = stated.get(written)
            stated[written] = position
            if (prev is not None and earlier is not None and links[earlier] is not prev
                    and not _same_step(links[earlier].prev, prev)):
                link.start = link
                link.prev = None
                continue
        if (prev is not None and link.poly is not None and prev.poly is not None
                and not _proportional(link.poly, prev.poly) and _constant_offset(prev.poly, link.poly) is None
                and any(_proportional(link.poly, other.poly) for other in links[max(0, position - 8) : position - 1]
                        if other.poly is not None and other is not prev and not _same_step(other.prev, prev))):
            # "x^2 − 8x + 16 + y^2 = 16" under the second equation of a system: it expands the first one
            # (a line that reads as the one above with a number changed is checked against that one: two
            # slips that cancel give back an earlier equation, "900 = 1924 − 805 − 3X")
            # (a derivation written out again, its line above restating the earlier one's, is checked again)
            link.start = link
            link.prev = None
            continue
        original = link.prev
        _check_link(links, position, link, text, rule, cont_rule)
        if original is not None and _wrong_rewrite(link):
            _try_siblings(links, position, link, original, text, rule, cont_rule)
    return links


def _check_link(links: list[Link], position: int, link: Link, text: str, rule: str, cont_rule: str) -> None:
    """Check one line against the line it is linked to (``link.prev``), or cut the link."""
    prev = link.prev
    f = link.formula
    if prev is None or f.kind == "expression":
        link.start = link
        link.prev = None
        return
    if f.kind == "continuation":
        _check_continuation(link, prev, text, cont_rule)
        return
    pf = prev.formula
    if prev.poly is None or link.poly is None or len(pf.sides) != 2:
        link.start = link
        link.prev = None
        return
    if (_norm(f.sides[0]) == _norm(pf.sides[1]) and _side_letters(pf.sides[0]) and _side_letters(pf.sides[1])
            and pf.sides[0].node is not None and pf.sides[0].node[0] != "sym"):
        # "x + 6x + 2 = 7x + 2" then "7x + 2 = 42": the first line is an identity the second builds on,
        # not an equation it rewrites ("x = 7n + 5" then "7n + 5 = 143p + 10" defines x: no identity);
        # "y − 2y = x" then "x = −y" solves for the letter on the right: an equation, no identity
        # "r_1r_2r_3 = −a/8" (Vieta) or "(x − 5)^2 + (y + 3)^2 = r^2" relates letters of its own on each
        # side: a relation the next line uses, no identity in one set of letters
        if (pf.sides[1].node is not None and pf.sides[1].node[0] != "sym"
                and pf.sides[0].node is not None and symbols_of(pf.sides[0].node) == symbols_of(pf.sides[1].node)):
            _check_identity(prev, text, rule)
        link.start = link
        link.prev = None
        return
    if _starts_anew(text, pf, f) or _new_item(text, prev, f):
        link.start = link
        link.prev = None
        return
    if _next_case(links, position, prev):
        link.start = link
        link.prev = None
        return
    same_left = _norm(pf.sides[0]) == _norm(f.sides[0])
    letters = _has_letters(pf) or prev.equation_mode
    if same_left and _is_normal(pf.sides[1]) and _is_normal(f.sides[1]):
        # "a = 3" then "a = 7/2", "n = 3k + 1" then "n = 3k + 2": nothing in the first line was left to
        # simplify, so the second restates nothing: cases of an enumeration, alternatives, trial values
        link.start = link
        link.prev = None
        return
    if same_left:
        r1, r2 = _value(pf.sides[1]), _value(f.sides[1])
        assert r1 is not None and r2 is not None
        diff = subtract(r2, r1)
        if not diff.is_constant:
            # "(20 + X)/6 = 2" then "(20 + X)/6 = X": the same left side equal to something else is
            # another equation, not a rewrite (which would keep the right side's value)
            link.start = link
            link.prev = None
            return
        if letters or _has_letters(f):
            _record(link, prev, pf.sides[1], f.sides[1], diff.constant(), text, rule, _ONE)
            return
    offset = _constant_offset(prev.poly, link.poly)
    if offset is None:
        if (link.poly.is_constant and prev.poly.is_constant and numerator(link.poly.constant()) != 0
                and numerator(prev.poly.constant()) != 0 and (prev.equation_mode or _has_letters(pf))):
            # "x + 2 = x + 33/13", then "2 = 33/13", then "13 = 33": the letters cancelled and what is
            # left is false; each later line restates that contradiction, it is no new slip
            _record(link, prev, pf.sides[1], f.sides[1], _ZERO, text, rule, _ONE)
            return
        if link.poly.is_constant and prev.poly.is_constant and same_left and letters:
            delta = link.poly.constant() - prev.poly.constant()
            _record(link, prev, pf.sides[1], f.sides[1], neg(delta), text, rule, _ONE)
            return
        if _says_rewrite(text, pf, f) and _same_shape(prev.poly, link.poly):
            # "Expanding this expression, we get …": the text says the line restates the one above, and
            # it does not (no single number to blame: the whole line is the slip)
            _record_unequal(link, prev, text, rule)
            return
        link.start = link
        link.prev = None
        return
    k, delta = offset
    if numerator(delta) == 0:
        _record(link, prev, pf.sides[1], f.sides[1], _ZERO, text, rule, k)
        return
    solved = _solved_rounded(f, delta)
    if solved is not None:
        # "18x = 107" then "x = 5.94": the solution, rounded to the digits written
        _record(link, prev, solved, solved, _ZERO, text, rule, k)
        return
    # which side moved: compare the written sides; a slip in the right side of "a = b" shows as −δ
    if _norm(pf.sides[0]) == _norm(f.sides[0]):
        _record(link, prev, pf.sides[1], f.sides[1], -delta, text, rule, k)
    elif _norm(pf.sides[1]) == _norm(f.sides[1]):
        _record(link, prev, pf.sides[0], f.sides[0], delta, text, rule, k)
    elif not _record_equation(link, prev, delta, k, text, rule):
        link.start = link
        link.prev = None


def _wrong_rewrite(link: Link) -> bool:
    return any(c.claim.status is _WRONG for c in link.checked)


def _try_siblings(links: list[Link], position: int, link: Link, original: Link, text: str, rule: str,
                  cont_rule: str) -> None:
    """A line that fails as a rewrite of the equation right above it, but is a right rewrite of another
    equation listed with that one (``x − 4 = 12``, ``x − 4 = −12``, then ``x = 16``, ``x = −8``; "``b + 7 = 28``
    or ``b + 7 = 56``, which gives ``b = 21`` or ``b = 49``"): the solutions of a list of equations, paired
    with theirs. A line that rewrites none of them is a slip, pinned against its pair in the list (the first
    equation, for the first line after the list) when that reads as a rewrite, else against the one above."""
    kept = _link_state(link)
    siblings = _siblings(links, position, original, text)
    # lists solved list by list ("x − 4 = 12", "x − 4 = −12"; then "x = 12 + 4", "x = −12 + 4"; then "x = 16",
    # "x = −8"): the i-th equation of a list pairs with the i-th of the list before it
    counterpart = _counterpart(links, position, link, original, siblings, text)
    if counterpart is not None and counterpart not in siblings:
        siblings.append(counterpart)
    if not siblings:
        return
    paired: tuple[Link | None, Link | None, bool, list[Checked]] | None = None
    for sibling in siblings:
        saved = list(sibling.checked)
        link.prev, link.start, link.equation_mode, link.checked = sibling, None, False, []
        _check_link(links, position, link, text, rule, cont_rule)
        sibling.checked[:] = saved  # (a try that reads the sibling as an identity adds nothing to it)
        moved_to, _, _, checked = _link_state(link)  # (read afresh: _check_link has moved the link)
        if moved_to is sibling and checked:
            if not _wrong_rewrite(link):
                return
            if sibling is siblings[0] and not _SIBLING_GAP_RE.fullmatch(text, original.formula.end, link.formula.start):
                paired = _link_state(link)  # (read afresh: _check_link has moved the link)
    link.prev, link.start, link.equation_mode, link.checked = paired or kept


_MAX_SIBLINGS: Final = 6


def _link_state(link: Link) -> tuple[Link | None, Link | None, bool, list[Checked]]:
    """Where a link points and what it checked: kept to be put back after trying it elsewhere."""
    return link.prev, link.start, link.equation_mode, link.checked


def _siblings(links: list[Link], position: int, prev: Link, text: str) -> list[Link]:
    """The equations listed together with ``prev`` right before it, first first: each on the line after the
    other, or joined by "or", "and", commas, none a rewrite of the one before it."""
    k = position - 1
    while k >= 0 and links[k] is not prev:
        k -= 1
    return _list_ending(links, k, text)[:-1] if k >= 0 else []


def _listed_together(first: Link, second: Link, text: str) -> bool:
    """Whether ``second`` is the equation listed right after ``first`` (next line, or "or"/"and"/a comma)."""
    a, b = first.formula, second.formula
    return (b.line - a.line <= 2 and len(a.sides) == 2 and b.start - a.end <= _SIBLING_GAP
            and _SIBLING_GAP_RE.fullmatch(text, a.end, b.start) is not None)


def _list_ending(links: list[Link], k: int, text: str) -> list[Link]:
    """The equations listed together that end with ``links[k]``, first first."""
    out = [links[k]]
    while k > 0 and len(out) <= _MAX_SIBLINGS and links[k].prev is not links[k - 1] and _listed_together(
            links[k - 1], links[k], text):
        out.append(links[k - 1])
        k -= 1
    return out[::-1]


def _counterpart(links: list[Link], position: int, link: Link, original: Link, siblings: list[Link],
                 text: str) -> Link | None:
    """The equation in the same place of the list before this line's list (None when there is none)."""
    if _listed_together(original, link, text):
        mine = [*siblings, original]
    else:
        mine = []  # this line begins a list of its own
    first = mine[0] if mine else link
    k = next((i for i in range(position) if links[i] is first), position)
    if k == 0:
        return None
    before = _list_ending(links, k - 1, text)
    return before[len(mine)] if len(mine) < len(before) else None


_SIBLING_GAP: Final = 40
_SIBLING_GAP_RE: Final = re.compile(r"(?:\s|[$,;&]|\\[\[\]()]|\\\\|\\q?quad|\\text\{\s*(?:or|and)\s*\}|\bor\b|\band\b)*+")
"""What may stand between two equations of one list: space, math delimiters, "or", "and", commas."""


def solve_linear(poly: PolyValue, symbol: str) -> Fraction | None:
    """The value of ``symbol`` making ``poly = 0``, when it is the only letter and appears linearly."""
    terms = poly.without_constant()
    if set(terms) != {((symbol, 1),)}:
        return None
    return -poly.constant() / terms[((symbol, 1),)]
