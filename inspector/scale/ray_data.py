"""`inspect verify --ray`: the inputs read as a Ray Dataset, verified in ``map_batches``, written as Parquet.

The data flows as under ``--workers`` (``batch``), only across machines:

    read (a task an input)  →  map_batches(VerifyBatch)  →  write_parquet(DIR)  →  DIR/_inspector.json
    raw lines or table rows,    each parsed by ``load``'s    the JSONL contract's    written by the driver
    with FILE and LINE          record functions, verified   records (``shards``)    once the run is whole

Reading is cheap and stays one task an input (a line's number is counted from the file's start, and gzip
cannot be split); parsing, verifying and building the records, the costly part, is spread over one actor per
CPU of the cluster. Inputs ``load`` does not read line by line (a JSON document, an inspect_ai log, a
``save_to_disk`` folder, a database, the formats ``inspect import`` reads) are read whole by their task, with
the very reader ``inspect verify`` uses, from a local (or shared) path.

An unreadable record never becomes a traceback: without ``--skip-invalid`` the first one a worker meets stops
the run and is reported as ``FILE:LINE: what``; with it, each is counted and listed as ``inspect verify``
lists them. Workers tell the driver through a small actor (`ErrorLog`): an exception raised in a Ray task
reaches the driver only as text.

Ray is imported here and in `ray_inputs` (the reading half: what each input is, and its read task) and nowhere
else; the CLI imports this module only for ``--ray``.
"""

from __future__ import annotations

import datetime
import logging
import os
import pickle
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..engine.model import ChainInput, ChainResult
from ..engine.rules import RuleSet
from ..errors import InputError, InspectorError
from ..extras import require
from ..formats import load
from ..formats.importers import with_reference
from . import shards
from .ray_inputs import _URI, _data, _inputs, _pa, _ray, _stop, plan_inputs
from .ray_inputs import BLOCK_BYTES as BLOCK_BYTES
from .ray_inputs import BLOCK_ROWS as BLOCK_ROWS
from .ray_inputs import CHAIN as CHAIN
from .ray_inputs import ERROR as ERROR
from .ray_inputs import LINE as LINE
from .ray_inputs import ROW as ROW
from .ray_inputs import Input as Input
from .ray_inputs import WorkRow as WorkRow
from .workers import verified

__all__ = ["ErrorLog", "RayJobFailed", "RayRun", "VerifyBatch", "plan_inputs", "verify_on_ray"]

BATCH_SIZE = 256
"""Records a worker verifies at a time: enough to make Ray's hand-over per batch small against the ~0.2 ms a
chain takes, few enough that the work stays spread over every worker to the end."""
ROWS_PER_SHARD = 100_000
"""Records per Parquet file at least (Ray's hint): a million chains make about ten shards, not thousands."""
WRITE_TASK: dict[str, Any] = {"num_cpus": 0}
"""Ray's arguments of the tasks that write the shards: no CPU of their own, as the read tasks. Encoding
parquet is a small part of a record's cost, and a write task waiting for a CPU the verifying actors hold would
keep every record in the object store until verifying ends."""
KEEP_SKIPPED = 10_000
"""Unreadable records listed in full; beyond these they are only counted (a wrong --field makes every record
unreadable, and a million messages would not help anyone)."""


class RayJobFailed(InspectorError):
    """The Ray job failed for a reason that is not an input's (a worker or a node lost, memory, a bug)."""


# --- verifying: map_batches ------------------------------------------------------------------------------


