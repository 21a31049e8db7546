"""What the screens need from the labelling app, as a protocol: the screens import this, never ``app.py``.

``app.py`` imports the screens to push them; were the screens to import ``LabelApp`` back (even only for
its type, or inside a function for its key bindings), the two would form an import cycle. The screens
see the app as a :class:`LabelContext` instead: the open database and session, the queue's filter and
reader, and the few helpers they call, nothing of how the app itself runs. ``LabelApp`` implements it
(``app.py`` checks so for mypy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from sqlite_utils import Database
from textual.app import App
from textual.binding import Binding, BindingType

from inspector import store
from inspector.labels.session import LabelSession
from inspector.store import QueueFilter, QueueRow

from .progress import Progress

_T = TypeVar("_T")

APP_BINDINGS: list[BindingType] = [
    Binding(
        "question_mark",
        "help",
        "Help",
        id="app.help",
        tooltip="Every key, on one screen",
        key_display="?",
    ),
    Binding("q", "quit", "Quit", id="app.quit", tooltip="Quit (every label is already saved)"),
    Binding(
        "R",
        "report",
        "Report",
        id="app.report",
        tooltip="The report, as `inspect report` prints it: verdicts per model, pass@k three ways "
        "and its plot, agreement with people's labels",
    ),
    Binding(
        "d",
        "toggle_theme",
        "Dark/light",
        show=False,
        id="app.theme",
        tooltip="Switch between the dark and the light theme",
    ),
]
"""The app's own keys (``LabelApp.BINDINGS``): the screens' key bars and the help screen show them too."""


class QueueSource:
    """The queue as worker threads read it: each call opens its own connection (one per thread)."""

    def __init__(self, path: str, annotator: str) -> None:
        self.path = path
        self.annotator = annotator

    def page(self, flt: QueueFilter, offset: int, limit: int) -> list[QueueRow]:
        db = store.open_reader(self.path)
        try:
            return store.queue_page(db, flt, self.annotator, offset, limit)
        finally:
            db.close()

    def count(self, flt: QueueFilter) -> int:
        db = store.open_reader(self.path)
        try:
            return store.queue_count(db, flt, self.annotator)
        finally:
            db.close()

    def position(self, flt: QueueFilter, key: tuple[int, ...]) -> int:
        db = store.open_reader(self.path)
        try:
            return store.queue_position(db, flt, self.annotator, key)
        finally:
            db.close()


class LabelContext(Protocol):
    """The labelling app as its screens use it (``LabelApp`` documents each member)."""

    filter: QueueFilter
    """The queue's filters, shared by the queue and the chain view."""
    last_key: tuple[int, ...] | None
    """The queue key of the chain last shown, so the queue comes back to it."""

    @property
    def db_path(self) -> str: ...

    @property
    def db_name(self) -> str: ...

    @property
    def annotator(self) -> str: ...

    @property
    def advance(self) -> bool: ...

    @property
    def blind(self) -> bool: ...

    @property
    def source(self) -> QueueSource: ...

    @property
    def db(self) -> Database: ...

    @property
    def session(self) -> LabelSession: ...

    def quick(self, read: Callable[[Database], _T], budget_s: float = ...) -> _T | None: ...

    def progress(self) -> Progress: ...

    def hidden(self, label: str | None) -> bool: ...

    def position_filter(self, flt: QueueFilter | None = None) -> QueueFilter: ...

    def filter_total(self, flt: QueueFilter) -> int | None: ...

    def count_later(self, flt: QueueFilter, total: int) -> None: ...


def label_context(app: App[Any]) -> LabelContext:
    """The app a screen runs in, as its labelling context (the screens run only in ``LabelApp``)."""
    return cast(LabelContext, app)
