"""A tree's value in floating point with its letters set to test values: the screen for identities.

``letters`` compares two sides at two sets of values of their letters (an identity, letters that cancel),
``roots`` solves an equation for one letter: both need agreement to nine digits, not exact values, and Decimal
logarithms cost a hundred times more.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .parse import Node
from .rational import to_float


def float_at(node: Node, values: dict[str, float]) -> float | None:
    """A tree's value in floating point with its letters set to ``values``; None where it leaves the reals."""
    try:
        v = _float(node, values)
    except (ValueError, OverflowError, ZeroDivisionError, RecursionError, TypeError):
        return None
    return v if v is not None and math.isfinite(v) else None


def _float(n: Node, values: dict[str, float]) -> float | None:
    tag: str = n[0]
    if tag == "num":
        v = n[1]
        return to_float(v) if type(v) is Fraction else float(v)
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
        if inner != int(inner) or not 0 <= inner <= 170:
            return None
        return float(math.prod(range(int(inner), 1, -2))) if len(n) > 2 else float(math.factorial(int(inner)))
    return None
