"""Values that leave the rationals (roots, π, fractional powers): approximated in Decimal, or rebuilt in sympy.

Kept apart from ``exact``, whose answers are proofs: what is here is numeric (agreement to so many digits),
or, for ``to_sympy``, a tree rebuilt object by object, never from a string.
"""

from __future__ import annotations

import decimal
from collections.abc import Hashable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any, Final

from .exact import evaluate
from .limits import MAX_FACTORIAL, NotRational, Unverifiable
from .parse import Node, count_nodes, shape
from .rational import denominator, numerator, ratio


def to_sympy(node: Node, overrides: dict[int, Fraction] | None = None) -> Any:
    """Rebuild a tree as a sympy expression object by object (never from a string)."""
    import sympy

    if count_nodes(node) > 200:
        raise Unverifiable("expression too large for symbolic checking")
    return _sympy_of(node, overrides, sympy)


def _sympy_of(n: Node, overrides: dict[int, Fraction] | None, sympy: Any) -> Any:
    tag: str = n[0]
    if tag == "num":
        v: Fraction = n[1]
        if overrides and n[2].start in overrides:
            v = overrides[n[2].start]
        return sympy.Rational(v.numerator, v.denominator)
    if tag == "sym":
        return sympy.pi if n[1] == "pi" else sympy.Symbol(n[1])
    if tag == "add":
        return sympy.Add(*[_sympy_of(s, overrides, sympy) if sign > 0 else -_sympy_of(s, overrides, sympy)
                           for sign, s in n[1]])
    if tag == "mul":
        return sympy.Mul(_sympy_of(n[1], overrides, sympy), _sympy_of(n[2], overrides, sympy))
    if tag == "div":
        return sympy.Mul(_sympy_of(n[1], overrides, sympy), sympy.Pow(_sympy_of(n[2], overrides, sympy), -1))
    if tag == "paren":
        return _sympy_of(n[1], overrides, sympy)
    if tag == "abs":
        return sympy.Abs(_sympy_of(n[1], overrides, sympy))
    if tag == "floor":
        return sympy.floor(_sympy_of(n[1], overrides, sympy))
    if tag == "ceil":
        return sympy.ceiling(_sympy_of(n[1], overrides, sympy))
    if tag == "mod":
        return sympy.Mod(_sympy_of(n[1], overrides, sympy), _sympy_of(n[2], overrides, sympy))
    if tag == "neg":
        return -_sympy_of(n[1], overrides, sympy)
    if tag == "pct":
        return _sympy_of(n[1], overrides, sympy) / 100
    if tag == "pow":
        exp = _sympy_of(n[2], overrides, sympy)
        if exp.is_number and abs(exp) > 1000:
            raise Unverifiable("exponent too large")
        return sympy.Pow(_sympy_of(n[1], overrides, sympy), exp)
    if tag == "fact":
        inner = _sympy_of(n[1], overrides, sympy)
        if not inner.is_Integer or inner > MAX_FACTORIAL or inner < 0:
            raise Unverifiable("factorial out of range")
        return sympy.factorial2(inner) if len(n) > 2 else sympy.factorial(inner)
    if tag == "sqrt":
        idx = 2 if n[2] is None else _sympy_of(n[2], overrides, sympy)
        return sympy.root(_sympy_of(n[1], overrides, sympy), idx)
    raise Unverifiable(f"unknown node {tag}")


# ---------------------------------------------------------------------------------------------
# Numeric approximation: what irrational sides (roots, pi, fractional powers) are compared by

_TWO: Final = Fraction(2)
_PI: Final = "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798"


_BY_SHAPE: Final[dict[tuple[Hashable, int], Fraction | None]] = {}
"""Approximations by ``parse.shape`` and digits, for the trees of the chain being verified."""
_BY_SHAPE_SIZE: Final = 1024


def forget_approximations() -> None:
    """Begin a chain: the approximations remembered by shape are each chain's own."""
    _BY_SHAPE.clear()


def approximate(node: Node, digits: int = 40) -> Fraction | None:
    """A rational within ``10^-digits`` (relative) of a tree's value, or None (letters, a negative root …).

    Decimal arithmetic at ``digits + 20`` working digits: ten times faster than sympy's ``evalf`` on the
    short sides chains write, and as bounded: ``(√2+√3+√5)^400`` is one Decimal power. Remembered by the tree's
    shape within a chain: a root or a fractional power costs Decimal logarithms, and chains write the same
    side many times (``2^{3/2} · 7^{1/2} = 2^{3/2} · 7^{1/2} = …``).
    """
    key = (shape(node), digits)
    if key in _BY_SHAPE:
        return _BY_SHAPE[key]
    if len(_BY_SHAPE) >= _BY_SHAPE_SIZE:
        _BY_SHAPE.clear()
    value = _approximate(node, digits)
    _BY_SHAPE[key] = value
    return value


