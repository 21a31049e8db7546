"""Follow values through a chain and repair it.

Each number a claim uses is linked to the latest earlier claim that stated that value (else it
came from the problem or from nowhere we know). A wrong claim's true value then flows into every
later use, so recomputing each claim in order, with wrong values replaced by true ones, gives what
the chain would have concluded with a calculator at hand: the repaired answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from .arith import Node, NotRational, PolyValue, Token, Unverifiable, evaluate, literals, subtract
from .check import Checked
from .derive import Link, is_value, solve_linear
from .extract import Side
from .model import ClaimStatus, ValueFlow
from .notation import RULE as NOTATION
from .rational import denominator, equal, neg, numerator, same

_CORRECT: Final = ClaimStatus.CORRECT
_WRONG: Final = ClaimStatus.WRONG
_UNVERIFIABLE: Final = ClaimStatus.UNVERIFIABLE
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""


@dataclass(slots=True)
class Repair:
    repaired: dict[int, Fraction]
    """Claim index (in ``claims``) → its repaired value."""
    flows: list[ValueFlow]


def _origin(stated_index: dict[tuple[int, int], list[int]], claims: list[Checked], value: tuple[int, int],
            before: int) -> int | None:
    """The last claim before ``before`` that stated ``value`` (a ``Fraction``'s numerator and denominator: a tuple of
    ints hashes in C, where a ``Fraction`` hashes in Python, and a chain asks this of every literal it repairs)."""
    best = None
    for ci in stated_index.get(value, ()):
        if claims[ci].position < before:
            best = ci
        else:
            break
    return best


def _negated_literals(node: Node) -> set[int]:
    """The start offsets of the literals a tree subtracts or negates (``805`` in ``1924 - 805`` and ``1924 +
    (-805)``): where a value stated negative is used by its size."""
    out: set[int] = set()
    _add_negated(node, False, out)
    return out


def _add_negated(n: Node, negative: bool, out: set[int]) -> None:
    """Add to ``out`` the literals of ``n`` that are subtracted or negated (``negative``: ``n`` itself is)."""
    tag = n[0]
    if tag == "num":
        if negative and n[2] is not None:
            out.add(n[2].start)
    elif tag == "add":
        for sign, sub in n[1]:
            _add_negated(sub, negative != (sign < 0), out)
    elif tag == "neg":
        _add_negated(n[1], not negative, out)
    elif tag == "paren":
        _add_negated(n[1], negative, out)


class _Overrides:
    """The repaired values that replace a tree's literals, as a repair has found them so far; each replacement is
    recorded as a value flow (a class, not a function nested in ``repair``: ``native_attrs``)."""

    __slots__ = ("claims", "flows", "repaired", "stated_index", "tainted")

    def __init__(self, stated_index: dict[tuple[int, int], list[int]], claims: list[Checked],
                 repaired: dict[int, Fraction], tainted: set[int], flows: list[ValueFlow]) -> None:
        self.stated_index = stated_index
        self.claims = claims
        self.repaired = repaired
        self.tainted = tainted
        self.flows = flows

    def of(self, node_literals: list[Token], step: int, negated: set[int] | None = None) -> dict[int, Fraction]:
        """Literal start offset → repaired value, for the literals of ``node_literals`` whose value changed."""
        stated_index, claims, repaired = self.stated_index, self.claims, self.repaired
        out: dict[int, Fraction] = {}
        for tok in node_literals:
            n, d = numerator(tok.value), denominator(tok.value)
            ci = _origin(stated_index, claims, (n, d), tok.start)
            sign = 1
            if ci is None and negated and tok.start in negated:
                # "-437 - 2·234 = -805", then "1924 - 805": the 805 subtracted is the -805 stated (the paper's chain)
                ci = _origin(stated_index, claims, (-n, d), tok.start)
                sign = -1
            if ci is None or ci not in repaired:
                continue
            new = repaired[ci] if sign > 0 else neg(repaired[ci])
            if not equal(new, tok.value) or ci in self.tainted:
                out[tok.start] = new
                self.flows.append(
                    ValueFlow(step, (tok.start, tok.end), tok.text, claims[ci].claim.step, True)
                )
        return out


def repair(claims: list[Checked], links: list[Link]) -> Repair:
    """Recompute every claim in reading order with wrong values replaced by their true values."""
    order = sorted(range(len(claims)), key=lambda i: claims[i].position)
    claims = [claims[i] for i in order]
    stated_index: dict[tuple[int, int], list[int]] = {}
    for i, c in enumerate(claims):
        if c.stated_value is not None and c.claim.status is not _UNVERIFIABLE:
            stated_index.setdefault((numerator(c.stated_value), denominator(c.stated_value)), []).append(i)
    repaired: dict[int, Fraction] = {}
    tainted: set[int] = set()
    flows: list[ValueFlow] = []
    link_of = {id(c): link for link in links for c in link.checked}
    start_poly: dict[int, PolyValue | None] = {}

    overrides = _Overrides(stated_index, claims, repaired, tainted, flows)

    clean = True
    """Every value repaired so far is the one the text stated, and none is tainted: no claim's inputs change."""
    carried: dict[int, int] = {}
    """id of a side of an a = b = c chain → the claim that stated it: the next link starts from its repair."""
    sides_at: dict[int, dict[int, list[Side]]] = {}
    """id of a formula → its sides by start offset, in order: found once per formula (chains of hundreds of
    sides would otherwise be searched side by side for each of their claims)."""
    for i, c in enumerate(claims):
        link = link_of.get(id(c))
        before = carried.get(id(c.computation)) if c.computation is not None else None
        value: Fraction | None
        if link is None and before is not None and before in tainted and c.claim.kind == "inline":
            # "1/2 + 1/18 + 1/3 = 1/2 + 1/6 = 2/6 = 1/3": each side equals the one before, so a repaired
            # value is carried along the chain (to 8/9, not 1/3)
            value = repaired[before]
            rounding = _writer_rounding(c)
            if rounding is not None:
                value = rounding(value)
            tainted.add(i)
        elif link is not None:
            value = _repair_derived(c, link, start_poly, overrides)
        elif (clean and c.stated_value is not None and c.computation is not None
              and (c.claim.status is _CORRECT or c.claim.rule == NOTATION)):
            # nothing repaired so far differs from what the text stated, so nothing this claim uses changes:
            # right as written, it stays (the path below would find no override and say the same)
            value = c.stated_value
        elif c.computation is not None and c.computation.node is not None:
            node = _source(c)
            ov = overrides.of(literals(node), c.claim.step, _negated_literals(node))
            try:
                v = evaluate(node, ov)
                value = v if type(v) is Fraction else None
            except (NotRational, Unverifiable):
                value = None
            if ov and value is not None:
                # "4548 / 2250 = 2 trips": the writer rounded; the repaired 4498 / 2250 is rounded the same way
                rounding = _writer_rounding(c)
                if rounding is not None:
                    value = rounding(value)
                tainted.add(i)
            elif not ov and c.stated_value is not None and (
                c.claim.status is _CORRECT or c.claim.rule == NOTATION
            ):
                # right as written (3.33 for 10/3), or as meant (50 ÷ 3 written 3 ÷ 50): the repair changes nothing
                value = c.stated_value
            elif not ov and value is not None and _whole_quotient(c, node):
                # "28 / 3 = 9 days": an unannounced whole quotient is a slip of saying, not of counting; the
                # repaired chain still counts 9 whole days (the finding stays)
                value = c.stated_value
        else:
            value = None
        if value is None:
            value = c.actual_value if c.actual_value is not None else c.stated_value
        if value is not None:
            repaired[i] = value
            if c.claim.status is _WRONG and c.claim.rule != NOTATION and not same(value, c.stated_value):
                tainted.add(i)
            if clean and (not same(value, c.stated_value) or tainted):
                clean = False
        if c.claim.kind == "inline" and c.claim.stated_span is not None:
            by_start = sides_at.get(id(c.formula))
            if by_start is None:
                by_start = sides_at[id(c.formula)] = {}
                for sd in c.formula.sides:
                    by_start.setdefault(sd.start, []).append(sd)
            stated_side = next((sd for sd in by_start.get(c.claim.stated_span[0], ())
                                if sd is not c.computation), None)
            if stated_side is not None:
                carried[id(stated_side)] = i
    # map back to the caller's indexing
    return Repair({order[i]: v for i, v in repaired.items()}, flows)


