"""Rounding the text announces: "Rounding to the nearest hundredth, … is 1.39" must round what it rounds
("rounding up" to the next value, "down" to the one below, else to the nearest).

``\\frac{60}{43} \\approx 1.3953``, then "Rounding to the nearest hundredth, the time … is: \\boxed{1.39}": the
writer says which rounding it does, to which value (the decimal right before, or the one it names), and the
result is checked: 1.3953 to the nearest hundredth is 1.40. A value with no more digits than the rounding
keeps (nothing to round) is not read: the text may be rounding something else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Final

from .check import Checked
from .extract import Formula, Side
from .model import Claim, ClaimStatus

_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

_PLACES: Final = {"whole number": 0, "integer": 0, "unit": 0, "dollar": 0, "tenth": 1, "cent": 2, "hundredth": 2,
           "thousandth": 3, "ten-thousandth": 4}
_NUMBER: Final = r"-?\d+(?:\.\d+)?"
_ROUNDING_RE: Final = re.compile(
    r"(?i)\bround(?:ing|ed|s)?\s+(?:(?:it|this|that|the\s+\w+)\s+|\$?\\?\(?\s*(?P<value>" + _NUMBER + r")\s*\\?\)?\$?\s+)?"
    r"(?:(?P<direction>up|down)\s+)?to\s+the\s+nearest\s+(?P<place>whole\s+number|integer|unit|dollar|tenth|cent|"
    r"hundredth|thousandth|ten-thousandth)s?\b"
)
_DECIMAL_RE: Final = re.compile(r"(?<![\d.])(" + _NUMBER + r")(?!\d|\.\d)")
_LOOK_BACK: Final = 300
_LOOK_AHEAD: Final = 200


def _decimals(number: str) -> int:
    return len(number.split(".", 1)[1]) if "." in number else 0


def rounding_said(text: str, rule: str, step_at: Callable[[int], int]) -> list[Checked]:
    """Each announced rounding whose result is not what the rounding gives, as a wrong claim (``step_at``: the
    step an offset is in)."""
    out: list[Checked] = []
    if "nearest" not in text:
        return out
    for m in _ROUNDING_RE.finditer(text):
        places = _PLACES[re.sub(r"\s+", " ", m.group("place").lower())]
        if m.group("value") is not None:
            rounded_from, at = m.group("value"), m.start("value")
        else:
            before = list(_DECIMAL_RE.finditer(text, max(0, m.start() - _LOOK_BACK), m.start()))
            if not before:
                continue
            rounded_from, at = before[-1].group(1), before[-1].start(1)
        if _decimals(rounded_from) <= places:
            continue  # nothing to round: not the value this rounding is of
        after = _DECIMAL_RE.search(text, m.end(), min(len(text), m.end() + _LOOK_AHEAD))
        if after is None:
            continue
        stated = after.group(1)
        if _decimals(stated) > places:
            continue  # more digits than the rounding keeps: not its result
        try:
            value, said = Decimal(rounded_from), Decimal(stated)
            quantum = Decimal(1).scaleb(-places)
            direction = (m.group("direction") or "").lower()
            modes = ([ROUND_CEILING] if direction == "up" else [ROUND_FLOOR] if direction == "down"
                     else [ROUND_HALF_UP, ROUND_HALF_DOWN])
            right = {value.quantize(quantum, rounding=mode) for mode in modes}
        except InvalidOperation:
            continue
        if said in right or abs(said - value) > quantum:
            continue  # right, or too far off to be this rounding's result (another number of the sentence)
        step = step_at(after.start())
        span = (after.start(1), after.end(1))
        true = min(right)
        claim = Claim(
            step=step, span=span, text=text[at : after.end(1)], stated=stated, actual=str(true),
            status=_WRONG, kind="inline", rule=rule,
            reason=f"{rounded_from} to the nearest {m.group('place').lower()} is {true}", stated_span=span,
        )
        side = Side([], span[0], span[1])
        formula = Formula(step, 0, "inline", [side], [], span[0], span[1])
        out.append(Checked(claim, formula, None, Fraction(str(said)), Fraction(str(true)), span[0]))
    return out

