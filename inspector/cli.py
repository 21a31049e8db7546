"""The ``inspect`` command line: thin click wrappers over one library call each.

stdout is data (a table, or JSON lines), stderr is talk (progress, diagnostics). Library errors
become messages and exit codes here, at the boundary, and nowhere else.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypeVar

import click

from .engine.model import Verdict
from .errors import BackendError, InputError, InspectorError, RulesError, StoreError
from .formats.load import INPUT_FORMATS

if TYPE_CHECKING:
    from sqlite_utils import Database

    from .engine.rules import RuleSet
    from .formats.load import ReadOptions
    from .labels.labelset import Resolution
    from .scale.workers import Outcome

T = TypeVar("T")

DEFAULT_DB = "inspector.db"


class ExitCode(IntEnum):
    """What ``inspect`` exits with; scripts rely on these numbers."""

    OK = 0
    """Everything ran; no chain got a ``--fail-on`` verdict."""
    FAILED_ON_VERDICT = 1
    """Some chain got a verdict named by ``--fail-on``."""
    BAD_INPUT = 2
    """An input line, a rule set or a database could not be read (``FILE:LINE: what`` on stderr)."""
    MISSING_DEPENDENCY = 3
    """An optional package the command needs is not installed (stderr says how to install it)."""
    BACKEND_FAILED = 4
    """A model or model server failed (after retries); what was finished is stored: run it again to resume."""
    ENVIRONMENT = 5
    """The file system or the database failed (full disk, read-only or damaged database, a missing directory);
    what was finished is stored and the run is marked unfinished. With ``--ray``: Ray itself failed (a node or
    worker lost, memory); the shards written so far stay, without ``_inspector.json``."""
    INTERNAL_ERROR = 70
    """A bug in cot-inspector (stderr says where to report it); never 1, so a crash is not read as a verdict."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C; what was finished is stored: run it again to resume."""


def _err(message: str) -> None:
    click.echo(f"inspect: {message}", err=True)


def _fail(exc: Exception) -> NoReturn:
    """The one place a library error becomes a message and an exit code."""
    from .errors import BackendError
    from .extras import MissingDependency

    _err(str(exc))
    if isinstance(exc, MissingDependency):
        sys.exit(ExitCode.MISSING_DEPENDENCY)
    if isinstance(exc, BackendError):
        sys.exit(ExitCode.BACKEND_FAILED)
    sys.exit(ExitCode.BAD_INPUT)


class _ErrorBoundary(click.Group):
    """Every command ends in a one-line message and its own exit code, whatever happens under it."""

    def invoke(self, ctx: click.Context) -> Any:
        import os
        import sqlite3

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except (KeyboardInterrupt, click.Abort):
            _err("interrupted: what was finished is stored; run the same command again to resume")
            sys.exit(ExitCode.INTERRUPTED)
        except InspectorError as exc:
            _fail(exc)
        except BrokenPipeError:
            # `inspect verify … | head`: the reader has what it wanted; say nothing more
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(ExitCode.OK)
        except (OSError, sqlite3.Error) as exc:
            _err(f"environment failure: {exc}")
            sys.exit(ExitCode.ENVIRONMENT)
        except Exception as exc:  # noqa: BLE001 - the boundary: a crash is a bug, reported as one
            if os.environ.get("INSPECT_DEBUG"):
                raise
            _err(f"internal error ({type(exc).__name__}: {str(exc)[:300]}). This is a bug in cot-inspector: please "
                 "report it to its maintainers with the command you ran and its input (run it again with "
                 "INSPECT_DEBUG=1 for the traceback)")
            sys.exit(ExitCode.INTERNAL_ERROR)


