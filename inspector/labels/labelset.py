"""Human labels as plain data, and the one rule for choosing a label when several annotators gave one.

Chain labels use the verdict names (``valid``, ``canceling_errors``, ``lucky_guess``, ``arithmetic_slip``,
``wrong_reasoning``) plus ``unsure``; step labels are ratings −1 / 0 / +1 as in PRM800K (wrong, neutral,
good). A label is *current* until a later one by the same annotator supersedes it (``superseded_at``).

Resolution (``--resolve``): ``latest`` takes the most recent current label of any annotator,
``majority`` the most common one among annotators (a tie goes to the latest of the tied labels, and is
reported as a conflict), ``annotator=NAME`` that annotator's label alone, ``adjudicator=NAME`` that
annotator's label where there is one (an adjudicator settles a disagreement) and ``latest`` elsewhere. ``unsure`` is a label but not a
vote: it is chosen only when nobody said anything else. Step ratings are resolved per chain under the
same policy: ``latest`` takes all the step ratings of the annotator who rated this chain's steps last
(mixing two people's steps into one trajectory would invent a labelling nobody made), ``majority``
votes step by step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..engine.model import Verdict

__all__ = [
    "CHAIN_LABELS",
    "UNSURE",
    "ChainLabel",
    "ChainLabels",
    "Note",
    "Resolution",
    "Resolved",
    "ResolvedSteps",
    "StepLabel",
    "coarse",
    "human_first_error",
    "parse_resolution",
    "resolve_chain",
    "resolve_steps",
]

UNSURE = "unsure"
CHAIN_LABELS = (
    Verdict.VALID.value,
    Verdict.CANCELING_ERRORS.value,
    Verdict.LUCKY_GUESS.value,
    Verdict.ARITHMETIC_SLIP.value,
    Verdict.WRONG_REASONING.value,
    UNSURE,
)
"""The labels a person can give a chain."""


@dataclass(frozen=True, slots=True)
class ChainLabel:
    chain_id: str
    annotator: str | None
    label: str
    created_at: str
    note: str | None = None
    superseded_at: str | None = None
    machine_verdict: str | None = None
    """The machine's verdict when the label was given (so later re-runs don't rewrite history)."""
    blind: bool | None = None
    """Given with ``inspect label --blind`` (verdict and others' labels hidden); ``None``: not recorded."""

    @property
    def current(self) -> bool:
        return self.superseded_at is None


@dataclass(frozen=True, slots=True)
class StepLabel:
    chain_id: str
    step: int
    annotator: str | None
    rating: int | None
    """−1 wrong, 0 neutral (fine but no progress), +1 good; ``None`` seen but not rated."""
    created_at: str
    first_error: bool = False
    """The annotator marked this step as the chain's first error."""
    superseded_at: str | None = None

    @property
    def current(self) -> bool:
        return self.superseded_at is None


@dataclass(frozen=True, slots=True)
class Note:
    chain_id: str
    annotator: str | None
    text: str
    created_at: str
    superseded_at: str | None = None


@dataclass(frozen=True, slots=True)
class ChainLabels:
    """Everything people said about one chain, history included."""

    chain_labels: tuple[ChainLabel, ...] = ()
    step_labels: tuple[StepLabel, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.chain_labels or self.step_labels or self.notes)


@dataclass(frozen=True, slots=True)
class Resolution:
    """How to choose among annotators: ``latest``, ``majority``, ``annotator`` or ``adjudicator`` (with a name)."""

    how: str = "latest"
    annotator: str | None = None

    def __str__(self) -> str:
        return f"{self.how}={self.annotator}" if self.how in ("annotator", "adjudicator") else self.how


def parse_resolution(text: str) -> Resolution:
    """``latest``, ``majority``, ``annotator=NAME`` or ``adjudicator=NAME``; ``ValueError`` for anything else."""
    text = text.strip()
    if text in ("latest", "majority"):
        return Resolution(text)
    for how in ("annotator", "adjudicator"):
        if text.startswith(how + "="):
            name = text.removeprefix(how + "=").strip()
            if name:
                return Resolution(how, name)
    raise ValueError(f"unknown resolution {text!r} (latest, majority, annotator=NAME or adjudicator=NAME)")


@dataclass(frozen=True, slots=True)
class Resolved:
    """One chain label chosen from many."""

    label: str | None
    annotator: str | None
    conflict: bool
    """Current labels of different annotators disagree (``unsure`` aside)."""
    annotators: int
    """How many annotators have a current label on the chain."""


def _latest_per_annotator(labels: Iterable[ChainLabel]) -> dict[str | None, ChainLabel]:
    out: dict[str | None, ChainLabel] = {}
    for lab in labels:
        if lab.current and (lab.annotator not in out or lab.created_at >= out[lab.annotator].created_at):
            out[lab.annotator] = lab
    return out


def resolve_chain(labels: Sequence[ChainLabel], how: Resolution) -> Resolved:
    """The chain label ``how`` chooses among the current labels (see the module docstring)."""
    per = _latest_per_annotator(labels)
    decided = [lab for lab in per.values() if lab.label != UNSURE]
    conflict = len({lab.label for lab in decided}) > 1
    if how.how == "annotator":
        mine = per.get(how.annotator)
        return Resolved(mine.label if mine else None, how.annotator if mine else None, conflict, len(per))
    if how.how == "adjudicator" and how.annotator in per:
        settled = per[how.annotator]
        return Resolved(settled.label, settled.annotator, conflict, len(per))
    pool = decided or list(per.values())
    if not pool:
        return Resolved(None, None, False, 0)
    if how.how == "majority":
        votes = Counter(lab.label for lab in pool)
        top = max(votes.values())
        pool = [lab for lab in pool if votes[lab.label] == top]
    chosen = max(pool, key=lambda lab: (lab.created_at, lab.annotator or ""))
    return Resolved(chosen.label, chosen.annotator, conflict, len(per))


@dataclass(frozen=True, slots=True)
class ResolvedSteps:
    """Step ratings chosen from many annotators', by step index."""

    ratings: dict[int, int]
    annotator: str | None
    """Whose ratings they are; ``None`` for a step-by-step majority of several."""
    first_error_marked: int | None
    """The step an annotator explicitly marked as the first error, if any."""
    conflict: bool
    """Two annotators rated some step differently."""


def resolve_steps(labels: Sequence[StepLabel], how: Resolution) -> ResolvedSteps:
    """The step ratings ``how`` chooses among the current step labels."""
    per: dict[str | None, dict[int, StepLabel]] = {}
    for lab in labels:
        if not lab.current:
            continue
        mine = per.setdefault(lab.annotator, {})
        if lab.step not in mine or lab.created_at >= mine[lab.step].created_at:
            mine[lab.step] = lab
    rated: dict[int, set[int]] = {}
    for steps in per.values():
        for s, lab in steps.items():
            if lab.rating is not None:
                rated.setdefault(s, set()).add(lab.rating)
    conflict = any(len(v) > 1 for v in rated.values())

    def of(annotator: str | None) -> ResolvedSteps:
        steps = per.get(annotator, {})
        marked = [s for s, lab in steps.items() if lab.first_error]
        return ResolvedSteps(
            {s: lab.rating for s, lab in steps.items() if lab.rating is not None},
            annotator, min(marked) if marked else None, conflict,
        )

    if not per:
        return ResolvedSteps({}, None, None, False)
    if how.how == "annotator":
        return of(how.annotator) if how.annotator in per else ResolvedSteps({}, None, None, conflict)
    if how.how == "adjudicator" and how.annotator in per:
        return of(how.annotator)
    if how.how in ("latest", "adjudicator") or len(per) == 1:
        last = max(per, key=lambda a: (max(lab.created_at for lab in per[a].values()), a or ""))
        return of(last)
    ratings: dict[int, int] = {}
    for s in sorted(rated):
        votes = Counter(
            steps[s].rating for steps in per.values() if s in steps and steps[s].rating is not None
        )
        top = max(votes.values())
        tied = {r for r, v in votes.items() if v == top}
        latest = max(
            (steps[s] for steps in per.values() if s in steps and steps[s].rating in tied),
            key=lambda lab: (lab.created_at, lab.annotator or ""),
        )
        assert latest.rating is not None
        ratings[s] = latest.rating
    return ResolvedSteps(ratings, None, None, conflict)


def human_first_error(steps: ResolvedSteps, n_steps: int | None) -> int | None:
    """The first step people judged wrong; ``-1`` when they rated every step and none is wrong.

    ``None`` (unknown) when no step is wrong but some steps were never rated (a partial labelling says
    nothing about the rest), or nothing was rated at all. An explicitly marked first error wins over
    the first −1 rating (an annotator may rate an early step −1 and later decide the error starts
    elsewhere).
    """
    if steps.first_error_marked is not None:
        return steps.first_error_marked
    wrong = [s for s, r in steps.ratings.items() if r < 0]
    if wrong:
        return min(wrong)
    if steps.ratings and n_steps is not None and all(s in steps.ratings for s in range(n_steps)):
        return -1
    return None


_COARSE = {
    Verdict.VALID.value: "sound",
    Verdict.CANCELING_ERRORS.value: "right answer, unsound",
    Verdict.LUCKY_GUESS.value: "right answer, unsound",
    Verdict.ARITHMETIC_SLIP.value: "wrong answer",
    Verdict.WRONG_REASONING.value: "wrong answer",
    Verdict.NO_ANSWER.value: "wrong answer",
    Verdict.UNDECIDED.value: "wrong answer",
}


def coarse(label: str) -> str | None:
    """The paper's question in three classes: sound, right answer by unsound reasoning, wrong answer.

    ``None`` for labels that say nothing about it (``unsure``, ``unreferenced``).
    """
    return _COARSE.get(label)
