"""Sides with letters: where the letters cancel, where the text claims an identity, and a numeric screen for both.

Most equations with letters are to be solved, which ``derive`` follows across lines; a pair is decided here
only where its letters cancel (the sides differ by a constant whatever the letters are) or where the text
claims an identity (a chain of rewritings, "expand", "factor"), which must then hold for every value.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Final

from .arith import (
    LP,
    RP,
    SYM,
    Node,
    NotRational,
    Unverifiable,
    count_leaves,
    evaluate,
    format_value,
    has_unknowns,
    literals,
    subtract,
    symbols_of,
)
from .extract import Formula, Side
from .float_eval import float_at as _float_at
from .model import ClaimStatus
from .pair_check import PairCheck, _unverifiable
from .roots import real_roots
from .scan import may_contain

_CORRECT: Final = ClaimStatus.CORRECT
_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

LETTERS_CANCEL: Final = "the letters cancel and the two sides still differ"


def _has_letter(side: Side) -> bool:
    """Does a side hold a letter (π aside)? From its tokens: cheaper than walking its tree."""
    for t in side.tokens:
        if t.kind == SYM and t.value != "pi":
            return True
    return False


def _with_letters(computed: Side, stated: Side, stated_text: str, identity: bool = False) -> PairCheck:
    """Two sides with letters: decided where the letters cancel, or where the text claims an identity.

    ``(x+1)^2 = x^2 + 2x + 1`` holds for every x: right. ``(53 − 26)^2 + k^2 = 26^2 + k^2`` differs by a
    constant (53) whatever k is: false as an identity and as an equation alike, so wrong; so is
    ``y · 2^{1/12} = y · 2^{-1/12}``, whose sides differ by a constant factor. Only where both sides have
    letters: ``900 = (1019 − 3X) + 437 + 468 + 3X`` is an equation whose unknown cancelled, where a
    derivation arrived, not a computation the line makes. A difference that still has letters
    (``2x + 3 = 11``) is an equation to solve, which ``derive`` follows across lines — unless the text
    claims an identity (``identity``: a chain of expressions, ``16k^4 + 1 = (4k^2)^2 + 1 = (4k^2 + 1)^2 − 4k^2``,
    or "expand", "factor", "rewrite" right before it), which must then hold for every value.
    ``i`` is the imaginary unit: ``1 + 274i = 1 + 268i`` differs by 6i, a constant.
    """
    # both sides with letters, neither a bare letter ("y = y · 2^{-5/12}" is an equation being solved)
    both = (has_unknowns(computed.node) and has_unknowns(stated.node)  # type: ignore[arg-type]
            and computed.node[0] != "sym" and stated.node[0] != "sym")  # type: ignore[index]
    if not both:
        # letters on one side only can neither cancel nor make an identity: an equation (most of them)
        return _unverifiable(computed, stated, stated_text, "has letters")
    try:
        a, b = evaluate(computed.node), evaluate(stated.node)  # type: ignore[arg-type]
    except Unverifiable:
        return _unverifiable(computed, stated, stated_text, "has letters")
    except NotRational:
        # 1/r^2, y · 2^{1/12}: outside the polynomials; compare at two points instead
        verdict = _at_two_points(computed, stated) if both else None
        if verdict is None or (verdict == "differ" and not identity):
            return _unverifiable(computed, stated, stated_text, "has letters")
        if verdict == "cancel" and _rounding_explains(computed.node, stated.node):  # type: ignore[arg-type]
            return PairCheck(_CORRECT, stated_text, None, ROUNDED_OPERANDS, computed, None, None, stated)
        status = _CORRECT if verdict == "equal" else _WRONG
        reason = "an identity: equal for every value of the letters" if verdict == "equal" else (
            LETTERS_CANCEL if verdict == "cancel" else IDENTITY_FAILS)
        return PairCheck(status, stated_text, None, reason, computed, None, None, stated)
    actual_text = format_value(a)
    live = subtract(a, b).terms  # (the terms that do not cancel: a zero coefficient is dropped)
    if not live:
        return PairCheck(_CORRECT, stated_text, actual_text, "an identity: equal for every value of the letters",
                         computed, None, None, stated)
    if both and all(m == () or m == (("i", 1),) for m in live):
        if () in live and len(live) == 1 and _rounding_explains(computed.node, stated.node):  # type: ignore[arg-type]
            return PairCheck(_CORRECT, stated_text, actual_text, ROUNDED_OPERANDS, computed, None, None,
                             stated)
        return PairCheck(_WRONG, stated_text, actual_text, LETTERS_CANCEL, computed, None, None, stated)
    if identity and both:
        return PairCheck(_WRONG, stated_text, actual_text, IDENTITY_FAILS, computed, None, None, stated)
    return _unverifiable(computed, stated, stated_text, "has letters")


IDENTITY_FAILS: Final = "written as an identity, but the two sides differ for some values of the letters"
ROUNDED_OPERANDS: Final = "equal within the precision of its rounded operands"


def _rounding_explains(computed: Node, stated: Node) -> bool:
    """Do the two sides differ by no more than their decimals' rounding can make (``1/3`` against ``21.33/64``
    beside the same letters)? Each decimal is moved by half a unit of its last digit, and the sides' values
    move by at most the sum of what each move does (at the first set of test values)."""
    decimals = [(node, tok) for node in (computed, stated) for tok in literals(node) if tok.decimals > 0]
    if not decimals:
        return False
    names = sorted(symbols_of(computed) | symbols_of(stated))
    values = _sample_values(names, 0)
    x, y = _float_at(computed, values), _float_at(stated, values)
    if x is None or y is None:
        return False
    room = 0.0
    for node, tok in decimals[:12]:
        base = _float_at(node, values)
        moved = _float_at(_with_literal(node, tok.start, float(tok.value) + 0.5 * 10.0**-tok.decimals), values)
        if base is None or moved is None:
            return False
        room += abs(moved - base)
    return abs(x - y) <= room * (1 + 1e-9)


def _with_literal(node: Node, start: int, value: float) -> Node:
    """The tree with the literal at ``start`` replaced by ``value`` (for a float evaluation only)."""
    tag: str = node[0]
    if tag == "num":
        return ("num", value, node[2]) if node[2].start == start else node
    if tag == "sym":
        return node
    if tag == "add":
        return ("add", [(sign, _with_literal(sub, start, value)) for sign, sub in node[1]])
    return (tag, *(_with_literal(c, start, value) if isinstance(c, tuple) else c for c in node[1:]))
_POINTS: Final = (Fraction(7, 3), Fraction(11, 5), Fraction(13, 7), Fraction(17, 11), Fraction(19, 13), Fraction(23, 17))
_POINTS_SHIFTED: Final = tuple(tuple(float(p + shift) for p in _POINTS) for shift in (0, 1))
"""``float(_POINTS[k] + shift)`` by shift and k, made once (each is a Python ``Fraction`` addition and conversion)."""


def _sample_values(names: list[str], shift: int) -> dict[str, float]:
    """The letters' values at the sample point ``shift`` (0 or 1): the k-th letter at ``_POINTS[k + shift] + shift``."""
    return {name: _POINTS_SHIFTED[shift][(k + shift) % len(_POINTS)] for k, name in enumerate(names)}


