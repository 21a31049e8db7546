"""Reward functions for RL training: each completion scored by how its answer was reached, for TRL and verl.

Rule-based RLVR rewards (Math-Verify, TRL's ``accuracy_reward``, verl's ``gsm8k``/``math`` scorers) look at the
final answer only, so a right answer reached through wrong arithmetic is paid in full. Here the score comes from
the engine's verdict (``verify_chain``): a right answer whose every checked claim is right earns the most, a right
answer with arithmetic slips (``canceling_errors``, ``lucky_guess``) less, a right answer with nothing checkable
in between, a wrong answer nothing, no answer at all a little less than nothing. The weights are arguments; the
defaults are in `RewardWeights`.

Two calling conventions, looked up in the libraries rather than guessed:

- TRL (1.16, ``GRPOTrainer._calculate_rewards``) calls every reward function as
  ``reward_func(prompts=prompts, completions=completions, completion_ids=completion_ids_list, **reward_kwargs)``
  where ``reward_kwargs`` holds every dataset column but ``prompt``/``completion`` (one value per completion),
  ``trainer_state``, ``log_extra(column, values)`` (a column of the completions table) and
  ``log_metric(name, value)`` (a scalar averaged over the logging step); completions are strings, or lists of
  messages (``[{"role": "assistant", "content": ...}]``) for a conversational dataset. A ``None`` reward is
  "not scored" (NaN, left out of the group baseline). `make_reward_func` builds such a function.
- verl (0.9.1, the reward managers in ``verl/experimental/reward_loop/reward_manager/naive.py`` and the legacy
  ``verl/workers/reward_manager/naive.py``) calls ``compute_score(data_source=..., solution_str=...,
  ground_truth=..., extra_info=...)`` with the decoded response, plus the config's
  ``reward.custom_reward_function.reward_kwargs`` merged in (``verl/trainer/ppo/reward.py``); a ``dict`` result
  must hold ``"score"`` and every other key is kept as ``reward_extra_info`` (strings are skipped by the
  validation statistics, numbers are averaged). `compute_score` is that function; `compute_score_batch` is the
  batch manager's plural form.

Nothing here raises on a bad completion (not a string, empty, huge, undecodable): it scores as no answer, and a
failure of the engine itself (a bug) scores as a wrong answer and is logged, so one odd rollout never stops a
training run. Time per completion is the engine's: its work is bounded by the rule set (``max_chain_lines``,
``max_line_chars``) and each answer comparison by ``answer_timeout`` (math-verify runs in a helper process with a
deadline, see ``equivalence``; no ``signal.alarm``, so it works in verl's executor threads). Everything is
picklable (verl runs reward functions in Ray workers) and nothing imports torch, TRL or verl.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .engine.answer import last_boxed
from .engine.model import ChainInput, Verdict
from .engine.pipeline import verify_chain
from .engine.rules import RuleSet, default_rules, load_rules
from .formats.load import RecordError, gsm8k_answer, message_parts

__all__ = [
    "REFERENCE_COLUMNS",
    "ProcessReward",
    "RewardResult",
    "RewardWeights",
    "compute_score",
    "compute_score_batch",
    "make_reward_func",
    "score_completion",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RewardWeights:
    """The score of each verdict. The defaults order the outcomes; under GRPO's group normalisation only the
    order and the gaps matter, not the level.

    A rejected alternative: one weight per verdict (nine knobs). The five outcomes below are what a policy can
    be pushed towards or away from; ``canceling_errors`` and ``lucky_guess`` differ in what a repair would have
    reached, not in what the policy did (a right answer written over a wrong computation).
    """

    valid: float = 1.0
    """Right answer, and every claim the engine checked is right (``valid``)."""
    slips: float = 0.5
    """Right answer with arithmetic errors (``canceling_errors``, ``lucky_guess``): still above a wrong answer,
    but well below a sound chain, so a group that holds both learns the difference."""
    unchecked: float = 0.75
    """Right answer, but no claim could be checked (``unchecked``: code, words, an answer alone). Between
    ``valid`` and ``slips``: nothing was found wrong, and nothing was shown right either; below ``valid`` so
    that writing no checkable arithmetic is no way to dodge the check."""
    wrong: float = 0.0
    """Wrong answer (``arithmetic_slip``, ``wrong_reasoning``). Also the score of a completion the engine failed
    on (a bug, logged): neutral rather than a penalty the policy did not earn."""
    undecided: float = 0.0
    """An answer that could not be compared with the reference within the time and size bounds
    (``undecided``): scored as wrong, as answer-only rewards score a comparison that timed out."""
    no_answer: float = -0.1
    """No final answer found (``no_answer``), including empty or non-text completions: a little below a wrong
    answer, so that committing to an answer pays. (The default rules take the last number of a text as its
    answer when nothing marks one, so a completion cut off at the length limit is judged by its last number; a
    rule set without ``last_number`` in ``[answer] methods`` pays only marked answers.)"""
    unreferenced: float | None = None
    """The row has no reference (``unreferenced``). ``None`` is TRL's "not scored": the completion is left out
    of its group's baseline and gets no advantage. verl needs a number: `compute_score` gives 0.0 there."""

    def score(self, verdict: Verdict) -> float | None:
        """The weight of ``verdict``."""
        return _WEIGHT_OF[verdict](self)


