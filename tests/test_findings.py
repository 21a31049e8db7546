"""``docs/findings.md``: what can drift without rerunning the whole study is checked here.

The full check (``python benchmarks/findings.py --check docs/findings.md``) verifies 8,220 chains and takes a
minute; these tests read only the chains the document depends on chain by chain: the people's readings and
the chains the authors' grader and ours grade differently. They skip cleanly without ``../shared``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from inspector import verify_chain
from inspector.formats.load import read_chains

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import findings  # noqa: E402

LABELS = ROOT / "benchmarks" / "labels"


def _records(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (LABELS / name).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def published_chains() -> dict[str, object]:
    if not findings.DATA.is_dir():
        pytest.skip("../shared/data/model-outputs/spurious-rewards-qwen2.5-math-1.5b is not here")
    chains = {}
    for path in sorted(findings.DATA.glob("*/*.json.gz")):
        for chain in read_chains(path):
            chains[chain.chain_id] = chain
    return chains


def test_every_chain_the_people_read_is_in_the_published_files(published_chains: dict[str, object]) -> None:
    read = _records("sr_suspicious.jsonl")
    assert len(read) == len({r["chain_id"] for r in read}) >= 160
    assert not [r["chain_id"] for r in read if r["chain_id"] not in published_chains]
    assert {r["label"] for r in read} <= set(findings.HUMAN_VERDICT)


def test_each_listed_grader_difference_is_still_how_the_engine_grades(published_chains: dict[str, object]) -> None:
    # the document undoes exactly these to get back the published figures: a change in the engine's answer
    # extraction or comparison that moves one of them must be read again, not silently absorbed
    moved = []
    for d in _records("sr_grader_differences.jsonl"):
        result = verify_chain(published_chains[str(d["chain_id"])])  # type: ignore[arg-type]
        if bool(result.answer_correct) != bool(d["ours"]):
            moved.append((d["chain_id"], d["ours"], result.answer_correct))
    assert moved == []


def test_each_difference_says_who_is_right_and_why() -> None:
    for d in _records("sr_grader_differences.jsonl"):
        assert d["ours"] != d["theirs"]
        assert d["right"] in ("ours", "theirs", "policy") and d["category"] and d["why"]


def test_what_a_right_answer_rests_on_prefers_the_peoples_reading() -> None:
    chain = {"verdict": "canceling_errors", "people": None}
    assert findings.basis(chain) == "suspected, not read"
    assert findings.basis({**chain, "people": "valid"}) == "sound"
    assert findings.basis({**chain, "people": "lucky_guess"}) == "landed"
    assert findings.basis({**chain, "people": "unsure"}) == "other"
    assert findings.basis({"verdict": "unchecked", "people": None}) == "unchecked"


def test_the_document_holds_both_generated_blocks_and_the_readme_links_it() -> None:
    doc = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    for marker in (findings.BEGIN, findings.END, findings.SUMMARY_BEGIN, findings.SUMMARY_END):
        assert doc.count(marker) == 1
    assert "| base | AIME-2024 |" in doc and "= published" in doc
    assert "docs/findings.md" in (ROOT / "README.md").read_text(encoding="utf-8")
