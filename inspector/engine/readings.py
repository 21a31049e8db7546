"""Readings under which a stated number is right: the precision it was written to, and what grade-school text means.

The strict reading (the stated number equals the exact value) is ``compare``'s; what is here is tried
around it: a decimal rounded to its digits, a line that announces an approximation, rounded operands read
as the fractions they stand for or as intervals, ``25 / 1/3`` as dividing by a third, π as 3.14. Each reading
can only turn a wrong claim right, never a right one wrong, so a real slip stays a slip unless some reading
makes it right.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import Final

from .arith import (
    OF,
    PCT,
    Node,
    NotRational,
    Unverifiable,
    Value,
    evaluate,
    format_value,
    leaves,
    parse_tokens,
)
from .extract import Formula, Side
from .pair_check import side_value
from .precision import (
    Noise,
    interval,
    loose_literals,
    meant_overrides,
    meant_value,
    overlaps,
    stated_interval,
)
from .rational import denominator, numerator, within
from .rules import RuleSet


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
    if type(stated) is not Fraction:
        return False
    na, da, ns, ds = numerator(actual), denominator(actual), numerator(stated), denominator(stated)
    if exact_known and na == ns and da == ds:
        return True
    decimals = lit.decimals
    # in ints: |actual − stated| is gap / over, and one unit of the last digit written is 1 / per_unit (digits count
    # in percent after a %)
    gap, over = abs(na * ds - ns * da), da * ds
    per_unit: int = 10**decimals * (100 if side.tokens[-1].kind == PCT else 1)
    if decimals and lit.sig >= rules.float_noise_digits and na != 0:
        if within(actual, stated, _exactly(rules.float_noise_relative)):
            return True
    if approx:
        if decimals:
            return gap * per_unit <= over
        if gap * per_unit < over:
            return True
        zeros = len(lit.text) - len(lit.text.rstrip("0"))
        return zeros > 0 and 2 * gap * per_unit <= over * 10**zeros
    if decimals == 0:
        return False
    if 2 * gap * per_unit <= over:
        return True
    if rules.allow_truncation and gap * per_unit < over and abs(ns) * da < abs(na) * ds:
        return True
    return False


_EXACTLY: Final[dict[float, Fraction]] = {}


def _exactly(x: float) -> Fraction:
    """``Fraction(x)``, remembered: a rule set's tolerances are a few floats, asked for at every claim."""
    known = _EXACTLY.get(x)
    if known is None:
        if len(_EXACTLY) > 64:
            _EXACTLY.clear()
        known = _EXACTLY[x] = Fraction(x)
    return known


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
    if type(claimed) is not Fraction or lit is None:
        return False
    scale = 10**lit.decimals
    if mode == "up":
        return claimed == Fraction(math.ceil(actual * scale), scale)
    if mode == "down":
        return claimed == Fraction(math.floor(actual * scale), scale)
    return abs(actual - claimed) * 2 * scale <= 1 or literal_matches(actual, stated, False, rules)


@functools.lru_cache(maxsize=16)
def _noise(digits: int, relative: float) -> Noise:
    """A rule set's float noise, made once (a ``Fraction`` read from a string costs a regex)."""
    return Noise(digits, Fraction(str(relative)))


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
    noise = _noise(rules.float_noise_digits, rules.float_noise_relative)
    overrides = meant_overrides(node, noise)
    stated_node = stated.node
    stated_overrides = meant_overrides(stated_node, noise) if stated_node is not None and not stated.is_literal else {}
    if overrides or stated_overrides:
        meant = meant_value(node, overrides) if overrides else side_value(computed)
        meant_claimed = meant_value(stated_node, stated_overrides) if stated_overrides else claimed  # type: ignore[arg-type]
        if type(meant) is Fraction and meant_claimed is not None:
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


_CENT_UNITS: Final = ("cents", "cent", "percent")
_SCALES: Final = {"thousand": 1000, "million": 10**6, "billion": 10**9}


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
        if type(alt) is Fraction:
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
        if type(rate) is Fraction and type(base) is Fraction and base * (1 - rate) == claimed:
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


def _scale_words(formula: Formula) -> str:
    """The line's text, lower-cased, when it names a scale (thousand, million); else nothing."""
    line = formula.context.line.lower() if formula.context is not None else ""
    return line if any(w in line for w in _SCALES) else ""


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
    return type(v) is Fraction and v * first_sign == actual


_REMAINDER_RE: Final = re.compile(r"(?i)\b(?:remain\w*|left\s*over|leftover|left\b|r\s*\d)")


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


_PI_VALUES: Final = (Fraction(22, 7), Fraction("3.14"), Fraction("3.1416"), Fraction("3.14159"), Fraction("3.141593"))
"""The values people use for π: ``50π ≈ 157.0795`` was computed with 3.14159."""


def _with_pi(n: Node, pi: Fraction) -> Node:
    """The tree with π replaced by the value ``pi``."""
    if n[0] == "sym" and n[1] == "pi":
        return ("num", pi, n[2])
    if n[0] in ("num", "sym"):
        return n
    if n[0] == "add":
        return ("add", [(sign, _with_pi(sub, pi)) for sign, sub in n[1]])
    return (n[0],) + tuple(_with_pi(c, pi) if isinstance(c, tuple) else c for c in n[1:])


def _pi_as_written(computed: Side, stated: Side, approx: bool, rules: RuleSet) -> bool:
    """Is the stated number right with π taken as one of the values people use for it?"""
    node = computed.node
    if node is None or "pi" not in {leaf[1] for leaf in leaves(node) if leaf[0] == "sym"}:
        return False
    for pi in _PI_VALUES:
        try:
            v = evaluate(_with_pi(node, pi))
        except (NotRational, Unverifiable):
            return False
        if type(v) is Fraction and literal_matches(v, stated, approx, rules):
            return True
    return False
