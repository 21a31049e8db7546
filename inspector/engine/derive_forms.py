"""What a derivation's lines say by their written form: the same equation, a new case, nothing to simplify.

Apart from `derive` because these are questions about one or two lines as written, each answered on its own,
while `derive` weighs the answers to decide whether a line rewrites the one above. Keeping them here leaves
that decision readable as one function.
"""

from __future__ import annotations

import re
from fractions import Fraction
from math import gcd
from typing import Final

from .arith import Node, PolyValue
from .derive_links import Link, _norm
from .exact import Poly
from .extract import Formula, Side
from .rational import denominator, div, mul, numerator, sub
from .scan import lowered, occurrences


def _constant_offset(a: PolyValue, b: PolyValue) -> tuple[Fraction, Fraction] | None:
    """``(k, δ)`` with ``b = k·a + δ`` in the non-constant part, when ``b``'s letters are ``k`` times ``a``'s."""
    na, nb = a.without_constant(), b.without_constant()
    if not na or not nb or set(na) != set(nb):
        return None
    m0 = next(iter(na))
    if not _all_scaled(na, nb, nb[m0], na[m0]):
        return None
    k = div(nb[m0], na[m0])
    return k, sub(b.constant(), mul(k, a.constant()))


def _all_scaled(a: Poly, b: Poly, p: Fraction, q: Fraction) -> bool:
    """Is ``b[m] == (p / q) · a[m]`` for every monomial of ``a`` (``q`` not zero)? Asked as ``b[m] · q == p · a[m]`` in
    integers (numerators times denominators): the same answer without a ``Fraction`` operation, which from compiled
    code cost some 11,000 instructions each."""
    pn, pd, qn, qd = numerator(p), denominator(p), numerator(q), denominator(q)
    for m, c in a.items():
        t = b[m]
        if numerator(t) * qn * pd * denominator(c) != pn * numerator(c) * denominator(t) * qd:
            return False
    return True


_ANEW_RE: Final = re.compile(
    r"(?i)\b(?:case|however|alternatively|instead|suppose|set\s+up|another|similarly|also|second|third|"
    r"consider|check(?:ing)?|verify(?:ing)?|substitut\w*|plug(?:ging)?|given|we\s+know|recall|"
    r"let(?!['’]s|\s+us)|assum\w*)\b|(?:^|[.:;!?]\s++|(?<!\s)[ \t]*+\n\s*+(?:[-*•]\s*+)?)(?:for|if|when)\b"
    r"(?!\s+we\b)|\b(?:can|could)\s+(?:only\s+)?(?:be|equal)\s+(?:either\s+)?[-\d$\\(]"
)
"""Words between two equations that say the second is a new one (another case, a trial, a new fact, one of
the values something "can be"), not a restatement of the first."""
_ANEW_WORDS: Final = (
    "case", "however", "alternatively", "instead", "suppose", "set", "another", "similarly", "also", "second", "third",
    "consider", "check", "verify", "substitut", "plug", "given", "we", "recall", "let", "assum", "for", "if", "when",
    "can", "could",
)
"""A word each alternative of ``_ANEW_RE`` needs (``tests/test_scan.py`` holds them complete)."""


def says_anew(gap: str) -> bool:
    """``_ANEW_RE.search(gap) is not None``: the gap says the equation after it is a new one.

    The pattern opens with ``\\b`` and ``(?i)``, or with a punctuation mark, a line break or the start of the gap
    before "for", "if", "when": a search tried it at every position (14 µs a gap). It is tried only where a match
    can start: where one of its words is written (in lower case, in ``lowered``), at the gap's start, at each
    punctuation mark and at each line break (and the spaces before it)."""
    low = lowered(gap)
    if low is None:
        return _ANEW_RE.search(gap) is not None  # a character (?i) folds that lower() does not: the plain search
    starts = occurrences(low, _ANEW_WORDS)
    if not starts:
        return False  # every alternative needs one of the words
    starts.append(0)
    for at in occurrences(gap, (".", ":", ";", "!", "?", "\n")):
        starts.append(at)
        if gap[at] == "\n":
            k = at
            while k > 0 and (gap[k - 1] == " " or gap[k - 1] == "\t"):
                k -= 1
            starts.append(k)  # "x \nfor": the spaces before the break open the match
    return any(_ANEW_RE.match(gap, at) is not None for at in starts)
