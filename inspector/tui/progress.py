"""An annotator's progress: labelled of total, what is left, the pace this session and when it ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.cells import cell_len

MIN_ELAPSED_S = 60.0
"""The rate is never taken over less than a minute: the first label, seconds in, is not 1,000 an hour."""


@dataclass(frozen=True)
class Progress:
    """Where one annotator stands on one database."""

    labelled: int
    """Chains the annotator has a current label on."""
    total: int
    """Chains in the database."""
    rate: float | None
    """Chains labelled per hour this session; None before the session's first label."""

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.labelled)

    @property
    def eta_s(self) -> float | None:
        """Seconds until every chain is labelled at this session's pace; None with no pace yet."""
        if self.rate is None or self.rate <= 0:
            return None
        return self.remaining / self.rate * 3600

    def line(self, compact: bool = False) -> str:
        """``labelled 39/56 · 17 left · 120/h · ETA 9m``; ``compact`` (the chain view at 80 columns):
        ``39/56 · 17 left · 120/h · ETA 9m``, with thousands as ``k``."""
        return self.forms(compact)[0]

    def fit(self, width: int, compact: bool = False) -> str:
        """The first of :meth:`forms` that fits ``width`` cells: shorter numbers first, then the parts that
        matter least (the ETA, the pace, what is left) left out whole, never cut in a word; ``""`` when not
        even ``39/56`` fits."""
        return next((form for form in self.forms(compact) if cell_len(form) <= width), "")

    def forms(self, compact: bool = False) -> list[str]:
        """Every way of saying it, longest first: ``labelled 12,345/200,000 · 187,655 left · 1,234/h · ETA 6d``,
        without ``labelled``, with thousands as ``k`` (where ``compact`` starts), then without the ETA, the
        pace, what is left."""
        rate = "—/h" if self.rate is None else f"{self.rate:,.0f}/h"
        eta = "ETA " + ("—" if self.eta_s is None else duration(self.eta_s))
        full = [f"{self.labelled:,}/{self.total:,}", f"{self.remaining:,} left", rate, eta]
        short = [f"{_short(self.labelled)}/{_short(self.total)}", f"{_short(self.remaining)} left", rate, eta]
        out = [] if compact else ["labelled " + " · ".join(full), " · ".join(full)]
        out.extend(" · ".join(short[:n]) for n in range(len(short), 0, -1))
        return list(dict.fromkeys(out))  # small numbers: the same text twice, once

@dataclass
class Pace:
    """Chains labelled this session, against the clock: the rate a :class:`Progress` shows.

    Counted as the change of the annotator's labelled count since the session began (an undone label
    counts no more; a relabel counts nothing), rather than label writes, so the ETA is about chains left.
    """

    labelled_at_start: int
    clock: Callable[[], float] = time.monotonic
    """A test seam: the tests move time on instead of waiting for it."""
    started: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()

    def progress(self, labelled: int, total: int) -> Progress:
        done = labelled - self.labelled_at_start
        if done <= 0:
            return Progress(labelled, total, None)
        hours = max(self.clock() - self.started, MIN_ELAPSED_S) / 3600
        return Progress(labelled, total, done / hours)


def duration(seconds: float) -> str:
    """``45s``, ``9m``, ``3h20m``, ``12d``: two figures at most, as an ETA needs."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h}h{m:02d}m" if h < 10 else f"{h}h"
    return f"{s // 86400}d"


def _short(n: int) -> str:
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.0f}k"
    return f"{n / 1_000_000:.1f}M"
