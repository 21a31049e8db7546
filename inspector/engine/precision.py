"""What a written decimal stands for: the precision it was written with.

``0.33`` written by a model is rarely the rational 33/100: it is a value that rounds to 0.33, most
often 1/3. ``SLIP_POLICY.md`` counts ``6000 * 0.33 = 2000`` and ``$1666.67 * 1.2 = $2000`` as right:
the result is consistent with the operands as the writer rounded them. Two readings decide it, both
exact (rationals, never floats), and both tried only after the literal reading failed:

- the **meant** reading: each decimal operand that is the rounding of a simpler fraction stands for that
  fraction (0.33 → 1/3, 1666.67 → 5000/3, 19.833333333333332 → 119/6); the stated result must then be
  exactly right, or correctly rounded to its own digits;
- the **interval** reading: each operand written with three or more significant digits stands for every
  value that rounds to it (1.414 → [1.4135, 1.4145]); the stated result must lie in the range those
  values give (an integer exactly, a decimal within its own rounding).

Integers are exact: no reading ever widens a number written without decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from math import floor
from typing import Final

from .arith import NUM, Node, NotRational, Token, Unverifiable, evaluate, literals

MAX_DENOMINATOR: Final = 10**6
"""A simpler fraction with a larger denominator is no simpler than the decimal itself."""
INTERVAL_MIN_SIG: Final = 3
"""Operands with fewer significant digits (1.2, 0.5, 2.5) are taken as exact in the interval reading."""


def half_unit(tok: Token) -> Fraction:
    return Fraction(1, 2 * 10**tok.decimals)


def simplest_between(lo: Fraction, hi: Fraction | None) -> Fraction:
    """The fraction with the smallest denominator strictly inside ``(lo, hi)`` (``hi`` None: no bound).

    The continued-fraction walk of the Stern–Brocot tree; ``lo`` must be ``>= 0``. Each level inverts a
    remainder below 1, so the depth is that of the continued fractions of the bounds (tens at most).
    """
    n = floor(lo) + 1
    if hi is None or n < hi:
        return Fraction(n)
    whole = floor(lo)
    a, b = lo - whole, hi - whole
    return whole + 1 / simplest_between(1 / b, None if a == 0 else 1 / a)


@dataclass(frozen=True, slots=True)
class Noise:
    """Calculator noise: a decimal of ``digits`` or more significant digits is within ``relative`` of its value."""

    digits: int = 12
    relative: Fraction = Fraction(1, 10**9)


def meant_fraction(tok: Token, noise: Noise = Noise()) -> Fraction | None:
    """The simpler fraction a decimal literal is the rounding of (``0.33`` → 1/3), or None.

    Calculator noise is not even correctly rounded (``19.833333333333332`` for 119/6), so it stands for
    anything within the noise's relative distance.
    """
    if tok.kind != NUM or tok.decimals == 0 or tok.unit == "...":
        return None
    v = tok.value
    h = v * noise.relative if tok.sig >= noise.digits else half_unit(tok)
    if v - h <= 0:
        return None
    meant = simplest_between(v - h, v + h)
    if meant == v or meant.denominator > MAX_DENOMINATOR:
        return None
    return meant


def meant_overrides(node: Node, noise: Noise = Noise()) -> dict[int, Fraction]:
    """Literal start → the fraction it stands for, for every rounded decimal of a tree."""
    out: dict[int, Fraction] = {}
    for tok in literals(node):
        meant = meant_fraction(tok, noise)
        if meant is not None:
            out[tok.start] = meant
    return out


def meant_value(node: Node, overrides: dict[int, Fraction]) -> Fraction | None:
    if not overrides:
        return None
    try:
        v = evaluate(node, overrides)
    except (NotRational, Unverifiable, ZeroDivisionError):
        return None
    return v if type(v) is Fraction else None


Interval = tuple[Fraction, Fraction]


def loose_literals(node: Node) -> set[int]:
    """Start offsets of the literals the interval reading widens."""
    return {t.start for t in literals(node) if t.decimals > 0 and t.sig >= INTERVAL_MIN_SIG and t.unit != "..."}


def interval(node: Node, loose: set[int]) -> Interval | None:
    """The range of a tree's value when each ``loose`` literal is any value that rounds to it.

    ``None`` where the tree leaves what interval arithmetic here handles (letters, roots, a divisor
    that may be zero, a power with a non-integer exponent).
    """
    tag = node[0]
    if tag == "num":
        tok: Token = node[2]
        v: Fraction = node[1]
        if tok.start in loose:
            h = half_unit(tok)
            return v - h, v + h
        return v, v
    if tag == "paren":
        return interval(node[1], loose)
    if tag in ("floor", "ceil"):
        inner = interval(node[1], loose)
        if inner is None:
            return None
        f = math.floor if tag == "floor" else math.ceil
        return Fraction(f(inner[0])), Fraction(f(inner[1]))
    if tag == "abs":
        inner = interval(node[1], loose)
        if inner is None:
            return None
        ends = (abs(inner[0]), abs(inner[1]))
        return (Fraction(0) if inner[0] <= 0 <= inner[1] else min(ends)), max(ends)
    if tag == "neg":
        inner = interval(node[1], loose)
        return None if inner is None else (-inner[1], -inner[0])
    if tag == "pct":
        inner = interval(node[1], loose)
        return None if inner is None else (inner[0] / 100, inner[1] / 100)
    if tag == "add":
        lo = hi = Fraction(0)
        for sign, sub in node[1]:
            part = interval(sub, loose)
            if part is None:
                return None
            if sign > 0:
                lo, hi = lo + part[0], hi + part[1]
            else:
                lo, hi = lo - part[1], hi - part[0]
        return lo, hi
    if tag in ("mul", "div"):
        a, b = interval(node[1], loose), interval(node[2], loose)
        if a is None or b is None:
            return None
        if tag == "div":
            if b[0] <= 0 <= b[1]:
                return None
            b = (1 / b[1], 1 / b[0])
        products = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
        return min(products), max(products)
    if tag == "pow":
        base = interval(node[1], loose)
        exp = interval(node[2], loose)
        if base is None or exp is None or exp[0] != exp[1] or exp[0].denominator != 1:
            return None
        e = int(exp[0])
        if not 0 <= e <= 12:
            return None
        ends = (base[0] ** e, base[1] ** e)
        lo, hi = min(ends), max(ends)
        if e % 2 == 0 and base[0] < 0 < base[1]:
            lo = Fraction(0)
        return lo, hi
    return None


def stated_interval(value: Fraction, tok: Token | None, is_literal: bool) -> Interval:
    """What a stated result allows: an integer exactly, a decimal anything that rounds to it."""
    if is_literal and tok is not None and tok.decimals > 0:
        h = half_unit(tok)
        scale = Fraction(1) if value == tok.value or value == -tok.value else abs(value / tok.value)
        return value - h * scale, value + h * scale
    return value, value


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]
