"""`inspect export`: every format, the filters, resolution conflicts, export → import losing no label, and each
export loaded by the library its users load it with (datasets, pandas, pyarrow; TRL's and PRM800K's conventions,
quoted from their sources)."""

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
from inspector.engine.rules import default_rules
from inspector.errors import InspectorError
from inspector.formats.export import FORMATS, export
from inspector.formats.importers import iter_imported
from inspector.formats.ingest import run_import
from inspector.labels.labelset import ChainLabels, Resolution, StepLabel, parse_resolution


@pytest.fixture
def db() -> Database:
    return build(store.open_db(None))


NEUTRAL = {"rl-p1-s0": [0, 1, 1], "base-p1-s1": [1, -1, 0]}
"""Two more labellings, by cat, with neutral steps: a first step that is fine but makes no progress (as in
PRM800K's own example), and a neutral step after the error."""


@pytest.fixture
def neutral_db(db: Database) -> Database:
    at = "2025-03-04T10:00:00+00:00"
    store.add_labels(db, [ChainLabels((), tuple(StepLabel(cid, i, "cat", r, at) for i, r in enumerate(ratings)))
                          for cid, ratings in NEUTRAL.items()])  # fmt: skip
    return db


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


# openai/prm800k, README.md ("Data": one annotated line; every key, values abridged):
#   {"labeler": "340d89bc-f5b7-45e9-b272-909ba68ee363", "timestamp": "2023-01-22T04:34:27.052924",
#    "generation": 9, "is_quality_control_question": false, "is_initial_screening_question": false,
#    "question": {"problem": "What is the greatest common factor of $20 !$ and $200,\\!000$? ...",
#                 "ground_truth_solution": "The prime factorization ...", "ground_truth_answer": "40,\\!000",
#                 "pre_generated_steps": ["I want to find ...", ... 16 steps],
#                 "pre_generated_answer": "320,000", "pre_generated_verifier_score": 0.010779580529581414},
#    "label": {"steps": [
#        {"completions": [{"text": "I want to find ...", "rating": 0, "flagged": null}],
#         "human_completion": null, "chosen_completion": 0},
#        {"completions": [{"text": "One way to do this ...", "rating": 0, "flagged": null}],
#         "human_completion": null, "chosen_completion": 0},
#        {"completions": [{"text": "I know that $200,\\!000 = ...$.", "rating": -1, "flagged": null}, ...4 more],
#         "human_completion": null, "chosen_completion": null}],
#     "total_time": 278270, "finish_reason": "found_error"}}
# and of the fields: "chosen_completion": "The index of the completion "chosen" at this step, or null if the
# human_completion was used"; "found_error": "In phase 2 we stop labeling a solution after the first error is
# found." The labelling above ends at its third step, the first rated -1, while the solution has 16 steps.
PRM800K_README_LINE: dict[str, Any] = {
    "labeler": "340d89bc-f5b7-45e9-b272-909ba68ee363", "timestamp": "2023-01-22T04:34:27.052924",
    "generation": 9, "is_quality_control_question": False, "is_initial_screening_question": False,
    "question": {"problem": "p", "ground_truth_solution": "s", "ground_truth_answer": "40,\\!000",
                 "pre_generated_steps": ["a", "b", "c"], "pre_generated_answer": "320,000",
                 "pre_generated_verifier_score": 0.010779580529581414},
    "label": {"steps": [
        {"completions": [{"text": "a", "rating": 0, "flagged": None}], "human_completion": None, "chosen_completion": 0},
        {"completions": [{"text": "b", "rating": -1, "flagged": None}], "human_completion": None,
         "chosen_completion": None},
    ], "total_time": 278270, "finish_reason": "found_error"},
}  # fmt: skip


