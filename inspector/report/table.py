"""The ``--format table`` summary of a verify run, drawn with rich on stdout."""

from __future__ import annotations

import sys
from collections import Counter

from rich.console import Console
from rich.table import Table

from ..engine.model import Verdict
from ..scale.workers import Outcome

VERDICT_STYLES = {
    Verdict.VALID: "green",
    Verdict.CANCELING_ERRORS: "yellow",
    Verdict.LUCKY_GUESS: "bold red",
    Verdict.ARITHMETIC_SLIP: "magenta",
    Verdict.WRONG_REASONING: "red",
    Verdict.NO_ANSWER: "dim",
    Verdict.UNREFERENCED: "cyan",
    Verdict.UNCHECKED: "white",
    Verdict.UNDECIDED: "yellow",
}


def print_summary(
    counts: Counter[str],
    models: dict[str, Counter[str]],
    rule_counts: Counter[str],
    worst: list[Outcome],
    db_path: str | None,
    console: Console | None = None,
) -> None:
    # piped to a file or a pager, tables keep a readable width instead of rich's 80 columns
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    total = sum(counts.values())
    table = Table(title=f"Verdicts ({total} chains)")
    table.add_column("verdict")
    names = sorted(models)
    for model in names:
        table.add_column(model, justify="right")
    if len(names) > 1:
        table.add_column("all", justify="right", style="bold")
    for v in Verdict:
        row = [str(models[m].get(v.value, 0)) for m in names]
        if len(names) > 1:
            row.append(str(counts.get(v.value, 0)))
        table.add_row(f"[{VERDICT_STYLES[v]}]{v.value}[/]", *row)
    console.print(table)
    if worst:
        wt = Table(title="Most suspicious chains")
        wt.add_column("chain")
        wt.add_column("model")
        wt.add_column("verdict")
        wt.add_column("answer")
        wt.add_column("repaired")
        wt.add_column("first error")
        for o in worst:
            wt.add_row(
                o.chain_id, o.model or "", f"[{VERDICT_STYLES[o.verdict]}]{o.verdict.value}[/]",
                o.final_answer or "", o.repaired_answer or "", o.first_error or "",
            )
        console.print(wt)
    if rule_counts:
        rt = Table(title="Findings by rule")
        rt.add_column("rule")
        rt.add_column("count", justify="right")
        for rule, n in rule_counts.most_common():
            rt.add_row(rule, str(n))
        console.print(rt)
    if db_path:
        console.print(f"[dim]results written to {db_path}[/dim]")
