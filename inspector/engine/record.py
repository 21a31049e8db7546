"""A result as the public JSONL record (``ChainResult.to_json``): built here, where the engine's build compiles it.

Every record ``inspect verify --format jsonl`` writes, every row a worker sends back, starts here, and as
Python this took 0.2 ms a chain on the Spurious Rewards set (sixty steps, each a small dict): an eighth of what
verifying the chain took. The fields are a contract: they may be added to, never renamed; their order is the
order they are written in.
"""

from __future__ import annotations

import json
from typing import Any, Final

from .model import ChainResult, Finding, Severity


def finding_record(f: Finding) -> dict[str, Any]:
    return {"step": f.step, "span": [f.span[0], f.span[1]], "stated": f.stated, "actual": f.actual, "rule": f.rule,
            "message": f.message}


def result_record(result: ChainResult) -> dict[str, Any]:
    """The public JSONL record of one chain's result."""
    chain = result.chain
    final = result.final_answer
    errors: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for f in result.findings:
        if f.severity is Severity.ERROR:
            errors.append(finding_record(f))
        else:
            entry = finding_record(f)
            entry["severity"] = f.severity.value
            findings.append(entry)
    steps: list[dict[str, Any]] = []
    for s in result.steps:
        claims: list[dict[str, Any]] = []
        for c in s.claims:
            claim: dict[str, Any] = {
                "span": [c.span[0], c.span[1]], "text": c.text, "stated": c.stated, "actual": c.actual,
                "status": c.status.value, "kind": c.kind, "rule": c.rule,
            }
            if c.reason:
                claim["reason"] = c.reason
            claims.append(claim)
        steps.append({"index": s.index, "span": [s.span[0], s.span[1]], "claims": claims})
    record: dict[str, Any] = {
        "chain_id": chain.chain_id,
        "problem_id": chain.problem_id,
        "model": chain.model,
        "sample_index": chain.sample_index,
    }
    if chain.problem_set is not None:
        record["problem_set"] = chain.problem_set
    record.update({
        "final_answer": final.text if final else None,
        "final_answer_method": final.method if final else None,
        "reference": chain.reference,
        "answer_correct": result.answer_correct,
        "verdict": result.verdict.value,
        "explanation": result.explanation,
        "repaired_answer": result.repaired_answer,
        "repaired_correct": result.repaired_correct,
        "errors": errors,
        "findings": findings,
        "steps": steps,
        "flows": [
            {"step": fl.step, "span": [fl.span[0], fl.span[1]], "value": fl.value, "from_step": fl.from_step,
             "tainted": fl.tainted}
            for fl in result.flows
        ],
        "rules": {"name": result.rules_name, "hash": result.rules_hash},
    })
    if result.coverage is not None:
        record["coverage"] = result.coverage.to_json()
    return record


_RECORD_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, check_circular=False)
"""A record is a tree built fresh for each chain: no cycle to look for (the check was a quarter of the encoding)."""


def result_json(result: ChainResult) -> str:
    """The JSONL line of one chain's result (without its newline): ``json.dumps(result.to_json(), ensure_ascii=False)``,
    byte for byte."""
    return _RECORD_ENCODER.encode(result_record(result))
