"""A labelling session: what each annotator action writes to the store, and how it is undone.

No terminal here: the TUI maps keys to these methods, and tests call them directly. Each method
returns only after its transaction is committed, so whatever the screen shows as saved is on disk.
Undo is a stack of the session's own actions (several levels); the rows stay in the database,
marked undone, so history is never lost. Rejected: an undo that deletes rows (history lost), and a
stack kept in the database (an undo after a restart would surprise more than help).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from sqlite_utils import Database

from .. import store
from ..engine.model import Verdict
from ..engine.rules import RuleSet, default_rules
from ..errors import InputError
from ..store import LabelChange, QueueFilter, StepMachine
from .labelset import CHAIN_LABELS, UNSURE

__all__ = [
    "CHAIN_LABELS",
    "CHAIN_LABEL_KEYS",
    "UNSURE",
    "Action",
    "LabelSession",
    "StepMachine",
    "StepRating",
    "UndoStack",
    "agrees",
    "count_records",
    "cycle",
    "describe_filter",
    "label_title",
    "verify_into",
]

CHAIN_LABEL_KEYS = {str(i): label for i, label in enumerate(CHAIN_LABELS, 1)}
"""Digit keys for the chain labels, in the order annotators learn them: 1 valid … 6 unsure."""


class StepRating(IntEnum):
    """PRM800K's step ratings."""

    GOOD = 1
    NEUTRAL = 0
    BAD = -1


def label_title(label: str) -> str:
    """A label or verdict as people read it (``canceling_errors`` → ``cancelling errors``)."""
    if label == "canceling_errors":
        return "cancelling errors"
    return label.replace("_", " ")


def agrees(label: str, verdict: str | None) -> bool | None:
    """Whether a chain label agrees with the machine's verdict; ``None`` for "unsure" or no verdict."""
    if label == UNSURE or verdict is None:
        return None
    return label == verdict


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the annotator did, with what it changed in the store (for undo)."""

    kind: str
    """``chain_label``, ``step_rating``, ``first_error``, ``note`` or ``skip``."""
    chain_id: str
    step: int | None = None
    value: str | None = None
    changes: tuple[LabelChange, ...] = ()

    def describe(self) -> str:
        what = {
            "chain_label": f"chain label {label_title(self.value or '')}",
            "step_rating": f"step {(self.step or 0) + 1} {self.value}",
            "first_error": f"first error {self.value} step {(self.step or 0) + 1}",
            "note": "note" if self.value else "note cleared",
            "skip": "skip",
        }
        return what.get(self.kind, self.kind)


class UndoStack:
    """The last ``depth`` actions, newest on top."""

    def __init__(self, depth: int = 200) -> None:
        self._items: deque[Action] = deque(maxlen=depth)

    def push(self, action: Action) -> None:
        self._items.append(action)

    def pop(self) -> Action | None:
        return self._items.pop() if self._items else None

    def peek(self) -> Action | None:
        return self._items[-1] if self._items else None

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class LabelSession:
    """One annotator labelling one database."""

    db: Database
    annotator: str
    undo_stack: UndoStack = field(default_factory=UndoStack)
    skipped: list[str] = field(default_factory=list)
    """Chains skipped this session, which "next unlabelled" passes over."""
    saved: int = 0
    """Label writes committed this session (shown on screen as "saved N")."""
    blind: bool = False
    """``--blind``: the verdict and others' labels stay hidden until a chain is labelled; recorded per label."""

    def _record(self, action: Action) -> Action:
        self.undo_stack.push(action)
        if action.changes:
            self.saved += 1
        return action

    def label_chain(
        self, chain_id: str, label: str, verdict: str | None, run_id: int | None, *, blind: bool = False
    ) -> Action | None:
        """Give the chain a label (against the verdict and run shown); None when it already had it.

        ``blind``: given with the verdict and others' labels hidden (recorded with the label)."""
        if label not in CHAIN_LABELS and label not in {v.value for v in Verdict}:
            raise ValueError(f"unknown chain label {label!r}")
        change = store.set_chain_label(
            self.db, chain_id, label, annotator=self.annotator, machine_verdict=verdict, run_id=run_id,
            agrees=agrees(label, verdict), blind=blind,
        )  # fmt: skip
        if change is None:
            return None
        self._unskip(chain_id)
        return self._record(Action("chain_label", chain_id, value=label, changes=(change,)))

    def rate_step(
        self, chain_id: str, step: int, rating: StepRating, machine: StepMachine = store.NO_MACHINE
    ) -> Action | None:
        """Rate a step, recording what the machine said (``machine``) as the annotator saw it."""
        change = store.rate_step(
            self.db, chain_id, step, int(rating), annotator=self.annotator, machine=machine
        )
        if change is None:
            return None
        return self._record(Action("step_rating", chain_id, step, rating.name.lower(), (change,)))

    def first_error(self, chain_id: str, step: int, machine: StepMachine = store.NO_MACHINE) -> Action | None:
        """Toggle "the first error is here" on the step (it also rates the step bad)."""
        changes = store.mark_first_error(self.db, chain_id, step, annotator=self.annotator, machine=machine)
        if not changes:
            return None
        marked = store.current_labels(self.db, chain_id, self.annotator).steps.get(step, (None, False))[1]
        return self._record(Action("first_error", chain_id, step, "set" if marked else "cleared", changes))

    def note(self, chain_id: str, text: str) -> Action | None:
        change = store.set_note(self.db, chain_id, text, annotator=self.annotator)
        if change is None:
            return None
        return self._record(Action("note", chain_id, value=text.strip(), changes=(change,)))

    def skip(self, chain_id: str) -> Action:
        """Pass over the chain for now: "next unlabelled" won't come back to it this session."""
        if chain_id not in self.skipped:
            self.skipped.append(chain_id)
        action = Action("skip", chain_id)
        self.undo_stack.push(action)
        return action

    def _unskip(self, chain_id: str) -> None:
        if chain_id in self.skipped:
            self.skipped.remove(chain_id)

    def undo(self) -> tuple[Action | None, bool]:
        """Take back the last action: ``(action, done)``; ``done`` is False when its rows had changed
        since (from another terminal) and nothing was touched. ``(None, False)`` when there is none."""
        action = self.undo_stack.pop()
        if action is None:
            return None, False
        if action.kind == "skip":
            self._unskip(action.chain_id)
            return action, True
        done = store.undo_changes(self.db, action.changes)
        if done:
            self.saved += 1
        return action, done


