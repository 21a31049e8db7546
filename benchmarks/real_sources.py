"""The real model outputs in ``../shared/data``, as chains with stable ids, for the labelled set.

Each source is read as its authors published it; a chain's id says where it is (``abel-7b/12``,
``sr/base/AIME-2024/3#5`` for sample 5 of problem 3), and its text is exactly what the engine reads,
so the line numbers of an annotation (``SLIP_POLICY.md``: lines from 0, split at ``\\n``) point into it.
The data is never copied into the project: annotations keep ids and line numbers only.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUTPUTS = SHARED / "model-outputs"


@dataclass(frozen=True, slots=True)
class RealChain:
    chain_id: str
    source: str
    """The model family and size, or the checkpoint: what the benchmark reports per row."""
    model: str
    text: str
    reference: str | None
    problem: str | None


def available() -> bool:
    return OUTPUTS.is_dir()


def _jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def abel(size: str) -> Iterator[RealChain]:
    for r in _jsonl(OUTPUTS / "abel-gsm8k" / f"{size}.jsonl"):
        problem = r["prompt"].split("Question:\n", 1)[-1].split("\nAnswer:", 1)[0]
        yield RealChain(f"abel-{size}/{r['id']}", f"abel-{size}", f"Abel-{size.upper()}-001", r["response"],
                        str(r["gold"]), problem)


_TORA = {
    "tora-70b": "tora-70b-v1.0_gsm8k_test_tora_-1_seed0_t0.0_s0_e1319.jsonl",
    "tora-code-34b": "tora-code-34b-v1.0_gsm8k_test_tora_-1_seed0_t0.0_s0_e1319.jsonl",
}


def tora(name: str) -> Iterator[RealChain]:
    for r in _jsonl(OUTPUTS / "tora-gsm8k" / _TORA[name]):
        yield RealChain(f"{name}/{r['idx']}", name, name, r["code"][0], str(r["gt"]), r["question"])


SR_CHECKPOINTS = ("base", "step50", "step200", "step400", "step1000")
SR_SETS = ("AIME-2024", "AIME-2025", "AMC", "MATH-500")


def spurious_rewards(checkpoint: str, sets: tuple[str, ...] = SR_SETS) -> Iterator[RealChain]:
    folder = OUTPUTS / "spurious-rewards-qwen2.5-math-1.5b" / checkpoint
    for name in sets:
        path = next(folder.glob(f"*_{name}.json.gz"))
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        for item in data["metadata"]:
            outputs = item["outputs"]
            if isinstance(outputs, str):
                outputs = json.loads(outputs)
            for k, text in enumerate(outputs):
                yield RealChain(f"sr/{checkpoint}/{name}/{item['index']}#{k}", f"sr-{checkpoint}",
                                f"Qwen2.5-Math-1.5B {checkpoint}", text, str(item["label"]), item["prompt"])


def prmbench() -> Iterator[RealChain]:
    for r in _jsonl(OUTPUTS / "prmbench-subset400" / "target_data.jsonl"):
        steps = r["modified_process"]
        if isinstance(steps, str):
            steps = json.loads(steps)
        # one problem appears once per kind of injected error: the id names both
        yield RealChain(f"prmbench/{r['idx']}/{r['classification']}", "prmbench", "GPT-4 (PRM800K, errors injected)",
                        "\n".join(steps), None, r["modified_question"])


def reasoneval() -> Iterator[RealChain]:
    for r in _jsonl(OUTPUTS / "reasoneval-mr-math" / "mr-math_invalid_errors.jsonl"):
        yield RealChain(f"reasoneval/{r['id']}", "reasoneval", r["generator"], r["model_output"],
                        r["ground_truth_answer"], r["question"])


def qwen_cot() -> Iterator[RealChain]:
    for r in _jsonl(SHARED / "qwen25-math-eval" / "math_cot_100.jsonl"):
        for k, text in enumerate(r["code"]):
            yield RealChain(f"qwen-cot/{r['idx']}#{k}", "qwen-cot", "Qwen2.5-Math-Instruct", text, str(r["gt"]),
                            r["question"])


def processbench() -> Iterator[RealChain]:
    """ProcessBench's GSM8K split has no reference answers; GSM8K's test set has them, by problem text."""
    with open(SHARED / "processbench" / "gsm8k.json", encoding="utf-8") as fh:
        records = json.load(fh)
    references = {
        r["question"].strip(): r["answer"].rsplit("####", 1)[1].strip().replace(",", "")
        for r in _jsonl(SHARED / "gsm8k" / "test.jsonl")
    }
    for r in records:
        yield RealChain(f"processbench/{r['id']}", "processbench", r["generator"], "\n\n".join(r["steps"]),
                        references.get(r["problem"].strip()), r["problem"])


def all_sources() -> dict[str, Iterator[RealChain]]:
    """Every source by name, lazily."""
    out: dict[str, Iterator[RealChain]] = {}
    for size in ("7b", "13b", "70b"):
        out[f"abel-{size}"] = abel(size)
    for name in _TORA:
        out[name] = tora(name)
    for ckpt in SR_CHECKPOINTS:
        out[f"sr-{ckpt}"] = spurious_rewards(ckpt)
    out["prmbench"] = prmbench()
    out["reasoneval"] = reasoneval()
    out["qwen-cot"] = qwen_cot()
    out["processbench"] = processbench()
    return out


def by_id(ids: set[str]) -> dict[str, RealChain]:
    """The chains with these ids (reading only the sources they name)."""
    wanted_sources = {_source_of(i) for i in ids}
    found: dict[str, RealChain] = {}
    for name, chains in all_sources().items():
        if name not in wanted_sources:
            continue
        for chain in chains:
            if chain.chain_id in ids:
                found[chain.chain_id] = chain
    return found


def _source_of(chain_id: str) -> str:
    head = chain_id.split("/", 1)[0]
    if head == "sr":
        return "sr-" + chain_id.split("/")[1]
    return head
