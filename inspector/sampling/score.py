"""``inspect score``: a learned signal beside the exact one, per step and per claim, from a local model.

Two kinds:

- ``logprob``: the chain read back teacher-forced by a causal LM (the model that wrote it, usually,
  after the same prompt when the chain was sampled here). A step's score is the mean log-probability
  of its tokens; a claim's score is the probability of the tokens of its stated result (``stated_span``)
  — how sure the model was when it wrote a wrong number.
- ``prm``: a process reward model in the Qwen2.5-Math-PRM style: the steps joined with a separator
  token, the positive-class probability read at each separator, one score per step.

Tokens are mapped to steps and claims through the tokenizer's character offsets into the chain text,
so a step or claim gets the tokens that overlap its span (a token straddling two steps counts in
both). The mapping is pure and lives here; the model work lives in ``backends.hf``, and this module
never imports torch.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlite_utils import Database

from .. import store
from ..engine.model import ChainResult, Span
from ..store import SampleInfo, Score, ScoreRow
from .sample import Prompt, load_template

__all__ = [
    "KINDS",
    "BatchScorer",
    "ScoreSummary",
    "logprob_batch",
    "logprob_rows",
    "prm_batch",
    "prm_rows",
    "run_scoring",
    "scores_json",
    "step_score_lines",
    "step_texts",
]

KINDS = ("logprob", "prm")

Item = tuple[ChainResult, SampleInfo | None]
BatchScorer = Callable[[Sequence[Item]], list[list[ScoreRow]]]
"""Scores for a batch of stored chains (with how each was sampled, when it was), one list per chain."""


def step_texts(result: ChainResult) -> list[str]:
    """The chain's steps as text: the ones the input gave (ProcessBench), else the segmenter's spans."""
    if result.chain.steps is not None and len(result.chain.steps) == len(result.steps):
        return list(result.chain.steps)
    cot = result.chain.cot
    return [cot[s.span[0] : s.span[1]] for s in result.steps]


def _overlapping(offsets: Sequence[tuple[int, int]], span: Span) -> list[int]:
    start, end = span
    return [i for i, (a, b) in enumerate(offsets) if b > a and a < end and b > start]


def logprob_rows(result: ChainResult, logprobs: Sequence[float], offsets: Sequence[tuple[int, int]]) -> list[ScoreRow]:
    """Step rows (mean token log-probability) and claim rows (probability of the stated result's tokens).

    ``offsets`` are the tokens' ``[start, end)`` in the chain text, ``logprobs`` their log-probabilities;
    a step or claim none of whose tokens were scored (cut at the length limit) gets no row.
    """
    rows: list[ScoreRow] = []
    claim_index = 0  # claims are numbered across the chain, as the store numbers them (claims.idx)
    for step in result.steps:
        tokens = _overlapping(offsets, step.span)
        if tokens:
            mean = sum(logprobs[i] for i in tokens) / len(tokens)
            rows.append(ScoreRow(step.index, None, mean, len(tokens), step.span[0], step.span[1]))
        for claim in step.claims:
            span = claim.stated_span or claim.span
            tokens = _overlapping(offsets, span)
            if tokens:
                total = sum(logprobs[i] for i in tokens)
                rows.append(ScoreRow(step.index, claim_index, math.exp(total), len(tokens), span[0], span[1]))
            claim_index += 1
    return rows


def prm_rows(result: ChainResult, probabilities: Sequence[float]) -> list[ScoreRow]:
    """One row per step that got a separator's probability (the first ``len(probabilities)`` steps)."""
    return [
        ScoreRow(step.index, None, float(p), None, step.span[0], step.span[1])
        for step, p in zip(result.steps, probabilities, strict=False)
    ]


class _LogprobModel(Protocol):
    @property
    def has_chat_template(self) -> bool: ...

    def prompt(self, template: Any, problem: str) -> Prompt: ...

    def token_logprobs(
        self, items: Sequence[tuple[Prompt | None, str]]
    ) -> list[tuple[list[float], list[tuple[int, int]]]]: ...


class _PrmModel(Protocol):
    def step_probabilities(self, items: Sequence[tuple[str | None, Sequence[str]]]) -> list[list[float]]: ...


def logprob_batch(model: _LogprobModel, template: str = "auto") -> BatchScorer:
    """Teacher-forced scoring after the chain's own prompt when it was sampled here, else a prompt made from
    its problem with ``template`` (no prompt at all when the chain has no problem)."""
    made = load_template(template, has_chat_template=model.has_chat_template)

    def score(items: Sequence[Item]) -> list[list[ScoreRow]]:
        inputs: list[tuple[Prompt | None, str]] = []
        for result, sample in items:
            prompt: Prompt | None = None
            if sample is not None:
                prompt = Prompt(sample.prompt_format, sample.prompt)
            elif result.chain.problem:
                prompt = model.prompt(made, result.chain.problem)
            inputs.append((prompt, result.chain.cot))
        scored = model.token_logprobs(inputs)
        return [logprob_rows(result, lp, off) for (result, _), (lp, off) in zip(items, scored, strict=True)]

    return score


def prm_batch(model: _PrmModel) -> BatchScorer:
    def score(items: Sequence[Item]) -> list[list[ScoreRow]]:
        probs = model.step_probabilities([(r.chain.problem, step_texts(r)) for r, _ in items])
        return [prm_rows(result, p) for (result, _), p in zip(items, probs, strict=True)]

    return score


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    kind: str
    model: str
    selected: int
    """Chains the filters let through."""
    skipped: int
    """Of those, already scored by this model and kind (not scored again without ``rescore``)."""
    scored: int
    rows: int
    seconds: float


def run_scoring(
    db: Database,
    score: BatchScorer,
    *,
    kind: str,
    model: str,
    models: Sequence[str] = (),
    verdicts: Sequence[str] = (),
    limit: int | None = None,
    rescore: bool = False,
    batch_size: int = 8,
    on_progress: Callable[[int, int], None] | None = None,
) -> ScoreSummary:
    """Score the stored chains (of ``models`` and ``verdicts``, all when empty) and store the scores.

    Each batch is stored in one transaction as soon as it is scored, so a stopped run started again
    skips what it finished; ``rescore`` scores everything again (replacing the old scores).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown score kind {kind!r} (one of {', '.join(KINDS)})")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    ids = list(store.iter_selected_chain_ids(db, models=models, verdicts=verdicts))
    done = set() if rescore else store.scored_chain_ids(db, kind, model)
    todo = [cid for cid in ids if cid not in done]
    if limit is not None:
        todo = todo[:limit]
    started = time.perf_counter()
    scored = rows = 0
    if on_progress:
        on_progress(0, len(todo))
    for start in range(0, len(todo), batch_size):
        items: list[Item] = []
        for cid in todo[start : start + batch_size]:
            result = store.load_result(db, cid)
            if result is not None:
                items.append((result, store.sample_for_chain(db, cid)))
        if not items:
            continue
        batch = score(items)
        rows += store.write_scores(db, kind, model, {r.chain.chain_id: s for (r, _), s in zip(items, batch, strict=True)})
        scored += len(items)
        if on_progress:
            on_progress(scored, len(todo))
    skipped = sum(1 for cid in ids if cid in done)
    return ScoreSummary(kind, model, len(ids), skipped, scored, rows, time.perf_counter() - started)


# --------------------------------------------------------------------------------------------------
# For the screens and files that show scores (the TUI's verification panel, `inspect export`)


def scores_json(scores: Iterable[Score]) -> list[dict[str, Any]]:
    """Stored scores as JSON objects: ``{kind, model, step, claim, score, tokens, span}``."""
    return [
        {"kind": s.kind, "model": s.model, "step": s.step, "claim": s.claim, "score": s.score, "tokens": s.tokens,
         "span": [s.start, s.end] if s.start is not None and s.end is not None else None}
        for s in scores
    ]  # fmt: skip


def step_score_lines(scores: Iterable[Score], step: int, cot: str | None = None) -> list[str]:
    """One line per score of ``step`` (its own, then its claims'), for a panel beside the arithmetic verdict.

    With the chain text ``cot``, a claim's line quotes the stated result it scored.
    """
    lines = []
    for s in scores:
        if s.step != step:
            continue
        if s.kind == "prm":
            lines.append(f"PRM {s.model}: P(step correct) = {s.score:.3f}")
        elif s.claim is None:
            lines.append(f"{s.model} log-prob: mean {s.score:.2f} over {s.tokens} token(s)")
        else:
            what = f"claim {s.claim}"
            if cot is not None and s.start is not None and s.end is not None and s.end - s.start <= 40:
                what = json.dumps(cot[s.start : s.end], ensure_ascii=False)
            lines.append(f"{s.model}: P({what}) = {s.score:.3g}")
    return lines

