"""`inspect verify` as users and their scripts call it: exit codes, stdout purity, errors, the database."""

from __future__ import annotations

import json
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
    from inspector.errors import RulesError
    from inspector.rules import parse_rules

    with pytest.raises(RulesError):
        parse_rules(text, "r.toml")


def test_default_rules_load_and_every_check_is_configured() -> None:
    from inspector.rules import CHECK_IDS, default_rules

    rules = default_rules()
    assert set(rules.checks) == set(CHECK_IDS)
    assert len(rules.hash) == 16
