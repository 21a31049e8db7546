"""``inspect report``, ``export`` and ``import``: the commands that read results out of a database (or
the shards of ``verify --ray``) and put other tools' chains and labels into one.

They share how annotators' labels are resolved (``--resolve``) and the warning about shards of a run
that never finished.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..engine.model import Verdict
from ..errors import InspectorError
from .boundary import DEFAULT_DB, ExitCode, _err, _fail, _open_existing_db, main

if TYPE_CHECKING:
    from ..labels.labelset import Resolution


def _resolution(value: str) -> Resolution:
    from ..labels.labelset import parse_resolution

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
    from ..extras import MissingDependency
    from ..report.build import build_report
    from ..report.render import plot_png, print_report, to_html, to_json
    from ..scale import shards

    how = _resolution(resolve)
    grid = None
    if ks:
        try:
            grid = sorted({int(k) for k in ks.split(",") if k.strip()})
        except ValueError:
            raise click.BadParameter(f"not a list of integers: {ks!r}", param_hint="--k") from None
    try:
        if shards.is_shards(db_path):
            from .. import store

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

    from ..formats.export import export

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
    from .. import store
    from ..engine import rules as rules_mod
    from ..formats.importers import detect_format, read_references
    from ..formats.ingest import run_import
    from ..scale import shards

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
    from ..scale import shards

    if not path.lower().endswith(".parquet") and shards.manifest(path) is None:
        _err(f"{path} has no {shards.MANIFEST}: the run that wrote it did not finish, and its shards hold "
             "only the chains verified before it stopped")


# --------------------------------------------------------------------------------------------------
