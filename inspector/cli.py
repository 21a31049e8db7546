"""The ``inspect`` command line: thin click wrappers over one library call each.

stdout is data (a table, or JSON lines), stderr is talk (progress, diagnostics). Library errors
become messages and exit codes here, at the boundary, and nowhere else.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from .errors import InputError, InspectorError, RulesError, StoreError
from .model import Verdict

if TYPE_CHECKING:
    from .batch import Outcome

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


def _err(message: str) -> None:
    click.echo(f"inspect: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.argument("inputs", nargs=-1, required=True, type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rule set (TOML); default: rules/default.toml.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="SQLite database to write results into.")
@click.option("--no-db", is_flag=True, help="Do not write a database.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True,
              help="table: a summary for people; jsonl: one JSON object per chain on stdout, in input order.")
@click.option("--fail-on", "fail_on", metavar="VERDICT[,VERDICT...]",
              help="Exit 1 when any chain gets one of these verdicts (for CI).")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True, help="Parallel processes.")
@click.option("--skip-invalid", is_flag=True, help="Skip unreadable lines (counted and reported) instead of stopping.")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
def verify(
    inputs: tuple[str, ...], rules_path: str | None, db_path: str, no_db: bool, fmt: str,
    fail_on: str | None, workers: int, skip_invalid: bool, progress: bool | None,
) -> None:
    """Verify chains of thought from JSONL files (or a database written by an earlier run).

    Each line is one chain (`cot` / `completion` / `response` / ... with optional `id`, `problem`,
    `reference`, `model`, `sample_index`), a problem with many samples (`code` / `completions` /
    `responses` / `samples` lists), or a GSM8K `{"question", "answer"}` record.
    """
    from . import batch, load
    from . import rules as rules_mod

    failing = _parse_fail_on(fail_on)
    try:
        rules = rules_mod.load_rules(rules_path) if rules_path else rules_mod.default_rules()
    except RulesError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)

    skipped: list[InputError] = []

    def works() -> Iterator[batch.Work]:
        for path in inputs:
            if path.endswith((".db", ".sqlite", ".sqlite3")) and Path(path).exists():
                from . import store

                yield from batch.chunks_of_chains(store.iter_chain_inputs(store.open_db(path)))
            elif path.endswith(".json"):  # maybe a JSON list (ProcessBench): not splittable by lines
                yield from batch.chunks_of_chains(
                    load.iter_chains(path, skip_invalid=skip_invalid, on_skip=skipped.append)
                )
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
    job = batch.Job(rules, want_json=fmt == "jsonl", want_rows=db is not None)

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

            written = store.write_rows(db, run_id, (o.rows for o in stream if o.rows is not None))
            store.finish_run(db, run_id, chains=written, counts=dict(counts))
        else:
            for _ in stream:
                pass
    except InspectorError as exc:  # InputError, StoreError: FILE:LINE messages, never a traceback
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)

    if skipped:
        _err(f"skipped {len(skipped)} unreadable line(s):")
        for skip in skipped[:20]:
            click.echo(f"  {skip}", err=True)
        if len(skipped) > 20:
            click.echo(f"  ... and {len(skipped) - 20} more", err=True)
    if fmt == "table":
        from .report_table import print_summary

        worst.sort(key=_badness)
        print_summary(counts, models, rule_counts, worst[:10], db_path if db is not None else None)
    sys.exit(ExitCode.FAILED_ON_VERDICT if any_failing else ExitCode.OK)


_SUSPICION = {
    Verdict.LUCKY_GUESS: 0, Verdict.CANCELING_ERRORS: 1, Verdict.ARITHMETIC_SLIP: 2,
    Verdict.WRONG_REASONING: 3, Verdict.UNREFERENCED: 4, Verdict.NO_ANSWER: 5, Verdict.VALID: 6,
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


if __name__ == "__main__":  # pragma: no cover
    main()