def keys(value: Any) -> Any:
    """The shape of a JSON value: its keys at every depth (a list by its first element)."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return None


def test_prm800k_has_prm800k_fields_at_every_depth(db: Database) -> None:
    records = lines(exported(db, "prm800k", bare=True))
    assert len(records) == 3  # the chains with step ratings
    assert all(keys(r) == keys(PRM800K_README_LINE) for r in records)


def test_prm800k_labelling_ends_at_the_first_wrong_step(db: Database) -> None:
    records = lines(exported(db, "prm800k", bare=True))
    r = next(r for r in records if r["labeler"] == "ann" and r["label"]["steps"][0]["completions"][0]["rating"] == -1)
    assert r["question"]["problem"] == "What is 17 + 25 + 10?" and r["question"]["ground_truth_answer"] == "52"
    assert r["question"]["pre_generated_steps"] == ["17 + 25 = 43", "43 + 10 = 52", "The answer is 52."]
    # ann rated [-1, -1, +1]; PRM800K's labelling stops at the first -1, which nothing was chosen after
    assert [(s["completions"][0]["rating"], s["chosen_completion"]) for s in r["label"]["steps"]] == [(-1, None)]
    assert r["label"]["finish_reason"] == "found_error"
    got = {tuple(s["completions"][0]["text"] for s in r["label"]["steps"]):
           [(s["completions"][0]["rating"], s["chosen_completion"]) for s in r["label"]["steps"]] for r in records}  # fmt: skip
    assert got == {
        ("17 + 25 = 43",): [(-1, None)],  # rl-p0-s3
        ("17 + 25 = 42", "42 + 10 = 53"): [(1, 0), (-1, None)],  # base-p0-s1: [+1, -1, +1]
        ("17 + 25 = 42", "42 + 10 = 52", "The answer is 52."): [(1, 0), (1, 0), (1, 0)],  # rl-p0-s0
    }
    assert sorted(r["label"]["finish_reason"] for r in records) == ["found_error", "found_error", "solution"]


def test_prm800k_keeps_neutral_steps_and_what_follows_them(neutral_db: Database) -> None:
    records = {r["inspector"]["chain_id"]: r for r in lines(exported(neutral_db, "prm800k"))}
    steps = {cid: [(s["completions"][0]["rating"], s["chosen_completion"]) for s in records[cid]["label"]["steps"]]
             for cid in NEUTRAL}  # fmt: skip
    assert steps == {"rl-p1-s0": [(0, 0), (1, 0), (1, 0)], "base-p1-s1": [(1, 0), (-1, None)]}
    assert [records[c]["label"]["finish_reason"] for c in NEUTRAL] == ["solution", "found_error"]
    # the rating after the error, which PRM800K's layout has no place for, stays in the inspector object
    assert ("cat", 2, 0) in {(x["annotator"], x["step"], x["rating"]) for x in records["base-p1-s1"]["inspector"]["step_labels"]}


def test_processbench_layout(db: Database) -> None:
    records = json.loads(exported(db, "processbench", bare=True))  # a JSON list, as ProcessBench ships
    got = {r["id"]: (r["label"], r["final_answer_correct"]) for r in records}
    assert got == {"rl-p0-s3": (0, True), "base-p0-s1": (1, False), "rl-p0-s0": (-1, True)}
    assert set(records[0]) == {"id", "generator", "problem", "steps", "final_answer_correct", "label"}


# TRL, docs/source/dataset_formats.md, "Stepwise supervision" (standard format):
#   {"prompt": "Which number is larger, 9.8 or 9.11?",
#    "completions": ["The fractional part of 9.8 is 0.8.", "The fractional part of 9.11 is 0.11.",
#                    "0.11 is greater than 0.8.", "Hence, 9.11 > 9.8."],
#    "labels": [True, True, False, False]}
# (steps after a False keep their own labels), and TRL's PRM trainer turned each label into a token label
# with `labels = [int(label) for label in features["labels"]]` (trl/trainer/prm_trainer.py, tokenize_row).


def test_trl_layout(db: Database) -> None:
    records = lines(exported(db, "trl", bare=True))
    got = sorted(r["labels"] for r in records)
    assert got == sorted([[False, False, True], [True, False, True], [True, True, True]])
    assert all(set(r) == {"prompt", "completions", "labels"} and r["prompt"].startswith("What is") for r in records)
    assert all(type(x) is bool for r in records for x in r["labels"])  # int(label) is 0 or 1, as TRL wants


def test_trl_labels_only_good_steps_true_as_trl_does(neutral_db: Database) -> None:
    """Neutral is false: TRL's examples/datasets/prm800k.py sets ``label = completion["rating"] == 1``."""
    records = {r["inspector"]["chain_id"]: r for r in lines(exported(neutral_db, "trl"))}
    assert records["rl-p1-s0"]["labels"] == [False, True, True]  # ratings 0, +1, +1
    assert records["base-p1-s1"]["labels"] == [True, False, False]  # ratings +1, -1, 0
    # ours keep the ratings themselves, neutral apart from wrong
    assert records["rl-p1-s0"]["inspector"]["step_ratings"] == [0, 1, 1]
    assert records["base-p1-s1"]["inspector"]["step_ratings"] == [1, -1, 0]


