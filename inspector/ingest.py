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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from . import batch, store
from .errors import InputError
from .importers import iter_imported
from .labelset import ChainLabels
from .model import ChainInput
from .rules import RuleSet

__all__ = ["ImportSummary", "run_import"]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    run_id: int
    chains: int
    verdicts: dict[str, int]
    labels_added: int
    labels_unchanged: int


def _merge(a: ChainLabels, b: ChainLabels) -> ChainLabels:
    return ChainLabels(a.chain_labels + b.chain_labels, a.step_labels + b.step_labels, a.notes + b.notes)


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
) -> ImportSummary:
    """Import ``path`` into ``db``: one run, its chains verified and stored, then their labels."""
    items = iter_imported(path, fmt=fmt, annotator=annotator, model=model, references=references)
    stash: dict[str, ChainLabels] = {}
    seen: dict[str, tuple[int, str | None]] = {}  # id → (hash of its text, where it was first)

    def chains() -> Iterator[ChainInput]:
        for item in items:
            cid = item.chain.chain_id
            if cid in seen and seen[cid][0] != hash(item.chain.cot):
                # one id, two texts (a duplicate ProcessBench id): merging their labels would put a person's
                # judgement of one text on another
                raise InputError.at(item.chain.source, f"chain id {cid!r} is already used by {seen[cid][1]} for "
                                    "another text: give each record its own id")
            if not item.labels.empty:
                old = stash.get(cid)
                stash[cid] = item.labels if old is None else _merge(old, item.labels)
            if cid in seen:
                continue  # the same chain again (PRM800K: one solution, several labellers): its labels are kept
            seen[cid] = (hash(item.chain.cot), item.chain.source)
            yield item.chain

    run_id = store.start_run(
        db, rules_name=rules.name, rules_hash=rules.hash, source=os.fspath(path), argv=argv or []
    )
    job = batch.Job(rules, want_json=False, want_rows=True)
    verdicts: Counter[str] = Counter()
    added = unchanged = written = 0
    outcomes = batch.run(batch.chunks_of_chains(chains()), job, workers=workers)
    while chunk := list(itertools.islice(outcomes, batch_size)):
        rows = []
        for o in chunk:
            if isinstance(o, Exception):  # chunks of chains carry no unreadable lines
                raise o
            verdicts[o.verdict.value] += 1
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
    store.finish_run(db, run_id, chains=written, counts=dict(verdicts))
    return ImportSummary(run_id, written, dict(verdicts), added, unchanged)