def _source(c: Checked) -> Node:
    """What a claim's value is computed from: its own computation, or, in ``a = b = c`` where the first
    side is the computation and equals the stated result (``2 * 12 * 3/4 = 24/4 = 18``), the first side:
    a false middle link does not change what the chain carries on."""
    comp = c.computation
    assert comp is not None and comp.node is not None
    sides = c.formula.sides
    first = sides[0]
    if (len(sides) >= 3 and comp is not first and first.node is not None and not first.is_literal
            and c.stated_value is not None):
        try:
            if evaluate(first.node) == c.stated_value:
                return first.node
        except (NotRational, Unverifiable):
            pass
    return comp.node


def _whole_quotient(c: Checked, node: Node) -> bool:
    """A division of whole numbers stated as its whole part (floor) or rounded up: a count of whole things."""
    stated, actual = c.stated_value, c.actual_value
    if node[0] != "div" or stated is None or actual is None or stated.denominator != 1 or actual.denominator == 1:
        return False
    return stated in (math.floor(actual), math.ceil(actual))


def _writer_rounding(c: Checked) -> Callable[[Fraction], Fraction] | None:
    """How the writer rounded a result (to an integer, down, up, or to d decimals), when they did."""
    stated, actual = c.stated_value, c.actual_value
    if stated is None or actual is None or equal(stated, actual):
        return None
    m = re.search(r"\.(\d+)\s*$", c.claim.stated)
    digits = len(m.group(1)) if m else 0
    scale = 10**digits
    if stated == Fraction(round(actual * scale), scale):
        return lambda v: Fraction(round(v * scale), scale)
    if digits == 0 and stated == math.floor(actual):
        return lambda v: Fraction(math.floor(v))
    if digits == 0 and stated == math.ceil(actual):
        return lambda v: Fraction(math.ceil(v))
    return None


