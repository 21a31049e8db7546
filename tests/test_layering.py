"""The package's layers, enforced: the engine stands alone, and heavy or terminal libraries stay in their rooms.

The README's Layout section draws the path data takes: files (`formats`) → the engine (`engine`) → the store
(`store`) → labels, reports, sampling, scale → the front ends on top (`cli`, `tui`, `rewards`, the Datasette
plugin). These tests read every module's imports (lazy ones inside functions and ``TYPE_CHECKING`` ones
included) from its syntax tree, so a rule broken anywhere fails here with the file and line that broke it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "inspector"

ENGINE_MAY_IMPORT = {"engine", "errors"}
"""The engine's own modules, and the exceptions every layer shares: nothing of files, databases or terminals."""

FRONT_ENDS = {"cli", "tui", "rewards", "datasette_plugin", "__main__"}
"""Nothing below the front ends imports them; they import everything else."""


@dataclass(frozen=True)
class Import:
    module: str
    """The importing module, dotted (``inspector.engine.check``)."""
    target: str
    """What it imports, dotted and absolute (``inspector.store``, ``textual.app``)."""
    where: str
    """``inspector/engine/check.py:12``, for the failure message."""

    @property
    def room(self) -> str:
        """The importing module's first name under ``inspector`` (``engine``, ``tui``, ``cli``...)."""
        return self.module.split(".")[1] if "." in self.module else ""

    @property
    def target_room(self) -> str | None:
        """The imported module's first name under ``inspector``, or ``None`` for a library."""
        parts = self.target.split(".")
        if parts[0] != "inspector":
            return None
        return parts[1] if len(parts) > 1 else ""

    @property
    def library(self) -> str:
        return self.target.split(".")[0]


def imports_of(path: Path) -> list[Import]:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    module = ".".join(parts)
    package = parts if is_package else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = [node.module or ""]
            else:
                base = [*package[: len(package) - node.level + 1], *([node.module] if node.module else [])]
            dotted = ".".join(base)
            # `from . import store` imports the module `inspector.store`: name it, not the package
            targets = [dotted] if node.module else [f"{dotted}.{alias.name}" for alias in node.names]
        where = f"{relative.with_suffix('.py')}:{getattr(node, 'lineno', 0)}"
        found.extend(Import(module, target, where) for target in targets)
    return found


def all_imports() -> list[Import]:
    return [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in imports_of(path)]


def broken(rule: str, imports: list[Import]) -> str:
    return f"{rule}:\n" + "\n".join(f"  {imp.where} imports {imp.target}" for imp in imports)


def test_the_engine_imports_nothing_of_files_databases_reports_sampling_or_terminals() -> None:
    offending = [imp for imp in all_imports()
                 if imp.room == "engine" and imp.target_room is not None
                 and imp.target_room not in ENGINE_MAY_IMPORT]
    assert not offending, broken("the engine imports only itself and inspector.errors", offending)


def test_the_engine_imports_no_terminal_database_or_model_library() -> None:
    forbidden = {"textual", "rich", "click", "sqlite_utils", "sqlite3", "torch", "transformers", "ray", "pyarrow"}
    offending = [imp for imp in all_imports() if imp.room == "engine" and imp.library in forbidden]
    assert not offending, broken("the engine is pure: no terminal, database or model library", offending)


def test_only_the_tui_imports_textual() -> None:
    offending = [imp for imp in all_imports() if imp.library == "textual" and imp.room != "tui"]
    assert not offending, broken("only inspector/tui imports textual", offending)


def test_only_the_sampling_backends_import_torch_or_transformers() -> None:
    offending = [imp for imp in all_imports()
                 if imp.library in {"torch", "transformers"}
                 and not imp.module.startswith("inspector.sampling.backends")]
    assert not offending, broken("only inspector/sampling/backends imports torch or transformers", offending)


def test_nothing_below_the_front_ends_imports_them() -> None:
    offending = [imp for imp in all_imports()
                 if imp.target_room in FRONT_ENDS and imp.room not in FRONT_ENDS]
    assert not offending, broken("the front ends (cli, tui, rewards, the Datasette plugin) sit on top", offending)


def test_tui_screens_and_widgets_do_not_import_the_app() -> None:
    """The app composes the screens; a screen reaches the app through `tui.context`, never by importing it."""
    offending = [imp for imp in all_imports()
                 if imp.module.startswith(("inspector.tui.screens", "inspector.tui.widgets"))
                 and imp.target.startswith("inspector.tui.app")]
    assert not offending, broken("tui/screens and tui/widgets never import tui/app", offending)


def test_the_rules_see_every_kind_of_import() -> None:
    """The scanner itself: lazy, relative, `from . import x` and TYPE_CHECKING imports are all seen."""
    seen = {(imp.module, imp.target) for imp in all_imports()}
    assert ("inspector.engine.pipeline", "inspector.engine.model") in seen  # relative `from .model import`
    assert any(module == "inspector.cli" or module.startswith("inspector.cli.") for module, _ in seen)
    assert any(target.startswith("textual") for _, target in seen)
    # a lazy import inside a function: the hf backend's torch
    assert any(module == "inspector.sampling.backends.hf" and target == "torch" for module, target in seen)


def test_only_the_store_runs_sql() -> None:
    """``inspector/store`` keeps its promise that nothing else in the package writes (or reads) SQL: no
    ``execute``/``executemany``/``executescript``/``query`` call on a connection or database outside it."""
    sql_calls = {"execute", "executemany", "executescript", "query"}
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if relative.parts[1] == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in sql_calls):
                offending.append(f"  {relative}:{node.lineno} calls .{node.func.attr}()")
    assert not offending, "only inspector/store runs SQL:\n" + "\n".join(offending)
