"""False equations across lines: a false equation restated in another form is no new slip, and one the text
tried and rejected a few lines below (``1 = √9 + 4``, ``1 = 3 + 4``, ``1 ≠ 7``) is none at all.

Apart from `pipeline` because these read a run of lines at once, after each claim was checked on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Final

from .answer_match import numeric_value
from .arith import has_unknowns, symbols_of
from .check import LETTERS_CANCEL, Checked, cancels_to
from .extract import Formula
from .intent import asserts, neq_sides, rejected_below
from .model import ClaimStatus
from .rational import within

_WRONG: Final = ClaimStatus.WRONG
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""


def _side_values(f: Formula) -> list[Fraction] | None:
    """The distinct values of a formula's sides (to twelve significant digits), in order; None when a
    side has letters or cannot be evaluated."""
    values: list[Fraction] = []
    for side in f.sides:
        if side.node is None or has_unknowns(side.node):
            return None
        v = side.approximate()
        if v is None:
            return None
        if not any(_close(v, w) for w in values):
            values.append(v)
    return sorted(values)


_TWELVE_DIGITS: Final = Fraction(1, 10**12)


def _close(a: Fraction, b: Fraction) -> bool:
    return within(a, b, _TWELVE_DIGITS)  # (a == b is within any tolerance)


def _written(f: Formula) -> str:
    return "".join(t.text for side in f.sides for t in side.tokens)


_RESTATED: Final = "restates the false equation of the line above in another form: no new slip"
_CANCELLED: Final = "the letters of the line above cancel and leave this false equation: where it led, no new slip"


def restated_false_equations(claims: list[Checked], formulas: list[Formula],
                              next_line: Callable[[int], str | None] | None = None) -> list[tuple[Checked, str]]:
    """False inline equations that only restate a false equation right above them, each with why.

    ``1 = √2·∛2·∜2``, then ``1 = 2^{1/2}·2^{1/3}·2^{1/4}``, then ``2^0 = 2^{13/12}``: each line is a right
    rewrite of the one above, which was already false; only the first is the slip ("using a wrong value
    computed earlier, correctly" is not one). ``y = y·2^{-5/12}`` then ``1 = 2^{-5/12}``: the letters cancelled
    and what is left is false because the line above is. The same equation written again word for word is a
    computation done again, and stays a slip; a false equation the text only tried (``1 = √9 + 4``, a trial)
    starts no series, so affirming it later ("this confirms 1 = 7") is still the slip. Marks them
    (``Checked.restated``).

    A test the text sets up (``26^2 = 14^2 + 24^2 − 2·14·24·½``: the known value first), restated down to
    ``676 = 436`` and then affirmed ("This equation is true") is one slip too, but where the text affirms it:
    setting up a test is no slip (``SLIP_POLICY``), declaring its false result true is. Then the last line of
    the run is the slip and the first one a note.
    """
    wrong = {id(c.formula): c for c in claims
             if c.claim.status is _WRONG and c.claim.kind == "inline" and c.claim.rule != "contradiction"
             and len(c.formula.sides) >= 2}
    if not wrong:
        return []
    restated: list[tuple[Checked, str]] = []
    series: tuple[list[Fraction], Formula] | None = None  # the false equation being restated, its last line
    runs: list[list[Checked]] = []  # each series's false claims, in order
    above: Formula | None = None
    for f in formulas:
        if f.kind not in ("inline", "continuation"):
            continue
        prev, above = above, f
        c = wrong.get(id(f))
        if series is None:
            if c is None:
                continue
            values = _side_values(f)
            if values is None or len(values) < 2:
                continue
            if prev is not None and f.line - prev.line <= 4 and _cancelled_from(prev, f):
                c.restated = True
                restated.append((c, _CANCELLED))
            series = (values, f)
            runs.append([c])
            continue
        values = _side_values(f)
        last = series[1]
        same = (values is not None and f.line - last.line <= 8 and len(values) == len(series[0])
                and all(_close(v, w) for v, w in zip(values, series[0])))
        if same and _written(f) != _written(last):
            if c is not None:
                c.restated = True
                restated.append((c, _RESTATED))
                runs[-1].append(c)
            series = (series[0], f)
        elif c is not None and values is not None and len(values) >= 2:
            series = (values, f)
            runs.append([c])
        else:
            series = None
    if next_line is not None:
        for run in runs:
            first, final = run[0], run[-1]
            if (len(run) >= 2 and not first.restated
                    and asserts(next_line(final.formula.line))):
                final.restated = False
                restated = [(c, why) for c, why in restated if c is not final]
                first.restated = True
                restated.append((first, _TEST_AFFIRMED))
    return restated


_TEST_AFFIRMED: Final = "a test the text sets up; the slip is where it declares the false result true, below"


def _cancelled_from(prev: Formula, f: Formula) -> bool:
    """Is the numeric equation ``f`` what the letters of ``prev``, an equation with letters, cancel to?"""
    if len(prev.sides) < 2 or len(f.sides) != 2:
        return False
    left, right = prev.sides[0].node, prev.sides[-1].node
    a, b = f.sides[0].node, f.sides[1].node
    if left is None or right is None or a is None or b is None or not (symbols_of(left) | symbols_of(right)):
        return False
    va, vb = f.sides[0].approximate(), f.sides[1].approximate()
    if va is None or vb is None or max(abs(va), abs(vb)) > 10**300:
        return False
    return cancels_to(left, right, float(va), float(vb))


_TRIAL_REJECTED: Final = "a false equation the text tests and rejects below it (≠, \"not a solution\"): not a slip"
_REJECTED_AGAIN: Final = "the false equation the text rejected above, written again: not a slip"
_SERIES_GAP: Final = 4
"""How many lines apart two lines of one run of restatements may be (display delimiters between them)."""


def rejected_trials(claims: list[Checked], formulas: list[Formula], next_line: Callable[[int], str | None],
                    why: Callable[[Checked, str], Checked]) -> list[Checked]:
    """``1 = √(11 − 2·1) + 4``, ``1 = √9 + 4``, ``1 = 3 + 4``, then ``1 ≠ 7`` or "So x = 1 is not a solution":
    a false equation, restated line by line until the text rejects it, is a test (``SLIP_POLICY``: equations
    the text sets up to test or reject are no slips). Each false claim of such a run becomes ``why(c, reason)``;
    a run the text goes on to affirm ("so x = 1 is a solution") stays a slip."""
    wrong: dict[int, list[int]] = {}
    for i, c in enumerate(claims):
        if (c.claim.status is _WRONG and c.claim.kind == "inline" and c.claim.rule != "contradiction"
                and len(c.formula.sides) >= 2):
            wrong.setdefault(id(c.formula), []).append(i)
    if not wrong:
        return claims
    out = list(claims)
    rejected: set[str] = set()
    run: list[Formula] = []
    values: list[Fraction] = []

    for f in formulas:
        if f.kind not in ("inline", "continuation"):
            continue
        these = _side_values(f)
        if (run and these is not None and f.line - run[-1].line <= _SERIES_GAP and len(these) == len(values)
                and all(_close(v, w) for v, w in zip(these, values))):
            if f.line == run[-1].line or not _rejects_below(run, values, out, wrong, next_line):
                run.append(f)
                continue
            _mark_run(run, True, rejected, out, wrong, why, next_line)  # rejected, then written again: a run of its own
            run = []
        if run:
            _mark_run(run, _rejects_below(run, values, out, wrong, next_line), rejected, out, wrong, why, next_line)
            run = []
        if id(f) in wrong and these is not None and len(these) >= 2:
            run, values = [f], these
    if run:
        _mark_run(run, _rejects_below(run, values, out, wrong, next_line), rejected, out, wrong, why, next_line)
    return out


# (functions of their own, not nested in ``rejected_trials``: ``native_attrs``)
def _rejects_below(run: list[Formula], values: list[Fraction], claims: list[Checked], wrong: dict[int, list[int]],
                   next_line: Callable[[int], str | None]) -> bool:
    """Does the text reject the run's equation right below its last line?"""
    line = next_line(run[-1].line)
    sides = neq_sides(line) if line is not None else None
    found = [numeric_value(side) for side in sides] if sides is not None else []
    # "1 ≠ 7" with the two values of the run: the text says they differ, so it never claimed them equal
    says = bool(found) and all(any(v is not None and _close(v, w) for v in found) for w in values)
    return says or rejected_below(line, _states_first(claims[wrong[id(run[0])][0]]))


def _mark_run(run: list[Formula], rejects: bool, rejected: set[str], out: list[Checked], wrong: dict[int, list[int]],
              why: Callable[[Checked, str], Checked], next_line: Callable[[int], str | None]) -> None:
    """Mark the false claims of a run that ends here as trials, where the text rejects it below or rejected it above
    (and remember a rejected run's equations, as written)."""
    if rejects:
        reason = _TRIAL_REJECTED
        rejected.update(_written(f) for f in run)
    elif any(_written(f) in rejected for f in run) and not asserts(next_line(run[-1].line)):
        reason = _REJECTED_AGAIN  # "1^2 + 3^2 = 2^2 + 4^2" set up again after "this equation is not correct"
    else:
        return
    for f in run:
        for i in wrong.get(id(f), []):
            out[i] = why(out[i], reason)


def _states_first(c: Checked) -> bool:
    """A trial's form: the known value first, the side to work out after it (``1 = √9 + 4``)."""
    span = c.claim.stated_span
    return c.computation is not None and span is not None and (
        span[0] < c.computation.start or c.claim.reason == LETTERS_CANCEL or c.computation.is_literal)
