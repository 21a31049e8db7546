"""`inspect verify --ray` on a local Ray: the shards hold exactly what `inspect verify` prints, their import
is the database `inspect verify` writes, and a report over them is the report over that database.

One local Ray (2 CPUs) serves the whole module; skipped cleanly where ray is not installed. The checks of the
command line that need no Ray (usage errors, the message without ray) run everywhere.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inspector.cli import ExitCode, main

# Ray Data warns of its own deprecated settings when it copies its context
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples").glob("*.jsonl"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def jsonl(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture(scope="module")
def ray_local() -> Iterator[None]:
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The samples, a gzip file and a parquet file of chains of their own (ids that differ from the samples',
    or `inspect verify --db` would refuse them as one id in two places)."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    folder = tmp_path_factory.mktemp("inputs")
    records = [json.loads(line) for line in (ROOT / "samples" / "pass_at_k.jsonl").read_text().splitlines()]
    gz = folder / "rollouts.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps({**record, "id": f"gz-{record['id']}", "model": "gz"}) + "\n")
        f.write("\n")  # a blank line, as real files end
    rows = [
        {"id": "pq-1", "problem": "17 * 6?", "reference": "102", "model": "pq",
         "cot": "17 * 6 = 112. The answer is 112."},
        {"id": "pq-2", "problem": "3 + 4?", "answer": "#### 7", "model": "pq",
         "cot": "3 + 4 = 7\nThe answer is 7."},
        {"id": "pq-3", "problem": "9 - 2?", "reference": "7", "model": "pq",
         "responses": ["9 - 2 = 7. Answer: 7", "9 - 2 = 6. Answer: 6"]},
    ]  # fmt: skip
    keys = sorted({k for row in rows for k in row})  # every column in every row (nulls where a row has none)
    parquet = folder / "table.parquet"
    pq.write_table(pa.Table.from_pylist([{k: row.get(k) for k in keys} for row in rows]), parquet)
    return [str(p) for p in SAMPLES] + [str(gz), str(parquet)]


@pytest.fixture(scope="module")
def shards_dir(ray_local: None, inputs: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "shards"
    # `--ray` with no address, before the inputs: the first input is not taken for an address
    code, stdout, stderr = run("verify", "--ray", *inputs, "--out", str(out))
    assert code == ExitCode.OK, stderr
    assert "Traceback" not in stdout + stderr
    assert "Verdicts" in stdout and f"results written to {out}" in stdout
    return out


def test_shards_hold_exactly_the_jsonl_records(shards_dir: Path, inputs: list[str]) -> None:
    from inspector.scale import shards

    code, out, err = run("verify", *inputs, "--no-db", "--format", "jsonl")
    assert code == ExitCode.OK, err
    expected = jsonl(out)
    got = list(shards.iter_records(str(shards_dir)))
    assert len(got) == len(expected) == 100
    assert sorted(got, key=lambda r: r["chain_id"]) == sorted(expected, key=lambda r: r["chain_id"])
    assert got == expected  # in input order too: an import stores them in the order inspect verify does
    assert [list(r) for r in got] == [list(r) for r in expected]  # the same fields, in the same order
    manifest = json.loads((shards_dir / "_inspector.json").read_text())
    assert manifest["chains"] == 100 and manifest["skipped"] == 0 and manifest["inputs"] == inputs


def _table(db: Path, table: str, skip: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]
        quoted = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f"SELECT {quoted} FROM {table} ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_import_of_the_shards_is_the_database_verify_writes(shards_dir: Path, inputs: list[str],
                                                            tmp_path: Path) -> None:
    direct, imported = tmp_path / "direct.db", tmp_path / "imported.db"
    assert run("verify", *inputs, "--db", str(direct))[0] == ExitCode.OK
    code, _, err = run("import", str(shards_dir), "--db", str(imported))
    assert code == ExitCode.OK, err
    assert "imported 100 chain(s)" in err and "another verdict" not in err
    assert len(_table(direct, "chains")) == 100 and len(_table(direct, "claims")) > 100
    skip = ("run_id", "updated_at")
    for table in ("chains", "problems", "steps", "claims", "findings", "flows"):
        assert _table(imported, table, skip) == _table(direct, table, skip), table


def test_import_only_some_verdicts(shards_dir: Path, inputs: list[str], tmp_path: Path) -> None:
    db = tmp_path / "suspicious.db"
    code, _, err = run("import", str(shards_dir), "--db", str(db), "--verdict", "lucky_guess",
                       "--verdict", "canceling_errors")
    assert code == ExitCode.OK, err
    expected = [r["chain_id"] for r in jsonl(run("verify", *inputs, "--no-db", "--format", "jsonl")[1])
                if r["verdict"] in ("lucky_guess", "canceling_errors")]
    assert [r[0] for r in _table(db, "chains")] == expected and expected
    code, _, err = run("import", inputs[0], "--db", str(db), "--verdict", "valid")
    assert code == ExitCode.BAD_INPUT and "--verdict" in err


def test_report_over_the_shards_is_the_report_over_the_database(shards_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "imported.db"
    assert run("import", str(shards_dir), "--db", str(db))[0] == ExitCode.OK
    code, over_shards, err = run("report", str(shards_dir), "--format", "json")
    assert code == ExitCode.OK, err
    over_db = run("report", str(db), "--format", "json")[1]
    a, b = json.loads(over_shards), json.loads(over_db)
    assert a.pop("database") == str(shards_dir) and b.pop("database") == str(db)
    assert a == b and a["chains"] == 100 and a["curves"]
    assert run("report", str(shards_dir))[0] == ExitCode.OK  # the tables too


def test_uri_inputs_read_through_pyarrow(ray_local: None, inputs: list[str], tmp_path: Path) -> None:
    """``file://`` goes the way ``s3://`` and ``gs://`` go: opened by pyarrow's file systems, not ``open``."""
    local = [p for p in inputs if p.endswith((".gz", ".parquet"))]
    out = tmp_path / "uri"
    code, _, err = run("verify", *(Path(p).as_uri() for p in local), "--ray", "--out", out.as_uri())
    assert code == ExitCode.OK, err
    from inspector.scale import shards

    expected = jsonl(run("verify", *local, "--no-db", "--format", "jsonl")[1])
    assert list(shards.iter_records(out.as_uri())) == expected
    sources = [r["source"] for r in shards.iter_rows(str(out), columns=["source"])]
    assert sources[0] == f"{Path(local[0]).as_uri()}:1"


