"""Compare two sides of a formula exactly: the strict reading first, then the readings and guards around it.

Rationals first, a 60-digit Decimal approximation for the sides that leave them (roots, π), never floats.
A stated decimal with d digits is right when it is the true value rounded to d digits; what the sides do not
say enough to decide (trailing dots, different units, a percentage on one side only) is ``unverifiable``
with a reason, never "correct".
"""

from __future__ import annotations

from decimal import Context
from fractions import Fraction
from typing import Final

from .arith import (
    APPROX,
    LP,
    NUM,
    OF,
    OP,
    PCT,
    PolyValue,
    Unverifiable,
    approximate,
    format_value,
)
from .extract import Formula, Side
from .letters import _has_letter, _with_letters
from .model import ClaimStatus
from .pair_check import PairCheck, _unverifiable, side_value
from .rational import denominator, equal, numerator
from .readings import (
    _announced,
    _other_reading,
    _pi_as_written,
    _precision_reading,
    _quotient_with_remainder,
    _running_total,
    _scale_words,
    literal_matches,
)
from .rules import RuleSet

_CORRECT: Final = ClaimStatus.CORRECT
_WRONG: Final = ClaimStatus.WRONG
_UNVERIFIABLE: Final = ClaimStatus.UNVERIFIABLE
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

_WHOLE_WORDS: Final = frozenset({"full", "whole", "complete"})


class _RationalPair:
    """Two sides with rational values, and how to say what comparing them concluded (a class, not a function nested in
    ``check_pair``: ``native_attrs``)."""

    __slots__ = ("actual", "actual_text", "claimed", "computed", "stated", "stated_text")

    def __init__(self, computed: Side, stated: Side, stated_text: str, actual_text: str, claimed: Fraction,
                 actual: Fraction) -> None:
        self.computed = computed
        self.stated = stated
        self.stated_text = stated_text
        self.actual_text = actual_text
        self.claimed = claimed
        self.actual = actual

    def result(self, ok: bool, reading: tuple[str, Fraction | None] | None = None) -> PairCheck:
        status = _CORRECT if ok else _WRONG
        if reading is None:
            return PairCheck(status, self.stated_text, self.actual_text, None, self.computed, self.claimed, self.actual,
                             self.stated)
        why, meant = reading
        if meant is None:
            return PairCheck(status, self.stated_text, self.actual_text, why, self.computed, self.claimed, self.actual,
                             self.stated)
        # the value the writer meant travels on (0.33 read as 1/3: 6000 × 0.33 is 2000)
        return PairCheck(status, self.stated_text, format_value(meant), why, self.computed, self.claimed, meant,
                         self.stated)