_WEIGHT_OF: dict[Verdict, Callable[[RewardWeights], float | None]] = {
    Verdict.VALID: lambda w: w.valid,
    Verdict.CANCELING_ERRORS: lambda w: w.slips,
    Verdict.LUCKY_GUESS: lambda w: w.slips,
    Verdict.UNCHECKED: lambda w: w.unchecked,
    Verdict.ARITHMETIC_SLIP: lambda w: w.wrong,
    Verdict.WRONG_REASONING: lambda w: w.wrong,
    Verdict.UNDECIDED: lambda w: w.undecided,
    Verdict.NO_ANSWER: lambda w: w.no_answer,
    Verdict.UNREFERENCED: lambda w: w.unreferenced,
}

_WEIGHT_NAMES = tuple(f.name for f in fields(RewardWeights))


@dataclass(frozen=True, slots=True)
class RewardResult:
    """One completion's score and what it rests on (the extra metrics a trainer logs)."""

    score: float | None
    verdict: Verdict | None
    """``None`` when the engine raised on this completion (a bug, logged once): scored as wrong."""
    errors: int
    """Arithmetic errors found (the JSONL record's ``errors``)."""
    answer_correct: bool | None
    """The final answer against the reference alone, what an answer-only reward would pay."""
    final_answer: str | None

    @property
    def verdict_name(self) -> str:
        """The verdict as logged: its JSONL name, or ``error`` where the engine failed."""
        return self.verdict.value if self.verdict is not None else "error"


REFERENCE_COLUMNS = ("reference", "solution", "answer", "ground_truth", "gold", "gt", "target")
"""Dataset columns a TRL reward reads the reference from, first present wins: ours, TRL's ``accuracy_reward``
(``solution``), GSM8K (``answer``), verl's preprocessed sets (``ground_truth``), Abel, ToRA, lm-eval. A full
solution is reduced to its answer: after GSM8K's ``####``, or the last ``\\boxed{}``."""

_REASONING_KEYS = ("reasoning_content", "reasoning", "thinking")
"""Where a parsed assistant message keeps its chain: Qwen3-style ``reasoning_content``, vLLM's ``reasoning``,
gpt-oss's ``thinking`` (TRL's response schemas in ``trl/chat_template_utils.py``)."""


