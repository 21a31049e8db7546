"""No input can crash a batch or silently overwrite a chain, and every failure has its own exit code.

Each test reproduces an attack from the issue "Reliability": a bad record ends as a ``FILE:LINE`` message and
never takes the records around it down; the file system and SQLite fail with a one-line message and exit 5; a
bug exits 70, never 1 (the ``--fail-on`` code); Ctrl-C exits 130; an id never silently collides.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspector import store
from inspector.cli import ExitCode, main
from inspector.scale import workers as batch


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


OK = json.dumps({"id": "ok", "cot": "3 + 3 = 6", "reference": "6"})


@pytest.mark.parametrize(
    "bad, message",
    [
        (json.dumps({"id": "b", "cot": "2+2=4", "sample_index": 99999999999999999999999}),
         "field 'sample_index' must be an integer below 2^63"),
        ('{"id": "s", "cot": "2 + 2 = 4 \\ud800"}', "chain text is not valid Unicode: a lone surrogate"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        ('{"id": "x", "cot": "1+1=2", "n": ' + "9" * 5000 + "}", "invalid JSON: a number of more than 4,300 digits"),
        (json.dumps({"id": "f", "cot": "So ３.５ + 1 = 4.5", "reference": "4.5"}), None),  # fine now
        (json.dumps({"id": "g", "cot": "so \\boxed{1," + "000," * 25 + "000}", "reference": "5"}), None),
    ],
    ids=["sample-index-2^74", "lone-surrogate", "nesting-100k", "integer-5000-digits", "fullwidth", "boxed-60-digits"],
)
def test_a_bad_record_is_its_own_error(tmp_path: Path, bad: str, message: str | None) -> None:
    src = write(tmp_path / "in.jsonl", [bad, OK])
    db = str(tmp_path / "out.db")
    code, _, err = run("verify", str(src), "--db", db, "--format", "jsonl")
    if message is None:
        assert code == ExitCode.OK and "Traceback" not in err
        return
    assert code == ExitCode.BAD_INPUT
    assert f"in.jsonl:1: {message}" in err and "Traceback" not in err
    # with --skip-invalid the record is listed and the one after it is verified and stored
    code, out, err = run("verify", str(src), "--db", db, "--format", "jsonl", "--skip-invalid")
    assert code == ExitCode.OK
    assert "skipped 1 unreadable line(s)" in err and f"in.jsonl:1: {message}" in err
    assert [json.loads(line)["chain_id"] for line in out.splitlines()] == ["ok"]
    assert [r[0] for r in store.open_db(db).execute("SELECT chain_id FROM chains").fetchall()] == ["ok"]


def test_an_engine_crash_on_one_chain_is_that_chains_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = batch.verify_chain

    def flaky(chain, rules=None):  # type: ignore[no-untyped-def]
        if chain.chain_id == "boom":
            raise ZeroDivisionError("a bug")
        return real(chain, rules)

    monkeypatch.setattr(batch, "verify_chain", flaky)
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "boom", "cot": "1 + 1 = 2"}), OK])
    code, _, err = run("verify", str(src), "--no-db")
    assert code == ExitCode.BAD_INPUT
    assert "in.jsonl:1: chain 'boom' could not be verified: internal error (ZeroDivisionError: a bug)" in err
    code, out, err = run("verify", str(src), "--no-db", "--skip-invalid", "--format", "jsonl")
    assert code == ExitCode.OK and [json.loads(x)["chain_id"] for x in out.splitlines()] == ["ok"]


def test_a_worker_that_dies_ends_the_run_with_exit_5_not_a_hang(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-run (the system's OOM killer, a chunk it cannot unpickle) used to leave
    multiprocessing's Pool waiting for that chunk forever; the run must end and say what happened."""
    import os
    import signal

    real = batch.verify_chain

    def killed(chain, rules=None):  # type: ignore[no-untyped-def]
        if chain.chain_id == "die":
            os._exit(9)  # as a SIGKILL leaves it: no exception, no clean-up
        return real(chain, rules)

    monkeypatch.setattr(batch, "verify_chain", killed)  # (the workers are forked: they inherit it)
    lines = [OK.replace('"ok"', f'"ok{i}"') for i in range(1100)] + [json.dumps({"id": "die", "cot": "1 + 1 = 2"})]
    src = write(tmp_path / "in.jsonl", lines)
    db = str(tmp_path / "out.db")
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the run hung on a dead worker"))
    signal.alarm(120)
    try:
        code, _, err = run("verify", str(src), "--db", db, "--workers", "2")
    finally:
        signal.alarm(0)
    assert code == ExitCode.ENVIRONMENT
    assert "a worker process died" in err and "Traceback" not in err
    # the batches written before it are stored (500 chains a transaction); the run resumes after them
    assert store.open_db(db)["chains"].count >= 500