@click.group(cls=_ErrorBoundary, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cot-inspector", prog_name="inspect")
def main() -> None:
    """Re-do the arithmetic of every chain of thought and classify how its answer was reached."""


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
    from .engine import rules as rules_mod
    from .formats import load
    from .scale import workers as batch

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
        from .formats.importers import read_references

        try:
            references = read_references(references_path)
        except InspectorError as exc:
            _fail(exc)

    if ray_address is not None:
        _verify_on_ray(ctx, inputs, ray_address, out_dir, rules, read, references, failing, workers,
                       skip_invalid, progress, fmt)
    skipped: list[InputError] = []

    def works() -> Iterator[batch.Work]:
        from .formats import importers

        for path in inputs:
            if path.endswith((".db", ".sqlite", ".sqlite3")) and Path(path).exists():
                from . import store

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
        from . import store

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
            from . import store

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
        from .report.table import print_summary

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
    from .formats.load import REFERENCE_FIELDS

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
        from .scale.ray_data import RayJobFailed, verify_on_ray
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
    from .report.table import print_summary

    where = f"{out_dir} ({summary.shards} parquet shard(s), {run.workers} Ray worker(s), {run.seconds:.1f}s)"
    print_summary(summary.counts, summary.models, summary.rule_counts, summary.worst, where)
    sys.exit(ExitCode.FAILED_ON_VERDICT if any(summary.counts.get(v.value) for v in failing) else ExitCode.OK)


def _is_sqlite(path: str) -> bool:
    """A database to label (by its name, or by its first bytes), rather than a JSONL file to verify."""
    if path.endswith((".db", ".sqlite", ".sqlite3")):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


@main.command()
@click.argument("sources", nargs=-1, metavar="[DB | FILE.jsonl ...]", type=click.Path(dir_okay=False))
@click.option("--db", "db_path", default=None,
              help=f"Database to verify JSONL files into and label (default: {DEFAULT_DB}).")  # fmt: skip
@click.option("--annotator", default=None, help="Your name on every label (default: your login name).")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rule set for verifying JSONL files.")
@click.option("--advance/--no-advance", default=True, show_default=True,
              help="Open the next unlabelled chain once a chain label is saved.")  # fmt: skip
@click.option("--theme", type=click.Choice(["dark", "light"]), default="dark", show_default=True)
@click.option("--blind", is_flag=True,
              help="Hide the machine's verdict and other annotators' labels of a chain until you have labelled "
              "it (each label records whether it was blind).")  # fmt: skip
@click.option("--adjudicator", default=None, metavar="NAME",
              help="Label as adjudicator NAME (instead of --annotator), opening on the chains whose annotators "
              "disagree; `--resolve adjudicator=NAME` lets these labels settle a chain.")  # fmt: skip
def label(
    sources: tuple[str, ...], db_path: str | None, annotator: str | None, rules_path: str | None, advance: bool,
    theme: str, blind: bool, adjudicator: str | None,
) -> None:
    """Label chains in a terminal UI: each chain beside its re-verification, single keys, saved at once.

    Opens a database written by `inspect verify` (default: inspector.db). Given JSONL files instead,
    verifies them into --db first. Press ? in the app for every key.
    """
    import getpass

    if adjudicator is not None:
        if annotator is not None:
            raise click.UsageError("give --annotator or --adjudicator, not both (an adjudicator labels as NAME)")
        if blind:
            raise click.UsageError("an adjudicator sees every label: --blind and --adjudicator do not go together")
        if not adjudicator.strip():
            raise click.BadParameter("an adjudicator name cannot be empty", param_hint="--adjudicator")
        annotator = adjudicator

    # sqlite-utils imports pandas and numpy when they are installed, for column types this app never
    # stores: 0.3 s of a 0.6 s start. A fresh labelling process tells Python they are absent.
    if "sqlite_utils" not in sys.modules:
        for unused in ("pandas", "numpy"):
            sys.modules.setdefault(unused, None)  # type: ignore[arg-type]
    from . import store

    dbs = [s for s in sources if _is_sqlite(s)]
    if dbs and (len(sources) > 1 or db_path is not None):
        raise click.UsageError("give one database, or JSONL files (with --db for where they go), not both")
    inputs = () if dbs else sources
    target = dbs[0] if dbs else (db_path or DEFAULT_DB)
    for path in inputs:
        if not Path(path).is_file():
            _err(f"{path}: no such file")
            sys.exit(ExitCode.BAD_INPUT)
    if not inputs and not Path(target).is_file():
        _err(f"{target}: no such database; run `inspect verify FILE.jsonl` first, or give `inspect label` a JSONL file")
        sys.exit(ExitCode.BAD_INPUT)
    try:
        store.open_db(target).close()  # not a database, or a newer schema: say so before the screen opens
    except StoreError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    if annotator is None:
        try:
            annotator = getpass.getuser()
        except (KeyError, OSError):
            annotator = "annotator"
    if not annotator.strip():
        raise click.BadParameter("an annotator name cannot be empty", param_hint="--annotator")

    from .tui import make_app  # the only import of Textual, here and nowhere else in the CLI

    app = make_app(
        target, annotator.strip(), inputs=inputs, rules_path=rules_path, advance=advance, theme=theme, blind=blind,
        disagreements=adjudicator is not None,
    )
    app.run()
    if app.error:
        _err(app.error)
        sys.exit(ExitCode.BAD_INPUT)
    sys.exit(app.return_code or ExitCode.OK)


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
    from .formats.importers import detect_format

    kind = detect_format(path)
    return None if kind == "chains" else kind


# --------------------------------------------------------------------------------------------------
# report, export, import


def _open_existing_db(db_path: str) -> Database:
    """A database that must already exist (reading commands never create an empty one by mistake)."""
    from . import store

    if not Path(db_path).is_file():
        _err(f"{db_path}: no such database (run `inspect verify` or `inspect import` first)")
        sys.exit(ExitCode.BAD_INPUT)
    try:
        return store.open_db(db_path)
    except StoreError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)


