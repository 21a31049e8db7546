"""Re-check each formula exactly: rationals first, sympy objects for the rest, never floats.

A stated decimal with d digits is right when it is the true value rounded to d digits; an integer
stated for a non-integer is wrong unless its line marks it approximate; calculator float noise
(``14.999999999999998``) is the value it approximates. What cannot be parsed or evaluated within
bounds is ``unverifiable`` with a reason, never "correct".

This module checks whole formulas (each adjacent pair of sides, a chain's links, a GSM8K annotation) and
turns each verdict into a claim; one pair is compared in ``compare`` (the verdict type in ``pair_check``),
the readings of precision that can make a stated number right are in ``readings``, and sides with letters
are decided in ``letters``. Their public names are importable from here as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from .arith import APPROX, format_value
from .compare import check_pair
from .extract import Formula, Side
from .letters import (
    IDENTITY_FAILS,
    LETTERS_CANCEL,
    _claims_identity,
    _expands,
    _has_letter,
    _relation_stated,
    _same_letters_throughout,
    _shared_sums,
    cancels_to,
    holds_given_earlier,
)
from .model import Claim, ClaimStatus
from .native_attrs import mypyc_attr
from .pair_check import PairCheck, _unverifiable, side_value
from .readings import _announced, literal_matches
from .rules import RuleSet

_CORRECT: Final = ClaimStatus.CORRECT
_WRONG: Final = ClaimStatus.WRONG
_UNVERIFIABLE: Final = ClaimStatus.UNVERIFIABLE
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

__all__ = [
    "IDENTITY_FAILS",
    "LETTERS_CANCEL",
    "ROUNDING",
    "Checked",
    "PairCheck",
    "cancels_to",
    "check_annotation",
    "check_formula",
    "check_pair",
    "literal_matches",
    "side_value",
]


@mypyc_attr(acyclic=True)
@dataclass(slots=True, init=False)
class Checked:
    """A claim together with what the trace stage needs: its computation and both values."""

    claim: Claim
    formula: Formula
    computation: Side | None
    """The side that was computed (whose literals are the operands)."""
    stated_value: Fraction | None
    """The value the text asserts, which later steps may reuse."""
    actual_value: Fraction | None
    position: int
    restated: bool
    """A false equation that only restates the false one right before it (no new slip)."""

    # explicit ``__init__``: see ``Token``'s (the compiled engine would call ``dataclass``'s through the interpreter)
    def __init__(self, claim: Claim, formula: Formula, computation: Side | None, stated_value: Fraction | None,
                 actual_value: Fraction | None, position: int, restated: bool = False) -> None:
        self.claim = claim
        self.formula = formula
        self.computation = computation
        self.stated_value = stated_value
        self.actual_value = actual_value
        self.position = position
        self.restated = restated


def check_formula(formula: Formula, text: str, rules: RuleSet, rule: str) -> list[Checked]:
    """Check each adjacent pair of a formula's sides; pairs with letters are left to ``derive``."""
    out: list[Checked] = []
    sides = formula.sides
    identity_chain = _same_letters_throughout(formula) if len(sides) >= 3 else None
    for i in range(len(sides) - 1):
        left, right = sides[i], sides[i + 1]
        if formula.kind == "continuation" and i == 0:
            continue  # compared with the line above by ``derive``
        if i == 0 and len(sides) >= 3 and left.is_literal and not right.is_literal:
            # "Remaining 10 = 62,300/10 = 6,230": a bare number before a computation can be a label;
            # it is one when the computation agrees with what follows and not with it
            status3 = check_pair(formula, right, sides[2], formula.relations[1], rules).status
            status1 = check_pair(formula, left, right, formula.relations[0], rules).status
            if status3 is _CORRECT and status1 is _WRONG:
                continue
        # whether the text claims an identity matters only to sides with letters (``check_pair`` reads it nowhere else)
        identity = (_has_letter(left) or _has_letter(right)) and _claims_identity(formula, i, identity_chain)
        pair = check_pair(formula, left, right, formula.relations[i], rules, identity)
        if (pair.reason == IDENTITY_FAILS and i == 0 and identity_chain and not _expands(left, right)
                and not _shared_sums(left, right) and _rest_of_chain_holds(formula, rules, identity_chain)):
            # "2^{2^k} = 2^{27}·2^k = 2^{27+k}", "nμ + 11 = (n+1)(μ+1) = nμ + μ + n + 1": an equation set up, and
            # its right side then rewritten (every later link holds); only a chain that goes on rewriting a
            # false first link claims it as an identity
            pair = _unverifiable(pair.computed or left, pair.stated, pair.stated_text,
                                 "an equation the chain then rewrites: its later links hold")
        if pair.reason == IDENTITY_FAILS and holds_given_earlier(text, left.start, left, right):
            # 1/a + 1/b = (a + b)/(ab) = 3/(ab) after "a + b = 3": a substitution of what the text established
            pair = _unverifiable(pair.computed or left, pair.stated, pair.stated_text,
                                 "holds where the letters satisfy an equation stated above: a substitution")
        if pair.reason == IDENTITY_FAILS and _relation_stated(text, formula.start, left, right):
            # α^4 = 3α^3 − 4α^2 + α uses α^3 = 3α^2 − 4α + 1, stated above: not an identity of its own
            pair = _unverifiable(pair.computed or left, pair.stated, pair.stated_text,
                                 "may use a relation between its letters stated earlier")
        if pair.status is _WRONG and i >= 1 and APPROX in formula.relations:
            # 18π ≈ 18 × 3.14159 ≈ 56.54866: an approximation is of the first side, not of the last one
            for earlier in sides[:i]:
                first = check_pair(formula, earlier, right, APPROX, rules)
                if first.status is _CORRECT:
                    pair = first
                    break
        if pair.status is _WRONG and _counted_in_lots(formula, right, pair):
            # "$27,000 / $500 = 54 = 5400 books" after "100 books for $500": 54 lots of 100 books, in books
            pair = _unverifiable(pair.computed or left, pair.stated, pair.stated_text,
                                 "a change of unit: counted in lots the line gives")
        if pair.status is _UNVERIFIABLE and pair.reason == "has letters":
            continue
        if pair.status is _UNVERIFIABLE and (left.node is None) and (right.node is None):
            continue  # neither side is arithmetic: words around an "=", not a claim
        span = (left.start, right.end)
        stated_side = pair.stated
        claim = Claim(
            step=formula.step,
            span=span,
            text=text[span[0] : span[1]],
            stated=text[stated_side.start : stated_side.end] if stated_side.tokens else pair.stated_text,
            actual=pair.actual_text,
            status=pair.status,
            kind=formula.kind,
            rule=("unverifiable" if pair.status is _UNVERIFIABLE
                  else ROUNDING if pair.status is _WRONG and _unannounced_rounding(pair, rules) else rule),
            reason=pair.reason,
            stated_span=(stated_side.start, stated_side.end),
        )
        out.append(Checked(claim, formula, pair.computed, pair.stated_value, pair.actual_value, span[0]))
    return out