# --- identity ------------------------------------------------------------------------------------------------
def test_two_records_with_one_id_name_both_lines(tmp_path: Path) -> None:
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "d", "cot": "1 + 1 = 2"}), OK,
                                        json.dumps({"id": "d", "cot": "1 + 1 = 3"})])
    db = str(tmp_path / "out.db")
    code, _, err = run("verify", str(src), "--db", db)
    assert code == ExitCode.BAD_INPUT
    assert "in.jsonl:3: chain id 'd' is already used by " in err and "in.jsonl:1 in this input" in err
    # the first stays as it was: nothing was overwritten
    assert store.open_db(db).execute("SELECT cot FROM chains WHERE chain_id = 'd'").fetchone()[0] == "1 + 1 = 2"


def test_the_same_file_verified_again_is_no_collision(tmp_path: Path) -> None:
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "d", "cot": "1 + 1 = 2"}), OK])
    db = str(tmp_path / "out.db")
    assert run("verify", str(src), "--db", db)[0] == ExitCode.OK
    assert run("verify", str(src), "--db", db)[0] == ExitCode.OK


def test_a_label_never_moves_onto_text_its_annotator_did_not_read(tmp_path: Path) -> None:
    db_path = str(tmp_path / "out.db")
    first = write(tmp_path / "a.jsonl", [json.dumps({"id": "c1", "cot": "2 + 2 = 4", "reference": "4"})])
    assert run("verify", str(first), "--db", db_path)[0] == ExitCode.OK
    db = store.open_db(db_path)
    store.set_chain_label(db, "c1", "valid", annotator="alice", machine_verdict="valid", run_id=None, agrees=True)
    other = write(tmp_path / "b.jsonl", [json.dumps({"id": "c1", "cot": "2 + 2 = 5", "reference": "4"})])
    code, _, err = run("verify", str(other), "--db", db_path)
    assert code == ExitCode.BAD_INPUT
    assert "b.jsonl:1: chain 'c1' is labelled (by alice) on another text in this database" in err
    assert db.execute("SELECT cot FROM chains WHERE chain_id = 'c1'").fetchone()[0] == "2 + 2 = 4"
    # the same text again is fine: the labels are on it
    assert run("verify", str(first), "--db", db_path)[0] == ExitCode.OK


# --- the command's own boundary ------------------------------------------------------------------------------
def test_the_file_system_failing_is_an_environment_failure(tmp_path: Path) -> None:
    src = write(tmp_path / "in.jsonl", [OK])
    db = str(tmp_path / "out.db")
    assert run("verify", str(src), "--db", db)[0] == ExitCode.OK
    code, _, err = run("export", db, "-o", str(tmp_path / "missing" / "dir" / "x.jsonl"))
    assert code == ExitCode.ENVIRONMENT == 5
    assert err.startswith("inspect: environment failure:") and "Traceback" not in err
    if Path("/dev/full").exists():
        code, _, err = run("export", db, "-o", "/dev/full")
        assert code == ExitCode.ENVIRONMENT and "No space left on device" in err


def test_a_damaged_database_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(bytes(range(256)) * 80)
    code, _, err = run("report", str(bad))
    assert code == ExitCode.BAD_INPUT and "not a SQLite database (or a damaged one)" in err


def test_a_bug_exits_70_and_says_where_to_report_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write(tmp_path / "in.jsonl", [OK])
    db = str(tmp_path / "out.db")
    assert run("verify", str(src), "--db", db)[0] == ExitCode.OK

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the report")

    monkeypatch.setattr("inspector.report.build.build_report", broken)
    code, _, err = run("report", db)
    assert code == ExitCode.INTERNAL_ERROR == 70
    assert "internal error (RuntimeError: a bug in the report)" in err and "This is a bug" in err


def test_ctrl_c_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = write(tmp_path / "in.jsonl", [OK])

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run", interrupted)
    code, _, err = run("verify", str(src), "--no-db")
    assert code == ExitCode.INTERRUPTED == 130 and "interrupted" in err


# --- rule values ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, message",
    [
        ("[tolerance]\nfloat_noise_relative = nan", "tolerance.float_noise_relative: nan is out of range"),
        ("[tolerance]\nfloat_noise_relative = inf", "tolerance.float_noise_relative: inf is out of range"),
        ("[segmentation]\nmax_chain_lines = -1", "segmentation.max_chain_lines: -1 is out of range"),
        ("[segmentation]\nmax_line_chars = 0", "segmentation.max_line_chars: 0 is out of range"),
        ('[tolerance]\napproximate_words = [""]', "tolerance.approximate_words: an empty word"),
        ("[answer]\nmethods = []", "answer.methods is empty"),
        ("[answer]\nmax_symbolic_chars = -5", "answer.max_symbolic_chars: -5 is out of range"),
    ],
)
def test_rule_values_are_validated_with_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text(text)
    code, _, err = run("verify", "-", "--no-db", "--rules", str(rules))
    assert code == ExitCode.BAD_INPUT and f"r.toml: {message}" in err


