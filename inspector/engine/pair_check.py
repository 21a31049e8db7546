"""What comparing two sides of a formula concludes (``PairCheck``), and a side's exact value.

Its own module because three others build it: the comparison (``compare``), the sides with letters
(``letters``) and the formula-level checks (``check``); none of them has to import another for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from .arith import NotRational, Value, evaluate
from .extract import Side
from .model import ClaimStatus
from .native_attrs import mypyc_attr

_UNVERIFIABLE: Final = ClaimStatus.UNVERIFIABLE
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""


@mypyc_attr(acyclic=True)
@dataclass(slots=True, init=False)
class PairCheck:
    """What comparing two sides of a formula concluded (not changed once made; not frozen only because a frozen
    class cannot have the explicit ``__init__`` that keeps the compiled engine out of the interpreter, see
    ``Token``)."""

    status: ClaimStatus
    stated_text: str
    actual_text: str | None
    reason: str | None
    """Why the claim is unverifiable; or, for a right one, the reading that made it right."""
    computed: Side | None
    """The side that was computed (whose literals are the operands)."""
    stated_value: Fraction | None
    actual_value: Fraction | None
    stated: Side
    """The side that states the result."""

    def __init__(self, status: ClaimStatus, stated_text: str, actual_text: str | None, reason: str | None,
                 computed: Side | None, stated_value: Fraction | None, actual_value: Fraction | None,
                 stated: Side) -> None:
        self.status = status
        self.stated_text = stated_text
        self.actual_text = actual_text
        self.reason = reason
        self.computed = computed
        self.stated_value = stated_value
        self.actual_value = actual_value
        self.stated = stated


def side_value(side: Side) -> Value | None:
    """Exact value of a parsed side; ``None`` when it leaves the rationals (see ``exact_equal``)."""
    if side.node is None:
        return None
    try:
        return evaluate(side.node)
    except NotRational:
        return None


def _unverifiable(computed: Side, stated: Side, stated_text: str, reason: str, actual_text: str | None = None,
                  claimed: Fraction | None = None, actual: Fraction | None = None) -> PairCheck:
    return PairCheck(_UNVERIFIABLE, stated_text, actual_text, reason, computed, claimed, actual, stated)
