"""Re-check each formula exactly: rationals first, sympy objects for the rest, never floats.

A stated decimal with d digits is right when it is the true value rounded to d digits; an integer
stated for a non-integer is wrong unless its line marks it approximate; calculator float noise
(``14.999999999999998``) is the value it approximates. What cannot be parsed or evaluated within
bounds is ``unverifiable`` with a reason, never "correct".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from .arith import (
    APPROX,
    LP,
    NUM,
    OF,
    OP,
    PCT,
    RP,
    SYM,
    Node,
    NotRational,
    PolyValue,
    Unverifiable,
    Value,
    approximate,
    as_poly,
    evaluate,
    format_value,
    leaves,
    parse_tokens,
    symbols_of,
)
from .extract import Formula, Side
from .model import Claim, ClaimStatus
from .precision import (
    Noise,
    interval,
    loose_literals,
    meant_overrides,
    meant_value,
    overlaps,
    stated_interval,
)
from .rules import RuleSet


@dataclass(slots=True)
class Checked:
    """A claim together with what the trace stage needs: its computation and both values."""

    claim: Claim
    formula: Formula
    computation: Side | None
    """The side that was computed (whose literals are the operands)."""
    stated_value: Fraction | None
    """The value the text asserts, which later steps may reuse."""
    actual_value: Fraction | None
    position: int
    restated: bool = False
    """A false equation that only restates the false one right before it (no new slip)."""


@dataclass(frozen=True, slots=True)
class PairCheck:
    """What comparing two sides of a formula concluded."""

    status: ClaimStatus
    stated_text: str
    actual_text: str | None
    reason: str | None
    """Why the claim is unverifiable; or, for a right one, the reading that made it right."""
    computed: Side | None
    """The side that was computed (whose literals are the operands)."""
    stated_value: Fraction | None
    actual_value: Fraction | None
    stated: Side
    """The side that states the result."""


def side_value(side: Side) -> Value | None:
    """Exact value of a parsed side; ``None`` when it leaves the rationals (see ``exact_equal``)."""
    if side.node is None:
        return None
    try:
        return evaluate(side.node)
    except NotRational:
        return None


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
    from decimal import Context

    d = Context(prec=10).divide(v.numerator, v.denominator)
    return f"≈{d:g}" if abs(d.adjusted()) < 12 else f"≈{d:.9E}"


def literal_matches(
    actual: Fraction, side: Side, approx: bool, rules: RuleSet, exact_known: bool = True
) -> bool:
    """Is a bare stated number an acceptable writing of ``actual``?

    A decimal with d digits is right when it is ``actual`` rounded to d digits; calculator noise
    (``14.999999999999998``) when it is within the rule set's relative distance (never for an integer:
    ``1111112111111`` is not noise); with ``approx``, within one unit of its last digit, where an
    integer's trailing zeros say how precise it claims to be (``5508 ≈ 5500``).
    """
    lit = side.literal
    assert lit is not None
    stated = side_value(side)
    if not isinstance(stated, Fraction):
        return False
    if exact_known and stated == actual:
        return True
    decimals = lit.decimals
    scale = Fraction(1)
    if side.tokens[-1].kind == PCT:  # digits count in percent
        scale = Fraction(1, 100)
    unit = Fraction(1, 10**decimals) * scale
    diff = abs(actual - stated)
    if decimals and lit.sig >= rules.float_noise_digits and actual != 0:
        if diff <= abs(actual) * Fraction(rules.float_noise_relative):
            return True
    if approx:
        if decimals:
            return diff <= unit
        if diff < unit:
            return True
        zeros = len(lit.text) - len(lit.text.rstrip("0"))
        return zeros > 0 and diff * 2 <= unit * 10**zeros
    if decimals == 0:
        return False
    if diff * 2 <= unit:
        return True
    if rules.allow_truncation and diff < unit and abs(stated) < abs(actual):
        return True
    return False


_WHOLE_WORDS = frozenset({"full", "whole", "complete"})


def _announced(actual: Fraction, stated: Side, formula: Formula, rules: RuleSet) -> bool:
    """Is a stated number right under the approximation its line announces?

    "About", "approximately", "~" allow one unit of the last digit; "rounded" or "to the nearest" ask for
    correct rounding (``60/43 rounded to the nearest hundredth`` is 1.40, not 1.39), "rounded up/down"
    for the ceiling or floor at the stated digits.
    """
    context = formula.context
    mode = context.rounding if context is not None else None
    if mode is None:
        return literal_matches(actual, stated, True, rules)
    claimed = side_value(stated)
    lit = stated.literal
    if not isinstance(claimed, Fraction) or lit is None:
        return False
    scale = 10**lit.decimals
    if mode == "up":
        return claimed == Fraction(math.ceil(actual * scale), scale)
    if mode == "down":
        return claimed == Fraction(math.floor(actual * scale), scale)
    return abs(actual - claimed) * 2 * scale <= 1 or literal_matches(actual, stated, False, rules)


def _unverifiable(computed: Side, stated: Side, stated_text: str, reason: str, actual_text: str | None = None,
                  claimed: Fraction | None = None, actual: Fraction | None = None) -> PairCheck:
    return PairCheck(ClaimStatus.UNVERIFIABLE, stated_text, actual_text, reason, computed, claimed, actual, stated)


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

    def result(ok: bool, reading: tuple[str, Fraction | None] | None = None) -> PairCheck:
        status = ClaimStatus.CORRECT if ok else ClaimStatus.WRONG
        if reading is None:
            return PairCheck(status, stated_text, actual_text, None, computed, claimed, actual, stated)
        why, meant = reading
        if meant is None:
            return PairCheck(status, stated_text, actual_text, why, computed, claimed, actual, stated)
        # the value the writer meant travels on (0.33 read as 1/3: 6000 × 0.33 is 2000)
        return PairCheck(status, stated_text, format_value(meant), why, computed, claimed, meant, stated)

    if approx and not stated.is_literal and actual != claimed:
        status = _loosely(actual, claimed)
        reading = _precision_reading(computed, stated, claimed, rules) if status is not ClaimStatus.CORRECT else None
        if reading is not None:
            return result(True, reading)
        return PairCheck(status, stated_text, actual_text, None, computed, claimed, actual, stated)
    trailing = _trails_off(stated)
    ok = literal_matches(actual, stated, approx or trailing, rules) if stated.is_literal else actual == claimed
    if ok:
        return result(True)
    if not approx and stated.is_literal and formula.approx_line:
        approx = True  # "about 10/3 = 3 cups": looked up only now, since most claims never need it
        if _announced(actual, stated, formula, rules):
            return result(True)
    if stated.is_literal and stated.unit in _WHOLE_WORDS and claimed.denominator == 1 and (
            claimed == actual.numerator // actual.denominator):
        return result(True)  # "35 / 15 = 2 full sets": the whole ones, as the text says
    reading = _precision_reading(computed, stated, claimed, rules, approx)
    if reading is not None:
        return result(True, reading)
    if _quotient_with_remainder(formula, computed, stated, actual, claimed):
        return result(True, ("a quotient stated with its remainder", None))
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
            return result(True)
        if _times_hundred(computed):
            # "(2/3) × 100 = 66.67%": the percentage, rounded to its own digits like any stated number
            lit = stated.literal
            if lit is not None and stated.is_literal and abs(actual - claimed * 100) * 2 <= Fraction(1, 10**lit.decimals):
                return result(True)
            return result(False)
        return _unverifiable(computed, stated, stated_text, "percent on one side only: a correspondence, not an equality",
                             actual_text, claimed, actual)
    if stated is right and _running_total(actual, right):
        return result(True)
    if _other_reading(computed, stated, claimed, actual, approx, rules, _scale_words(formula)):
        return result(True)
    return result(False)


LETTERS_CANCEL = "the letters cancel and the two sides still differ"


def _has_letter(side: Side) -> bool:
    """Does a side hold a letter (π aside)? From its tokens: cheaper than walking its tree."""
    return any(t.kind == SYM and t.value != "pi" for t in side.tokens)


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
    both = (bool(symbols_of(computed.node)) and bool(symbols_of(stated.node))  # type: ignore[arg-type]
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
        status = ClaimStatus.CORRECT if verdict == "equal" else ClaimStatus.WRONG
        reason = "an identity: equal for every value of the letters" if verdict == "equal" else (
            LETTERS_CANCEL if verdict == "cancel" else IDENTITY_FAILS)
        return PairCheck(status, stated_text, None, reason, computed, None, None, stated)
    actual_text = format_value(a)
    live = dict(as_poly(a).terms)
    for m, c in as_poly(b).terms.items():
        live[m] = live.get(m, Fraction(0)) - c
    live = {m: c for m, c in live.items() if c != 0}
    if not live:
        return PairCheck(ClaimStatus.CORRECT, stated_text, actual_text, "an identity: equal for every value of the letters",
                         computed, None, None, stated)
    if both and all(m == () or m == (("i", 1),) for m in live):
        return PairCheck(ClaimStatus.WRONG, stated_text, actual_text, LETTERS_CANCEL, computed, None, None, stated)
    if identity and both:
        return PairCheck(ClaimStatus.WRONG, stated_text, actual_text, IDENTITY_FAILS, computed, None, None, stated)
    return _unverifiable(computed, stated, stated_text, "has letters")


IDENTITY_FAILS = "written as an identity, but the two sides differ for some values of the letters"
_POINTS = (Fraction(7, 3), Fraction(11, 5), Fraction(13, 7), Fraction(17, 11), Fraction(19, 13), Fraction(23, 17))


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
        values = {name: float(_POINTS[(k + shift) % len(_POINTS)] + shift) for k, name in enumerate(names)}
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
    def near(u: float, v: float) -> bool:
        return math.isfinite(u) and math.isfinite(v) and abs(u - v) <= 1e-9 * max(abs(u), abs(v), 1.0)

    xs, ys = [], []
    for shift in (0, 1):
        values = {name: float(_POINTS[(k + shift) % len(_POINTS)] + shift) for k, name in enumerate(names)}
        x, y = _float_at(left, values), _float_at(right, values)
        if x is None or y is None:
            return False
        xs.append(x)
        ys.append(y)
    if near(xs[0], xs[1]) or near(ys[0], ys[1]):
        return False  # "5x − 5x = 20x − 200": one side has no letters left, the other does; nothing cancelled
    diffs = [x - y for x, y in zip(xs, ys)]
    ratios = [x / y if y else math.inf for x, y in zip(xs, ys)]
    if near(diffs[0], diffs[1]) and near(diffs[0], a - b):
        return True
    return b != 0 and near(ratios[0], ratios[1]) and near(ratios[0], a / b)


def _float_at(node: Node, values: dict[str, float]) -> float | None:
    """A tree's value in floating point with its letters set to ``values``; None where it leaves the reals."""
    try:
        v = _float(node, values)
    except (ValueError, OverflowError, ZeroDivisionError, RecursionError, TypeError):
        return None
    return v if v is not None and math.isfinite(v) else None


