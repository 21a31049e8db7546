"""The ``inspect`` command line: thin click wrappers over one library call each.

stdout is data (a table, or JSON lines), stderr is talk (progress, diagnostics). Library errors
become messages and exit codes here, at the boundary, and nowhere else.

`boundary` holds the click group `main`, the exit codes and that one place errors become messages; each
family of commands is a module that registers its commands on `main` as it is imported: `verify_command`
(verify, here or on Ray), `label_command` (the labelling UI), `database_commands` (report, export, import)
and `model_commands` (sample, score). This package imports them, and re-exports the names callers use
(`inspector.cli:main` is the console script).
"""

from __future__ import annotations

# isort: off
# each import registers its commands on `main`: this order is the order of `main.commands`
from .boundary import DEFAULT_DB, ExitCode, main
from .verify_command import verify
from .label_command import label
from .database_commands import export_command, import_command, report
from .model_commands import sample, score
from .engine_command import build_engine
# isort: on

__all__ = [
    "DEFAULT_DB", "ExitCode", "build_engine", "export_command", "import_command", "label", "main", "report",
    "sample", "score", "verify",
]
