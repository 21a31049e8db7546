"""The paper's question answered with numbers: verdicts, pass@k three ways, and agreement with people.

``build_report(db)`` reads the store once (chains as small rows, labels only for labelled chains) and
returns a frozen :class:`Report`; the renderers (``render_report``) and the TUI draw the same object.

pass@k is computed three ways, per model and per problem set:

- **raw**: a sample counts when its final answer matches the reference (what papers report);
- **valid-only**: it counts only when the reasoning is valid too: the machine's verdict is ``valid``,
  or, where a person labelled the chain (resolved as ``--resolve`` says; ``unsure`` is no label), the
  person's label is ``valid``. It must count as raw first, so valid-only never exceeds raw (a person's
  ``valid`` on a chain whose answer the machine finds wrong shows up as a disagreement instead);
- **calculator-repaired**: an ``arithmetic_slip`` (wrong answer, but the repaired arithmetic reaches the
  reference) counts as solved too.

Every sample of a problem with a reference counts: one with no final answer (``no_answer``) or an answer
that could not be compared within the bounds (``undecided``) is a failed sample, for raw, valid-only and
repaired alike. Only chains without a reference (``unreferenced``) cannot be scored and are left out
(counted in ``Report.unscored``). Beside valid-only, ``unchecked`` says how many right answers rest on
no checked claim at all (verdict ``unchecked``): they are not in valid-only, and not reasoning shown
wrong either. A problem set is the data set the input names (an evaluation dump's ``dataset``), else the
input file a chain came from (its ``source``, without the line number or extensions). Crossings are looked for within each problem set.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
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
from .passk import crossing_k, default_ks, pass_curve

__all__ = [
    "Agreement",
    "Breakdown",
    "Crossing",
    "Curve",
    "FirstErrorAgreement",
    "RaterAgreement",
    "Report",
    "build_report",
    "problem_set_of",
]

NO_MODEL = "(no model)"
ALL_SETS = "(all)"

VERDICT_ORDER = tuple(v.value for v in Verdict)
ANSWER_CORRECT = (Verdict.VALID.value, Verdict.CANCELING_ERRORS.value, Verdict.LUCKY_GUESS.value,
                  Verdict.UNCHECKED.value)
"""The verdicts of a final answer that matches its reference."""
COARSE_ORDER = ("sound", "right answer, unsound", "wrong answer")


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Verdict counts of one model on one problem set (``ALL_SETS``: all its sets together)."""

    model: str
    problem_set: str
    chains: int
    problems: int
    verdicts: tuple[tuple[str, int], ...]
    """Every verdict, in the contract's order, with its count (zeros included)."""
    answer_correct: int
    """Chains whose final answer matches: ``valid`` + ``canceling_errors`` + ``lucky_guess`` + ``unchecked``."""

    def count(self, verdict: str) -> int:
        return dict(self.verdicts).get(verdict, 0)

    def rate(self, verdict: str) -> float | None:
        return self.count(verdict) / self.chains if self.chains else None

    def share_of_correct(self, verdict: str) -> float | None:
        """Of the answer-correct chains, the share with this verdict (valid / cancelling / lucky)."""
        return self.count(verdict) / self.answer_correct if self.answer_correct else None


@dataclass(frozen=True, slots=True)
class Curve:
    """pass@k of one model on one problem set, three ways, at ``ks``."""

    model: str
    problem_set: str
    problems: int
    samples_min: int
    samples_max: int
    ks: tuple[int, ...]
    raw: tuple[float, ...]
    valid_only: tuple[float, ...]
    repaired: tuple[float, ...]
    human_labelled: int
    """Chains whose valid-only status came from a person's label rather than the machine's verdict."""
    answer_correct: int = 0
    """Samples whose final answer matches."""
    unchecked: int = 0
    """Of those, samples with no checked claim (verdict ``unchecked``): not in valid-only."""

    @property
    def unchecked_share(self) -> float | None:
        """The share of right answers that rest on no checked claim at all."""
        return self.unchecked / self.answer_correct if self.answer_correct else None

    @property
    def not_valid_share(self) -> float | None:
        """The share of raw pass@1 that is not valid reasoning: (raw − valid-only) / raw at k = 1."""
        if not self.raw or not self.raw[0]:
            return None
        return (self.raw[0] - self.valid_only[0]) / self.raw[0]