BAD = (
    '{"id": "a", "problem": "2 + 2?", "reference": "4", "cot": "2 + 2 = 4. The answer is 4."}\n'
    "not json\n"
    '{"id": "b", "problem": "3 * 3?", "reference": "9", "cot": "3 * 3 = 10. The answer is 10."}\n'
    '{"id": "c", "cot": 5}\n'
)


def test_bad_records_are_file_line_errors_never_tracebacks(ray_local: None, tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(BAD)
    code, out, err = run("verify", str(src), "--ray", "--out", str(tmp_path / "stopped"))
    assert code == ExitCode.BAD_INPUT
    assert err.strip() == f"inspect: {src}:2: invalid JSON: Expecting value at column 1"
    assert "Traceback" not in out + err and not (tmp_path / "stopped" / "_inspector.json").exists()

    code, out, err = run("verify", str(src), "--ray", "--out", str(tmp_path / "skipped"), "--skip-invalid")
    assert code == ExitCode.OK, err
    assert f"skipped 2 unreadable line(s):\n  {src}:2: invalid JSON" in err
    assert f"{src}:4: field 'cot' must be a string, got a number" in err
    from inspector.scale import shards

    expected = jsonl(run("verify", str(src), "--no-db", "--format", "jsonl", "--skip-invalid")[1])
    assert list(shards.iter_records(str(tmp_path / "skipped"))) == expected
    assert [r["chain_id"] for r in expected] == ["a", "b"]
    manifest = json.loads((tmp_path / "skipped" / "_inspector.json").read_text())
    assert manifest["skipped"] == 2 and manifest["skipped_records"][0].startswith(f"{src}:2: ")

    code, _, err = run("verify", str(tmp_path / "missing.jsonl"), "--ray", "--out", str(tmp_path / "none"))
    missing = tmp_path / "missing.jsonl"
    assert code == ExitCode.BAD_INPUT and err.strip() == f"inspect: {missing}: no such file"
    code, _, err = run("verify", str(src), "--ray", "--out", str(tmp_path / "skipped"))
    assert code == ExitCode.BAD_INPUT and "not empty" in err


# --- no Ray needed ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ray"], "--ray needs --out DIR"),
        (["--out", "d"], "--out DIR is where --ray writes its shards"),
        (["--ray", "--out", "d", "--format", "jsonl"], "not to stdout"),
        (["--ray", "--out", "d", "--db", "x.db"], "not a database"),
    ],
)
def test_usage_errors(args: list[str], message: str) -> None:
    code, _, err = run("verify", str(SAMPLES[0]), *args)
    assert code == 2 and message in err


def test_stdin_is_refused() -> None:
    code, _, err = run("verify", "-", "--ray", "--out", "d")
    assert code == 2 and "not standard input" in err


def test_ray_is_imported_for_verify_ray_only() -> None:
    """The CLI, the readers of shards and the Ray module itself import without Ray: only a run needs it."""
    code = ("import sys, inspector.cli, inspector.scale.shards, inspector.formats.importers, inspector.formats.ingest, "
            "inspector.report.build, inspector.scale.ray_data; "
            "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          check=False)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_without_ray_the_message_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "ray.data", None)
    monkeypatch.delitem(sys.modules, "inspector.scale.ray_data", raising=False)
    code, _, err = run("verify", str(SAMPLES[0]), "--ray", "--out", str(tmp_path / "out"))
    assert code == ExitCode.MISSING_DEPENDENCY
    assert "pip install 'cot-inspector[ray]'" in err and "Traceback" not in err


def test_reading_shards_needs_no_ray(shards_dir: Path, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A laptop with pyarrow reads (imports, reports) what a cluster wrote."""
    copy = tmp_path / "copy"
    shutil.copytree(shards_dir, copy)
    monkeypatch.setitem(sys.modules, "ray", None)
    code, _, err = run("report", str(copy), "--format", "json")
    assert code == ExitCode.OK, err
    (copy / "_inspector.json").unlink()
    code, _, err = run("report", str(copy), "--format", "json")
    assert code == ExitCode.OK and "did not finish" in err
