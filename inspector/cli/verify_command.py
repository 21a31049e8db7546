"""``inspect verify``: chains from files, datasets, logs or a database, verified here or on Ray.

The largest command, with the helpers only it uses: reading ``--fail-on``, choosing how each input is
read and split among workers, the progress bar, the summary's worst chains, and the ``--ray`` variant
that writes parquet shards instead of a database.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import click

from ..engine.model import Verdict
from ..errors import InputError, InspectorError, RulesError, StoreError
from ..formats.load import INPUT_FORMATS
from .boundary import DEFAULT_DB, ExitCode, _err, _fail, main

if TYPE_CHECKING:
    from ..engine.rules import RuleSet
    from ..formats.load import ReadOptions
    from ..scale.workers import Outcome

T = TypeVar("T")


def _parse_fail_on(value: str | None) -> set[Verdict]:
    if not value:
        return set()
    out = set()
    for name in value.split(","):
        name = name.strip()
        try:
            out.add(Verdict(name))
        except ValueError:
            raise click.BadParameter(
                f"unknown verdict {name!r} (one of {', '.join(v.value for v in Verdict)})", param_hint="--fail-on"
            ) from None
    return out


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rule set (TOML); default: rules/default.toml.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="SQLite database to write results into.")
@click.option("--no-db", is_flag=True, help="Do not write a database.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True,
              help="table: a summary for people; jsonl: one JSON object per chain on stdout, in input order.")
@click.option("--input-format", "input_format", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True,
              help="What the inputs are; auto knows each by its first bytes and each record by its fields.")
@click.option("--field", "field_specs", multiple=True, metavar="ROLE=NAME[,ROLE=NAME...]",
              help="Read a role from a field of another name (roles: cot, reference, problem, id, model), e.g. "
                   "--field cot=model_output,reference=gt; a dotted name reaches into an object (doc.answer).")
@click.option("--references", "references_path", type=click.Path(dir_okay=False, exists=True),
              help="A file with problems and reference answers (e.g. GSM8K test.jsonl) to fill in missing ones.")
@click.option("--fail-on", "fail_on", metavar="VERDICT[,VERDICT...]",
              help="Exit 1 when any chain gets one of these verdicts (for CI).")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True, help="Parallel processes.")
@click.option("--skip-invalid", is_flag=True, help="Skip unreadable lines (counted and reported) instead of stopping.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="", default=None, metavar="[ADDRESS]",
              help="Verify on Ray: $RAY_ADDRESS or a new local Ray (no ADDRESS; local: always a new "
                   "one), this node's cluster (auto) or ray://HOST:PORT; the records go to --out DIR as "
                   "parquet shards.")
@click.option("--out", "out_dir", metavar="DIR",
              help="--ray: the new (or empty) folder for the shards: a path every node sees, or s3://, "
                   "gs://, ...")
@click.pass_context
def verify(
    ctx: click.Context, inputs: tuple[str, ...], rules_path: str | None, db_path: str, no_db: bool, fmt: str,
    input_format: str, field_specs: tuple[str, ...], references_path: str | None, fail_on: str | None,
    workers: int, skip_invalid: bool, progress: bool | None, ray_address: str | None, out_dir: str | None,
) -> None:
    """Verify chains of thought from files, datasets or logs (or a database written by an earlier run).

    JSONL (gzip or zstd too), JSON, parquet, Arrow, a `save_to_disk` folder, `hf:org/name[:split]`, an
    inspect_ai log; each record is read by its fields: a chain (`cot` / `completion` / `response` / ... with
    optional `id`, `problem`, `reference`, `model`, `sample_index`), many samples (`code` / `completions` /
    `responses` / `samples` lists), GSM8K, ProcessBench, OpenAI completions and Batch output, vLLM
    `outputs`, chat `messages`, MR-GSM8K. The README's input table lists them all.
    """
    from ..engine import rules as rules_mod
    from ..formats import load
    from ..scale import workers as batch

    if ray_address and not _RAY_ADDRESS.fullmatch(ray_address):
        # `--ray FILE ...`: the option's value is optional, and click took the first input for it
        inputs, ray_address = (ray_address, *inputs), ""
    if not inputs:
        raise click.UsageError("Missing argument 'INPUTS...'.")
    if out_dir is not None and ray_address is None:
        raise click.UsageError("--out DIR is where --ray writes its shards: give --ray too")
    failing = _parse_fail_on(fail_on)
    try:
        read = load.ReadOptions(input_format, load.parse_fields(field_specs))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--field") from None
    try:
        rules = rules_mod.load_rules(rules_path) if rules_path else rules_mod.default_rules()
    except RulesError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    references: dict[str, str] | None = None
    if references_path:
        from ..formats.importers import read_references

        try:
            references = read_references(references_path)
        except InspectorError as exc:
            _fail(exc)

    if ray_address is not None:
        _verify_on_ray(ctx, inputs, ray_address, out_dir, rules, read, references, failing, workers,
                       skip_invalid, progress, fmt)
    skipped: list[InputError] = []

    def works() -> Iterator[batch.Work]:
        from ..formats import importers

        for path in inputs:
            if path.endswith((".db", ".sqlite", ".sqlite3")) and Path(path).exists():
                from .. import store

                yield from batch.chunks_of_chains(store.iter_chain_inputs(store.open_db(path)))
            elif read == load.AUTO and (kind := _import_format(path)) is not None:  # PRM800K, lm-eval samples,
                # TRL, ProcessBench, our exports
                yield from batch.chunks_of_chains(
                    i.chain for i in importers.iter_imported(path, fmt=kind, references=references))
            elif references is not None or not load.splittable(path, read):  # a JSON document, a table, a
                # dataset, an archive: not splittable by lines; references are filled in as the chains are read
                chains = load.iter_chains(path, skip_invalid=skip_invalid, on_skip=skipped.append, options=read)
                yield from batch.chunks_of_chains(importers.with_references(chains, references or {}))
            else:
                yield from batch.chunks_of_file(path)

    db = None
    run_id = 0
    if not no_db:
        from .. import store

        try:
            db = store.open_db(db_path)
            run_id = store.start_run(db, rules_name=rules.name, rules_hash=rules.hash,
                                     source=",".join(inputs), argv=sys.argv[1:])
        except StoreError as exc:
            _err(str(exc))
            sys.exit(ExitCode.BAD_INPUT)

    counts: Counter[str] = Counter()
    models: dict[str, Counter[str]] = {}
    rule_counts: Counter[str] = Counter()
    worst: list[batch.Outcome] = []
    any_failing = False
    stdout = sys.stdout
    show_progress = sys.stderr.isatty() if progress is None else progress
    job = batch.Job(rules, want_json=fmt == "jsonl", want_rows=db is not None, read=read)

    def observed(items: Iterator[batch.Outcome | InputError]) -> Iterator[batch.Outcome]:
        nonlocal any_failing
        for o in items:
            if isinstance(o, InputError):
                if not skip_invalid:
                    raise o
                skipped.append(o)
                continue
            counts[o.verdict.value] += 1
            models.setdefault(o.model or "(none)", Counter())[o.verdict.value] += 1
            rule_counts.update(o.finding_labels)
            if o.verdict in failing:
                any_failing = True
            if o.json is not None:
                stdout.write(o.json + "\n")
            elif o.error_count:
                worst.append(o)
                if len(worst) > 200:
                    worst.sort(key=_badness)
                    del worst[20:]
            yield o

    try:
        outcomes = batch.run(works(), job, workers=workers)
        if show_progress:
            outcomes = _with_progress(outcomes)
        stream = observed(outcomes)
        if db is not None:
            from .. import store

            def refused(error: InputError) -> None:  # an id used twice; a labelled chain's text changed
                if not skip_invalid:
                    raise error
                skipped.append(error)

            written = store.write_rows(db, run_id, (o.rows for o in stream if o.rows is not None),
                                       on_conflict=refused)
            store.finish_run(db, run_id, chains=written, counts=dict(counts))
        else:
            for _ in stream:
                pass
    except InspectorError as exc:  # InputError, StoreError: FILE:LINE messages, never a traceback; a missing
        # optional package (datasets, pyarrow) says how to install it
        _fail(exc)

    _report_skipped(skipped, len(skipped))
    _report_unreferenced(counts)
    if fmt == "table":
        from ..report.table import print_summary

        worst.sort(key=_badness)
        print_summary(counts, models, rule_counts, worst[:10], db_path if db is not None else None)
    sys.exit(ExitCode.FAILED_ON_VERDICT if any_failing else ExitCode.OK)


def _report_skipped(skipped: list[InputError], total: int) -> None:
    if total:
        _err(f"skipped {total} unreadable line(s):")
        for skip in skipped[:20]:
            click.echo(f"  {skip}", err=True)
        if total > 20:
            click.echo(f"  ... and {total - 20} more", err=True)


def _report_unreferenced(counts: Counter[str]) -> None:
    from ..formats.load import REFERENCE_FIELDS

    unreferenced = counts.get(Verdict.UNREFERENCED.value, 0)
    if unreferenced:
        # a reference silently ignored would be a silently wrong report: say how many, and where we looked
        _err(f"{unreferenced} of {sum(counts.values())} chain(s) have no reference answer (looked for the fields "
             f"{', '.join(REFERENCE_FIELDS)}, and GSM8K's '#### N'): their verdict is 'unreferenced' and "
             "pass@k leaves them out (name the field with --field reference=NAME, or give --references FILE)")


_RAY_ADDRESS = re.compile(r"auto|local|ray://\S+|[\w.\-]+:\d{1,5}")
"""What ``--ray``'s value is when it is an address (anything else is the first input)."""


