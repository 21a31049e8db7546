"""What the text says it is doing with an equation: asserting it, rejecting it, or testing it.

``SLIP_POLICY.md``: "Equations the text sets up to reject or test" are not slips — ``2 + 8 = 4, which is
false``, ``(False)``, ``this is not correct``, trial values (``Plugging in 1 we get 1 = √9 + 4``), a check
that finds ``≠``. A false claim the writer goes on to assert (``confirms that 1 = 7``) still is one. The
words are looked for right after the claim (and at the start of the next sentence, when the line ends
with the claim), and for tests, before the claim in its line.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

_REJECTED_RE: Final = re.compile(
    r"(?i)(?:\bfalse\b|\bnot\s+(?:true|correct|right|equal|hold|satisf)|\bincorrect\b|\bcontradict|"
    r"\bisn['’]t\s+(?:true|correct|right|equal)|\bdoesn['’]t\s+(?:hold|satisfy|equal)|"
    r"\bdoes\s+not\s+(?:hold|satisfy|equal)|\bwrong\b|\bmistake\b|✗|❌)"
)
"""Words that call an equation false. Not "impossible" or "not possible": ``31 − 44 − 9 = −12, which is not
possible`` says the value cannot be a count, not that the arithmetic is false; nor ``≠``, a relation of its
own (``= 5/944784 ≠ 2/9`` asserts every link before it)."""
_TESTED_RE: Final = re.compile(
    r"(?i)(?:\bplug(?:ging|ged)?\b|\bsubstitut|\bcheck|\btest|\btry(?:ing)?\b|\bverify|\bverifying\b|\bguess|"
    r"\bif\b[^.;]*\bthen\b)"
)
_ASSERTED_RE: Final = re.compile(
    r"(?i)(?<!not\s)(?<!n['’]t\s)(?<!\bin)(?:\bconfirm|\bprov(?:es|ed|ing)\b|\bholds\b|\bworks\b|\bis\s+true\b|"
    r"\bcorrect(?:ly)?\b(?!\s+(?:approach|way))|\bsatisf(?:ies|ied)\b|✓|✔|\bindeed\b)"
)
"""Words that assert the claim (never when negated: "not satisfied" rejects)."""
_AFTER_CHARS: Final = 90
"""How far after a claim its rejection is looked for: the rest of that sentence."""


def _sentence_after(text: str, start: int, end: int) -> str:
    """What follows a claim up to the end of its sentence, or the next equation, whichever comes first."""
    window = text[start : min(end, start + _AFTER_CHARS)]
    cut = re.search(r"[.;](?:\s|$)|\n|=|\band\b", window)
    return window[: cut.start()] if cut else window


def _sentence_before(text: str, start: int, claim_start: int) -> str:
    before = text[start:claim_start]
    cut = None
    for cut in re.finditer(r"[.;:](?:\s|$)", before):
        pass
    return before[cut.end() :] if cut else before


_CONSEQUENCES_RE: Final = re.compile(r"(?:\\?implies|\\?Rightarrow|\\?Longrightarrow|⟹|⇒)[^.;:\n]*+$")
"""The rest of a line that only draws consequences of the claim (``⟹ a^2 = a^2 + 40 ⟹ 0 = 40``)."""
_IMPLIES_RE: Final = re.compile(r"\\?implies|\\?Rightarrow|\\?Longrightarrow|⟹|⇒")


_IMPOSSIBLE_RE: Final = re.compile(r"(?i)\b(?:not\s+possible|impossible|no\s+solutions?|cannot\s+(?:be|hold))\b")
"""Words that call an equation in letters unsatisfiable: ``a^2 = a^2 + 40, which is not possible`` rejects it
(for a number, "not possible" says the value cannot be a count; see ``_REJECTED_RE``)."""


def rejected(text: str, claim_end: int, line_end: int, next_line: str | None, *,
             impossible_rejects: bool = False) -> bool:
    """Does the text call the claim ending at ``claim_end`` false (right after it, or in the next line's
    opening words when nothing else follows the claim in its own line)? With ``impossible_rejects`` (an
    equation whose letters cancel), calling it impossible rejects it too."""
    after = _sentence_after(text, claim_end, line_end)
    if _REJECTED_RE.search(after) and not _ASSERTED_RE.search(after):
        return True
    if impossible_rejects and _IMPOSSIBLE_RE.search(after) and not _ASSERTED_RE.search(after):
        return True
    rest = text[claim_end:line_end].strip(" \t$\\)]}.,")
    if rest and _CONSEQUENCES_RE.match(rest):
        # "⟹ 1 = √((k−1)/k) ⟹ … ⟹ k = k − 1 ⟹ \text{This is not possible}": the verdict is the last consequence
        last = _IMPLIES_RE.split(rest)[-1]
        if "=" not in last and not _ASSERTED_RE.search(last) and (
                _REJECTED_RE.search(last) or (impossible_rejects and _IMPOSSIBLE_RE.search(last))):
            return True
    if (not rest or _CONSEQUENCES_RE.match(rest)) and next_line is not None:
        # "a^2 = a^2 − 0 + 40 ⟹ 0 = 40" then "This is a contradiction": its consequences, then the verdict
        first = _verdict(next_line)
        return first is not None and bool(_REJECTED_RE.search(first)) and not _ASSERTED_RE.search(first)
    return False


_VERDICT_OPENING_RE: Final = re.compile(
    r"(?i)(?:\\\]|\$\$)?\s*(?:this|that|which|it|but|however|so|hence|thus|since|because|the\s+equation)\b")


def _verdict(line: str) -> str | None:
    """The first sentence of a line that opens as a verdict on the line above ("This is a contradiction",
    "So x = 1 is not a solution"), else None."""
    opening = re.sub(r"^[\s\-*•>]*(?:\d{1,2}[.)]\s*)?", "", line)[:_AFTER_CHARS]
    if _VERDICT_OPENING_RE.match(opening) or opening[:1] in "(≠":
        return re.split(r"[.;](?:\s|$)", opening, maxsplit=1)[0]
    return None


_NEQ_RE: Final = re.compile(r"[\s$]*+(?:\\\[|\\\(|\$)?([^=\n]{1,60}?)(?:\\neq?(?![a-zA-Z])|≠)([^=\n$]{1,60}?)[ \t]*+(?:\\\]|\\\)|\$|[.,;]|$)")
"""A line that states ``1 ≠ 7`` (no "=" in it): its two sides."""


def neq_sides(line: str) -> tuple[str, str] | None:
    """The two sides of a line that says ``a ≠ b`` and nothing else before it."""
    m = _NEQ_RE.match(line)
    return (m.group(1), m.group(2)) if m else None


_NOT_A_SOLUTION_RE: Final = re.compile(
    r"(?i)\bnot\s+(?:a\s+)?(?:valid\s+)?(?:solution|root)|\bextraneous\b|\bdo(?:es)?\s+not\s+work\b|"
    r"\bdo(?:es)?n['’]t\s+work\b|\b(?:is\s+)?invalid\b|\bnot\s+valid\b")
"""Words that reject the value a trial tested ("x = 1 is not a solution"): for a trial, its equation too."""


def asserts(line: str | None) -> bool:
    """Does a line open by affirming what is above it ("This confirms …", "so x = 1 works")?"""
    return line is not None and _ASSERTED_RE.search(line[:_AFTER_CHARS]) is not None


def rejected_below(line: str | None, trial: bool) -> bool:
    """Does the line below a false equation (and the lines that restate it) say it is rejected ("This is
    false"; for a ``trial``, which states the known value first, "So x = 1 is not a solution" too)?"""
    if line is None:
        return False
    first = _verdict(line)
    if first is None or _ASSERTED_RE.search(first):
        return False
    return bool(_REJECTED_RE.search(first)) or (trial and bool(_NOT_A_SOLUTION_RE.search(first)))


def tested(text: str, line_start: int, claim_start: int, claim_end: int, line_end: int) -> bool:  # noqa: D417
    """Is the claim a trial the text sets up (``Plugging in 1 we get 1 = √9 + 4``) and does not assert?

    Only asked of claims that state the known value first and compute the other side (``1 = √9 + 4``):
    a computation that states its result last (``t = 4 − 9/2.5 = 0.4``) is asserted, test or not.
    """
    before = _sentence_before(text, line_start, claim_start)
    if not _TESTED_RE.search(before):
        return False
    return not _ASSERTED_RE.search(_sentence_after(text, claim_end, line_end))


_QUOTIENT_RE: Final = re.compile(r"(?i)\b(?:remainder|quotient|integer\s+part|whole\s+number\s+part|floor|long\s+division)\b")
_QUOTIENT_BEFORE: Final = 600
"""How far back the text may say it is after the whole quotient (a long division worked step by step)."""


def quotient_in_context(text: str, claim_start: int, computation: object, stated: Fraction | None,
                        actual: Fraction | None) -> bool:
    """``69,999 / 7 = 9999`` right after a long division "with a remainder of 6": the whole quotient.

    Only for a division whose stated value is exactly the integer part of the true one.
    """
    node = getattr(computation, "node", None)
    if node is None or node[0] != "div" or stated is None or actual is None or actual <= 0:
        return False
    if stated.denominator != 1 or stated != actual.numerator // actual.denominator:
        return False
    return _QUOTIENT_RE.search(text, max(0, claim_start - _QUOTIENT_BEFORE), claim_start) is not None
