"""A name given an irrational value, then rewritten line by line: each line must keep the value.

``GM = \\sqrt[5]{-25920000}``, then ``GM = \\sqrt[5]{-1 \\cdot 3^6 \\cdot 2^6 \\cdot 5^2}``, then
``GM = -2 \\cdot 3 \\cdot 5^{2/5}``: competition chains simplify surds and powers one line at a time under one
name, and a slip there changes the value the name holds. ``derive`` follows rewrites exactly (polynomials with
rational coefficients) and so cannot see these; here the two values are compared to 60 digits
(``Side.approximate``). Only where ``derive`` could not: at least one of the two sides is irrational.

Apart from ``derive`` because it reads a different structure: the name on the left (a letter, or a word such as
``GM`` or ``AB`` that the formula's left side was cut at), not the equation as a polynomial.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

from .arith import BREAK, Unverifiable, has_unknowns, leaves, parse_tokens, tokenize
from .check import Checked
from .derive_forms import _is_normal, says_anew, without_sign
from .derive_links import _value, says_connected
from .extract import Formula, Side, split_sides
from .model import Claim, ClaimStatus

_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

_NAMED_LINE_RE: Final = re.compile(
    r"[ \t]*+(?:\$\$?|\\\(|\\\[)?[ \t]*+((?:\\[a-zA-Z]+|[A-Za-z]){1,3}(?:_\{?\w+\}?)?)[ \t]*+=(?![=<>])"
)
"""A line that opens by giving a name a value: ``$GM = …``, ``\\(AB = …``, ``x_1 = …``."""
_RELATIVE: Final = Fraction(1, 10**9)
_CLOSERS: Final = frozenset({"$", "$$", "\\]", "\\)", ".", ",", ";"})
"""What may follow a value at the end of its line: a closing delimiter, a full stop."""


class _Named:
    """One ``NAME = value [= …]`` line: where it is, its name, and the sides of its chain that could be read."""

    __slots__ = ("end", "line", "name", "sides", "start", "step", "value")

    def __init__(self, step: int, line: int, start: int, end: int, name: str, sides: list[Side]) -> None:
        self.step, self.line, self.start, self.end, self.name = step, line, start, end, name
        self.sides = sides
        self.value = sides[0]


def _named(text: str, step: int, line: int, start: int, end: int) -> _Named | None:
    """A line ``NAME = value [= …]`` read; None for other lines."""
    m = _NAMED_LINE_RE.match(text, start, end)
    if m is None:
        return None
    tokens = tokenize(text[m.end() : end], m.end())
    if sum(1 for t in tokens if t.kind == BREAK and t.text == m.group(1)) or text.count(m.group(1) + " =", m.end(), end):
        return None  # "y = 0 or y = −√(1/34)": the line lists values of the name, it rewrites none
    read: list[Side] = []
    for value in split_sides(tokens)[0]:
        while value and value[-1].kind == BREAK:
            if value[-1].text not in _CLOSERS:
                return None  # "m = 1000 \": cut off, or running into words
            value = value[:-1]  # the closing "$" or "\]", a full stop
        if not value or any(t.kind == BREAK for t in value):
            break  # words inside the value: prose, not a value we can follow
        side = Side(value, value[0].start, value[-1].end)
        try:
            side.node = parse_tokens(value)
        except (Unverifiable, RecursionError):
            break
        read.append(side)
    return _Named(step, line, start, end, m.group(1), read) if read else None


def _same(a: Fraction | None, b: Fraction) -> bool:
    return a is not None and abs(a - b) <= _RELATIVE * max(abs(a), abs(b), Fraction(1))


def _next_to(text: str, before: _Named, named: _Named) -> bool:
    """Is ``named`` the line right below ``before`` (blank lines and display delimiters aside), or one below a
    line that only announces the rewrite ("We can simplify this by factoring out the perfect powers:")?
    Anything else between ("If we try a radius of 10 meters:") makes it a new value, not a rewrite."""
    if named.line == before.line + 1:
        return True
    if named.line != before.line + 2:
        return False
    between = text[before.end : named.start]
    return says_connected(between) and not says_anew(between)


def _single_term(side: Side) -> bool:
    """``2\\sqrt{2}``, ``-\\sqrt{5}``, ``5^{2/5}``: a number times one root or power, nothing left to simplify."""
    node = side.node
    if node is None:
        return False
    node = without_sign(node)
    if node[0] == "mul" and node[1][0] == "num":
        node = node[2]
    return node[0] == "num" or (node[0] in ("sqrt", "pow") and all(
        isinstance(c, tuple) and c[0] in ("num", "paren", "div", "neg") and not has_unknowns(c)
        for c in node[1:] if c is not None) and len(leaves(node)) <= 3)


def _numeric(side: Side) -> bool:
    return side.node is not None and not has_unknowns(side.node)


def _sign_swapped(a: Side, b: Side) -> bool:
    """``x = 2 + √3`` then ``x = 2 − √3``, ``y = √(1/34)`` then ``y = −√(1/34)``: the other root, not a rewrite."""
    ta, tb = [t.text for t in a.tokens], [t.text for t in b.tokens]
    if ta[1:] == tb and ta[:1] in (["-"], ["−"]) or tb[1:] == ta and tb[:1] in (["-"], ["−"]):
        return True
    if len(ta) != len(tb):
        return False
    diff = [(x, y) for x, y in zip(ta, tb) if x != y]
    return len(diff) == 1 and set(diff[0]) <= {"+", "-", "−", "\\pm", "\\mp"}


def restated_names(rows: list[tuple[int, int, int, int]], text: str, rule: str) -> list[Checked]:
    """Each line (``rows``: step, line number, start, end) that rewrites a name's irrational value to another
    value, as a wrong claim."""
    out: list[Checked] = []
    last: dict[str, _Named] = {}
    # the names first (a match, no tokens): only a line with the same name one or two lines away is read
    names = [(row, m.group(1)) for row in rows if (m := _NAMED_LINE_RE.match(text, row[2], row[3])) is not None]
    paired = {k for k in range(len(names)) for j in (k - 2, k - 1, k + 1, k + 2)
              if 0 <= j < len(names) and names[j][1] == names[k][1] and abs(names[j][0][1] - names[k][0][1]) <= 2}
    for k, ((step, line, start, end), _) in enumerate(names):
        if k not in paired:
            continue
        named = _named(text, step, line, start, end)
        if named is None:
            continue
        before = last.get(named.name)
        last[named.name] = named
        if before is None:
            continue
        old, new = before.value, named.value
        if (not _next_to(text, before, named) or not _numeric(old) or not _numeric(new) or _is_normal(old)
                or (_single_term(old) and named.line != before.line + 1) or _sign_swapped(old, new)):
            # (a value with nothing left to simplify is rewritten only on the very next line: with words
            # between, the next line gives the name its next value)
            continue
        exact_old, exact_new = _value(old), _value(new)
        if type(exact_old) is Fraction and type(exact_new) is Fraction:
            continue  # both rational: ``derive`` follows it exactly
        a, b = old.approximate(), new.approximate()
        if a is None or b is None or any(_same(side.approximate(), b) for side in before.sides):
            continue  # the value one of the line above's sides gives (or nothing to compare)
        span = (new.start, new.end)
        claim = Claim(
            step=step, span=span, text=text[start:end].strip(), stated=text[new.start : new.end],
            actual=f"≈{float(a):.10g}", status=_WRONG, kind="rewrite", rule=rule,
            reason=f"rewrites {named.name} of the line above to another value", stated_span=span,
        )
        formula = Formula(step, line, "rewrite", [new], [], new.start, new.end)
        out.append(Checked(claim, formula, None, None, None, span[0]))
    return out