def trl_from_prm800k(example: dict[str, Any]) -> list[dict[str, Any]]:
    """What TRL makes of one PRM800K line: examples/datasets/prm800k.py, ``process_example``, whose rules are

        for completion_idx, completion in enumerate(step["completions"]):
            if completion_idx != step["chosen_completion"]:      # a terminal state: one record
                label = completion["rating"] == 1
        if step["chosen_completion"] is not None:
            label = chosen_completion["rating"] == 1
        elif step["human_completion"] is not None:
            label = True
        else:
            break
        ...
        # Last step: we are in a terminal state, so we can add it to the list of outputs
    """
    outputs, completions, labels = [], [], []
    for step in example["label"]["steps"]:
        if step["completions"] is None and step["human_completion"] is None and step["chosen_completion"] is None:
            break
        for i, completion in enumerate(step["completions"]):
            if i != step["chosen_completion"]:
                outputs.append({"completions": [*completions, completion["text"]],
                                "labels": [*labels, completion["rating"] == 1]})  # fmt: skip
        if step["chosen_completion"] is not None:
            chosen = step["completions"][step["chosen_completion"]]
            completions, labels = [*completions, chosen["text"]], [*labels, chosen["rating"] == 1]
        elif step["human_completion"] is not None:
            completions, labels = [*completions, step["human_completion"]["text"]], [*labels, True]
        else:
            break
    outputs.append({"completions": completions, "labels": labels})
    return outputs


def test_trl_agrees_with_trls_own_conversion_of_our_prm800k(neutral_db: Database, tmp_path: Path) -> None:
    """Our PRM800K export, loaded as TRL's script loads PRM800K (``load_dataset("json", data_files=...)``) and
    converted by its rules, gives exactly our TRL records, cut where PRM800K's labelling ends."""
    datasets = pytest.importorskip("datasets")
    path = tmp_path / "prm800k.jsonl"
    path.write_bytes(exported(neutral_db, "prm800k", bare=True))
    prm = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    ours = lines(exported(neutral_db, "trl", bare=True))
    assert len(prm) == len(ours) == 5  # the same chains, in the same order
    for example, record in zip(prm, ours, strict=True):
        assert example["question"]["problem"] == record["prompt"]
        for converted in trl_from_prm800k(example):
            n = len(converted["completions"])
            assert converted == {"completions": record["completions"][:n], "labels": record["labels"][:n]}

    # and the script's own call runs on it: dataset.map(process_batch, batched=True, batch_size=10,
    # remove_columns=[the seven PRM800K columns]) (a non-bare export's "inspector" column is not among them)
    def process_batch(examples: dict[str, list[Any]]) -> dict[str, list[Any]]:
        rows = [{k: v[i] for k, v in examples.items()} for i in range(len(examples["label"]))]
        out = [{"prompt": r["question"]["problem"], **x} for r in rows for x in trl_from_prm800k(r)]
        return {k: [x[k] for x in out] for k in out[0]}

    trl = prm.map(process_batch, batched=True, batch_size=10, remove_columns=[
        "labeler", "timestamp", "generation", "is_quality_control_question", "is_initial_screening_question",
        "question", "label"])  # fmt: skip
    assert trl.column_names == ["prompt", "completions", "labels"]
    assert trl.features["labels"] == datasets.List(datasets.Value("bool"))