def _resolution(value: str) -> Resolution:
    from .labels.labelset import parse_resolution

    try:
        return parse_resolution(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--resolve") from None


_RESOLVE_HELP = ("Choose among annotators: latest, majority, annotator=NAME, or adjudicator=NAME "
                 "(that annotator's label where there is one, else latest).")


@main.command()
@click.argument("db_path", default=DEFAULT_DB, required=False, metavar="[DB | SHARDS]")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table: rich tables and a terminal plot; json: one JSON document on stdout.")
@click.option("--png", "png_path", type=click.Path(dir_okay=False), help="Write the pass@k curves as a PNG.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help="Write one self-contained HTML page (tables and curves inline).")
@click.option("--resolve", "resolve", default="latest", show_default=True, help=_RESOLVE_HELP)
@click.option("--model", "models", multiple=True, help="Only this model (repeatable).")
@click.option("--k", "ks", metavar="K[,K...]", help="The k of pass@k (default 1, 2, 4, ... n).")
def report(
    db_path: str, fmt: str, png_path: str | None, html_path: str | None, resolve: str,
    models: tuple[str, ...], ks: str | None,
) -> None:
    """Verdicts, pass@k (raw, valid-only, calculator-repaired) and agreement with human labels.

    Reads a database, or the folder of parquet shards `inspect verify --ray --out DIR` wrote (local, or
    s3://, gs://, ...) without building one: the same numbers as a database of the same chains.
    """
    from .extras import MissingDependency
    from .report.build import build_report
    from .report.render import plot_png, print_report, to_html, to_json
    from .scale import shards

    how = _resolution(resolve)
    grid = None
    if ks:
        try:
            grid = sorted({int(k) for k in ks.split(",") if k.strip()})
        except ValueError:
            raise click.BadParameter(f"not a list of integers: {ks!r}", param_hint="--k") from None
    try:
        if shards.is_shards(db_path):
            from . import store

            _warn_unfinished(db_path)
            rep = build_report(store.open_db(None), resolution=how, models=models, ks=grid, database=db_path,
                               rows=shards.report_rows(db_path))
        else:
            rep = build_report(_open_existing_db(db_path), resolution=how, models=models, ks=grid,
                               database=db_path)
    except InspectorError as exc:
        _fail(exc)
    if fmt == "json":
        click.echo(to_json(rep))
    else:
        print_report(rep)
    try:
        png = plot_png(rep) if (png_path or html_path) and rep.curves else None
    except MissingDependency as exc:
        if png_path:
            _err(str(exc))
            sys.exit(ExitCode.MISSING_DEPENDENCY)
        _err(f"{exc}; the HTML page has tables only")
        png = None
    if png_path and png is not None:
        Path(png_path).write_bytes(png)
        _err(f"wrote {png_path}")
    elif png_path and not rep.curves:
        _err(f"{png_path} not written: no pass@k curves to draw (no model has chains with a reference answer)")
    if html_path:
        Path(html_path).write_text(to_html(rep, png), encoding="utf-8")
        _err(f"wrote {html_path}")


@main.command(name="export")
@click.argument("db_path", default=DEFAULT_DB, required=False, metavar="[DB]")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet", "hf", "prm800k", "processbench", "trl"]),
              default="jsonl", show_default=True,
              help="Our formats (jsonl, csv, parquet; hf: a folder datasets.load_from_disk opens) or the field's.")
@click.option("-o", "--output", "output", default="-", show_default=True, type=click.Path(allow_dash=True),
              help="File to write (hf: a folder); - is stdout.")
@click.option("--resolve", "resolve", default="latest", show_default=True, help=_RESOLVE_HELP)
@click.option("--labelled-only", is_flag=True, help="Only chains with a human chain or step label.")
@click.option("--verdict", "verdicts", multiple=True, type=click.Choice([v.value for v in Verdict]),
              help="Only chains with this machine verdict (repeatable).")
@click.option("--model", "models", multiple=True, help="Only this model (repeatable).")
@click.option("--bare", is_flag=True,
              help="prm800k/processbench/trl: only the format's own fields (no 'inspector' object to re-import from).")
def export_command(
    db_path: str, fmt: str, output: str, resolve: str, labelled_only: bool, verdicts: tuple[str, ...],
    models: tuple[str, ...], bare: bool,
) -> None:
    """Export chains with their verdicts and human labels, streaming (one chain at a time)."""
    import shlex

    from .formats.export import export

    how = _resolution(resolve)
    if fmt in ("parquet", "hf") and output == "-":
        what = "parquet is binary: give a file" if fmt == "parquet" else "hf writes a folder: give one"
        raise click.BadParameter(f"{what} with -o", param_hint="--output")
    db = _open_existing_db(db_path)
    # the command as the dataset card quotes it: what was asked, not how this process was started
    argv = ["inspect", "export", db_path, "--format", fmt, "-o", output, "--resolve", resolve]
    argv += [*(["--labelled-only"] if labelled_only else []), *(f"--verdict={v}" for v in verdicts),
             *(f"--model={m}" for m in models)]  # fmt: skip
    try:
        if output == "-":
            summary = export(db, sys.stdout.buffer, fmt, resolution=how, models=models, verdicts=verdicts,
                             labelled_only=labelled_only, bare=bare)
        else:
            summary = export(db, output, fmt, resolution=how, models=models, verdicts=verdicts,
                             labelled_only=labelled_only, bare=bare, command=shlex.join(argv))
    except InspectorError as exc:
        _fail(exc)
    _err(f"exported {summary.written} of {summary.chains} chain(s) as {fmt}"
         + (f" to {output}" if output != "-" else ""))
    if summary.skipped:
        _err(f"skipped {summary.skipped} chain(s) without the labels {fmt} carries")
    if summary.conflicts:
        more = ", ..." if summary.conflicts > len(summary.conflict_ids) else ""
        _err(f"{summary.conflicts} chain(s) with disagreeing annotators, resolved by {how}: "
             f"{', '.join(summary.conflict_ids)}{more}")


@main.command(name="import")
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", "processbench", "prm800k", "lm-eval", "trl", "inspector", "csv",
                                 "parquet", "shards", "chains"]),
              help="What the file is; auto detects it from its first record (shards: a folder of them, or "
                   "one).")