_MAX_GAP: Final = 400
"""Prose longer than this between two equations: they are not one derivation."""


def _next_case(links: list[Link], position: int, prev: Link) -> bool:
    """Is this line the next case of an enumeration: its first equation has the left side of the first
    equation on the line above, with another plain value (``n + 2 = 1 ⟹ n = −1`` then ``n + 2 = 3 ⟹ n = 1``)?"""
    f = links[position].formula
    if len(f.sides) != 2 or prev.formula.line == f.line or not _is_normal(f.sides[1]):
        return False
    if position > 0 and links[position - 1].formula.line == f.line:
        return False  # not the line's first equation
    first = prev
    k = position - 1
    while k >= 0 and links[k] is not prev and links[k].formula.line >= prev.formula.line:
        k -= 1  # prev is nearly always right above: a short walk, never a search of the whole chain
    if k < 0 or links[k] is not prev:
        return False
    while k > 0 and links[k - 1].formula.line == prev.formula.line:
        k -= 1
        first = links[k]
    pf = first.formula
    return (first is not prev and len(pf.sides) == 2 and _norm(pf.sides[0]) == _norm(f.sides[0])
            and _is_normal(pf.sides[1]) and _norm(pf.sides[1]) != _norm(f.sides[1]))


def _proportional(a: PolyValue, b: PolyValue) -> bool:
    """Are two equations' ``left − right`` the same up to a non-zero factor (the same equation, rewritten)?"""
    ta = {m: c for m, c in a.terms.items() if numerator(c) != 0}
    tb = {m: c for m, c in b.terms.items() if numerator(c) != 0}
    if not ta or set(ta) != set(tb) or all(not m for m in ta):
        return False  # a constant "equation" (0 = 5) restates nothing
    m0 = next(iter(ta))
    return _all_scaled(ta, tb, tb[m0], ta[m0])


def _same_step(a: Link | None, b: Link) -> bool:
    """Are two lines the same equation as written (a derivation written out again: its rewrites are checked
    again, as a reader checks a computation done twice)?"""
    if a is None:
        return False
    fa, fb = a.formula, b.formula
    return (len(fa.sides) >= 2 and len(fb.sides) >= 2 and _norm(fa.sides[0]) == _norm(fb.sides[0])
            and _norm(fa.sides[1]) == _norm(fb.sides[1]))


def _starts_anew(text: str, prev: Formula, f: Formula) -> bool:
    """Does the text between two equations (or before the second in its line) say the second is new?"""
    if f.line == prev.line:
        return False
    gap = text[prev.end : f.start]
    if len(gap) > _MAX_GAP:
        return True
    if f.context is not None:
        gap = text[prev.end : f.start] if prev.end >= f.context.start else gap
    if says_anew(gap):
        return True
    item = _LIST_ITEM_RE.match(text, f.context.start if f.context else f.start)
    return item is not None and f.start - item.end() <= _ITEM_SLACK


_LIST_ITEM_RE: Final = re.compile(r"[ \t]*(?:[-*•][ \t]|\d{1,2}[.)][ \t]|\(?[a-z][.)][ \t]|#+[ \t])")
"""A line that starts a list item: items that are each an equation are alternatives, cases or separate
facts, never rewrites. (A numbered step of prose that ends in an equation, as Abel writes every step, is
not such an item.)"""
_ITEM_SLACK: Final = 6
"""How far into a list item its equation may start for the item to be just that equation (``1. \\(``)."""


def _new_item(text: str, prev: Link, f: Formula) -> bool:
    """Is ``f`` a list item's new equation that parallels the one the derivation above started from
    (item 7: "the main diagonal is (n−3) + (2n−9) + (n−1) = S ⟹ 4n − 13 = S"; item 8: "the other diagonal is
    (n+1) + (2n−9) + (n−3) = S"): the same side again, the other one a new sum to work out, not a rewrite?"""
    first, pf = prev.start, prev.formula
    if first is None or first is prev or f.line <= pf.line or len(f.sides) != 2 or len(first.formula.sides) != 2:
        return False
    line_start = text.rfind("\n", 0, f.start) + 1
    if not _LIST_ITEM_RE.match(text, line_start):
        return False
    sides = first.formula.sides
    return any(
        _norm(sides[i]) == _norm(f.sides[i]) and _norm(sides[1 - i]) != _norm(f.sides[1 - i])
        and not _is_normal(sides[1 - i]) and not _is_normal(f.sides[1 - i])
        for i in (0, 1)
    )