@dataclass(frozen=True, slots=True)
class Crossing:
    """Two models on the problems they share: where (if anywhere) their pass@k curves cross."""

    problem_set: str
    model_a: str
    model_b: str
    shared_problems: int
    ks: tuple[int, ...]
    a_raw: tuple[float, ...]
    b_raw: tuple[float, ...]
    a_valid: tuple[float, ...]
    b_valid: tuple[float, ...]
    raw_crosses_at: int | None
    """The smallest k at which the raw pass@k order flips; ``None``: it never does."""
    valid_crosses_at: int | None


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


@dataclass(frozen=True, slots=True)
class Report:
    database: str
    chains: int
    unscored: int
    """Chains left out of pass@k for want of a reference."""
    resolution: str
    breakdowns: tuple[Breakdown, ...]
    curves: tuple[Curve, ...]
    crossings: tuple[Crossing, ...]
    agreement: Agreement | None
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """Everything, as plain JSON types; derived figures (rates, shares, F1) included."""
        out = asdict(self)
        out["breakdowns"] = [
            {**asdict(b), "verdicts": dict(b.verdicts),
             "rates": {v: b.rate(v) for v, _ in b.verdicts},
             "answer_correct_split": {v: b.share_of_correct(v) for v in ANSWER_CORRECT}}
            for b in self.breakdowns
        ]  # fmt: skip
        out["curves"] = [{**asdict(c), "not_valid_share": c.not_valid_share, "unchecked_share": c.unchecked_share}
                         for c in self.curves]
        if self.agreement is not None:
            ag = out["agreement"]
            for key in ("verdicts", "coarse"):
                conf: Confusion | None = getattr(self.agreement, key)
                if conf is not None:
                    ag[key]["accuracy"] = conf.accuracy
            fe = self.agreement.first_error
            if fe is not None:
                ag["first_error"].update(
                    error_chains=fe.error_chains, correct_chains=fe.correct_chains,
                    error_accuracy=fe.error_accuracy, correct_accuracy=fe.correct_accuracy, f1=fe.f1,
                )  # fmt: skip
        return out


def problem_set_of(source: str | None) -> str:
    """``data/gsm8k.json:12`` → ``gsm8k``: the input file's name without line number or extensions."""
    if not source:
        return "(unknown)"
    path = source
    head, sep, tail = source.rpartition(":")
    if sep and tail.isdigit():
        path = head
    name = os.path.basename(path) or path
    for ext in (".gz", ".jsonl", ".json", ".csv", ".parquet", ".db", ".sqlite", ".sqlite3"):
        name = name.removesuffix(ext)
    return name or "(unknown)"


@dataclass(slots=True)
class _Human:
    label: str | None
    steps: ResolvedSteps
    conflict: bool
    labelled: bool


@dataclass(slots=True)
class _Problem:
    n: int = 0
    raw: int = 0
    valid: int = 0
    repaired: int = 0
    unchecked: int = 0


