"""`inspector.rewards`: the verdict → score mapping, bad completions, and the real trainers calling it.

The TRL test runs ``GRPOTrainer`` for two steps on the tiny random model, on CPU, offline, and checks that what
TRL logged is what our function returned. verl cannot be installed into the project's environment (verl 0.9.1
pins ``transformers<5.11``; pip would replace the installed 5.24, see the README); its test runs where verl is
importable, e.g. with verl and the few modules its reward path imports put beside the venv, not in it:

    pip install --no-deps --target /tmp/verl_site verl==0.9.1 tensordict==0.10.0 omegaconf hydra-core \\
        codetiming antlr4-python3-runtime==4.9.3 pyvers cloudpickle orjson aiohttp multidict yarl frozenlist \\
        aiosignal propcache aiohappyeyeballs
    PYTHONPATH=/tmp/verl_site python -m pytest tests/test_rewards.py -k verl

Everywhere else the verl tests below check our function against verl's calling convention as its source
states it (quoted where it is used).
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import pickle
import time
from pathlib import Path
from typing import Any

import pytest
from _tiny import need_models, tiny_model

from inspector import Verdict, rewards
from inspector.rewards import (
    ProcessReward,
    RewardWeights,
    compute_score,
    compute_score_batch,
    make_reward_func,
    score_completion,
)

# --------------------------------------------------------------------------------------------------
# Every verdict → its weight: a chain of each kind, as a model writes it

CHAINS = [
    # right answer, every checked claim right
    ("valid", "Half of 48 is 48 / 2 = 24.\nTogether 48 + 24 = 72.\nThe answer is 72.", "72"),
    ("valid", ("Put it over 12:\n\\[\\frac{1}{2} + \\frac{1}{3} = \\frac{6}{12} + \\frac{4}{12} = \\frac{10}{12}\\]\n"
               "So the sum is \\(\\boxed{\\frac{5}{6}}\\)."), "\\frac{5}{6}"),
    # right answer, a slip in a side remark the answer never uses
    ("canceling_errors", ("On weekdays he runs 5 * 5 = 25 km.\nThat is 25 - 8 = 16 km more than on Saturday.\n"
                          "In the week he runs 25 + 8 = 33 km.\n#### 33"), "33"),
    # right answer from wrong arithmetic: fixed, the chain would not reach it
    ("lucky_guess", ("The rows hold 12 * 15 = 170 plants.\nAfter the frost 170 - 28 = 142 are left.\n"
                     "With the new ones 142 + 20 = 162.\n#### 162"), "162"),
    # right answer, nothing checkable
    ("unchecked", "I just know it.\nThe answer is 72.", "72"),
    # wrong answer a calculator would have saved
    ("arithmetic_slip", "He buys 17 * 6 = 112 pens.\nThe answer is 112.", "102"),
    # wrong answer, right arithmetic
    ("wrong_reasoning", "He buys 17 + 6 = 23 pens.\nThe answer is 23.", "102"),
    # an answer too big to compare within the bounds
    ("undecided", "The answer is \\boxed{\\binom{99999}{5000}}.", "7"),
    # no final answer
    ("no_answer", "No idea at all.", "72"),
    # no reference to judge it by
    ("unreferenced", "He buys 17 * 6 = 102 pens.\nThe answer is 102.", None),
]  # fmt: skip

DEFAULT_SCORE = {
    "valid": 1.0, "canceling_errors": 0.5, "lucky_guess": 0.5, "unchecked": 0.75, "arithmetic_slip": 0.0,
    "wrong_reasoning": 0.0, "undecided": 0.0, "no_answer": -0.1, "unreferenced": None,
}  # fmt: skip


def test_every_verdict_is_covered_by_the_table() -> None:
    assert {v for v, _, _ in CHAINS} == {v.value for v in Verdict} == set(DEFAULT_SCORE)


@pytest.mark.parametrize(("verdict", "cot", "reference"), CHAINS, ids=[f"{v}-{i}" for i, (v, _, _) in enumerate(CHAINS)])
def test_each_verdict_scores_its_default_weight(verdict: str, cot: str, reference: str | None) -> None:
    result = score_completion(cot, reference)
    assert result.verdict == Verdict(verdict)
    assert result.score == DEFAULT_SCORE[verdict]


def test_each_weight_given_is_the_score_of_its_verdicts() -> None:
    reward = make_reward_func(valid=10.0, slips=5.0, unchecked=7.0, wrong=-3.0, undecided=-2.0, no_answer=-9.0,
                              unreferenced=0.25)
    expected = {"valid": 10.0, "canceling_errors": 5.0, "lucky_guess": 5.0, "unchecked": 7.0,
                "arithmetic_slip": -3.0, "wrong_reasoning": -3.0, "undecided": -2.0, "no_answer": -9.0,
                "unreferenced": 0.25}  # fmt: skip
    for verdict, cot, reference in CHAINS:
        assert reward(completions=[cot], reference=[reference]) == [expected[verdict]], verdict


def test_the_defaults_order_the_outcomes() -> None:
    w = RewardWeights()
    assert w.valid > w.unchecked > w.slips > w.wrong == w.undecided > w.no_answer
    assert w.unreferenced is None  # TRL's "not scored"


def test_the_error_count_and_the_answer_alone_are_reported_beside_the_score() -> None:
    lucky = score_completion(CHAINS[3][1], "162")
    assert (lucky.errors, lucky.answer_correct, lucky.final_answer) == (1, True, "162")
    slip = score_completion("He buys 17 * 6 = 112 pens.\nThe answer is 112.", "102")
    assert (slip.errors, slip.answer_correct, slip.final_answer) == (1, False, "112")


# --------------------------------------------------------------------------------------------------
# References as datasets hold them

REFERENCES = [
    ("GSM8K's full solution", "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72", "72"),
    ("GSM8K's thousands", "She earns 1,000 + 200 = 1,200.\n#### 1,200", "1200"),
    ("a MATH solution", "Adding, we get $\\boxed{\\frac{5}{6}}$.", "\\frac{5}{6}"),
    ("a bare answer", " 72 ", "72"),
    ("an int", 72, "72"),
    ("a float", 2.5, "2.5"),
    ("nothing", None, None),
    ("empty", "", None),
    ("a bool is no answer", True, None),
    ("nan", float("nan"), None),
    ("a list", ["72"], None),
]  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), [(v, e) for _, v, e in REFERENCES], ids=[n for n, _, _ in REFERENCES])
def test_a_reference_is_reduced_to_its_answer(value: object, expected: str | None) -> None:
    assert rewards.reference_answer(value) == expected


# --------------------------------------------------------------------------------------------------
# Bad completions never raise: they score as no answer (or as what they are)

HOSTILE = [
    ("None", None),
    ("an int", 12),
    ("bytes", b"3 + 4 = 7. The answer is 7."),
    ("empty", ""),
    ("blank", " \n\t "),
    ("a lone surrogate", "x \ud800 and no answer"),
    ("NUL bytes", "\x00\x00\x00"),
    ("a list of strings", ["The answer is 7."]),
    ("a message with a number for content", [{"role": "assistant", "content": 7}]),
    ("a message with bad parts", [{"role": "assistant", "content": [3, None]}]),
    ("only a tool message", [{"role": "tool", "content": "The answer is 7."}]),
    ("a set", {"The answer is 7."}),
]  # fmt: skip


@pytest.mark.parametrize("completion", [c for _, c in HOSTILE], ids=[n for n, _ in HOSTILE])
def test_a_completion_without_text_scores_as_no_answer(completion: object) -> None:
    result = score_completion(completion, "7")
    assert result.verdict is Verdict.NO_ANSWER and result.score == RewardWeights().no_answer


@pytest.mark.parametrize("reference", [None, "", 3.5j, object()])
def test_any_reference_value_is_taken_without_raising(reference: object) -> None:
    assert score_completion("3 + 4 = 7. The answer is 7.", reference).verdict is Verdict.UNREFERENCED


def test_huge_completions_finish_within_the_engines_bounds() -> None:
    for text in ("1 + 1 = 2 " * 100_000, "7" * 1_000_000, "3 + 4 = 8\n" * 30_000 + "The answer is 8."):
        t = time.perf_counter()
        result = score_completion(text, "7")
        assert time.perf_counter() - t < 30  # the engine's bounds: seconds at worst, see benchmarks/reward_speed.py
        assert result.score is not None


def test_a_failure_of_the_engine_scores_as_wrong_and_is_logged(monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("a bug")

    monkeypatch.setattr(rewards, "verify_chain", broken)
    monkeypatch.setattr(rewards, "_failures", [0])
    with caplog.at_level(logging.WARNING, logger="inspector.rewards"):
        result = score_completion("3 + 4 = 7. The answer is 7.", "7")
        again = compute_score("gsm8k", "3 + 4 = 7. The answer is 7.", "7")
    assert (result.score, result.verdict, result.verdict_name) == (0.0, None, "error")
    assert again["verdict"] == "error" and again["score"] == 0.0
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # the first one; later ones at debug
    assert "RecursionError" in caplog.text


# --------------------------------------------------------------------------------------------------
# Conversational completions (TRL's message lists, with the reasoning fields its response parsers fill)

CONVERSATIONS = [
    ("content", [{"role": "assistant", "content": "3 + 4 = 7.\nThe answer is 7."}], "7", "valid"),
    ("reasoning_content, then content (Qwen3)",
     [{"role": "assistant", "reasoning_content": "3 + 4 = 8.", "content": "The answer is 8."}], "7",
     "arithmetic_slip"),
    ("thinking (gpt-oss)", [{"role": "assistant", "thinking": "3 * 4 = 12.", "content": "**12**"}], "12", "valid"),
    ("content parts", [{"role": "assistant", "content": [{"type": "text", "text": "3 + 4 = 7. The answer is 7."}]}],
     "7", "valid"),
    ("a tool call and its result between two turns",
     [{"role": "assistant", "content": "Let me add: 3 + 4 = 7."}, {"role": "tool", "content": "8"},
      {"role": "assistant", "content": "The answer is 7."}], "7", "valid"),
    ("one message, not a list", {"role": "assistant", "content": "3 + 4 = 7. The answer is 7."}, "7", "valid"),
]  # fmt: skip


@pytest.mark.parametrize(("completion", "reference", "verdict"), [row[1:] for row in CONVERSATIONS],
                         ids=[row[0] for row in CONVERSATIONS])
def test_the_chain_of_a_conversational_completion_is_its_assistant_text(completion: object, reference: str,
                                                                        verdict: str) -> None:
    assert score_completion(completion, reference).verdict == Verdict(verdict)


def test_the_problem_is_read_from_a_conversational_prompt() -> None:
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 3 + 4?"}]
    assert rewards._problem_text(prompt) == "What is 3 + 4?"
    assert rewards._problem_text("What is 3 + 4?") == "What is 3 + 4?"
    assert rewards._problem_text([{"role": "user", "content": 5}]) is None


# --------------------------------------------------------------------------------------------------
# The TRL function, called as GRPOTrainer._calculate_rewards calls it:
#     reward_func(prompts=prompts, completions=completions, completion_ids=completion_ids_list, **reward_kwargs)
# with every dataset column, trainer_state, log_extra and log_metric in reward_kwargs (trl 1.16)


def trl_call(reward: ProcessReward, completions: list[Any], **columns: Any) -> tuple[list[float | None],
                                                                                    dict[str, list[Any]],
                                                                                    dict[str, float]]:
    extra: dict[str, list[Any]] = {}
    metrics: dict[str, float] = {}
    out = reward(prompts=["What is 3 + 4?"] * len(completions), completions=completions,
                 completion_ids=[[1, 2]] * len(completions), trainer_state=object(),
                 log_extra=extra.__setitem__, log_metric=metrics.__setitem__, **columns)
    return out, extra, metrics


def test_the_trl_function_scores_logs_a_column_per_completion_and_a_share_per_verdict() -> None:
    reward = make_reward_func()
    out, extra, metrics = trl_call(
        reward, ["3 + 4 = 7. The answer is 7.", "3 + 4 = 8. The answer is 8.", "no idea", "I know: 7."],
        solution=["7", "7", "7", "7"],
    )
    assert out == [1.0, 0.0, -0.1, 0.75]
    assert extra == {"verdict": ["valid", "arithmetic_slip", "no_answer", "unchecked"],
                     "arithmetic_errors": [0, 1, 0, 0]}
    assert metrics["cot_inspector/valid"] == 0.25 and metrics["cot_inspector/lucky_guess"] == 0.0
    assert metrics["cot_inspector/arithmetic_errors"] == 0.25
    assert sum(v for k, v in metrics.items() if k != "cot_inspector/arithmetic_errors") == pytest.approx(1.0)


def test_a_row_without_a_reference_is_not_scored_for_trl() -> None:
    out, _, _ = trl_call(make_reward_func(), ["The answer is 7.", "The answer is 7."], answer=["7", None])
    assert out == [0.75, None]  # None: TRL leaves the completion out of its group's baseline


@pytest.mark.parametrize("column", ["reference", "solution", "answer", "ground_truth", "gold", "gt", "target"])
def test_the_reference_is_read_from_the_columns_datasets_use(column: str) -> None:
    out, _, _ = trl_call(make_reward_func(), ["3 + 4 = 7. The answer is 7."], **{column: ["7"]})
    assert out == [1.0]


def test_the_first_reference_column_wins_unless_one_is_named() -> None:
    columns = {"solution": ["7"], "answer": ["8"]}
    assert trl_call(make_reward_func(), ["3 + 4 = 7. The answer is 7."], **columns)[0] == [1.0]
    named = make_reward_func(reference_column="answer")
    assert trl_call(named, ["3 + 4 = 7. The answer is 7."], **columns)[0] == [0.0]


def test_a_dataset_without_a_reference_column_is_a_setup_error_said_at_once() -> None:
    with pytest.raises(ValueError, match="no reference column.*the dataset has level, topic"):
        trl_call(make_reward_func(), ["The answer is 7."], level=[1], topic=["x"])


def test_the_trl_function_is_named_for_the_logs_and_works_without_the_trainers_keywords() -> None:
    reward = make_reward_func(name="process_validity")
    assert reward.__name__ == "process_validity"
    assert reward(["3 + 4 = 7. The answer is 7."], reference=["7"]) == [1.0]
    trl_utils = pytest.importorskip("trl.trainer.utils")
    assert trl_utils.get_callable_name(reward) == "process_validity"
    assert not trl_utils.is_async_callable(reward)


def test_the_answer_timeout_and_the_rules_reach_the_engine(tmp_path: Path) -> None:
    assert make_reward_func(answer_timeout=0.25).rules().answer_timeout == 0.25
    from inspector.engine.rules import DEFAULT_RULES_PATH

    # a rule set that pays marked answers only: a completion cut off at the length limit has none
    marked = tmp_path / "marked.toml"
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    assert ', "last_number"]' in text
    marked.write_text(text.replace(', "last_number"]', "]"), encoding="utf-8")
    cut_off = "Half of 48 is 48 / 2 = 24.\nTogether 48 + 24 = 72.\nSo the"
    assert make_reward_func()([cut_off], reference=["72"]) == [1.0]
    reward = make_reward_func(rules=marked, answer_timeout=2.0)
    assert reward([cut_off], reference=["72"]) == [-0.1]
    assert reward.rules().answer_timeout == 2.0
    assert compute_score("gsm8k", cut_off, "72", rules=str(marked))["verdict"] == "no_answer"


def _score_in_child(reward: ProcessReward) -> list[float | None]:
    return reward(["He buys 17 * 6 = 112 pens.\nThe answer is 112.", "3 + 4 = 7. The answer is 7."],
                  reference=["102", "7"])


def test_the_reward_functions_pickle_and_score_in_a_fresh_process() -> None:
    reward = make_reward_func(slips=0.3, no_answer=-1.0, name="mine")
    copy = pickle.loads(pickle.dumps(reward))
    assert (copy.__name__, copy.weights) == ("mine", reward.weights)
    assert pickle.loads(pickle.dumps(compute_score)) is compute_score
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # what Ray and torch workers do: nothing shared
        assert pool.apply(_score_in_child, (reward,)) == [0.0, 1.0]


# --------------------------------------------------------------------------------------------------
# verl's convention, from its source (verl 0.9.1, verl/experimental/reward_loop/reward_manager/naive.py):
#
#     result = await self.loop.run_in_executor(None, lambda: self.compute_score(
#         data_source=data_source, solution_str=response_str, ground_truth=ground_truth,
#         extra_info=extra_info, **extra_reward_kwargs))
#     if isinstance(result, dict):
#         score = result["score"]
#         for key, value in result.items():
#             reward_extra_info[key] = value
#
# where extra_info carries "num_turns" and "rollout_reward_scores", and extra_reward_kwargs is
# {"reward_router_address", "reward_model_tokenizer"} when a reward router runs; verl/trainer/ppo/reward.py
# merges the config's custom_reward_function.reward_kwargs into every call (`{**kwargs, **extra_kwargs}`). The
# extra keys become numpy columns of the batch (the same keys for every sample), and the validation statistics
# skip strings (`if not var_vals or isinstance(var_vals[0], str): continue`, trainer/ppo/metric_utils.py).

VERL_KEYS = {"score", "acc", "verdict", "arithmetic_errors", "pred"}


def test_compute_score_takes_verls_keywords_and_returns_the_same_keys_for_every_sample() -> None:
    results = [
        compute_score(data_source="openai/gsm8k", solution_str=cot, ground_truth=ref,
                      extra_info={"num_turns": None, "rollout_reward_scores": {}, "question": "?"},
                      reward_router_address="127.0.0.1:1", reward_model_tokenizer=None)
        for _, cot, ref in CHAINS
    ]  # fmt: skip
    for (verdict, _, _), r in zip(CHAINS, results, strict=True):
        assert set(r) == VERL_KEYS
        assert r["verdict"] == verdict
        assert isinstance(r["score"], float) and isinstance(r["acc"], float)
        assert isinstance(r["arithmetic_errors"], int) and isinstance(r["pred"], str)
        assert r["score"] == (DEFAULT_SCORE[verdict] if verdict != "unreferenced" else 0.0)


def test_compute_score_takes_its_weights_from_the_reward_kwargs_and_logs_an_unknown_one(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="inspector.rewards"):
        r = compute_score("gsm8k", "no idea", "7", None, no_answer=-1.0, slipz=0.1)
    assert r["score"] == -1.0
    assert "'slipz' ignored" in caplog.text


def test_compute_score_never_raises_on_what_a_rollout_holds() -> None:
    for solution in (None, "", b"\xff", 7, "\ud800", "x" * 1_000_000):
        for truth in (None, "", 7, "#### 7", {"a": 1}):
            r = compute_score(object(), solution, truth, extra_info="not a dict")
            assert set(r) == VERL_KEYS and isinstance(r["score"], float)


def test_compute_score_batch_is_compute_score_over_the_batch() -> None:
    out = compute_score_batch(data_sources=["a", "b"], solution_strs=[CHAINS[0][1], CHAINS[5][1]],
                              ground_truths=["72", "102"], extra_infos=[None, {}], wrong=-0.5)
    assert [r["verdict"] for r in out] == ["valid", "arithmetic_slip"]
    assert [r["score"] for r in out] == [1.0, -0.5]


# --------------------------------------------------------------------------------------------------
# The real trainers


def _tokenizer() -> Any:
    need_models()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model())


def _verl_batch(tokenizer: Any, rows: list[tuple[str, str, str]]) -> Any:
    """A DataProto as verl's rollout leaves it: left-padded prompts, right-padded responses, one mask."""
    import numpy as np
    import torch
    from verl import DataProto

    pad = tokenizer.pad_token_id
    prompts = [tokenizer(p)["input_ids"] for p, _, _ in rows]
    responses = [tokenizer(r)["input_ids"] for _, r, _ in rows]
    lp, lr = max(map(len, prompts)), max(map(len, responses))
    prompt_t = torch.tensor([[pad] * (lp - len(p)) + p for p in prompts])
    response_t = torch.tensor([r + [pad] * (lr - len(r)) for r in responses])
    mask = torch.tensor([[0] * (lp - len(p)) + [1] * (len(p) + len(r)) + [0] * (lr - len(r))
                         for p, r in zip(prompts, responses, strict=True)])
    return DataProto.from_dict(
        tensors={"prompts": prompt_t, "responses": response_t, "attention_mask": mask,
                 "input_ids": torch.cat([prompt_t, response_t], dim=1)},
        non_tensors={
            "data_source": np.array(["openai/gsm8k"] * len(rows), dtype=object),
            "reward_model": np.array([{"style": "rule", "ground_truth": g} for _, _, g in rows], dtype=object),
            "extra_info": np.array([{"question": q} for q, _, _ in rows], dtype=object),
        },
    )