def _at_two_points(computed: Side, stated: Side) -> str | None:
    """Compare two sides with the letters set to two sets of values: ``equal``, ``cancel`` (the same
    difference, or the same ratio other than 1, at both), ``differ``; None when it cannot be evaluated.

    In floating point: a screen for identities and cancelling letters, which only needs agreement to nine
    digits, and Decimal logarithms cost a hundred times more.
    """
    left, right = symbols_of(computed.node), symbols_of(stated.node)  # type: ignore[arg-type]
    if left != right:
        return None  # letters that cancel stand on both sides (and only then is it worth evaluating)
    names = sorted(left)
    if "i" in names or len(names) > len(_POINTS):
        return None
    results = []
    for shift in (0, 1):
        values = _sample_values(names, shift)
        x, y = _float_at(computed.node, values), _float_at(stated.node, values)  # type: ignore[arg-type]
        if x is None or y is None:
            return None
        results.append((x, y))
    (x1, y1), (x2, y2) = results
    tol = 1e-9
    scale = max(abs(x1), abs(y1), abs(x2), abs(y2), 1.0)
    if abs(x1 - x2) <= tol * scale or abs(y1 - y2) <= tol * scale:
        return None  # a side whose letters cancel inside it (p(3)/p(4) read as 3p/4p): not what it says
    d1, d2 = x1 - y1, x2 - y2
    if abs(d1) <= tol * scale and abs(d2) <= tol * scale:
        return "equal"
    if abs(d1 - d2) <= tol * scale:
        return "cancel"
    if y1 != 0 and y2 != 0 and _product(computed.node) and _product(stated.node):  # type: ignore[arg-type]
        # y · 2^{1/12} = y · 2^{-1/12}: products of the same letters in a constant ratio other than 1
        r1, r2 = x1 / y1, x2 / y2
        if abs(r1 - r2) <= tol * max(abs(r1), 1.0) and abs(r1 - 1) > 1e-6:
            return "cancel"
    return "differ"


