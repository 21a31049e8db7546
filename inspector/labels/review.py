"""What the chain view shows of a result, computed without a terminal: highlight marks and step details.

The TUI turns these into colours; tests check them as plain data. Marks are kinds, not styles, so
"could not check" stays a different thing from "wrong" whatever the theme.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..engine.answer import numeric_value
from ..engine.arith import format_value
from ..engine.model import ChainResult, Claim, ClaimStatus, Finding, Severity, ValueFlow, Verdict

__all__ = [
    "VERDICT_TITLES",
    "ClaimRow",
    "Mark",
    "StepDetail",
    "chain_marks",
    "difference",
    "repaired_path",
    "segments",
    "step_detail",
    "steps_with_errors",
]


class Mark(StrEnum):
    """What a stretch of chain text is, for highlighting."""

    CORRECT = "correct"
    """Inside a claim that checked out."""
    WRONG = "wrong"
    """Inside a claim that is wrong."""
    UNVERIFIABLE = "unverifiable"
    """Inside a claim that could not be checked."""
    STATED = "stated"
    """The wrong number itself (the stated part of a wrong claim)."""
    TAINTED = "tainted"
    """A later use of a value that was stated wrongly: where the error flows."""
    ANSWER = "answer"
    """The final answer the engine found."""


VERDICT_TITLES = {
    Verdict.VALID: "valid",
    Verdict.CANCELING_ERRORS: "cancelling errors",
    Verdict.LUCKY_GUESS: "lucky guess",
    Verdict.ARITHMETIC_SLIP: "arithmetic slip",
    Verdict.WRONG_REASONING: "wrong reasoning",
    Verdict.NO_ANSWER: "no answer",
    Verdict.UNREFERENCED: "unreferenced",
    Verdict.UNCHECKED: "unchecked",
    Verdict.UNDECIDED: "undecided",
}
"""Verdicts as people read them."""

_CLAIM_MARK = {
    ClaimStatus.CORRECT: Mark.CORRECT,
    ClaimStatus.WRONG: Mark.WRONG,
    ClaimStatus.UNVERIFIABLE: Mark.UNVERIFIABLE,
}

Marked = tuple[int, int, Mark]
"""``(start, end, mark)`` over the chain text."""


def chain_marks(result: ChainResult) -> list[Marked]:
    """Every highlight of the chain: claims by status, wrong numbers, uses of wrong values, the answer."""
    out: list[Marked] = []
    for step in result.steps:
        for c in step.claims:
            out.append((c.span[0], c.span[1], _CLAIM_MARK[c.status]))
            if c.status is ClaimStatus.WRONG:
                s, e = c.stated_span or c.span
                out.append((s, e, Mark.STATED))
    for f in result.findings:  # errors found across lines may carry no claim of their own
        if f.severity is Severity.ERROR and not _covered(f, result):
            out.append((f.span[0], f.span[1], Mark.STATED))
    for fl in result.flows:
        if fl.tainted:
            out.append((fl.span[0], fl.span[1], Mark.TAINTED))
    if result.final_answer is not None:
        out.append((result.final_answer.span[0], result.final_answer.span[1], Mark.ANSWER))
    return [m for m in out if m[0] < m[1]]


def _covered(f: Finding, result: ChainResult) -> bool:
    return any(
        c.status is ClaimStatus.WRONG and c.span[0] <= f.span[0] and f.span[1] <= c.span[1]
        for s in result.steps
        if s.index == f.step
        for c in s.claims
    )


def segments(lo: int, hi: int, marks: Iterable[Marked]) -> list[tuple[int, int, frozenset[Mark]]]:
    """``[lo, hi)`` cut into runs that each carry one set of marks (overlaps combine)."""
    cuts = {lo, hi}
    clipped = []
    for s, e, m in marks:
        s, e = max(s, lo), min(e, hi)
        if s < e:
            clipped.append((s, e, m))
            cuts.update((s, e))
    points = sorted(cuts)
    out: list[tuple[int, int, frozenset[Mark]]] = []
    for a, b in itertools.pairwise(points):
        here = frozenset(m for s, e, m in clipped if s <= a and b <= e)
        if out and out[-1][2] == here and out[-1][1] == a:
            out[-1] = (out[-1][0], b, here)
        else:
            out.append((a, b, here))
    return out


def difference(stated: str, actual: str | None) -> str | None:
    """``stated − true`` when both are plain numbers and differ (``-100`` for 1924 written for 2024)."""
    if actual is None:
        return None
    a, b = numeric_value(stated), numeric_value(actual)
    if a is None or b is None or a == b:
        return None
    d = a - b
    return ("+" if d > 0 else "") + format_value(d)


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """One claim as the verification panel lists it."""

    text: str
    status: ClaimStatus
    stated: str
    actual: str | None
    """The true value, shown only where it means something beside the stated one."""
    difference: str | None
    kind: str
    rule: str
    reason: str | None
    cross_line: bool
    """A rewrite or continuation of the line above (a cross-line check), not a sum on one line."""


@dataclass(frozen=True, slots=True)
class StepDetail:
    """Everything the verification panel says about one step."""

    index: int
    claims: tuple[ClaimRow, ...]
    breaks: tuple[str, ...]
    """Cross-line breaks: rewrites that stop being equivalent to the line above."""
    flows_in: tuple[str, ...]
    """Wrong values from earlier steps that this step uses."""
    flows_out: tuple[str, ...]
    """Where the wrong values this step states are used later."""
    findings: tuple[str, ...]
    """Other findings (warnings, notes) pinned to this step."""


_CROSS_LINE = frozenset({"rewrite", "continuation"})


def _row(c: Claim) -> ClaimRow:
    actual = c.actual
    if c.status is not ClaimStatus.WRONG:
        # For a claim that checks out, `actual` can be the form it was compared with (a rewrite's
        # previous line): show it only when it is the same value, written otherwise.
        a, b = numeric_value(c.stated), numeric_value(actual) if actual is not None else None
        if a is None or b is None or a != b or actual == c.stated:
            actual = None
    return ClaimRow(
        text=c.text,
        status=c.status,
        stated=c.stated,
        actual=actual,
        difference=difference(c.stated, c.actual) if c.status is ClaimStatus.WRONG else None,
        kind=c.kind,
        rule=c.rule,
        reason=c.reason,
        cross_line=c.kind in _CROSS_LINE,
    )


def _steps_text(steps: Sequence[int]) -> str:
    return ("step " if len(steps) == 1 else "steps ") + ", ".join(str(s + 1) for s in steps)


def step_detail(result: ChainResult, index: int) -> StepDetail:
    """The claims, cross-line breaks, value flows and other findings of one step (0-based)."""
    step = next((s for s in result.steps if s.index == index), None)
    claims = tuple(_row(c) for c in step.claims) if step is not None else ()
    breaks = tuple(
        f.message
        for f in result.findings
        if f.step == index and f.severity is Severity.ERROR and f.rule in _CROSS_LINE
    )
    flows_in = tuple(
        f"uses {fl.value}, stated wrongly in step {fl.from_step + 1}"
        for fl in result.flows
        if fl.step == index and fl.tainted
    )
    uses: dict[str, list[int]] = {}
    for fl in result.flows:
        if fl.from_step == index and fl.tainted and fl.step != index:
            steps = uses.setdefault(fl.value, [])
            if fl.step not in steps:
                steps.append(fl.step)
    wrong_here = [c for c in (step.claims if step is not None else ()) if c.status is ClaimStatus.WRONG]
    flows_out = []
    for c in wrong_here:
        later = uses.pop(_stated_value(c), None)
        true = "" if c.actual is None else f" (true {c.actual})"  # a lettered side has no single value
        if later:
            flows_out.append(f"{_stated_value(c)}{true} flows into {_steps_text(later)}")
        else:
            flows_out.append(f"{_stated_value(c)}{true}: no later use traced")
    flows_out.extend(f"{value} flows into {_steps_text(later)}" for value, later in uses.items())
    findings = tuple(
        f"{f.message} ({f.rule}, {f.severity.value})"
        for f in result.findings
        if f.step == index and f.severity is not Severity.ERROR
    )
    return StepDetail(index, claims, breaks, flows_in, tuple(flows_out), findings)


def _stated_value(c: Claim) -> str:
    return c.stated


def _flow_key(fl: ValueFlow) -> tuple[int, int]:
    return (fl.step, fl.span[0])


def steps_with_errors(result: ChainResult) -> list[int]:
    """Indexes of the steps holding a wrong claim or an error finding, in order."""
    found = {c.step for s in result.steps for c in s.claims if c.status is ClaimStatus.WRONG}
    found.update(f.step for f in result.findings if f.severity is Severity.ERROR)
    return sorted(found)


def repaired_path(result: ChainResult) -> str:
    """The repair in one line: each wrong value with its true one, then where the repaired chain ends."""
    fixes = [f"step {f.step + 1}: {f.stated} → {f.actual}" for f in result.errors if f.stated is not None]
    if not fixes:
        return "nothing to repair: no arithmetic error was found"
    ref = result.chain.reference
    end = (
        f"repaired answer {result.repaired_answer}"
        if result.repaired_answer is not None
        else "no repaired answer"
    )
    if result.repaired_correct is True:
        end += f" = reference {ref}"
    elif result.repaired_correct is False and ref is not None:
        end += f" ≠ reference {ref}"
    return "; ".join(fixes) + " ⇒ " + end
