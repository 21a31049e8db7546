"""pass@k: hand-computed values, the papers' closed form to 1e-12, exactness at n = 1024, and crossings."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

from inspector.report.passk import (
    crossing_k,
    default_ks,
    mean_pass_at_k,
    pass_at_k,
    pass_at_k_exact,
    pass_at_k_product,
    pass_curve,
)

# --- hand-computed: 1 − C(n−c, k) / C(n, k) -----------------------------------------------------------
HAND = [
    # (n, c, k, exact value, how)
    (1, 0, 1, Fraction(0), "one sample, wrong"),
    (1, 1, 1, Fraction(1), "one sample, right"),
    (2, 1, 1, Fraction(1, 2), "half right, one draw"),
    (2, 1, 2, Fraction(1), "k = n: solved when any sample is"),
    (4, 1, 2, Fraction(1, 2), "1 − C(3,2)/C(4,2) = 1 − 3/6"),
    (5, 2, 2, Fraction(7, 10), "1 − C(3,2)/C(5,2) = 1 − 3/10"),
    (10, 3, 5, Fraction(11, 12), "1 − C(7,5)/C(10,5) = 1 − 21/252"),
    (8, 0, 8, Fraction(0), "c = 0 at k = n"),
    (8, 8, 1, Fraction(1), "c = n"),
    (8, 1, 8, Fraction(1), "one right sample is always drawn at k = n"),
    (8, 7, 2, Fraction(1), "n − c < k: every draw of two holds a right one"),
    (1024, 1, 1, Fraction(1, 1024), "pass@1 is c / n"),
    (1024, 1, 512, Fraction(1, 2), "half the samples hold the right one half the time"),
    (1024, 512, 1, Fraction(1, 2), "c / n again"),
    (1024, 1, 1024, Fraction(1), "k = n = 1024"),
    (1024, 0, 1024, Fraction(0), "c = 0, k = n = 1024"),
    (1024, 1024, 1024, Fraction(1), "c = n = k = 1024"),
]


@pytest.mark.parametrize(("n", "c", "k", "value", "how"), HAND, ids=[h[-1] for h in HAND])
def test_hand_computed_values(n: int, c: int, k: int, value: Fraction, how: str) -> None:
    assert pass_at_k_exact(n, c, k) == value
    assert pass_at_k(n, c, k) == float(value)  # correctly rounded: exactly the nearest float


def _paper_numpy(n: int, c: int, k: int) -> float:
    """The evaluation code of Chen et al. (2021), as the pass@k papers run it."""
    np = pytest.importorskip("numpy")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


SWEEP = [
    (n, c, k)
    for n in (1, 2, 3, 7, 8, 64, 100, 256, 1000, 1024)
    for c in sorted({0, 1, 2, n // 3, n // 2, n - 1, n} & set(range(n + 1)))
    for k in sorted({1, 2, 3, 4, 8, 16, 100, 256, 512, n - 1, n} & set(range(1, n + 1)))
]


def test_closed_form_agrees_to_1e_12_including_the_edges() -> None:
    assert len(SWEEP) > 300
    worst = max(abs(pass_at_k(n, c, k) - pass_at_k_product(n, c, k)) for n, c, k in SWEEP)
    assert worst <= 1e-12
    for n, c, k in SWEEP:
        assert 0.0 <= pass_at_k(n, c, k) <= 1.0


def test_the_papers_numpy_code_agrees_to_1e_12() -> None:
    for n, c, k in SWEEP:
        assert pass_at_k(n, c, k) == pytest.approx(_paper_numpy(n, c, k), abs=1e-12, rel=0), (n, c, k)


def test_correctly_rounded_where_floats_would_cancel() -> None:
    # pass@k near 0 (one right sample in 1024, k = 1) and near 1: the exact value, rounded once
    for n, c, k in [(1024, 1, 1), (1024, 1, 2), (1024, 1023, 1), (1024, 3, 1000), (1000, 999, 1)]:
        assert pass_at_k(n, c, k) == float(pass_at_k_exact(n, c, k))
    assert pass_at_k(1024, 1, 2) == 2 / 1024  # 1 − C(1023,2)/C(1024,2) = 2/1024 exactly


@pytest.mark.parametrize(("n", "c", "k"), [(0, 0, 1), (4, 5, 1), (4, -1, 1), (4, 1, 0), (4, 1, 5)])
def test_impossible_arguments_are_refused(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


# --- curves over problems ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "ks"),
    [(1, (1,)), (2, (1, 2)), (8, (1, 2, 4, 8)), (10, (1, 2, 4, 8, 10)), (1024, tuple(2**i for i in range(11)))],
)
def test_default_ks_are_powers_of_two_up_to_n(n: int, ks: tuple[int, ...]) -> None:
    assert default_ks(n) == ks


def test_mean_over_problems() -> None:
    problems = [(8, 0), (8, 8), (8, 4)]
    assert mean_pass_at_k(problems, 1) == pytest.approx((0 + 1 + 0.5) / 3)
    assert pass_curve(problems, (1, 8)) == (pytest.approx(0.5), pytest.approx(2 / 3))
    with pytest.raises(ValueError):
        mean_pass_at_k([], 1)


def test_the_whole_curve_at_n_1024_is_fast_and_monotone() -> None:
    problems = [(1024, c) for c in range(0, 1025, 8)]
    curve = pass_curve(problems, default_ks(1024))
    assert all(a <= b for a, b in itertools.pairwise(curve))
    assert curve[-1] == pytest.approx(sum(c > 0 for _, c in problems) / len(problems))


# --- where curves cross ---------------------------------------------------------------------------------
# An RL-trained model that solves 7 of 10 problems almost always and never the other 3, against a base
# model that solves every problem a quarter of the time: the RL model leads at k = 1, the base model
# overtakes it as k grows. The crossing is checked against a brute-force scan of exact values.
RL = [(16, 15)] * 7 + [(16, 0)] * 3
BASE = [(16, 4)] * 10


def _brute_crossing(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int | None:
    n = min(x for x, _ in a + b)
    signs = []
    for k in range(1, n + 1):
        d = sum(pass_at_k_exact(x, c, k) for x, c in a) / len(a) - sum(pass_at_k_exact(x, c, k) for x, c in b) / len(b)
        signs.append((k, (d > 0) - (d < 0)))
    first = next((s for _, s in signs if s), 0)
    return next((k for k, s in signs if s and s != first), None)


def test_base_overtakes_rl_as_k_grows() -> None:
    k = crossing_k(RL, BASE)
    assert k == _brute_crossing(RL, BASE)
    assert k is not None and 1 < k < 16
    assert mean_pass_at_k(RL, 1) > mean_pass_at_k(BASE, 1)
    assert mean_pass_at_k(RL, k) < mean_pass_at_k(BASE, k)
    assert mean_pass_at_k(RL, k - 1) >= mean_pass_at_k(BASE, k - 1)
    assert crossing_k(BASE, RL) == k


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([(8, 8)] * 3, [(8, 1)] * 3),  # one model better everywhere
        ([(8, 4)] * 3, [(8, 4)] * 3),  # the same curve
        ([], [(8, 4)]),
    ],
)
def test_no_crossing(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> None:
    assert crossing_k(a, b) is None


def test_crossing_at_large_n_matches_brute_force() -> None:
    a = [(256, 200)] * 5 + [(256, 0)] * 2
    b = [(256, 3)] * 7
    assert crossing_k(a, b) == _brute_crossing(a, b)
    assert math.isclose(pass_at_k(256, 3, 256), 1.0)