def _counted_in_lots(formula: Formula, stated: Side, pair: PairCheck) -> bool:
    """Is the stated number the computed one times a lot size the line gives in the stated side's unit
    (``54 = 5400 books`` where the line says "100 books for $500")? A change of unit, not arithmetic."""
    unit, context = stated.unit, formula.context
    if not unit or context is None or pair.stated_value is None or not pair.actual_value:
        return False
    ratio = pair.stated_value / pair.actual_value
    if ratio.denominator != 1 or ratio <= 1:
        return False
    given = context.line[: max(0, formula.start - context.start)]  # before the formula: not its own result
    return re.search(rf"(?<![\d.,]){ratio.numerator}\s+{re.escape(unit)}\b", given) is not None


def _rest_of_chain_holds(formula: Formula, rules: RuleSet, identity_chain: bool) -> bool:
    """Does every link of a chain after the first hold as an identity?"""
    sides = formula.sides
    return all(
        check_pair(formula, sides[k], sides[k + 1], formula.relations[k], rules,
                   _claims_identity(formula, k, identity_chain)).status is _CORRECT
        for k in range(1, len(sides) - 1)
    )


ROUNDING: Final = "rounding"
"""The rule of a result rounded without saying so (``35 / 15 = 2 sets``, ``74 / 30 = 2.4``): a slip of a milder
kind (``SLIP_POLICY.md``: ``rounding_unannounced``), its own rule so a rule set can weigh it apart."""


def _unannounced_rounding(pair: PairCheck, rules: RuleSet) -> bool:
    """A stated number within one unit of its last digit of the true value: rounded, not miscomputed."""
    if pair.actual_value is None or not pair.stated.is_literal or pair.stated_value == pair.actual_value:
        return False
    return literal_matches(pair.actual_value, pair.stated, True, rules)


def check_annotation(formula: Formula, text: str, rules: RuleSet) -> list[Checked]:
    """A GSM8K annotation ``<<expr=result>>`` and, when it differs, the number written after it."""
    lhs, rhs = formula.sides
    out = []
    ann_end = text.find(">>", lhs.start) + 2
    pair = check_pair(formula, lhs, rhs, formula.relations[0], rules)
    status, stated_text, actual_text, reason = pair.status, pair.stated_text, pair.actual_text, pair.reason
    computed, claimed, actual = pair.computed, pair.stated_value, pair.actual_value
    if status is _UNVERIFIABLE and reason == "has letters":
        reason = "letters in a calculator annotation"
    span = (formula.start, ann_end)
    inner = text[lhs.start : rhs.end]
    visible = formula.visible
    stated_value = claimed
    if visible is not None:
        stated_value = visible.value
    out.append(
        Checked(
            Claim(formula.step, span, inner, text[rhs.start : rhs.end] or stated_text, actual_text, status,
                  "annotation", "annotation" if status is not _UNVERIFIABLE else "unverifiable",
                  reason, (rhs.start, rhs.end)),
            formula, computed if computed is lhs else lhs, stated_value, actual, formula.start,
        )
    )
    if visible is not None and actual is not None and claimed is not None and visible.value != claimed:
        vside = Side([visible], visible.start, visible.end)
        vside.node = ("num", visible.value, visible)
        ok = literal_matches(actual, vside, False, rules) or (formula.approx_line and _announced(actual, vside, formula, rules))
        out.append(
            Checked(
                Claim(formula.step, (visible.start, visible.end), visible.text, visible.text,
                      format_value(actual), _CORRECT if ok else _WRONG,
                      "annotation_result", "annotation_result", None, (visible.start, visible.end)),
                formula, lhs, visible.value, actual, visible.start,
            )
        )
    return out