def score_completion(
    completion: object,
    reference: object,
    weights: RewardWeights | None = None,
    rules: RuleSet | None = None,
    problem: object = None,
) -> RewardResult:
    """Score one completion against its reference; never raises.

    ``completion`` is the text, or a list of chat messages (the assistant's reasoning and content are the
    chain); anything else is no answer. ``reference`` is the answer, or a full solution (GSM8K ``#### N``, a
    ``\\boxed{}`` one), or a number; ``None`` or empty is no reference.
    """
    weights = weights if weights is not None else _DEFAULT_WEIGHTS
    text = completion_text(completion)
    ref = reference_answer(reference)
    if not text.strip():
        verdict = Verdict.NO_ANSWER if ref is not None else Verdict.UNREFERENCED
        return RewardResult(weights.score(verdict), verdict, 0, None, None)
    try:
        result = verify_chain(
            ChainInput(chain_id="completion", cot=text, reference=ref, problem=_problem_text(problem)),
            rules or default_rules(),
        )
    except Exception:  # one rollout must not stop a training run; the bug is logged
        log.log(logging.WARNING if _first_failure() else logging.DEBUG,
                "the engine failed on a completion of %d characters (scored as wrong); please report it with "
                "this traceback", len(text), exc_info=True)
        return RewardResult(weights.wrong, None, 0, None, None)
    return RewardResult(
        weights.score(result.verdict), result.verdict, len(result.errors), result.answer_correct,
        result.final_answer.text if result.final_answer is not None else None,
    )


_DEFAULT_WEIGHTS = RewardWeights()


def completion_text(completion: object) -> str:
    """The chain of a completion: a string as it is; a list of messages (TRL's conversational completions) as
    the text of its assistant messages, reasoning first (as the loaders read chat records); else ``""``."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        completion = [completion]
    if not isinstance(completion, Sequence):
        return ""
    parts: list[str] = []
    for message in completion:
        if not isinstance(message, Mapping) or message.get("role", "assistant") != "assistant":
            continue  # tool results and the like are not the model's chain
        message = dict(message)
        if "thinking" in message and not any(k in message for k in _REASONING_KEYS[:2]):
            message["reasoning"] = message.pop("thinking")
        try:
            text = message_parts(message, "completion")
        except RecordError:  # a field of the wrong type: that message holds no chain
            text = ""
        if text:
            parts.append(text)
    return "\n\n".join(parts)


def reference_answer(reference: object) -> str | None:
    """The answer a reference value stands for: a full GSM8K solution's ``#### N``, a full MATH solution's last
    ``\\boxed{}``, a number as text; ``None`` for anything else or empty."""
    if isinstance(reference, bool):
        return None
    if isinstance(reference, int) or (isinstance(reference, float) and math.isfinite(reference)):
        return str(reference)
    if not isinstance(reference, str):
        return None
    if "####" in reference:
        return gsm8k_answer(reference)
    if "\\boxed" in reference or "\\fbox" in reference:
        boxed = last_boxed(reference)
        if boxed is not None and boxed[0].strip():
            return boxed[0].strip()
    return reference.strip() or None


def _problem_text(problem: object) -> str | None:
    """The problem from a prompt: a string, or the last user message of a conversational prompt. The engine
    reads it to tell an answer's quantity from the ones the problem gave."""
    if isinstance(problem, str):
        return problem or None
    if isinstance(problem, Sequence):
        for message in reversed(problem):
            if isinstance(message, Mapping) and message.get("role") == "user":
                try:
                    return message_parts(dict(message), "prompt") or None
                except RecordError:  # no readable problem: the chain is still scored
                    return None
    return None


_failures = [0]
"""How many completions the engine failed on in this process (a list: counted without a ``global``)."""


def _first_failure() -> bool:
    """True the first time the engine fails in this process: that one is a warning, later ones debug lines
    (a bug that hits every rollout should not flood a training log)."""
    _failures[0] += 1
    return _failures[0] == 1


@functools.lru_cache(maxsize=16)
def _rules(path: str | None, answer_timeout: float | None) -> RuleSet:
    """A rule set by path (``None``: the default), with the answer timeout replaced; loaded once per process."""
    rules = load_rules(path) if path is not None else default_rules()
    return replace(rules, answer_timeout=answer_timeout) if answer_timeout is not None else rules


