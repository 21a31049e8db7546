"""People in the report: their labels resolved per chain, the machine measured against them, and annotators
measured against each other (Cohen's kappa, Krippendorff's alpha).

:func:`read_labels` reads the labels of the labelled chains only (few, next to the chains); :func:`compare`
sets one chain's machine verdict and first error beside people's; :func:`agreement` sums it all up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from .. import store
from ..engine.model import Verdict
from ..labels.labelset import (
    CHAIN_LABELS,
    UNSURE,
    ChainLabels,
    Resolution,
    ResolvedSteps,
    coarse,
    human_first_error,
    resolve_chain,
    resolve_steps,
)
from .agreement import Confusion, cohen_kappa, confusion, krippendorff_alpha

VERDICT_ORDER = tuple(v.value for v in Verdict)
COARSE_ORDER = ("sound", "right answer, unsound", "wrong answer")


@dataclass(frozen=True, slots=True)
class FirstErrorAgreement:
    """Machine's first arithmetic-error step against people's first wrong step (−1: no error).

    The machine checks arithmetic only, so a person's logical error it cannot see shows as
    ``human_only``. ``error_accuracy``, ``correct_accuracy`` and ``f1`` are ProcessBench's metrics:
    exact earliest-error step on chains people found an error in, "no error" on the others, and
    their harmonic mean.
    """

    chains: int
    same: int
    both_none: int
    machine_earlier: int
    machine_later: int
    human_only: int
    """People found an error; the machine found none."""
    machine_only: int
    """The machine found an error where people found none."""
    unknown: int
    """Labelled chains where people's first error is unknown (some steps unrated, none wrong)."""

    @property
    def error_chains(self) -> int:
        return self.same - self.both_none + self.machine_earlier + self.machine_later + self.human_only

    @property
    def correct_chains(self) -> int:
        return self.both_none + self.machine_only

    @property
    def error_accuracy(self) -> float | None:
        n = self.error_chains
        return (self.same - self.both_none) / n if n else None

    @property
    def correct_accuracy(self) -> float | None:
        n = self.correct_chains
        return self.both_none / n if n else None

    @property
    def f1(self) -> float | None:
        a, b = self.error_accuracy, self.correct_accuracy
        if a is None or b is None or a + b == 0:
            return None
        return 2 * a * b / (a + b)


@dataclass(frozen=True, slots=True)
class RaterAgreement:
    """Agreement between annotators: Cohen's kappa for two, Krippendorff's alpha (nominal) for more."""

    what: str
    """``chain labels`` or ``step ratings``."""
    annotators: tuple[str, ...]
    units: int
    """Chains (or steps) rated by at least two of them."""
    statistic: str
    """``cohen_kappa`` or ``krippendorff_alpha``."""
    value: float | None
    all_agree: int
    """Units on which every annotator who rated it gave the same value."""


@dataclass(frozen=True, slots=True)
class Agreement:
    """The machine measured against people, and people against each other."""

    resolution: str
    labelled_chains: int
    """Chains with any current chain or step label."""
    chain_labelled: int
    """Chains whose resolved chain label is a verdict (``unsure`` and unlabelled ones aside)."""
    unsure: int
    conflicts: int
    """Chains on which annotators' current labels disagree (chain labels or step ratings)."""
    verdicts: Confusion | None
    """Rows: people's resolved label; columns: the machine's verdict."""
    coarse: Confusion | None
    """The same in three classes: sound, right answer by unsound reasoning, wrong answer."""
    first_error: FirstErrorAgreement | None
    raters: tuple[RaterAgreement, ...]
    chain_labels: int = 0
    """Current chain labels of all annotators."""
    blind_labels: int = 0
    """Of those, how many were given blind (``inspect label --blind``)."""


@dataclass(slots=True)
class Human:
    """People's word on one chain, resolved (``--resolve``)."""

    label: str | None
    steps: ResolvedSteps
    conflict: bool
    labelled: bool


@dataclass(slots=True)
class Raters:
    chain: dict[str, dict[str, str]] = field(default_factory=dict)
    """chain → annotator → current chain label (``unsure`` left out)."""
    steps: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    """(chain, step) → annotator → current rating."""
    labels: int = 0
    """Current chain labels, every annotator's."""
    blind: int = 0
    """Current chain labels given blind."""


def read_labels(db: Database, how: Resolution) -> tuple[dict[str, Human], Raters]:
    humans: dict[str, Human] = {}
    raters = Raters()
    ids = store.iter_labelled_chain_ids(db)
    while True:
        batch = [cid for _, cid in zip(range(500), ids, strict=False)]
        if not batch:
            break
        for cid, labels in store.labels_for(db, batch).items():
            humans[cid] = _human(labels, how)
            _collect_raters(cid, labels, raters)
    return humans, raters