# --------------------------------------------------------------------------------------------------
# The queue's filters, as the keys cycle through them


def cycle(options: list[str | None], current: str | None, step: int = 1) -> str | None:
    """The option after (or before, ``step`` -1) ``current``; ``None`` in ``options`` means "any"."""
    try:
        i = options.index(current)
    except ValueError:
        i = 0
    return options[(i + step) % len(options)]


def describe_filter(flt: QueueFilter) -> list[tuple[str, str]]:
    """``(name, value)`` of each filter that is on, as the queue's filter bar shows them."""
    out: list[tuple[str, str]] = []
    if flt.verdict:
        out.append(("verdict", label_title(flt.verdict)))
    if flt.model is not None:
        out.append(("model", flt.model or "(none)"))
    if flt.labelled is not None:
        out.append(("status", "labelled" if flt.labelled else "unlabelled"))
    if flt.right_but_errors:
        out.append(("answer", "right but errors found"))
    if flt.disagreements:
        out.append(("labels", "annotators disagree"))
    if flt.search.strip():
        out.append(("search", flt.search.strip()))
    return out


# --------------------------------------------------------------------------------------------------
# Opening a JSONL file: verify it into the database first


def count_records(inputs: Sequence[str]) -> int | None:
    """Non-empty lines of the JSONL inputs (the progress bar's total); None if one can't be read."""
    total = 0
    for path in inputs:
        try:
            with open(path, "rb") as f:
                total += sum(1 for line in f if line.strip())
        except OSError:
            return None
    return total


def verify_into(
    db_path: str,
    inputs: Sequence[str],
    *,
    rules: RuleSet | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Verify chains from JSONL files into the database, as ``inspect verify --db`` does (the same
    batch and store calls), and return how many were written. Labels already there are untouched.

    ``on_progress`` is called with the number of chains verified so far. Raises ``InputError`` for
    an unreadable line and ``StoreError`` for an unusable database.
    """
    from ..formats import load
    from ..scale import workers as batch

    rules = rules or default_rules()
    db = store.open_db(db_path)
    try:
        run_id = store.start_run(db, rules_name=rules.name, rules_hash=rules.hash, source=",".join(inputs),
                                 argv=["label", *inputs])  # fmt: skip
        job = batch.Job(rules, want_json=False, want_rows=True)

        def works() -> Iterator[batch.Work]:
            for path in inputs:
                if not load.splittable(path):  # a JSON document, a table, an archive: not splittable by lines
                    yield from batch.chunks_of_chains(load.iter_chains(path))
                else:
                    yield from batch.chunks_of_file(path)

        counts: Counter[str] = Counter()

        def rows() -> Iterator[store.ChainRows]:
            for done, outcome in enumerate(batch.run(works(), job), 1):
                if isinstance(outcome, InputError):
                    raise outcome
                counts[outcome.verdict.value] += 1
                if on_progress is not None:
                    on_progress(done)
                if outcome.rows is not None:
                    yield outcome.rows

        written = store.write_rows(db, run_id, rows(), batch_size=200)
        store.finish_run(db, run_id, chains=written, counts=dict(counts))
        return written
    finally:
        db.close()
