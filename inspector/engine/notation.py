"""One consistent misreading is a notation habit, not a slip per line.

A Qwen2.5-Math chain lists the divisors of 50 as ``1 \\div 50 = 50``, ``2 \\div 50 = 25``, ``3 \\div 50
\\approx 16.67`` …: every value is right for 50 ÷ k, every line false as written. ``SLIP_POLICY.md``
records that as one ``notation`` slip. Here, when two or more wrong claims of a chain are each a single
``a ÷ b`` (or ``a − b``) whose value is right with the operands reversed, and no wrong claim of the same
operator in the chain is right neither way round, they become one ``notation`` finding (its own rule;
severity ``warning`` by default, so the verdict does not change) instead of an error per line, and the
values they state flow on as the values the writer meant.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Final

from .arith import Node, NotRational, Unverifiable, evaluate
from .check import Checked, literal_matches
from .extract import Side
from .model import ClaimStatus
from .rules import RuleSet

_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

RULE: Final = "notation"
MIN_CLAIMS: Final = 2
"""A single reversed claim is more often a real slip (``5 − 8 = 3``) than a habit."""


def _single_operation(node: Node) -> tuple[str, Node, Node] | None:
    """``a ÷ b`` or ``a − b`` with plain numbers on both sides, as (operator, a, b)."""
    if node[0] == "div" and node[1][0] == "num" and node[2][0] == "num":
        return "/", node[1], node[2]
    if node[0] == "add" and len(node[1]) == 2:
        (s1, a), (s2, b) = node[1]
        if s1 > 0 > s2 and a[0] == "num" and b[0] == "num":
            return "-", a, b
    return None


def _reversed_value(op: str, a: Node, b: Node) -> Fraction | None:
    try:
        v = evaluate(("div", b, a) if op == "/" else ("add", [(1, b), (-1, a)]))
    except (NotRational, Unverifiable):
        return None
    return v if type(v) is Fraction else None


def find_notation(checked: list[Checked], rules: RuleSet) -> tuple[list[Checked], list[list[Checked]]]:
    """The claims with the wrong ones that share one reversed-operand habit re-marked, and those groups.

    Re-marked claims keep ``WRONG`` (false as written) under the rule ``notation``; their stated value is
    what later steps use.
    """
    by_op: dict[str, list[int]] = {}
    broken: set[str] = set()
    literal_sides: dict[int, list[Side]] = {}
    """A formula's bare-number sides, in order, found once per formula: ``a = b = c …`` chains have hundreds."""
    for i, c in enumerate(checked):
        if c.claim.status is not _WRONG or c.claim.kind != "inline":
            continue
        comp = c.computation
        if comp is None or comp.node is None:
            continue
        found = _single_operation(comp.node)
        if found is None:
            continue
        op, a, b = found
        value = _reversed_value(op, a, b)
        literal = literal_sides.get(id(c.formula))
        if literal is None:
            literal = literal_sides[id(c.formula)] = [s for s in c.formula.sides if s.is_literal]
        other = next((s for s in literal if s is not comp), None)
        if value is not None and other is not None and literal_matches(value, other, True, rules):
            by_op.setdefault(op, []).append(i)
        else:
            broken.add(op)
    out = list(checked)
    groups: list[list[Checked]] = []
    for op, indices in by_op.items():
        if op in broken or len(indices) < MIN_CLAIMS:
            continue
        group = []
        for i in indices:
            c = out[i]
            out[i] = Checked(replace(c.claim, rule=RULE, reason="right with the operands reversed: a notation habit"),
                             c.formula, c.computation, c.stated_value, c.stated_value, c.position)
            group.append(out[i])
        groups.append(group)
    return out, groups
