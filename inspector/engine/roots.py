"""The real solutions of an equation in one of its letters, numerically, where it is linear or quadratic in it.

Two checks ask this of equations the text states: whether a link that fails as an identity holds where the letters
satisfy an equation above it (``letters.holds_given_earlier``), and whether a rewrite keeps an equation's solutions
(``rational_rewrites``). Both compare at test values in floating point, as a screen: the answer they need is
"equal to nine digits at two sets of values", not an exact root.
"""

from __future__ import annotations

import math

from .float_eval import float_at
from .parse import Node


def real_roots(left: Node, right: Node, letter: str, values: dict[str, float],
               powers: tuple[int, ...] = (0,)) -> list[float] | None:
    """The solutions for ``letter`` of ``left = right`` with the other letters at ``values`` (which this sets
    ``letter`` in), where ``letter^p · (left − right)`` is linear or quadratic in it for one of ``powers`` (a
    power clears a ``1/L``, as a writer multiplying through would); None where it is of higher degree, or of
    none in this letter, or too large for floating point to tell a root."""
    for power in powers:
        roots = _roots_times(left, right, letter, values, power)
        if roots is not None:
            return roots
    return None


def _times_power(left: Node, right: Node, letter: str, values: dict[str, float], power: int, t: float) -> float | None:
    """``(left − right) · t^power`` with the letter at ``t``, or None where a side has no value there."""
    values[letter] = t
    a, b = float_at(left, values), float_at(right, values)
    return None if a is None or b is None else (a - b) * t**power


def _roots_times(left: Node, right: Node, letter: str, values: dict[str, float], power: int) -> list[float] | None:
    # (the samples by a function of its own, not a nested one: ``native_attrs``)
    samples = [_times_power(left, right, letter, values, power, t) for t in (0.5, 1.5, 2.5, 3.5)]  # (not 0: 1/L is undefined there)
    known = [v for v in samples if v is not None]
    if len(known) < 4:
        return None
    g0, g1, g2, g3 = known
    scale = max(abs(g0), abs(g1), abs(g2), abs(g3), 1.0)
    if scale > 1e9:
        return None  # r^{100}, a twelve-digit constant: floating point can no longer tell a root
    # a quadratic through the first three samples must also give the fourth (in s = t − 0.5: c2·s² + c1·s + c0)
    c2 = (g2 - 2 * g1 + g0) / 2
    c1 = g1 - g0 - c2
    c0 = g0
    if abs(c2 * 9 + c1 * 3 + c0 - g3) > 1e-9 * scale:
        return None
    if abs(c2) <= 1e-12 * scale:
        if abs(c1) <= 1e-12 * scale:
            return None  # constant in this letter: solve for another one
        roots = [0.5 - c0 / c1]
    else:
        disc = c1 * c1 - 4 * c2 * c0
        if disc < 0:
            return []
        roots = [0.5 + (-c1 + s * math.sqrt(disc)) / (2 * c2) for s in (1, -1)]
    # the solution 0 that multiplying through by the letter added is none of the equation's
    return [r for r in roots if power == 0 or abs(r) > 1e-9]