class ProcessReward:
    """A TRL reward function (``GRPOTrainer(reward_funcs=[...])``): one score per completion, from its verdict.

    A class rather than a closure so that it pickles (Ray, multiprocessing, ``accelerate``); TRL names it by its
    ``__name__``, which is the ``name`` given (``rewards/<name>/mean`` in the logs). Build it with
    `make_reward_func`.
    """

    def __init__(self, weights: RewardWeights, *, rules: RuleSet | str | Path | None = None,
                 answer_timeout: float | None = None, reference_column: str | None = None,
                 name: str = "cot_inspector") -> None:
        self.weights = weights
        self.rules_path = str(rules) if isinstance(rules, str | Path) else None
        """A rule set file, loaded in each process (a path travels light)."""
        self.rule_set = rules if isinstance(rules, RuleSet) else None
        self.answer_timeout = answer_timeout
        self.reference_column = reference_column
        self.__name__ = name

    def rules(self) -> RuleSet:
        if self.rule_set is not None:
            rules = self.rule_set
            if self.answer_timeout is not None:
                rules = replace(rules, answer_timeout=self.answer_timeout)
            return rules
        return _rules(self.rules_path, self.answer_timeout)

    def __repr__(self) -> str:
        return f"ProcessReward({self.__name__!r}, {self.weights!r})"

    def __call__(
        self,
        completions: Sequence[object],
        prompts: Sequence[object] | None = None,
        log_extra: Callable[[str, list[Any]], None] | None = None,
        log_metric: Callable[[str, float], None] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        """Score a batch as TRL passes it: ``completions``, ``prompts`` and every dataset column as a keyword.

        The reference is read from ``reference_column`` or the first of `REFERENCE_COLUMNS` present. With
        ``log_extra`` (TRL passes it) each completion's verdict and error count become columns of the
        completions table; with ``log_metric``, the share of each verdict and the mean error count become
        metrics (``<name>/<verdict>``, ``<name>/arithmetic_errors``).
        """
        references = self._references(kwargs, len(completions))
        problems = list(prompts) if prompts is not None and len(prompts) == len(completions) else [None] * len(
            completions)
        rules = self.rules()
        results = [score_completion(c, r, self.weights, rules, p)
                   for c, r, p in zip(completions, references, problems, strict=True)]
        if log_extra is not None:
            log_extra("verdict", [r.verdict_name for r in results])
            log_extra("arithmetic_errors", [r.errors for r in results])
        if log_metric is not None and results:
            n = len(results)
            for verdict in (*Verdict, None):
                name = verdict.value if verdict is not None else "error"
                log_metric(f"{self.__name__}/{name}", sum(r.verdict is verdict for r in results) / n)
            log_metric(f"{self.__name__}/arithmetic_errors", sum(r.errors for r in results) / n)
        return [r.score for r in results]

    def _references(self, columns: Mapping[str, Any], n: int) -> list[object]:
        """The reference column's values, one per completion. A missing column is a setup error, said at the
        first batch rather than trained through as a run of unscored rows."""
        names = (self.reference_column,) if self.reference_column is not None else REFERENCE_COLUMNS
        for name in names:
            if name in columns:
                values = columns[name]
                if isinstance(values, Sequence) and not isinstance(values, str) and len(values) == n:
                    return list(values)
                return [values] * n  # one reference for the whole batch
        seen = sorted(k for k in columns if k not in ("trainer_state", "completion_ids", "environments"))
        raise ValueError(
            f"{self.__name__}: no reference column: looked for {', '.join(names)}; the dataset has "
            f"{', '.join(seen) or 'no other columns'} (pass reference_column=...)"
        )


def make_reward_func(
    *,
    valid: float = _DEFAULT_WEIGHTS.valid,
    slips: float = _DEFAULT_WEIGHTS.slips,
    unchecked: float = _DEFAULT_WEIGHTS.unchecked,
    wrong: float = _DEFAULT_WEIGHTS.wrong,
    undecided: float = _DEFAULT_WEIGHTS.undecided,
    no_answer: float = _DEFAULT_WEIGHTS.no_answer,
    unreferenced: float | None = _DEFAULT_WEIGHTS.unreferenced,
    reference_column: str | None = None,
    rules: RuleSet | str | Path | None = None,
    answer_timeout: float | None = None,
    name: str = "cot_inspector",
) -> ProcessReward:
    """A reward function for TRL's ``GRPOTrainer(reward_funcs=[...])``, with these weights (see `RewardWeights`).

    ``rules``: a rule set or the path of one (default: the default set); ``answer_timeout``: seconds one answer
    comparison may take before it is undecided (default: the rule set's, 1 s); ``name``: how TRL logs it.
    """
    weights = RewardWeights(valid, slips, unchecked, wrong, undecided, no_answer, unreferenced)
    return ProcessReward(weights, rules=rules, answer_timeout=answer_timeout,
                         reference_column=reference_column, name=name)


_VERL_KWARGS = frozenset({"reward_router_address", "reward_model_tokenizer", "sandbox_fusion_url",
                          "concurrent_semaphore", "memory_limit_mb"})
"""Keywords verl's reward managers pass to some reward functions; they mean nothing here."""
_unknown_logged: set[str] = set()


def compute_score(
    data_source: object,
    solution_str: object,
    ground_truth: object,
    extra_info: Mapping[str, Any] | None = None,
    *,
    valid: float = _DEFAULT_WEIGHTS.valid,
    slips: float = _DEFAULT_WEIGHTS.slips,
    unchecked: float = _DEFAULT_WEIGHTS.unchecked,
    wrong: float = _DEFAULT_WEIGHTS.wrong,
    undecided: float = _DEFAULT_WEIGHTS.undecided,
    no_answer: float = _DEFAULT_WEIGHTS.no_answer,
    unreferenced: float | None = 0.0,
    rules: str | None = None,
    answer_timeout: float | None = None,
    **kwargs: Any,
) -> dict[str, float | int | str]:
    """verl's custom reward function: ``compute_score(data_source, solution_str, ground_truth, extra_info)``.

    Returns ``{"score", "acc", "verdict", "arithmetic_errors", "pred"}``: verl trains on ``score`` and keeps the
    rest as ``reward_extra_info`` (``acc``: the answer alone right, 1.0 or 0.0, what an answer-only reward would
    pay; ``pred``: the final answer, which verl's validation uses for maj@N). The weights, ``rules`` (a rule set
    file) and ``answer_timeout`` come from ``reward.custom_reward_function.reward_kwargs``; an unknown keyword
    is logged once and ignored (verl adds its own to some calls). ``extra_info["question"]`` (verl's GSM8K
    preprocessing) is read as the problem when present. A rules file that does not load raises `RulesError`
    at the first call: a setup error, not a rollout's.
    """
    for key in kwargs.keys() - _VERL_KWARGS - _unknown_logged:
        _unknown_logged.add(key)
        log.warning("compute_score: unknown keyword %r ignored (weights: %s)", key, ", ".join(_WEIGHT_NAMES))
    weights = RewardWeights(valid, slips, unchecked, wrong, undecided, no_answer, unreferenced)
    problem = extra_info.get("question") if isinstance(extra_info, Mapping) else None
    r = score_completion(solution_str, ground_truth, weights, _rules(rules, answer_timeout), problem)
    return {
        "score": r.score if r.score is not None else 0.0,
        "acc": 1.0 if r.answer_correct else 0.0,
        "verdict": r.verdict_name,
        "arithmetic_errors": r.errors,
        "pred": r.final_answer or "",
    }


def compute_score_batch(
    data_sources: Sequence[object],
    solution_strs: Sequence[object],
    ground_truths: Sequence[object],
    extra_infos: Sequence[Mapping[str, Any] | None] | None = None,
    **kwargs: Any,
) -> list[dict[str, float | int | str]]:
    """verl's ``BatchRewardManager`` form (``data_sources=, solution_strs=, ground_truths=, extra_infos=``):
    `compute_score` over the batch, with the same keywords."""
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    return [compute_score(d, s, g, e, **kwargs)
            for d, s, g, e in zip(data_sources, solution_strs, ground_truths, infos, strict=True)]
