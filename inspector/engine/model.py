"""The plain, frozen dataclasses every stage of the pipeline passes along.

Everything here is picklable and free of terminal or database code, so a result can cross a process
boundary (``--workers``), be returned from an RL reward function, or be rebuilt from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Span = tuple[int, int]
"""``[start, end)`` in characters of the chain text."""


class Verdict(StrEnum):
    """What the chain as a whole amounts to. The names are a public contract (JSONL, `--fail-on`)."""

    VALID = "valid"
    """Answer matches the reference and no arithmetic error was found."""
    CANCELING_ERRORS = "canceling_errors"
    """Answer matches, errors were found, and the repaired chain still reaches the reference."""
    LUCKY_GUESS = "lucky_guess"
    """Answer matches, errors were found, and the repaired chain does not reach the reference."""
    ARITHMETIC_SLIP = "arithmetic_slip"
    """Answer is wrong, but the repaired chain reaches the reference: a calculator would have saved it."""
    WRONG_REASONING = "wrong_reasoning"
    """Answer is wrong and repairing the arithmetic does not help."""
    NO_ANSWER = "no_answer"
    """No final answer could be found in the chain."""
    UNREFERENCED = "unreferenced"
    """No reference answer was given; errors are still reported."""
    UNCHECKED = "unchecked"
    """Answer matches the reference, but no claim of the chain could be checked (code, words, nothing to
    re-do): ``valid`` would say more than was verified."""
    UNDECIDED = "undecided"
    """The answer could not be compared with the reference within the time and size bounds."""


class ClaimStatus(StrEnum):
    """A typed result, never a bare bool: "could not check" must look different from "wrong".

    The compiled engine's modules read its members through module-level ``Final`` aliases (``_WRONG`` …): an ``Enum``
    class's attribute goes through its Python ``__getattr__`` hook, some 600 instructions from compiled code, where a
    ``Final`` is a C static."""

    CORRECT = "correct"
    WRONG = "wrong"
    UNVERIFIABLE = "unverifiable"


class Severity(StrEnum):
    ERROR = "error"
    """Counts as an arithmetic error of the chain (it changes the verdict)."""
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class ChainInput:
    """One chain of thought to verify, as read from any supported input format."""

    chain_id: str
    cot: str
    problem_id: str | None = None
    problem: str | None = None
    reference: str | None = None
    model: str | None = None
    sample_index: int | None = None
    source: str | None = None
    """Where it came from, ``FILE:LINE``, for messages."""
    steps: tuple[str, ...] | None = None
    """Pre-segmented steps when the input carries them (ProcessBench); the cot is their join."""
    problem_set: str | None = None
    """The data set the problem is from (``AIME-2024``), when the input says; else the report takes the input
    file's name. Samples of one set by several models are compared on it (pass@k crossings)."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One arithmetic statement found in the text and re-checked."""

    step: int
    span: Span
    text: str
    stated: str
    """What the text says: the number, or the rewritten side as written."""
    actual: str | None
    """The true value (None when it could not be computed)."""
    status: ClaimStatus
    kind: str
    """``inline``, ``annotation``, ``annotation_result``, ``continuation``, ``rewrite``."""
    rule: str
    reason: str | None = None
    """Why a claim is unverifiable, or what is wrong with it."""
    stated_span: Span | None = None
    """The span of the stated part alone (the wrong number), for highlighting."""


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    span: Span
    claims: tuple[Claim, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a rule reports, pinned to a step and a span."""

    rule: str
    severity: Severity
    step: int
    span: Span
    message: str
    stated: str | None = None
    actual: str | None = None


@dataclass(frozen=True, slots=True)
class FinalAnswer:
    text: str
    span: Span
    method: str
    """``boxed``, ``hash``, ``answer_is``, ``answer_colon``, ``bold`` or ``last_number`` (a fallback)."""


@dataclass(frozen=True, slots=True)
class ChainResult:
    """Everything the engine concluded about one chain."""

    chain: ChainInput
    steps: tuple[Step, ...]
    findings: tuple[Finding, ...]
    final_answer: FinalAnswer | None
    answer_correct: bool | None
    repaired_answer: str | None
    repaired_correct: bool | None
    verdict: Verdict
    explanation: str
    """The verdict explained in one sentence."""
    rules_name: str = "default"
    rules_hash: str = ""
    flows: tuple[ValueFlow, ...] = field(default=())
    coverage: Coverage | None = None
    """How much of the chain was checked (None for results rebuilt from an older store)."""

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    def to_json(self) -> dict[str, Any]:
        """The public JSONL record (a contract: fields may be added, never renamed): ``record.result_record``."""
        from .record import result_record

        return result_record(self)


@dataclass(frozen=True, slots=True)
class Coverage:
    """What the verdict rests on: how many claims were checked, and what was read but not checked."""

    claims_checked: int
    """Claims re-done and found right or wrong."""
    claims_unverifiable: int
    """Claims found but not decidable (letters, an unknown operator, beyond the bounds)."""
    numbers_unchecked: int
    """Numbers in the prose that belong to no checked claim."""
    code_blocks: int
    """Fenced code blocks (never read as arithmetic)."""
    output_blocks: int
    """```output blocks: what the model says its code printed, a claim about its own code, not checked."""

    def to_json(self) -> dict[str, int]:
        return {
            "claims_checked": self.claims_checked,
            "claims_unverifiable": self.claims_unverifiable,
            "numbers_unchecked": self.numbers_unchecked,
            "code_blocks": self.code_blocks,
            "output_blocks": self.output_blocks,
        }


@dataclass(frozen=True, slots=True)
class ValueFlow:
    """A number a step uses that an earlier wrong claim stated: where a wrong value flows."""

    step: int
    span: Span
    value: str
    from_step: int
    tainted: bool
    """True when the value it came from was wrong (so this use carries the error on)."""
