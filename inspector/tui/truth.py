"""What the chain view colours and says, held to what the engine actually found (issue 13).

Two corrections over ``inspector.labels.review``'s marks and step details, made here because the view is where
they mislead:

- A claim whose equation is false is never green or ✓. A rewrite can be equivalent to the line above
  (the engine's check passes: "correct") and still state ``900 = 1019``; the engine says so only in a
  ``contradiction`` finding, of severity info. Such a claim is shown as wrong, with why.
- A use of a wrong value is marked only where the value is traced to the wrong claim: a literal that
  merely equals the stated value, where the value was already known (in the problem text, or among the
  wrong claim's own operands, as the 50 of ``1 \\div 50 = 50``), is not a flow. The panel's lines
  about flows are built from the same traced flows, one line per value, so they cannot disagree.

These belong in ``inspector.labels.review`` (the export and the report would gain from them too); they live
here only while that module is someone else's to change.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from inspector.engine.answer import numeric_value
from inspector.engine.model import ChainResult, ClaimStatus, Finding, ValueFlow
from inspector.labels.review import Mark, Marked, StepDetail, chain_marks, difference, step_detail

FALSE_EQUATION_RULE = "contradiction"
"""The engine's finding for a derivation that arrives at a false numeric equation."""

_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def false_equations(result: ChainResult) -> list[Finding]:
    """The engine's findings that a claim states a false equation, whatever their severity."""
    return [f for f in result.findings if f.rule == FALSE_EQUATION_RULE]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _numbers(text: str) -> set[Fraction]:
    out = set()
    for m in _NUMBER.finditer(text):
        v = numeric_value(m.group().replace(",", ""))
        if v is not None:
            out.add(v)
    return out


def traced_flows(result: ChainResult) -> list[ValueFlow]:
    """The tainted flows that trace a wrong value, not a literal that happens to equal it."""
    known = _numbers(result.chain.problem or "")
    operands: dict[int, set[Fraction]] = {}
    for step in result.steps:
        for c in step.claims:
            if c.status is ClaimStatus.WRONG:
                s, e = c.stated_span or c.span
                text = result.chain.cot
                # the claim without its stated number: what it computed from
                rest = text[c.span[0] : s] + " " + text[e : c.span[1]]
                operands.setdefault(c.step, set()).update(_numbers(rest))
    carriers = set(operands)
    """Steps that hold a wrong value: a wrong claim, or a traced use of one (a flow carries on only
    from these, so dropping a coincidental match drops what was computed from it too)."""
    out = []
    for fl in sorted((fl for fl in result.flows if fl.tainted), key=lambda fl: (fl.step, fl.span)):
        if fl.from_step not in carriers:
            continue
        value = numeric_value(fl.value.replace(",", ""))
        if value is not None and (value in known or value in operands.get(fl.from_step, set())):
            continue
        carriers.add(fl.step)
        out.append(fl)
    return out


def view_marks(result: ChainResult) -> list[Marked]:
    """``review.chain_marks``, with false equations as wrong claims and only traced flows marked."""
    false = [f.span for f in false_equations(result)]
    traced = {fl.span for fl in traced_flows(result)}
    out: list[Marked] = []
    for s, e, mark in chain_marks(result):
        if mark is Mark.CORRECT and any(_overlaps((s, e), span) for span in false):
            mark = Mark.WRONG
        elif mark is Mark.TAINTED and (s, e) not in traced:
            continue
        out.append((s, e, mark))
    return out


def view_detail(result: ChainResult, index: int) -> StepDetail:
    """``review.step_detail``, told the same way as ``view_marks`` colours the text."""
    detail = step_detail(result, index)
    step = next((s for s in result.steps if s.index == index), None)
    false = [f for f in false_equations(result) if f.step == index]
    claims = list(detail.claims)
    if step is not None and false:
        for k, c in enumerate(step.claims):
            found = next((f for f in false if _overlaps(c.span, f.span)), None)
            if found is None or c.status is ClaimStatus.WRONG or k >= len(claims):
                continue
            claims[k] = replace(
                claims[k],
                status=ClaimStatus.WRONG,
                stated=found.stated or claims[k].stated,
                actual=found.actual,
                difference=difference(found.stated or "", found.actual),
                reason=f"a false equation: {found.message}"
                + (" (the step from the line above holds)" if claims[k].cross_line else ""),
            )
    flows = traced_flows(result)
    flows_in = tuple(
        f"uses {fl.value}, stated wrongly in step {fl.from_step + 1}" for fl in flows if fl.step == index
    )
    uses: dict[Fraction | str, tuple[str, list[int]]] = {}
    for fl in flows:
        if fl.from_step == index and fl.step != index:
            _, steps = uses.setdefault(_key(fl.value), (fl.value, []))
            if fl.step not in steps:
                steps.append(fl.step)
    flows_out = []
    wrong = [c for c in (step.claims if step is not None else ()) if c.status is ClaimStatus.WRONG]
    said: set[Fraction | str] = set()
    for c in wrong:  # one line per value: "1,924" and "1924" are one story
        if _key(c.stated) in said:
            continue
        said.add(_key(c.stated))
        _, later = uses.pop(_key(c.stated), ("", []))
        where = f"flows into {_steps_text(later)}" if later else "no later use traced"
        true = "" if c.actual is None else f" (true {c.actual})"  # a lettered side has no single value
        flows_out.append(f"{c.stated}{true}: {where}")
    flows_out.extend(f"{value} flows into {_steps_text(later)}" for value, later in uses.values())
    return replace(detail, claims=tuple(claims), flows_in=flows_in, flows_out=tuple(flows_out))


def _key(value: str) -> Fraction | str:
    number = numeric_value(value.replace(",", ""))
    return number if number is not None else value


def _steps_text(steps: list[int]) -> str:
    return ("step " if len(steps) == 1 else "steps ") + ", ".join(str(s + 1) for s in steps)
