"""Answers written with functions (``\\log``, ``\\ln``, ``\\sin`` … ``\\csc``, ``\\exp``), compared by our own
means.

The arithmetic parser (``parse``) reads no functions, so such answers used to go to math-verify, in its helper
process (``equivalence``): ``4 \\log 2 + 3 \\log 5`` against ``2`` cost 0.7 s there, the helper's start. Here
a small parser of our own reads them into a whitelisted tree (never ``eval``, never a computer algebra
parser), bounded in length, tokens, depth, digits and exponents, and two answers are compared:

- **exactly** when both are sums of rational numbers and logarithms of positive rationals to rational bases
  (or natural ones): ``c₁ log a₁ + … + q`` is ``q + (1/D) log P`` with ``P = ∏ aᵢ^(D·cᵢ)``, so two of them
  are equal when ``P^s = b^p`` for the one rational ``p/s`` it leaves, an identity of integers. To the base
  ``e`` the answer is known too (Lindemann: ``ln P`` is rational only for ``P = 1``). ``log(2^{100000})``
  against ``100000 log 2`` is decided without computing ``2^{100000}``: the same argument's coefficients are
  added first;
- **numerically**, to 30 digits (worked at 70), otherwise: constants once (as roots and π are), expressions
  with letters at three rational points (equal at every point where both are defined, and at two at least,
  or different at one), as ``answer_match`` does for polynomials.

``\\log`` without a base is base 10 to some writers and ``e`` to others: a comparison is decided only when it
comes out the same both ways (``4 \\log 2 + 3 \\log 5`` is not 2 in either), else ``None``. A letter ``e``
or ``i`` (Euler's number or a variable? the imaginary unit?) is not read here: ``None``.
"""

from __future__ import annotations

import decimal
import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from .irrational import _PI

MAX_CHARS: Final = 400
MAX_TOKENS: Final = 200
MAX_DEPTH: Final = 40
MAX_DIGITS: Final = 60
MAX_EXPONENT: Final = 1000
"""An integer power is computed for exponents up to this (in absolute value); larger ones are refused."""
MAX_BITS: Final = 20_000
"""An exact product or power is computed up to this many bits; beyond, the comparison is undecided."""
MAX_TRIG_ARGUMENT: Final = Decimal(10) ** 6
MAX_EXP_ARGUMENT: Final = Decimal(10_000)
PRECISION: Final = 70
"""Working digits of the numeric comparison; agreement to 30 digits (relative) counts as equal."""

FUNCTIONS: Final = frozenset({"sin", "cos", "tan", "cot", "sec", "csc", "ln", "log", "lg", "exp"})

Node = tuple[Any, ...]
# ("num", Fraction) ("var", name) ("pi",) ("add", [(sign, node)]) ("mul", a, b) ("div", a, b) ("pow", a, b)
# ("neg", a) ("sqrt", a, index | None) ("fn", name, argument, base | None)


class Refused(Exception):
    """Text this comparison does not read, or work it will not do: the comparison is undecided."""


_TOKEN_RE: Final = re.compile(r"\s*+(?:(\d{1,61}(?:\.\d{1,61})?|\.\d{1,61})|\\([A-Za-z]{1,20})|([A-Za-z])|(\S))")


