"""A ``Fraction``'s two ints, and a whole-number ``Fraction``, without a Python call.

``Fraction``'s ``numerator`` and ``denominator`` are Python properties, and its constructor and ``__bool__`` are
Python functions: from the compiled engine each is a call into the interpreter (some 600 to 3,000 instructions),
and the exact arithmetic makes hundreds a chain. CPython's ``fractions`` keeps the two ints in the slots
``_numerator`` and ``_denominator`` (3.0 through 3.14); where they are there, these read and fill them directly,
and where they are not (another Python), they use the public API. Either way the values are the ones ``Fraction``
itself gives: ``tests/test_properties.py`` holds them equal.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any, Final

SLOTS: Final = getattr(Fraction, "__slots__", None) == ("_numerator", "_denominator")
"""Whether this Python's ``Fraction`` keeps its ints in the slots read below."""
_NEW_OBJECT: Final = object.__new__


def numerator(f: Fraction) -> int:
    """``f.numerator``."""
    return f._numerator if SLOTS else f.numerator  # type: ignore[attr-defined]


def denominator(f: Fraction) -> int:
    """``f.denominator``."""
    return f._denominator if SLOTS else f.denominator  # type: ignore[attr-defined]


def _coprime(n: int, d: int) -> Fraction:
    """``n/d`` already in lowest terms with ``d`` positive (no gcd to divide out)."""
    if not SLOTS:
        return Fraction(n, d)
    f: Any = _NEW_OBJECT(Fraction)
    f._numerator = n
    f._denominator = d
    return f  # type: ignore[no-any-return]


def whole(n: int) -> Fraction:
    """``Fraction(n)`` for an int ``n``: the object ``Fraction.__new__`` makes for one (``n`` over 1)."""
    return _coprime(n, 1)


def ratio(n: int, d: int) -> Fraction:
    """``Fraction(n, d)`` for ints, ``d`` not zero: in lowest terms with a positive denominator, as its constructor
    makes it (the gcd divided out, the sign carried by the numerator)."""
    if not SLOTS:
        return Fraction(n, d)
    if d < 0:
        n, d = -n, -d
    g = gcd(n, d)
    if g != 1:
        n //= g
        d //= g
    return _coprime(n, d)


def add(a: Fraction, b: Fraction) -> Fraction:
    """``a + b``: whole numbers in int arithmetic, others over the product of the denominators, reduced."""
    na, da, nb, db = numerator(a), denominator(a), numerator(b), denominator(b)
    if da == 1 and db == 1:
        return whole(na + nb)
    return ratio(na * db + nb * da, da * db)


def sub(a: Fraction, b: Fraction) -> Fraction:
    """``a − b``, as ``add``."""
    na, da, nb, db = numerator(a), denominator(a), numerator(b), denominator(b)
    if da == 1 and db == 1:
        return whole(na - nb)
    return ratio(na * db - nb * da, da * db)


def mul(a: Fraction, b: Fraction) -> Fraction:
    """``a · b``, as ``add``."""
    na, da, nb, db = numerator(a), denominator(a), numerator(b), denominator(b)
    if da == 1 and db == 1:
        return whole(na * nb)
    return ratio(na * nb, da * db)


def div(a: Fraction, b: Fraction) -> Fraction:
    """``a / b``, ``b`` not zero (``ZeroDivisionError`` as ``Fraction`` raises it)."""
    nb = numerator(b)
    if nb == 0:
        raise ZeroDivisionError(f"Fraction({numerator(a)}, 0)")
    return ratio(numerator(a) * denominator(b), denominator(a) * nb)


def neg(a: Fraction) -> Fraction:
    """``−a``."""
    return _coprime(-numerator(a), denominator(a))


def power(a: Fraction, e: int) -> Fraction:
    """``a ** e`` for an int ``e`` (``ZeroDivisionError`` for 0 to a negative power, as ``Fraction`` raises it)."""
    n, d = numerator(a), denominator(a)
    if e >= 0:
        return _coprime(n**e, d**e)
    if n == 0:
        raise ZeroDivisionError(f"Fraction({d ** -e}, 0)")
    if n > 0:
        return _coprime(d**-e, n**-e)
    return _coprime((-d) ** -e, (-n) ** -e)


def same(a: Fraction | None, b: Fraction | None) -> bool:
    """``a == b`` for two values that may be missing: equal fractions, or both None."""
    if a is None or b is None:
        return a is b
    return numerator(a) == numerator(b) and denominator(a) == denominator(b)


def to_float(a: Fraction) -> float:
    """``float(a)``: the numerator divided by the denominator, correctly rounded (what ``Fraction`` computes, without
    its Python ``__float__``); ``OverflowError`` where the quotient is too large, as there."""
    return numerator(a) / denominator(a)


def equal(a: Fraction, b: Fraction) -> bool:
    """``a == b``: two fractions in lowest terms are equal when their ints are."""
    return numerator(a) == numerator(b) and denominator(a) == denominator(b)


def within(a: Fraction, b: Fraction, tolerance: Fraction) -> bool:
    """``|a − b| <= |a| · tolerance`` (``tolerance`` not negative), asked in ints: both sides times the three
    denominators."""
    an, ad, bn, bd = numerator(a), denominator(a), numerator(b), denominator(b)
    return abs(an * bd - bn * ad) * denominator(tolerance) <= abs(an) * bd * numerator(tolerance)