def check_pair(
    formula: Formula, left: Side, right: Side, relation: int, rules: RuleSet, identity: bool = False
) -> PairCheck:
    """Compare two sides.

    Normally the left side is computed and the right one stated (``3 + 4 = 7``); when the left is
    a bare number and the right an expression (``900 = 1019 + 437 + 468``) it is the other way round.
    """
    computed, stated = left, right
    if left.is_literal and not right.is_literal:
        computed, stated = right, left
    stated_text = _text_of(stated)
    for side in (computed, stated):
        if side.node is None:
            return _unverifiable(computed, stated, stated_text, side.error or "could not parse")
    assert computed.node is not None and stated.node is not None
    if _has_letter(computed) or _has_letter(stated):
        return _with_letters(computed, stated, stated_text, identity)
    approx = relation == APPROX
    try:
        actual = side_value(computed)
        claimed = side_value(stated)
    except Unverifiable as exc:
        return _unverifiable(computed, stated, stated_text, str(exc))
    if isinstance(actual, PolyValue) or isinstance(claimed, PolyValue):
        return _unverifiable(computed, stated, stated_text, "has letters")
    if actual is None or claimed is None:
        return _irrational_pair(formula, computed, stated, approx, rules, stated_text)
    actual_text = format_value(actual)

    pair = _RationalPair(computed, stated, stated_text, actual_text, claimed, actual)

    if approx and not stated.is_literal and actual != claimed:
        status = _loosely(actual, claimed)
        reading = _precision_reading(computed, stated, claimed, rules) if status is not _CORRECT else None
        if reading is not None:
            return pair.result(True, reading)
        return PairCheck(status, stated_text, actual_text, None, computed, claimed, actual, stated)
    trailing = _trails_off(stated)
    ok = literal_matches(actual, stated, approx or trailing, rules) if stated.is_literal else equal(actual, claimed)
    if ok:
        return pair.result(True)
    if not approx and stated.is_literal and formula.approx_line:
        approx = True  # "about 10/3 = 3 cups": looked up only now, since most claims never need it
        if _announced(actual, stated, formula, rules):
            return pair.result(True)
    if stated.is_literal and stated.unit in _WHOLE_WORDS and claimed.denominator == 1 and (
            claimed == actual.numerator // actual.denominator):
        return pair.result(True)  # "35 / 15 = 2 full sets": the whole ones, as the text says
    reading = _precision_reading(computed, stated, claimed, rules, approx)
    if reading is not None:
        return pair.result(True, reading)
    if _quotient_with_remainder(formula, computed, stated, actual, claimed):
        return pair.result(True, ("a quotient stated with its remainder", None))
    if trailing or _trails_off(computed):
        return _unverifiable(computed, stated, stated_text, "a number written with trailing dots is only approximate",
                             actual_text, claimed, actual)
    mixed = _mixed_units(computed, stated)
    if mixed:
        return _unverifiable(computed, stated, stated_text, mixed, actual_text, claimed, actual)
    if _units(computed) != _units(stated):
        return _unverifiable(computed, stated, stated_text, "different units on the two sides: a conversion, not checked",
                             actual_text, claimed, actual)
    if _percent_on_one_side(computed, stated):
        # "45 + 21 + 28 = 94%" sums percentages; "48 = 120%" says what 48 corresponds to;
        # "(2/3 − 1/2) × 100 = 25%" multiplies by 100 itself, so it must equal the percentage
        if actual * 100 == claimed or actual == claimed * 100:
            return pair.result(True)
        if _times_hundred(computed):
            # "(2/3) × 100 = 66.67%": the percentage, rounded to its own digits like any stated number
            lit = stated.literal
            if lit is not None and stated.is_literal and abs(actual - claimed * 100) * 2 <= Fraction(1, 10**lit.decimals):
                return pair.result(True)
            return pair.result(False)
        return _unverifiable(computed, stated, stated_text, "percent on one side only: a correspondence, not an equality",
                             actual_text, claimed, actual)
    if stated is right and _running_total(actual, right):
        return pair.result(True)
    if _other_reading(computed, stated, claimed, actual, approx, rules, _scale_words(formula)):
        return pair.result(True)
    return pair.result(False)


def _approx_value(side: Side, digits: int = 40) -> Fraction | None:
    """A rational approximation, good to ``digits`` digits, for irrational sides (roots, pi).

    Numeric evaluation (``arith.approximate``, Decimal arithmetic) never expands ``(√2+√3+√5)^200`` the
    way ``simplify`` would, so it stays fast on hostile input; what it cannot evaluate (a complex value, a
    letter) is None.
    """
    if digits <= 60:
        return side.approximate()
    return approximate(side.node, digits) if side.node is not None else None


def _approx_text(v: Fraction) -> str:
    """``≈1.414213562``, without passing through a float (π^700 does not fit in one)."""
    d = Context(prec=10).divide(v.numerator, v.denominator)
    return f"≈{d:g}" if abs(d.adjusted()) < 12 else f"≈{d:.9E}"


def _times_hundred(side: Side) -> bool:
    """The computation multiplies by 100 (``… × 100``): it computes a percentage itself."""
    node = side.node
    return node is not None and node[0] == "mul" and node[2][0] == "num" and node[2][1] == 100


def _symbolically_equal(a: Side, b: Side) -> bool:
    """Equality of two constant expressions: (6768 + 1144√35) + (6768 − 1144√35) = 13536.

    Decided at 60 digits rather than by ``simplify``, which can take minutes on a short hostile
    line; two distinct algebraic numbers this small in height do not agree to 50 digits.
    """
    x, y = _approx_value(a, 60), _approx_value(b, 60)
    if x is None or y is None:
        return False
    # |x − y| <= max(|x|, 1) / 10^50, in ints: both sides times the denominators
    xn, xd, yn, yd = numerator(x), denominator(x), numerator(y), denominator(y)
    return abs(xn * yd - yn * xd) * 10**50 <= max(abs(xn), xd) * yd


def _loosely(actual: Fraction, stated: Fraction) -> ClaimStatus:
    """``≈`` between two expressions (``\\sqrt{50/9} ≈ \\sqrt{5.5556}``): close is right, far is wrong."""
    scale = max(abs(actual), abs(stated), Fraction(1, 10**12))
    rel = abs(actual - stated) / scale
    if rel <= Fraction(1, 1000):
        return _CORRECT
    if rel > Fraction(1, 10):
        return _WRONG
    return _UNVERIFIABLE


def _trails_off(side: Side) -> bool:
    return any(t.unit == "..." for t in side.tokens)


def _units(side: Side) -> frozenset[str]:
    return frozenset(t.unit for t in side.tokens if t.unit and t.unit != "...")


def _percent_on_one_side(a: Side, b: Side) -> bool:
    """One side is a bare percentage (``94%``), the other a plain number; ``20% of 50`` is plain."""
    return _bare_percent(a) != _bare_percent(b)


def _bare_percent(side: Side) -> bool:
    """A percent sign that is not ``of`` something and not a remainder (``143 % 11``)."""
    toks = side.tokens
    return any(t.kind == PCT and (i + 1 == len(toks) or toks[i + 1].kind not in (OF, NUM, LP))
               for i, t in enumerate(toks))


def _mixed_units(computed: Side, stated: Side) -> str | None:
    """Operands in different units (``4 pounds - 6 ounces = 58 ounces``): the conversion is left unwritten."""
    node = computed.node
    if node is None:
        return None
    units = set()
    if node[0] == "add":
        for _, term in node[1]:
            if term[0] == "num" and term[2].word:
                units.add(_singular(term[2].word.split()[0]))
    if len(units) > 1:
        return f"operands in different units ({', '.join(sorted(units))}): a conversion the text leaves unwritten"
    toks = computed.tokens
    lone = [t for t in toks if t.kind == NUM]
    one_number = len(toks) == 1 or (len(toks) == 3 and toks[1].kind == OP and toks[1].value == "/"
                                     and toks[0].end == toks[1].start and toks[1].end == toks[2].start)
    if one_number and stated.unit and lone and lone[-1].word:
        # "1/2 a cup = 4 ounces": one quantity in two units
        if _singular(lone[-1].word.split()[-1]) != _singular(stated.unit):
            return "one quantity in two units: a conversion, not checked"
    return None


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _irrational_pair(
    formula: Formula, computed: Side, stated: Side, approx: bool, rules: RuleSet, stated_text: str
) -> PairCheck:
    approx = approx or formula.approx_line
    a = _approx_value(computed)
    if a is None:
        return _unverifiable(computed, stated, stated_text, "could not evaluate")
    actual_text = _approx_text(a)
    if stated.is_literal:
        ok = (literal_matches(a, stated, approx, rules, exact_known=False) or _symbolically_equal(computed, stated)
              or _pi_as_written(computed, stated, approx, rules))
        claimed = side_value(stated)
        return PairCheck(_CORRECT if ok else _WRONG, stated_text, actual_text, None, computed,
                         claimed if type(claimed) is Fraction else None, None, stated)
    if approx:
        b = _approx_value(stated)
        if b is None:
            return _unverifiable(computed, stated, stated_text, "could not evaluate", actual_text)
        return PairCheck(_loosely(a, b), stated_text, actual_text, None, computed, None, None, stated)
    if _approx_value(stated) is None:
        return _unverifiable(computed, stated, stated_text, "could not compare", actual_text)
    status = _CORRECT if _symbolically_equal(computed, stated) else _WRONG
    return PairCheck(status, stated_text, actual_text, None, computed, None, None, stated)


def _text_of(side: Side) -> str:
    if not side.tokens:
        return ""
    return " ".join([t.text for t in side.tokens])