def _float(n: Node, values: dict[str, float]) -> float | None:
    tag = n[0]
    if tag == "num":
        return float(n[1])
    if tag == "sym":
        return math.pi if n[1] == "pi" else values.get(n[1])
    if tag == "add":
        acc = 0.0
        for sign, sub in n[1]:
            v = _float(sub, values)
            if v is None:
                return None
            acc += v if sign > 0 else -v
        return acc
    if tag in ("mul", "div", "pow", "mod"):
        a, b = _float(n[1], values), _float(n[2], values)
        if a is None or b is None:
            return None
        if tag == "mul":
            return a * b
        if tag == "div":
            return a / b
        if tag == "mod":
            return math.fmod(a, b)
        if abs(b) > 1000:
            return None
        return float(a**b) if a >= 0 or b == int(b) else None
    inner = _float(n[1], values) if len(n) > 1 and isinstance(n[1], tuple) else None
    if inner is None:
        return None
    if tag == "paren":
        return inner
    if tag == "neg":
        return -inner
    if tag == "pct":
        return inner / 100
    if tag == "abs":
        return abs(inner)
    if tag == "floor":
        return float(math.floor(inner))
    if tag == "ceil":
        return float(math.ceil(inner))
    if tag == "sqrt":
        k = 2.0 if n[2] is None else _float(n[2], values)
        if k is None or k < 1:
            return None
        if inner < 0:
            return -float((-inner) ** (1 / k)) if k % 2 == 1 else None
        return float(inner ** (1 / k))
    if tag == "fact":
        return float(math.factorial(int(inner))) if inner == int(inner) and 0 <= inner <= 170 else None
    return None