def build_report(
    db: Database,
    *,
    resolution: Resolution | None = None,
    models: Sequence[str] = (),
    ks: Sequence[int] | None = None,
    database: str = "",
    rows: Iterable[store.ReportRow] | None = None,
) -> Report:
    """Read the store and compute the whole report (see the module docstring).

    ``rows`` are the chains to report on in place of the store's (``shards.report_rows``: the shards of
    ``inspect verify --ray``, read without building a database); people's labels still come from ``db``.
    """
    how = resolution or Resolution()
    humans, raters = _read_labels(db, how)
    wanted = set(models)

    counts: dict[tuple[str, str], Counter[str]] = {}
    problems: dict[tuple[str, str], dict[str, _Problem]] = {}
    overridden: Counter[tuple[str, str]] = Counter()
    verdict_pairs: list[tuple[str, str]] = []
    first_error = Counter[str]()
    chains = unscored = failed_unanswered = 0
    for row in store.iter_report_rows(db) if rows is None else rows:
        model = row.model or NO_MODEL
        if wanted and model not in wanted:
            continue
        chains += 1
        pset = row.problem_set or problem_set_of(row.source)
        key = (model, pset)
        counts.setdefault(key, Counter())[row.verdict] += 1
        human = humans.get(row.chain_id)
        if human is not None and human.labelled:
            _compare(row, human, verdict_pairs, first_error)
        if row.verdict == Verdict.UNREFERENCED.value:
            unscored += 1
            continue
        if row.answer_correct is None:
            failed_unanswered += 1  # no answer, or undecided: a failed sample, never a dropped one
        p = problems.setdefault(key, {}).setdefault(row.problem_id or f"chain:{row.chain_id}", _Problem())
        p.n += 1
        p.unchecked += row.verdict == Verdict.UNCHECKED.value
        p.raw += bool(row.answer_correct)
        p.repaired += bool(row.answer_correct) or row.verdict == Verdict.ARITHMETIC_SLIP.value
        if human is not None and human.label is not None and human.label != UNSURE:
            overridden[key] += 1
            valid = human.label == Verdict.VALID.value
        else:
            valid = row.verdict == Verdict.VALID.value
        p.valid += bool(row.answer_correct) and valid  # never more than raw: it must count as raw first

    # Each model on all its sets together, when it has more than one.
    sets_of: dict[str, list[str]] = {}
    for model, pset in counts:
        sets_of.setdefault(model, []).append(pset)
    for model, sets in sets_of.items():
        if len(sets) > 1:
            counts[(model, ALL_SETS)] = sum((counts[(model, s)] for s in sets), Counter())
            merged: dict[str, _Problem] = {}
            for s in sets:
                merged.update({f"{s}/{pid}": p for pid, p in problems.get((model, s), {}).items()})
            if merged:
                problems[(model, ALL_SETS)] = merged
            overridden[(model, ALL_SETS)] = sum(overridden[(model, s)] for s in sets)

    order = sorted(counts, key=lambda k: (natural_order(k[0]), k[1] == ALL_SETS, k[1]))
    breakdowns = tuple(_breakdown(key, counts[key], len(problems.get(key, {}))) for key in order)
    curves = tuple(
        _curve(key, problems[key], overridden[key], ks) for key in order if problems.get(key)
    )
    crossings = _crossings(problems, ks)
    agreement = _agreement(how, humans, raters, verdict_pairs, first_error)
    notes = []
    if unscored:
        notes.append(f"{unscored} chain(s) have no reference answer: left out of pass@k (nothing to score "
                     "them against)")
    if failed_unanswered:
        notes.append(f"{failed_unanswered} sample(s) with no final answer or an undecided one count as failed "
                     "samples in pass@k")
    return Report(database, chains, unscored, str(how), breakdowns, curves, crossings, agreement, tuple(notes))


def _breakdown(key: tuple[str, str], counts: Counter[str], problems: int) -> Breakdown:
    verdicts = tuple((v, counts.get(v, 0)) for v in VERDICT_ORDER) + tuple(
        (v, n) for v, n in sorted(counts.items()) if v not in VERDICT_ORDER
    )
    correct = sum(counts.get(v, 0) for v in ANSWER_CORRECT)
    return Breakdown(key[0], key[1], sum(counts.values()), problems, verdicts, correct)


def _ks_for(n_min: int, ks: Sequence[int] | None) -> tuple[int, ...]:
    if ks is None:
        return default_ks(n_min)
    return tuple(k for k in ks if 1 <= k <= n_min)


def _curve(key: tuple[str, str], probs: dict[str, _Problem], human: int, ks: Sequence[int] | None) -> Curve:
    ps = list(probs.values())
    n_min = min(p.n for p in ps)
    grid = _ks_for(n_min, ks)
    return Curve(
        model=key[0], problem_set=key[1], problems=len(ps),
        samples_min=n_min, samples_max=max(p.n for p in ps), ks=grid,
        raw=pass_curve([(p.n, p.raw) for p in ps], grid),
        valid_only=pass_curve([(p.n, p.valid) for p in ps], grid),
        repaired=pass_curve([(p.n, p.repaired) for p in ps], grid),
        human_labelled=human,
        answer_correct=sum(p.raw for p in ps), unchecked=sum(p.unchecked for p in ps),
    )  # fmt: skip


