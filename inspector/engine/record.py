"""A result as the public JSONL record (``ChainResult.to_json``): built here, where the engine's build compiles it.

Every record ``inspect verify --format jsonl`` writes, every row a worker sends back, starts here, and as
Python this took 0.2 ms a chain on the Spurious Rewards set (sixty steps, each a small dict): an eighth of what
verifying the chain took. The fields are a contract: they may be added to, never renamed; their order is the
order they are written in.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _quoted
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


_REASON: Final = '"reason": '
_RECORD_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, check_circular=False)
"""What ``result_json`` hands anything but null, booleans, whole numbers and strings (none in today's records)."""


def _json_value(v: object) -> str:
    """One scalar as ``json.dumps(v, ensure_ascii=False)`` writes it."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if type(v) is str:
        return _quoted(v)
    if type(v) is int:
        return str(v)
    return _RECORD_ENCODER.encode(v)


def _span_json(span: tuple[int, int]) -> str:
    start, end = span
    if type(start) is int and type(end) is int:
        return f"[{start}, {end}]"
    return f"[{_json_value(start)}, {_json_value(end)}]"


def _text_json(v: str | None) -> str:
    """A string field (or a missing one) as JSON: ``_json_value`` without asking what it is."""
    return "null" if v is None else _quoted(v)


# (``Verdict``, ``ClaimStatus`` and ``Severity`` members are written as the strings they are: a ``StrEnum`` member is
# its value, and ``.value`` is a Python property, a call into the interpreter for each claim)
def _finding_json(f: Finding, severity: bool) -> str:
    line = (f'{{"step": {_json_value(f.step)}, "span": {_span_json(f.span)}, "stated": {_json_value(f.stated)}, '
            f'"actual": {_json_value(f.actual)}, "rule": {_json_value(f.rule)}, "message": {_json_value(f.message)}')
    return line + (f', "severity": {_quoted(f.severity)}}}' if severity else "}")


def result_json(result: ChainResult) -> str:
    """The JSONL line of one chain's result (without its newline): ``json.dumps(result.to_json(), ensure_ascii=False)``,
    byte for byte (``tests/test_record.py`` holds the two equal on every sample and, where ``../shared/data`` is,
    on real chains).

    Written directly rather than by encoding ``result_record``: the record is some six hundred small dicts, lists and
    strings for a chain of sixty steps, and building them and then walking them in ``json`` took an eighth of
    what verifying the chain took; here each piece is formatted once, in the record's order."""
    chain = result.chain
    final = result.final_answer
    parts: list[str] = [
        f'{{"chain_id": {_json_value(chain.chain_id)}, "problem_id": {_json_value(chain.problem_id)}, '
        f'"model": {_json_value(chain.model)}, "sample_index": {_json_value(chain.sample_index)}'
    ]
    if chain.problem_set is not None:
        parts.append(f', "problem_set": {_json_value(chain.problem_set)}')
    parts.append(
        f', "final_answer": {_json_value(final.text if final else None)}, '
        f'"final_answer_method": {_json_value(final.method if final else None)}, '
        f'"reference": {_json_value(chain.reference)}, "answer_correct": {_json_value(result.answer_correct)}, '
        f'"verdict": {_quoted(result.verdict)}, "explanation": {_json_value(result.explanation)}, '
        f'"repaired_answer": {_json_value(result.repaired_answer)}, '
        f'"repaired_correct": {_json_value(result.repaired_correct)}, "errors": ['
    )
    errors = [_finding_json(f, False) for f in result.findings if f.severity is Severity.ERROR]
    others = [_finding_json(f, True) for f in result.findings if f.severity is not Severity.ERROR]
    parts.append(", ".join(errors))
    parts.append('], "findings": [')
    parts.append(", ".join(others))
    parts.append('], "steps": [')
    for k, s in enumerate(result.steps):
        claims = []
        for c in s.claims:
            reason = c.reason
            claims.append(
                f'{{"span": {_span_json(c.span)}, "text": {_text_json(c.text)}, "stated": {_text_json(c.stated)}, '
                f'"actual": {_text_json(c.actual)}, "status": {_quoted(c.status)}, "kind": {_text_json(c.kind)}, '
                f'"rule": {_text_json(c.rule)}{f", {_REASON}{_text_json(reason)}}}" if reason else "}"}'
            )
        parts.append(f'{", " if k else ""}{{"index": {_json_value(s.index)}, "span": {_span_json(s.span)}, '
                     f'"claims": [{", ".join(claims)}]}}')
    parts.append('], "flows": [')
    parts.append(", ".join(
        f'{{"step": {_json_value(fl.step)}, "span": {_span_json(fl.span)}, "value": {_json_value(fl.value)}, '
        f'"from_step": {_json_value(fl.from_step)}, "tainted": {_json_value(fl.tainted)}}}'
        for fl in result.flows
    ))
    parts.append(f'], "rules": {{"name": {_json_value(result.rules_name)}, "hash": {_json_value(result.rules_hash)}}}')
    if result.coverage is not None:
        parts.append(', "coverage": {')
        parts.append(", ".join(f"{_quoted(k)}: {_json_value(v)}" for k, v in result.coverage.to_json().items()))
        parts.append("}")
    parts.append("}")
    return "".join(parts)
