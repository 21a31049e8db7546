"""`inspect score`: per-step and per-claim scores from a causal LM (logprob) and a process reward model (prm)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from _tiny import need_models, tiny_model
from click.testing import CliRunner

from inspector import store
from inspector.cli import ExitCode, main
from inspector.engine.model import ChainInput, ChainResult, Step, Verdict
from inspector.engine.pipeline import verify_text
from inspector.sampling.score import logprob_rows, prm_rows, scores_json, step_score_lines, step_texts
from inspector.store import Score, ScoreRow

CHAINS = [
    {"id": "slip", "problem": "17 packs of 6 pens?", "reference": "102", "model": "m",
     "cot": "He buys 17 * 6 = 112 pens.\nThen 112 + 8 = 120.\nThe answer is 120."},
    {"id": "fine", "problem": "3 + 4?", "reference": "7", "model": "m", "cot": "3 + 4 = 7\nThe answer is \\boxed{7}."},
    {"id": "plain", "model": "other", "cot": "No arithmetic here.\nJust words."},
]  # fmt: skip


def result_of(cot: str) -> ChainResult:
    return verify_text(cot, reference="102")


# --------------------------------------------------------------------------------------------------
# Mapping tokens to steps and claims (no model needed)


def test_step_scores_are_the_mean_of_their_tokens_and_claims_the_probability_of_the_stated_result() -> None:
    cot = "17 * 6 = 112\nok"
    result = result_of(cot)
    assert [s.span for s in result.steps] == [(0, 12), (13, 15)]
    (claim,) = result.steps[0].claims
    assert claim.stated_span == (9, 12)
    # tokens: "17", " *", " 6", " =", " 112" split as " 1" "12", "\n", "ok"
    offsets = [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 13), (13, 15)]
    logprobs = [-1.0, -2.0, -3.0, -4.0, -0.5, -0.25, -9.0, -6.0]
    rows = logprob_rows(result, logprobs, offsets)
    assert rows[0] == ScoreRow(0, None, sum(logprobs[:6]) / 6, 6, 0, 12)
    assert rows[1].step == 0 and rows[1].claim == 0 and rows[1].tokens == 2 and (rows[1].start, rows[1].end) == (9, 12)
    assert rows[1].score == pytest.approx(math.exp(-0.75))
    assert rows[2] == ScoreRow(1, None, -6.0, 1, 13, 15)


def test_tokens_cut_at_the_length_limit_leave_later_steps_unscored() -> None:
    result = result_of("2 + 2 = 4\n3 + 3 = 6\n4 + 4 = 8")
    rows = logprob_rows(result, [-1.0, -1.0], [(0, 1), (1, 5)])
    assert {(r.step, r.claim) for r in rows} == {(0, None)}


def test_claims_are_numbered_across_the_chain_as_the_store_numbers_them() -> None:
    result = result_of("2 + 2 = 4\n3 + 3 = 6 and 1 + 1 = 2")
    cot = result.chain.cot
    offsets = [(i, i + 1) for i in range(len(cot))]
    rows = logprob_rows(result, [-0.1] * len(cot), offsets)
    assert [(r.step, r.claim) for r in rows] == [(0, None), (0, 0), (1, None), (1, 1), (1, 2)]


def test_prm_rows_and_step_texts() -> None:
    result = result_of("a\nb\nc")
    assert step_texts(result) == ["a", "b", "c"]
    assert prm_rows(result, [0.9, 0.2]) == [ScoreRow(0, None, 0.9, None, 0, 1), ScoreRow(1, None, 0.2, None, 2, 3)]
    given = ChainResult(ChainInput("x", "A.\n\nB.", steps=("A.", "B.")), (Step(0, (0, 2)), Step(1, (4, 6))), (), None,
                        None, None, None, Verdict.NO_ANSWER, "")
    assert step_texts(given) == ["A.", "B."]


def test_lines_for_the_panel_and_json_for_the_export() -> None:
    cot = "17 * 6 = 112"
    scores = [
        Score("logprob", "qwen", 0, None, -1.234, 9, 0, 12, "t"),
        Score("logprob", "qwen", 0, 0, 0.0412, 2, 9, 12, "t"),
        Score("prm", "prm7b", 0, None, 0.125, None, 0, 12, "t"),
        Score("prm", "prm7b", 1, None, 0.9, None, 13, 20, "t"),
    ]
    assert step_score_lines(scores, 0, cot) == [
        "qwen log-prob: mean -1.23 over 9 token(s)",
        'qwen: P("112") = 0.0412',
        "PRM prm7b: P(step correct) = 0.125",
    ]
    assert step_score_lines(scores, 0)[1] == "qwen: P(claim 0) = 0.0412"
    assert scores_json(scores[1:2]) == [
        {"kind": "logprob", "model": "qwen", "step": 0, "claim": 0, "score": 0.0412, "tokens": 2, "span": [9, 12]}
    ]


def test_the_store_keeps_one_score_per_key_and_replaces_on_rescore() -> None:
    db = store.open_db(None)
    run = store.start_run(db, rules_name="default", rules_hash="", source="t", argv=[])
    store.write_results(db, run, [result_of("2 + 2 = 5")])
    rows = [ScoreRow(0, None, -1.0, 3, 0, 9), ScoreRow(0, 0, 0.5, 1, 8, 9)]
    assert store.write_scores(db, "logprob", "m", {"chain": rows}) == 2
    assert store.write_scores(db, "logprob", "m", {"chain": rows[:1]}) == 1
    assert store.write_scores(db, "prm", "p", {"chain": [ScoreRow(0, None, 0.7, None, 0, 9)]}) == 1
    got = store.scores_for_chain(db, "chain")
    assert [(s.kind, s.model, s.step, s.claim, s.score) for s in got] == [("logprob", "m", 0, None, -1.0),
                                                                           ("prm", "p", 0, None, 0.7)]
    assert store.scored_chain_ids(db, "prm", "p") == {"chain"} and store.scored_chain_ids(db, "prm", "q") == set()


# --------------------------------------------------------------------------------------------------
# With tiny models on disk


def verified_db(tmp_path: Path) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in CHAINS))
    db = tmp_path / "x.db"
    result = CliRunner().invoke(main, ["verify", str(src), "--db", str(db), "--format", "jsonl"])
    assert result.exit_code == 0, result.stderr
    return db


def score_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["score", *args, "--no-progress"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def test_logprob_scores_every_step_and_claim(tmp_path: Path) -> None:
    need_models()
    db_path = verified_db(tmp_path)
    code, err = score_cli("--model", str(tiny_model()), "--kind", "logprob", "--db", str(db_path))
    assert code == ExitCode.OK, err
    assert "scored 3 chain(s) by logprob with lm" in err
    db = store.open_db(db_path)
    slip = store.scores_for_chain(db, "slip")
    result = store.load_result(db, "slip")
    assert result is not None
    claims = [c for s in result.steps for c in s.claims]
    assert [(s.step, s.claim) for s in slip] == [(0, None), (0, 0), (1, None), (1, 1), (2, None)]
    assert len(claims) == 2
    for s in slip:
        assert s.kind == "logprob" and s.model == "lm" and s.tokens and s.tokens > 0
        if s.claim is None:
            assert -20 < s.score < 0  # a mean log-probability
        else:
            assert 0 < s.score <= 1  # a probability
            claim = claims[s.claim]
            assert (s.start, s.end) == claim.stated_span
            assert result.chain.cot[s.start : s.end] in ("112", "120")
    # a second run scores nothing again; --of-model and --rescore choose what is scored
    code, err = score_cli("--model", str(tiny_model()), "--kind", "logprob", "--db", str(db_path))
    assert code == ExitCode.OK and "scored 0 chain(s)" in err and "3 already scored" in err
    code, err = score_cli("--model", str(tiny_model()), "--kind", "logprob", "--db", str(db_path), "--rescore",
                          "--of-model", "other", "--model-name", "lm")
    assert code == ExitCode.OK and "scored 1 chain(s)" in err
    assert store.scores_for_chain(db, "slip") == slip


def test_logprob_of_a_sampled_chain_reads_it_after_its_own_prompt(tmp_path: Path) -> None:
    need_models()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    problems = tmp_path / "p.jsonl"
    problems.write_text('{"id": "a", "problem": "What is 2 + 2?", "reference": "4"}\n')
    db_path = tmp_path / "s.db"
    result = CliRunner().invoke(main, ["sample", "--model", str(tiny_model()), "--problems", str(problems), "--n", "1",
                                       "--max-new-tokens", "10", "--db", str(db_path), "--no-progress"])
    assert result.exit_code == 0, result.stderr
    assert score_cli("--model", str(tiny_model()), "--kind", "logprob", "--db", str(db_path))[0] == ExitCode.OK
    db = store.open_db(db_path)
    (cid,) = [r[0] for r in db.conn.execute("SELECT chain_id FROM samples")]
    info = store.sample_for_chain(db, cid)
    chain = store.load_result(db, cid)
    assert info is not None and chain is not None
    # the same number, computed here by hand: prompt tokens, then the chain's, teacher-forced
    tok = AutoTokenizer.from_pretrained(tiny_model())
    model = AutoModelForCausalLM.from_pretrained(tiny_model())
    prompt = tok(info.prompt, add_special_tokens=False)["input_ids"]
    enc = tok(chain.chain.cot, add_special_tokens=False, return_offsets_mapping=True)
    ids = torch.tensor([prompt + enc["input_ids"]])
    with torch.no_grad():
        lp = torch.log_softmax(model(ids).logits[0].float(), -1)
    mine = [lp[len(prompt) - 1 + i, t].item() for i, t in enumerate(enc["input_ids"])]
    step0 = chain.steps[0].span
    inside = [m for m, (a, b) in zip(mine, enc["offset_mapping"], strict=True) if b > a and a < step0[1] and b > step0[0]]
    (stored,) = [s for s in store.scores_for_chain(db, cid) if s.step == 0 and s.claim is None]
    assert stored.score == pytest.approx(sum(inside) / len(inside), abs=1e-5)


def test_prm_scores_each_step_at_its_separator(tmp_path: Path) -> None:
    need_models()
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    db_path = verified_db(tmp_path)
    code, err = score_cli("--model", str(tiny_model(prm=True)), "--kind", "prm", "--db", str(db_path), "--batch-size", "2")
    assert code == ExitCode.OK, err
    db = store.open_db(db_path)
    slip = store.scores_for_chain(db, "slip")
    assert [(s.kind, s.model, s.step, s.claim) for s in slip] == [("prm", "prm", i, None) for i in range(3)]
    assert all(0 < s.score < 1 for s in slip)
    # the Qwen2.5-Math-PRM recipe, by hand: steps joined by <extra_0>, softmax over 2 classes at each one
    tok = AutoTokenizer.from_pretrained(tiny_model(prm=True))
    model = AutoModelForTokenClassification.from_pretrained(tiny_model(prm=True))
    steps = ["He buys 17 * 6 = 112 pens.", "Then 112 + 8 = 120.", "The answer is 120."]
    text = tok.apply_chat_template(
        [{"role": "system", "content": "Please reason step by step, and put your final answer within \\boxed{}."},
         {"role": "user", "content": "17 packs of 6 pens?"},
         {"role": "assistant", "content": "<extra_0>".join(steps) + "<extra_0>"}], tokenize=False)
    ids = tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        probs = torch.softmax(model(input_ids=ids).logits[0], -1)[:, 1]
    sep = tok.convert_tokens_to_ids("<extra_0>")
    expected = probs[ids[0] == sep].tolist()
    assert [s.score for s in slip] == pytest.approx(expected, abs=1e-5)


def test_a_causal_model_is_not_a_prm(tmp_path: Path) -> None:
    need_models()
    db_path = verified_db(tmp_path)
    code, err = score_cli("--model", str(tiny_model()), "--kind", "prm", "--db", str(db_path))
    assert code == ExitCode.BACKEND_FAILED and "two classes" in err and "Traceback" not in err


def test_score_needs_an_existing_database(tmp_path: Path) -> None:
    code, err = score_cli("--model", str(tmp_path), "--kind", "prm", "--db", str(tmp_path / "none.db"))
    assert code == ExitCode.BAD_INPUT and "no such database" in err


def test_the_jsonl_export_carries_the_scores(tmp_path: Path) -> None:
    db_path = verified_db(tmp_path)
    db = store.open_db(db_path)
    store.write_scores(db, "prm", "prm7b", {"slip": [ScoreRow(0, None, 0.25, None, 0, 26)]})
    db.close()
    result = CliRunner().invoke(main, ["export", str(db_path), "--format", "jsonl"])
    assert result.exit_code == 0, result.stderr
    records = {r["chain_id"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert records["slip"]["scores"] == [
        {"kind": "prm", "model": "prm7b", "step": 0, "claim": None, "score": 0.25, "tokens": None, "span": [0, 26]}
    ]
    assert "scores" not in records["fine"]