def _product(node: Node) -> bool:
    """A product of factors with no sum anywhere in it (``y · 2^{1/2}``, not ``|7m − 100|``)."""
    if node[0] == "add":
        return False
    return all(_product(c) for c in node[1:] if isinstance(c, tuple))


def _precision_reading(
    computed: Side, stated: Side, claimed: Fraction, rules: RuleSet, approx: bool = False
) -> tuple[str, Fraction | None] | None:
    """The reading of rounded operands under which the stated result is right, said in words, with the
    value the writer meant where it is recoverable; or None.

    See ``precision``: first each rounded decimal as the simpler fraction it stands for, then each
    operand of three or more significant digits as the interval of values that round to it.
    """
    node = computed.node
    assert node is not None
    noise = Noise(rules.float_noise_digits, Fraction(str(rules.float_noise_relative)))
    overrides = meant_overrides(node, noise)
    stated_node = stated.node
    stated_overrides = meant_overrides(stated_node, noise) if stated_node is not None and not stated.is_literal else {}
    if overrides or stated_overrides:
        meant = meant_value(node, overrides) if overrides else side_value(computed)
        meant_claimed = meant_value(stated_node, stated_overrides) if stated_overrides else claimed  # type: ignore[arg-type]
        if isinstance(meant, Fraction) and meant_claimed is not None:
            ok = (literal_matches(meant, stated, approx, rules) if stated.is_literal and not stated_overrides
                  else meant == meant_claimed)
            if ok:
                return _say_meant(computed, stated, overrides, stated_overrides), meant
    loose = loose_literals(node)
    stated_loose = loose_literals(stated_node) if stated_node is not None and not stated.is_literal else set()
    if not loose and not stated_loose:
        return None
    range_ = interval(node, loose)
    if range_ is None:
        return None
    if stated.is_literal:
        target = stated_interval(claimed, stated.literal, True)
    else:
        target_ = interval(stated_node, stated_loose)  # type: ignore[arg-type]
        if target_ is None:
            return None
        target = target_
    if overlaps(range_, target):
        return "consistent with its operands as rounded (each stands for any value that rounds to it)", None
    return None