class VerifyBatch:
    """The ``map_batches`` callable: work rows in, shard rows out. One per Ray actor, holding the rule set,
    the read options and the references, so that they cross the network once a worker, not once a batch."""

    def __init__(self, rules: RuleSet, read: load.ReadOptions, references: Mapping[str, str] | None,
                 skip_invalid: bool, log: Any) -> None:
        self.rules = rules
        self.read = read
        self.references = references or {}
        self.skip_invalid = skip_invalid
        self.log = log

    def __call__(self, batch: Any) -> Any:
        results: list[ChainResult] = []
        errors: list[InputError] = []
        columns = (batch.column(c).to_pylist() for c in ("name", "number", "kind", "payload"))
        for name, number, kind, payload in zip(*columns, strict=True):
            try:
                chains = self._chains(name, number, kind, payload)
            except InputError as exc:
                errors.append(exc)
                continue
            for chain in chains:
                if self.references:
                    chain = with_reference(chain, self.references)
                result = verified(chain, self.rules)
                if isinstance(result, InputError):
                    errors.append(result)
                else:
                    results.append(result)
        if errors:
            if not self.skip_invalid:
                _stop(self.log, errors[0])
            _ray().get(self.log.skipped.remote([(e.path, e.line, e.message) for e in errors]))
        return shards.table(results)

    def _chains(self, name: str, number: int | None, kind: int, payload: bytes | None) -> list[ChainInput]:
        if kind == LINE:
            assert number is not None
            return load.parse_line(payload, name, number, self.read)
        if kind == ROW:
            assert number is not None and payload is not None
            return load.parse_row(pickle.loads(payload), name, number, self.read)
        if kind == CHAIN:
            assert payload is not None
            chain: ChainInput = pickle.loads(payload)
            return [chain]
        raise InputError(name, number, (payload or b"").decode("utf-8"))