def natural_order(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that reads the numbers in a name as numbers: checkpoints ``step50``, ``step200``, ``step1000``
    in training order, not as text (``step1000`` before ``step200``)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part)


def _crossings(problems: dict[tuple[str, str], dict[str, _Problem]], ks: Sequence[int] | None) -> tuple[Crossing, ...]:
    by_set: dict[str, dict[str, dict[str, _Problem]]] = {}
    for (model, pset), probs in problems.items():
        if pset == ALL_SETS:
            continue
        by_set.setdefault(pset, {})[model] = probs
    out = []
    for pset in sorted(by_set):
        for a, b in combinations(sorted(by_set[pset], key=natural_order), 2):
            pa, pb = by_set[pset][a], by_set[pset][b]
            shared = sorted(set(pa) & set(pb))
            if not shared:
                continue
            ra = [(pa[p].n, pa[p].raw) for p in shared]
            rb = [(pb[p].n, pb[p].raw) for p in shared]
            va = [(pa[p].n, pa[p].valid) for p in shared]
            vb = [(pb[p].n, pb[p].valid) for p in shared]
            grid = _ks_for(min(n for n, _ in ra + rb), ks)
            out.append(Crossing(
                problem_set=pset, model_a=a, model_b=b, shared_problems=len(shared), ks=grid,
                a_raw=pass_curve(ra, grid), b_raw=pass_curve(rb, grid),
                a_valid=pass_curve(va, grid), b_valid=pass_curve(vb, grid),
                raw_crosses_at=crossing_k(ra, rb), valid_crosses_at=crossing_k(va, vb),
            ))  # fmt: skip
    return tuple(out)


# --- people ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Raters:
    chain: dict[str, dict[str, str]] = field(default_factory=dict)
    """chain → annotator → current chain label (``unsure`` left out)."""
    steps: dict[tuple[str, int], dict[str, int]] = field(default_factory=dict)
    """(chain, step) → annotator → current rating."""
    labels: int = 0
    """Current chain labels, every annotator's."""
    blind: int = 0
    """Current chain labels given blind."""


def _read_labels(db: Database, how: Resolution) -> tuple[dict[str, _Human], _Raters]:
    humans: dict[str, _Human] = {}
    raters = _Raters()
    ids = store.iter_labelled_chain_ids(db)
    while True:
        batch = [cid for _, cid in zip(range(500), ids, strict=False)]
        if not batch:
            break
        for cid, labels in store.labels_for(db, batch).items():
            humans[cid] = _human(labels, how)
            _collect_raters(cid, labels, raters)
    return humans, raters


def _human(labels: ChainLabels, how: Resolution) -> _Human:
    chain = resolve_chain(labels.chain_labels, how)
    steps = resolve_steps(labels.step_labels, how)
    labelled = chain.label is not None or bool(steps.ratings) or steps.first_error_marked is not None
    return _Human(chain.label, steps, chain.conflict or steps.conflict, labelled)


def _collect_raters(cid: str, labels: ChainLabels, raters: _Raters) -> None:
    for lab in labels.chain_labels:
        if lab.current:
            raters.labels += 1
            raters.blind += bool(lab.blind)
        if lab.current and lab.label != UNSURE and lab.annotator is not None:
            raters.chain.setdefault(cid, {})[lab.annotator] = lab.label
    for st in labels.step_labels:
        if st.current and st.rating is not None and st.annotator is not None:
            raters.steps.setdefault((cid, st.step), {})[st.annotator] = st.rating


def _compare(row: store.ReportRow, human: _Human, pairs: list[tuple[str, str]], first: Counter[str]) -> None:
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


def _agreement(
    how: Resolution,
    humans: dict[str, _Human],
    raters: _Raters,
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


def _rater_agreement(raters: _Raters) -> tuple[RaterAgreement, ...]:
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