@click.option("--verdict", "verdicts", multiple=True, type=click.Choice([v.value for v in Verdict]),
              help="Shards of `verify --ray`: only chains they record with this verdict (repeatable), e.g. "
                   "to label the suspicious ones.")
@click.option("--annotator", help="Who made the labels (ProcessBench, TRL; overrides PRM800K's labeler).")
@click.option("--model", help="The model, where the file does not say (PRM800K, lm-eval, TRL).")
@click.option("--references", "references_path", type=click.Path(dir_okay=False, exists=True),
              help="A file with problems and reference answers (e.g. GSM8K test.jsonl) to fill in missing ones.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="SQLite database to import into.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rule set (TOML); default: rules/default.toml.")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True, help="Parallel processes.")
def import_command(
    path: str, fmt: str, verdicts: tuple[str, ...], annotator: str | None, model: str | None,
    references_path: str | None, db_path: str, rules_path: str | None, workers: int,
) -> None:
    """Import chains and their human labels (ProcessBench, PRM800K, lm-eval samples, TRL, our exports), or the
    parquet shards of `inspect verify --ray` (all, or --verdict ...).

    The chains are verified as `inspect verify` verifies them (the shards' too: the database keeps more
    than their records, and with the same rules the verdicts are theirs); the labels are stored as labels
    by their annotator, so `inspect report` measures the machine against them. Importing a file twice
    changes nothing.
    """
    from . import store
    from .engine import rules as rules_mod
    from .formats.importers import detect_format, read_references
    from .formats.ingest import run_import
    from .scale import shards

    try:
        kind = detect_format(path) if fmt == "auto" else fmt
        if verdicts and kind != "shards":
            raise click.UsageError("--verdict chooses among the chains of shards written by `inspect verify "
                                   f"--ray`; {path} is read as {kind}")
        rules = rules_mod.load_rules(rules_path) if rules_path else rules_mod.default_rules()
        if kind == "shards":
            _warn_unfinished(path)
            other = sorted(h for name, h in shards.rules_of(path) if h != rules.hash)
            if other:
                _err(f"the shards were verified with other rules (hash {', '.join(other)}) than these "
                     f"({rules.name}, {rules.hash}): the chains are verified again with these, so verdicts "
                     "may differ (give the same --rules to keep theirs)")
        references = read_references(references_path) if references_path else None
        db = store.open_db(db_path)
        summary = run_import(db, path, rules, fmt=kind, annotator=annotator, model=model,
                             references=references, workers=workers, argv=sys.argv[1:], verdicts=verdicts)
    except InspectorError as exc:
        _fail(exc)
    counts = ", ".join(f"{v} {n}" for v, n in sorted(summary.verdicts.items(), key=lambda x: -x[1]))
    _err(f"imported {summary.chains} chain(s) into {db_path} (run {summary.run_id}): {counts or 'none'}")
    if summary.verdicts_changed:
        _err(f"{summary.verdicts_changed} chain(s) got another verdict than the one recorded in {path} "
             "(verified there with other rules or another version of cot-inspector)")
    _err(f"labels: {summary.labels_added} added, {summary.labels_unchanged} already there")


def _warn_unfinished(path: str) -> None:
    """A folder of shards without ``_inspector.json``: the run that wrote it stopped before the end."""
    from .scale import shards

    if not path.lower().endswith(".parquet") and shards.manifest(path) is None:
        _err(f"{path} has no {shards.MANIFEST}: the run that wrote it did not finish, and its shards hold "
             "only the chains verified before it stopped")


# --------------------------------------------------------------------------------------------------
# sample, score: chains from models, and learned scores of their steps (the `models` extra)


class _RateBar:
    """A progress bar on stderr with the rates that matter for sampling: items/s and tokens/s."""

    def __init__(self, label: str, unit: str, show: bool) -> None:
        self.label, self.unit, self.show = label, unit, show
        self._bar: Any = None
        self._task: Any = None
        self._started = 0.0

    def __enter__(self) -> Self:
        import time

        self._started = time.perf_counter()
        if self.show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                                 console=Console(stderr=True))
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=None, rate="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def update(self, done: int, total: int, tokens: int | None = None) -> None:
        if self._bar is None:
            return
        import time

        elapsed = max(time.perf_counter() - self._started, 1e-9)
        rate = f"{done / elapsed:.2f} {self.unit}/s"
        if tokens is not None:
            rate += f" · {tokens / elapsed:,.0f} tok/s"
        self._bar.update(self._task, completed=done, total=total, rate=rate)