def _human(labels: ChainLabels, how: Resolution) -> Human:
    chain = resolve_chain(labels.chain_labels, how)
    steps = resolve_steps(labels.step_labels, how)
    labelled = chain.label is not None or bool(steps.ratings) or steps.first_error_marked is not None
    return Human(chain.label, steps, chain.conflict or steps.conflict, labelled)


def _collect_raters(cid: str, labels: ChainLabels, raters: Raters) -> None:
    for lab in labels.chain_labels:
        if lab.current:
            raters.labels += 1
            raters.blind += bool(lab.blind)
        if lab.current and lab.label != UNSURE and lab.annotator is not None:
            raters.chain.setdefault(cid, {})[lab.annotator] = lab.label
    for st in labels.step_labels:
        if st.current and st.rating is not None and st.annotator is not None:
            raters.steps.setdefault((cid, st.step), {})[st.annotator] = st.rating


def compare(row: store.ReportRow, human: Human, pairs: list[tuple[str, str]], first: Counter[str]) -> None:
    if human.label is not None and human.label != UNSURE:
        pairs.append((human.label, row.verdict))
    rated = bool(human.steps.ratings) or human.steps.first_error_marked is not None
    h = human_first_error(human.steps, row.steps) if rated else None
    if h is None and human.label == Verdict.VALID.value:
        h = -1  # people called the chain valid: no step is wrong
    if h is None:
        first["unknown"] += rated
        return
    m = row.first_error_step if row.first_error_step is not None else -1
    if h == m:
        first["same"] += 1
        if h == -1:
            first["both_none"] += 1
    elif h == -1:
        first["machine_only"] += 1
    elif m == -1:
        first["human_only"] += 1
    elif m < h:
        first["machine_earlier"] += 1
    else:
        first["machine_later"] += 1


def agreement(
    how: Resolution,
    humans: dict[str, Human],
    raters: Raters,
    pairs: list[tuple[str, str]],
    first: Counter[str],
) -> Agreement | None:
    labelled = [h for h in humans.values() if h.labelled]
    if not labelled:
        return None
    order = CHAIN_LABELS[:-1] + tuple(v for v in VERDICT_ORDER if v not in CHAIN_LABELS)
    coarse_pairs = []
    for human, machine in pairs:
        h = coarse(human)
        if h is not None:
            coarse_pairs.append((h, coarse(machine) or machine))  # the machine's "unreferenced" stays as is
    compared = sum(first[k] for k in ("same", "machine_earlier", "machine_later", "human_only", "machine_only"))
    fe = None
    if compared:
        fe = FirstErrorAgreement(
            chains=compared, same=first["same"], both_none=first["both_none"],
            machine_earlier=first["machine_earlier"], machine_later=first["machine_later"],
            human_only=first["human_only"], machine_only=first["machine_only"], unknown=first["unknown"],
        )  # fmt: skip
    return Agreement(
        resolution=str(how),
        labelled_chains=len(labelled),
        chain_labelled=len(pairs),
        unsure=sum(1 for h in labelled if h.label == UNSURE),
        conflicts=sum(1 for h in labelled if h.conflict),
        verdicts=confusion(pairs, order) if pairs else None,
        coarse=confusion(coarse_pairs, COARSE_ORDER + ("unreferenced",)) if coarse_pairs else None,
        first_error=fe,
        raters=_rater_agreement(raters),
        chain_labels=raters.labels,
        blind_labels=raters.blind,
    )


def _rater_agreement(raters: Raters) -> tuple[RaterAgreement, ...]:
    out = []
    for what, table in (("chain labels", raters.chain), ("step ratings", raters.steps)):
        units: Iterable[dict[str, Any]] = table.values()
        names = sorted({a for unit in units for a in unit})
        pairable = [u for u in table.values() if len(u) >= 2]
        if len(names) < 2 or not pairable:
            continue
        agree = sum(1 for u in pairable if len(set(u.values())) == 1)
        if len(names) == 2:
            a, b = names
            value = cohen_kappa((u[a], u[b]) for u in pairable)
            stat = "cohen_kappa"
        else:
            value = krippendorff_alpha([u.get(n) for n in names] for u in pairable)
            stat = "krippendorff_alpha"
        out.append(RaterAgreement(what, tuple(names), len(pairable), stat, value, agree))
    return tuple(out)
