"""Draw a :class:`~inspector.report.build.Report`: rich tables, a terminal plot, JSON, a PNG, one HTML page.

Every renderer takes the same ``Report`` and computes nothing new, so the terminal, the JSON, the
page and the TUI cannot disagree. The PNG needs matplotlib (the ``report`` extra); the HTML page
works without it (tables only, and a line saying how to get the curves).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from ..extras import INSTALL_HINT, require
from .agreement import Confusion
from .build import ALL_SETS, ANSWER_CORRECT, VERDICT_ORDER, Curve, Report, natural_order

__all__ = ["plot_png", "print_report", "rich_tables", "terminal_plot", "to_html", "to_json"]

KINDS = (("raw", "raw"), ("valid_only", "valid-only"), ("repaired", "calculator-repaired"))
_STYLES = {
    "valid": "green", "canceling_errors": "yellow", "lucky_guess": "bold red", "arithmetic_slip": "magenta",
    "wrong_reasoning": "red", "no_answer": "dim", "unreferenced": "cyan", "unchecked": "white",
    "undecided": "yellow",
}  # fmt: skip
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
_RICH_COLOURS = ("blue", "red", "green", "magenta", "yellow", "cyan", "bright_red", "bright_blue")


def _pct(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return "undefined" if x is None else f"{x:.{digits}f}"


def to_json(report: Report) -> str:
    """The report for programs: one JSON document (``Report.to_json``)."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False)


# --- rich ------------------------------------------------------------------------------------------


def rich_tables(report: Report) -> list[RenderableType]:
    """The report as rich renderables, in reading order (the TUI can mount the same ones)."""
    out: list[RenderableType] = []
    if not report.chains:
        out.append(Text("No chains in the database: run `inspect verify` or `inspect import` first."))
        return out
    out.append(_verdict_table(report))
    out.append(_correct_split_table(report))
    if report.curves:
        out.append(_passk_table(report))
        if len(_all_ks(report.curves)) > 1:
            out.append(Text(terminal_plot(report.curves)))
    if report.crossings:
        out.append(_crossings_table(report))
    ag = report.agreement
    if ag is not None:
        out.append(Text(
            f"Agreement with people — {ag.labelled_chains} labelled chain(s), resolution {ag.resolution}, "
            f"{ag.chain_labelled} with a chain label, {ag.unsure} unsure, {ag.conflicts} with disagreeing annotators"
            + (f"; {ag.blind_labels} of {ag.chain_labels} chain labels given blind" if ag.blind_labels else ""),
            style="bold",
        ))  # fmt: skip
        if ag.verdicts is not None:
            out.append(_confusion_table(ag.verdicts, "Machine verdict (columns) vs people's label (rows)"))
            out.append(_scores_table(ag.verdicts))
        if ag.coarse is not None:
            out.append(_confusion_table(ag.coarse, "The paper's question: sound / right answer, unsound / wrong answer"))
        if ag.first_error is not None:
            out.append(_first_error_table(report))
        if ag.raters:
            out.append(_raters_table(report))
    for note in report.notes:
        out.append(Text(note, style="dim"))
    return out


def print_report(report: Report, console: Console | None = None) -> None:
    # piped to a file or a pager, tables keep a readable width instead of rich's 80 columns
    console = console or Console(width=None if sys.stdout.isatty() else 160)
    for part in rich_tables(report):
        console.print(part)


def _verdict_table(report: Report) -> Table:
    t = Table(title=f"Verdicts ({report.chains} chains)")
    t.add_column("model")
    t.add_column("problem set")
    t.add_column("chains", justify="right")
    t.add_column("problems", justify="right")
    for v in VERDICT_ORDER:
        t.add_column(Text(v, style=_STYLES.get(v, "")), justify="right")
    for b in report.breakdowns:
        t.add_row(
            b.model, b.problem_set, str(b.chains), str(b.problems),
            *[f"{b.count(v)} ({_pct(b.rate(v), 0)})" for v in VERDICT_ORDER],
            style="bold" if b.problem_set == ALL_SETS else None,
        )  # fmt: skip
    return t


def _correct_split_table(report: Report) -> Table:
    t = Table(title="Correct final answers: how they were reached")
    for name in ("model", "problem set", "answer correct", "valid", "cancelling errors", "lucky guess", "unchecked"):
        t.add_column(name, justify="left" if name in ("model", "problem set") else "right")
    for b in report.breakdowns:
        t.add_row(
            b.model, b.problem_set, f"{b.answer_correct} ({_pct(b.answer_correct / b.chains if b.chains else None)})",
            *[f"{b.count(v)} ({_pct(b.share_of_correct(v))})" for v in ANSWER_CORRECT],
        )  # fmt: skip
    return t