def _load_rules_or_exit(rules_path: str | None) -> RuleSet:
    from .engine import rules as rules_mod

    try:
        return rules_mod.load_rules(rules_path) if rules_path else rules_mod.default_rules()
    except RulesError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)


_DTYPE_CHOICE = click.Choice(["auto", "float32", "float16", "bfloat16"])


@main.command()
@click.option("--model", "model", required=True,
              help="hf: a local Hugging Face model directory; openai: the model's name on the server.")
@click.option("--problems", "problems_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="JSONL (or a JSON list) of problems with references: GSM8K, MATH and MATH-500 files work.")
@click.option("--n", "n", type=click.IntRange(1, 1_000_000), default=1, show_default=True, help="Samples per problem.")
@click.option("--temperature", type=click.FloatRange(0, 100), default=0.6, show_default=True)
@click.option("--top-p", "top_p", type=click.FloatRange(0, 1, min_open=True), default=0.95, show_default=True)
@click.option("--max-new-tokens", type=click.IntRange(1), default=1024, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="The run's seed; each sample's own seed comes from it, its problem and its index.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="SQLite database to store the chains in.")
@click.option("--model-name", help="Name to store the chains under (default: the directory's name, or --model).")
@click.option("--template", default="auto", show_default=True,
              help="auto, chat (the model's chat template), plain, qwen-boxed, or a file with {problem}.")
@click.option("--backend", type=click.Choice(["hf", "openai"]), default="hf", show_default=True,
              help="hf: transformers on this machine; openai: an OpenAI-compatible server (vLLM, SGLang, TGI).")
@click.option("--batch-size", type=click.IntRange(1, 65536), default=None,
              help="hf: sequences per batch (default: 64 on a GPU, 16 on the CPU).")
@click.option("--dtype", type=_DTYPE_CHOICE, default="auto", show_default=True,
              help="hf: weights' precision (auto: bfloat16 on a GPU, float32 on the CPU).")
@click.option("--device", default="auto", show_default=True, help="hf: auto, cpu, cuda, cuda:1 ...")
@click.option("--threads", type=click.IntRange(1, 1024), default=None,
              help="hf: CPU threads torch uses (default: torch's choice; 1 is often fastest on a small machine).")
@click.option("--base-url", help="openai: the server's API root, e.g. http://localhost:8000/v1.")
@click.option("--api-key", envvar="OPENAI_API_KEY", help="openai: a bearer token (default: $OPENAI_API_KEY).")
@click.option("--concurrency", type=click.IntRange(1, 4096), default=16, show_default=True,
              help="openai: requests in flight at once.")
@click.option("--retries", type=click.IntRange(0, 100), default=5, show_default=True,
              help="openai: retries of a request after a connection error, a timeout, HTTP 429 or 5xx.")
@click.option("--timeout", type=click.FloatRange(1), default=600.0, show_default=True,
              help="openai: seconds to wait for one completion.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rule set to verify with (TOML).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
def sample(
    model: str, problems_path: str, n: int, temperature: float, top_p: float, max_new_tokens: int, seed: int,
    db_path: str, model_name: str | None, template: str, backend: str, batch_size: int | None, dtype: str,
    device: str, threads: int | None, base_url: str | None, api_key: str | None, concurrency: int, retries: int,
    timeout: float, rules_path: str | None, progress: bool | None,
) -> None:
    """Draw N chains per problem from a model, verify each, and store them for `label` and `report`.

    Resumable: a run stopped at any moment and started again draws only what is missing (a sample is
    keyed by model, problem, sampling parameters and index), and the same seed gives the same text.
    """
    from . import store
    from .sampling.sample import SamplingParams, load_template, read_problems, run_sampling

    if backend == "openai" and not base_url:
        raise click.UsageError("--backend openai needs --base-url (e.g. http://localhost:8000/v1)")
    rules = _load_rules_or_exit(rules_path)
    try:
        problems = read_problems(problems_path)
        db = store.open_db(db_path)
    except InspectorError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    try:
        chat: bool | None = None
        the_backend: Any
        if backend == "openai":
            from .sampling.backends.openai import OpenAIBackend

            assert base_url is not None
            the_backend = OpenAIBackend(base_url, model, model_name=model_name, api_key=api_key,
                                        concurrency=concurrency, retries=retries, timeout=timeout)
        else:
            from .sampling.backends.hf import HFBackend, resolve_device

            if batch_size is None:
                batch_size = 64 if resolve_device(device).type == "cuda" else 16
            _quiet_transformers()
            the_backend = HFBackend(model, model_name=model_name, dtype=dtype, device=device, batch_size=batch_size,
                                    threads=threads)
            chat = the_backend.has_chat_template
        made = load_template(template, has_chat_template=chat)
        params = SamplingParams(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed)
    except InspectorError as exc:
        _fail(exc)
    _err(f"sampling {n} per problem for {len(problems)} problem(s) from {the_backend.model_name} "
         f"({backend}, {the_backend.location}) into {db_path}")
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with _RateBar("sampling", "samples", show) as bar:
            summary = run_sampling(db, the_backend, problems, n=n, params=params, template=made, rules=rules,
                                   argv=sys.argv[1:], on_progress=bar.update, extra=the_backend.describe())
    except BackendError as exc:
        _err(f"{exc}\nwhat finished is stored; run the same command again to go on")
        sys.exit(ExitCode.BACKEND_FAILED)
    except KeyboardInterrupt:
        _err("stopped: what finished is stored; run the same command again to go on")
        if backend == "openai":  # don't wait at exit for requests still in flight (up to --timeout each)
            import os

            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)
        sys.exit(ExitCode.INTERRUPTED)
    except InspectorError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    rate = summary.generated / summary.seconds if summary.seconds > 0 else 0.0
    tok_rate = summary.tokens / summary.seconds if summary.seconds > 0 else 0.0
    verdicts = ", ".join(f"{v} {k}" for v, k in sorted(summary.verdicts.items(), key=lambda x: -x[1]))
    _err(f"sampled {summary.generated} new chain(s), {summary.existing} already there, of {summary.requested} "
         f"(run {summary.run_id}, parameters {summary.params_hash}); {rate:.2f} samples/s, {tok_rate:,.0f} tokens/s")
    if verdicts:
        _err(f"verdicts: {verdicts}")


def _quiet_transformers() -> None:
    """No download bars or weight-loading bars of transformers' own: ours is the one progress bar."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    except ImportError:  # pragma: no cover - the caller imported transformers already
        pass


@main.command()
@click.option("--model", "model_path", required=True, type=click.Path(file_okay=False),
              help="A local Hugging Face model directory: a causal LM (logprob) or a process reward model (prm).")
@click.option("--kind", type=click.Choice(["logprob", "prm"]), required=True,
              help="logprob: teacher-forced token log-probabilities; prm: a Qwen2.5-Math-PRM-style step reward.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Database whose chains to score.")
@click.option("--model-name", help="Name to store the scores under (default: the directory's name).")
@click.option("--of-model", "of_models", multiple=True, help="Only chains of this model (repeatable).")
@click.option("--verdict", "verdicts", multiple=True, type=click.Choice([v.value for v in Verdict]),
              help="Only chains with this verdict (repeatable).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Score at most this many chains.")
@click.option("--rescore", is_flag=True, help="Score chains already scored by this model again (replacing the scores).")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=4, show_default=True, help="Chains per forward pass.")
@click.option("--max-length", type=click.IntRange(16), default=8192, show_default=True,
              help="Tokens per chain, prompt included; steps past it get no score.")
@click.option("--dtype", type=_DTYPE_CHOICE, default="auto", show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1 ...")
@click.option("--threads", type=click.IntRange(1, 1024), default=None, help="CPU threads torch uses (default: torch's).")
@click.option("--template", default="auto", show_default=True,
              help="logprob: the prompt for chains not sampled here (auto, chat, plain, qwen-boxed or a file).")
@click.option("--separator", default="<extra_0>", show_default=True, help="prm: the step separator token.")
@click.option("--trust-remote-code", is_flag=True,
              help="prm: run the Python code shipped in the model directory (Qwen2.5-Math-PRM needs it).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
def score(
    model_path: str, kind: str, db_path: str, model_name: str | None, of_models: tuple[str, ...],
    verdicts: tuple[str, ...], limit: int | None, rescore: bool, batch_size: int, max_length: int, dtype: str,
    device: str, threads: int | None, template: str, separator: str, trust_remote_code: bool, progress: bool | None,
) -> None:
    """Score the steps and claims of stored chains with a model: a learned signal beside the exact one.

    logprob: each step's mean token log-probability and each claim's probability of its stated result;
    prm: each step's probability of being correct from a process reward model. Resumable: chains
    already scored by the same model and kind are skipped (unless --rescore).
    """
    from .sampling.sample import default_model_name
    from .sampling.score import logprob_batch, prm_batch, run_scoring

    db = _open_existing_db(db_path)
    name = model_name or default_model_name(model_path)
    try:
        from .sampling.backends import hf

        _quiet_transformers()
        if kind == "logprob":
            batch = logprob_batch(hf.LogprobScorer(model_path, dtype=dtype, device=device, max_length=max_length,
                                                   threads=threads), template)
        else:
            batch = prm_batch(hf.PrmScorer(model_path, dtype=dtype, device=device, max_length=max_length,
                                           separator=separator, trust_remote_code=trust_remote_code, threads=threads))
    except InspectorError as exc:
        _fail(exc)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with _RateBar(f"scoring ({kind})", "chains", show) as bar:
            summary = run_scoring(db, batch, kind=kind, model=name, models=of_models, verdicts=verdicts,
                                  limit=limit, rescore=rescore, batch_size=batch_size, on_progress=bar.update)
    except BackendError as exc:
        _err(f"{exc}\nwhat finished is stored; run the same command again to go on")
        sys.exit(ExitCode.BACKEND_FAILED)
    except KeyboardInterrupt:
        _err("stopped: what finished is stored; run the same command again to go on")
        sys.exit(ExitCode.INTERRUPTED)
    except InspectorError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    _err(f"scored {summary.scored} chain(s) by {kind} with {name} ({summary.skipped} already scored, "
         f"{summary.selected} selected): {summary.rows} score(s) stored in {db_path} in {summary.seconds:.1f}s")


if __name__ == "__main__":  # pragma: no cover
    main()
