"""The bundled samples: every chain that names an expected verdict gets it, for the reason it was written for."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from inspector import ChainInput, Verdict, read_chains, verify_chain

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SAMPLE_FILES = sorted(SAMPLES.glob("*.jsonl"))


def raw_records(path: Path) -> dict[int, dict[str, Any]]:
    """Line number → the JSON object on that line (blank lines skipped), as the loader numbers them."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {n: json.loads(line) for n, line in enumerate(lines, 1) if line.strip()}


def line_of(chain: ChainInput) -> int:
    """The line a chain was read from: its ``source`` is ``FILE:LINE``."""
    assert chain.source is not None
    return int(chain.source.rsplit(":", 1)[1])


def expected_cases() -> list[Any]:
    cases = []
    for path in SAMPLE_FILES:
        raws = raw_records(path)
        for chain in read_chains(path):
            expected = raws[line_of(chain)].get("expected_verdict")
            if isinstance(expected, str):
                cases.append(pytest.param(chain, expected, id=f"{path.stem}:{chain.chain_id}"))
    return cases


CASES = expected_cases()


def test_sample_files_exist() -> None:
    names = {p.name for p in SAMPLE_FILES}
    assert {
        "verdicts.jsonl",
        "cancelling_retelling.jsonl",
        "pass_at_k.jsonl",
        "many_samples.jsonl",
        "gsm8k_format.jsonl",
    } <= names
    assert CASES, "no sample names an expected_verdict"


@pytest.mark.parametrize(("chain", "expected"), CASES)
def test_expected_verdict(chain: ChainInput, expected: str) -> None:
    result = verify_chain(chain)
    assert result.verdict.value == expected, (
        result.explanation,
        [(e.stated, e.actual) for e in result.errors],
    )


# --- what each file promises -------------------------------------------------------------------------


def test_verdicts_cover_every_verdict_twice() -> None:
    counts = Counter(r["expected_verdict"] for r in raw_records(SAMPLES / "verdicts.jsonl").values())
    assert {v.value for v in Verdict} == set(counts)
    assert min(counts.values()) >= 2


def test_pass_at_k_shape() -> None:
    records = list(raw_records(SAMPLES / "pass_at_k.jsonl").values())
    grid = Counter((r["problem_id"], r["model"]) for r in records)
    assert len({pid for pid, _ in grid}) == 4
    assert {model for _, model in grid} == {"base", "rl"}
    assert set(grid.values()) == {4}
    for r in records:
        assert 0 <= r["sample_index"] <= 3
    assert len({(r["problem_id"], r["model"], r["sample_index"]) for r in records}) == len(records) == 32


def test_verdicts_flag_the_intended_slip() -> None:
    """Spot checks that a verdict comes from the slip the sample was written around, at its step."""
    by_id = {c.chain_id: c for c in read_chains(SAMPLES / "verdicts.jsonl")}
    expected = {
        "slip-gsm-markers": [(0, "112", "102")],
        "cancel-gsm-side-remark": [(1, "16", "17")],
        "cancel-math-offsetting": [(1, "82", "92"), (2, "112", "102")],
        "lucky-gsm-tomatoes": [(1, "162", "152")],
        "valid-math-linear": [],
    }
    for chain_id, errors in expected.items():
        result = verify_chain(by_id[chain_id])
        assert [(e.step, e.stated, e.actual) for e in result.errors] == errors, chain_id


def test_cancelling_retelling_reports_exactly_the_two_slips() -> None:
    [chain] = read_chains(SAMPLES / "cancelling_retelling.jsonl")
    result = verify_chain(chain)
    assert result.verdict is Verdict.CANCELING_ERRORS
    assert [(e.stated, e.actual) for e in result.errors] == [("1924", "2024"), ("805", "905")]
    first, second = result.errors
    assert first.step < second.step  # each rewrite is on its own line
    assert chain.cot[first.span[0] : first.span[1]] == "1924"
    assert chain.cot[second.span[0] : second.span[1]] == "805"
    assert result.final_answer is not None and result.final_answer.text == "73"
    assert result.repaired_answer == "73"


def test_many_samples_agree_with_their_pred_and_score() -> None:
    path = SAMPLES / "many_samples.jsonl"
    raws = raw_records(path)
    chains = read_chains(path)
    assert len(chains) == sum(len(r["code"]) for r in raws.values())
    for chain in chains:
        record = raws[line_of(chain)]
        i = chain.sample_index
        assert i is not None
        assert chain.problem_id == str(record["idx"])
        assert chain.cot == record["code"][i]
        result = verify_chain(chain)
        assert result.final_answer is not None and result.final_answer.text == record["pred"][i]
        assert result.answer_correct is record["score"][i], chain.cot


def test_gsm8k_gold_solutions_are_valid() -> None:
    """A GSM8K record is its own reference; a correct gold solution must draw no error."""
    chains = read_chains(SAMPLES / "gsm8k_format.jsonl")
    assert len(chains) == 3
    for chain in chains:
        result = verify_chain(chain)
        assert chain.reference is not None
        assert result.errors == ()
        assert result.verdict is Verdict.VALID


def test_cli_jsonl_one_record_per_chain_in_order() -> None:
    path = SAMPLES / "verdicts.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "verify", str(path), "--no-db", "--format", "jsonl"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert all(isinstance(r, dict) for r in records)
    input_ids = [r["id"] for r in raw_records(path).values()]
    assert [r["chain_id"] for r in records] == input_ids
    expected = [r["expected_verdict"] for r in raw_records(path).values()]
    assert [r["verdict"] for r in records] == expected
