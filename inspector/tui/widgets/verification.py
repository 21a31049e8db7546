"""The verification panel: what the engine found in the selected step, and what it concluded of the chain."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import events
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inspector.engine.latex_text import readable
from inspector.engine.model import ChainResult
from inspector.labels.review import ClaimRow, repaired_path
from inspector.labels.session import label_title
from inspector.sampling.score import step_score_lines
from inspector.store import CurrentLabels, Score

from ..palette import FIRST_ERROR_GLYPH, RATING_GLYPH, RATING_STYLE, STATUS_GLYPH, STATUS_STYLE, badge
from ..truth import view_detail
from . import set_virtual_size

RATING_NAMES = {1: "good", 0: "neutral", -1: "bad"}


class VerificationPanel(ScrollView, can_focus=False):
    """Claims, cross-line breaks, value flows and the verdict, for one step of one chain.

    A Line API widget: the text is rendered to lines here, so showing another step never asks the
    screen for a new layout (a ``Static`` in a scroll container did, at every step).
    """

    DEFAULT_CSS = """
    VerificationPanel {
        background: $panel;
        scrollbar-gutter: stable;
        overflow-x: hidden;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.readable = False
        self._renderable: RenderableType = Text("")
        self._lines: list[Strip] = []
        self._built_for = 0
        self._frame: tuple[int, Style] = (0, Style())

    def show(
        self,
        result: ChainResult,
        step: int,
        labels: CurrentLabels,
        others: list[tuple[str, str]],
        scores: Sequence[Score] = (),
        *,
        blind: bool = False,
    ) -> None:
        """``blind``: the machine's verdict is hidden (``--blind``, chain not labelled yet)."""
        dark = self.app.current_theme.dark
        rendered = _render(result, step, labels, others, dark, self.readable, scores, blind)
        self._renderable = Padding(rendered, (0, 1))
        self._build()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def show_note(self, note: str) -> None:
        """A note in place of a step's checks (the chain's are still loading)."""
        self._renderable = Padding(Text(note, style="dim italic"), (0, 1))
        self._build()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def _build(self) -> None:
        width = max(20, self.scrollable_content_region.width)
        console = self.app.console
        lines = console.render_lines(self._renderable, console.options.update_width(width), pad=True)
        self._lines = [Strip(line, width) for line in lines]
        self._built_for = width
        set_virtual_size(self, Size(width, len(self._lines)))

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width != self._built_for:
            self._build()
            self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = (self.scrollable_content_region.width, self.rich_style)  # once a frame, not a line
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width, base = self._frame
        if index >= len(self._lines):
            return Strip.blank(width, base)
        return self._lines[index].crop_extend(0, width, base).apply_style(base)


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def _math(text: str, on: bool) -> str:
    return readable(text).text if on else text


def _claims_table(rows: tuple[ClaimRow, ...], dark: bool, as_text: bool) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=1, no_wrap=True)
    table.add_column(ratio=1)
    for row in rows:
        status = row.status.value
        style = STATUS_STYLE[status][dark]
        what = Text(_math(row.text, as_text))
        if row.cross_line:
            what.append("  ↕ rewrite of the line above", style="dim")
        detail = Text()
        if status == "wrong":
            detail.append("stated ", style="dim")
            detail.append(_math(row.stated, as_text), style=style)
            detail.append("  true ", style="dim")
            detail.append(row.actual or "?", style="bold")
            if row.difference:
                detail.append("  Δ ", style="dim")
                detail.append(row.difference, style="bold")
            if row.reason:
                detail.append(f"\n{row.reason}", style="dim")
        elif status == "unverifiable":
            detail.append("could not be checked", style=style)
            if row.reason:
                detail.append(f": {row.reason}", style="dim")
        else:
            detail.append("checks out", style=style)
            if row.actual:
                detail.append(f" (= {row.actual})", style="dim")
        detail.append(f"  [{row.rule}]", style="dim")
        table.add_row(Text(STATUS_GLYPH[status], style=style), Group(what, detail))
    return table


def _render(
    result: ChainResult,
    step: int,
    labels: CurrentLabels,
    others: list[tuple[str, str]],
    dark: bool,
    as_text: bool,
    scores: Sequence[Score] = (),
    blind: bool = False,
) -> RenderableType:
    detail = view_detail(result, step)
    parts: list[RenderableType] = []
    head = Text()
    head.append(f"Step {step + 1}", style="bold")
    head.append(f" of {max(1, len(result.steps))}", style="dim")
    rating, first_error = labels.steps.get(step, (None, False))
    if rating is not None:
        head.append("   your rating: ", style="dim")
        head.append(f"{RATING_GLYPH[rating]} {RATING_NAMES[rating]}", style=RATING_STYLE[rating][dark])
    if first_error:
        head.append(f"  {FIRST_ERROR_GLYPH} first error", style=RATING_STYLE[-1][dark])
    parts.append(head)

    if detail.claims:
        parts.append(_claims_table(detail.claims, dark, as_text))
    else:
        parts.append(Text("no arithmetic claim in this step", style="dim italic"))
    for message in detail.breaks:
        parts.append(Text.assemble(("↕ cross-line break: ", "bold"), message))
    for line in detail.flows_in:
        parts.append(Text.assemble(("← ", "bold magenta"), line))
    for line in detail.flows_out:
        parts.append(Text.assemble(("→ ", "bold magenta"), line))
    for line in detail.findings:
        parts.append(Text.assemble(("• ", "dim"), line))
    for line in step_score_lines(scores, step, result.chain.cot):  # learned, beside the exact: "≈"
        parts.append(Text.assemble(("≈ ", "dim"), line))

    parts.append(Text(""))
    parts.append(_heading("Chain"))
    verdict = Text()
    if blind:
        verdict.append(" verdict hidden ", style="reverse")
        verdict.append(" blind labelling: the machine's verdict and others' labels show once you label", style="dim")
    else:
        verdict.append(f" {label_title(result.verdict.value)} ", style=badge(result.verdict.value))
        verdict.append(" " + result.explanation)
    parts.append(verdict)
    answer = Text()
    answer.append("answer ", style="dim")
    answer.append(result.final_answer.text if result.final_answer else "none found", style="bold")
    if result.final_answer is not None:
        answer.append(f" ({result.final_answer.method})", style="dim")
    answer.append("   reference ", style="dim")
    answer.append(result.chain.reference if result.chain.reference is not None else "none", style="bold")
    if result.answer_correct is True:
        answer.append("  ✓", style=STATUS_STYLE["correct"][dark])
    elif result.answer_correct is False:
        answer.append("  ✗", style=STATUS_STYLE["wrong"][dark])
    parts.append(answer)
    parts.append(Text.assemble(("repaired: ", "dim"), repaired_path(result)))

    parts.append(Text(""))
    parts.append(_heading("Your labels"))
    mine = Text()
    if labels.label is None:
        mine.append("chain not labelled yet", style="dim")
    else:
        mine.append(f"chain: {label_title(labels.label)}", style="bold")
        if labels.agrees is True:
            mine.append("  (agrees with the machine)", style="dim")
        elif labels.agrees is False:
            mine.append("  (disagrees with the machine)", style="bold yellow")
    rated = len([r for r, _ in labels.steps.values() if r is not None])
    mine.append(f"   steps rated: {rated}/{max(1, len(result.steps))}", style="dim")
    parts.append(mine)
    if labels.note:
        parts.append(Text.assemble(("note: ", "dim"), labels.note))
    if others:
        parts.append(
            Text("others: " + ", ".join(f"{who} {label_title(what)}" for who, what in others), style="dim")
        )
    return Group(*parts)