"""Literal start offset → repaired value, for the literals a computation uses (recording the flows)."""


def _repair_derived(
    c: Checked, link: Link, start_poly: dict[int, PolyValue | None], overrides: _Overrides
) -> Fraction | None:
    """A line of a derivation: solve the repaired first line of its derivation for the stated letter."""
    start = link.start or link
    if link.formula.kind == "continuation":
        # "= 100 + 46" / "= 146" under an expression: every line is the first one's value, repaired
        first = start.formula.sides[-1]
        if first.node is not None:
            try:
                v = evaluate(first.node, overrides.of(literals(first.node), start.formula.step))
                if type(v) is Fraction:
                    return v
            except (NotRational, Unverifiable):
                pass
    key = id(start)
    if key not in start_poly:
        f = start.formula
        poly: PolyValue | None = None
        if len(f.sides) == 2 and all(s.node is not None for s in f.sides):
            try:
                lits = literals(f.sides[0].node) + literals(f.sides[1].node)  # type: ignore[arg-type]
                ov = overrides.of(lits, f.step)
                left = evaluate(f.sides[0].node, ov)  # type: ignore[arg-type]
                right = evaluate(f.sides[1].node, ov)  # type: ignore[arg-type]
                poly = subtract(left, right)
            except (NotRational, Unverifiable):
                poly = None
        start_poly[key] = poly
    poly = start_poly[key]
    f = link.formula
    if poly is not None and len(f.sides) == 2:
        for side, other in ((f.sides[0], f.sides[1]), (f.sides[1], f.sides[0])):
            node = side.node
            if node is not None and node[0] == "sym" and is_value(other):
                return solve_linear(poly, node[1])
    if c.claim.status is _WRONG:
        return c.actual_value
    return None