def _all_ks(curves: Iterable[Curve]) -> list[int]:
    return sorted({k for c in curves for k in c.ks})


def _passk_table(report: Report) -> Table:
    ks = _all_ks(report.curves)
    t = Table(title="pass@k (unbiased estimator): raw / valid-only / calculator-repaired")
    t.add_column("model")
    t.add_column("problem set")
    t.add_column("problems × samples", justify="right")
    t.add_column("kind")
    for k in ks:
        t.add_column(f"k={k}", justify="right")
    t.add_column("pass@1 not valid", justify="right")
    t.add_column("right, unchecked", justify="right")
    for c in report.curves:
        samples = str(c.samples_min) if c.samples_min == c.samples_max else f"{c.samples_min}–{c.samples_max}"
        for i, (attr, name) in enumerate(KINDS):
            values = dict(zip(c.ks, getattr(c, attr), strict=True))
            t.add_row(
                c.model if i == 0 else "", c.problem_set if i == 0 else "",
                f"{c.problems} × {samples}" if i == 0 else "", name,
                *[_pct(values.get(k)) if k in values else "" for k in ks],
                _pct(c.not_valid_share) if i == 0 else "",
                _pct(c.unchecked_share) if i == 0 else "",
                end_section=i == len(KINDS) - 1,
            )  # fmt: skip
    return t


def _crossings_table(report: Report) -> Table:
    t = Table(title="Where two models' pass@k curves cross (on the problems they share)")
    for name in ("problem set", "model A", "model B", "shared problems", "raw: crosses at k", "valid-only: crosses at k"):
        t.add_column(name)
    for x in report.crossings:
        t.add_row(
            x.problem_set, x.model_a, x.model_b, str(x.shared_problems),
            "never" if x.raw_crosses_at is None else str(x.raw_crosses_at),
            "never" if x.valid_crosses_at is None else str(x.valid_crosses_at),
        )  # fmt: skip
    return t


def _confusion_table(conf: Confusion, title: str) -> Table:
    t = Table(title=f"{title} — {conf.total} chains, agreement {_pct(conf.accuracy)}")
    t.add_column("people \\ machine")
    for label in conf.labels:
        t.add_column(Text(label, style=_STYLES.get(label, "")), justify="right")
    for i, (label, row) in enumerate(zip(conf.labels, conf.matrix, strict=True)):
        cells = [Text(str(n), style="bold green" if i == j else "") for j, n in enumerate(row)]
        t.add_row(Text(label, style=_STYLES.get(label, "")), *cells)
    return t


def _scores_table(conf: Confusion) -> Table:
    t = Table(title="Per verdict: precision (of the machine's calls) and recall (of people's)")
    for name in ("verdict", "people", "machine", "both", "precision", "recall"):
        t.add_column(name, justify="left" if name == "verdict" else "right")
    for s in conf.scores:
        t.add_row(Text(s.label, style=_STYLES.get(s.label, "")), str(s.reference), str(s.predicted), str(s.both),
                  _pct(s.precision), _pct(s.recall))  # fmt: skip
    return t


def _first_error_table(report: Report) -> Table:
    assert report.agreement is not None and report.agreement.first_error is not None
    fe = report.agreement.first_error
    t = Table(title=f"First error step: machine (arithmetic only) vs people — {fe.chains} chains")
    t.add_column("outcome")
    t.add_column("chains", justify="right")
    rows = [
        ("same step", fe.same - fe.both_none), ("both: no error", fe.both_none),
        ("machine earlier", fe.machine_earlier), ("machine later", fe.machine_later),
        ("people found an error, machine none", fe.human_only), ("machine found an error, people none", fe.machine_only),
        ("people's first error unknown (partly rated)", fe.unknown),
    ]  # fmt: skip
    for name, n in rows:
        t.add_row(name, str(n))
    t.add_row("ProcessBench accuracy on erroneous chains", _pct(fe.error_accuracy), end_section=False)
    t.add_row("ProcessBench accuracy on correct chains", _pct(fe.correct_accuracy))
    t.add_row("ProcessBench F1", _pct(fe.f1))
    return t


def _raters_table(report: Report) -> Table:
    assert report.agreement is not None
    t = Table(title="Agreement between annotators")
    for name in ("what", "annotators", "units rated by ≥ 2", "all agree", "statistic", "value"):
        t.add_column(name)
    for r in report.agreement.raters:
        t.add_row(r.what, ", ".join(r.annotators), str(r.units), str(r.all_agree), r.statistic.replace("_", " "),
                  _num(r.value))  # fmt: skip
    return t