VERL_ROWS = [
    ("What is 48 / 2 + 48?", CHAINS[0][1], "72"),
    ("17 packs of 6 pens?", CHAINS[5][1], "102"),
    ("How many?", "No idea at all.", "72"),
]


def test_verls_reward_loop_loads_our_compute_score_from_its_config_and_scores_a_batch() -> None:
    pytest.importorskip("verl", reason="verl is not importable here (see this module's docstring)")
    from omegaconf import OmegaConf
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    tokenizer = _tokenizer()
    config = OmegaConf.create({
        "actor_rollout_ref": {"model": {"path": str(tiny_model()), "tokenizer_path": None}},
        "reward": {
            "custom_reward_function": {"path": "pkg://inspector.rewards", "name": "compute_score",
                                       "reward_kwargs": {"no_answer": -0.5}},
            "reward_manager": {"source": "register", "name": "naive",
                               "module": {"path": None, "name": "custom_reward_manager"}},
            "reward_model": {"enable": False},
        },
    })  # fmt: skip
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # verl's workers take the current loop when they are built
    try:
        worker = RewardLoopWorker(config)
        out = loop.run_until_complete(worker.compute_score_batch(_verl_batch(tokenizer, VERL_ROWS)))
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert [o["reward_score"] for o in out] == [1.0, 0.0, -0.5]
    assert [o["reward_extra_info"]["verdict"] for o in out] == ["valid", "arithmetic_slip", "no_answer"]
    assert [o["reward_extra_info"]["arithmetic_errors"] for o in out] == [0, 1, 0]


