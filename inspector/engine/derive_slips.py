"""A derivation's rewrites as claims, a wrong one pinned to the one number that, corrected, makes it right.

Apart from `derive` because this is what follows once a link is decided: the claim a rewrite makes (right,
wrong, unverifiable) on its `Link`, and, for a slip, which number to blame, preferring one the line above
explains (the sum of a run of its terms), which is how a person would point at it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

from .arith import (
    OP,
    Node,
    NotRational,
    Token,
    Unverifiable,
    Value,
    evaluate,
    format_value,
    literals,
    subtract,
)
from .check import Checked
from .derive_forms import is_value
from .derive_links import Link, _has_letters, _norm, _value
from .extract import Formula, Side
from .model import Claim, ClaimStatus
from .rational import numerator

_ONE: Final = Fraction(1)

_CORRECT: Final = ClaimStatus.CORRECT
_WRONG: Final = ClaimStatus.WRONG
_UNVERIFIABLE: Final = ClaimStatus.UNVERIFIABLE
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""


def _check_identity(link: Link, text: str, rule: str) -> None:
    """``P = Q`` that the next line uses as one expression: P and Q must be equal for every value.

    A constant difference is already wrong within its line (``check``); here the rest is caught:
    ``1x + 12 + 15 = 3x + 27`` differs by ``2x``.
    """
    f = link.formula
    left, right = _value(f.sides[0]), _value(f.sides[1])
    if left is None or right is None:
        return
    diff = subtract(left, right)
    if diff.is_constant:
        return
    claim = Claim(
        step=f.step, span=(f.sides[1].start, f.sides[1].end), text=text[f.start : f.end],
        stated=text[f.sides[1].start : f.sides[1].end], actual=format_value(left), status=_WRONG,
        kind="inline", rule="inline_arithmetic",
        reason="used as one expression on the next line, but the two sides are not equal for every value",
        stated_span=(f.sides[1].start, f.sides[1].end),
    )
    link.checked.append(Checked(claim, f, f.sides[0], None, None, f.sides[1].start))


def _record_unequal(link: Link, prev: Link, text: str, rule: str) -> None:
    f = link.formula
    link.start = prev.start or prev
    link.equation_mode = prev.equation_mode or _has_letters(prev.formula)
    claim = Claim(
        step=f.step, span=(f.start, f.end), text=text[f.start : f.end], stated=text[f.start : f.end],
        actual=f"{format_value(prev.poly)} = 0" if prev.poly is not None else None, status=_WRONG,
        kind="rewrite", rule=rule, reason="not equivalent to the equation it says it rewrites",
        stated_span=(f.start, f.end),
    )
    link.checked.append(Checked(claim, f, None, None, None, f.start))


def _check_continuation(link: Link, prev: Link, text: str, rule: str) -> None:
    """``= 2024 − 905`` under ``195 + 367 + … − 468``: the new side must equal the last one above."""
    f, pf = link.formula, prev.formula
    old_side = pf.sides[-1]
    new_side = f.sides[1]
    a, b = _value(old_side), _value(new_side)
    link.start = prev.start or prev
    link.equation_mode = prev.equation_mode or _has_letters(pf)
    if a is None or b is None:
        return
    diff = subtract(b, a)
    if not diff.is_constant:
        # not equal as polynomials: either a slip or a step that uses a relation we don't see
        # (alpha^3 = 3 alpha - 1, say); only a constant difference is surely arithmetic
        _add(link, new_side, old_side, text, _UNVERIFIABLE, format_value(a), rule, None, None,
             reason="not equal as written; the step may use a relation stated elsewhere")
        return
    _record(link, prev, old_side, new_side, diff.constant(), text, rule, _ONE)


def _record(
    link: Link, prev: Link, old: Side, new: Side, delta: Fraction, text: str, rule: str, k: Fraction
) -> None:
    """A rewrite ``old → new`` whose values differ by ``delta`` (zero when it is right)."""
    link.start = prev.start or prev
    link.equation_mode = prev.equation_mode or _has_letters(prev.formula)
    old_value = _value(old)
    actual_text = format_value(old_value) if old_value is not None else None
    if numerator(delta) == 0 or _rounded_restatement(old_value, new):
        # "x = 107/18" then "x = 5.94": the value, rounded to the digits written, is a restatement
        _add(link, new, old, text, _CORRECT, actual_text, rule, None, None)
        return
    pinned = _pin(old, new, delta)
    if pinned is not None:
        tok, true_value = pinned
        _add(link, new, old, text, _WRONG, format_value(true_value), rule, tok, true_value)
    else:
        _add(link, new, old, text, _WRONG, actual_text, rule, None, None)


def _solved_rounded(f: Formula, delta: Fraction) -> Side | None:
    """The literal side of ``x = 5.94`` when it is, rounded to its digits, the value the line above gives
    (``delta`` is how far the written equation is from that one)."""
    if len(f.sides) != 2:
        return None
    for side, sign in ((f.sides[1], 1), (f.sides[0], -1)):
        value = _value(side)
        if type(value) is Fraction and _rounded_restatement(value + sign * delta, side):
            return side
    return None


def _rounded_restatement(old_value: Value | None, new: Side) -> bool:
    """Is ``new`` a decimal written with d digits that is ``old_value`` correctly rounded to them?"""
    if type(old_value) is not Fraction or not new.is_literal:
        return False
    literal = new.literal
    if literal is None or literal.decimals == 0 or type(literal.value) is not Fraction:
        return False
    value = -literal.value if new.tokens and new.tokens[0].kind == OP and new.tokens[0].value == "-" else literal.value
    return abs(old_value - value) * 2 <= Fraction(1, 10**literal.decimals)


def _record_equation(link: Link, prev: Link, delta: Fraction, k: Fraction, text: str, rule: str) -> bool:
    """Both sides were rewritten: a slip only when one number, corrected, is explained by the line above.

    Otherwise the line is taken as a new equation (``900 = Y + 437 + …`` after ``Y = 1019 − 3X``
    substitutes, it does not rewrite), and ``False`` says the link should be cut.
    """
    f, pf = link.formula, prev.formula
    old_values = {t.value for side in pf.sides if side.node is not None for t in literals(side.node)}
    fresh = [t for side in f.sides if side.node is not None for t in literals(side.node) if t.value not in old_values]
    lone = fresh[0] if len(fresh) == 1 else None
    for old, new, sign in ((pf.sides[1], f.sides[1], -1), (pf.sides[0], f.sides[0], 1)):
        # a slip when the corrected number is explained by the line above, or when it is the one
        # number this line computed (2x − 12 = 20 → 2x = 28: 28 is new, and 32 makes it right)
        pinned = _pin(old, new, delta * sign, explained_only=True, lone=lone) if _norm(old) != _norm(new) else None
        if pinned is not None:
            link.start = prev.start or prev
            link.equation_mode = prev.equation_mode or _has_letters(pf)
            tok, true_value = pinned
            _add(link, new, old, text, _WRONG, format_value(true_value), rule, tok, true_value)
            return True
    return False


def _add(
    link: Link, new: Side, old: Side, text: str, status: ClaimStatus, actual: str | None, rule: str,
    tok: Token | None, true_value: Fraction | None, reason: str | None = None,
) -> None:
    if tok is not None:
        span = (tok.start, tok.end)
        stated = text[tok.start : tok.end]
        stated_value: Fraction | None = tok.value
        nv, ov = _value(new), _value(old)
        if (type(nv) is Fraction and type(ov) is Fraction and tok.value and true_value
                and nv * tok.value == 1 and ov * true_value == 1):
            # "a8 = 1/585" for 1/5625: later lines reuse 1/585, the side's value, not the denominator
            stated_value, true_value = nv, ov
    else:
        span = (new.start, new.end)
        stated = text[new.start : new.end]
        # what later lines may reuse: "X = 73" states 73; "= 1119" continuing arithmetic states
        # 1119; "900 = 1924" inside a derivation with letters states nothing anyone reuses
        nv = _value(new)
        stated_value = _lone_number(link.formula)
        if stated_value is None and type(nv) is Fraction and not link.equation_mode:
            stated_value = nv
        true_value = _value(old) if isinstance(_value(old), Fraction) else None  # type: ignore[assignment]
    f = link.formula
    claim = Claim(
        step=f.step,
        span=span if status is _WRONG else (f.start, f.end),
        text=text[f.start : f.end],
        stated=stated if status is _WRONG else text[new.start : new.end],
        actual=actual,
        status=status,
        kind="continuation" if f.kind == "continuation" else "rewrite",
        rule=rule if status is not _UNVERIFIABLE else "unverifiable",
        reason=reason,
        stated_span=span,
    )
    link.checked.append(Checked(claim, f, None, stated_value, true_value, span[0]))


def _lone_number(f: Formula) -> Fraction | None:
    """``X = 73``, ``x = 27/5``: the number a solved line states."""
    if len(f.sides) != 2:
        return None
    for side, other in ((f.sides[0], f.sides[1]), (f.sides[1], f.sides[0])):
        if is_value(side) and other.node is not None and other.node[0] == "sym":
            v = _value(side)
            return v if type(v) is Fraction else None
    return None


def _pin(
    old: Side, new: Side, delta: Fraction, explained_only: bool = False, lone: Token | None = None
) -> tuple[Token, Fraction] | None:
    """The number in ``new`` which, corrected, makes ``new`` equal ``old`` again.

    ``delta`` is ``value(new) − value(old)``. Among several candidates prefer a number that is not
    copied from the line above and whose true value the line above explains.
    """
    if new.node is None or old.node is None:
        return None
    old_literals = {t.value for t in literals(old.node)}
    explained = _explained_values(old.node)
    candidates: list[tuple[int, int, Token, Fraction]] = []
    try:
        base = evaluate(new.node)
    except (NotRational, Unverifiable):
        return None
    for tok in literals(new.node):
        try:
            bumped = evaluate(new.node, {tok.start: tok.value + 1})
        except (NotRational, Unverifiable):
            continue
        slope = subtract(bumped, base)
        if not slope.is_constant or slope.constant() == 0:
            continue
        true_value: Fraction | None = _solve_for(new.node, tok, base, slope.constant(), delta)
        if true_value is None:
            continue
        score = (0 if abs(true_value) in explained else 1) + (0 if tok.value not in old_literals else 2)
        candidates.append((score, tok.start, tok, true_value))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]))
    score, _, tok, true_value = candidates[0]
    if explained_only and score != 0:
        for _, _, cand, value in candidates:
            if cand is lone:
                return cand, value
        return None
    return tok, true_value


def _solve_for(node: Node, tok: Token, base: Value, step: Fraction, delta: Fraction) -> Fraction | None:
    """The value of ``tok`` that moves the side's value by ``−delta``: linear when the number is a term or a
    factor (``12 + 7``, ``3·25``), ``A + B/v`` when it is a denominator (``1/585`` for ``1/5625``); checked
    by evaluating, so a number under a power or a root names no value rather than a wrong one."""
    v: Fraction = tok.value
    guesses = [v - delta / step]
    if type(base) is Fraction and v != 0 and v != -1:
        # f(v) = A + B/v through f(v) and f(v + 1): B = −(f(v+1) − f(v))·v·(v+1)
        big_b = -step * v * (v + 1)
        a = base - big_b / v
        if base - delta != a:
            guesses.append(big_b / (base - delta - a))
    for guess in guesses:
        try:
            moved = subtract(evaluate(node, {tok.start: guess}), base)
        except (NotRational, Unverifiable, ZeroDivisionError):
            continue
        if moved.is_constant and moved.constant() == -delta:
            return guess
    return None


def _explained_values(node: Node) -> set[Fraction]:
    """Absolute values of every sub-expression and every run of consecutive terms of ``node``."""
    out: set[Fraction] = set()
    _add_explained(node, out)
    return out


def _add_explained(n: Node, out: set[Fraction]) -> None:
    """``_explained_values`` of ``n``, added to ``out`` (not nested in it: ``native_attrs``)."""
    try:
        v = evaluate(n)
        if type(v) is Fraction:
            out.add(abs(v))
    except (NotRational, Unverifiable):
        pass
    tag: str = n[0]
    if tag == "add":
        terms = n[1]
        vals: list[Fraction | None] = []
        for sign, sub in terms:
            try:
                tv = evaluate(sub)
                vals.append(tv * sign if type(tv) is Fraction else None)
            except (NotRational, Unverifiable):
                vals.append(None)
            _add_explained(sub, out)
        for i in range(len(vals)):
            acc = Fraction(0)
            for j in range(i, len(vals)):
                vj = vals[j]
                if vj is None:
                    break
                acc += vj
                out.add(abs(acc))
    elif tag not in ("num", "sym"):
        for c in n[1:]:
            if isinstance(c, tuple):
                _add_explained(c, out)
