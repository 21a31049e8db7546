"""pass@k, the unbiased estimator of Chen et al. (2021), exact for every n the field samples (1024 and beyond).

For one problem with ``n`` samples of which ``c`` are correct, pass@k = 1 − C(n−c, k) / C(n, k): the chance
that k samples drawn without replacement include a correct one. The value is computed from the exact
integer binomials and rounded once (Python's ``int / int`` is correctly rounded however large the
integers). Rejected: the product form the papers' evaluation code uses,
``1 − prod(1 − k / arange(n − c + 1, n + 1))``, which rounds c times, and ``lgamma`` differences, which
cancel catastrophically when pass@k is near 0 or 1. The product form is kept here as ``pass_at_k_product``
so tests can hold the two together; the fast all-k scan used to find where two curves cross uses the
same recurrence in floats, then confirms each sign with exact values.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from fractions import Fraction

__all__ = [
    "crossing_k",
    "default_ks",
    "mean_pass_at_k",
    "pass_at_k",
    "pass_at_k_exact",
    "pass_at_k_product",
    "pass_curve",
]


def _check(n: int, c: int, k: int) -> None:
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= c <= n:
        raise ValueError(f"c must be between 0 and n = {n}, got {c}")
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and n = {n}, got {k}")


def pass_at_k_exact(n: int, c: int, k: int) -> Fraction:
    """pass@k of one problem as an exact fraction."""
    _check(n, c, k)
    if n - c < k:
        return Fraction(1)
    total = math.comb(n, k)
    return Fraction(total - math.comb(n - c, k), total)


def pass_at_k(n: int, c: int, k: int) -> float:
    """pass@k of one problem (``n`` samples, ``c`` correct), correctly rounded to a float."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    total = math.comb(n, k)
    return (total - math.comb(n - c, k)) / total


def pass_at_k_product(n: int, c: int, k: int) -> float:
    """The papers' closed form, ``1 − prod(1 − k / arange(n − c + 1, n + 1))``, in plain floats."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def default_ks(n: int) -> tuple[int, ...]:
    """1, 2, 4, … up to ``n``, and ``n`` itself: the grid the papers plot."""
    if n < 1:
        return ()
    ks = []
    k = 1
    while k < n:
        ks.append(k)
        k *= 2
    ks.append(n)
    return tuple(ks)


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """pass@k averaged over problems, each ``(n, c)``; exact until the one final rounding."""
    tally = Counter(counts)
    problems = sum(tally.values())
    if not problems:
        raise ValueError("no problems")
    total = sum((pass_at_k_exact(n, c, k) * w for (n, c), w in tally.items()), Fraction(0))
    return float(total / problems)


def pass_curve(counts: Sequence[tuple[int, int]], ks: Sequence[int]) -> tuple[float, ...]:
    """``mean_pass_at_k`` at each k; problems sharing an ``(n, c)`` are computed once."""
    tally = Counter(counts)
    problems = sum(tally.values())
    if not problems:
        raise ValueError("no problems")
    out = []
    for k in ks:
        total = sum((pass_at_k_exact(n, c, k) * w for (n, c), w in tally.items()), Fraction(0))
        out.append(float(total / problems))
    return tuple(out)


def _all_k_floats(counts: Sequence[tuple[int, int]], k_max: int) -> list[float]:
    """Mean pass@k for every k in 1..k_max, in floats: C(n−c,k)/C(n,k) by its recurrence.

    r(k) = r(k−1) · (n−c−k+1)/(n−k+1) costs one multiplication a step, so a whole curve up to
    n = 1024 for a thousand distinct ``(n, c)`` is a million flops instead of a million big binomials.
    Relative error grows like k·ε (about 1e-13 at k = 1024): enough to place a crossing, whose sign is
    then confirmed exactly by the caller.
    """
    tally = Counter(counts)
    problems = sum(tally.values())
    sums = [0.0] * (k_max + 1)
    for (n, c), w in tally.items():
        ratio = 1.0
        for k in range(1, k_max + 1):
            if ratio:
                ratio *= max(n - c - k + 1, 0) / (n - k + 1)
            sums[k] += w * (1.0 - ratio)
    return [s / problems for s in sums]


def _mean_exact(tally: Counter[tuple[int, int]], problems: int, k: int) -> Fraction:
    """Mean pass@k over ``problems`` problems tallied by ``(n, c)``, exactly: one fraction per distinct n
    (C(n, k) − C(n − c, k) summed over its problems, over C(n, k)), not one per problem."""
    by_n: dict[int, int] = {}
    for (n, c), w in tally.items():
        by_n[n] = by_n.get(n, 0) + w * (math.comb(n, k) - math.comb(n - c, k))
    return sum((Fraction(num, math.comb(n, k)) for n, num in by_n.items()), Fraction(0)) / problems


def _sign(x: float | Fraction) -> int:
    return (x > 0) - (x < 0)


def crossing_k(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> int | None:
    """The smallest k at which the pass@k order of two curves (over the same problems) flips.

    ``a`` and ``b`` are ``(n, c)`` per problem. The order is the sign of A(k) − B(k) at the first k
    where they differ; the answer is the first later k where the sign is the opposite one, or ``None``
    when the curves never cross up to the largest k both define (the smallest n).
    """
    if not a or not b:
        return None
    k_max = min(min(n for n, _ in a), min(n for n, _ in b))
    fa, fb = _all_k_floats(a, k_max), _all_k_floats(b, k_max)

    ta, tb = Counter(a), Counter(b)

    def exact_sign(k: int) -> int:
        return _sign(_mean_exact(ta, len(a), k) - _mean_exact(tb, len(b), k))

    first = 0
    for k in range(1, k_max + 1):
        approx = fa[k] - fb[k]
        if abs(approx) < 1e-9:  # too close for floats to call: ask the exact values
            s = exact_sign(k)
        else:
            s = _sign(approx)
        if s == 0:
            continue
        if first == 0:
            first = s
        elif s != first and exact_sign(k) == s:
            return k
    return None
