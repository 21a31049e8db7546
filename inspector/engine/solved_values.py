"""``±`` read where chains write it: a letter solved as ``±`` a value must solve the equations above it, and a
square root is never ``±`` anything.

A letter solved as ``±`` a value: ``k = \\pm 30`` must solve one of the equations in that letter just above.

``CG^2 = 53^2 + k^2 = 40^2``, ``DG^2 = 79^2 + k^2 = 30^2``, then "Solving for k, we get k = ±30": 30 satisfies
neither (each gives k² < 0). ``derive`` follows equations line to line as polynomials and does not read ``±``;
a ``±`` is how chains state the two roots of a square, so the value is put back into each equation in that one
letter written in the lines above (both signs), and it must satisfy at least one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from .arith import BREAK, Unverifiable, has_unknowns, parse_tokens, symbols_of, tokenize
from .check import Checked
from .extract import Formula, Side
from .float_eval import float_at as _float_at
from .latex_text import matching_brace
from .model import Claim, ClaimStatus
from .parse import Node
from .scan import matches_at, occurrences

_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

_PM_VALUE_RE: Final = re.compile(r"(?<![A-Za-z\\])(?P<name>[a-zA-Z])\s*=\s*(?:\\pm|±)\s*(?P<value>[^$,;=]{1,60}?)\s*(?=\$|\\\)|\\\]|,|;|\.\s|\.$|$)",
                          re.MULTILINE)


def _pm_value_starts(text: str) -> list[int]:
    """Every place a match of ``_PM_VALUE_RE`` can start (ascending): the letter that, past spaces, an ``=`` and spaces
    again, stands before a ``\\pm`` or ``±``. The pattern opens with a look-behind, and ``finditer`` tried it at every
    position of a chain (350 µs for the few chains with a ``±``); a match has one such letter, found from its sign
    back (``tests/test_scan.py`` holds the two equal)."""
    starts: list[int] = []
    for sign in occurrences(text, ("\\pm", "±")):
        k = sign - 1
        while k >= 0 and text[k].isspace():
            k -= 1
        if k < 0 or text[k] != "=":
            continue
        k -= 1
        while k >= 0 and text[k].isspace():
            k -= 1
        if k >= 0 and text[k].isascii() and text[k].isalpha():
            starts.append(k)
    return sorted(set(starts))


_LINES_ABOVE: Final = 8
_SOLVING_RE: Final = re.compile(r"(?i)\bsolv\w*|\bwe\s+(?:get|find|have|obtain)\b|\bgives?\b|\bso\b|\bthus\b|\bhence\b|"
                         r"\btherefore\b|square\s+root|\\implies|\\Rightarrow|⟹|⇒")
"""Words that say the value solves what is above ("Solving for k, we get k = ±30")."""
_NOT_SOLVING_RE: Final = re.compile(r"(?i)\b(?:substitut\w*|plug\w*|when|if|for\s+(?!\$?\\?\(?\s*[a-z]\b)|let|consider\w*|"
                             r"assum\w*|try\w*|check\w*)\b")
"""Words that make the value one the text puts in, not one it solved for ("Substituting x = −1/2 and y = ±…")."""


def _value_side(text: str, start: int, end: int) -> Side | None:
    tokens = tokenize(text[start:end], start)
    if not tokens or any(t.kind == BREAK for t in tokens):
        return None
    side = Side(tokens, tokens[0].start, tokens[-1].end)
    try:
        side.node = parse_tokens(tokens)
    except (Unverifiable, RecursionError):
        return None
    return side if side.node is not None and not has_unknowns(side.node) else None


def solved_values(formulas: list[Formula], text: str, rule: str, step_at: Callable[[int], int]) -> list[Checked]:
    """Each ``x = ±v`` whose v satisfies none of the equations in x alone of the lines above, as a wrong claim."""
    out: list[Checked] = []
    if "\\pm" not in text and "±" not in text:
        return out
    for m in matches_at(_PM_VALUE_RE, text, _pm_value_starts(text)):
        name = m.group("name")
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[line_start : m.start()].rstrip()
        if before and before[-1] in "+-*/=^)}0123456789−·×":
            continue  # "5 − a = ±3": the letter is part of an expression, not what is solved for
        sentence = re.split(r"[.!?]\s", before)[-1]
        if _SOLVING_RE.search(sentence) is None or _NOT_SOLVING_RE.search(sentence) is not None:
            continue
        side = _value_side(text, m.start("value"), m.end("value"))
        if side is None:
            continue
        value = side.approximate()
        if value is None or value == 0:
            continue
        line = text.count("\n", 0, m.start())
        above = [f for f in formulas if f.end <= m.start() and 0 < line - text.count("\n", 0, f.start) <= _LINES_ABOVE]
        equations = [(a.node, b.node) for f in above for a, b in zip(f.sides, f.sides[1:])
                     if a.node is not None and b.node is not None
                     and symbols_of(a.node) | symbols_of(b.node) == {name}
                     and a.node[0] != "sym" and b.node[0] != "sym"]  # (not "x = 0": a value, not an equation)
        # an identity in the letter ("(79 − 48)^2 + k^2 = 31^2 + k^2") holds for every value: it is solved by none
        equations = [(a, b) for a, b in equations if not (_holds(a, b, name, 7 / 3) and _holds(a, b, name, 11 / 5))]
        if not equations:
            continue
        if any(_holds(left, right, name, sign * float(value)) for left, right in equations for sign in (1, -1)):
            continue
        span = (m.start(), m.end("value"))
        claim = Claim(
            step=step_at(m.start()), span=span, text=text[span[0] : span[1]],
            stated=text[m.start("value") : m.end("value")], actual=None, status=_WRONG, kind="rewrite",
            rule=rule, reason=f"{name} = ±{float(value):.10g} satisfies none of the equations in {name} above",
            stated_span=(m.start("value"), m.end("value")),
        )
        formula = Formula(claim.step, line, "rewrite", [side], [], span[0], span[1])
        out.append(Checked(claim, formula, None, None, None, span[0]))
    return out


def _holds(left: Node, right: Node, name: str, value: float) -> bool:
    a, b = _float_at(left, {name: value}), _float_at(right, {name: value})
    return a is not None and b is not None and abs(a - b) <= 1e-7 * max(abs(a), abs(b), 1.0)



_ROOT_PM_RE: Final = re.compile(r"(?:^|=|\$|\\\(|\\\[)\s*\\sqrt\s*\{")
_SQRT_OPEN_RE: Final = re.compile(r"\\sqrt\s*\{")


def _roots_after_relations(text: str) -> list[re.Match[str]]:
    """``_ROOT_PM_RE.finditer(text)``, found from each ``\\sqrt`` back to what stands before it (the last character
    past the spaces): the pattern has no literal start, and the regular expression was tried at every position."""
    out: list[re.Match[str]] = []
    k = text.find("\\sqrt")
    while k >= 0:
        if _SQRT_OPEN_RE.match(text, k) is not None:
            j = k - 1
            while j >= 0 and text[j].isspace():
                j -= 1
            start = -1
            if j < 0:
                start = 0
            elif text[j] == "=" or text[j] == "$":
                start = j
            elif (text[j] == "(" or text[j] == "[") and j >= 1 and text[j - 1] == "\\":
                start = j - 1
            if start >= 0:
                m = _ROOT_PM_RE.match(text, start)
                if m is not None:
                    out.append(m)
        k = text.find("\\sqrt", k + 5)
    return out


def root_is_plus_minus(text: str, rule: str, step_at: Callable[[int], int]) -> list[Checked]:
    """``\\sqrt{\\frac{8}{9}} = \\pm \\frac{2\\sqrt{2}}{3}``: the square root sign means the root that is not
    negative; ``±`` belongs to solving ``x^2 = 8/9``, not to ``\\sqrt{8/9}`` (``SLIP_POLICY``: the principal root)."""
    out: list[Checked] = []
    if "\\sqrt" not in text or ("\\pm" not in text and "±" not in text):
        return out
    for m in _roots_after_relations(text):
        close = matching_brace(text, m.end() - 1)
        if close is None:
            continue
        after = re.match(r"\s*=\s*(?:\\pm|±)\s*", text[close + 1 : close + 40])
        if after is None:
            continue
        radicand = _value_side(text, m.end(), close)
        if radicand is None:
            continue
        value = radicand.approximate()
        if value is None or value <= 0:
            continue  # √0 = ±0 says nothing false; a negative radicand is another matter
        start = close + 1 + after.end()
        end = start
        while end < len(text) and text[end] not in "$\n,;" and not text.startswith("\\)", end) and not text.startswith("\\]", end):
            end += 1
        stated = text[start:end].rstrip(" .")
        span = (m.start() + (m.group(0).find("\\sqrt")), start + len(stated))
        claim = Claim(
            step=step_at(span[0]), span=span, text=text[span[0] : span[1]], stated="±" + stated,
            actual=None, status=_WRONG, kind="inline", rule=rule,
            reason="a square root is never negative: ± belongs to solving the square, not to the root",
            stated_span=(start, start + len(stated)),
        )
        formula = Formula(claim.step, 0, "inline", [radicand], [], span[0], span[1])
        out.append(Checked(claim, formula, None, None, None, span[0]))
    return out