def test_verls_legacy_naive_reward_manager_puts_our_score_on_the_last_token() -> None:
    pytest.importorskip("verl", reason="verl is not importable here (see this module's docstring)")
    from verl.workers.reward_manager import NaiveRewardManager

    tokenizer = _tokenizer()
    manager = NaiveRewardManager(tokenizer=tokenizer, num_examine=0, compute_score=compute_score)
    out = manager(_verl_batch(tokenizer, VERL_ROWS), return_dict=True)
    assert out["reward_tensor"].sum(dim=-1).tolist() == pytest.approx([1.0, 0.0, -0.1])
    info = out["reward_extra_info"]
    assert info["verdict"] == ["valid", "arithmetic_slip", "no_answer"] and info["acc"] == [1.0, 0.0, 0.0]


class Recording(ProcessReward):
    """Our reward function, keeping what it returned for each batch (TRL calls it by the same name)."""

    def __init__(self) -> None:
        super().__init__(RewardWeights())
        self.batches: list[tuple[list[Any], list[float | None]]] = []

    def __call__(self, completions: Any, prompts: Any = None, **kwargs: Any) -> list[float | None]:
        out = super().__call__(completions, prompts, **kwargs)
        self.batches.append((list(completions), out))
        return out


def _nanmean(values: list[float | None]) -> float:
    kept = [v for v in values if v is not None]
    return sum(kept) / len(kept) if kept else math.nan