def test_rules_that_are_not_utf8_are_named(tmp_path: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_bytes(b'name = "\xff"\n')
    code, _, err = run("verify", "-", "--no-db", "--rules", str(rules))
    assert code == ExitCode.BAD_INPUT and "r.toml: not UTF-8 text (byte 8)" in err


# --- memory --------------------------------------------------------------------------------------------------
def test_an_over_long_line_is_read_past_not_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inspector.formats import load

    monkeypatch.setattr(load, "MAX_LINE_BYTES", 1000)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "long", "cot": "1 + 1 = 2 " * 500}) + "\n" + OK + "\n" + "x" * 5000)
    code, _, err = run("verify", str(src), "--no-db")
    assert code == ExitCode.BAD_INPUT and "in.jsonl:1: line longer than 1000 bytes: not read" in err
    code, out, err = run("verify", str(src), "--no-db", "--skip-invalid", "--format", "jsonl")
    assert code == ExitCode.OK
    assert "in.jsonl:1: line longer than 1000 bytes" in err and "in.jsonl:3: line longer than 1000 bytes" in err
    assert [json.loads(x)["chain_id"] for x in out.splitlines()] == ["ok"]
    # the library reader too
    chains = list(load.iter_chains(str(src), skip_invalid=True))
    assert [c.chain_id for c in chains] == ["ok"]


def test_capped_lines_never_hold_more_than_the_cap() -> None:
    import io

    from inspector.formats.load import capped_lines

    stream = io.BytesIO(b"short\n" + b"y" * 10_000_000 + b"\nlast")
    assert list(capped_lines(stream, cap=100)) == [b"short\n", None, b"last"]


def test_report_png_without_curves_says_so(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    src = write(tmp_path / "in.jsonl", [json.dumps({"id": "n", "cot": "2 + 2 = 4"})])  # no reference
    db = str(tmp_path / "out.db")
    assert run("verify", str(src), "--db", db)[0] == ExitCode.OK
    png = tmp_path / "curves.png"
    code, _, err = run("report", db, "--png", str(png))
    assert code == ExitCode.OK and not png.exists()
    assert f"{png} not written: no pass@k curves to draw" in err


@pytest.mark.parametrize("failure", ["attempt to write a readonly database", "database disk image is malformed",
                                     "database or disk is full"])
def test_sqlite_failing_mid_run_is_an_environment_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           failure: str) -> None:
    import sqlite3

    src = write(tmp_path / "in.jsonl", [OK])
    db = str(tmp_path / "out.db")

    def failing(*args: object, **kwargs: object) -> int:
        raise (sqlite3.DatabaseError if "malformed" in failure else sqlite3.OperationalError)(failure)

    monkeypatch.setattr(store, "write_rows", failing)
    code, _, err = run("verify", str(src), "--db", db)
    assert code == ExitCode.ENVIRONMENT
    assert err.strip() == f"inspect: environment failure: {failure}"
    # the run is left unfinished in the store, for anyone who looks
    assert store.open_db(db).execute("SELECT finished_at FROM runs").fetchone()[0] is None


@pytest.mark.parametrize("how", ["gzip", "zstd"])
def test_a_compressed_file_cut_short_is_named_not_a_crash(tmp_path: Path, how: str) -> None:
    # format detection reads the first record before any reader does: a file cut short there was exit 70
    import gzip

    text = "\n".join(json.dumps({"id": f"c{i}", "cot": f"{i} + 2 = {i + 2}"}) for i in range(200)).encode()
    if how == "gzip":
        data = gzip.compress(text)
    else:
        zstandard = pytest.importorskip("zstandard")
        data = zstandard.ZstdCompressor().compress(text)
    cut = tmp_path / f"cut.jsonl.{'gz' if how == 'gzip' else 'zst'}"
    cut.write_bytes(data[: len(data) // 2])
    code, _, err = run("verify", str(cut), "--no-db")
    assert code == ExitCode.BAD_INPUT and f"not a readable {how} file" in err and "internal error" not in err


def test_a_batch_sets_the_collector_for_its_length_and_then_puts_it_back() -> None:
    """``batch_gc``: the young generation collected every ``BATCH_GC_THRESHOLD`` allocations during a run in this
    process (what was alive before it frozen out of collections), and the collector as it was afterwards."""
    import gc

    from inspector import ChainInput
    from inspector.engine.rules import default_rules

    before = gc.get_threshold()
    job = batch.Job(default_rules(), want_json=True, want_rows=False)
    outcomes = batch.run(batch.chunks_of_chains([ChainInput("a", "2 + 2 = 5"), ChainInput("b", "3 * 3 = 9")]), job)
    first = next(outcomes)
    assert gc.get_threshold()[0] == batch.BATCH_GC_THRESHOLD and gc.get_freeze_count() > 0
    rest = list(outcomes)
    assert [o.chain_id for o in (first, *rest)] == ["a", "b"] and first.error_count == 1
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
