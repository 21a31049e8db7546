"""Check derivations across lines: each rewrite of an equation or expression must stay equivalent.

Within-line checks miss the slips that matter most: ``900 = 195 + … − 468 − 3X`` followed by
``900 = 1717 − 905 − 3X`` holds no false equality on either line. Here letters are symbols and
each line is a polynomial over the rationals, so "the same equation" means proportional
polynomials, and a rewrite whose constant part moved is a slip. The slip is then pinned to the one
number that, corrected, restores equivalence, preferring a number the line above explains (the
sum of a run of its terms), which is how a person would point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

from .arith import (
    OP,
    Node,
    NotRational,
    PolyValue,
    Token,
    Unverifiable,
    Value,
    evaluate,
    format_value,
    literals,
    subtract,
    symbols_of,
)
from .check import Checked
from .extract import Formula, Side
from .model import Claim, ClaimStatus


@dataclass(slots=True)
class Link:
    """One line of a derivation, linked to the line it rewrites (or starting a new derivation)."""

    formula: Formula
    poly: PolyValue | None
    """``left − right`` of an equation, or the value of a continued expression."""
    prev: Link | None = None
    start: Link | None = None
    equation_mode: bool = False
    """Linked to a line with letters: a false numeric equality here is a contradiction, not a slip."""
    checked: list[Checked] = field(default_factory=list)


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
    return any(side.node is not None and symbols_of(side.node) for side in formula.sides)


_CONNECTIVE_RE = re.compile(
    r"(?i)\b(?:so|thus|hence|therefore|gives?|giving|get|gets|getting|obtain|implies|means|simplif\w*|expand\w*|"
    r"rearrang\w*|becomes?|reduces?\s+to|i\.e)\b|\\implies|\\Rightarrow|\\Longrightarrow|⟹|⇒|→|\\to\b"
)
"""Words between two equations of one line that make the second a rewrite of the first
(``$2p = 0.58$. So $p = 0.29$``); without one they are separate facts (``3p + e = 1.24 and 5p + e = 1.82``)."""


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
                          or not _CONNECTIVE_RE.search(text, fs[k - 1].end, f.start)):
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


def _constant_offset(a: PolyValue, b: PolyValue) -> tuple[Fraction, Fraction] | None:
    """``(k, δ)`` with ``b = k·a + δ`` in the non-constant part, when ``b``'s letters are ``k`` times ``a``'s."""
    na, nb = a.without_constant(), b.without_constant()
    if not na or not nb or set(na) != set(nb):
        return None
    m0 = next(iter(na))
    k = nb[m0] / na[m0]
    if any(nb[m] != k * c for m, c in na.items()):
        return None
    return k, b.constant() - k * a.constant()


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
        if prev is None or f.kind == "expression":
            link.start = link
            link.prev = None
            continue
        if f.kind == "continuation":
            _check_continuation(link, prev, text, cont_rule)
            continue
        pf = prev.formula
        if prev.poly is None or link.poly is None or len(pf.sides) != 2:
            link.start = link
            link.prev = None
            continue
        if (_norm(f.sides[0]) == _norm(pf.sides[1]) and _side_letters(pf.sides[0]) and _side_letters(pf.sides[1])
                and pf.sides[0].node is not None and pf.sides[0].node[0] != "sym"):
            # "x + 6x + 2 = 7x + 2" then "7x + 2 = 42": the first line is an identity the second builds on,
            # not an equation it rewrites ("x = 7n + 5" then "7n + 5 = 143p + 10" defines x: no identity);
            # "y − 2y = x" then "x = −y" solves for the letter on the right: an equation, no identity
            if pf.sides[1].node is not None and pf.sides[1].node[0] != "sym":
                _check_identity(prev, text, rule)
            link.start = link
            link.prev = None
            continue
        if _starts_anew(text, pf, f):
            link.start = link
            link.prev = None
            continue
        if _next_case(links, position, prev):
            link.start = link
            link.prev = None
            continue
        same_left = _norm(pf.sides[0]) == _norm(f.sides[0])
        letters = _has_letters(pf) or prev.equation_mode
        if same_left and _is_normal(pf.sides[1]) and _is_normal(f.sides[1]):
            # "a = 3" then "a = 7/2", "n = 3k + 1" then "n = 3k + 2": nothing in the first line was left to
            # simplify, so the second restates nothing: cases of an enumeration, alternatives, trial values
            link.start = link
            link.prev = None
            continue
        if same_left:
            r1, r2 = _value(pf.sides[1]), _value(f.sides[1])
            assert r1 is not None and r2 is not None
            diff = subtract(r2, r1)
            if not diff.is_constant:
                # "(20 + X)/6 = 2" then "(20 + X)/6 = X": the same left side equal to something else is
                # another equation, not a rewrite (which would keep the right side's value)
                link.start = link
                link.prev = None
                continue
            if letters or _has_letters(f):
                _record(link, prev, pf.sides[1], f.sides[1], diff.constant(), text, rule, Fraction(1))
                continue
        offset = _constant_offset(prev.poly, link.poly)
        if offset is None:
            if (link.poly.is_constant and prev.poly.is_constant and link.poly.constant() != 0
                    and prev.poly.constant() != 0 and (prev.equation_mode or _has_letters(pf))):
                # "x + 2 = x + 33/13", then "2 = 33/13", then "13 = 33": the letters cancelled and what is
                # left is false; each later line restates that contradiction, it is no new slip
                _record(link, prev, pf.sides[1], f.sides[1], Fraction(0), text, rule, Fraction(1))
                continue
            if link.poly.is_constant and prev.poly.is_constant and same_left and letters:
                delta = link.poly.constant() - prev.poly.constant()
                _record(link, prev, pf.sides[1], f.sides[1], -delta, text, rule, Fraction(1))
                continue
            if _says_rewrite(text, pf, f) and _same_shape(prev.poly, link.poly):
                # "Expanding this expression, we get …": the text says the line restates the one above, and
                # it does not (no single number to blame: the whole line is the slip)
                _record_unequal(link, prev, text, rule)
                continue
            link.start = link
            link.prev = None
            continue
        k, delta = offset
        if delta == 0:
            _record(link, prev, pf.sides[1], f.sides[1], Fraction(0), text, rule, k)
            continue
        solved = _solved_rounded(f, delta)
        if solved is not None:
            # "18x = 107" then "x = 5.94": the solution, rounded to the digits written
            _record(link, prev, solved, solved, Fraction(0), text, rule, k)
            continue
        # which side moved: compare the written sides; a slip in the right side of "a = b" shows as −δ
        if _norm(pf.sides[0]) == _norm(f.sides[0]):
            _record(link, prev, pf.sides[1], f.sides[1], -delta, text, rule, k)
        elif _norm(pf.sides[1]) == _norm(f.sides[1]):
            _record(link, prev, pf.sides[0], f.sides[0], delta, text, rule, k)
        elif not _record_equation(link, prev, delta, k, text, rule):
            link.start = link
            link.prev = None
    return links


_ANEW_RE = re.compile(
    r"(?i)\b(?:case|however|alternatively|instead|suppose|set\s+up|another|similarly|also|second|third|"
    r"consider|check(?:ing)?|verify(?:ing)?|substitut\w*|plug(?:ging)?|given|we\s+know|recall|"
    r"let(?!['’]s|\s+us)|assum\w*)\b|(?:^|[.:;!?]\s++|(?<!\s)[ \t]*+\n\s*+(?:[-*•]\s*+)?)(?:for|if|when)\b"
    r"(?!\s+we\b)"
)
"""Words between two equations that say the second is a new one (another case, a trial, a new fact),
not a restatement of the first."""
_MAX_GAP = 400
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
    ta = {m: c for m, c in a.terms.items() if c}
    tb = {m: c for m, c in b.terms.items() if c}
    if not ta or set(ta) != set(tb) or all(not m for m in ta):
        return False  # a constant "equation" (0 = 5) restates nothing
    m0 = next(iter(ta))
    k = tb[m0] / ta[m0]
    return all(tb[m] == k * c for m, c in ta.items())


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
    if _ANEW_RE.search(gap) is not None:
        return True
    item = _LIST_ITEM_RE.match(text, f.context.start if f.context else f.start)
    return item is not None and f.start - item.end() <= _ITEM_SLACK


_LIST_ITEM_RE = re.compile(r"[ \t]*(?:[-*•][ \t]|\d{1,2}[.)][ \t]|\(?[a-z][.)][ \t]|#+[ \t])")
"""A line that starts a list item: items that are each an equation are alternatives, cases or separate
facts, never rewrites. (A numbered step of prose that ends in an equation, as Abel writes every step, is
not such an item.)"""
_ITEM_SLACK = 6
"""How far into a list item its equation may start for the item to be just that equation (``1. \\(``)."""


def _side_letters(side: Side) -> bool:
    return side.node is not None and bool(symbols_of(side.node))


def is_value(side: Side) -> bool:
    """A number as the result of a derivation writes it: ``3``, ``-2``, ``7/2``, ``\\frac{7}{2}`` in lowest terms."""
    node = side.node
    if node is None:
        return False
    while node[0] == "paren":
        node = node[1]
    if node[0] == "neg" or (node[0] == "add" and len(node[1]) == 1):
        node = node[1] if node[0] == "neg" else node[1][0][1]
    if node[0] == "num":
        return True
    if node[0] == "paren":
        node = node[1]
    if node[0] == "div" and node[1][0] == "num" and node[2][0] == "num":
        a, b = node[1][1], node[2][1]
        return a.denominator == 1 and b.denominator == 1 and b > 1 and gcd(int(a), int(b)) == 1
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
    tag = node[0]
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


def _check_identity(link: Link, text: str, rule: str) -> None:
    """``P = Q`` that the next line uses as one expression: P and Q must be equal for every value.

    A constant difference is already wrong within its line (``check``); here the rest is caught:
    ``1x + 12 + 15 = 3x + 27`` differs by ``2x``.
    """
    f = link.formula
    left, right = _value(f.sides[0]), _value(f.sides[1])
    if left is None or right is None:
        return
    diff = subtract(left, right)
    if diff.is_constant:
        return
    claim = Claim(
        step=f.step, span=(f.sides[1].start, f.sides[1].end), text=text[f.start : f.end],
        stated=text[f.sides[1].start : f.sides[1].end], actual=format_value(left), status=ClaimStatus.WRONG,
        kind="inline", rule="inline_arithmetic",
        reason="used as one expression on the next line, but the two sides are not equal for every value",
        stated_span=(f.sides[1].start, f.sides[1].end),
    )
    link.checked.append(Checked(claim, f, f.sides[0], None, None, f.sides[1].start))


_REWRITE_VERB_RE = re.compile(
    r"(?i)\b(?:expand\w*|simplif\w*|rearrang\w*|collect\w*|combin\w*|complet\w*\s+the\s+square|rewrit\w*|"
    r"moving|move\s+(?:all|every))"
)
_SCALES_BY_LETTERS_RE = re.compile(r"(?i)(?:multipl\w*|divid\w*)[^.]{0,40}\bby\s*\$?\\?\(?\s*[^\d\s$]")


def _says_rewrite(text: str, prev: Formula, f: Formula) -> bool:
    """Does the text right before ``f`` say it rewrites the equation above (expanding, simplifying …)?"""
    gap = text[max(prev.end, f.start - 100) : f.start]
    return _REWRITE_VERB_RE.search(gap) is not None and _SCALES_BY_LETTERS_RE.search(gap) is None


def _same_shape(a: PolyValue, b: PolyValue) -> bool:
    """The same letters to the same degree: a rewrite keeps both (taking a root, x^2 = 4 to x = 2, does not)."""
    def letters(p: PolyValue) -> set[str]:
        return {s for m in p.terms for s, _ in m}

    def degree(p: PolyValue) -> int:
        return max((sum(e for _, e in m) for m in p.terms), default=0)

    return bool(letters(a)) and letters(a) == letters(b) and degree(a) == degree(b)


def _record_unequal(link: Link, prev: Link, text: str, rule: str) -> None:
    f = link.formula
    link.start = prev.start or prev
    link.equation_mode = prev.equation_mode or _has_letters(prev.formula)
    claim = Claim(
        step=f.step, span=(f.start, f.end), text=text[f.start : f.end], stated=text[f.start : f.end],
        actual=f"{format_value(prev.poly)} = 0" if prev.poly is not None else None, status=ClaimStatus.WRONG,
        kind="rewrite", rule=rule, reason="not equivalent to the equation it says it rewrites",
        stated_span=(f.start, f.end),
    )
    link.checked.append(Checked(claim, f, None, None, None, f.start))


def _check_continuation(link: Link, prev: Link, text: str, rule: str) -> None:
    """``= 2024 − 905`` under ``195 + 367 + … − 468``: the new side must equal the last one above."""
    f, pf = link.formula, prev.formula
    old_side = pf.sides[-1]
    new_side = f.sides[1]
    a, b = _value(old_side), _value(new_side)
    link.start = prev.start or prev
    link.equation_mode = prev.equation_mode or _has_letters(pf)
    if a is None or b is None:
        return
    diff = subtract(b, a)
    if not diff.is_constant:
        # not equal as polynomials: either a slip or a step that uses a relation we don't see
        # (alpha^3 = 3 alpha - 1, say); only a constant difference is surely arithmetic
        _add(link, new_side, old_side, text, ClaimStatus.UNVERIFIABLE, format_value(a), rule, None, None,
             reason="not equal as written; the step may use a relation stated elsewhere")
        return
    _record(link, prev, old_side, new_side, diff.constant(), text, rule, Fraction(1))


def _record(
    link: Link, prev: Link, old: Side, new: Side, delta: Fraction, text: str, rule: str, k: Fraction
) -> None:
    """A rewrite ``old → new`` whose values differ by ``delta`` (zero when it is right)."""
    link.start = prev.start or prev
    link.equation_mode = prev.equation_mode or _has_letters(prev.formula)
    old_value = _value(old)
    actual_text = format_value(old_value) if old_value is not None else None
    if delta == 0 or _rounded_restatement(old_value, new):
        # "x = 107/18" then "x = 5.94": the value, rounded to the digits written, is a restatement
        _add(link, new, old, text, ClaimStatus.CORRECT, actual_text, rule, None, None)
        return
    pinned = _pin(old, new, delta)
    if pinned is not None:
        tok, true_value = pinned
        _add(link, new, old, text, ClaimStatus.WRONG, format_value(true_value), rule, tok, true_value)
    else:
        _add(link, new, old, text, ClaimStatus.WRONG, actual_text, rule, None, None)


def _solved_rounded(f: Formula, delta: Fraction) -> Side | None:
    """The literal side of ``x = 5.94`` when it is, rounded to its digits, the value the line above gives
    (``delta`` is how far the written equation is from that one)."""
    if len(f.sides) != 2:
        return None
    for side, sign in ((f.sides[1], 1), (f.sides[0], -1)):
        value = _value(side)
        if isinstance(value, Fraction) and _rounded_restatement(value + sign * delta, side):
            return side
    return None


def _rounded_restatement(old_value: Value | None, new: Side) -> bool:
    """Is ``new`` a decimal written with d digits that is ``old_value`` correctly rounded to them?"""
    if not isinstance(old_value, Fraction) or not new.is_literal:
        return False
    literal = new.literal
    if literal is None or literal.decimals == 0 or not isinstance(literal.value, Fraction):
        return False
    value = -literal.value if new.tokens and new.tokens[0].kind == OP and new.tokens[0].value == "-" else literal.value
    return abs(old_value - value) * 2 <= Fraction(1, 10**literal.decimals)


def _record_equation(link: Link, prev: Link, delta: Fraction, k: Fraction, text: str, rule: str) -> bool:
    """Both sides were rewritten: a slip only when one number, corrected, is explained by the line above.

    Otherwise the line is taken as a new equation (``900 = Y + 437 + …`` after ``Y = 1019 − 3X``
    substitutes, it does not rewrite), and ``False`` says the link should be cut.
    """
    f, pf = link.formula, prev.formula
    old_values = {t.value for side in pf.sides if side.node is not None for t in literals(side.node)}
    fresh = [t for side in f.sides if side.node is not None for t in literals(side.node) if t.value not in old_values]
    lone = fresh[0] if len(fresh) == 1 else None
    for old, new, sign in ((pf.sides[1], f.sides[1], -1), (pf.sides[0], f.sides[0], 1)):
        # a slip when the corrected number is explained by the line above, or when it is the one
        # number this line computed (2x − 12 = 20 → 2x = 28: 28 is new, and 32 makes it right)
        pinned = _pin(old, new, delta * sign, explained_only=True, lone=lone) if _norm(old) != _norm(new) else None
        if pinned is not None:
            link.start = prev.start or prev
            link.equation_mode = prev.equation_mode or _has_letters(pf)
            tok, true_value = pinned
            _add(link, new, old, text, ClaimStatus.WRONG, format_value(true_value), rule, tok, true_value)
            return True
    return False


def _add(
    link: Link, new: Side, old: Side, text: str, status: ClaimStatus, actual: str | None, rule: str,
    tok: Token | None, true_value: Fraction | None, reason: str | None = None,
) -> None:
    if tok is not None:
        span = (tok.start, tok.end)
        stated = text[tok.start : tok.end]
        stated_value: Fraction | None = tok.value
        nv, ov = _value(new), _value(old)
        if (isinstance(nv, Fraction) and isinstance(ov, Fraction) and tok.value and true_value
                and nv * tok.value == 1 and ov * true_value == 1):
            # "a8 = 1/585" for 1/5625: later lines reuse 1/585, the side's value, not the denominator
            stated_value, true_value = nv, ov
    else:
        span = (new.start, new.end)
        stated = text[new.start : new.end]
        # what later lines may reuse: "X = 73" states 73; "= 1119" continuing arithmetic states
        # 1119; "900 = 1924" inside a derivation with letters states nothing anyone reuses
        nv = _value(new)
        stated_value = _lone_number(link.formula)
        if stated_value is None and isinstance(nv, Fraction) and not link.equation_mode:
            stated_value = nv
        true_value = _value(old) if isinstance(_value(old), Fraction) else None  # type: ignore[assignment]
    f = link.formula
    claim = Claim(
        step=f.step,
        span=span if status is ClaimStatus.WRONG else (f.start, f.end),
        text=text[f.start : f.end],
        stated=stated if status is ClaimStatus.WRONG else text[new.start : new.end],
        actual=actual,
        status=status,
        kind="continuation" if f.kind == "continuation" else "rewrite",
        rule=rule if status is not ClaimStatus.UNVERIFIABLE else "unverifiable",
        reason=reason,
        stated_span=span,
    )
    link.checked.append(Checked(claim, f, None, stated_value, true_value, span[0]))


def _lone_number(f: Formula) -> Fraction | None:
    """``X = 73``, ``x = 27/5``: the number a solved line states."""
    if len(f.sides) != 2:
        return None
    for side, other in ((f.sides[0], f.sides[1]), (f.sides[1], f.sides[0])):
        if is_value(side) and other.node is not None and other.node[0] == "sym":
            v = _value(side)
            return v if isinstance(v, Fraction) else None
    return None


def _pin(
    old: Side, new: Side, delta: Fraction, explained_only: bool = False, lone: Token | None = None
) -> tuple[Token, Fraction] | None:
    """The number in ``new`` which, corrected, makes ``new`` equal ``old`` again.

    ``delta`` is ``value(new) − value(old)``. Among several candidates prefer a number that is not
    copied from the line above and whose true value the line above explains.
    """
    if new.node is None or old.node is None:
        return None
    old_literals = {t.value for t in literals(old.node)}
    explained = _explained_values(old.node)
    candidates: list[tuple[int, int, Token, Fraction]] = []
    try:
        base = evaluate(new.node)
    except (NotRational, Unverifiable):
        return None
    for tok in literals(new.node):
        try:
            bumped = evaluate(new.node, {tok.start: tok.value + 1})
        except (NotRational, Unverifiable):
            continue
        slope = subtract(bumped, base)
        if not slope.is_constant or slope.constant() == 0:
            continue
        true_value: Fraction | None = _solve_for(new.node, tok, base, slope.constant(), delta)
        if true_value is None:
            continue
        score = (0 if abs(true_value) in explained else 1) + (0 if tok.value not in old_literals else 2)
        candidates.append((score, tok.start, tok, true_value))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]))
    score, _, tok, true_value = candidates[0]
    if explained_only and score != 0:
        for _, _, cand, value in candidates:
            if cand is lone:
                return cand, value
        return None
    return tok, true_value


def _solve_for(node: Node, tok: Token, base: Value, step: Fraction, delta: Fraction) -> Fraction | None:
    """The value of ``tok`` that moves the side's value by ``−delta``: linear when the number is a term or a
    factor (``12 + 7``, ``3·25``), ``A + B/v`` when it is a denominator (``1/585`` for ``1/5625``); checked
    by evaluating, so a number under a power or a root names no value rather than a wrong one."""
    v: Fraction = tok.value
    guesses = [v - delta / step]
    if isinstance(base, Fraction) and v != 0 and v != -1:
        # f(v) = A + B/v through f(v) and f(v + 1): B = −(f(v+1) − f(v))·v·(v+1)
        big_b = -step * v * (v + 1)
        a = base - big_b / v
        if base - delta != a:
            guesses.append(big_b / (base - delta - a))
    for guess in guesses:
        try:
            moved = subtract(evaluate(node, {tok.start: guess}), base)
        except (NotRational, Unverifiable, ZeroDivisionError):
            continue
        if moved.is_constant and moved.constant() == -delta:
            return guess
    return None


def _explained_values(node: Node) -> set[Fraction]:
    """Absolute values of every sub-expression and every run of consecutive terms of ``node``."""
    out: set[Fraction] = set()

    def go(n: Node) -> None:
        try:
            v = evaluate(n)
            if isinstance(v, Fraction):
                out.add(abs(v))
        except (NotRational, Unverifiable):
            pass
        tag = n[0]
        if tag == "add":
            terms = n[1]
            vals: list[Fraction | None] = []
            for sign, sub in terms:
                try:
                    tv = evaluate(sub)
                    vals.append(tv * sign if isinstance(tv, Fraction) else None)
                except (NotRational, Unverifiable):
                    vals.append(None)
                go(sub)
            for i in range(len(vals)):
                acc = Fraction(0)
                for j in range(i, len(vals)):
                    vj = vals[j]
                    if vj is None:
                        break
                    acc += vj
                    out.add(abs(acc))
        elif tag not in ("num", "sym"):
            for c in n[1:]:
                if isinstance(c, tuple):
                    go(c)

    go(node)
    return out


def solve_linear(poly: PolyValue, symbol: str) -> Fraction | None:
    """The value of ``symbol`` making ``poly = 0``, when it is the only letter and appears linearly."""
    terms = poly.without_constant()
    if set(terms) != {((symbol, 1),)}:
        return None
    return -poly.constant() / terms[((symbol, 1),)]