@pytest.mark.parametrize("conversational", [False, True], ids=["standard", "conversational"])
def test_grpo_trainer_logs_the_rewards_our_function_returned(tmp_path: Path, conversational: bool) -> None:
    need_models()
    pytest.importorskip("trl")
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    problems = [("What is 3 + 4?", "7"), ("Natalia sold 48 clips and half as many more. How many?", "72")]
    rows = [{"prompt": [{"role": "user", "content": q}] if conversational else q, "solution": a}
            for q, a in problems]
    reward = Recording()
    args = GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4, max_completion_length=24,
        max_steps=2, logging_steps=1, report_to="none", save_strategy="no", use_cpu=True, bf16=False, seed=0,
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(model=str(tiny_model()), reward_funcs=[reward], args=args,
                          train_dataset=Dataset.from_list(rows))
    trainer.train()

    steps = [h for h in trainer.state.log_history if "rewards/cot_inspector/mean" in h]
    assert len(steps) == len(reward.batches) == 2
    for logged, (completions, returned) in zip(steps, reward.batches, strict=True):
        assert logged["rewards/cot_inspector/mean"] == pytest.approx(_nanmean(returned), abs=1e-6)
        assert logged["reward"] == pytest.approx(_nanmean(returned), abs=1e-6)
        shares = [logged[f"cot_inspector/{v.value}"] for v in Verdict] + [logged["cot_inspector/error"]]
        assert sum(shares) == pytest.approx(1.0)
        assert isinstance(completions[0], list) == conversational  # messages for a conversational dataset
    # per completion, the last batch (TRL keeps one generation batch in its completions table)
    completions, returned = reward.batches[-1]
    assert list(trainer._logs["rewards"]["cot_inspector"]) == pytest.approx(returned)
    references = [problems[0][1] if p == rows[0]["prompt"] else problems[1][1] for p in trainer._logs["prompt"]]
    assert list(trainer._logs["extra"]["verdict"]) == [
        score_completion(c, r).verdict_name for c, r in zip(trainer._logs["completion"], references, strict=True)
    ]
