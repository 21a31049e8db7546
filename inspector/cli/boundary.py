"""The ``inspect`` click group, its exit codes, and the one place a library error becomes a message.

Every command module registers on `main` here and reports through `_err` and `_fail`, so what a script
reads (the ``inspect: ...`` line on stderr and the exit code) is decided once for all commands. It is a
module of its own rather than the package's ``__init__`` so that the command modules can import it
without importing the package that imports them.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ..errors import InspectorError, StoreError

if TYPE_CHECKING:
    from sqlite_utils import Database


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
    from ..errors import BackendError
    from ..extras import MissingDependency

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


def _open_existing_db(db_path: str) -> Database:
    """A database that must already exist (reading commands never create an empty one by mistake)."""
    from .. import store

    if not Path(db_path).is_file():
        _err(f"{db_path}: no such database (run `inspect verify` or `inspect import` first)")
        sys.exit(ExitCode.BAD_INPUT)
    try:
        return store.open_db(db_path)
    except StoreError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
