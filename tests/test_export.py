"""`inspect export`: every format, the filters, resolution conflicts, and export → import losing no label."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from _toy import build, write_jsonl
from click.testing import CliRunner
from sqlite_utils import Database

from inspector import store
from inspector.cli import ExitCode, main
from inspector.export import FORMATS, export
from inspector.importers import iter_imported
from inspector.ingest import run_import
from inspector.labelset import ChainLabels, Resolution, parse_resolution
from inspector.rules import default_rules


@pytest.fixture
def db() -> Database:
    return build(store.open_db(None))


def exported(db: Database, fmt: str, **kw: Any) -> bytes:
    out = io.BytesIO()
    export(db, out, fmt, **kw)
    return out.getvalue()


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines() if line.strip()]


def all_labels(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    """Every label row of every chain, as comparable tuples (run ids aside)."""
    ids = [r.chain_id for r in store.iter_report_rows(db)]
    out: dict[str, set[tuple[Any, ...]]] = {}
    for cid, labels in store.labels_for(db, ids).items():
        out[cid] = {("chain", x.annotator, x.label, x.note, x.created_at, x.superseded_at, x.machine_verdict)
                    for x in labels.chain_labels}  # fmt: skip
        out[cid] |= {("step", x.step, x.annotator, x.rating, x.first_error, x.created_at, x.superseded_at)
                     for x in labels.step_labels}  # fmt: skip
        out[cid] |= {("note", x.annotator, x.text, x.created_at, x.superseded_at) for x in labels.notes}
    return out


# --- jsonl -------------------------------------------------------------------------------------------------


def test_jsonl_carries_everything(db: Database) -> None:
    records = {r["chain_id"]: r for r in lines(exported(db, "jsonl"))}
    assert len(records) == 33
    r = records["rl-p0-s3"]
    assert r["problem"] == "What is 17 + 25 + 10?" and r["reference"] == "52" and r["cot"].startswith("17 + 25 = 43")
    assert r["verdict"] == "canceling_errors" and [e["step"] for e in r["errors"]] == [0, 1]
    assert [s["text"] for s in r["steps"]] == ["17 + 25 = 43", "43 + 10 = 52", "The answer is 52."]
    assert r["steps"][0]["span"] == [0, 12] and r["steps"][0]["claims"][0]["status"] == "wrong"
    assert sorted((x["annotator"], x["label"]) for x in r["labels"]) == [("ann", "canceling_errors"),
                                                                         ("bob", "canceling_errors")]  # fmt: skip
    assert [(x["step"], x["rating"], x["first_error"]) for x in r["step_labels"]] == [(0, -1, True), (1, -1, False),
                                                                                      (2, 1, False)]  # fmt: skip
    assert r["human"] == {"label": "canceling_errors", "annotator": "bob", "conflict": False,
                          "first_error_step": 0, "step_ratings": [-1, -1, 1]}  # fmt: skip
    history = records["base-p1-s0"]["labels"]
    assert [(x["annotator"], x["label"], x["superseded_at"] is not None) for x in history] == [
        ("ann", "valid", True), ("ann", "lucky_guess", False), ("bob", "lucky_guess", False)]  # fmt: skip
    assert records["base-p0-s0"]["labels"] == [] and records["base-p0-s0"]["human"]["label"] is None


@pytest.mark.parametrize(
    ("kw", "ids"),
    [
        ({"labelled_only": True}, {"rl-p0-s3", "base-p0-s1", "rl-p0-s0", "base-p1-s0"}),
        ({"verdicts": ["lucky_guess"]}, {"lucky-1"}),
        ({"verdicts": ["canceling_errors"], "models": ["rl"]}, {"rl-p0-s3", "rl-p1-s3", "rl-p2-s3"}),
        ({"models": ["other", "nobody"]}, {"lucky-1"}),
    ],
)
def test_filters(db: Database, kw: dict[str, Any], ids: set[str]) -> None:
    assert {r["chain_id"] for r in lines(exported(db, "jsonl", **kw))} == ids


def test_conflicts_are_counted_and_named(db: Database) -> None:
    summary = export(db, io.BytesIO(), "jsonl")
    assert (summary.chains, summary.written, summary.conflicts, summary.conflict_ids) == (33, 33, 1, ("base-p0-s1",))


# --- the field's formats -------------------------------------------------------------------------------------


def test_prm800k_layout(db: Database) -> None:
    records = lines(exported(db, "prm800k", bare=True))
    assert len(records) == 3  # the chains with step ratings
    r = next(r for r in records if r["labeler"] == "ann" and r["label"]["steps"][0]["completions"][0]["rating"] == -1)
    assert r["question"]["problem"] == "What is 17 + 25 + 10?" and r["question"]["ground_truth_answer"] == "52"
    assert [s["completions"][0]["rating"] for s in r["label"]["steps"]] == [-1, -1, 1]
    assert r["label"]["finish_reason"] == "found_error" and r["label"]["steps"][0]["chosen_completion"] == 0
    assert set(r) == {"labeler", "timestamp", "generation", "is_quality_control_question",
                      "is_initial_screening_question", "question", "label"}  # fmt: skip
    assert sorted(r["label"]["finish_reason"] for r in records) == ["found_error", "found_error", "solution"]


def test_processbench_layout(db: Database) -> None:
    records = json.loads(exported(db, "processbench", bare=True))  # a JSON list, as ProcessBench ships
    got = {r["id"]: (r["label"], r["final_answer_correct"]) for r in records}
    assert got == {"rl-p0-s3": (0, True), "base-p0-s1": (1, False), "rl-p0-s0": (-1, True)}
    assert set(records[0]) == {"id", "generator", "problem", "steps", "final_answer_correct", "label"}


def test_trl_layout(db: Database) -> None:
    records = lines(exported(db, "trl", bare=True))
    got = sorted(r["labels"] for r in records)
    assert got == sorted([[False, False, True], [True, False, True], [True, True, True]])
    assert all(set(r) == {"prompt", "completions", "labels"} and r["prompt"].startswith("What is") for r in records)


def test_resolution_chooses_the_exported_label(db: Database) -> None:
    latest = {r["chain_id"]: r["human"]["label"] for r in lines(exported(db, "jsonl", labelled_only=True))}
    ann = {r["chain_id"]: r["human"]["label"]
           for r in lines(exported(db, "jsonl", labelled_only=True, resolution=parse_resolution("annotator=ann")))}  # fmt: skip
    assert latest["base-p0-s1"] == "arithmetic_slip" and ann["base-p0-s1"] == "wrong_reasoning"
    # bob rated the steps of rl-p0-s0 only; his chain labels elsewhere don't say where the first error is
    records = json.loads(exported(db, "processbench", resolution=parse_resolution("annotator=bob")))
    assert [(r["id"], r["label"], r["final_answer_correct"]) for r in records] == [("rl-p0-s0", -1, True)]


# --- pandas reads our formats ----------------------------------------------------------------------------------


def test_pandas_reads_jsonl_csv_parquet(db: Database, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    for fmt in ("jsonl", "csv", "parquet"):
        path = tmp_path / f"out.{fmt}"
        with open(path, "wb") as f:
            export(db, f, fmt)
        frame = {"jsonl": lambda p: pd.read_json(p, lines=True), "csv": pd.read_csv, "parquet": pd.read_parquet}[fmt](path)
        assert len(frame) == 33, fmt
        row = frame[frame["chain_id"] == "base-p1-s0"].iloc[0]
        assert row["verdict"] == "valid", fmt
        if fmt != "jsonl":
            assert row["human_label"] == "lucky_guess" and len(json.loads(row["labels_json"])) == 3, fmt
            assert bool(frame[frame["chain_id"] == "base-p0-s1"].iloc[0]["label_conflict"]) is True


# --- export, then import: no label lost -------------------------------------------------------------------------


def reimport(data: bytes, tmp_path: Path, name: str, fmt: str = "auto", **kw: Any) -> Database:
    path = tmp_path / name
    path.write_bytes(data)
    fresh = store.open_db(None)
    run_import(fresh, path, default_rules(), fmt=fmt, **kw)
    return fresh


ROUND_TRIP = [("jsonl", "out.jsonl"), ("csv", "out.csv"), ("parquet", "out.parquet"),
              ("prm800k", "out.prm800k.jsonl"), ("processbench", "out.processbench.json"), ("trl", "out.trl.jsonl")]  # fmt: skip


@pytest.mark.parametrize(("fmt", "name"), ROUND_TRIP)
def test_export_then_import_loses_no_label(db: Database, tmp_path: Path, fmt: str, name: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    before = all_labels(db)
    data = exported(db, fmt)
    again = reimport(data, tmp_path, name)
    after = all_labels(again)
    if fmt in ("jsonl", "csv", "parquet"):
        assert after == before  # every chain, every label, history and times included
        assert {r.chain_id: r.verdict for r in store.iter_report_rows(again)} == {
            r.chain_id: r.verdict for r in store.iter_report_rows(db)}  # fmt: skip
    else:  # the chains the format holds come back with all their labels
        assert after and all(after[cid] == before[cid] for cid in after)
    # importing the same file again changes nothing
    path = tmp_path / name
    summary = run_import(again, path, default_rules())
    assert summary.labels_added == 0 and all_labels(again) == after


def test_bare_prm800k_keeps_the_ratings(db: Database, tmp_path: Path) -> None:
    again = reimport(exported(db, "prm800k", bare=True), tmp_path, "bare.jsonl")
    got = {}
    for item in store.iter_results_with_labels(again):
        result, labels = item
        got[result.chain.steps[1] if result.chain.steps else ""] = sorted(
            (x.annotator, x.step, x.rating) for x in labels.step_labels)  # fmt: skip
    assert got["43 + 10 = 52"] == [("ann", 0, -1), ("ann", 1, -1), ("ann", 2, 1)]  # rl-p0-s3
    assert got["42 + 10 = 53"] == [("ann", 0, 1), ("ann", 1, -1), ("ann", 2, 1)]  # base-p0-s1
    assert got["42 + 10 = 52"] == [("bob", 0, 1), ("bob", 1, 1), ("bob", 2, 1)]  # rl-p0-s0


def test_bare_processbench_maps_back(db: Database, tmp_path: Path) -> None:
    again = reimport(exported(db, "processbench", bare=True), tmp_path, "bare.json", annotator="pb")
    labels = store.labels_for(again, ["rl-p0-s3", "base-p0-s1", "rl-p0-s0"])
    assert [x.label for x in labels["rl-p0-s3"].chain_labels] == ["canceling_errors"]
    assert [x.label for x in labels["base-p0-s1"].chain_labels] == ["wrong_reasoning"]
    assert [x.label for x in labels["rl-p0-s0"].chain_labels] == ["valid"]
    assert [(x.step, x.rating, x.first_error) for x in labels["base-p0-s1"].step_labels] == [(0, 1, False), (1, -1, True)]


def test_bare_trl_keeps_good_and_bad(db: Database, tmp_path: Path) -> None:
    again = reimport(exported(db, "trl", bare=True), tmp_path, "bare.trl.jsonl", annotator="trl-set")
    ratings = sorted(sorted((x.step, x.rating) for x in labels.step_labels)
                     for _, labels in store.iter_results_with_labels(again))  # fmt: skip
    assert ratings == sorted([[(0, -1), (1, -1), (2, 1)], [(0, 1), (1, -1), (2, 1)], [(0, 1), (1, 1), (2, 1)]])


# --- the command ------------------------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_command(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "toy.jsonl")
    dbfile = tmp_path / "toy.db"
    assert run("verify", str(src), "--db", str(dbfile))[0] == ExitCode.OK
    code, out, err = run("export", str(dbfile), "--verdict", "arithmetic_slip")
    assert code == ExitCode.OK
    assert [json.loads(line)["verdict"] for line in out.splitlines()] == ["arithmetic_slip"] * 4
    assert "exported 4 of 4 chain(s) as jsonl" in err
    code, out, err = run("export", str(dbfile), "--format", "trl")
    assert code == ExitCode.OK and out == "" and "skipped 33 chain(s) without the labels trl carries" in err
    code, _, err = run("export", str(dbfile), "--format", "parquet")
    assert code == 2 and "give a file with -o" in err
    code, _, err = run("export", str(dbfile), "--resolve", "annotator")
    assert code == 2 and "unknown resolution" in err


def test_every_format_is_offered() -> None:
    code, out, _ = run("export", "--help")
    assert code == 0 and all(fmt in out for fmt in FORMATS)


def _labels_of(items: Iterable[tuple[Any, ChainLabels]]) -> int:
    return sum(len(x.chain_labels) + len(x.step_labels) for _, x in items)


def test_export_streams_large_databases(tmp_path: Path) -> None:
    """A thousand chains through a file: memory stays per batch (the writer never holds the list)."""
    db = store.open_db(tmp_path / "big.db")
    src = tmp_path / "big.jsonl"
    with open(src, "w") as f:
        f.writelines(json.dumps({"id": f"c{i}", "cot": f"{i} + 1 = {i + 1}\nThe answer is {i + 1}.",
                                "reference": str(i + 1), "model": "m"}) + "\n" for i in range(1000))  # fmt: skip
    run_import(db, src, default_rules())
    out = io.BytesIO()
    summary = export(db, out, "csv", resolution=Resolution(), batch_size=64)
    assert summary.written == 1000 and out.getvalue().count(b"\n") >= 1001
    assert _labels_of((i.chain, i.labels) for i in iter_imported(src)) == 0


def test_parquet_without_pyarrow_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    src = write_jsonl(tmp_path / "toy.jsonl")
    dbfile = tmp_path / "toy.db"
    assert run("verify", str(src), "--db", str(dbfile))[0] == ExitCode.OK
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, _, err = run("export", str(dbfile), "--format", "parquet", "-o", str(tmp_path / "x.parquet"))
    assert code == ExitCode.MISSING_DEPENDENCY and "pip install 'cot-inspector[report]'" in err
    assert run("export", str(dbfile), "--format", "csv", "-o", str(tmp_path / "x.csv"))[0] == ExitCode.OK
