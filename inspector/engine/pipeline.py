"""The one composition point: segment → extract → check → derive → trace → answer → classify.

Every front end (the CLI, the TUI, a reward function) calls ``verify_chain`` or ``verify_chains``;
none re-implements a stage.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from fractions import Fraction
from functools import partial
from typing import Final

from .answer import answers_match, extract_answer, numeric_value
from .arith import begin_chain, format_value
from .check import LETTERS_CANCEL, Checked, check_annotation, check_formula
from .classify import classify
from .derive import check_derivations
from .extract import Formula, extract_line, forget_lines
from .intent import quotient_in_context, rejected, tested
from .model import ChainInput, ChainResult, Claim, ClaimStatus, Coverage, Finding, Severity, Step, ValueFlow
from .named_values import restated_names
from .notation import RULE as NOTATION
from .notation import find_notation
from .rational import equal
from .rational_rewrites import rational_rewrites
from .restated import rejected_trials, restated_false_equations
from .rounding_said import rounding_said
from .rules import RuleSet, default_rules
from .scan import past_blanks
from .segment import code_blocks, line_spans, segment
from .solved_values import root_is_plus_minus, solved_values
from .trace import repair

_CORRECT: Final = ClaimStatus.CORRECT
_WRONG: Final = ClaimStatus.WRONG
_UNVERIFIABLE: Final = ClaimStatus.UNVERIFIABLE
"""``ClaimStatus`` members as ``Final`` constants (why: ``model.ClaimStatus``)."""

_CONTINUES_RE: Final = re.compile(r"[ \t]*+(?:\\\[|\$\$?|&)?[ \t]*+=")
"""A line that starts with ``=`` (after ``&``, ``$`` or ``\\[``) continues the one above it."""


def _continues(text: str, start: int) -> bool:
    """``_CONTINUES_RE.match(text, start) is not None``, asked of the line after every line without an ``=``: one
    whose first character past the spaces is none of ``\\ $ & =`` does not, and is answered without the pattern."""
    size = len(text)
    k = past_blanks(text, start, size)
    if k < size and text[k] not in "\\$&=":
        return False
    return _CONTINUES_RE.match(text, start) is not None


_DELIMITER_LINE_RE: Final = re.compile(r"[ \t]*+(?:\\\[|\\\]|\$\$|\\begin\{[a-z*]+\}|\\end\{[a-z*]+\})?[ \t]*+$")


def _delimiter_line(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]`` a display-math delimiter alone (``\\[``, ``$$``, ``\\begin{align}``) or blank? Asked of
    every line: one whose first character past the spaces is neither a backslash nor a dollar is not, and is
    answered without the regular expression."""
    k = past_blanks(text, start, end)
    if k < end and text[k] != "\\" and text[k] != "$":
        return False
    return _DELIMITER_LINE_RE.match(text, start, end) is not None


_ROW_BREAK_RE: Final = re.compile(r"\\\\(?:\[[^\]]{0,10}\])?")


def _rows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A line split at LaTeX row breaks (``\\\\`` in ``align``): each row is a line of a derivation."""
    if text.find("\\\\", start, end) < 0:
        return [(start, end)]
    rows, pos = [], start
    for m in _ROW_BREAK_RE.finditer(text, start, end):
        rows.append((pos, m.start()))
        pos = m.end()
    rows.append((pos, end))
    return [(a, b) for a, b in rows if text[a:b].strip()]


def _next_line_continues(text: str, lines: list[tuple[int, int, int]], i: int) -> bool:
    """Does the next line with content (past display-math delimiters) start with ``=``?"""
    for _, ls, le in lines[i + 1 : i + 4]:
        if _delimiter_line(text, ls, le):
            continue
        return _continues(text, ls)
    return False


def verify_text(cot: str, reference: str | None = None, rules: RuleSet | None = None) -> ChainResult:
    """Verify a bare chain of thought (the convenient form for library users)."""
    return verify_chain(ChainInput(chain_id="chain", cot=cot, reference=reference), rules)


def verify_chain(chain: ChainInput, rules: RuleSet | None = None) -> ChainResult:
    """Everything the engine can say about one chain. Pure: same input, same result.

    Python's cyclic garbage collector is paused while the chain is verified (milliseconds) and resumed after, where
    it was running: reference counting frees the chain's objects all the same, and what the collector skipped it
    collects at the next allocation after. Left running, its collections walked the chain's working set (tokens,
    trees, values remembered by shape) again and again as it was built: a tenth of a run's time, and the longest
    pauses of a chain. A program that switches the collector off itself keeps it off: it is resumed only where this
    call paused it.
    """
    if not gc.isenabled():
        return _verify_chain(chain, rules)
    gc.disable()
    try:
        return _verify_chain(chain, rules)
    finally:
        gc.enable()


def _verify_chain(chain: ChainInput, rules: RuleSet | None) -> ChainResult:
    rules = rules or default_rules()
    begin_chain()
    forget_lines()
    text = chain.cot
    step_spans = segment(text, rules.segmentation, chain.steps)
    formulas: list[Formula] = []
    findings: list[Finding] = []
    line_no = 0
    approx_words = rules.approximate_words
    unverifiable = rules.check("unverifiable")
    lines = [
        (step_index, rs, re_)
        for step_index, (s, e) in enumerate(step_spans)
        for ls, le in line_spans(text, s, e)
        for rs, re_ in _rows(text, ls, le)
    ]
    blocks = code_blocks(text)
    code = rules.check("code")
    if code.enabled:
        for bs, be, language in blocks:
            findings.append(Finding("code", Severity(code.severity), _step_at(step_spans, bs), (bs, be),
                                    _code_message(language)))
    block_at = 0
    line_index: dict[int, int] = {}
    named_rows: list[tuple[int, int, int, int]] = []
    """Lines with an "=" near their start: where ``NAME = value`` lines are looked for."""
    read: list[tuple[int, int]] = []
    """The lines read as prose (not code, not over the length bound)."""
    every_line = not blocks and chain.steps is None  # segmented here, no code: every line is read unless…
    for i, (step_index, ls, le) in enumerate(lines):
        while block_at < len(blocks) and blocks[block_at][1] <= ls:
            block_at += 1
        if block_at < len(blocks) and blocks[block_at][0] <= ls:
            continue  # code is not prose
        if _delimiter_line(text, ls, le):
            continue  # "\\[" alone on a line: rows on either side of it are still adjacent
        line_no += 1
        if line_no > rules.max_chain_lines:
            # bounds the work and memory one hostile chain can take; what is skipped is said
            if unverifiable.enabled:
                findings.append(
                    Finding("unverifiable", Severity(unverifiable.severity), step_index, (ls, len(text)),
                            f"chain longer than {rules.max_chain_lines} lines: the rest is not read")
                )
            every_line = False
            break
        if le - ls > rules.max_line_chars:
            if unverifiable.enabled:
                findings.append(
                    Finding("unverifiable", Severity(unverifiable.severity), step_index, (ls, le),
                            f"line of {le - ls} characters not parsed (limit {rules.max_line_chars})")
                )
            every_line = False
            continue
        line_index[line_no] = i
        read.append((ls, le))
        if "=" in text[ls : min(le, ls + 24)]:
            named_rows.append((step_index, line_no, ls, le))
        # only a line without "=" can be the start of a derivation continued below (``extract_line``)
        continued = text.find("=", ls, le) < 0 and _next_line_continues(text, lines, i)
        formulas.extend(extract_line(text, step_index, line_no, ls, le, approx_words, continued))

    # (functions made with ``partial``, not nested: ``native_attrs``)
    next_line = partial(_prose_after_line, text, lines, line_index)

    checked: list[Checked] = []
    rejected_above: dict[str, str] = {}
    """Equations in letters the text has rejected or set up so far (as written, without spaces) → why one written
    again is no slip either."""
    for f in formulas:
        if f.kind == "truncated":
            if unverifiable.enabled:
                findings.append(Finding("unverifiable", Severity(unverifiable.severity), f.step, f.span,
                                        f.sides[0].error or "not read"))
            continue
        if f.kind == "annotation":
            checked.extend(check_annotation(f, text, rules))
        else:
            checked.extend(_intent(c, text, next_line, rejected_above) for c in check_formula(f, text, rules,
                                                                                                          "inline_arithmetic"))
    checked = rejected_trials(checked, formulas, next_line, _as_rejected)

    links = check_derivations(formulas, text, "rewrite", "continuation")
    equation_mode = {id(link.formula) for link in links if link.equation_mode}
    contradiction = rules.check("contradiction")
    kept: list[Checked] = []
    for c in checked:
        if id(c.formula) in equation_mode and c.claim.kind == "inline":
            # a line of a derivation with letters: a false numeric equality is where it led, not a slip
            if c.claim.status is _WRONG and contradiction.enabled:
                findings.append(
                    Finding("contradiction", Severity(contradiction.severity), c.claim.step, c.claim.span,
                            "the derivation arrives at a false equation", c.claim.stated, c.claim.actual)
                )
            continue
        kept.append(c)
    for link in links:
        kept.extend(link.checked)
    kept.extend(restated_names(named_rows, text, "rewrite"))
    kept.extend(rational_rewrites(formulas, text, "rewrite"))
    step_at = partial(_step_at, step_spans)
    kept.extend(solved_values(formulas, text, "rewrite", step_at))
    kept.extend(root_is_plus_minus(text, "inline_arithmetic", step_at))
    kept.extend(rounding_said(text, "inline_arithmetic", step_at))
    if contradiction.enabled:
        for c, why in restated_false_equations(kept, formulas, next_line):
            findings.append(Finding("contradiction", Severity(contradiction.severity), c.claim.step, c.claim.span,
                                    why, c.claim.stated, c.claim.actual))
    kept = [c for c in kept if not c.restated]
    notation = rules.check(NOTATION)
    if notation.enabled:
        kept, habits = find_notation(kept, rules)
        for group in habits:
            first, last = group[0].claim, group[-1].claim
            findings.append(
                Finding(NOTATION, Severity(notation.severity), first.step, (first.span[0], last.span[1]),
                        f"{len(group)} claims are right with the operands reversed ({first.text}): a notation "
                        "habit, not a slip per line", first.stated, first.actual)
            )

    text_end = len(text.rstrip(" \t"))
    enabled = [_cut_off(c, text_end) for c in kept if rules.check(c.claim.rule).enabled]
    enabled.sort(key=lambda c: c.position)
    for c in enabled:
        claim = c.claim
        if claim.rule == NOTATION:
            continue  # reported once for the whole habit, above
        if claim.status is _WRONG:
            severity = Severity(rules.check(claim.rule).severity)
            findings.append(
                Finding(claim.rule, severity, claim.step, claim.stated_span or claim.span,
                        _wrong_message(claim), claim.stated, claim.actual)
            )
        elif claim.status is _UNVERIFIABLE and unverifiable.enabled:
            findings.append(
                Finding("unverifiable", Severity(unverifiable.severity), claim.step, claim.span,
                        f"could not check: {claim.reason}", claim.stated, None)
            )
    findings.sort(key=lambda f: (f.span[0], f.rule))

    computed = [c.stated_value for c in enabled if c.stated_value is not None]
    answer = extract_answer(text, rules.answer_methods, computed, chain.problem)
    reference = chain.reference
    answer_correct: bool | None = None
    if answer is not None and reference is not None:
        answer_correct = answers_match(answer.text, reference, rules.max_symbolic_chars, rules.answer_timeout)
        if answer_correct is None and unverifiable.enabled:
            findings.append(
                Finding("unverifiable", Severity(unverifiable.severity), _step_at(step_spans, answer.span[0]),
                        answer.span, f"undecided: the answer {answer.text[:60]!r} could not be compared with the "
                        f"reference within {rules.answer_timeout:g} s or the size bounds", answer.text, reference)
            )

    error_claims = [c for c in enabled if c.claim.status is _WRONG
                    and rules.check(c.claim.rule).severity == "error"]
    fixed = repair(enabled, links)
    repaired_answer: str | None = None
    if answer is not None:
        repaired_answer = answer.text
        value = numeric_value(answer.text)
        if value is not None:
            repaired_value, source = _repaired_answer(enabled, fixed.repaired, value, answer.span[0])
            repaired_answer = format_value(repaired_value) if not equal(repaired_value, value) else answer.text
            if source is not None and not equal(repaired_value, value):
                # the final answer is itself a use of a wrong value: say where it came from
                step = next((i for i, (s0, e0) in enumerate(step_spans) if s0 <= answer.span[0] < e0), -1)
                fixed.flows.append(ValueFlow(step, answer.span, answer.text, source.claim.step, True))
    repaired_correct: bool | None = None
    if repaired_answer is not None and reference is not None:
        repaired_correct = (
            answer_correct if repaired_answer == (answer.text if answer else None)
            else answers_match(repaired_answer, reference, rules.max_symbolic_chars, rules.answer_timeout)
        )
    checked_count = sum(1 for c in enabled if c.claim.status is not _UNVERIFIABLE)
    verdict, explanation = classify(
        reference is not None, answer is not None, answer_correct, len(error_claims), repaired_correct,
        checked_count,
    )
    coverage = _coverage(text, enabled, blocks, checked_count, None if every_line else read)
    steps = _steps(step_spans, enabled)
    return ChainResult(
        chain=chain,
        steps=steps,
        findings=tuple(findings),
        final_answer=answer,
        answer_correct=answer_correct if reference is not None else None,
        repaired_answer=repaired_answer,
        repaired_correct=repaired_correct,
        verdict=verdict,
        explanation=explanation,
        rules_name=rules.name,
        rules_hash=rules.hash,
        flows=tuple(fixed.flows),
        coverage=coverage,
    )


def _repaired_answer(
    claims: list[Checked], repaired: dict[int, Fraction], value: Fraction, before: int
) -> tuple[Fraction, Checked | None]:
    """The repaired value of the last claim that stated the final answer (else the answer itself),
    and that claim."""
    best = None
    for i, c in enumerate(claims):
        if (i in repaired and c.claim.status is not _UNVERIFIABLE and c.stated_value is not None
                and equal(c.stated_value, value)):
            if best is None or c.position >= claims[best].position:
                best = i
    return (repaired[best], claims[best]) if best is not None else (value, None)


_HEADER_RE: Final = re.compile(r"[ \t]*(?:#+[ \t]|\*\*[^*\n]{1,80}\*\*[ \t]*:?[ \t]*$|step[ \t]*\d+[ \t]*[:.][^\n]{0,60}$)", re.I)


def _prose_after_line(text: str, lines: list[tuple[int, int, int]], line_index: dict[int, int], line: int) -> str | None:
    """``_next_prose`` after the line numbered ``line``, found by its number (None for a line not read)."""
    i = line_index.get(line)
    return None if i is None else _next_prose(text, lines, i)


def _next_prose(text: str, lines: list[tuple[int, int, int]], i: int) -> str | None:
    """The next line that says something: past display-math delimiters and headers (``Step 8: Solve``)."""
    for _, ls, le in lines[i + 1 : i + 5]:
        if _delimiter_line(text, ls, le) or _HEADER_RE.match(text, ls, le):
            continue
        return text[ls:le]
    return None


_SETS_UP_RE: Final = re.compile(
    r"(?i)\bset(?:s|ting)?\s+up\s+(?:the|an|this|our|a)\s+(?:following\s+)?(?:equation|proportion)"
)
SET_UP: Final = "an equation the text sets up that holds for no value of its letters: a reasoning error, not arithmetic"


def _prose_above(text: str, start: int) -> str | None:
    """The line above the one at ``start``, past display-math openers (``\\[``, ``$$``) and blank lines: the prose that
    introduces a displayed equation ("we can set up the following proportion:")."""
    end = start - 1
    for _ in range(3):
        if end <= 0:
            return None
        ls = text.rfind("\n", 0, end) + 1
        if not _delimiter_line(text, ls, end):
            return text[ls:end]
        end = ls - 1
    return None


def _sets_up(text: str, context_start: int, claim_start: int) -> bool:
    """Does the text say it sets up this equation, on its line before it or in the prose that introduces it?"""
    if _SETS_UP_RE.search(text, context_start, claim_start):
        return True
    above = _prose_above(text, context_start)
    return above is not None and above.rstrip().endswith(":") and _SETS_UP_RE.search(above) is not None


def _intent(c: Checked, text: str, next_line: Callable[[int], str | None], rejected_above: dict[str, str]) -> Checked:
    """A false claim the text itself rejects or sets up as a trial is not a slip (``intent``); nor is an
    equation in letters written again after the text rejected it (``a^2 = a^2 + 40, which is not possible`` …
    ``Thus, we have a^2 = a^2 + 40``) or set it up (a proportion that holds for no value, restated to be solved)."""
    claim = c.claim
    context = c.formula.context
    if claim.status is not _WRONG or context is None:
        return c
    written = "".join(claim.text.split()) if claim.reason == LETTERS_CANCEL else None
    # only a claim that states the known value first is a trial (see ``intent.tested``), or one whose
    # letters cancelled, or two bare numbers: "if b = 2, then 4a = 4(a − 3) ⇒ 0 = −12" tests b = 2
    stated_first = c.computation is not None and claim.stated_span is not None and (
        claim.stated_span[0] < c.computation.start or claim.reason == LETTERS_CANCEL or c.computation.is_literal)
    if quotient_in_context(text, c.claim.span[0], c.computation, c.stated_value, c.actual_value):
        return Checked(replace(claim, status=_CORRECT, rule="inline_arithmetic",
                               reason="the whole quotient, which the text around it is about"),
                       c.formula, c.computation, c.stated_value, c.stated_value, c.position)
    if rejected(text, claim.span[1], context.end, next_line(c.formula.line),
                impossible_rejects=claim.reason == LETTERS_CANCEL):
        why = "a false equation the text itself rejects: not a slip"
        if written is not None:
            rejected_above[written] = "the equation the text rejected above, written again: not a slip"
    elif written is not None and written in rejected_above:
        why = rejected_above[written]
    elif stated_first and tested(text, context.start, claim.span[0], claim.span[1], context.end):
        why = "a trial the text sets up and does not assert: not a slip"
    elif claim.reason == LETTERS_CANCEL and _sets_up(text, context.start, claim.span[0]):
        # "we can set up the equation 4V + 339 = 4V − 8 + 339", "we can set up the following proportion:" above a
        # displayed 200/(2s) = 240/(3s): a new equation built by reasoning (SLIP_POLICY: new equations are no rewrites
        # and no slips); that it holds for no value of its letters is where the reasoning went wrong
        why = SET_UP
        if written is not None:
            rejected_above[written] = "the equation the text set up above, written again: a reasoning error, not arithmetic"
    else:
        return c
    return _as_rejected(c, why)


CUT_OFF: Final = "the chain ends inside this number (cut off at its length limit?): what it would have said is not known"
_CUT_NUMBER_RE: Final = re.compile(r"-?\d+")


def _cut_off(c: Checked, text_end: int) -> Checked:
    """A false claim whose stated number ends the chain's text (nothing after it, not even a line break or a full
    stop) and is the first digits of the true value is a number cut short, not a slip: a generation stopped at its
    length limit leaves ``6 × 64 − 4 = 3`` for ``= 380`` and ``17 · 81 = 137`` for ``= 1377`` (six of the eleven
    flags at a real chain's very end). ``2 + 2 = 5`` at the end of a chain is still wrong: 5 does not begin 4."""
    claim = c.claim
    if claim.status is not _WRONG or (claim.stated_span or claim.span)[1] < text_end:
        return c
    stated, actual = claim.stated.strip(), (claim.actual or "").strip()
    if (_CUT_NUMBER_RE.fullmatch(stated) is None or len(actual) <= len(stated) or not actual.startswith(stated)
            or not actual[len(stated)].isdigit()):
        return c
    return Checked(replace(claim, status=_UNVERIFIABLE, reason=CUT_OFF), c.formula, c.computation, None,
                   c.actual_value, c.position)


def _as_rejected(c: Checked, why: str) -> Checked:
    """A false claim the text does not assert (it rejects or tries it): a contradiction, said with why."""
    return Checked(replace(c.claim, rule="contradiction", reason=why), c.formula, c.computation, None,
                   c.actual_value, c.position)


class _CharClasses(dict[int, str]):
    """``str.translate`` table: a digit → ``0``, a letter or ``_`` → ``a``, ``.`` and ``,`` kept, the rest → space."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        return "a" if ch.isalnum() or ch == "_" else " "


_CHAR_CLASSES: Final = _CharClasses({c: (" " if not chr(c).isalnum() and chr(c) != "_" else "a") for c in range(128)})
_CHAR_CLASSES.update({ord(d): "0" for d in "0123456789"} | {ord("."): ".", ord(","): ","})


_BYTE_CLASSES: Final = bytes(ord(_CHAR_CLASSES[c]) for c in range(128)) + b" " * 128
"""``_CHAR_CLASSES`` as a ``bytes.translate`` table (a byte past ASCII is a ``?`` put for a character past it)."""
_NON_ASCII_WORD_RE: Final = re.compile(r"[^\W\x00-\x7f]+")
"""Runs of letters and digits past ASCII (``\\w`` is ``str.isalnum()`` or ``_``, and ``_`` is ASCII)."""


def _classes(text: str) -> str:
    """The text as character classes, a comma inside a number (``1,200``) made ``;`` so it starts none.

    ``str.translate`` is quick only over ASCII text: one character past it (a ``−``, a ``²``) sends every character
    through a look-up in the table. Such text is translated as bytes, each character past ASCII as one ``?`` (a
    space), and the few of those that are letters or digits made ``a`` after."""
    if text.isascii():
        classes = text.translate(_CHAR_CLASSES)
    else:
        classes = text.encode("ascii", "replace").translate(_BYTE_CLASSES).decode("ascii")
        runs = [m.span() for m in _NON_ASCII_WORD_RE.finditer(text)]
        if runs:
            chars = list(classes)
            for s, e in runs:
                chars[s:e] = "a" * (e - s)
            classes = "".join(chars)
    if "," in classes:
        classes = classes.replace("0,0", "0;0").replace("0,0", "0;0")  # twice: "1,2,3" overlaps
    return classes


def _count_numbers(classes: str, start: int, end: int) -> int:
    """Numbers as prose writes them (``12``, ``1,200.50``) that start in ``[start, end)``: a digit after a
    space, a sign or a comma; one inside a word or after a point (``a12``, ``.5``) is not one. Counting in
    the class string takes two ``str.count`` calls, where a regex over the text cost a tenth of a GSM8K
    chain's verification."""
    lo = start - 1 if start > 0 else 0
    n = classes.count(" 0", lo, end) + classes.count(",0", lo, end)
    return n + 1 if start == 0 and classes.startswith("0") else n


def _coverage(text: str, claims: list[Checked], blocks: list[tuple[int, int, str]], checked: int,
              read: list[tuple[int, int]] | None) -> Coverage:
    """How much of the chain the verdict rests on (the JSONL ``coverage``); numbers are counted in the lines
    the engine read (``read``; None when it read every line outside code: one pass then). A line over the
    length bound is said in its own finding."""
    classes = _classes(text)
    if read is None:
        numbers = _count_numbers(classes, 0, len(text))
    else:
        numbers = sum(_count_numbers(classes, ls, le) for ls, le in read)
    spans = sorted([c.claim.span for c in claims if c.claim.status is not _UNVERIFIABLE])
    in_claims, start, end = 0, 0, -1
    for s, e in spans:  # numbers inside claims, each counted once where claims overlap
        if s <= end:
            end = max(end, e)
            continue
        if end >= 0:
            in_claims += _count_numbers(classes, start, end)
        start, end = s, e
    if end >= 0:
        in_claims += _count_numbers(classes, start, end)
    code = sum(1 for b in blocks if b[2] != "output") if blocks else 0
    return Coverage(
        claims_checked=checked,
        claims_unverifiable=len(claims) - len(spans),
        numbers_unchecked=max(0, numbers - in_claims),
        code_blocks=code,
        output_blocks=len(blocks) - code,
    )


def _step_at(spans: list[tuple[int, int]], offset: int) -> int:
    return next((i for i, (s, e) in enumerate(spans) if s <= offset < e), max(0, len(spans) - 1))


def _code_message(language: str) -> str:
    if language == "output":
        return ("an output block: what the model says its code printed, a claim about its own code, "
                "not checked (it is not run)")
    return f"a {language + ' ' if language else ''}code block: code is not read as arithmetic, not checked"


def _wrong_message(claim: Claim) -> str:
    if claim.rule == "contradiction" and claim.reason:
        if claim.actual is None:  # an equation in letters: no one value to give
            return f"{claim.reason} (states {claim.stated})"
        return f"{claim.reason} ({claim.stated} where the value is {claim.actual})"
    if claim.actual is None:
        return f"states {claim.stated}: {claim.reason or 'false as written'}"
    if claim.kind in ("rewrite", "continuation"):
        return f"rewrites the line above with {claim.stated} where {claim.actual} keeps it equivalent"
    return f"states {claim.stated} but the value is {claim.actual}"


def _steps(spans: list[tuple[int, int]], claims: list[Checked]) -> tuple[Step, ...]:
    by_step: dict[int, list[Claim]] = {}
    for c in claims:
        by_step.setdefault(c.claim.step, []).append(c.claim)
    return tuple(_step(i, span, tuple(by_step.get(i, ()))) for i, span in enumerate(spans))


_NEW: Final = object.__new__
_SET_INDEX: Final = Step.__dict__["index"].__set__
_SET_SPAN: Final = Step.__dict__["span"].__set__
_SET_CLAIMS: Final = Step.__dict__["claims"].__set__
"""The setters of ``Step``'s three slots: what ``object.__setattr__`` finds for each name (it looks the name up in the
type first), called directly."""


def _step(index: int, span: tuple[int, int], claims: tuple[Claim, ...]) -> Step:
    """``Step(index, span, claims)``, field by field as the frozen dataclass's own ``__init__`` does it, without that
    ``__init__``: it is Python (``model`` is not compiled), and called for each of a chain's steps (sixty on a
    Spurious Rewards chain, hundreds on one that loops) it took a twentieth of the compiled engine's time.
    ``tests/test_record.py`` holds the two equal."""
    step = _NEW(Step)
    _SET_INDEX(step, index)
    _SET_SPAN(step, span)
    _SET_CLAIMS(step, claims)
    return step


def verify_chains(
    chains: Iterable[ChainInput], rules: RuleSet | None = None, workers: int = 1, chunksize: int = 64
) -> Iterator[ChainResult]:
    """Verify a stream of chains, in input order; ``workers > 1`` uses that many processes."""
    rules = rules or default_rules()
    if workers <= 1:
        for chain in chains:
            yield verify_chain(chain, rules)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if hasattr(mp, "get_context") else mp
    with ctx.Pool(workers) as pool:
        yield from pool.imap(partial(verify_chain, rules=rules), chains, chunksize=chunksize)
