"""``inspect import``: read a file's chains and labels, verify the chains as ``inspect verify`` does, store both.

Chains go through the same batch path as ``inspect verify`` (so ``--workers`` and the rows are the
same); each batch of chains is written before the labels that point at it (the labels' foreign keys
need the chain rows). Labels of a chain that appears twice in a file (PRM800K serves one solution to
several labellers) are all kept. Importing the same file again changes nothing (``store.add_labels``
skips what is already there).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from .. import store
from ..engine.model import ChainInput
from ..engine.rules import RuleSet
from ..errors import InputError
from ..labels.labelset import ChainLabels
from ..scale import workers as batch
from .importers import iter_imported

__all__ = ["ImportSummary", "run_import"]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    run_id: int
    chains: int
    verdicts: dict[str, int]
    labels_added: int
    labels_unchanged: int
    verdicts_changed: int = 0
    """Chains whose verdict here differs from the one the file records (shards verified with other rules, or
    by another version of the engine)."""


def _merge(a: ChainLabels, b: ChainLabels) -> ChainLabels:
    return ChainLabels(a.chain_labels + b.chain_labels, a.step_labels + b.step_labels, a.notes + b.notes)


_HASH_MASK = (1 << 64) - 1


def _line(source: str | None, number: int) -> int:
    """The line (or record) number of a chain's ``FILE:LINE`` source; its place in the file when it has none."""
    line = (source or "").rpartition(":")[2]
    return int(line) if line.isdigit() else number


def run_import(
    db: Database,
    path: str | os.PathLike[str],
    rules: RuleSet,
    *,
    fmt: str = "auto",
    annotator: str | None = None,
    model: str | None = None,
    references: Mapping[str, str] | None = None,
    workers: int = 1,
    argv: list[str] | None = None,
    batch_size: int = 500,
    verdicts: Sequence[str] = (),
) -> ImportSummary:
    """Import ``path`` into ``db``: one run, its chains verified and stored, then their labels.

    Chains a file records a verdict for (the shards of ``inspect verify --ray``; ``verdicts`` keeps only
    those with one of them) are verified again too, rather than stored from the record: the store keeps what
    the records leave out (where in the text the answer and each wrong number are, for the labelling screen),
    and the engine is deterministic, so with the same rules the verdicts are the recorded ones. Any that
    differ are counted (``verdicts_changed``).
    """
    items = iter_imported(path, fmt=fmt, annotator=annotator, model=model, references=references,
                          verdicts=verdicts)
    stash: dict[str, ChainLabels] = {}
    recorded: dict[str, str] = {}
    """id → the verdict the file records, until the chain's own is known (a few batches later at most)."""
    seen: dict[str, int] = {}
    """id → its text's hash and the number of the record it was first in, packed in one int: an import may
    hold a million chains, and a tuple of two would cost three objects each."""

    def chains() -> Iterator[ChainInput]:
        for number, item in enumerate(items, 1):
            cid = item.chain.chain_id
            text_hash = hash(item.chain.cot) & _HASH_MASK
            if cid in seen and seen[cid] & _HASH_MASK != text_hash:
                # one id, two texts (a duplicate ProcessBench id): merging their labels would put a person's
                # judgement of one text on another
                first = seen[cid] >> 64
                where = item.chain.source.rpartition(":")[0] if item.chain.source else os.fspath(path)
                raise InputError.at(item.chain.source, f"chain id {cid!r} is already used by {where}:{first} for "
                                    "another text: give each record its own id")
            if not item.labels.empty:
                old = stash.get(cid)
                stash[cid] = item.labels if old is None else _merge(old, item.labels)
            if cid in seen:
                continue  # the same chain again (PRM800K: one solution, several labellers): its labels are kept
            seen[cid] = (_line(item.chain.source, number) << 64) | text_hash
            if item.verdict is not None:
                recorded[cid] = item.verdict
            yield item.chain

    run_id = store.start_run(
        db, rules_name=rules.name, rules_hash=rules.hash, source=os.fspath(path), argv=argv or []
    )
    job = batch.Job(rules, want_json=False, want_rows=True)
    tally: Counter[str] = Counter()
    added = unchanged = written = changed = 0
    outcomes = batch.run(batch.chunks_of_chains(chains()), job, workers=workers)
    while chunk := list(itertools.islice(outcomes, batch_size)):
        rows = []
        for o in chunk:
            if isinstance(o, Exception):  # chunks of chains carry no unreadable lines
                raise o
            tally[o.verdict.value] += 1
            changed += recorded.pop(o.chain_id, o.verdict.value) != o.verdict.value
            if o.rows is not None:
                rows.append(o.rows)
        written += store.write_rows(db, run_id, rows, batch_size=batch_size)
        labels = [stash.pop(r.chain_id) for r in rows if r.chain_id in stash]
        counts = store.add_labels(db, labels, run_id=run_id)
        added += counts.added
        unchanged += counts.unchanged
    if stash:  # labels of chains met again after they were written
        counts = store.add_labels(db, list(stash.values()), run_id=run_id)
        added += counts.added
        unchanged += counts.unchanged
    store.finish_run(db, run_id, chains=written, counts=dict(tally))
    return ImportSummary(run_id, written, dict(tally), added, unchanged, changed)
