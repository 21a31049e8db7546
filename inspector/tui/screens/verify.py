"""Verifying a JSONL file into the database before labelling: a worker, with a progress bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from inspector.errors import InspectorError
from inspector.labels.session import count_records, verify_into

from ..context import APP_BINDINGS
from ..messages import VerifyFinished, VerifyProgress
from ..widgets.key_bar import KeyBar, app_keys


class VerifyScreen(Screen[None]):
    """Shows how far the verification of the inputs has got; the screen never freezes meanwhile."""

    DEFAULT_CSS = """
    VerifyScreen #verify-box { width: 72; height: auto; padding: 1 2; background: $panel; }
    VerifyScreen #verify-title { text-style: bold; }
    VerifyScreen ProgressBar { margin: 1 0; }
    VerifyScreen #verify-error { color: $text-error; text-style: bold; }
    """

    def __init__(self, inputs: tuple[str, ...], db_path: str, rules_path: str | None) -> None:
        super().__init__()
        self.inputs = inputs
        self.db_path = db_path
        self.rules_path = rules_path
        self.total: int | None = None

    def compose(self) -> ComposeResult:
        with Middle(), Center(id="verify-box"):
            yield Static(f"Verifying {', '.join(self.inputs)} into {self.db_path}", id="verify-title")
            yield ProgressBar(id="verify-bar", show_eta=False)
            yield Static("", id="verify-count")
            yield Static("", id="verify-error")
        yield KeyBar(app_keys(APP_BINDINGS, "quit"))

    def on_mount(self) -> None:
        self.run_worker(self._verify, thread=True, group="verify", exclusive=True)

    def _verify(self) -> None:
        from inspector.engine import rules as rules_mod

        self.total = count_records(self.inputs)

        def progress(done: int) -> None:
            self.post_message(VerifyProgress(done, self.total))

        try:
            rules = rules_mod.load_rules(self.rules_path) if self.rules_path else rules_mod.default_rules()
            written = verify_into(
                self.db_path,
                self.inputs,
                rules=rules,
                on_progress=progress,
            )
        except InspectorError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.post_message(VerifyFinished(written))

    def on_verify_progress(self, message: VerifyProgress) -> None:
        bar = self.query_one(ProgressBar)
        total = message.total if message.total is not None and message.total >= message.done else None
        bar.update(total=total, progress=message.done)
        of = f" of {message.total:,}" if total is not None else ""
        self.query_one("#verify-count", Static).update(f"{message.done:,}{of} chains verified")

    def _failed(self, error: str) -> None:
        self.query_one("#verify-error", Static).update(f"Cannot label: {error}\nPress q to quit.")
        self.post_message(VerifyFinished(0, error))