# --- terminal plot ---------------------------------------------------------------------------------


def terminal_plot(curves: Sequence[Curve], width: int = 64, height: int = 16) -> str:
    """pass@k against log₂ k in characters: per model a letter, UPPER raw, lower valid-only.

    Only curves over real problem sets are drawn (a model's ``(all)`` curve would repeat them).
    """
    shown = [c for c in curves if c.problem_set != ALL_SETS] or list(curves)
    if not shown:
        return ""
    ks = _all_ks(shown)
    bottom = _y_floor(shown)
    lo, hi = math.log2(ks[0]), math.log2(ks[-1])
    span = (hi - lo) or 1.0
    grid = [[" "] * width for _ in range(height)]
    legend = []
    for i, c in enumerate(shown):
        letter = chr(ord("A") + i % 26)
        legend.append(f"{letter}/{letter.lower()} {c.model} · {c.problem_set}")
        for attr, mark in (("valid_only", letter.lower()), ("raw", letter)):
            values = getattr(c, attr)
            xs = [(math.log2(k) - lo) / span * (width - 1) for k in c.ks]
            for col in range(width):
                if len(xs) == 1:
                    if col != round(xs[0]):
                        continue
                    y = values[0]
                else:
                    if col < xs[0] - 1e-9 or col > xs[-1] + 1e-9:
                        continue
                    j = max(0, min(len(xs) - 2, next((j for j in range(len(xs) - 1) if xs[j + 1] >= col), len(xs) - 2)))
                    t = (col - xs[j]) / ((xs[j + 1] - xs[j]) or 1.0)
                    y = values[j] + t * (values[j + 1] - values[j])
                scaled = (max(bottom, min(1.0, y)) - bottom) / (1.0 - bottom)
                row = height - 1 - round(scaled * (height - 1))
                grid[row][col] = mark
    lines = []
    for r, cells in enumerate(grid):
        y = 1 - (1 - bottom) * r / (height - 1)
        label = f"{100 * y:5.0f}% ┤" if r % 3 == 0 or r == height - 1 else "       │"
        lines.append(label + "".join(cells))
    axis = [" "] * width
    for k in ks:
        col = round((math.log2(k) - lo) / span * (width - 1))
        text = str(k)
        start = min(max(0, col - len(text) // 2), width - len(text))
        if all(ch == " " for ch in axis[max(0, start - 1) : start + len(text) + 1]):
            axis[start : start + len(text)] = list(text)
    lines.append("       └" + "─" * width)
    lines.append("        " + "".join(axis) + "  k")
    lines.append("pass@k — UPPER: raw, lower: valid-only; " + "; ".join(legend))
    return "\n".join(lines)


# --- PNG -------------------------------------------------------------------------------------------


def _y_floor(curves: Sequence[Curve]) -> float:
    """The bottom of the y axis: 0, unless every value is high (then zoom, in steps of 5 points)."""
    low = min((v for c in curves for attr, _ in KINDS for v in getattr(c, attr)), default=0.0)
    return max(0.0, math.floor((low - 0.02) * 20) / 20) if low > 0.5 else 0.0


def plot_png(report: Report, dpi: int = 120) -> bytes:
    """pass@k as a PNG, a panel per problem set.

    Curves where there are several k: a colour per model, a line style per kind (raw solid, valid-only
    dashed, calculator-repaired dotted), the legend split into models and kinds so it stays short.
    Where every model has one sample per problem (ProcessBench, say) there is no curve to draw, and
    the panel is pass@1 as bars instead: a row per model, a bar per kind.
    """
    require("matplotlib", "the pass@k plot (PNG)")
    # the object API: a Figure of our own drawn by the Agg canvas. No pyplot, so no global backend switch
    # and no figure left registered in the program that imported us (a notebook keeps its inline plots)
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    curves = [c for c in report.curves if c.problem_set != ALL_SETS] or list(report.curves)
    sets = sorted({c.problem_set for c in curves}) or ["(none)"]
    models = sorted({c.model for c in curves}, key=natural_order)
    palette = _PALETTE if len(models) <= len(_PALETTE) else [colormaps["tab20"](i) for i in range(20)]
    colour = {m: palette[i % len(palette)] for i, m in enumerate(models)}
    cols = min(len(sets), 3)
    rows = math.ceil(len(sets) / cols)
    tallest = max(len({c.model for c in curves if c.problem_set == s}) for s in sets)
    height = max(4.0, 0.5 * tallest + 1.5)
    fig = Figure(figsize=(7.8 * cols, height * rows))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    styles: dict[str, tuple[Any, str, float]] = {
        "raw": ("-", "o", 1.8), "valid_only": ("--", "s", 1.4), "repaired": (":", "^", 1.4),
    }  # fmt: skip
    shades = {"raw": "#1f4e79", "valid_only": "#2e9e44", "repaired": "#b0b7c3"}
    for ax, pset in zip(axes.flat, sets, strict=False):
        here = sorted((c for c in curves if c.problem_set == pset), key=lambda c: natural_order(c.model))
        ks = _all_ks(here)
        ax.set_title(pset)
        ax.grid(True, alpha=0.3)
        if len(ks) == 1:  # pass@1 only: bars
            step = 0.26
            for j, (attr, name) in enumerate(KINDS):
                ys = [i + (j - 1) * step for i in range(len(here))]
                ax.barh(ys, [getattr(c, attr)[0] for c in here], height=step, color=shades[attr], label=name)
            ax.set_yticks(range(len(here)))
            ax.set_yticklabels([f"{c.model} ({c.problems})" for c in here], fontsize=8)
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.set_xlabel(f"pass@{ks[0]}")
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
            continue
        for c in here:
            for attr, _ in KINDS:
                line, marker, width = styles[attr]
                ax.plot(c.ks, getattr(c, attr), linestyle=line, marker=marker, markersize=3.5, linewidth=width,
                        color=colour[c.model])  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_xticks(ks)
        ax.set_xticklabels([str(k) for k in ks])
        ax.set_ylim(_y_floor(here), 1.005)
        ax.set_xlabel("k (samples)")
        ax.set_ylabel("pass@k")
        handles = [Line2D([], [], color=colour[c.model], linewidth=2, label=c.model) for c in here]
        handles += [Line2D([], [], color="#555", linestyle=styles[a][0], marker=styles[a][1], label=name)
                    for a, name in KINDS]  # fmt: skip
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for ax in list(axes.flat)[len(sets) :]:
        ax.set_visible(False)
    fig.suptitle("pass@k three ways: raw · valid-only · calculator-repaired", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# --- HTML ------------------------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
th,td{border:1px solid #ddd;padding:.3em .6em;text-align:right}th{background:#f4f4f6;text-align:left}
td:first-child,th:first-child,td.l{text-align:left}tr.all td{font-weight:bold}
td.diag{background:#e6f4ea;font-weight:bold}p.note{color:#666;font-size:.9em}
img{max-width:100%;border:1px solid #eee}.v-valid{color:#1a7f37}.v-canceling_errors{color:#9a6700}
.v-lucky_guess{color:#cf222e;font-weight:bold}.v-arithmetic_slip{color:#8250df}.v-wrong_reasoning{color:#cf222e}
"""


def _e(x: object) -> str:
    return html.escape(str(x))


def _td(cell: str) -> str:
    numeric = bool(cell) and (cell[0].isdigit() or cell[0] in "-–")
    return f"<td>{_e(cell)}</td>" if numeric else f"<td class='l'>{_e(cell)}</td>"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], raw_cells: bool = False) -> str:
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(c if raw_cells else _td(c) for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def to_html(report: Report, png: bytes | None = None, title: str = "cot-inspector report") -> str:
    """One self-contained page (CSS inline, the PNG as a data URI) to send to people without a terminal."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>",
             f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>",
             (f"<p>{report.chains} chains from <code>{_e(report.database or 'the database')}</code>; "
              f"human labels resolved by <code>{_e(report.resolution)}</code>.</p>")]  # fmt: skip
    if not report.chains:
        parts.append("<p>No chains in the database.</p></body></html>")
        return "".join(parts)
    parts.append("<h2>Verdicts</h2>")
    parts.append(_table(
        ["model", "problem set", "chains", "problems", *VERDICT_ORDER],
        ([b.model, b.problem_set, str(b.chains), str(b.problems),
          *[f"{b.count(v)} ({_pct(b.rate(v), 0)})" for v in VERDICT_ORDER]] for b in report.breakdowns),
    ))  # fmt: skip
    parts.append("<h2>Correct final answers: how they were reached</h2>")
    parts.append(_table(
        ["model", "problem set", "answer correct", "valid", "cancelling errors", "lucky guess", "unchecked"],
        ([b.model, b.problem_set, str(b.answer_correct),
          *[f"{b.count(v)} ({_pct(b.share_of_correct(v))})" for v in ANSWER_CORRECT]] for b in report.breakdowns),
    ))  # fmt: skip
    if report.curves:
        parts.append("<h2>pass@k</h2>")
        if png is not None:
            data = base64.b64encode(png).decode()
            parts.append(f"<img alt='pass@k curves' src='data:image/png;base64,{data}'>")
        else:
            parts.append(f"<p class='note'>Curves need matplotlib: <code>{_e(INSTALL_HINT)}</code>.</p>")
        ks = _all_ks(report.curves)
        rows = []
        for c in report.curves:
            for attr, name in KINDS:
                values = dict(zip(c.ks, getattr(c, attr), strict=True))
                rows.append([c.model, c.problem_set, str(c.problems), name,
                             *[_pct(values.get(k)) if k in values else "" for k in ks],
                             _pct(c.not_valid_share) if attr == "raw" else "",
                             _pct(c.unchecked_share) if attr == "raw" else ""])  # fmt: skip
        parts.append(_table(["model", "problem set", "problems", "kind", *[f"k={k}" for k in ks],
                             "pass@1 not valid", "right, unchecked"], rows))  # fmt: skip
    if report.crossings:
        parts.append("<h2>Where curves cross</h2>")
        parts.append(_table(
            ["problem set", "model A", "model B", "shared problems", "raw: crosses at k", "valid-only: crosses at k"],
            ([x.problem_set, x.model_a, x.model_b, str(x.shared_problems),
              "never" if x.raw_crosses_at is None else str(x.raw_crosses_at),
              "never" if x.valid_crosses_at is None else str(x.valid_crosses_at)] for x in report.crossings),
        ))  # fmt: skip
    ag = report.agreement
    if ag is not None:
        parts.append("<h2>Agreement with people</h2>")
        parts.append(f"<p>{ag.labelled_chains} labelled chains; {ag.chain_labelled} with a chain label, "
                     f"{ag.unsure} unsure, {ag.conflicts} with disagreeing annotators"
                     + (f"; {ag.blind_labels} of {ag.chain_labels} chain labels given blind" if ag.blind_labels else "")
                     + ".</p>")  # fmt: skip
        for conf, caption in ((ag.verdicts, "Machine verdict (columns) vs people's label (rows)"),
                              (ag.coarse, "Sound / right answer, unsound / wrong answer")):  # fmt: skip
            if conf is None:
                continue
            parts.append(f"<p><b>{_e(caption)}</b> — {conf.total} chains, agreement {_pct(conf.accuracy)}</p>")
            rows_html = []
            for i, (label, row) in enumerate(zip(conf.labels, conf.matrix, strict=True)):
                cells = [f"<td class='l v-{_e(label)}'>{_e(label)}</td>"]
                cells += [f"<td class='diag'>{n}</td>" if i == j else f"<td>{n}</td>" for j, n in enumerate(row)]
                rows_html.append(cells)
            parts.append(_table(["people \\ machine", *conf.labels], rows_html, raw_cells=True))
            if conf is ag.verdicts:
                parts.append(_table(
                    ["verdict", "people", "machine", "both", "precision", "recall"],
                    ([s.label, str(s.reference), str(s.predicted), str(s.both), _pct(s.precision), _pct(s.recall)]
                     for s in conf.scores),
                ))  # fmt: skip
        fe = ag.first_error
        if fe is not None:
            parts.append("<p><b>First error step: machine (arithmetic only) vs people</b></p>")
            parts.append(_table(["outcome", "chains"], [
                ["same step", str(fe.same - fe.both_none)], ["both: no error", str(fe.both_none)],
                ["machine earlier", str(fe.machine_earlier)], ["machine later", str(fe.machine_later)],
                ["people found an error, machine none", str(fe.human_only)],
                ["machine found an error, people none", str(fe.machine_only)],
                ["people's first error unknown", str(fe.unknown)],
                ["ProcessBench accuracy, erroneous chains", _pct(fe.error_accuracy)],
                ["ProcessBench accuracy, correct chains", _pct(fe.correct_accuracy)],
                ["ProcessBench F1", _pct(fe.f1)],
            ]))  # fmt: skip
        if ag.raters:
            parts.append("<p><b>Agreement between annotators</b></p>")
            parts.append(_table(
                ["what", "annotators", "units rated by ≥ 2", "all agree", "statistic", "value"],
                ([r.what, ", ".join(r.annotators), str(r.units), str(r.all_agree), r.statistic.replace("_", " "),
                  _num(r.value)] for r in ag.raters),
            ))  # fmt: skip
    for note in report.notes:
        parts.append(f"<p class='note'>{_e(note)}</p>")
    parts.append("</body></html>")
    return "".join(parts)