def test_resolution_chooses_the_exported_label(db: Database) -> None:
    latest = {r["chain_id"]: r["human"]["label"] for r in lines(exported(db, "jsonl", labelled_only=True))}
    ann = {r["chain_id"]: r["human"]["label"]
           for r in lines(exported(db, "jsonl", labelled_only=True, resolution=parse_resolution("annotator=ann")))}  # fmt: skip
    assert latest["base-p0-s1"] == "arithmetic_slip" and ann["base-p0-s1"] == "wrong_reasoning"
    # bob rated the steps of rl-p0-s0 only; his chain labels elsewhere don't say where the first error is
    records = json.loads(exported(db, "processbench", resolution=parse_resolution("annotator=bob")))
    assert [(r["id"], r["label"], r["final_answer_correct"]) for r in records] == [("rl-p0-s0", -1, True)]


# --- the libraries people load exports with -------------------------------------------------------------------


def written(db: Database, tmp_path: Path, fmt: str, name: str, **kw: Any) -> Path:
    path = tmp_path / name
    export(db, path, fmt, **kw)
    return path


def test_pandas_reads_jsonl_csv_parquet(db: Database, tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    for fmt in ("jsonl", "csv", "parquet"):
        path = written(db, tmp_path, fmt, f"out.{fmt}")
        frame = {"jsonl": lambda p: pd.read_json(p, lines=True), "csv": pd.read_csv, "parquet": pd.read_parquet}[fmt](path)
        assert len(frame) == 33, fmt
        row = frame[frame["chain_id"] == "base-p1-s0"].iloc[0]
        assert row["verdict"] == "valid", fmt
        if fmt != "jsonl":
            assert row["human_label"] == "lucky_guess", fmt
            assert bool(frame[frame["chain_id"] == "base-p0-s1"].iloc[0]["label_conflict"]) is True
        if fmt == "csv":
            assert len(json.loads(row["labels_json"])) == 3  # JSON text: all CSV can hold
    frame = pd.read_parquet(tmp_path / "out.parquet")
    row = frame[frame["chain_id"] == "base-p1-s0"].iloc[0]
    assert [x["label"] for x in row["labels"]] == ["valid", "lucky_guess", "lucky_guess"]  # parquet: nested, typed
    assert "labels_json" not in frame.columns


def test_parquet_labels_are_nested_columns(db: Database, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    table = pq.read_table(written(db, tmp_path, "parquet", "out.parquet"))
    assert table.schema.field("step_labels").type == pa.list_(pa.struct([
        ("step", pa.int64()), ("annotator", pa.string()), ("rating", pa.int64()), ("first_error", pa.bool_()),
        ("created_at", pa.string()), ("superseded_at", pa.string())]))  # fmt: skip
    assert table.schema.field("input_steps").type == pa.list_(pa.string())
    rows = {r["chain_id"]: r for r in table.to_pylist()}
    assert [(x["step"], x["rating"], x["first_error"]) for x in rows["rl-p0-s3"]["step_labels"]] == [
        (0, -1, True), (1, -1, False), (2, 1, False)]  # fmt: skip
    assert rows["base-p0-s0"]["labels"] == [] and rows["base-p0-s0"]["input_steps"] is None


def test_datasets_reads_parquet_csv_jsonl(db: Database, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    cache = str(tmp_path / "cache")
    ds = datasets.Dataset.from_parquet(str(written(db, tmp_path, "parquet", "out.parquet")), cache_dir=cache)
    assert ds.features["labels"] == datasets.List({
        "annotator": datasets.Value("string"), "label": datasets.Value("string"), "note": datasets.Value("string"),
        "created_at": datasets.Value("string"), "superseded_at": datasets.Value("string"),
        "machine_verdict": datasets.Value("string")})  # fmt: skip
    row = ds[[r == "rl-p0-s3" for r in ds["chain_id"]].index(True)]
    assert [x["rating"] for x in row["step_labels"]] == [-1, -1, 1] and row["verdict"] == "canceling_errors"
    assert len(datasets.Dataset.from_csv(str(written(db, tmp_path, "csv", "out.csv")), cache_dir=cache)) == 33
    assert len(datasets.Dataset.from_json(str(written(db, tmp_path, "jsonl", "out.jsonl")), cache_dir=cache)) == 33


@pytest.mark.parametrize("bare", [True, False])
def test_datasets_reads_the_fields_formats(db: Database, tmp_path: Path, bare: bool) -> None:
    """As their users load them: ``load_dataset("json", data_files=...)`` (TRL's PRM800K script does exactly that)."""
    datasets = pytest.importorskip("datasets")

    def load(fmt: str, name: str) -> Any:
        path = written(db, tmp_path, fmt, name, bare=bare)
        return datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))

    trl = load("trl", "out.trl.jsonl")
    assert trl.features["labels"] == datasets.List(datasets.Value("bool"))
    assert trl.features["completions"] == datasets.List(datasets.Value("string"))
    assert ("inspector" in trl.column_names) is not bare
    from trl.data_utils import is_conversational  # TRL's own test of a record's format: ours is "standard"

    assert not any(is_conversational(r) for r in trl)
    prm = load("prm800k", "out.prm800k.jsonl")
    assert prm.features["label"]["steps"].feature["completions"].feature["rating"] == datasets.Value("int64")
    ends = {r["label"]["finish_reason"]: r["label"]["steps"][-1]["chosen_completion"] for r in prm}
    assert ends == {"found_error": None, "solution": 0}  # null survives the loader where the first -1 ends it
    assert len(load("processbench", "out.processbench.json")) == 3  # a JSON list


# --- hf: a folder datasets.load_from_disk opens, with its card ------------------------------------------------


def test_hf_folder_opens_with_load_from_disk(db: Database, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "chains.hf"
    summary = export(db, folder, "hf", command="inspect export toy.db --format hf -o chains.hf")
    assert (summary.chains, summary.written, summary.conflicts) == (33, 33, 1)
    ds = datasets.load_from_disk(str(folder))
    assert len(ds) == 33 and ds.column_names == datasets.Dataset.from_parquet(
        str(written(db, tmp_path, "parquet", "out.parquet")), cache_dir=str(tmp_path / "cache")).column_names
    rows = {r["chain_id"]: r for r in ds}
    assert [(x["annotator"], x["label"]) for x in rows["base-p1-s0"]["labels"]] == [
        ("ann", "valid"), ("ann", "lucky_guess"), ("bob", "lucky_guess")]  # fmt: skip
    assert rows["base-p0-s1"]["label_conflict"] is True and rows["base-p0-s1"]["human_label"] == "arithmetic_slip"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "data-00000-of-00001.arrow", "dataset_info.json", "state.json"]  # fmt: skip


def test_hf_card_says_what_each_field_is_and_how_many(db: Database, tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    folder = tmp_path / "chains.hf"
    export(db, folder, "hf", command="inspect export toy.db --format hf -o chains.hf")
    card = (folder / "README.md").read_text()
    assert card.startswith("---\npretty_name: ") and "- n<1K" in card  # the hub's metadata header
    assert "| `step_labels` | `list<item: struct<step: int64, annotator: string, rating: int64," in card
    assert "rating (-1 wrong, 0 neutral, +1 good, as PRM800K)" in card
    assert "| model | valid | canceling_errors | lucky_guess | arithmetic_slip | wrong_reasoning | total |" in card
    assert "| base | 4 | 0 | 0 | 4 | 8 | 16 |" in card and "| rl | 9 | 3 | 0 | 0 | 4 | 16 |" in card
    assert "| other | 0 | 0 | 1 | 0 | 0 | 1 |" in card
    assert "arithmetic_slip 1, canceling_errors 1, lucky_guess 1, valid 1. Chains with step ratings: 3." in card
    assert "with `inspect export toy.db --format hf -o chains.hf`." in card
    assert "human labels resolved by latest" in card


def test_hf_streams_in_batches_and_holds_no_list(tmp_path: Path) -> None:
    """Rows go through a generator into datasets' Arrow writer; a selection with no chain is an empty dataset."""
    datasets = pytest.importorskip("datasets")
    db = big_db(tmp_path, 1200)
    assert export(db, tmp_path / "big.hf", "hf").written == 1200
    assert len(datasets.load_from_disk(str(tmp_path / "big.hf"))) == 1200
    assert export(db, tmp_path / "none.hf", "hf", models=["nobody"]).written == 0
    assert len(datasets.load_from_disk(str(tmp_path / "none.hf"))) == 0


def test_hf_replaces_an_earlier_export_and_nothing_else(db: Database, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "chains.hf"
    export(db, folder, "hf")
    datasets.load_from_disk(str(folder)).filter(lambda r: r["model"] == "rl")  # leaves a cache-*.arrow beside it
    export(db, folder, "hf", models=["other"])
    assert len(datasets.load_from_disk(str(folder))) == 1
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    with pytest.raises(InspectorError, match=r"mine: exists and is not an earlier export"):
        export(db, mine, "hf")
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    with pytest.raises(ValueError, match="hf writes a folder"):
        export(db, io.BytesIO(), "hf")


def test_hf_that_fails_halfway_leaves_nothing(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Our own error comes out as itself (datasets wraps what its generator raises), and no folder is left."""
    pytest.importorskip("datasets")
    from inspector.errors import StoreError
    from inspector.formats import export_hf as export_module

    real, calls = export_module.flat_row, []

    def failing(*args: Any, **kw: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 5:
            raise StoreError("toy.db: the disk went away")
        return real(*args, **kw)

    monkeypatch.setattr(export_module, "flat_row", failing)
    with pytest.raises(StoreError, match="the disk went away"):
        export(db, tmp_path / "chains.hf", "hf")
    assert list(tmp_path.iterdir()) == []


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


def test_bare_prm800k_keeps_the_ratings_up_to_the_first_error(db: Database, tmp_path: Path) -> None:
    """What a PRM800K file holds comes back: each labelling up to its first −1 (the rest is not in the layout)."""
    again = reimport(exported(db, "prm800k", bare=True), tmp_path, "bare.jsonl")
    got = {}
    for result, labels in store.iter_results_with_labels(again):
        got[result.chain.steps] = sorted((x.annotator, x.step, x.rating) for x in labels.step_labels)
    assert got == {
        ("17 + 25 = 43",): [("ann", 0, -1)],  # rl-p0-s3
        ("17 + 25 = 42", "42 + 10 = 53"): [("ann", 0, 1), ("ann", 1, -1)],  # base-p0-s1
        ("17 + 25 = 42", "42 + 10 = 52", "The answer is 52."): [("bob", 0, 1), ("bob", 1, 1), ("bob", 2, 1)],  # rl-p0-s0
    }


def test_parquet_import_reads_nested_and_json_text_labels(db: Database, tmp_path: Path) -> None:
    """Our parquet exports import, nested (now) or with the labels as JSON text (before they were nested)."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    before = all_labels(db)
    path = written(db, tmp_path, "parquet", "nested.parquet")
    assert all_labels(reimport(path.read_bytes(), tmp_path, "nested.parquet")) == before
    # an older export: the csv's columns, labels as JSON strings
    import csv

    rows = list(csv.DictReader(io.StringIO(exported(db, "csv").decode())))
    types = {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_()}
    from inspector.formats.export import FLAT_COLUMNS

    def typed(value: str, kind: str) -> Any:
        return None if value == "" else int(value) if kind == "int" else value == "true" if kind == "bool" else value

    old = pa.Table.from_pylist([{n: typed(r[n], k) for n, k in FLAT_COLUMNS} for r in rows],
                               schema=pa.schema([(n, types[k]) for n, k in FLAT_COLUMNS]))  # fmt: skip
    pq.write_table(old, tmp_path / "old.parquet")
    assert all_labels(reimport((tmp_path / "old.parquet").read_bytes(), tmp_path, "old.parquet")) == before


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


def test_export_command_writes_an_hf_folder(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    src = write_jsonl(tmp_path / "toy.jsonl")
    dbfile = tmp_path / "toy.db"
    assert run("verify", str(src), "--db", str(dbfile))[0] == ExitCode.OK
    folder = tmp_path / "out.hf"
    code, out, err = run("export", str(dbfile), "--format", "hf", "-o", str(folder), "--verdict", "valid")
    assert code == ExitCode.OK and out == "" and f"exported 13 of 13 chain(s) as hf to {folder}" in err
    card = (folder / "README.md").read_text()
    assert f"`inspect export {dbfile} --format hf -o {folder} --resolve latest --verdict=valid`" in card
    code, _, err = run("export", str(dbfile), "--format", "hf")
    assert code == 2 and "hf writes a folder: give one with -o" in err


@pytest.mark.parametrize("fmt", ["jsonl", "hf"])
def test_export_command_names_an_output_it_cannot_write(tmp_path: Path, fmt: str) -> None:
    if fmt == "hf":
        pytest.importorskip("datasets")
    src = write_jsonl(tmp_path / "toy.jsonl")
    dbfile = tmp_path / "toy.db"
    assert run("verify", str(src), "--db", str(dbfile))[0] == ExitCode.OK
    target = tmp_path / "missing" / "out"
    # the file system refusing is an environment failure (exit 5, one line), as for every command
    code, _, err = run("export", str(dbfile), "--format", fmt, "-o", str(target))
    assert code == ExitCode.ENVIRONMENT and err.count("\n") == 1 and "missing" in err and "Traceback" not in err
    code, _, err = run("export", str(dbfile), "-o", str(tmp_path))  # a folder where a file goes
    assert code == ExitCode.ENVIRONMENT and str(tmp_path) in err and "Traceback" not in err


def test_every_format_is_offered() -> None:
    code, out, _ = run("export", "--help")
    assert code == 0 and all(fmt in out for fmt in FORMATS)


def _labels_of(items: Iterable[tuple[Any, ChainLabels]]) -> int:
    return sum(len(x.chain_labels) + len(x.step_labels) for _, x in items)


def big_db(tmp_path: Path, n: int) -> Database:
    db = store.open_db(tmp_path / "big.db")
    src = tmp_path / "big.jsonl"
    with open(src, "w") as f:
        f.writelines(json.dumps({"id": f"c{i}", "cot": f"{i} + 1 = {i + 1}\nThe answer is {i + 1}.",
                                "reference": str(i + 1), "model": "m"}) + "\n" for i in range(n))  # fmt: skip
    run_import(db, src, default_rules())
    assert _labels_of((i.chain, i.labels) for i in iter_imported(src)) == 0
    return db


def test_export_streams_large_databases(tmp_path: Path) -> None:
    """A thousand chains through a file: memory stays per batch (the writer never holds the list)."""
    db = big_db(tmp_path, 1000)
    out = io.BytesIO()
    summary = export(db, out, "csv", resolution=Resolution(), batch_size=64)
    assert summary.written == 1000 and out.getvalue().count(b"\n") >= 1001


def test_parquet_without_pyarrow_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    src = write_jsonl(tmp_path / "toy.jsonl")
    dbfile = tmp_path / "toy.db"
    assert run("verify", str(src), "--db", str(dbfile))[0] == ExitCode.OK
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    code, _, err = run("export", str(dbfile), "--format", "parquet", "-o", str(tmp_path / "x.parquet"))
    assert code == ExitCode.MISSING_DEPENDENCY and "pip install 'cot-inspector[report]'" in err
    assert run("export", str(dbfile), "--format", "csv", "-o", str(tmp_path / "x.csv"))[0] == ExitCode.OK
