"""``inspect label``: the terminal labelling UI over a database, or over JSONL files verified into one first.

A module of its own because it is the CLI's only door to Textual: the app is imported inside the
command, so no other command (and no import of ``inspector.cli``) pays for it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import StoreError
from .boundary import DEFAULT_DB, ExitCode, _err, main


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
    from .. import store

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

    from ..tui import make_app  # the only import of Textual, here and nowhere else in the CLI

    app = make_app(
        target, annotator.strip(), inputs=inputs, rules_path=rules_path, advance=advance, theme=theme, blind=blind,
        disagreements=adjudicator is not None,
    )
    app.run()
    if app.error:
        _err(app.error)
        sys.exit(ExitCode.BAD_INPUT)
    sys.exit(app.return_code or ExitCode.OK)
