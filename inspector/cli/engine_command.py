"""``inspect build-engine``: compile the engine with mypyc (``inspector.native``), show whether it is in use, or
remove it. The same verdicts either way; the compiled engine is faster (README, "Speed")."""

from __future__ import annotations

import sys

import click

from .. import native
from .boundary import ExitCode, _err, main


@main.command("build-engine")
@click.option("--status", "show_status", is_flag=True, help="Say whether this install runs the compiled engine, and why.")
@click.option("--remove", is_flag=True, help="Delete the compiled engine: the Python engine runs from the next start.")
@click.option("--opt-level", type=click.Choice(["0", "1", "2", "3"]), default="3", show_default=True,
              help="The C compiler's optimisation level (0 builds fastest, 3 runs fastest).")
@click.option("--jobs", type=int, default=None, help="Compiler processes (default: one per CPU).")
def build_engine(show_status: bool, remove: bool, opt_level: str, jobs: int | None) -> None:
    """Compile the engine to C with mypyc (needs the `fast` extra and a C compiler).

    The build goes to inspector/_native/ and is used only while every engine source is byte for byte what was
    compiled: an edited source runs as Python until the next build. INSPECTOR_NATIVE=0 runs Python regardless.
    Exit status 3 when mypyc or a C compiler is missing (the Python engine keeps working).
    """
    if show_status:
        state, _ = native.check()
        click.echo(("compiled: " if state.active else "python: ") + state.reason)
        return
    if remove:
        click.echo("removed the compiled engine" if native.remove() else "no compiled engine to remove", err=True)
        return
    click.echo("compiling the engine with mypyc (about a minute per core) …", err=True)
    try:
        report = native.build(opt_level=opt_level, jobs=jobs)
    except (native.NativeBuildError, OSError) as exc:
        _err(f"cannot build the compiled engine: {exc}. The Python engine runs instead (same results, slower).")
        missing = isinstance(exc, native.NativeBuildError)  # mypyc or a compiler; else the file system failed
        sys.exit(ExitCode.MISSING_DEPENDENCY if missing else ExitCode.ENVIRONMENT)
    click.echo(f"compiled {report.modules} engine modules in {report.seconds:.0f} s into {report.native_dir}; "
               "it runs from the next start of inspect", err=True)