def without_sign(node: Node) -> Node:
    """The term under a leading sign: ``-6 \\cdot 5^{2/5}`` (a one-term sum, or a negation) is its product."""
    if node[0] == "neg":
        return node[1]  # type: ignore[no-any-return]
    if node[0] == "add" and len(node[1]) == 1:
        return node[1][0][1]  # type: ignore[no-any-return]
    return node


def is_value(side: Side) -> bool:
    """A number as the result of a derivation writes it: ``3``, ``-2``, ``7/2``, ``\\frac{7}{2}`` in lowest terms."""
    node = side.node
    if node is None:
        return False
    while node[0] == "paren":
        node = node[1]
    node = without_sign(node)
    if node[0] == "num":
        return True
    if node[0] == "paren":
        node = node[1]
    if node[0] == "div" and node[1][0] == "num" and node[2][0] == "num":
        a, b = node[1][1], node[2][1]
        return (denominator(a) == 1 and denominator(b) == 1 and numerator(b) > 1
                and gcd(numerator(a), numerator(b)) == 1)
    return False


def _is_normal(side: Side) -> bool:
    """Nothing left to simplify: a value (``3``, ``7/2``), or a sum of distinct terms, each a number times
    letters (``3k + 1``, ``x^2 - 2x``), with no operation between numbers."""
    if is_value(side):
        return True
    node = side.node
    if node is None:
        return False
    terms = node[1] if node[0] == "add" else [(1, node)]
    seen: set[object] = set()
    constants = 0
    for _, term in terms:
        shape = _monomial(term)
        if shape is None:
            return False
        if shape == ():
            constants += 1
            if constants > 1:
                return False
        elif shape in seen:
            return False
        seen.add(shape)
    return True


def _monomial(node: Node) -> tuple[tuple[str, int], ...] | None:
    """The letters of a term written as (number ×) letters with powers, or None when it holds an operation
    on numbers; ``()`` for a number."""
    tag: str = node[0]
    if tag == "num":
        return ()
    if tag == "sym":
        return ((node[1], 1),)
    if tag == "neg":
        return _monomial(node[1])
    if tag == "pow" and node[1][0] == "sym" and node[2][0] == "num":
        return ((node[1][1], int(node[2][1])),)
    if tag == "mul":
        a, b = _monomial(node[1]), _monomial(node[2])
        if a is None or b is None or (a == () and b == () ) or (a == () and node[1][0] != "num"):
            return None
        if b == () and node[2][0] == "num" and a != ():
            return None  # x * 3: written the other way round, something to tidy
        return tuple(sorted(a + b))
    return None


_REWRITE_VERB_RE: Final = re.compile(
    r"(?i)\b(?:expand\w*|simplif\w*|rearrang\w*|collect\w*|combin\w*|complet\w*\s+the\s+square|rewrit\w*|"
    r"moving|move\s+(?:all|every))"
)
_SCALES_BY_LETTERS_RE: Final = re.compile(r"(?i)(?:multipl\w*|divid\w*)[^.]{0,40}\bby\s*\$?\\?\(?\s*[^\d\s$]")


def _says_rewrite(text: str, prev: Formula, f: Formula) -> bool:
    """Does the text right before ``f`` say it rewrites the equation above (expanding, simplifying …)?"""
    gap = text[max(prev.end, f.start - 100) : f.start]
    return _REWRITE_VERB_RE.search(gap) is not None and _SCALES_BY_LETTERS_RE.search(gap) is None


def _same_shape(a: PolyValue, b: PolyValue) -> bool:
    """The same letters to the same degree: a rewrite keeps both (taking a root, x^2 = 4 to x = 2, does not)."""
    return bool(_letters_of(a)) and _letters_of(a) == _letters_of(b) and _degree_of(a) == _degree_of(b)


def _letters_of(p: PolyValue) -> set[str]:
    return {s for m in p.terms for s, _ in m}


def _degree_of(p: PolyValue) -> int:
    return max((sum(e for _, e in m) for m in p.terms), default=0)