def cancels_to(left: Node, right: Node, a: float, b: float) -> bool:
    """Does the equation ``left = right`` (with letters) leave ``a = b`` once its letters cancel: the same
    difference ``a − b``, or the same ratio ``a / b``, at two sets of values of the letters?

    ``y = y · 2^{-5/12}`` then ``1 = 2^{-5/12}``: the second line divides the first by ``y``; it is false because
    the first is, and says so no new slip.
    """
    names = sorted(symbols_of(left) | symbols_of(right))
    if not names or "i" in names or len(names) > len(_POINTS):
        return False
    xs, ys = [], []
    for shift in (0, 1):
        values = _sample_values(names, shift)
        x, y = _float_at(left, values), _float_at(right, values)
        if x is None or y is None:
            return False
        xs.append(x)
        ys.append(y)
    if _near(xs[0], xs[1]) or _near(ys[0], ys[1]):
        return False  # "5x − 5x = 20x − 200": one side has no letters left, the other does; nothing cancelled
    diffs = [x - y for x, y in zip(xs, ys)]
    ratios = [x / y if y else math.inf for x, y in zip(xs, ys)]
    if _near(diffs[0], diffs[1]) and _near(diffs[0], a - b):
        return True
    return b != 0 and _near(ratios[0], ratios[1]) and _near(ratios[0], a / b)


def _near(u: float, v: float) -> bool:
    return math.isfinite(u) and math.isfinite(v) and abs(u - v) <= 1e-9 * max(abs(u), abs(v), 1.0)


def _is_sum(n: Node) -> bool:
    """A bracketed sum."""
    return bool(n[0] == "paren" and n[1][0] == "add")


def _product(node: Node) -> bool:
    """A product of factors with no sum of letters in it (``y · 2^{1/2}``, ``y · 2^{-5/12}``, not ``|7m − 100|``):
    a sum without letters (an exponent ``-5/12``, a factor ``1 + √2``) is a constant factor."""
    if node[0] == "add":
        return not has_unknowns(node)
    return all(_product(c) for c in node[1:] if isinstance(c, tuple))


_REWRITING_WORDS: Final = ("expand", "factor", "rewrit", "written", "express", "simplif", "equivalent")
"""A word each alternative of ``_REWRITING_RE`` needs (``tests/test_scan.py``)."""
_REWRITING_RE: Final = re.compile(r"(?i)\b(?:expand\w*|factor\w*|rewrit\w*|written\s+as|express\w*\s+as|simplif\w*|equivalent)\W*$")


def _expands(left: Side, right: Side) -> bool:
    """Is ``right`` written as the expansion of ``left`` (``(x + 1)^2 = x^2 + 2x + 1``): a product or power of
    sums on the left, a sum with no brackets on the right? Then a false first link is a slip, not an equation."""
    a, b = left.node, right.node
    if a is None or b is None or b[0] != "add":
        return False
    expandable = (a[0] == "pow" and _is_sum(a[1])) or (a[0] == "mul" and (_is_sum(a[1]) or _is_sum(a[2])))
    return expandable and not any(t.kind in (LP, RP) for t in right.tokens)


def _shared_sums(left: Side, right: Side) -> bool:
    """Do two sides share a sum with letters (``(1 + 2a)`` on both, ``x − 1`` in a fraction and a bracket)? Then
    the second is a transformation of the first (a partial expansion, a factorisation), not a new equation."""
    a, b = _sums_with_letters(left.node), _sums_with_letters(right.node)
    return bool(a and b and a & b)


def _sums_with_letters(node: Node | None) -> set[str]:
    out: set[str] = set()
    stack = [node] if node is not None else []
    while stack and len(out) < 64:
        n = stack.pop()
        if n[0] == "add" and has_unknowns(n):
            try:
                out.add(format_value(evaluate(n)))
            except (NotRational, Unverifiable):
                pass
            stack.extend(sub for _, sub in n[1])
        elif n[0] not in ("num", "sym"):
            stack.extend(c for c in n[1:] if isinstance(c, tuple))
    return out


def _same_letters_throughout(formula: Formula) -> bool:
    """Every side has letters, and the same ones (asked once per formula: chains can have hundreds of sides)."""
    letters = set()
    for side in formula.sides:
        names = frozenset(t.value for t in side.tokens if t.kind == SYM and t.value != "pi")
        if side.node is None or not names:
            return False
        letters.add(names)
        if len(letters) > 1:
            return False
    return True


