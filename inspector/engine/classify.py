"""Classify a chain from three facts: is its answer right, were errors found, does the repair reach the reference."""

from __future__ import annotations

from .model import Verdict


def classify(
    has_reference: bool,
    has_answer: bool,
    answer_correct: bool | None,
    error_count: int,
    repaired_correct: bool | None,
    checked: int | None = None,
) -> tuple[Verdict, str]:
    """The verdict and one sentence that explains it.

    ``checked`` is how many claims were re-done; a right answer with none checked is ``unchecked``, not
    ``valid`` (``None``: not known, as for results from older runs).
    """
    if not has_reference:
        return Verdict.UNREFERENCED, (
            f"No reference answer was given; {error_count} arithmetic error(s) found." if error_count
            else "No reference answer was given; no arithmetic error found."
        )
    if not has_answer:
        return Verdict.NO_ANSWER, "No final answer could be found in the chain."
    if answer_correct is None:
        return Verdict.UNDECIDED, (
            "The answer could not be compared with the reference within the bounds (time, size); "
            f"{error_count} arithmetic error(s) found." if error_count else
            "The answer could not be compared with the reference within the bounds (time, size)."
        )
    if answer_correct:
        if error_count == 0 and checked == 0:
            return Verdict.UNCHECKED, (
                "The answer matches the reference, but no claim of the chain could be checked: nothing says "
                "the reasoning is sound."
            )
        if error_count == 0:
            return Verdict.VALID, (
                f"The answer matches the reference and all {checked} checked claim(s) are right."
                if checked else "The answer matches the reference and every checked step is right."
            )
        if repaired_correct:
            return Verdict.CANCELING_ERRORS, (
                f"The answer matches, but {error_count} arithmetic error(s) were found; with them fixed the "
                "chain still reaches the reference, so the errors cancel or never reach the answer."
            )
        return Verdict.LUCKY_GUESS, (
            f"The answer matches, but {error_count} arithmetic error(s) were found and with them fixed the "
            "chain no longer reaches the reference: the right answer came from wrong arithmetic."
        )
    if error_count and repaired_correct:
        return Verdict.ARITHMETIC_SLIP, (
            f"The answer is wrong because of {error_count} arithmetic error(s); with them fixed the chain "
            "reaches the reference."
        )
    return Verdict.WRONG_REASONING, (
        "The answer is wrong and fixing the arithmetic does not reach the reference."
        if error_count else "The answer is wrong though every checked step is right: the reasoning is wrong."
    )
