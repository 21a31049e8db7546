"""`inspect import`: the field's formats read as chains plus labels, and ProcessBench's human labels measured.

Records below are written in each project's documented layout (PRM800K's README example, ProcessBench's
fields, lm-evaluation-harness's `--log_samples` lines, TRL's stepwise supervision).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inspector import store
from inspector.cli import ExitCode, main
from inspector.engine.rules import default_rules
from inspector.errors import InputError
from inspector.formats.importers import detect_format, iter_imported, processbench_labels, read_references
from inspector.formats.ingest import run_import
from inspector.report.build import build_report

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data(path: str) -> Path:
    p = DATA / path
    if not p.exists():
        pytest.skip(f"{p} not present (real data lives in ../shared/data)")
    return p


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


# --- ProcessBench -------------------------------------------------------------------------------------------

PB = [
    {"id": "gsm8k-a", "generator": "Qwen2-7B-Instruct", "problem": "Tom has 3 bags of 4 apples. How many apples?",
     "steps": ["Each bag has 4 apples.", "3 * 4 = 12 apples.", "The answer is 12."],
     "final_answer_correct": True, "label": -1},
    {"id": "gsm8k-b", "generator": "Llama-3.1-8B-Instruct", "problem": "Tom has 3 bags of 4 apples. How many apples?",
     "steps": ["Each bag has 4 apples.", "3 * 4 = 13 apples.", "The answer is 13."],
     "final_answer_correct": False, "label": 1},
    {"id": "gsm8k-c", "generator": "Llama-3.1-8B-Instruct", "problem": "Ann has 10 pens and gives 4 away. How many?",
     "steps": ["She gives away half, so 10 / 2 = 5.", "Actually she gives 4: 10 - 4 = 6.", "The answer is 6."],
     "final_answer_correct": True, "label": 0},
]  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "label", "correct", "chain_label", "ratings"),
    [
        (3, -1, True, "valid", [(0, 1, False), (1, 1, False), (2, 1, False)]),
        (4, 2, False, "wrong_reasoning", [(0, 1, False), (1, 1, False), (2, -1, True)]),
        (4, 0, True, "canceling_errors", [(0, -1, True)]),  # an error that did not reach the answer
        (2, -1, False, "wrong_reasoning", [(0, 1, False), (1, 1, False)]),  # no wrong step, wrong answer
    ],
)
def test_processbench_label_mapping(
    steps: int, label: int, correct: bool, chain_label: str, ratings: list[tuple[int, int, bool]]
) -> None:
    got = processbench_labels("x", steps, label, correct, "pb", "2025-01-01")
    assert [x.label for x in got.chain_labels] == [chain_label]
    assert f"label={label}" in (got.chain_labels[0].note or "")
    assert [(x.step, x.rating, x.first_error) for x in got.step_labels] == ratings
    assert {x.annotator for x in got.step_labels} == {"pb"}


def test_processbench_with_references(tmp_path: Path) -> None:
    src = tmp_path / "pb.json"
    src.write_text(json.dumps(PB))
    refs = jsonl(tmp_path / "refs.jsonl", [
        {"question": "Tom has 3 bags of 4 apples.  How many apples?", "answer": "3 bags of 4: <<3*4=12>>12\n#### 12"},
        {"question": "Ann has 10 pens and gives 4 away. How many?", "answer": "#### 6"},
    ])  # fmt: skip
    assert detect_format(src) == "processbench"
    db = store.open_db(None)
    summary = run_import(db, src, default_rules(), annotator="experts", references=read_references(refs))
    assert summary.chains == 3 and summary.labels_added == (3 + 1) + (2 + 1) + (1 + 1)  # step ratings + chain label
    assert summary.verdicts == {"valid": 2, "arithmetic_slip": 1}
    rep = build_report(db)
    ag = rep.agreement
    assert ag is not None and ag.verdicts is not None and ag.first_error is not None
    # people: valid, wrong reasoning (step 1), cancelling errors (step 0); the machine: valid, slip at step 1, valid
    assert ag.verdicts.cell("valid", "valid") == 1 and ag.verdicts.cell("wrong_reasoning", "arithmetic_slip") == 1
    assert ag.verdicts.cell("canceling_errors", "valid") == 1
    fe = ag.first_error
    assert (fe.same, fe.both_none, fe.human_only) == (2, 1, 1)
    # again: nothing changes
    assert run_import(db, src, default_rules(), annotator="experts").labels_added == 0


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": "x", "steps": [], "label": -1, "final_answer_correct": True}, "non-empty list"),
        ({"id": "x", "steps": ["a"], "label": 3, "final_answer_correct": True}, "'label' must be -1 or a step index"),
        ({"id": "x", "steps": ["a"], "label": 0, "final_answer_correct": "yes"}, "final_answer_correct"),
    ],
)
def test_processbench_bad_records_name_the_record(tmp_path: Path, record: dict[str, Any], message: str) -> None:
    src = tmp_path / "pb.json"
    src.write_text(json.dumps([PB[0], record]))
    with pytest.raises(InputError) as err:
        list(iter_imported(src, fmt="processbench"))
    assert f"{src}:2:" in str(err.value) and message in str(err.value)


# --- PRM800K ------------------------------------------------------------------------------------------------
# The README's example line, shortened: two neutral steps, then a step whose alternatives were rated and
# none chosen (the labelling stopped at the first error).
PRM_FOUND_ERROR = {
    "labeler": "340d89bc-f5b7-45e9-b272-909ba68ee363", "timestamp": "2023-01-22T04:34:27.052924",
    "generation": 9, "is_quality_control_question": False, "is_initial_screening_question": False,
    "question": {
        "problem": "What is the greatest common factor of $20 !$ and $200,\\!000$?",
        "ground_truth_answer": "40,\\!000",
        "pre_generated_steps": ["..."], "pre_generated_answer": "320,000", "pre_generated_verifier_score": 0.01,
    },
    "label": {
        "steps": [
            {"completions": [{"text": "I want the largest integer dividing both.", "rating": 0, "flagged": None}],
             "human_completion": None, "chosen_completion": 0},
            {"completions": [{"text": "Factor both into primes.", "rating": 0, "flagged": None}],
             "human_completion": None, "chosen_completion": 0},
            {"completions": [{"text": "I know that $200,\\!000 = 2^5\\cdot 10^4 = 2^9\\cdot 5^4$.", "rating": -1,
                              "flagged": None},
                             {"text": "To factor $20 !$, I can use ...", "rating": 0, "flagged": False}],
             "human_completion": None, "chosen_completion": None},
        ],
        "total_time": 278270, "finish_reason": "found_error",
    },
}  # fmt: skip
PRM_SOLUTION = {
    "labeler": "aaaa", "timestamp": "2023-02-01T00:00:00", "generation": None,
    "question": {"problem": "What is $6 \\cdot 7$?", "ground_truth_answer": "42"},
    "label": {
        "steps": [
            {"completions": [{"text": "$6 \\cdot 7 = 48$", "rating": -1}], "human_completion": "$6 \\cdot 7 = 42$",
             "chosen_completion": None},
            {"completions": [{"text": "# Answer\n\n42", "rating": 1}], "human_completion": None, "chosen_completion": 0},
        ],
        "finish_reason": "solution",
    },
}  # fmt: skip


def test_prm800k(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "phase2_test.jsonl", [PRM_FOUND_ERROR, PRM_SOLUTION, dict(PRM_SOLUTION, labeler="bbbb")])
    assert detect_format(src) == "prm800k"
    items = list(iter_imported(src))
    first, second, third = items
    assert first.chain.steps == ("I want the largest integer dividing both.", "Factor both into primes.",
                                 "I know that $200,\\!000 = 2^5\\cdot 10^4 = 2^9\\cdot 5^4$.")  # fmt: skip
    assert first.chain.reference == "40,\\!000" and first.chain.model == "prm800k"
    assert [(x.step, x.rating) for x in first.labels.step_labels] == [(0, 0), (1, 0), (2, -1)]
    assert first.labels.chain_labels == ()  # found_error says nothing about the answer
    assert {x.annotator for x in first.labels.step_labels} == {"340d89bc-f5b7-45e9-b272-909ba68ee363"}
    assert second.chain.steps == ("$6 \\cdot 7 = 42$", "# Answer\n\n42")  # the labeller's own step
    assert [x.label for x in second.labels.chain_labels] == ["valid"]
    assert third.chain.chain_id == second.chain.chain_id  # one solution, two labellers
    db = store.open_db(None)
    summary = run_import(db, src, default_rules())
    assert summary.chains == 2 and summary.labels_added == 3 + 3 + 3
    rep = build_report(db)
    assert rep.agreement is not None
    raters = {r.what: r for r in rep.agreement.raters}
    assert raters["chain labels"].units == 1 and raters["chain labels"].all_agree == 1


def test_prm800k_annotator_override(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "p.jsonl", [PRM_SOLUTION])
    (item,) = iter_imported(src, annotator="openai", model="gpt-4-generator")
    assert {x.annotator for x in item.labels.step_labels} == {"openai"} and item.chain.model == "gpt-4-generator"


# --- lm-evaluation-harness ----------------------------------------------------------------------------------


def lm_eval_line(doc_id: int, flt: str, resps: list[str]) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "doc": {"question": f"Natalia sold {doc_id + 48} clips in April and half as many in May. How many?",
                "answer": "Half of 48 is <<48/2=24>>24.\n#### 72"},
        "target": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72",
        "arguments": {"gen_args_0": {"arg_0": "Question: ...", "arg_1": {"until": ["Question:"]}}},
        "resps": [resps], "filtered_resps": ["72"], "filter": flt, "metrics": ["exact_match"],
        "doc_hash": "h", "prompt_hash": "p", "target_hash": "t", "exact_match": 1.0,
    }  # fmt: skip


def test_lm_eval_samples(tmp_path: Path) -> None:
    folder = tmp_path / "Qwen__Qwen2.5-7B"
    folder.mkdir()
    (folder / "results_2025-01-01T00-00-00.json").write_text(json.dumps({"model_name": "Qwen/Qwen2.5-7B"}))
    responses = ["48 / 2 = 24. 48 + 24 = 72. The answer is 72.", "48 / 2 = 24. 48 + 24 = 62. The answer is 62."]
    src = jsonl(folder / "samples_gsm8k_cot_2025-01-01T00-00-00.123456.jsonl", [
        lm_eval_line(0, "strict-match", responses), lm_eval_line(0, "flexible-extract", responses),
        lm_eval_line(1, "strict-match", [responses[0]]),
    ])  # fmt: skip
    assert detect_format(src) == "lm-eval"
    items = list(iter_imported(src))
    assert [i.chain.chain_id for i in items] == ["gsm8k_cot:0#0", "gsm8k_cot:0#1", "gsm8k_cot:1#0"]
    assert {i.chain.model for i in items} == {"Qwen/Qwen2.5-7B"} and {i.chain.reference for i in items} == {"72"}
    assert all(i.labels.empty for i in items)
    # inspect verify reads it too
    code, out, _ = run("verify", str(src), "--no-db", "--format", "jsonl")
    assert code == ExitCode.OK
    assert [json.loads(line)["verdict"] for line in out.splitlines()] == ["valid", "arithmetic_slip", "valid"]


def test_lm_eval_without_responses_is_an_error(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "samples_x.jsonl", [dict(lm_eval_line(0, "none", []), resps=[])])
    with pytest.raises(InputError, match="no responses"):
        list(iter_imported(src, fmt="lm-eval"))


# --- TRL and detection --------------------------------------------------------------------------------------


def test_trl(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "trl.jsonl", [{"prompt": "What is 3 * 4?", "completions": ["3 * 4 = 12", "So 12."],
                                          "labels": [True, False]}])  # fmt: skip
    (item,) = iter_imported(src, annotator="ds")
    assert item.chain.steps == ("3 * 4 = 12", "So 12.") and item.chain.problem == "What is 3 * 4?"
    assert [(x.step, x.rating, x.annotator) for x in item.labels.step_labels] == [(0, 1, "ds"), (1, -1, "ds")]


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("a.jsonl", {"cot": "1 + 1 = 2"}, "chains"),
        ("a.jsonl", {"question": "q", "code": ["x"], "gt": "1"}, "chains"),
        ("a.jsonl", PRM_SOLUTION, "prm800k"),
        ("a.jsonl", {"prompt": "p", "completions": ["a"], "labels": [True]}, "trl"),
        ("a.jsonl", {"chain_id": "c", "cot": "x", "verdict": "valid"}, "inspector"),
        ("a.json", [PB[0]], "processbench"),
        ("a.csv", None, "csv"),
        ("a.parquet", None, "parquet"),
    ],
)
def test_detect_format(tmp_path: Path, name: str, content: Any, fmt: str) -> None:
    path = tmp_path / name
    path.write_text("" if content is None else json.dumps(content) + "\n")
    assert detect_format(path) == fmt


def test_verify_reads_prm800k(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "p.jsonl", [PRM_FOUND_ERROR])
    code, out, _ = run("verify", str(src), "--no-db", "--format", "jsonl")
    assert code == ExitCode.OK and json.loads(out)["chain_id"].startswith("prm800k-")


def test_import_command(tmp_path: Path) -> None:
    src = tmp_path / "pb.json"
    src.write_text(json.dumps(PB))
    db = tmp_path / "pb.db"
    code, out, err = run("import", str(src), "--annotator", "experts", "--db", str(db))
    assert code == ExitCode.OK and out == ""
    assert "imported 3 chain(s)" in err and "labels: 9 added" in err
    code, _, err = run("import", str(src), "--annotator", "experts", "--db", str(db))
    assert "labels: 0 added, 9 already there" in err
    bad = jsonl(tmp_path / "bad.jsonl", [PRM_SOLUTION, {"question": {"nope": 1}, "label": {}}])
    code, _, err = run("import", str(bad), "--db", str(db))
    assert code == ExitCode.BAD_INPUT and f"{bad}:2:" in err and "Traceback" not in err


# --- real data: ProcessBench GSM8K, human labels ------------------------------------------------------------


def test_processbench_gsm8k_agreement(tmp_path: Path) -> None:
    pb = data("processbench/gsm8k.json")
    refs = data("gsm8k/test.jsonl")
    db = store.open_db(tmp_path / "pb.db")
    summary = run_import(db, pb, default_rules(), annotator="processbench", references=read_references(refs),
                         workers=2)  # fmt: skip
    assert summary.chains == 400
    assert summary.verdicts.get("unreferenced", 0) == 0  # every problem is a GSM8K test problem
    rep = build_report(db)
    ag = rep.agreement
    assert ag is not None and ag.verdicts is not None and ag.coarse is not None and ag.first_error is not None
    people = {s.label: s.reference for s in ag.verdicts.scores}
    assert {k: v for k, v in people.items() if v} == {"valid": 193, "canceling_errors": 7, "wrong_reasoning": 200}
    assert ag.labelled_chains == 400 and ag.conflicts == 0
    # The machine checks arithmetic only: when it calls a chain valid, people almost always agree, and it
    # never reports an error in a chain people found none in; most of people's errors are not arithmetic.
    scores = {s.label: s for s in ag.verdicts.scores}
    assert (scores["valid"].precision or 0) > 0.9 and (ag.coarse.accuracy or 0) > 0.9
    fe = ag.first_error
    assert fe.chains == 400 and fe.machine_only == 0 and fe.both_none == 193
    assert fe.human_only > 150  # logical errors the arithmetic check cannot see


# --- malformed records: each its own FILE:LINE error, before anything is written ---------------------------
def _prm(steps: Any) -> dict[str, Any]:
    return dict(PRM_SOLUTION, label={"steps": steps, "finish_reason": "solution"})


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (_prm("steps"), "label.steps is not a list"),
        (_prm(["a step"]), "step 0 is not an object"),
        (_prm([{"completions": [{"text": "x", "rating": 1}], "chosen_completion": 5}]),
         "chosen_completion 5 is not one of its 1 completions"),
        (_prm([{"completions": [{"text": "x", "rating": 1}], "chosen_completion": "0"}]), "chosen_completion '0'"),
        (_prm([{"completions": [{"rating": 1}], "chosen_completion": 0}]), "has no 'text' string"),
        (_prm([{"completions": [{"text": "x", "rating": 99}], "chosen_completion": 0}]), "rating 99"),
        (_prm([{"completions": "x", "chosen_completion": 0}]), "'completions' is not a list"),
        (_prm([{"completions": [], "human_completion": {"rating": 1}}]), "human completion has no 'text'"),
    ],
)
def test_prm800k_malformed_records_name_the_line(tmp_path: Path, record: dict[str, Any], message: str) -> None:
    src = jsonl(tmp_path / "prm.jsonl", [PRM_SOLUTION, record])
    db = tmp_path / "prm.db"
    code, _, err = run("import", str(src), "--db", str(db))
    assert code == ExitCode.BAD_INPUT and f"{src}:2: not a PRM800K record: " in err and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ({"annotator": "ann", "label": "totally_fine", "created_at": "t"}, "unknown chain label 'totally_fine'"),
        ({"annotator": None, "label": "valid", "created_at": "t"}, "a label without an annotator's name"),
        ({"annotator": " ", "label": "valid", "created_at": "t"}, "a label without an annotator's name"),
    ],
)
def test_imported_labels_are_checked(tmp_path: Path, label: dict[str, Any], message: str) -> None:
    record = {"chain_id": "c", "cot": "2 + 2 = 4", "verdict": "valid", "labels": [label]}  # as export writes
    src = jsonl(tmp_path / "labels.jsonl", [record])
    code, _, err = run("import", str(src), "--db", str(tmp_path / "l.db"))
    assert code == ExitCode.BAD_INPUT and f"{src}:1:" in err and message in err


def test_a_parquet_file_of_random_bytes_is_named(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    src = tmp_path / "random.parquet"
    src.write_bytes(bytes(range(256)) * 40)
    code, _, err = run("import", str(src), "--db", str(tmp_path / "p.db"))
    assert code == ExitCode.BAD_INPUT and f"{src}: not a readable parquet file" in err and "Traceback" not in err


def test_one_processbench_id_for_two_texts_is_an_error(tmp_path: Path) -> None:
    other = dict(PB[1], id=PB[0]["id"])
    src = tmp_path / "pb.json"
    src.write_text(json.dumps([PB[0], other]))
    code, _, err = run("import", str(src), "--db", str(tmp_path / "pb.db"))
    assert code == ExitCode.BAD_INPUT
    assert f"{src}:2: chain id {PB[0]['id']!r} is already used by {src}:1 for another text" in err


def test_a_parquet_file_not_of_ours_is_read_by_its_fields() -> None:
    pytest.importorskip("pyarrow")
    published = Path(__file__).resolve().parent / "fixtures" / "processbench_gsm8k.parquet"
    assert detect_format(published) == "chains"  # ProcessBench as on the hub: not an `inspect export` file
    assert [i.chain.chain_id for i in iter_imported(published)] == ["gsm8k-0", "gsm8k-1"]