def _tokens(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs: ``num``, ``cmd`` (a command's name), ``var`` (one letter), ``op`` (one
    character)."""
    if len(text) > MAX_CHARS:
        raise Refused("too long")
    out: list[tuple[str, str]] = []
    pos, end = 0, len(text.rstrip())
    while pos < end:
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise Refused("unreadable")
        pos = m.end()
        if m.group(1) is not None:
            if len(m.group(1)) > MAX_DIGITS:
                raise Refused("number too long")
            out.append(("num", m.group(1)))
        elif m.group(2) is not None:
            name = m.group(2)
            if name in ("cdot", "times", "ast"):
                out.append(("op", "*"))
            elif name == "div":
                out.append(("op", "/"))
            elif name in ("left", "right", "displaystyle"):
                continue
            else:
                out.append(("cmd", "frac" if name in ("dfrac", "tfrac") else name))
        elif m.group(3) is not None:
            out.append(("var", m.group(3)))
        else:
            ch = m.group(4)
            out.append(("op", {"−": "-", "–": "-", "×": "*", "·": "*", "÷": "/"}.get(ch, ch)))
        if len(out) > MAX_TOKENS:
            raise Refused("too many tokens")
    return out


_OPEN: Final = {"(": ")", "{": "}", "[": "]"}


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.toks = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, kind: str, text: str) -> bool:
        t = self.peek()
        if t == (kind, text):
            self.i += 1
            return True
        return False

    def expect(self, kind: str, text: str) -> None:
        if not self.take(kind, text):
            raise Refused(f"expected {text}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Refused("nesting too deep")

    def expr(self) -> Node:
        self.enter()
        terms: list[tuple[int, Node]] = []
        sign = 1
        if self.take("op", "-"):
            sign = -1
        else:
            self.take("op", "+")
        terms.append((sign, self.term()))
        while True:
            if self.take("op", "+"):
                terms.append((1, self.term()))
            elif self.take("op", "-"):
                terms.append((-1, self.term()))
            else:
                break
        self.depth -= 1
        return terms[0][1] if len(terms) == 1 and terms[0][0] == 1 else ("add", terms)

    def starts_atom(self) -> bool:
        t = self.peek()
        return t is not None and (t[0] in ("num", "var", "cmd") or (t[0] == "op" and t[1] in _OPEN))

    def term(self) -> Node:
        node = self.power()
        while True:
            if self.take("op", "*"):
                node = ("mul", node, self.power())
            elif self.take("op", "/"):
                node = ("div", node, self.power())
            elif self.starts_atom():
                node = ("mul", node, self.power())
            else:
                return node

    def power(self) -> Node:
        self.enter()
        if self.take("op", "-"):
            node: Node = ("neg", self.power())
        else:
            node = self.atom()
            if self.take("op", "^"):
                node = ("pow", node, self.exponent())
        self.depth -= 1
        return node

    def exponent(self) -> Node:
        if self.take("op", "-"):
            return ("neg", self.exponent())
        node = self.atom(bare=True)
        if self.take("op", "^"):
            node = ("pow", node, self.exponent())
        return node

    def group(self) -> Node:
        """A TeX argument: ``{…}``, or one token (``\\frac12``: one digit each)."""
        if self.take("op", "{"):
            node = self.expr()
            self.expect("op", "}")
            return node
        t = self.peek()
        if t is not None and t[0] == "num" and t[1].isdigit() and len(t[1]) > 1:
            self.toks[self.i] = ("num", t[1][1:])
            return ("num", Fraction(int(t[1][0])))
        return self.atom(bare=True)

    def atom(self, bare: bool = False) -> Node:
        t = self.peek()
        if t is None:
            raise Refused("ends too early")
        kind, text = t
        self.i += 1
        if kind == "num":
            return ("num", Fraction(text))
        if kind == "var":
            return ("var", text)
        if kind == "op" and text in _OPEN:
            self.enter()
            node = self.expr()
            self.expect("op", _OPEN[text])
            self.depth -= 1
            return node
        if kind == "cmd":
            if text == "pi":
                return ("pi",)
            if text == "frac":
                return ("div", self.group(), self.group())
            if text == "sqrt":
                index = None
                if self.take("op", "["):
                    index = self.expr()
                    self.expect("op", "]")
                return ("sqrt", self.group(), index)
            if text in FUNCTIONS and not bare:
                return self.function(text)
        raise Refused(f"unexpected {text}")

    def function(self, name: str) -> Node:
        """``\\sin^2 x``, ``\\log_2 8``, ``\\ln(x+1)``, ``\\sin 2x`` (the argument is the product that
        follows), ``\\log 5^3`` (the power is the argument's)."""
        base: Node | None = None
        power: Node | None = None
        if name == "log" and self.take("op", "_"):
            # \log_2 8, \log_{10} x (which the answer's cleaning writes \log_10 x: the number is the base)
            base = self.group() if self.peek() == ("op", "{") else self.atom(bare=True)
        if self.take("op", "^"):
            power = self.exponent()
            if power[0] == "neg":
                raise Refused("an inverse function or a reciprocal: ambiguous")
        t = self.peek()
        if t is None:
            raise Refused("a function without its argument")
        self.enter()
        if t[0] == "op" and t[1] in "({":
            argument = self.atom(bare=True)
        else:
            argument = self.bare_argument()
        self.depth -= 1
        if name == "lg":
            name, base = "log", ("num", Fraction(10))
        node: Node = ("fn", name, argument, base)
        return node if power is None else ("pow", node, power)

    def bare_argument(self) -> Node:
        """``\\sin 2x`` → 2x; ``\\sin x \\cos x`` → x (a function ends it); ``\\sin x + 1`` → x."""
        node = self.bare_factor()
        while True:
            t = self.peek()
            if t is None or not (t[0] in ("num", "var") or t == ("cmd", "pi")):
                return node
            node = ("mul", node, self.bare_factor())

    def bare_factor(self) -> Node:
        node = self.atom(bare=True)
        if self.take("op", "^"):
            node = ("pow", node, self.exponent())
        return node


def parse_answer(text: str) -> Node:
    """A whole answer as a tree, or ``Refused``."""
    tokens = _tokens(text)
    if not tokens:
        raise Refused("empty")
    p = _Parser(tokens)
    node = p.expr()
    if p.i != len(tokens):
        raise Refused(f"unexpected {tokens[p.i][1]}")
    return node


def _walk(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        if n[0] == "add":
            stack.extend(sub for _, sub in n[1])
        else:
            stack.extend(c for c in n[1:] if isinstance(c, tuple))
    return out


# --- exact: sums of rationals and logarithms of rationals ---------------------------------------------------

E = "e"
Base = Fraction | str
"""A logarithm's base: a rational, or ``"e"``."""
LogSum = tuple[Fraction, dict[tuple[Base, Fraction], Fraction]]
"""``q + Σ c · log_base(argument)``: the rational part, and each (base, argument)'s coefficient."""


def _check_bits(*values: Fraction) -> None:
    if sum(v.numerator.bit_length() + v.denominator.bit_length() for v in values) > MAX_BITS:
        raise Refused("number too large")


def _rational(node: Node) -> Fraction | None:
    """The exact rational value of a tree without letters, functions, roots or π; ``None`` otherwise."""
    tag = node[0]
    if tag == "num":
        value: Fraction = node[1]
        return value
    if tag == "neg":
        v = _rational(node[1])
        return None if v is None else -v
    if tag == "add":
        acc = Fraction(0)
        for sign, sub in node[1]:
            v = _rational(sub)
            if v is None:
                return None
            acc += v if sign > 0 else -v
            _check_bits(acc)
        return acc
    if tag in ("mul", "div"):
        a, b = _rational(node[1]), _rational(node[2])
        if a is None or b is None:
            return None
        _check_bits(a, b)
        if tag == "mul":
            return a * b
        if b == 0:
            raise Refused("division by zero")
        return a / b
    if tag == "pow":
        a, n = _rational(node[1]), _rational(node[2])
        if a is None or n is None or n.denominator != 1:
            return None
        k = int(n)
        bits = a.numerator.bit_length() + a.denominator.bit_length()
        if abs(k) > MAX_EXPONENT or bits * abs(k) > MAX_BITS:
            raise Refused("power too large")
        if a == 0 and k < 0:
            raise Refused("division by zero")
        return a**k
    return None


def _log_term(node: Node, bare_base: Base) -> tuple[Base, Fraction, Fraction] | None:
    """``\\log_b (a^k)`` as ``(b, k, a)``, without computing ``a^k``; ``None`` when its argument
    or base is no positive rational (``1`` is no base)."""
    _, name, argument, base_node = node
    assert isinstance(argument, tuple)
    base: Base
    if name == "ln":
        base = E
    elif name == "log" and base_node is None:
        base = bare_base
    elif name == "log":
        assert isinstance(base_node, tuple)
        value = _rational(base_node)
        if value is None or value <= 0 or value == 1:
            return None
        base = value
    else:
        return None
    k = Fraction(1)
    if argument[0] == "pow":
        exponent = _rational(argument[2])
        if exponent is not None:
            k, argument = exponent, argument[1]
    a = _rational(argument)
    if a is None or a <= 0:
        return None
    return base, k, a


def log_sum(node: Node, bare_base: Base) -> LogSum | None:
    """A tree as ``q + Σ c · log_b(a)`` with rational q, c, b and a, or ``None`` (letters, roots, π, trig,
    a product of two logarithms, …)."""
    value = _rational(node)
    if value is not None:
        return value, {}
    tag = node[0]
    if tag == "fn":
        term = _log_term(node, bare_base)
        if term is None:
            return None
        base, k, a = term
        exact = _exact_log(a, base) if isinstance(base, Fraction) else None
        if exact is not None:
            return k * exact, {}  # log_3 9 = 2, log_10 1000 = 3
        return Fraction(0), {(base, a): k}
    if tag == "neg":
        inner = log_sum(node[1], bare_base)
        return None if inner is None else _scale(inner, Fraction(-1))
    if tag == "add":
        q, logs = Fraction(0), {}  # type: tuple[Fraction, dict[tuple[Base, Fraction], Fraction]]
        for sign, sub in node[1]:
            part = log_sum(sub, bare_base)
            if part is None:
                return None
            part = part if sign > 0 else _scale(part, Fraction(-1))
            q += part[0]
            for key, c in part[1].items():
                logs[key] = logs.get(key, Fraction(0)) + c
        return q, logs
    if tag == "mul":
        left, right = _rational(node[1]), _rational(node[2])
        if left is not None:
            inner = log_sum(node[2], bare_base)
            return None if inner is None else _scale(inner, left)
        if right is not None:
            inner = log_sum(node[1], bare_base)
            return None if inner is None else _scale(inner, right)
        return None
    if tag == "div":
        divisor = _rational(node[2])
        if divisor is None or divisor == 0:
            return None
        inner = log_sum(node[1], bare_base)
        return None if inner is None else _scale(inner, 1 / divisor)
    return None


def _scale(s: LogSum, k: Fraction) -> LogSum:
    _check_bits(k, s[0])
    return s[0] * k, {key: c * k for key, c in s[1].items()}


def _powers_equal(x: int, s: int, y: int, t: int) -> bool:
    """``x^s == y^t`` for positive integers x, y and exponents s, t ≥ 0, exactly, within the size bound."""
    if s == 0 or t == 0 or x == 1 or y == 1:
        return (s == 0 or x == 1) and (t == 0 or y == 1)
    g = math.gcd(s, t)
    s, t = s // g, t // g  # z ↦ z^g is one-to-one on positive integers
    lx, ly = x.bit_length(), y.bit_length()
    if s * lx < t * (ly - 1) + 1 or t * ly < s * (lx - 1) + 1:
        return False  # x^s has between s(lx − 1) + 1 and s·lx bits: their bit counts cannot meet
    if s * lx > MAX_BITS or t * ly > MAX_BITS:
        raise Refused("power too large")
    return bool(x**s == y**t)


def _is_power(x: Fraction, s: int, b: Fraction, p: int) -> bool:
    """``x^s == b^p`` (s > 0) for positive rationals: numerators and denominators apart (both in lowest
    terms)."""
    if p < 0:
        b, p = 1 / b, -p
    return _powers_equal(x.numerator, s, b.numerator, p) and _powers_equal(x.denominator, s, b.denominator, p)


def _exact_log(a: Fraction, b: Fraction) -> Fraction | None:
    """``log_b a`` when it is rational (``log_4 8 = 3/2``: ``8^2 = 4^3``), else ``None``. The candidate comes
    from floating point; the identity that proves it is checked in integers."""
    if a == 1:
        return Fraction(0)
    ln_a = math.log(a.numerator) - math.log(a.denominator)
    estimate = ln_a / (math.log(b.numerator) - math.log(b.denominator))
    if not math.isfinite(estimate) or abs(estimate) > MAX_EXPONENT:
        return None
    r = Fraction(estimate).limit_denominator(64)
    if r == 0:
        return None
    try:
        return r if _is_power(a, r.denominator, b, r.numerator) else None
    except Refused:
        return None


def equal_log_sums(a: LogSum, b: LogSum) -> bool | None:
    """Are two log-sums equal? Exact; ``None`` where two different bases remain (``\\ln 2`` against
    ``\\log_2 3``) or a product grows past the size bound."""
    q = a[0] - b[0]
    logs = dict(a[1])
    for key, c in b[1].items():
        logs[key] = logs.get(key, Fraction(0)) - c
    by_base: dict[Base, list[tuple[Fraction, Fraction]]] = {}
    for (base, arg), c in logs.items():
        if c != 0 and arg != 1:
            by_base.setdefault(base, []).append((c, arg))
    remaining: list[tuple[Base, Fraction, Fraction]] = []  # (base, P, m): the base's terms are m · log_base P
    for base, terms in by_base.items():
        d = math.lcm(*(c.denominator for c, _ in terms))
        g = math.gcd(*(int(c * d) for c, _ in terms))  # 9999 log 2 − 9999 log 3 is 9999 log(2/3)
        product = Fraction(1)
        for c, arg in terms:
            k = int(c * d) // g
            if abs(k) > MAX_EXPONENT:
                raise Refused("power too large")
            if (arg.numerator.bit_length() + arg.denominator.bit_length()) * abs(k) > MAX_BITS:
                raise Refused("power too large")
            product *= arg**k
            _check_bits(product)
        if product != 1:
            remaining.append((base, product, Fraction(g, d)))
    if not remaining:
        return q == 0
    if len(remaining) > 1:
        return None  # two bases: log_2 3 against ln 5 / ln 2 and the like, not decided here
    base, product, m = remaining[0]
    # m · log_base(product) + q == 0  ⇔  log_base(product) = r = −q/m
    r = -q / m
    if base == E or r == 0:
        return False  # ln P is irrational for rational P ≠ 1 (Lindemann); log P = 0 only for P = 1
    assert isinstance(base, Fraction)
    return _is_power(product, r.denominator, base, r.numerator)


# --- numeric: 70 working digits, at rational points for letters -------------------------------------------

_POINTS: Final = 3


def _context() -> decimal.Context:
    return decimal.Context(prec=PRECISION, Emax=100_000, Emin=-100_000,
                           traps=[decimal.Overflow, decimal.InvalidOperation, decimal.DivisionByZero])


class _Undefined(Exception):
    """The expression has no real value at this point (a logarithm of a negative number, ``\\tan(π/2)``)."""


def _dec(v: Fraction) -> Decimal:
    return Decimal(v.numerator) / Decimal(v.denominator)


def _sin_cos(x: Decimal) -> tuple[Decimal, Decimal]:
    """sin x and cos x by their series, after taking x modulo 2π."""
    if abs(x) > MAX_TRIG_ARGUMENT:
        raise Refused("argument too large")
    pi = Decimal(_PI)
    r = x - (x / (2 * pi)).to_integral_value() * 2 * pi
    eps = Decimal(10) ** -(PRECISION + 5)
    sums = []
    for term, n in ((r, 1), (Decimal(1), 0)):
        total = Decimal(0)
        while abs(term) > eps:
            total += term
            term = -term * r * r / ((n + 1) * (n + 2))
            n += 2
        sums.append(total)
    return sums[0], sums[1]


_TINY: Final = Decimal(10) ** -(PRECISION - 10)


def _value(node: Node, env: dict[str, Decimal], bare_base: Base) -> Decimal:
    tag = node[0]
    if tag == "num":
        return _dec(node[1])
    if tag == "var":
        return env[node[1]]
    if tag == "pi":
        return +Decimal(_PI)
    if tag == "neg":
        return -_value(node[1], env, bare_base)
    if tag == "add":
        acc = Decimal(0)
        for sign, sub in node[1]:
            v = _value(sub, env, bare_base)
            acc = acc + v if sign > 0 else acc - v
        return acc
    if tag in ("mul", "div"):
        a, b = _value(node[1], env, bare_base), _value(node[2], env, bare_base)
        if tag == "mul":
            return a * b
        if abs(b) < _TINY:
            raise _Undefined
        return a / b
    if tag == "pow":
        base = _value(node[1], env, bare_base)
        exact = _rational(node[2])
        if exact is not None and exact.denominator == 1:
            if abs(exact) > MAX_EXPONENT:
                raise Refused("exponent too large")
            if base == 0 and exact < 0:
                raise _Undefined
            return base ** int(exact)
        exponent = _value(node[2], env, bare_base)
        if base <= 0:
            raise _Undefined
        return _exp(base.ln() * exponent)
    if tag == "sqrt":
        x = _value(node[1], env, bare_base)
        index = 2 if node[2] is None else _rational(node[2])
        if index is None or index != int(index) or not 2 <= index <= 64:
            raise Refused("root index")
        if x < 0:
            raise _Undefined
        return x.sqrt() if index == 2 else (Decimal(0) if x == 0 else _exp(x.ln() / int(index)))
    if tag == "fn":
        name = node[1]
        x = _value(node[2], env, bare_base)
        if name in ("ln", "log"):
            if x <= 0:
                raise _Undefined
            if name == "ln":
                return x.ln()
            base_node = node[3]
            if base_node is None:
                if bare_base == E:
                    return x.ln()
                assert isinstance(bare_base, Fraction)
                b = _dec(bare_base)
            else:
                b = _value(base_node, env, bare_base)
            if b <= 0 or b == 1:
                raise _Undefined
            return x.ln() / b.ln()
        if name == "exp":
            return _exp(x)
        s, c = _sin_cos(x)
        if name == "sin":
            return s
        if name == "cos":
            return c
        low = c if name in ("tan", "sec") else s
        if abs(low) < _TINY:
            raise _Undefined
        return {"tan": s / c, "cot": c / s, "sec": 1 / c, "csc": 1 / s}[name]
    raise Refused(f"unknown node {tag}")


def _exp(x: Decimal) -> Decimal:
    if abs(x) > MAX_EXP_ARGUMENT:
        raise Refused("exponent too large")
    return x.exp()


def _close(x: Decimal, y: Decimal) -> bool:
    return abs(x - y) <= max(abs(x), abs(y), Decimal(1)) * Decimal("1e-30")


def _numeric(a: Node, b: Node, names: list[str], bare_base: Base) -> bool | None:
    points = [{n: _dec(Fraction(5 + 7 * j + 3 * k, 11 + 2 * k + j)) for k, n in enumerate(names)}
              for j in range(_POINTS if names else 1)]
    defined = 0
    with decimal.localcontext(_context()):
        for env in points:
            try:
                x, y = _value(a, env, bare_base), _value(b, env, bare_base)
            except _Undefined:
                continue
            except (decimal.DecimalException, ZeroDivisionError, OverflowError, ValueError):
                return None
            if not _close(x, y):
                return False
            defined += 1
    return True if defined >= min(2, len(points)) else None


def _decide(a: Node, b: Node, names: list[str], bare_base: Base) -> bool | None:
    sa, sb = (log_sum(a, bare_base), log_sum(b, bare_base)) if not names else (None, None)
    if sa is not None and sb is not None:
        return equal_log_sums(sa, sb)
    return _numeric(a, b, names, bare_base)


def compare_functions(a: str, b: str) -> bool | None:
    """Two answers at least one of which applies a function (``\\log``, ``\\ln``, ``\\sin`` … ``\\exp``):
    equal, different, or ``None`` (not read here, undecided, or a bare ``\\log`` decided two ways)."""
    try:
        na, nb = parse_answer(a), parse_answer(b)
        nodes = _walk(na) + _walk(nb)
        if not any(n[0] == "fn" for n in nodes):
            return None
        names = sorted({str(n[1]) for n in nodes if n[0] == "var"})
        if "e" in names or "i" in names:
            return None  # Euler's number or a letter? the imaginary unit? not read here
        bare = any(n[0] == "fn" and n[1] == "log" and n[3] is None for n in nodes)
        outcomes = {_decide(na, nb, names, base) for base in ((Fraction(10), E) if bare else (E,))}
    except (Refused, RecursionError, decimal.DecimalException, ZeroDivisionError, OverflowError, ValueError):
        return None
    return outcomes.pop() if len(outcomes) == 1 else None