def _say_meant(computed: Side, stated: Side, *overrides: dict[int, Fraction]) -> str:
    words = []
    for side, ov in zip((computed, stated), overrides):
        for tok in side.tokens:
            if tok.start in ov:
                words.append(f"{tok.text} as {format_value(ov[tok.start])}")
    return "rounded operand read as the fraction it stands for: " + ", ".join(words)


def _times_hundred(side: Side) -> bool:
    """The computation multiplies by 100 (``… × 100``): it computes a percentage itself."""
    node = side.node
    return node is not None and node[0] == "mul" and node[2][0] == "num" and node[2][1] == 100


_CENT_UNITS = ("cents", "cent", "percent")
_SCALES = {"thousand": 1000, "million": 10**6, "billion": 10**9}


def _other_reading(
    computed: Side, stated: Side, claimed: Fraction, actual: Fraction, approx: bool, rules: RuleSet,
    scale_words: str = "",
) -> bool:
    """Readings grade-school text intends where the strict one fails.

    ``25 / 1/3 = 75`` divides by the fraction one third; ``$1 / 2 = 50 cents`` changes unit;
    ``x% = 15% of $300`` states the percentage, then what it is of. Each is tried only after the
    strict reading failed, so a real slip stays a slip unless some reading makes it right.
    """
    if stated.unit in _CENT_UNITS and computed.unit not in _CENT_UNITS and actual * 100 == claimed:
        return True
    if scale_words and actual != 0:
        # "losing 5 thousand dollars ... 5 * 3 = $15,000": the operands were counted in thousands
        for word, factor in _SCALES.items():
            if word in scale_words and claimed == actual * factor:
                return True
    node = computed.node
    if node is not None and _has_division_chain(node):
        try:
            alt = evaluate(_regroup_divisions(node))
        except (NotRational, Unverifiable):
            alt = None
        if isinstance(alt, Fraction):
            if stated.is_literal and literal_matches(alt, stated, approx, rules):
                return True
            if alt == claimed:
                return True
    toks = computed.tokens
    if (toks and toks[0].text == "[" and toks[-1].text == "]" and claimed.denominator == 1
            and claimed == actual.numerator // actual.denominator):
        return True  # [22.8] = 22: the greatest-integer bracket a problem defines
    off = next((i for i, t in enumerate(computed.tokens) if t.kind == OF and t.text == "off"), None)
    if off is not None:
        # "30% off $80 = $56": the price after the discount, not the discount itself
        rate: Value | None
        base: Value | None
        try:
            rate = evaluate(parse_tokens(computed.tokens[:off]))
            base = evaluate(parse_tokens(computed.tokens[off + 1 :]))
        except (NotRational, Unverifiable):
            rate = base = None
        if isinstance(rate, Fraction) and isinstance(base, Fraction) and base * (1 - rate) == claimed:
            return True
    if any(t.kind == OF for t in stated.tokens):
        cut = stated.tokens[: next(i for i, t in enumerate(stated.tokens) if t.kind == OF)]
        try:
            v = evaluate(parse_tokens(cut))
        except (NotRational, Unverifiable):
            return False
        return v == actual
    return False


def _has_division_chain(node: Node) -> bool:
    tag = node[0]
    if tag == "div" and node[1][0] == "div":
        return True
    if tag in ("num", "sym"):
        return False
    if tag == "add":
        return any(_has_division_chain(sub) for _, sub in node[1])
    return any(isinstance(c, tuple) and _has_division_chain(c) for c in node[1:])


def _regroup_divisions(node: Node) -> Node:
    """``a / b / c`` read as ``a / (b/c)``: dividing by a fraction written inline."""
    tag = node[0]
    if tag == "div" and node[1][0] == "div":
        inner = node[1]
        return ("div", _regroup_divisions(inner[1]), ("div", inner[2], _regroup_divisions(node[2])))
    if tag in ("num", "sym"):
        return node
    if tag == "add":
        return ("add", [(sign, _regroup_divisions(sub)) for sign, sub in node[1]])
    return (tag,) + tuple(_regroup_divisions(c) if isinstance(c, tuple) else c for c in node[1:])


def _symbolically_equal(a: Side, b: Side) -> bool:
    """Equality of two constant expressions: (6768 + 1144√35) + (6768 − 1144√35) = 13536.

    Decided at 60 digits rather than by ``simplify``, which can take minutes on a short hostile
    line; two distinct algebraic numbers this small in height do not agree to 50 digits.
    """
    x, y = _approx_value(a, 60), _approx_value(b, 60)
    if x is None or y is None:
        return False
    return abs(x - y) <= max(abs(x), Fraction(1)) * Fraction(1, 10**50)


def _loosely(actual: Fraction, stated: Fraction) -> ClaimStatus:
    """``≈`` between two expressions (``\\sqrt{50/9} ≈ \\sqrt{5.5556}``): close is right, far is wrong."""
    scale = max(abs(actual), abs(stated), Fraction(1, 10**12))
    rel = abs(actual - stated) / scale
    if rel <= Fraction(1, 1000):
        return ClaimStatus.CORRECT
    if rel > Fraction(1, 10):
        return ClaimStatus.WRONG
    return ClaimStatus.UNVERIFIABLE


def _trails_off(side: Side) -> bool:
    return any(t.unit == "..." for t in side.tokens)


def _units(side: Side) -> frozenset[str]:
    return frozenset(t.unit for t in side.tokens if t.unit and t.unit != "...")


def _scale_words(formula: Formula) -> str:
    """The line's text, lower-cased, when it names a scale (thousand, million); else nothing."""
    line = formula.context.line.lower() if formula.context is not None else ""
    return line if any(w in line for w in _SCALES) else ""


def _percent_on_one_side(a: Side, b: Side) -> bool:
    """One side is a bare percentage (``94%``), the other a plain number; ``20% of 50`` is plain."""
    return _bare_percent(a) != _bare_percent(b)


def _bare_percent(side: Side) -> bool:
    """A percent sign that is not ``of`` something and not a remainder (``143 % 11``)."""
    toks = side.tokens
    return any(t.kind == PCT and (i + 1 == len(toks) or toks[i + 1].kind not in (OF, NUM, LP))
               for i, t in enumerate(toks))


def _running_total(actual: Fraction, right: Side) -> bool:
    """``3/2 = 1.50 + 3.00 = 4.50``: a running total whose next side starts from the result.

    Only sums: a false link in a product (``66 × 10 = 660 × 3 = 1980``) is a slip by the policy's
    "a = b = c where one link is false".
    """
    node = right.node
    if node is None or node[0] != "add":
        return False
    first_sign, first = node[1][0]
    try:
        v = evaluate(first)
    except (NotRational, Unverifiable):
        return False
    return isinstance(v, Fraction) and v * first_sign == actual


_REMAINDER_RE = re.compile(r"(?i)\b(?:remain\w*|left\s*over|leftover|left\b|r\s*\d)")


def _quotient_with_remainder(formula: Formula, computed: Side, stated: Side, actual: Fraction,
                             claimed: Fraction) -> bool:
    """``410 ÷ 333 = 1 with a remainder of 77``, ``100 stickers / 3 friends = 33 each, with 1 remaining``:
    the whole quotient, said to be one, is right."""
    node = computed.node
    if node is None or node[0] != "div" or not stated.is_literal or actual <= 0 or claimed.denominator != 1:
        return False
    if claimed != actual.numerator // actual.denominator:
        return False
    context = formula.context
    if context is None:
        return False
    after = context.line[max(0, stated.end - context.start) :][:80]
    return _REMAINDER_RE.search(after) is not None


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
        return PairCheck(ClaimStatus.CORRECT if ok else ClaimStatus.WRONG, stated_text, actual_text, None, computed,
                         claimed if isinstance(claimed, Fraction) else None, None, stated)
    if approx:
        b = _approx_value(stated)
        if b is None:
            return _unverifiable(computed, stated, stated_text, "could not evaluate", actual_text)
        return PairCheck(_loosely(a, b), stated_text, actual_text, None, computed, None, None, stated)
    if _approx_value(stated) is None:
        return _unverifiable(computed, stated, stated_text, "could not compare", actual_text)
    status = ClaimStatus.CORRECT if _symbolically_equal(computed, stated) else ClaimStatus.WRONG
    return PairCheck(status, stated_text, actual_text, None, computed, None, None, stated)


_PI_VALUES = (Fraction(22, 7), Fraction("3.14"), Fraction("3.1416"), Fraction("3.14159"), Fraction("3.141593"))
"""The values people use for π: ``50π ≈ 157.0795`` was computed with 3.14159."""


def _pi_as_written(computed: Side, stated: Side, approx: bool, rules: RuleSet) -> bool:
    """Is the stated number right with π taken as one of the values people use for it?"""
    node = computed.node
    if node is None or "pi" not in {leaf[1] for leaf in leaves(node) if leaf[0] == "sym"}:
        return False

    def put(n: Node, pi: Fraction) -> Node:
        if n[0] == "sym" and n[1] == "pi":
            return ("num", pi, n[2])
        if n[0] in ("num", "sym"):
            return n
        if n[0] == "add":
            return ("add", [(sign, put(sub, pi)) for sign, sub in n[1]])
        return (n[0],) + tuple(put(c, pi) if isinstance(c, tuple) else c for c in n[1:])

    for pi in _PI_VALUES:
        try:
            v = evaluate(put(node, pi))
        except (NotRational, Unverifiable):
            return False
        if isinstance(v, Fraction) and literal_matches(v, stated, approx, rules):
            return True
    return False


def _text_of(side: Side) -> str:
    if not side.tokens:
        return ""
    return " ".join(t.text for t in side.tokens)


def check_formula(formula: Formula, text: str, rules: RuleSet, rule: str) -> list[Checked]:
    """Check each adjacent pair of a formula's sides; pairs with letters are left to ``derive``."""
    out: list[Checked] = []
    sides = formula.sides
    identity_chain = _same_letters_throughout(formula) if len(sides) >= 3 else None
    for i in range(len(sides) - 1):
        left, right = sides[i], sides[i + 1]
        if formula.kind == "continuation" and i == 0:
            continue  # compared with the line above by ``derive``
        if i == 0 and len(sides) >= 3 and left.is_literal and not right.is_literal:
            # "Remaining 10 = 62,300/10 = 6,230": a bare number before a computation can be a label;
            # it is one when the computation agrees with what follows and not with it
            status3 = check_pair(formula, right, sides[2], formula.relations[1], rules).status
            status1 = check_pair(formula, left, right, formula.relations[0], rules).status
            if status3 is ClaimStatus.CORRECT and status1 is ClaimStatus.WRONG:
                continue
        pair = check_pair(formula, left, right, formula.relations[i], rules,
                          _claims_identity(formula, i, identity_chain))
        if (pair.reason == IDENTITY_FAILS and i == 0 and identity_chain and not _expands(left, right)
                and not _shared_sums(left, right) and _rest_of_chain_holds(formula, rules, identity_chain)):
            # "2^{2^k} = 2^{27}·2^k = 2^{27+k}", "nμ + 11 = (n+1)(μ+1) = nμ + μ + n + 1": an equation set up, and
            # its right side then rewritten (every later link holds); only a chain that goes on rewriting a
            # false first link claims it as an identity
            pair = _unverifiable(pair.computed or left, pair.stated, pair.stated_text,
                                 "an equation the chain then rewrites: its later links hold")
        if pair.reason == IDENTITY_FAILS and _relation_stated(text, formula.start, left, right):
            # α^4 = 3α^3 − 4α^2 + α uses α^3 = 3α^2 − 4α + 1, stated above: not an identity of its own
            pair = _unverifiable(pair.computed or left, pair.stated, pair.stated_text,
                                 "may use a relation between its letters stated earlier")
        if pair.status is ClaimStatus.WRONG and i >= 1 and APPROX in formula.relations:
            # 18π ≈ 18 × 3.14159 ≈ 56.54866: an approximation is of the first side, not of the last one
            for earlier in sides[:i]:
                first = check_pair(formula, earlier, right, APPROX, rules)
                if first.status is ClaimStatus.CORRECT:
                    pair = first
                    break
        if pair.status is ClaimStatus.UNVERIFIABLE and pair.reason == "has letters":
            continue
        if pair.status is ClaimStatus.UNVERIFIABLE and (left.node is None) and (right.node is None):
            continue  # neither side is arithmetic: words around an "=", not a claim
        span = (left.start, right.end)
        stated_side = pair.stated
        claim = Claim(
            step=formula.step,
            span=span,
            text=text[span[0] : span[1]],
            stated=text[stated_side.start : stated_side.end] if stated_side.tokens else pair.stated_text,
            actual=pair.actual_text,
            status=pair.status,
            kind=formula.kind,
            rule=("unverifiable" if pair.status is ClaimStatus.UNVERIFIABLE
                  else ROUNDING if pair.status is ClaimStatus.WRONG and _unannounced_rounding(pair, rules) else rule),
            reason=pair.reason,
            stated_span=(stated_side.start, stated_side.end),
        )
        out.append(Checked(claim, formula, pair.computed, pair.stated_value, pair.actual_value, span[0]))
    return out


_REWRITING_RE = re.compile(r"(?i)\b(?:expand\w*|factor\w*|rewrit\w*|written\s+as|express\w*\s+as|simplif\w*|equivalent)\W*$")


def _expands(left: Side, right: Side) -> bool:
    """Is ``right`` written as the expansion of ``left`` (``(x + 1)^2 = x^2 + 2x + 1``): a product or power of
    sums on the left, a sum with no brackets on the right? Then a false first link is a slip, not an equation."""
    a, b = left.node, right.node
    if a is None or b is None or b[0] != "add":
        return False

    def is_sum(n: Node) -> bool:
        return bool(n[0] == "paren" and n[1][0] == "add")

    expandable = (a[0] == "pow" and is_sum(a[1])) or (a[0] == "mul" and (is_sum(a[1]) or is_sum(a[2])))
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
        if n[0] == "add" and symbols_of(n):
            try:
                out.add(format_value(evaluate(n)))
            except (NotRational, Unverifiable):
                pass
            stack.extend(sub for _, sub in n[1])
        elif n[0] not in ("num", "sym"):
            stack.extend(c for c in n[1:] if isinstance(c, tuple))
    return out


def _rest_of_chain_holds(formula: Formula, rules: RuleSet, identity_chain: bool) -> bool:
    """Does every link of a chain after the first hold as an identity?"""
    sides = formula.sides
    return all(
        check_pair(formula, sides[k], sides[k + 1], formula.relations[k], rules,
                   _claims_identity(formula, k, identity_chain)).status is ClaimStatus.CORRECT
        for k in range(1, len(sides) - 1)
    )


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
        return len(leaves(a.node)) != len(leaves(b.node))
    context = formula.context
    if context is None or i != 0:
        return False
    before = context.line[max(0, formula.start - context.start - 40) : formula.start - context.start]
    return _REWRITING_RE.search(before.rstrip(" \t$(\\[")) is not None


_POWER_RELATION_RE = re.compile(r"(?:^|(?<=[\s$(,;:\[]))(\\[a-zA-Z]+|[A-Za-z])\s*\^\s*\{?\s*\d+\s*\}?\s*=", re.M)
"""A power of a letter alone on the left of an equation (``α^3 = 3α^2 − 4α + 1``): a relation to reduce by."""


def _relation_stated(text: str, before: int, *sides: Side) -> bool:
    """Does the text above state a power of one of these letters (``α^3 = …``, ``ω^3 = 1``, ``i^2 = −1``)?"""
    letters = set()
    for side in sides:
        letters |= {t.text.lstrip("\\") for t in side.tokens if t.kind == SYM}
        letters |= {str(t.value) for t in side.tokens if t.kind == SYM}
    window = text[max(0, before - 20_000) : before]
    return any(m.group(1).lstrip("\\") in letters for m in _POWER_RELATION_RE.finditer(window))


ROUNDING = "rounding"
"""The rule of a result rounded without saying so (``35 / 15 = 2 sets``, ``74 / 30 = 2.4``): a slip of a milder
kind (``SLIP_POLICY.md``: ``rounding_unannounced``), its own rule so a rule set can weigh it apart."""


def _unannounced_rounding(pair: PairCheck, rules: RuleSet) -> bool:
    """A stated number within one unit of its last digit of the true value: rounded, not miscomputed."""
    if pair.actual_value is None or not pair.stated.is_literal or pair.stated_value == pair.actual_value:
        return False
    return literal_matches(pair.actual_value, pair.stated, True, rules)


def check_annotation(formula: Formula, text: str, rules: RuleSet) -> list[Checked]:
    """A GSM8K annotation ``<<expr=result>>`` and, when it differs, the number written after it."""
    lhs, rhs = formula.sides
    out = []
    ann_end = text.find(">>", lhs.start) + 2
    pair = check_pair(formula, lhs, rhs, formula.relations[0], rules)
    status, stated_text, actual_text, reason = pair.status, pair.stated_text, pair.actual_text, pair.reason
    computed, claimed, actual = pair.computed, pair.stated_value, pair.actual_value
    if status is ClaimStatus.UNVERIFIABLE and reason == "has letters":
        reason = "letters in a calculator annotation"
    span = (formula.start, ann_end)
    inner = text[lhs.start : rhs.end]
    visible = formula.visible
    stated_value = claimed
    if visible is not None:
        stated_value = visible.value
    out.append(
        Checked(
            Claim(formula.step, span, inner, text[rhs.start : rhs.end] or stated_text, actual_text, status,
                  "annotation", "annotation" if status is not ClaimStatus.UNVERIFIABLE else "unverifiable",
                  reason, (rhs.start, rhs.end)),
            formula, computed if computed is lhs else lhs, stated_value, actual, formula.start,
        )
    )
    if visible is not None and actual is not None and claimed is not None and visible.value != claimed:
        vside = Side([visible], visible.start, visible.end)
        vside.node = ("num", visible.value, visible)
        ok = literal_matches(actual, vside, False, rules) or (formula.approx_line and _announced(actual, vside, formula, rules))
        out.append(
            Checked(
                Claim(formula.step, (visible.start, visible.end), visible.text, visible.text,
                      format_value(actual), ClaimStatus.CORRECT if ok else ClaimStatus.WRONG,
                      "annotation_result", "annotation_result", None, (visible.start, visible.end)),
                formula, lhs, visible.value, actual, visible.start,
            )
        )
    return out