class ErrorLog:
    """A Ray actor the workers tell of unreadable records: the reason a run stopped, or every record skipped.

    Records met twice (a task Ray ran again) are counted once."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._seen: set[tuple[str, int | None, str]] = set()
        self._skipped: list[tuple[str, int | None, str]] = []
        self._stopped: list[tuple[str, int | None, str]] = []

    def skipped(self, errors: list[tuple[str, int | None, str]]) -> None:
        for error in errors:
            if error not in self._seen:
                self._seen.add(error)
                if len(self._skipped) < self._keep:
                    self._skipped.append(error)

    def stop(self, path: str, line: int | None, message: str) -> None:
        self._stopped.append((path, line, message))

    def report(self) -> tuple[int, list[tuple[str, int | None, str]], list[tuple[str, int | None, str]]]:
        return len(self._seen), self._skipped, self._stopped


# --- the driver -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RayRun:
    """What a run wrote, and what the CLI prints of it."""

    out: str
    summary: shards.ShardSummary
    skipped: list[InputError]
    """The unreadable records skipped (``--skip-invalid``), the first `KEEP_SKIPPED` of them."""
    skipped_count: int
    workers: int
    seconds: float


@contextmanager
def _settings(progress: bool) -> Iterator[None]:
    """Ray's own talk off stderr for the run (its progress bars stay, when asked for), its order kept;
    whatever the process had set before comes back after.

    stderr is for our messages: a record the run stops on is said once, as ``FILE:LINE``, not as the worker's
    traceback Ray Data logs. Order is kept so that the shards are in input order, and an import of them stores
    the chains in the order ``inspect verify`` stores them.
    """
    loggers = [logging.getLogger(name) for name in ("ray", "ray.data")]
    levels = [logger.level for logger in loggers]
    context = _data().DataContext.get_current()
    before = (context.enable_progress_bars, context.execution_options.preserve_order)
    try:
        for logger in loggers:
            logger.setLevel(logging.CRITICAL)
        context.enable_progress_bars = progress
        context.execution_options.preserve_order = True
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        context.enable_progress_bars, context.execution_options.preserve_order = before


def _connect(address: str | None) -> bool:
    """Join the Ray this process already has; else, by ``address``: ``$RAY_ADDRESS`` or a new local Ray
    (none), a new local Ray (``local``), or a cluster (``auto``, ``ray://HOST:PORT``, ``HOST:PORT``). True
    when this call connected (and should disconnect)."""
    if _ray().is_initialized():
        return False
    try:
        _ray().init(address=address or None, include_dashboard=False, log_to_driver=False,
                    logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local instance"
        raise RayJobFailed(f"cannot start or join Ray ({where}): {_one_line(exc)}") from None
    return True


def _one_line(exc: BaseException) -> str:
    """The line of a Ray error that says what went wrong (its text holds a worker's traceback)."""
    text = str(exc)
    found = re.findall(r"^(?:\w+\.)*\w*(?:Error|Exception|Stopped): .+$", text, re.MULTILINE)
    line = found[0] if found else " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."


def _check_out(out: str) -> None:
    """``--out`` must be a new or empty folder: the shards of two runs in one folder would read as one run."""
    pafs = require("pyarrow.fs", "inspect verify --ray", extra="ray")
    fs, where = shards.filesystem(out)
    try:
        info = fs.get_file_info(where)
        if info.type == pafs.FileType.File:
            raise InspectorError(f"--out {out}: is a file; give a folder for the shards")
        listed = info.type == pafs.FileType.Directory and fs.get_file_info(pafs.FileSelector(where))
        if listed:
            raise InspectorError(f"--out {out}: not empty; give a new folder (the shards of two runs would "
                                 "read as one)")
    except (OSError, _pa().ArrowException) as exc:
        raise InspectorError(f"--out {out}: cannot use it: {exc}") from None


def verify_on_ray(
    inputs: Sequence[str],
    out: str,
    rules: RuleSet,
    *,
    address: str | None = None,
    read: load.ReadOptions = load.AUTO,
    references: Mapping[str, str] | None = None,
    skip_invalid: bool = False,
    workers: int | None = None,
    progress: bool = False,
    argv: Sequence[str] = (),
) -> RayRun:
    """Verify ``inputs`` on Ray and write the records as Parquet shards in ``out`` (a local or shared folder,
    or a URI), then ``_inspector.json`` beside them.

    Joins the Ray this process has (``ray.init`` called already), else starts or joins one by ``address`` (and
    leaves it after). ``workers``: verifying actors (default: one per CPU of the cluster). Raises `InputError`
    for the record or input that stopped the run, `RayJobFailed` when Ray itself failed; the shards written
    until then stay, without ``_inspector.json``.
    """
    import time

    plan = plan_inputs(inputs, read)
    _check_out(out)
    started = time.perf_counter()
    started_at = datetime.datetime.now(datetime.UTC).isoformat()
    target = out if _URI.match(out) else os.path.abspath(out)
    order = {name: k for k, name in enumerate(inputs)}
    ours = _connect(address)
    try:
        with _settings(progress):
            log = _ray().remote(ErrorLog).options(num_cpus=0).remote(KEEP_SKIPPED)
            cpus = max(1, int(_ray().cluster_resources().get("CPU", 1)))
            actors = workers or cpus
            dataset = _data().read_datasource(
                _inputs(plan, read, skip_invalid, log), num_cpus=0, concurrency=max(1, min(len(plan), cpus)),
            ).map_batches(
                VerifyBatch, fn_constructor_kwargs={"rules": rules, "read": read, "references": references,
                                                    "skip_invalid": skip_invalid, "log": log},
                batch_size=BATCH_SIZE, batch_format="pyarrow", concurrency=actors, num_cpus=1,
            )  # fmt: skip
            try:
                dataset.write_parquet(target, min_rows_per_file=ROWS_PER_SHARD, ray_remote_args=WRITE_TASK)
            except Exception as exc:  # noqa: BLE001 - whatever Ray raises: the reason is in the log or text
                _, _, stopped = _ray().get(log.report.remote())
                if stopped:  # the first in input order of the records the workers stopped on
                    path, line, message = min(stopped, key=lambda e: (order.get(e[0], len(order)), e[1] or 0))
                    raise InputError(path, line, message) from None
                raise RayJobFailed(f"the Ray job failed: {_one_line(exc)} (the shards written so far are in "
                                   f"{out}, without _inspector.json)") from None
            count, kept, _ = _ray().get(log.report.remote())
    finally:
        if ours:
            _ray().shutdown()
    kept.sort(key=lambda e: (order.get(e[0], len(order)), e[1] or 0))  # as inspect verify lists them
    skipped = [InputError(path, line, message) for path, line, message in kept]
    summary = shards.summarize(out) if _has_shards(out) else shards.ShardSummary()
    seconds = time.perf_counter() - started
    from importlib.metadata import version

    shards.write_manifest(out, {
        "written_by": f"cot-inspector {version('cot-inspector')} (inspect verify --ray)",
        "format": shards.METADATA_VALUE.decode(),
        "inputs": list(inputs),
        "rules": {"name": rules.name, "hash": rules.hash},
        "chains": summary.chains,
        "shards": summary.shards,
        "verdicts": dict(sorted(summary.counts.items())),
        "skipped": count,
        "skipped_records": [str(e) for e in skipped[:1000]],
        "started_at": started_at,
        "seconds": round(seconds, 3),
        "argv": list(argv),
    })  # fmt: skip
    return RayRun(out, summary, skipped, count, actors, seconds)


def _has_shards(out: str) -> bool:
    """Whether the run wrote any shard (an input of no records writes none)."""
    try:
        return bool(shards.shard_files(out)[1])
    except InputError:
        return False
