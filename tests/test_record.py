"""The JSONL record (``engine/record.py``): its fields in their contract order, and the line ``inspect verify``
writes is ``json.dumps`` of it, byte for byte."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from inspector import ChainInput, verify_chain
from inspector.engine.record import result_json

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

FIELDS = [
    "chain_id", "problem_id", "model", "sample_index", "final_answer", "final_answer_method", "reference",
    "answer_correct", "verdict", "explanation", "repaired_answer", "repaired_correct", "errors", "findings", "steps",
    "flows", "rules", "coverage",
]


def _results() -> list:
    out = []
    for path in sorted(SAMPLES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            cot = row.get("cot") or row.get("completion")
            if isinstance(cot, str):
                out.append(verify_chain(ChainInput(str(row.get("id", len(out))), cot, reference=row.get("reference"),
                                                   problem_set=row.get("problem_set"))))
    return out


def test_record_fields_in_contract_order() -> None:
    results = _results()
    assert len(results) > 10
    for result in results:
        keys = list(result.to_json())
        assert [k for k in keys if k != "problem_set"] == FIELDS
    paper = verify_chain(ChainInput("paper", "195+367+562+900 = 1924\n-437 - 2*234 = -805\n1924 + (-805) = 1119",
                                    reference="1119"))
    record = paper.to_json()
    assert [e["stated"] for e in record["errors"]] == ["1924", "-805"]
    assert record["steps"][0]["claims"][0]["status"] == "wrong" and record["steps"][0]["span"] == [0, 22]


def test_the_line_written_is_json_dumps_of_the_record() -> None:
    for result in _results():
        assert result_json(result) == json.dumps(result.to_json(), ensure_ascii=False)


def test_the_line_written_is_json_dumps_of_the_record_on_real_chains() -> None:
    """Real records (unicode, quotes, backslashes, every finding kind) where ``../shared/data`` is present: one
    chain in ten of every source."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import real_sources  # (the benchmarks' loaders, on the path only for this test)

    if not real_sources.available():
        pytest.skip("../shared/data/model-outputs is not here")
    seen = 0
    for source in real_sources.all_sources().values():
        for k, chain in enumerate(source):
            if k % 10:
                continue
            result = verify_chain(ChainInput(chain.chain_id, chain.text, reference=chain.reference))
            assert result_json(result) == json.dumps(result.to_json(), ensure_ascii=False), chain.chain_id
            seen += 1
    assert seen > 1000


def test_steps_built_field_by_field_are_the_dataclass() -> None:
    """``pipeline._step`` sets a ``Step``'s fields without its ``__init__``: it must set every field, and be what the
    dataclass makes (equal, hashed alike, frozen)."""
    import dataclasses

    from inspector.engine.model import Step
    from inspector.engine.pipeline import _step

    assert [f.name for f in dataclasses.fields(Step)] == ["index", "span", "claims"]
    paper = verify_chain(ChainInput("paper", "195+367+562+900 = 1924\n-437 - 2*234 = -805", reference="1119"))
    claims = paper.steps[0].claims
    made = _step(0, (0, 22), claims)
    assert made == Step(0, (0, 22), claims) and hash(made) == hash(Step(0, (0, 22), claims))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.index = 1  # type: ignore[misc]