_CONTEXTS: Final[dict[int, decimal.Context]] = {}
"""One Decimal context per working precision, made once: only its methods are used, and what they raise comes from
its traps, not from the flags they leave set."""


def _context(prec: int) -> decimal.Context:
    ctx = _CONTEXTS.get(prec)
    if ctx is None:
        ctx = _CONTEXTS[prec] = decimal.Context(
            prec=prec, Emax=100_000, Emin=-100_000,
            traps=[decimal.Overflow, decimal.InvalidOperation, decimal.DivisionByZero],
        )
    return ctx


_LOGS: Final[dict[tuple[Decimal, int], Decimal]] = {}
_LOGS_SIZE: Final = 512


def _ln(ctx: decimal.Context, x: Decimal) -> Decimal:
    """``ctx.ln(x)``, remembered by value and precision: a fractional power or a root other than the square costs
    a Decimal logarithm (half of its time), and chains raise the same few bases (2, 3, 5) to many exponents
    (``2^{1/2} · 2^{7/12}``). Bounded; the same Decimal as computing it again, since ``ln`` is correctly rounded."""
    key = (x, ctx.prec)
    known = _LOGS.get(key)
    if known is None:
        if len(_LOGS) >= _LOGS_SIZE:
            _LOGS.clear()
        known = _LOGS[key] = ctx.ln(x)
    return known


def _approximate(node: Node, digits: int) -> Fraction | None:
    ctx = _context(digits + 20)
    try:
        v = _approx(node, ctx)
    except (decimal.DecimalException, ValueError, OverflowError, ZeroDivisionError, RecursionError, Unverifiable,
            NotRational):
        return None
    if v is None or not v.is_finite():
        return None
    n, d = v.as_integer_ratio()
    return ratio(n, d)


def _approx(node: Node, ctx: Any) -> Any:
    tag: str = node[0]
    if tag == "num":
        v: Fraction = node[1]
        return ctx.divide(Decimal(numerator(v)), Decimal(denominator(v)))
    if tag == "sym":
        return ctx.create_decimal(_PI) if node[1] == "pi" else None
    if tag == "add":
        acc = Decimal(0)
        for sign, sub in node[1]:
            part = _approx(sub, ctx)
            if part is None:
                return None
            acc = ctx.add(acc, part) if sign > 0 else ctx.subtract(acc, part)
        return acc
    if tag in ("paren", "neg", "pct", "abs", "floor", "ceil"):
        inner = _approx(node[1], ctx)
        if inner is None:
            return None
        if tag == "neg":
            return ctx.minus(inner)
        if tag == "pct":
            return ctx.divide(inner, Decimal(100))
        if tag == "abs":
            return ctx.abs(inner)
        if tag == "floor":
            return inner.to_integral_value(rounding=ROUND_FLOOR)
        if tag == "ceil":
            return inner.to_integral_value(rounding=ROUND_CEILING)
        return inner
    if tag in ("mul", "div", "mod"):
        a, b = _approx(node[1], ctx), _approx(node[2], ctx)
        if a is None or b is None:
            return None
        if tag == "mul":
            return ctx.multiply(a, b)
        if tag == "div":
            return ctx.divide(a, b)
        return ctx.remainder(a, b)
    if tag == "pow":
        base = _approx(node[1], ctx)
        try:
            exact = evaluate(node[2])
        except (NotRational, Unverifiable):
            exact = None
        if base is None:
            return None
        if type(exact) is Fraction:
            if denominator(exact) == 1:
                if abs(numerator(exact)) > 100_000:
                    raise ValueError("exponent too large")
                if numerator(exact) == 0:
                    return Decimal(1)  # 0^0 = 1, as in evaluate
                return ctx.power(base, numerator(exact))
            if base < 0:
                if denominator(exact) % 2 == 0:
                    return None
                return ctx.minus(ctx.exp(ctx.multiply(_ln(ctx, ctx.minus(base)), _approx(("num", exact, None), ctx))))
        exp = _approx(node[2], ctx)
        if exp is None or base <= 0:
            return None
        return ctx.exp(ctx.multiply(_ln(ctx, base), exp))
    if tag == "sqrt":
        inner = _approx(node[1], ctx)
        if inner is None:
            return None
        index = _TWO if node[2] is None else evaluate(node[2])
        if type(index) is not Fraction or denominator(index) != 1 or not 1 <= numerator(index) <= 64:
            return None
        n = numerator(index)
        if n == 2:
            return ctx.sqrt(inner) if inner >= 0 else None
        if inner == 0:
            return inner
        if inner < 0:
            return ctx.minus(ctx.exp(ctx.divide(_ln(ctx, ctx.minus(inner)), Decimal(n)))) if n % 2 else None
        return ctx.exp(ctx.divide(_ln(ctx, inner), Decimal(n)))
    if tag == "fact":
        whole = evaluate(node)
        return ctx.create_decimal(whole.numerator) if type(whole) is Fraction else None
    return None
