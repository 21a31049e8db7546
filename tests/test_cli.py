"""`inspect verify` as users and their scripts call it: exit codes, stdout purity, errors, the database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import inspector
from inspector.cli import ExitCode, main

ROOT = Path(__file__).resolve().parents[1]

GOOD = [
    {"id": "a", "problem": "3 + 4?", "reference": "7", "model": "m", "cot": "3 + 4 = 7\nThe answer is 7."},
    {"id": "b", "problem": "17 * 6?", "reference": "102", "model": "m", "cot": "17 * 6 = 112\nThe answer is 112."},
]


def write_jsonl(path: Path, records: list[dict[str, object]], extra: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + extra)
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_jsonl_output_is_only_json_in_input_order(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    code, out, _ = run("verify", str(src), "--no-db", "--format", "jsonl")
    assert code == ExitCode.OK
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["chain_id"], r["verdict"]) for r in records] == [("a", "valid"), ("b", "arithmetic_slip")]
    b = records[1]
    assert b["errors"] == [
        {"step": 0, "span": [9, 12], "stated": "112", "actual": "102", "rule": "inline_arithmetic",
         "message": "states 112 but the value is 102"}
    ]
    assert b["repaired_answer"] == "102" and b["answer_correct"] is False
    assert set(b["steps"][0]) == {"index", "span", "claims"}
    assert {"span", "text", "stated", "actual", "status"} <= set(b["steps"][0]["claims"][0])


def test_fail_on_exits_1(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    assert run("verify", str(src), "--no-db", "--fail-on", "lucky_guess")[0] == ExitCode.OK
    assert run("verify", str(src), "--no-db", "--fail-on", "lucky_guess,arithmetic_slip")[0] == ExitCode.FAILED_ON_VERDICT


def test_unknown_verdict_in_fail_on_is_a_usage_error(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    code, _, err = run("verify", str(src), "--no-db", "--fail-on", "lucky")
    assert code == 2 and "unknown verdict 'lucky'" in err


def test_a_bad_line_names_file_and_line_and_exits_2(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD, extra='{"cot": 3}\n{not json\n')
    code, out, err = run("verify", str(src), "--no-db", "--format", "jsonl")
    assert code == ExitCode.BAD_INPUT
    assert f"{src}:3:" in err
    assert "Traceback" not in err


def test_skip_invalid_counts_and_reports_what_it_skipped(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD, extra='{"cot": 3}\n{not json\n')
    code, out, err = run("verify", str(src), "--no-db", "--format", "jsonl", "--skip-invalid")
    assert code == ExitCode.OK
    assert len(out.splitlines()) == 2
    assert "skipped 2 unreadable line(s)" in err
    assert f"{src}:3:" in err and f"{src}:4:" in err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run("verify", str(tmp_path / "nope.jsonl"), "--no-db")
    assert code == ExitCode.BAD_INPUT and "nope.jsonl" in err


def test_bad_rules_exit_2(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    rules = tmp_path / "r.toml"
    rules.write_text('name = "x"\nsurprise = 1\n')
    code, _, err = run("verify", str(src), "--no-db", "--rules", str(rules))
    assert code == ExitCode.BAD_INPUT and "unknown key 'surprise'" in err


def test_rules_change_what_is_reported(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    text = (ROOT / "rules" / "default.toml").read_text()
    rules = tmp_path / "lenient.toml"
    rules.write_text(text.replace('[checks.inline_arithmetic]      # `a op b = c` and chains `a = b = c` written in the text (plain or LaTeX)\nenabled = true', "[checks.inline_arithmetic]\nenabled = false"))
    code, out, _ = run("verify", str(src), "--no-db", "--format", "jsonl", "--rules", str(rules))
    records = [json.loads(line) for line in out.splitlines()]
    assert records[1]["errors"] == [] and records[1]["verdict"] == "wrong_reasoning"
    assert records[1]["rules"]["hash"] != json.loads(run("verify", str(src), "--no-db", "--format", "jsonl")[1].splitlines()[1])["rules"]["hash"]


def test_database_is_written_idempotently_and_keeps_labels(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    db = tmp_path / "out.db"
    assert run("verify", str(src), "--db", str(db))[0] == ExitCode.OK
    con = sqlite3.connect(db)
    con.execute(
        "INSERT INTO chain_labels (chain_id, annotator, label, created_at) VALUES ('b', 'ann', 'arithmetic_slip', 'now')"
    )
    con.commit()
    before = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("chains", "claims", "findings")}
    assert run("verify", str(src), "--db", str(db))[0] == ExitCode.OK
    after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("chains", "claims", "findings")}
    assert before == after == {"chains": 2, "claims": 2, "findings": 1}
    assert con.execute("SELECT label FROM chain_labels").fetchall() == [("arithmetic_slip",)]
    runs = con.execute("SELECT rules_name, rules_hash, chains FROM runs").fetchall()
    assert len(runs) == 2 and runs[0][0] == "default" and runs[0][1] and runs[0][2] == 2
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # a database can be verified again, as input
    code, out, _ = run("verify", str(db), "--no-db", "--format", "jsonl")
    assert [json.loads(line)["chain_id"] for line in out.splitlines()] == ["a", "b"]


def test_workers_give_the_same_results_in_the_same_order(tmp_path: Path) -> None:
    records = [dict(r, id=f"{r['id']}{i}") for i in range(40) for r in GOOD]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    one = run("verify", str(src), "--no-db", "--format", "jsonl")[1]
    two = run("verify", str(src), "--no-db", "--format", "jsonl", "--workers", "2")[1]
    assert one == two and len(one.splitlines()) == 80


def test_a_bad_line_with_workers_exits_2_and_does_not_hang(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD * 100, extra='{"question": "q", "x": 1}\n')
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "verify", str(src), "--no-db", "--workers", "2"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == ExitCode.BAD_INPUT and f"{src}:201:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_table_summary(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    code, out, _ = run("verify", str(src), "--no-db")
    assert code == ExitCode.OK
    assert "arithmetic_slip" in out and "Most suspicious chains" in out


def test_every_command_has_help() -> None:
    for command in main.commands:
        code, out, _ = run(command, "--help")
        assert code == 0 and "Usage:" in out


def test_module_form_is_the_same_command(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", GOOD)
    out = subprocess.run(
        [sys.executable, "-m", "inspector", "verify", str(src), "--no-db", "--format", "jsonl"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    ).stdout
    assert [json.loads(line)["verdict"] for line in out.splitlines()] == ["valid", "arithmetic_slip"]


def test_public_api_is_sorted_and_importable() -> None:
    assert inspector.__all__ == sorted(inspector.__all__)
    for name in inspector.__all__:
        assert getattr(inspector, name) is not None


@pytest.mark.parametrize("text", ['name = "x"\n[checks.nope]\nenabled = true\n', '[segmentation]\nmode = "words"\n',
                                  '[checks.rewrite]\nseverity = "fatal"\n', '[tolerance]\nallow_truncation = "yes"\n',
                                  "this is = not toml ["])
def test_rule_sets_are_validated(text: str) -> None:
    from inspector.engine.rules import parse_rules
    from inspector.errors import RulesError

    with pytest.raises(RulesError):
        parse_rules(text, "r.toml")


def test_default_rules_load_and_every_check_is_configured() -> None:
    from inspector.engine.rules import CHECK_IDS, default_rules

    rules = default_rules()
    assert set(rules.checks) == set(CHECK_IDS)
    assert len(rules.hash) == 16


# --- every input format, as `inspect verify FILE --no-db` reads it (issue 11) --------------------------------

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.mark.parametrize(
    ("name", "chains"),
    [
        ("openai_chat_completions.jsonl", 3),
        ("openai_text_completions.jsonl", 1),
        ("openai_batch_output.jsonl", 2),
        ("vllm_outputs.jsonl", 2),
        ("messages.jsonl", 2),
        ("reasoning_content.jsonl", 3),
        ("mr_gsm8k.json", 2),
        ("inspect_log.json", 3),
        ("inspect_log.eval", 3),
        ("inspect_log_zstd.eval", 3),
        ("chains.jsonl.zst", 2),
        ("processbench_gsm8k.parquet", 2),
        ("gsm8k_test.parquet", 2),
        ("trl_stepwise.parquet", 2),
        ("gsm8k_test.arrow", 2),
        ("gsm8k_saved", 2),
    ],
)
def test_verify_reads_every_format(name: str, chains: int) -> None:
    code, out, err = run("verify", str(FIXTURES / name), "--no-db", "--format", "jsonl")
    assert code == ExitCode.OK, err
    assert len([json.loads(line) for line in out.splitlines()]) == chains


def test_verify_with_workers_reads_other_tools_records_the_same() -> None:
    src = str(FIXTURES / "openai_chat_completions.jsonl")
    one = run("verify", src, "--no-db", "--format", "jsonl")[1]
    assert run("verify", src, "--no-db", "--format", "jsonl", "--workers", "2")[1] == one


def test_input_format_forces_the_reader(tmp_path: Path) -> None:
    src = tmp_path / "no-suffix"
    src.write_bytes((FIXTURES / "gsm8k_test.parquet").read_bytes())
    assert run("verify", str(src), "--no-db", "--input-format", "parquet")[0] == ExitCode.OK
    code, _, err = run("verify", str(FIXTURES / "messages.jsonl"), "--no-db", "--input-format", "vllm")
    assert code == ExitCode.BAD_INPUT and "messages.jsonl:1: not a vLLM record" in err


def test_field_maps_odd_names_and_is_validated() -> None:
    src = str(FIXTURES / "odd_fields.jsonl")
    code, out, _ = run("verify", src, "--no-db", "--format", "jsonl",
                       "--field", "cot=model_response,reference=gold_answer", "--field", "id=qid")
    assert code == ExitCode.OK
    assert [(r["chain_id"], r["verdict"]) for r in map(json.loads, out.splitlines())] == [
        ("odd-1", "valid"), ("odd-2", "arithmetic_slip")]
    code, _, err = run("verify", src, "--no-db", "--field", "answer=gold_answer")
    assert code == ExitCode.BAD_INPUT and "unknown role 'answer'" in err and "--field" in err
    code, _, err = run("verify", src, "--no-db", "--field", "cot=nope")
    assert code == ExitCode.BAD_INPUT and f"{src}:1: no field 'nope' (named by --field cot=nope)" in err


def test_references_fill_in_what_the_input_lacks(tmp_path: Path) -> None:
    refs = write_jsonl(tmp_path / "refs.jsonl", [
        {"question": "Sue has 18 flamingos. She buys a third as many more. How many does she have?",
         "answer": "18 / 3 = 6\n18 + 6 = 24\n#### 24"},
        {"question": "What is 12 + 30?", "answer": "#### 42"},
    ])  # fmt: skip
    src = str(FIXTURES / "processbench_gsm8k.parquet")
    code, out, _ = run("verify", src, "--no-db", "--format", "jsonl", "--references", str(refs))
    assert code == ExitCode.OK
    assert [(r["reference"], r["verdict"]) for r in map(json.loads, out.splitlines())] == [
        ("24", "arithmetic_slip"), ("42", "valid")]  # 18 + 6 = 25 repaired reaches 24


def test_a_hub_id_offline_is_one_line_and_downloads_nothing(tmp_path: Path) -> None:
    pytest.importorskip("datasets")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-m", "inspector", "verify", "hf:openai/gsm8k:test", "--no-db"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == ExitCode.BAD_INPUT
    assert done.stderr.strip().splitlines() == [(
        "inspect: hf:openai/gsm8k:test: cannot load 'openai/gsm8k' from the Hugging Face hub (offline: "
        "HF_HUB_OFFLINE is set and it is not in the local cache): Couldn't reach 'openai/gsm8k' on the Hub "
        "(OfflineModeIsEnabled)")]
    assert not list((tmp_path / "hf").rglob("*.arrow"))


def test_a_saved_dataset_without_datasets_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # as if not installed
    code, _, err = run("verify", str(FIXTURES / "gsm8k_saved"), "--no-db")
    assert code == ExitCode.MISSING_DEPENDENCY and "pip install 'cot-inspector[hf]'" in err
