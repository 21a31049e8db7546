"""The paper's question answered with numbers: verdicts, pass@k three ways, and agreement with people.

``build_report(db)`` reads the store once, in one snapshot: the chains counted by SQL in groups that
count alike (``store.iter_report_groups``: 200,000 chains in a tenth of a second), then the labels and
the rows of the few labelled chains (:mod:`.people`), laid over those counts. It returns a frozen
:class:`Report`; the renderers (``render_report``) and the TUI draw the same object.

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
from ..labels.labelset import UNSURE, Resolution
from ..store.reports import iter_report_groups, report_rows_of, source_file
from .agreement import Confusion
from .passk import crossing_k, default_ks, pass_curve
from .people import (
    COARSE_ORDER,
    VERDICT_ORDER,
    Agreement,
    FirstErrorAgreement,
    Human,
    RaterAgreement,
    compare,
    read_labels,
)
from .people import agreement as people_agreement

__all__ = [
    "COARSE_ORDER",
    "VERDICT_ORDER",
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

ANSWER_CORRECT = (Verdict.VALID.value, Verdict.CANCELING_ERRORS.value, Verdict.LUCKY_GUESS.value,
                  Verdict.UNCHECKED.value)
"""The verdicts of a final answer that matches its reference."""


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
    return _set_name(source_file(source))


def _set_name(path: str | None) -> str:
    """An input file's name without its extensions (``data/gsm8k.json`` → ``gsm8k``)."""
    if not path:
        return "(unknown)"
    name = os.path.basename(path) or path
    for ext in (".gz", ".jsonl", ".json", ".csv", ".parquet", ".db", ".sqlite", ".sqlite3"):
        name = name.removesuffix(ext)
    return name or "(unknown)"


@dataclass(slots=True)
class _Problem:
    n: int = 0
    raw: int = 0
    valid: int = 0
    repaired: int = 0
    unchecked: int = 0


@dataclass(slots=True)
class _Tally:
    """The chains counted by model and problem set: verdicts, and per problem what pass@k needs."""

    wanted: set[str]
    """The models reported on (all when empty)."""
    counts: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    problems: dict[tuple[str, str], dict[str, _Problem]] = field(default_factory=dict)
    overridden: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Chains whose valid-only status comes from a person's label, per (model, problem set)."""
    chains: int = 0
    unscored: int = 0
    failed_unanswered: int = 0

    def wants(self, model: str) -> bool:
        return not self.wanted or model in self.wanted

    def add(self, model: str, pset: str, problem: str, verdict: str, correct: bool | None, n: int = 1) -> None:
        """``n`` chains alike, valid-only as the machine says (:meth:`overrule` lays people's labels over it)."""
        if not self.wants(model):
            return
        self.chains += n
        key = (model, pset)
        self.counts.setdefault(key, Counter())[verdict] += n
        if verdict == Verdict.UNREFERENCED.value:
            self.unscored += n
            return
        if correct is None:
            self.failed_unanswered += n  # no answer, or undecided: a failed sample, never a dropped one
        p = self.problems.setdefault(key, {}).setdefault(problem, _Problem())
        p.n += n
        p.unchecked += n * (verdict == Verdict.UNCHECKED.value)
        if correct:
            p.raw += n
            p.repaired += n
            p.valid += n * (verdict == Verdict.VALID.value)  # never more than raw: it must count as raw first
        else:
            p.repaired += n * (verdict == Verdict.ARITHMETIC_SLIP.value)

    def add_row(self, row: store.ReportRow) -> None:
        self.add(row.model or NO_MODEL, _row_set(row), _row_problem(row), row.verdict, row.answer_correct)

    def overrule(self, row: store.ReportRow, human: Human) -> None:
        """A labelled chain, counted already: its valid-only status is the person's label, where there is one."""
        if row.verdict == Verdict.UNREFERENCED.value or human.label is None or human.label == UNSURE:
            return
        key = (row.model or NO_MODEL, _row_set(row))
        self.overridden[key] += 1
        if row.answer_correct:
            self.problems[key][_row_problem(row)].valid += (human.label == Verdict.VALID.value) - (
                row.verdict == Verdict.VALID.value
            )


def _row_set(row: store.ReportRow) -> str:
    return row.problem_set or problem_set_of(row.source)


def _row_problem(row: store.ReportRow) -> str:
    return row.problem_id or f"chain:{row.chain_id}"


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
    tally = _Tally(set(models))
    pairs: list[tuple[str, str]] = []
    first_error = Counter[str]()
    with store.read_snapshot(db):
        humans, raters = read_labels(db, how)
        if rows is None:  # the chains counted in SQL, then people's labels laid over the few they labelled
            for g in iter_report_groups(db):
                pset = g.problem_set or _set_name(g.source_file)
                tally.add(g.model or NO_MODEL, pset, g.problem, g.verdict, g.answer_correct, g.chains)
            labelled = report_rows_of(db, [cid for cid, human in humans.items() if human.labelled])
        else:
            labelled = []
            for row in rows:
                tally.add_row(row)
                if row.chain_id in humans:
                    labelled.append(row)
    for row in labelled:
        human = humans[row.chain_id]
        if human.labelled and tally.wants(row.model or NO_MODEL):
            compare(row, human, pairs, first_error)
            tally.overrule(row, human)
    counts, problems, overridden = tally.counts, tally.problems, tally.overridden

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

    order = sorted(counts, key=lambda k: (natural_order(k[0]), k[0], k[1] == ALL_SETS, k[1]))
    breakdowns = tuple(_breakdown(key, counts[key], len(problems.get(key, {}))) for key in order)
    curves = tuple(
        _curve(key, problems[key], overridden[key], ks) for key in order if problems.get(key)
    )
    crossings = _crossings(problems, ks)
    agreement = people_agreement(how, humans, raters, pairs, first_error)
    notes = []
    if tally.unscored:
        notes.append(f"{tally.unscored} chain(s) have no reference answer: left out of pass@k (nothing to score "
                     "them against)")
    if tally.failed_unanswered:
        notes.append(f"{tally.failed_unanswered} sample(s) with no final answer or an undecided one count as "
                     "failed samples in pass@k")
    return Report(database, tally.chains, tally.unscored, str(how), breakdowns, curves, crossings, agreement,
                  tuple(notes))


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
        for a, b in combinations(sorted(by_set[pset], key=lambda m: (natural_order(m), m)), 2):
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
