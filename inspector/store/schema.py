"""The schema history: every table and index of the store, as numbered migrations applied in order.

This is the one place the schema is defined. A database records which migrations it has had, so
:func:`~inspector.store.connection.open_db` applies only the ones it lacks, and refuses a database
migrated by a newer version (a name not in ``_KNOWN_MIGRATIONS``) rather than write to a schema it
does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

_MigrationFn = TypeVar("_MigrationFn", bound=Callable[[Database], None])


MIGRATIONS = Migrations("cot-inspector")
"""The schema history. Add a new numbered ``@_migration`` function at the end; never edit an applied one."""


_SUSPICION_OF = {
    "lucky_guess": 0, "canceling_errors": 1, "arithmetic_slip": 2, "wrong_reasoning": 3, "undecided": 4,
    "unreferenced": 5, "no_answer": 6, "unchecked": 7, "valid": 8,
}  # fmt: skip
"""The ``chains.suspicion`` of each verdict (migration 0004; 0002 had them without ``undecided`` and
``unchecked``), to filter by verdict through its index."""


_KNOWN_MIGRATIONS: list[str] = []


def _migration(name: str) -> Callable[[_MigrationFn], _MigrationFn]:
    _KNOWN_MIGRATIONS.append(name)
    return MIGRATIONS(name=name)


# --------------------------------------------------------------------------------------------------
# Migrations


@_migration("0001_initial")
def _m0001_initial(db: Database) -> None:
    """Machine results (rewritten on every run) and human labels (never touched by a run)."""
    statements = [
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            rules_name TEXT,
            rules_hash TEXT,
            source TEXT,
            argv TEXT,
            chains INTEGER,
            counts_json TEXT
        )""",
        """
        CREATE TABLE problems (
            problem_id TEXT PRIMARY KEY,
            problem TEXT,
            reference TEXT
        )""",
        """
        CREATE TABLE chains (
            chain_id TEXT PRIMARY KEY,
            problem_id TEXT REFERENCES problems(problem_id),
            model TEXT,
            sample_index INTEGER,
            cot TEXT NOT NULL,
            reference TEXT,
            final_answer TEXT,
            final_answer_method TEXT,
            final_answer_start INTEGER,
            final_answer_end INTEGER,
            answer_correct INTEGER,
            verdict TEXT NOT NULL,
            explanation TEXT,
            repaired_answer TEXT,
            repaired_correct INTEGER,
            run_id INTEGER REFERENCES runs(id),
            rules_name TEXT,
            rules_hash TEXT,
            source TEXT,
            input_steps TEXT,
            updated_at TEXT NOT NULL
        )""",
        """
        CREATE TABLE steps (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            PRIMARY KEY (chain_id, idx)
        )""",
        """
        CREATE TABLE claims (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            text TEXT NOT NULL,
            stated TEXT NOT NULL,
            actual TEXT,
            status TEXT NOT NULL,
            kind TEXT NOT NULL,
            rule TEXT NOT NULL,
            reason TEXT,
            stated_start INTEGER,
            stated_end INTEGER,
            PRIMARY KEY (chain_id, idx)
        )""",
        """
        CREATE TABLE findings (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            step INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            message TEXT NOT NULL,
            stated TEXT,
            actual TEXT,
            PRIMARY KEY (chain_id, idx)
        )""",
        """
        CREATE TABLE flows (
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            step INTEGER NOT NULL,
            "start" INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            value TEXT NOT NULL,
            from_step INTEGER NOT NULL,
            tainted INTEGER NOT NULL,
            PRIMARY KEY (chain_id, idx)
        )""",
        # Human labels: written by the annotation tool, never by write_results. History is kept:
        # a changed label inserts a new row and sets superseded_at on the old one.
        """
        CREATE TABLE chain_labels (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id),
            annotator TEXT,
            label TEXT NOT NULL,
            note TEXT,
            created_at TEXT NOT NULL,
            machine_verdict TEXT,
            run_id INTEGER REFERENCES runs(id),
            agrees_with_machine INTEGER,
            superseded_at TEXT
        )""",
        """
        CREATE TABLE step_labels (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id),
            step INTEGER NOT NULL,
            annotator TEXT,
            rating INTEGER CHECK (rating IN (-1, 0, 1)),
            first_error INTEGER,
            created_at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            superseded_at TEXT
        )""",
        """
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id),
            annotator TEXT,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_chains_verdict ON chains(verdict)",
        "CREATE INDEX idx_chains_model ON chains(model)",
        "CREATE INDEX idx_chains_problem_id ON chains(problem_id)",
        "CREATE INDEX idx_chain_labels_chain_id ON chain_labels(chain_id)",
        "CREATE INDEX idx_step_labels_chain_id ON step_labels(chain_id)",
        "CREATE INDEX idx_notes_chain_id ON notes(chain_id)",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0002_labelling")
def _m0002_labelling(db: Database) -> None:
    """What the labelling tool needs: a queue order, one current label per annotator, undo marks.

    ``suspicion`` ranks verdicts so the right answers reached by wrong arithmetic come first; it is
    a virtual generated column, so the write path stays as it is and the index pages the queue of
    200,000 chains without sorting. The partial unique indexes say, in the schema, that an
    annotator has at most one current (not superseded) label per chain and per step, and find it.
    """
    statements = [
        """
        ALTER TABLE chains ADD COLUMN suspicion INTEGER GENERATED ALWAYS AS (
            CASE verdict WHEN 'lucky_guess' THEN 0 WHEN 'canceling_errors' THEN 1
                         WHEN 'arithmetic_slip' THEN 2 WHEN 'wrong_reasoning' THEN 3
                         WHEN 'unreferenced' THEN 4 WHEN 'no_answer' THEN 5 WHEN 'valid' THEN 6
                         ELSE 7 END
        ) VIRTUAL""",
        "CREATE INDEX idx_chains_suspicion ON chains(suspicion)",
        "CREATE INDEX idx_chains_model_suspicion ON chains(model, suspicion)",
        "ALTER TABLE chain_labels ADD COLUMN undone_at TEXT",
        "ALTER TABLE step_labels ADD COLUMN undone_at TEXT",
        "ALTER TABLE step_labels ADD COLUMN machine_verdict TEXT",
        "ALTER TABLE step_labels ADD COLUMN agrees_with_machine INTEGER",
        "ALTER TABLE notes ADD COLUMN superseded_at TEXT",
        "ALTER TABLE notes ADD COLUMN undone_at TEXT",
        (
            "CREATE UNIQUE INDEX idx_chain_labels_current ON chain_labels(chain_id, annotator) "
            "WHERE superseded_at IS NULL"
        ),
        "CREATE INDEX idx_chain_labels_annotator ON chain_labels(annotator) WHERE superseded_at IS NULL",
        (
            "CREATE UNIQUE INDEX idx_step_labels_current ON step_labels(chain_id, annotator, step) "
            "WHERE superseded_at IS NULL"
        ),
        "CREATE INDEX idx_notes_current ON notes(chain_id, annotator) WHERE superseded_at IS NULL",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0003_samples_scores")
def _m0003_samples_scores(db: Database) -> None:
    """What ``inspect sample`` and ``inspect score`` write: where a sampled chain came from, learned scores.

    A sample is keyed by (model, problem, sampling parameters, sample index): the UNIQUE constraint is
    what makes a resumed or repeated run add nothing twice. A prompt is stored once, not once per
    sample (a problem's 1024 samples share it). A score is keyed by chain, kind, scoring model, step
    and claim; a NULL claim is the step's own score (the unique index reads it as -1, since NULLs are
    never equal in SQL). ``start``/``end`` keep the span scored, so a re-segmented chain can be told.
    """
    statements = [
        """
        CREATE TABLE sampling_runs (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            model TEXT NOT NULL,
            model_path TEXT,
            backend TEXT NOT NULL,
            params_hash TEXT NOT NULL,
            params_json TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            requested INTEGER,
            generated INTEGER,
            tokens INTEGER
        )""",
        """
        CREATE TABLE prompts (
            prompt_hash TEXT PRIMARY KEY,
            format TEXT NOT NULL,
            prompt TEXT NOT NULL
        )""",
        """
        CREATE TABLE samples (
            chain_id TEXT PRIMARY KEY REFERENCES chains(chain_id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            params_hash TEXT NOT NULL,
            sample_index INTEGER NOT NULL,
            params_json TEXT NOT NULL,
            seed INTEGER NOT NULL,
            finish_reason TEXT NOT NULL,
            n_tokens INTEGER,
            prompt_hash TEXT NOT NULL REFERENCES prompts(prompt_hash),
            sampling_run_id INTEGER REFERENCES sampling_runs(id),
            created_at TEXT NOT NULL,
            UNIQUE (model, problem_id, params_hash, sample_index)
        )""",
        """
        CREATE TABLE scores (
            id INTEGER PRIMARY KEY,
            chain_id TEXT NOT NULL REFERENCES chains(chain_id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            model TEXT NOT NULL,
            step INTEGER NOT NULL,
            claim INTEGER,
            score REAL NOT NULL,
            tokens INTEGER,
            "start" INTEGER,
            "end" INTEGER,
            created_at TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX idx_scores_key ON scores(chain_id, kind, model, step, IFNULL(claim, -1))",
        "CREATE INDEX idx_scores_kind_model ON scores(kind, model)",
        "CREATE INDEX idx_samples_sampling_run ON samples(sampling_run_id)",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0004_coverage_verdicts")
def _m0004_coverage_verdicts(db: Database) -> None:
    """What a verdict rests on (``coverage``), and the queue rank of the verdicts ``unchecked`` and
    ``undecided``: a right answer with nothing checked sits just above ``valid``; an answer that could not
    be compared sits with the wrong ones."""
    statements = [
        "ALTER TABLE chains ADD COLUMN coverage_json TEXT",
        "DROP INDEX idx_chains_model_suspicion",
        "DROP INDEX idx_chains_suspicion",
        "ALTER TABLE chains DROP COLUMN suspicion",
        f"""
        ALTER TABLE chains ADD COLUMN suspicion INTEGER GENERATED ALWAYS AS (
            CASE verdict {" ".join(f"WHEN '{v}' THEN {rank}" for v, rank in _SUSPICION_OF.items())}
                         ELSE {len(_SUSPICION_OF)} END
        ) VIRTUAL""",
        "CREATE INDEX idx_chains_suspicion ON chains(suspicion)",
        "CREATE INDEX idx_chains_model_suspicion ON chains(model, suspicion)",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0005_problem_set")
def _m0005_problem_set(db: Database) -> None:
    """The data set a chain's problem is from, when its input says (an evaluation dump's ``dataset``)."""
    db.execute("ALTER TABLE chains ADD COLUMN problem_set TEXT")


_FTS_COLUMNS = ("chain_id", "problem_id", "model", "cot")
"""What the queue's search finds through ``chains_fts`` (problems and notes are few: LIKE finds those)."""


@_migration("0006_chains_fts")
def _m0006_chains_fts(db: Database) -> None:
    """A full-text index of the chains' ids, models and text, so the queue's search does not read every chain.

    FTS5 with the trigram tokenizer finds any substring of three characters or more, case-insensitively,
    as the LIKE it replaces did (a scan of 200,000 chains' text took 0.4-1.1 s). It is an external-content
    table over ``chains`` (the text is not stored twice), kept in step by triggers; an upsert that leaves
    the indexed columns as they were does not touch it. Databases made before it are indexed here, once.
    """
    cols = ", ".join(_FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in _FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in _FTS_COLUMNS)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _FTS_COLUMNS)
    statements = [
        f"CREATE VIRTUAL TABLE chains_fts USING fts5({cols}, content='chains', content_rowid='rowid', "
        "tokenize='trigram')",
        f"CREATE TRIGGER chains_fts_insert AFTER INSERT ON chains BEGIN "
        f"INSERT INTO chains_fts (rowid, {cols}) VALUES (new.rowid, {new}); END",
        f"CREATE TRIGGER chains_fts_delete AFTER DELETE ON chains BEGIN "
        f"INSERT INTO chains_fts (chains_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END",
        f"CREATE TRIGGER chains_fts_update AFTER UPDATE ON chains WHEN {changed} BEGIN "
        f"INSERT INTO chains_fts (chains_fts, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
        f"INSERT INTO chains_fts (rowid, {cols}) VALUES (new.rowid, {new}); END",
        "INSERT INTO chains_fts (chains_fts) VALUES ('rebuild')",
    ]
    for sql in statements:
        db.execute(sql)


@_migration("0007_blind_labels")
def _m0007_blind_labels(db: Database) -> None:
    """Whether a chain label was given blind (``inspect label --blind``: neither the machine's verdict nor
    other annotators' labels shown before it); ``NULL`` for labels made before, or imported."""
    db.execute("ALTER TABLE chain_labels ADD COLUMN blind INTEGER")


_DIGITS = "'0123456789'"
SOURCE_FILE_SQL = (
    f"CASE WHEN source <> rtrim(source, {_DIGITS}) AND substr(rtrim(source, {_DIGITS}), -1) = ':' "
    f"THEN substr(rtrim(source, {_DIGITS}), 1, length(rtrim(source, {_DIGITS})) - 1) ELSE source END"
)
"""A chain's ``source`` without its line number (``data/gsm8k.json:12`` → ``data/gsm8k.json``), in SQL: the input
file a report names a problem set after. ``store.source_file`` is the same in Python. Indexed by migration 0008:
a query must spell it exactly so for SQLite to read it from the index."""


@_migration("0008_report_index")
def _m0008_report_index(db: Database) -> None:
    """What a report counts chains by, in one index: ``inspect report`` and the report screen count 200,000
    chains in SQL, through this index in its order (no sort, no chain row read), in about 0.1 s; reading
    them one by one took seconds. Databases made before it are indexed here, once (about a second for
    200,000 chains)."""
    db.execute(
        "CREATE INDEX idx_chains_report ON chains(model, problem_set, problem_id, verdict, answer_correct, "
        f"({SOURCE_FILE_SQL}))"
    )
