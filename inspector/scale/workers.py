"""Batch verification for the CLI: raw input lines in, small ready-to-write outcomes out.

With ``--workers N`` the costly parts (JSON parsing, verifying, serialising to JSON and to database
rows) all run in the worker processes, and the parent only reads bytes, writes output and talks to
SQLite. Sending whole ``ChainResult`` objects back was rejected: unpickling them cost the parent a
quarter of a worker's time per chain, which on two cores made two workers slower than one.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine.model import ChainInput, ChainResult, Verdict
from ..engine.pipeline import verify_chain
from ..engine.record import result_json
from ..engine.rules import RuleSet
from ..errors import InputError
from ..formats.compressed import DECOMPRESSION_ERRORS, damaged, open_input
from ..formats.load import AUTO, ReadOptions, capped_lines, parse_line

if TYPE_CHECKING:
    from ..store import ChainRows


class WorkerLost(OSError):
    """A worker process of ``--workers N`` died mid-run: an environment failure (exit 5), not bad input."""


CHUNK = 128
"""Lines a worker gets at a time: large enough to amortise the hand-over, small enough to stream."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the CLI needs of one verified chain, cheap to send between processes."""

    chain_id: str
    model: str | None
    verdict: Verdict
    final_answer: str | None
    repaired_answer: str | None
    error_count: int
    first_error: str | None
    """``step K: STATED (true ACTUAL)`` for the summary table."""
    finding_labels: tuple[str, ...]
    """``rule (severity)`` of every finding, for the counts by rule."""
    json: str | None
    rows: ChainRows | None


@dataclass(frozen=True, slots=True)
class Job:
    rules: RuleSet
    want_json: bool
    want_rows: bool
    read: ReadOptions = AUTO
    """How the workers read the lines they are given (``--input-format``, ``--field``)."""


def outcome_of(result: ChainResult, job: Job) -> Outcome:
    if job.want_rows:
        # the store (sqlite-utils, and pandas where that is installed: a third of a second) only when rows are wanted
        from ..store import result_rows
    errors = result.errors
    first = errors[0] if errors else None
    return Outcome(
        chain_id=result.chain.chain_id,
        model=result.chain.model,
        verdict=result.verdict,
        final_answer=result.final_answer.text if result.final_answer else None,
        repaired_answer=result.repaired_answer,
        error_count=len(errors),
        first_error=f"step {first.step}: {first.stated} (true {first.actual})" if first else None,
        finding_labels=tuple(f"{f.rule} ({f.severity})" for f in result.findings),  # (a StrEnum formats as its value)
        json=result_json(result) if job.want_json else None,
        rows=result_rows(result) if job.want_rows else None,
    )


Work = tuple[str, list[tuple[int, bytes | None]]] | list[ChainInput]
"""A chunk of work: ``(file name, [(line number, raw line)])``, or chains already read."""


def _run_chunk(job: Job, work: Work) -> list[Outcome | InputError]:
    out: list[Outcome | InputError] = []
    if isinstance(work, tuple):
        name, lines = work
        for lineno, raw in lines:
            try:
                chains = parse_line(raw, name, lineno, job.read)
            except InputError as exc:
                exc.__cause__ = None  # keep it small and picklable
                out.append(exc)
                continue
            out.extend(_verified(c, job) for c in chains)
    else:
        out.extend(_verified(c, job) for c in work)
    return out


def _verified(chain: ChainInput, job: Job) -> Outcome | InputError:
    result = verified(chain, job.rules)
    return result if isinstance(result, InputError) else outcome_of(result, job)


def verified(chain: ChainInput, rules: RuleSet) -> ChainResult | InputError:
    """One chain verified; whatever goes wrong in it stays its own error, named by its ``FILE:LINE``, and
    never reaches the chains around it (a crash there is a bug in the engine: the message says so). Shared by
    every front end that verifies many chains (``--workers``, ``--ray``), so that a crash reads the same in
    each."""
    try:
        return verify_chain(chain, rules)
    except Exception as exc:  # noqa: BLE001 - the one error boundary per record
        return InputError.at(chain.source or chain.chain_id, f"chain {chain.chain_id!r} could not be verified: "
                             f"internal error ({type(exc).__name__}: {str(exc)[:200]}); this is a bug in "
                             f"cot-inspector, please report it with this record")


def chunks_of_file(path: str) -> Iterator[Work]:
    """A JSONL file (or ``-``) as chunks of numbered raw lines, read lazily."""

    name = "<stdin>" if path == "-" else path
    try:
        stream = open_input(path)
    except OSError as exc:
        raise InputError(name, None, f"cannot open: {exc.strerror or exc}") from None
    try:
        numbered = enumerate(capped_lines(stream), 1)
        while chunk := list(itertools.islice(numbered, CHUNK)):
            yield (name, chunk)
    except DECOMPRESSION_ERRORS as exc:
        raise damaged(name, exc) from None
    finally:
        if path != "-":
            stream.close()


def chunks_of_chains(chains: Iterable[ChainInput]) -> Iterator[Work]:
    it = iter(chains)
    while chunk := list(itertools.islice(it, CHUNK)):
        yield chunk


BATCH_GC_THRESHOLD = 20_000
"""Allocations between two young-generation collections in a batch (Python's default is 700)."""


def batch_gc() -> None:
    """Garbage collection set for a batch of chains: what is alive before it (the modules, the rules) is frozen out of
    every collection, and the young generation is collected every ``BATCH_GC_THRESHOLD`` allocations, not 700.

    Verifying a chain makes thousands of short-lived tuples and lists; with the defaults a collection ran every few
    lines of a chain: 4.8% of the instructions of ``inspect verify`` on Spurious Rewards chains, 3.0% with this.
    A chain's verification makes no reference cycles (``tests/test_engine.py``); any other code's are still
    collected. Called once in each worker process (fork starts them with the parent's heap), and around the run in the
    parent for one process."""
    gc.freeze()
    gc.set_threshold(BATCH_GC_THRESHOLD, *gc.get_threshold()[1:])


@contextlib.contextmanager
def _batch_gc_here() -> Iterator[None]:
    """``batch_gc`` for the length of a run in this process, then the collector as it was."""
    before = gc.get_threshold()
    batch_gc()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def run(works: Iterable[Work], job: Job, workers: int = 1) -> Iterator[Outcome | InputError]:
    """Outcomes (and unreadable lines, as ``InputError``) in input order."""
    if workers <= 1:
        with _batch_gc_here():
            for work in works:
                yield from _run_chunk(job, work)
        return
    import collections
    import multiprocessing as mp
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # At most a few chunks per worker in flight: reading the whole input ahead of a slow writer would hold
    # every finished chunk until the writer takes it (an import of 1M chains grew to 862 MB with Pool.imap).
    # A process pool from concurrent.futures, not multiprocessing's Pool: when a worker dies (killed for memory,
    # or a chunk it cannot even unpickle) the latter waits forever for that chunk; this one says so.
    pending: collections.deque[Future[list[Outcome | InputError]]] = collections.deque()
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=batch_gc)
    finished = False
    try:
        for work in works:
            pending.append(pool.submit(_run_chunk, job, work))
            if len(pending) >= 3 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
        finished = True
    except BrokenProcessPool as exc:
        raise WorkerLost(
            f"a worker process died ({exc}); killed by the system for memory? Run again with fewer --workers: "
            "what was finished is stored, and the run resumes there"
        ) from None
    finally:
        # stopped early (Ctrl-C, a closed pipe, an error above): the chunks not started are dropped
        pool.shutdown(wait=finished, cancel_futures=not finished)
