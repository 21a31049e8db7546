"""The engine against people on real model outputs: the figures of ``benchmarks/real_outputs.py``, pinned.

The labelled set (``benchmarks/labels/real_outputs.jsonl``: 317 chains of Abel, ToRA, the Spurious Rewards
Qwen2.5-Math checkpoints, PRMBench, ReasonEval, the Qwen2.5-Math samples and ProcessBench, every slip read by
hand by ``SLIP_POLICY.md``) holds ids and line numbers only; the chains are read from ``../shared/data`` and the
test skips cleanly without it. A figure may rise; it may not fall below what it is today.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import real_outputs  # noqa: E402
import real_sources  # noqa: E402

pytestmark = pytest.mark.skipif(not real_sources.available(), reason="../shared/data/model-outputs is absent")


@pytest.fixture(scope="module")
def scores() -> dict[str, real_outputs.SourceScore]:
    return real_outputs.score(real_outputs.read_labels())


def test_the_labelled_set_is_what_the_policy_asks_for() -> None:
    labels = real_outputs.read_labels()
    assert len(labels) >= 300
    assert len({lab["id"] for lab in labels}) == len(labels)
    models = {real_sources._source_of(lab["id"]) for lab in labels}
    assert len(models) >= 6
    for lab in labels:
        assert lab["label"] in {"valid", "canceling", "lucky", "wrong", "unknown"}
        for slip in lab["slips"]:
            assert slip["kind"] in {"computation", "rewrite", "rounding_unannounced", "notation"}
            assert isinstance(slip["line"], int)
    # ids, line numbers and short quotes of the claims, never the chains themselves
    allowed = {"id", "slips", "looks_wrong_but_ok", "final_answer", "answer_correct", "label", "notes", "adjudicated"}
    assert all(set(lab) <= allowed for lab in labels)
    assert all(len(slip["quote"]) <= 400 for lab in labels for slip in lab["slips"])


def test_flags_a_reader_agrees_with(scores: dict[str, real_outputs.SourceScore]) -> None:
    total = scores["all"]
    assert total.flags >= 220
    assert total.precision is not None and total.precision >= 0.99, "\n".join(total.false_flags)


def test_slips_found(scores: dict[str, real_outputs.SourceScore]) -> None:
    total = scores["all"]
    assert total.slips >= 250
    assert total.recall is not None and total.recall >= 0.90, "\n".join(total.missed)
    # on GSM8K-level text (Abel, ProcessBench) every slip is found
    for source in ("abel-7b", "abel-13b", "abel-70b", "processbench"):
        assert scores[source].recall == 1.0, (source, scores[source].missed)


def test_verdicts_on_right_answers(scores: dict[str, real_outputs.SourceScore]) -> None:
    total = scores["all"]
    assert total.right_answer >= 125
    assert total.agreement is not None and total.agreement >= 0.95, "\n".join(total.disagreements)


def test_right_answers_with_no_slip_are_valid(scores: dict[str, real_outputs.SourceScore]) -> None:
    # issue "Answers and verdicts you can trust": ≥ 97% of them valid (where anything was checked), and none
    # wrong_reasoning (an answer taken wrongly from the text would make it so)
    total = scores["all"]
    assert total.sound >= 100
    assert total.sound_share is not None and total.sound_share >= 0.97, total.not_valid
    assert not any(item.endswith("wrong_reasoning") for item in total.not_valid), total.not_valid
