"""The labelling app and its factory, ``make_app``, which the CLI and the tests both call."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from sqlite_utils import Database
from textual.actions import ActionParseResult
from textual.app import App
from textual.binding import BindingType
from textual.dom import DOMNode

from inspector import store
from inspector.errors import StoreError
from inspector.labels.session import LabelSession
from inspector.store import QueueFilter

from .context import APP_BINDINGS, LabelContext, QueueSource
from .messages import LabelsChanged, VerifyFinished
from .progress import Pace, Progress
from .screens.queue import QueueScreen
from .screens.verify import VerifyScreen
from .widgets import flush_refreshes

_T = TypeVar("_T")

QUICK_S = 0.006
"""How long a read on the main thread may take before it is left to a worker (see ``LabelApp.quick``)."""


class LabelApp(App[int]):
    """Read each chain beside its re-verification and record labels; every label is committed at once."""

    TITLE = "cot-inspector"
    SUB_TITLE = "label"

    CSS = """
    Screen { background: $surface; }
    .bar { height: 1; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    .status { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    .status.-error { color: $text-error; text-style: bold; }
    .status.-saved { color: $text-success; }
    """

    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        annotator: str,
        *,
        inputs: Sequence[str] = (),
        rules_path: str | None = None,
        advance: bool = True,
        theme: str = "dark",
        blind: bool = False,
        disagreements: bool = False,
    ) -> None:
        super().__init__()
        self.db_path = os.fspath(db_path)
        """The database labels go into (and, with ``inputs``, verified chains first)."""
        self.annotator = annotator
        self.inputs = tuple(inputs)
        """JSONL files to verify into the database before labelling starts."""
        self.rules_path = rules_path
        self.advance = advance
        """Move to the next unlabelled chain once a chain label is saved."""
        self.theme = "textual-light" if theme == "light" else "textual-dark"
        self.blind = blind
        """``--blind``: hide the machine's verdict and others' labels of a chain until you have labelled it."""
        self.filter = QueueFilter(disagreements=disagreements)
        """The queue's filters, shared by the queue and the chain view."""
        self.last_key: tuple[int, ...] | None = None
        """The queue key of the chain last shown, so the queue comes back to it."""
        self._db: Database | None = None
        self._session: LabelSession | None = None
        self.source = QueueSource(self.db_path, annotator)
        self.error: str | None = None
        """Why the app stopped early (shown by the CLI, which then exits 2)."""
        self.pace: Pace | None = None
        """This session's labelling pace (set when the database opens)."""
        self._chains: int | None = None
        self._totals: dict[QueueFilter, int] = {}

    @property
    def db(self) -> Database:
        assert self._db is not None, "the database is not open yet"
        return self._db

    @property
    def session(self) -> LabelSession:
        assert self._session is not None, "the database is not open yet"
        return self._session

    @property
    def db_name(self) -> str:
        return Path(self.db_path).name

    def on_mount(self) -> None:
        if self.inputs:
            self.push_screen(VerifyScreen(self.inputs, self.db_path, self.rules_path))
        else:
            self.open_database()

    def open_database(self) -> None:
        try:
            self._db = store.open_db(self.db_path)
        except StoreError as exc:
            self.fail(str(exc))
            return
        self._session = LabelSession(self._db, self.annotator, blind=self.blind)
        self.pace = Pace(store.labelled_count(self._db, self.annotator))
        self.push_screen(QueueScreen())

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every key's action, then its repaints sent at once: the key's changes land in one frame."""
        handled = await super().run_action(action, default_namespace, namespaces)
        if self._db is not None:
            flush_refreshes(self.screen)
        return handled

    def quick(self, read: Callable[[Database], _T], budget_s: float = QUICK_S) -> _T | None:
        """``read(db)`` at once, if it takes under ``budget_s``; ``None`` (interrupted) if it would not.

        A cheap read done here lands in the key's own frame; one in a worker lands a frame (16 ms or
        more) later. The caller falls back to a worker when this returns ``None``.
        """
        conn = self.db.conn
        deadline = time.perf_counter() + budget_s
        conn.set_progress_handler(lambda: int(time.perf_counter() > deadline), 2000)
        try:
            return read(self.db)
        except sqlite3.OperationalError as exc:
            if "interrupt" in str(exc):
                return None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def progress(self) -> Progress:
        """The annotator's progress now: labelled of every chain, what is left, this session's pace.

        The chain count is read once (a count of 200,000 rows costs a few ms; chains are not added while
        labelling); the labelled count is one probe of a partial index, read on every call.
        """
        if self._chains is None:
            self._chains = store.chain_count(self.db)
        labelled = store.labelled_count(self.db, self.annotator)
        if self.pace is None:
            self.pace = Pace(labelled)
        return self.pace.progress(labelled, self._chains)

    def hidden(self, label: str | None) -> bool:
        """Whether a chain the annotator has labelled ``label`` (None: not yet) hides its verdict and others' labels."""
        return self.blind and label is None

    def position_filter(self, flt: QueueFilter | None = None) -> QueueFilter:
        """The queue a chain's position is counted in: the current filter, except that "unlabelled"
        counts the labelled chains too, so the position moves on as you label (in the unlabelled queue
        itself the chain you label next is always the first)."""
        flt = self.filter if flt is None else flt
        return flt._replace(labelled=None) if flt.labelled is False else flt

    def filter_total(self, flt: QueueFilter) -> int | None:
        """How many chains the queue ``flt`` holds (cached per filter; None while too slow to count now)."""
        if flt in self._totals:
            return self._totals[flt]
        total = self.quick(lambda db: store.queue_count(db, flt, self.annotator))
        if total is not None:
            self._totals[flt] = total
        return total

    def count_later(self, flt: QueueFilter, total: int) -> None:
        """A worker's count of ``flt``, kept for :meth:`filter_total`."""
        self._totals[flt] = total

    def on_verify_finished(self, message: VerifyFinished) -> None:
        if message.error is not None:
            self.error = message.error  # the verify screen shows it; quitting then exits 2
            return
        self.pop_screen()
        self.open_database()

    def fail(self, message: str) -> None:
        """Stop with an error the CLI prints (exit code 2)."""
        self.error = message
        self.exit(return_code=2)

    async def action_quit(self) -> None:
        self.exit(return_code=2 if self.error else 0)

    def on_labels_changed(self, message: LabelsChanged) -> None:
        # A count of labelled chains changes with every label; the others stay as they are.
        self._totals = {f: n for f, n in self._totals.items() if f.labelled is None}
        for screen in self.screen_stack:
            if isinstance(screen, QueueScreen):
                screen.labels_changed()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_report(self) -> None:
        from .screens.chain import ChainScreen
        from .screens.report import ReportScreen

        # From the queue and the chain view only: not over the help, a note, or before the database opens.
        if self._db is not None and isinstance(self.screen, (QueueScreen, ChainScreen)):
            self.push_screen(ReportScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def on_unmount(self) -> None:
        if self._db is not None:
            self._db.close()


def make_app(
    db_path: str | os.PathLike[str],
    annotator: str,
    *,
    inputs: Sequence[str] = (),
    rules_path: str | None = None,
    advance: bool = True,
    theme: str = "dark",
    blind: bool = False,
    disagreements: bool = False,
) -> LabelApp:
    """The labelling app for ``db_path``, as ``inspect label`` runs it.

    With ``inputs`` (JSONL files), they are verified into ``db_path`` first, in a worker, with a
    progress bar. ``advance`` moves to the next unlabelled chain once a chain label is saved. ``blind``
    hides the machine's verdict and other annotators' labels of a chain until the annotator has labelled
    it; ``disagreements`` opens the queue on the chains whose annotators disagree (an adjudicator's queue).
    """
    return LabelApp(
        db_path, annotator, inputs=inputs, rules_path=rules_path, advance=advance, theme=theme, blind=blind,
        disagreements=disagreements,
    )


if TYPE_CHECKING:
    # The screens see the app only as a LabelContext (tui/context.py): mypy checks here that it is one.
    _AS_CONTEXT: type[LabelContext] = LabelApp
