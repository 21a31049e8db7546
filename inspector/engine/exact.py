"""The exact value of a parse tree: a ``Fraction``, or a polynomial over the rationals where letters remain.

Never floats, and every costly operation bounded (result bits, exponents, factorials, term counts). A tree
whose value leaves the rationals (a root, π, division by a polynomial) raises ``NotRational``, for
``irrational`` to decide numerically.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from fractions import Fraction
from typing import Final, Union

from .limits import MAX_FACTORIAL, MAX_POLY_TERMS, MAX_RESULT_BITS, NotRational, Unverifiable
from .native_attrs import mypyc_attr
from .parse import Node, shape
from .rational import add, denominator, div, mul, neg, numerator, power, sub, whole

_ZERO: Final = Fraction(0)
_ONE: Final = Fraction(1)
_MINUS_ONE: Final = Fraction(-1)
_TWO: Final = Fraction(2)
_HUNDRED: Final = Fraction(100)
"""Constants the evaluation uses on every tree, made once (a ``Fraction`` is immutable, and costs a microsecond
to build)."""

Monomial = tuple[tuple[str, int], ...]
Poly = dict[Monomial, Fraction]
Value = Union[Fraction, "PolyValue"]


@mypyc_attr(acyclic=True)
class PolyValue:
    """A polynomial with rational coefficients over single-letter symbols."""

    __slots__ = ("terms",)

    def __init__(self, terms: Poly) -> None:
        # the numerator read from its slot: ``if c`` would call Fraction's Python ``__bool__``
        self.terms = {m: c for m, c in terms.items() if numerator(c) != 0}
        if len(self.terms) > MAX_POLY_TERMS:
            raise Unverifiable("expression too large")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PolyValue) and self.terms == other.terms

    def __repr__(self) -> str:
        return f"PolyValue({self.terms!r})"

    def constant(self) -> Fraction:
        return self.terms.get((), _ZERO)

    def without_constant(self) -> Poly:
        return {m: c for m, c in self.terms.items() if m != ()}

    @property
    def is_constant(self) -> bool:
        return all(m == () for m in self.terms)


def as_poly(v: Value) -> PolyValue:
    return v if isinstance(v, PolyValue) else PolyValue({(): v})


def _terms_of(v: Value) -> Poly:
    """``as_poly(v).terms``, without building a polynomial for a number (``{(): v}``, or nothing for 0)."""
    if isinstance(v, PolyValue):
        return v.terms
    return {(): v} if numerator(v) != 0 else {}


def _fadd(a: Fraction, b: Fraction, sign: int = 1) -> Fraction:
    """``a + b`` (``a − b`` with ``sign`` −1), in ints (``rational``): ``Fraction``'s operators are Python, and from
    compiled code each cost some 11,000 instructions."""
    return add(a, b) if sign > 0 else sub(a, b)


def _fmul(a: Fraction, b: Fraction, sign: int = 1) -> Fraction:
    """``a · b`` (``−(a · b)`` with ``sign`` −1), as ``_fadd``."""
    product = mul(a, b)
    return product if sign > 0 else neg(product)


def subtract(a: Value, b: Value) -> PolyValue:
    """``a − b`` as a polynomial (an equation's ``left − right``; two answers' difference)."""
    terms = dict(_terms_of(a))
    for m, c in _terms_of(b).items():
        terms[m] = _fadd(terms.get(m, _ZERO), c, -1)
    return PolyValue(terms)


def simplify(v: Value) -> Value:
    if isinstance(v, PolyValue) and v.is_constant:
        return v.constant()
    return v


def _padd(a: Value, b: Value, sign: int) -> Value:
    if type(a) is Fraction and type(b) is Fraction:
        return _fadd(a, b, sign)
    terms = dict(_terms_of(a))
    for m, c in _terms_of(b).items():
        terms[m] = _fadd(terms.get(m, _ZERO), c, sign)
    return simplify(PolyValue(terms))


def _mono_mul(a: Monomial, b: Monomial) -> tuple[Monomial, int]:
    """The product of two monomials, and the sign it picks up from ``i^2 = -1``.

    ``i`` is taken as the imaginary unit: an identity true for a free symbol stays true, and
    expansions like ``(z + i)^4 = z^4 + 4iz^3 - 6z^2 - ...`` become checkable.
    """
    if not a:
        return b, 1
    if not b:
        return a, 1
    if len(a) == 1 and len(b) == 1:  # x · x², x · y: nearly every product of a chain's polynomials
        (sa, ea), (sb, eb) = a[0], b[0]
        if sa != sb:
            return (a + b if (sa, ea) < (sb, eb) else b + a), 1
        if sa != "i":
            e = ea + eb
            return (((sa, e),) if e != 0 else ()), 1
    d = dict(a)
    for s, e in b:
        d[s] = d.get(s, 0) + e
    sign = 1
    if d.get("i", 0) >= 2:
        e = d["i"]
        sign = -1 if (e // 2) % 2 else 1
        d["i"] = e % 2
    return tuple(sorted((s, e) for s, e in d.items() if e != 0)), sign


def _pmul(a: Value, b: Value) -> Value:
    if type(a) is Fraction and type(b) is Fraction:
        na, da, nb, db = numerator(a), denominator(a), numerator(b), denominator(b)
        _check_size(na.bit_length() + nb.bit_length() + da.bit_length() + db.bit_length())
        return mul(a, b)
    ta, tb = _terms_of(a), _terms_of(b)
    if len(ta) * len(tb) > MAX_POLY_TERMS * 4:
        raise Unverifiable("expression too large")
    if _whole(ta) and _whole(tb):
        return _pmul_whole(ta, tb)
    terms: Poly = {}
    for ma, ca in ta.items():
        for mb, cb in tb.items():
            m, sign = _mono_mul(ma, mb)
            terms[m] = _fadd(terms.get(m, _ZERO), _fmul(ca, cb, sign))
    return simplify(PolyValue(terms))


def _whole(terms: Poly) -> bool:
    for c in terms.values():
        if denominator(c) != 1:
            return False
    return True


def _pmul_whole(ta: Poly, tb: Poly) -> Value:
    """``_pmul`` of two polynomials with whole coefficients (most of them): the products summed as ints, one
    ``Fraction`` per term of the result rather than two per pair of terms. The same terms in the same order."""
    ia = [(m, numerator(c)) for m, c in ta.items()]
    ib = [(m, numerator(c)) for m, c in tb.items()]
    acc: dict[Monomial, int] = {}
    for ma, ca in ia:
        for mb, cb in ib:
            m, sign = _mono_mul(ma, mb)
            acc[m] = acc.get(m, 0) + (ca * cb if sign > 0 else -(ca * cb))
    return simplify(PolyValue({m: whole(c) for m, c in acc.items() if c != 0}))


def _check_size(bits: int) -> None:
    if bits > MAX_RESULT_BITS:
        raise Unverifiable("number too large")


def _pdiv(a: Value, b: Value) -> Value:
    if isinstance(b, PolyValue):
        raise NotRational("division by an expression with letters")
    if numerator(b) == 0:
        raise Unverifiable("division by zero")
    if isinstance(a, PolyValue):
        return PolyValue({m: div(c, b) for m, c in a.terms.items()})
    return div(a, b)


def _root(x: Fraction, n: int) -> Fraction:
    """The exact n-th root of a rational, or ``NotRational``."""
    if numerator(x) < 0:
        if n % 2 == 0:
            raise Unverifiable("even root of a negative number")
        return -_root(-x, n)
    num = _int_root(x.numerator, n)
    den = _int_root(x.denominator, n)
    return Fraction(num, den)


def _int_root(v: int, n: int) -> int:
    if v < 2:
        return v
    r = int(round(v ** (1.0 / n))) if v.bit_length() < 1000 else _newton_root(v, n)
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**n == v:
            return c
    raise NotRational("irrational root")


def _newton_root(v: int, n: int) -> int:
    x = 1 << (v.bit_length() // n + 1)
    while True:
        y = ((n - 1) * x + v // x ** (n - 1)) // n
        if y >= x:
            return x
        x = y


def _ppow(a: Value, b: Value) -> Value:
    if isinstance(b, PolyValue):
        raise NotRational("power with a letter in the exponent")
    bn, bd = numerator(b), denominator(b)
    if bd != 1:
        if bd > 64 or type(a) is not Fraction:
            raise NotRational("fractional power")
        a = _root(a, bd)
    e = bn
    if abs(e) > 100_000:
        raise Unverifiable("exponent too large")
    if e == 0:
        return _ONE  # 0^0 = 1, as Python and the computer algebra systems have it
    if type(a) is Fraction:
        an, ad = numerator(a), denominator(a)
        if an == 0 and e < 0:
            raise Unverifiable("division by zero")
        if ad == 1 and (an == 0 or an == 1):
            return a
        if ad == 1 and an == -1:
            return whole(1 if e % 2 == 0 else -1)
        bits = max(an.bit_length(), ad.bit_length())
        _check_size(bits * abs(e))
        return power(a, e)
    if e < 0 or e > 12:
        raise NotRational("power of an expression with letters")
    result: Value = _ONE
    for _ in range(e):
        result = _pmul(result, a)
    return result


def _fact(a: Value, step: int = 1) -> Value:
    """``a!``, or with ``step`` 2 the double factorial ``a!!`` (a·(a−2)·…, down to 1 or 2)."""
    if type(a) is not Fraction or a.denominator != 1 or a < 0:
        raise Unverifiable("factorial of a non-natural number")
    if a > MAX_FACTORIAL:
        raise Unverifiable("factorial too large")
    out = 1
    for k in range(int(a), 1, -step):
        out *= k
    return Fraction(out)


_MEMO: Final[dict[int, tuple[Node, Value | None, type[Exception] | None, str]]] = {}
_MEMO_SIZE: Final = 4096
_BY_SHAPE: Final[dict[Hashable, tuple[Value | None, type[Exception] | None, str]]] = {}
"""Outcomes by ``parse.shape``, for the trees of the chain being verified (``forget_shapes`` empties it)."""


def forget_shapes() -> None:
    """Begin a chain: outcomes remembered by shape (``evaluate``, ``irrational.approximate``) are each chain's own,
    and so are those remembered by tree: a chain's trees are its own (made when it is parsed), and kept alive across
    chains they only made each full garbage collection longer."""
    _BY_SHAPE.clear()
    _MEMO.clear()


def evaluate(node: Node, overrides: dict[int, Fraction] | None = None) -> Value:
    """The exact value of a tree: a ``Fraction``, or a ``PolyValue`` when letters remain.

    ``overrides`` maps a literal's start offset to a replacement value (how a repair substitutes
    the true value for a wrong one). Raises ``NotRational`` or ``Unverifiable``.

    Without overrides the outcome (value or refusal) is remembered per tree: the check of a claim, the
    derivation links and the repair each ask for the same sides, and four in ten evaluations were repeats.
    Keyed by identity, with the tree kept alive beside its outcome so that the key cannot be reused; trees
    are never changed once parsed, and values are never changed once made (``PolyValue`` operations build
    new ones). Bounded: emptied when full, and for each chain. A tree not seen before is looked up by its shape too (the same
    side written again: a chain that loops on a line of polynomials expanded it a hundred times).
    """
    if overrides:
        return _evaluate(node, overrides, _touched(node, overrides))
    hit = _MEMO.get(id(node))
    if hit is not None and hit[0] is node:
        if hit[2] is not None:
            raise hit[2](hit[3])
        return hit[1]  # type: ignore[return-value]
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    key: Hashable = None
    if not _one_operation(node):  # (a leaf, or one operation on leaves, is cheaper to compute than to key)
        key = shape(node)
        known = _BY_SHAPE.get(key)
        if known is not None:
            _MEMO[id(node)] = (node, *known)
            if known[1] is not None:
                raise known[1](known[2])
            return known[0]  # type: ignore[return-value]
        if len(_BY_SHAPE) >= _MEMO_SIZE:
            _BY_SHAPE.clear()
    try:
        value = _evaluate(node, None)
    except (NotRational, Unverifiable) as exc:
        if type(exc).__init__ is Exception.__init__ and len(exc.args) == 1:
            _MEMO[id(node)] = (node, None, type(exc), exc.args[0])
            if key is not None:
                _BY_SHAPE[key] = (None, type(exc), exc.args[0])
        raise
    _MEMO[id(node)] = (node, value, None, "")
    if key is not None:
        _BY_SHAPE[key] = (value, None, "")
    return value


def _one_operation(node: Node) -> bool:
    """A leaf, or one operation whose operands are leaves (``48 / 2``, ``3 + 4 + 5``): most of what GSM8K-style
    chains compute, and cheaper to evaluate again than to look up by shape."""
    tag: str = node[0]
    if tag == "num" or tag == "sym":
        return True
    if tag == "add":
        return all(sub[0] == "num" or sub[0] == "sym" for _, sub in node[1])
    return all(not isinstance(c, tuple) or c[0] == "num" or c[0] == "sym" for c in node[1:])


def _touched(node: Node, overrides: dict[int, Fraction]) -> set[int]:
    """The ids of the subtrees of ``node`` (itself included) that hold a literal ``overrides`` replaces."""
    out: set[int] = set()
    _add_touched(node, overrides, out)
    return out


def _add_touched(n: Node, overrides: dict[int, Fraction], out: set[int]) -> bool:
    """Add to ``out`` the ids of the subtrees of ``n`` that hold a replaced literal; does ``n`` hold one?"""
    tag: str = n[0]
    hit = False
    if tag == "num":
        hit = n[2].start in overrides
    elif tag == "add":
        for _, sub in n[1]:
            hit = _add_touched(sub, overrides, out) or hit
    elif tag != "sym":
        for c in n[1:]:
            if isinstance(c, tuple):
                hit = _add_touched(c, overrides, out) or hit
    if hit:
        out.add(id(n))
    return hit


def _evaluate(node: Node, overrides: dict[int, Fraction] | None, touched: set[int] | None = None) -> Value:
    """``evaluate`` without the memo; with ``overrides``, ``touched`` holds the ids of the subtrees that contain an
    overridden literal: any other subtree has its own value, which ``evaluate`` remembers (a repair, or the search
    for the number to blame in a long line, evaluates one side again for each literal it changes)."""
    tag: str = node[0]
    if touched is not None and tag != "num" and tag != "sym" and id(node) not in touched:
        return evaluate(node)  # (a leaf is cheaper read below than remembered)
    if tag == "num":
        v: Fraction = node[1]
        if overrides and node[2].start in overrides:
            v = overrides[node[2].start]
        return v
    if tag == "add":
        terms = node[1]
        sign, sub = terms[0]
        first = _evaluate(sub, overrides, touched)
        # the first term as it is (0 + v is v: values are never changed once made), not added to a zero
        acc: Value = simplify(first) if sign > 0 else _padd(_ZERO, first, sign)
        for sign, sub in terms[1:]:
            acc = _padd(acc, _evaluate(sub, overrides, touched), sign)
        return acc
    if tag == "mul":
        return _pmul(_evaluate(node[1], overrides, touched), _evaluate(node[2], overrides, touched))
    if tag == "div":
        return _pdiv(_evaluate(node[1], overrides, touched), _evaluate(node[2], overrides, touched))
    if tag == "paren":
        return _evaluate(node[1], overrides, touched)
    if tag in ("abs", "floor", "ceil"):
        inner = _evaluate(node[1], overrides, touched)
        if type(inner) is not Fraction:
            raise NotRational(f"{tag} of an expression with letters")
        return abs(inner) if tag == "abs" else Fraction(math.floor(inner) if tag == "floor" else math.ceil(inner))
    if tag == "mod":
        a, b = _evaluate(node[1], overrides, touched), _evaluate(node[2], overrides, touched)
        if type(a) is not Fraction or type(b) is not Fraction or a.denominator != 1 or b.denominator != 1:
            raise Unverifiable("remainder of a number that is not an integer")
        if b == 0:
            raise Unverifiable("division by zero")
        return a % b
    if tag == "neg":
        return _pmul(_MINUS_ONE, _evaluate(node[1], overrides, touched))
    if tag == "sym":
        if node[1] == "pi":
            raise NotRational("pi")
        return PolyValue({((node[1], 1),): _ONE})
    if tag == "pow":
        return _ppow(_evaluate(node[1], overrides, touched), _evaluate(node[2], overrides, touched))
    if tag == "pct":
        return _pdiv(_evaluate(node[1], overrides, touched), _HUNDRED)
    if tag == "fact":
        return _fact(_evaluate(node[1], overrides, touched), node[2] if len(node) > 2 else 1)
    if tag == "sqrt":
        inner = _evaluate(node[1], overrides, touched)
        n = _TWO if node[2] is None else _evaluate(node[2], overrides, touched)
        if type(inner) is not Fraction or type(n) is not Fraction or denominator(n) != 1 or numerator(n) < 1:
            raise NotRational("root of an expression with letters")
        if numerator(n) > 64:
            raise Unverifiable("root index too large")
        return _root(inner, numerator(n))
    raise Unverifiable(f"unknown node {tag}")


def format_value(v: Value) -> str:
    """A value as people write it: ``2024``, ``-88/3``, ``12.5``, ``1119 - 3*X``."""
    if not isinstance(v, PolyValue):
        return format_fraction(v)
    parts = []
    for mono, c in sorted(v.terms.items(), key=lambda kv: (-len(kv[0]), kv[0])):
        name = "*".join(s if e == 1 else f"{s}^{e}" for s, e in mono)
        if not name:
            parts.append(format_fraction(c))
        elif denominator(c) == 1 and numerator(c) == 1:
            parts.append(name)
        elif denominator(c) == 1 and numerator(c) == -1:
            parts.append("-" + name)
        else:
            parts.append(f"{format_fraction(c)}*{name}")
    text = " + ".join(parts) if parts else "0"
    return text.replace("+ -", "- ")


def format_fraction(v: Fraction) -> str:
    """Integers as integers, terminating decimals as decimals, the rest as ``p/q``."""
    n, den = numerator(v), denominator(v)
    if den == 1:
        return str(n)
    d, twos, fives = den, 0, 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    places = max(twos, fives)
    if d == 1 and places <= 12:
        scaled = n * 10**places // den  # exact: the denominator divides 10**places
        sign = "-" if scaled < 0 else ""
        digits = str(abs(scaled)).rjust(places + 1, "0")
        return f"{sign}{digits[:-places]}.{digits[-places:]}"
    return f"{n}/{den}"
