"""The store: one package over sqlite-utils (>=4) with migrations; nothing else in the package writes SQL.

Callers see only this package (``store.open_db``, ``store.write_results``, ``store.set_chain_label``):
every name they use is re-exported here, so which module holds it is the store's business. The
modules are split by whom they serve, each small enough to read whole; the promise above is kept by
the package, not by one file:

- :mod:`.schema`: the schema history, as migrations (the one place a table or index is defined);
- :mod:`.connection`: opening a database (pragmas, migrating) and the transaction every write takes;
- :mod:`.results`: runs, and the machine's results that ``inspect verify`` and imports write and read back;
- :mod:`.reports`: whole-database streams for ``inspect report`` and ``inspect export``;
- :mod:`.labels`: the human label tables, as annotators write them (undoable) and as imports add them;
- :mod:`.queue`: what the labelling tool's queue, search and counts read;
- :mod:`.samples`: what ``inspect sample`` and ``inspect score`` write.
"""

from __future__ import annotations

from inspector.errors import StoreError

from .connection import BUSY_TIMEOUT_MS, open_db, open_reader, read_snapshot
from .labels import (
    LABEL_TABLES,
    NO_MACHINE,
    CurrentLabels,
    LabelChange,
    LabelCounts,
    StepMachine,
    add_labels,
    current_labels,
    label_history,
    mark_first_error,
    other_labels,
    rate_step,
    set_chain_label,
    set_note,
    undo_changes,
)
from .queue import (
    FTS_MIN,
    QUEUE_ORDERS,
    QueueFilter,
    QueueRow,
    chain_count,
    chain_run,
    labelled_count,
    queue_count,
    queue_models,
    queue_next,
    queue_page,
    queue_position,
    queue_row,
    queue_rows_between,
)
from .reports import (
    ReportRow,
    iter_labelled_chain_ids,
    iter_report_rows,
    iter_results_with_labels,
    iter_selected_chain_ids,
    labels_for,
    report_state,
)
from .results import (
    ChainHead,
    ChainRows,
    OnConflict,
    finish_run,
    iter_chain_ids,
    iter_chain_inputs,
    load_head,
    load_result,
    result_rows,
    start_run,
    write_results,
    write_rows,
)
from .samples import (
    SampleInfo,
    SampleRow,
    Score,
    ScoreRow,
    finish_sampling_run,
    sample_for_chain,
    sampled_indices,
    scored_chain_ids,
    scores_for_chain,
    start_sampling_run,
    write_samples,
    write_scores,
)
from .schema import MIGRATIONS

__all__ = [
    "BUSY_TIMEOUT_MS",
    "FTS_MIN",
    "LABEL_TABLES",
    "MIGRATIONS",
    "NO_MACHINE",
    "QUEUE_ORDERS",
    "ChainHead",
    "ChainRows",
    "CurrentLabels",
    "LabelChange",
    "LabelCounts",
    "OnConflict",
    "QueueFilter",
    "QueueRow",
    "ReportRow",
    "SampleInfo",
    "SampleRow",
    "Score",
    "ScoreRow",
    "StepMachine",
    "StoreError",
    "add_labels",
    "chain_count",
    "chain_run",
    "current_labels",
    "finish_run",
    "finish_sampling_run",
    "iter_chain_ids",
    "iter_chain_inputs",
    "iter_labelled_chain_ids",
    "iter_report_rows",
    "iter_results_with_labels",
    "iter_selected_chain_ids",
    "label_history",
    "labelled_count",
    "labels_for",
    "load_head",
    "load_result",
    "mark_first_error",
    "open_db",
    "open_reader",
    "read_snapshot",
    "other_labels",
    "queue_count",
    "queue_models",
    "queue_next",
    "queue_page",
    "queue_position",
    "queue_row",
    "queue_rows_between",
    "rate_step",
    "report_state",
    "result_rows",
    "sample_for_chain",
    "sampled_indices",
    "scored_chain_ids",
    "scores_for_chain",
    "set_chain_label",
    "set_note",
    "start_run",
    "start_sampling_run",
    "undo_changes",
    "write_results",
    "write_rows",
    "write_samples",
    "write_scores",
]