def _verify_on_ray(
    ctx: click.Context, inputs: tuple[str, ...], address: str, out_dir: str | None, rules: RuleSet,
    read: ReadOptions, references: dict[str, str] | None, failing: set[Verdict], workers: int,
    skip_invalid: bool, progress: bool | None, fmt: str,
) -> NoReturn:
    """``inspect verify --ray``: the same inputs, read and verified on Ray, the records in parquet shards."""
    if out_dir is None:
        raise click.UsageError("--ray needs --out DIR: the folder its parquet shards go to")
    if "-" in inputs:
        raise click.UsageError("--ray reads files (local, shared or s3://, gs://, ...), not standard input")
    if fmt == "jsonl":
        raise click.UsageError(f"--ray writes the records to --out {out_dir} as parquet shards, not to "
                               "stdout: read them with pyarrow, pandas or DuckDB, or `inspect import` / "
                               "`inspect report` the folder")
    if ctx.get_parameter_source("db_path") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError(f"--ray writes parquet shards, not a database: `inspect import {out_dir} --db "
                               "FILE` stores them (all, or --verdict ...)")
    try:
        from ..scale.ray_data import RayJobFailed, verify_on_ray
    except InspectorError as exc:  # no ray: say how to install it
        _fail(exc)
    explicit_workers = ctx.get_parameter_source("workers") is not click.core.ParameterSource.DEFAULT
    try:
        run = verify_on_ray(inputs, out_dir, rules, address=address, read=read, references=references,
                            skip_invalid=skip_invalid, workers=workers if explicit_workers else None,
                            progress=sys.stderr.isatty() if progress is None else progress, argv=sys.argv[1:])
    except KeyboardInterrupt:
        _err(f"interrupted: the shards in {out_dir} are what was finished (no _inspector.json marks them "
             "whole); remove the folder and run again")
        sys.exit(ExitCode.INTERRUPTED)
    except RayJobFailed as exc:
        _err(str(exc))
        sys.exit(ExitCode.ENVIRONMENT)
    except InspectorError as exc:  # FILE:LINE of the record that stopped the run
        _fail(exc)
    summary = run.summary
    _report_skipped(run.skipped, run.skipped_count)
    _report_unreferenced(summary.counts)
    if summary.repeated_ids:
        _err(f"{summary.repeated_ids} chain id(s) appear more than once: `inspect import` and `inspect "
             f"report` of {out_dir} refuse a chain id met again with another text (give each record its own "
             "id)")
    from ..report.table import print_summary

    where = f"{out_dir} ({summary.shards} parquet shard(s), {run.workers} Ray worker(s), {run.seconds:.1f}s)"
    print_summary(summary.counts, summary.models, summary.rule_counts, summary.worst, where)
    sys.exit(ExitCode.FAILED_ON_VERDICT if any(summary.counts.get(v.value) for v in failing) else ExitCode.OK)


_SUSPICION = {
    Verdict.LUCKY_GUESS: 0, Verdict.CANCELING_ERRORS: 1, Verdict.ARITHMETIC_SLIP: 2,
    Verdict.WRONG_REASONING: 3, Verdict.UNDECIDED: 4, Verdict.UNREFERENCED: 5, Verdict.NO_ANSWER: 6,
    Verdict.UNCHECKED: 7, Verdict.VALID: 8,
}


def _badness(o: Outcome) -> tuple[int, int]:
    """Suspicious first: right answers from wrong arithmetic, then by number of errors."""
    return (_SUSPICION[o.verdict], -o.error_count)


def _with_progress(results: Iterator[T]) -> Iterator[T]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn("verifying"), BarColumn(), MofNCompleteColumn(), TextColumn("chains"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("verify", total=None)
        for r in results:
            bar.advance(task)
            yield r


def _import_format(path: str) -> str | None:
    """The import format of a ``verify`` input when it is not one ``load`` reads itself (else ``None``)."""
    if path == "-" or not Path(path).is_file():
        return None
    from ..formats.importers import detect_format

    kind = detect_format(path)
    return None if kind == "chains" else kind