def _claims_identity(formula: Formula, i: int, same_letters: bool | None = None) -> bool:
    """Does the text claim that sides i and i+1 are the same expression (not an equation to solve)?

    A chain of three or more expressions with letters (``16k^4 + 1 = (4k^2)^2 + 1 = (4k^2+1)^2 − 4k^2``),
    or a rewriting verb right before the formula (``which we can expand as …``).
    """
    sides = formula.sides
    a, b = sides[i], sides[i + 1]
    if a.node is None or b.node is None or a.node[0] == "sym" or b.node[0] == "sym":
        return False
    if len(sides) >= 3 and (same_letters if same_letters is not None else _same_letters_throughout(formula)):
        # the same letters throughout, in sides of different shapes: "2x = 3y = 6z" or
        # "(a+b−c)/c = (a−b+c)/b = (−a+b+c)/a" state equal ratios, a condition, not an identity
        return count_leaves(a.node) != count_leaves(b.node)
    context = formula.context
    if context is None or i != 0:
        return False
    before = context.line[max(0, formula.start - context.start - 40) : formula.start - context.start]
    before = before.rstrip(" \t$(\\[")
    return may_contain(before, _REWRITING_WORDS) and _REWRITING_RE.search(before) is not None


_POWER_RELATION_RE: Final = re.compile(r"(?:^|(?<=[\s$(,;:\[]))(\\[a-zA-Z]+|[A-Za-z])\s*\^\s*\{?\s*\d+\s*\}?\s*=", re.MULTILINE)
"""A power of a letter alone on the left of an equation (``α^3 = 3α^2 − 4α + 1``): a relation to reduce by."""


def _relation_stated(text: str, before: int, *sides: Side) -> bool:
    """Does the text above state a power of one of these letters (``α^3 = …``, ``ω^3 = 1``, ``i^2 = −1``)?"""
    letters = set()
    for side in sides:
        letters |= {t.text.lstrip("\\") for t in side.tokens if t.kind == SYM}
        letters |= {str(t.value) for t in side.tokens if t.kind == SYM}
    window = text[max(0, before - 20_000) : before]
    return any(m.group(1).lstrip("\\") in letters for m in _POWER_RELATION_RE.finditer(window))


_RELATION_WINDOW: Final = 3000
"""How far back (in characters) a substitution's relation is looked for: the same passage, not the chain."""


def holds_given_earlier(text: str, before: int, left: Side, right: Side) -> bool:
    """Does a link that fails as an identity hold where the letters satisfy an equation stated just above?

    ``1/a + 1/b = (a + b)/(ab) = 3/(ab)`` after "we use a + b = 3": the second link substitutes what the text
    established; it is not an identity of its own, and not a slip. Each earlier equation in the passage is
    solved for one of its letters (numerically, where it is linear or quadratic in it), the others set to
    test values, and the link is compared there, at two sets of values.
    """
    names = symbols_of(left.node) | symbols_of(right.node)  # type: ignore[arg-type]
    if not names or "i" in names or len(names) > len(_POINTS):
        return False
    for relation_left, relation_right in _equations_above(text, before):
        if relation_left[0] == "sym" and relation_right[0] == "sym":
            continue  # "when x = y", "at x = a": a case the text looks at, not something it established
        letters = symbols_of(relation_left) | symbols_of(relation_right)
        if not letters or not letters <= names:
            continue
        if any(_holds_on(relation_left, relation_right, v, left, right, sorted(names)) for v in sorted(letters)):
            return True
    return False


def _equations_above(text: str, before: int) -> list[tuple[Node, Node]]:
    """The equations with letters in the passage right before ``before`` (nearest last), as trees."""
    from .extract import extract_line

    start = max(0, before - _RELATION_WINDOW)
    out: list[tuple[Node, Node]] = []
    pos = text.rfind("\n", 0, start) + 1 if start else 0
    while pos < before:
        nl = text.find("\n", pos, before)
        end = before if nl < 0 else nl
        if end > pos:
            for formula in extract_line(text, 0, 0, pos, end, ()):
                for a, b in zip(formula.sides, formula.sides[1:]):
                    if a.node is not None and b.node is not None and (has_unknowns(a.node) or has_unknowns(b.node)):
                        out.append((a.node, b.node))
        pos = end + 1
    return out[-24:]


def _holds_on(rel_left: Node, rel_right: Node, letter: str, left: Side, right: Side, names: list[str]) -> bool:
    """Solve ``rel_left = rel_right`` for ``letter`` with the other letters at test values (linear or
    quadratic in it), and compare the two sides of the link there: equal at two sets of values?"""
    for shift in (0, 1):
        values = _sample_values(names, shift)
        agree = False
        for root in real_roots(rel_left, rel_right, letter, values) or ():
            if abs(root) < 1e-9:
                continue  # "x = c·x" solved by x = 0 makes every product of x agree: proves nothing
            values[letter] = root
            x, y = _float_at(left.node, values), _float_at(right.node, values)  # type: ignore[arg-type]
            if x is None or y is None or max(abs(x), abs(y)) < 1e-9:
                continue
            if abs(x - y) <= 1e-7 * max(abs(x), abs(y), 1.0):
                agree = True
                break
        if not agree:
            return False
    return True
