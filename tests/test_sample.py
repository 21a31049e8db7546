"""`inspect sample`: problems in, n verified samples per problem out; resumable, reproducible, offline."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _tiny import need_models, tiny_model
from click.testing import CliRunner

from inspector import store
from inspector.cli import ExitCode, main
from inspector.errors import InputError
from inspector.sampling.sample import (
    INSTRUCTION,
    Problem,
    Prompt,
    SamplingParams,
    Template,
    chain_id_for,
    default_model_name,
    load_template,
    plan_requests,
    read_problems,
    sample_seed,
)

ROOT = Path(__file__).resolve().parents[1]

PROBLEMS = [
    {"question": "Natalia sold clips to 48 of her friends in April, and then half as many in May. How many in all?",
     "answer": "In May 48/2 = <<48/2=24>>24.\nAltogether 48+24 = <<48+24=72>>72.\n#### 72"},
    {"problem": "What is $\\frac{1}{2} + \\frac{1}{3}$?", "solution": "It is $\\boxed{\\frac{5}{6}}$.",
     "answer": "\\frac{5}{6}", "unique_id": "test/prealgebra/1.json"},
    {"id": 7, "problem": "He buys 17 packs of 6 pens. How many pens?", "reference": "102"},
]  # fmt: skip


def write_problems(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def rows(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------
# Problems files: what each field becomes

PROBLEM_CASES = [
    # GSM8K: question, and the solution's "#### N" as the reference; the id is the text's hash
    ({"question": "Q?", "answer": "3 + 4 = 7\n#### 1,007"}, ("Q?", "1007", "p")),
    # MATH: the last \boxed{} of the solution
    ({"problem": "P?", "solution": "so $\\boxed{\\frac{1}{2}}$"}, ("P?", "\\frac{1}{2}", "p")),
    # MATH-500: answer and unique_id
    ({"problem": "P?", "answer": "5", "unique_id": "test/x/1.json"}, ("P?", "5", "test/x/1.json")),
    # our own: reference, and a numeric id
    ({"problem": "P?", "reference": 12, "id": 3}, ("P?", "12", "3")),
    # no reference at all
    ({"problem": "P?", "problem_id": "a"}, ("P?", None, "a")),
]


@pytest.mark.parametrize(("record", "expected"), PROBLEM_CASES)
def test_problem_fields(tmp_path: Path, record: dict[str, object], expected: tuple[str, str | None, str]) -> None:
    (problem,) = read_problems(write_problems(tmp_path / "p.jsonl", [record]))
    text, reference, pid = expected
    assert (problem.problem, problem.reference) == (text, reference)
    assert problem.problem_id == pid if pid != "p" else problem.problem_id.startswith("p") and len(problem.problem_id) == 13


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"problem": "a", "id": 1}\n{"problem": "b", "id": 1}\n', ":2: problem id '1' already on line 1"),
        ('{"problem": "a"}\n{oops\n', ":2: invalid JSON"),
        ('{"answer": "5"}\n', ":1: no problem text"),
        ("\n", "no problems"),
    ],
)
def test_unreadable_problems_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_problems(path)


def test_a_json_list_of_problems_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PROBLEMS))
    assert [p.reference for p in read_problems(path)] == ["72", "\\frac{5}{6}", "102"]


# --------------------------------------------------------------------------------------------------
# Templates, seeds, keys


def test_templates(tmp_path: Path) -> None:
    assert load_template("auto", has_chat_template=True).is_chat
    assert load_template("auto", has_chat_template=None).is_chat  # a server applies its own
    assert load_template("auto", has_chat_template=False).name == "plain"
    boxed = load_template("qwen-boxed").render("Find $x^{2}$.")
    assert boxed.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n")
    assert "Find $x^{2}$.\n" + INSTRUCTION + "<|im_end|>\n<|im_start|>assistant\n" in boxed
    chat = load_template("chat").messages("Find x.")
    assert chat[-1] == {"role": "user", "content": "Find x.\n" + INSTRUCTION}
    mine = tmp_path / "t.txt"
    mine.write_text("Q: {problem}\nA: {instruction} {not a placeholder}")
    assert load_template(str(mine)).render("1+1?") == f"Q: 1+1?\nA: {INSTRUCTION} {{not a placeholder}}"
    mine.write_text("no placeholder")
    with pytest.raises(InputError, match=r"must contain \{problem\}"):
        load_template(str(mine))
    with pytest.raises(InputError, match="not a template name"):
        load_template(str(tmp_path / "missing.txt"))


def test_seeds_and_ids_depend_only_on_the_sample() -> None:
    assert sample_seed(0, "p1", 3) == sample_seed(0, "p1", 3)
    seeds = {sample_seed(s, p, i) for s in (0, 1) for p in ("p1", "p2") for i in range(50)}
    assert len(seeds) == 200 and all(0 <= s < 2**31 for s in seeds)
    assert chain_id_for("m", "h", "p1", 0) != chain_id_for("m", "h", "p1", 1) != chain_id_for("m2", "h", "p1", 1)


def test_the_parameter_hash_leaves_n_out_but_not_the_template() -> None:
    params = SamplingParams(temperature=0.6, top_p=0.95, max_new_tokens=64, seed=1)
    chat, plain = Template("chat"), load_template("plain")
    assert params.key(chat) == SamplingParams(0.6, 0.95, 64, 1).key(chat)
    assert params.key(chat)[0] != params.key(plain)[0] != SamplingParams(0.7, 0.95, 64, 1).key(plain)[0]
    with pytest.raises(ValueError, match="top-p"):
        SamplingParams(top_p=0)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("models/Qwen2.5-7B", "Qwen2.5-7B"),
        ("models/Qwen2.5-7B/", "Qwen2.5-7B"),
        ("hub/models--Qwen--Qwen2.5-Math-7B/snapshots/0123abcd", "Qwen/Qwen2.5-Math-7B"),
    ],
)
def test_default_model_names(tmp_path: Path, path: str, name: str) -> None:
    assert default_model_name(str(tmp_path / path)) == name


def test_plan_asks_only_for_what_is_missing() -> None:
    problems = [Problem("a", "A?", "1"), Problem("b", "B?", "2")]
    todo = plan_requests(problems, 3, lambda p: Prompt("text", p.problem), model="m", params_hash="h", seed=0,
                         done={"a": {0, 2}, "b": {0, 1, 2, 5}})
    assert [(r.problem.problem_id, r.sample_index) for r in todo] == [("a", 1)]
    assert todo[0].seed == sample_seed(0, "a", 1) and todo[0].chain_id == chain_id_for("m", "h", "a", 1)


# --------------------------------------------------------------------------------------------------
# With a tiny model on disk


def sample_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["sample", *args, "--no-progress"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def texts(db_path: Path) -> dict[tuple[str, int], str]:
    return {(p, i): t for p, i, t in rows(db_path, "SELECT problem_id, sample_index, cot FROM chains")}  # type: ignore[misc]


def test_sample_writes_n_verified_samples_per_problem(tmp_path: Path) -> None:
    need_models()
    problems = write_problems(tmp_path / "p.jsonl", PROBLEMS)
    db = tmp_path / "s.db"
    code, err = sample_cli("--model", str(tiny_model()), "--problems", str(problems), "--n", "3",
                           "--max-new-tokens", "12", "--seed", "5", "--db", str(db), "--batch-size", "4")
    assert code == ExitCode.OK, err
    assert "sampled 9 new chain(s), 0 already there, of 9" in err
    samples = rows(db, "SELECT s.model, s.problem_id, s.sample_index, s.params_json, s.finish_reason, s.n_tokens, "
                       "c.verdict, c.reference, c.model FROM samples s JOIN chains c USING (chain_id) ORDER BY 2, 3")
    assert len(samples) == 9
    ids = [p.problem_id for p in read_problems(problems)]
    assert ids[1:] == ["test/prealgebra/1.json", "7"]
    assert {(r[1], r[2]) for r in samples} == {(p, i) for p in ids for i in range(3)}
    for model, _, _, params, reason, tokens, verdict, reference, chain_model in samples:
        assert model == chain_model == "lm"
        assert json.loads(str(params)) == {"temperature": 0.6, "top_p": 0.95, "max_new_tokens": 12, "seed": 5,
                                           "template": "chat"}
        assert reason in ("stop", "length") and 1 <= int(tokens) <= 12  # type: ignore[call-overload]
        assert (reason == "length") == (tokens == 12)
        assert verdict and reference in ("72", "\\frac{5}{6}", "102")
    # verified exactly as `inspect verify` verifies: every chain has its steps, and load_result reads it back
    db_ = store.open_db(db)
    some = store.load_result(db_, str(rows(db, "SELECT chain_id FROM samples LIMIT 1")[0][0]))
    assert some is not None and some.steps
    info = store.sample_for_chain(db_, some.chain.chain_id)
    assert info is not None and info.prompt_format == "chat_text" and "<|im_start|>assistant\n" in info.prompt
    assert rows(db, "SELECT backend, requested, generated FROM sampling_runs") == [("hf", 9, 9)]
    # report reads it at once
    report = CliRunner().invoke(main, ["report", str(db), "--format", "json"])
    assert report.exit_code == 0, report.stderr
    assert json.loads(report.stdout)


def test_same_seed_same_text_whatever_the_batch(tmp_path: Path) -> None:
    need_models()
    problems = write_problems(tmp_path / "p.jsonl", PROBLEMS)
    common = ["--model", str(tiny_model()), "--problems", str(problems), "--n", "4", "--max-new-tokens", "16"]
    runs = [("a", ["--batch-size", "5"]), ("b", ["--batch-size", "5"]), ("c", ["--batch-size", "1"]),
            ("d", ["--seed", "1"])]
    for name, extra in runs:
        assert sample_cli(*common, *extra, "--db", str(tmp_path / f"{name}.db"))[0] == ExitCode.OK
    a, b, c, d = (texts(tmp_path / f"{name}.db") for name, _ in runs)
    assert len(a) == 12 and a == b
    assert nearly_all_equal(a, c)
    assert sum(a[k] == d[k] for k in a) == 0


def nearly_all_equal(a: dict[tuple[str, int], str], b: dict[tuple[str, int], str]) -> bool:
    """The same samples with the same texts, but for at most one: a batch of another shape computes logits
    that differ in the last float bits, which can flip a draw at a near-tie (about once in 10^4 tokens)."""
    return a.keys() == b.keys() and sum(a[k] != b[k] for k in a) <= 1


def test_a_second_run_adds_nothing_and_a_larger_n_goes_on(tmp_path: Path) -> None:
    need_models()
    problems = write_problems(tmp_path / "p.jsonl", PROBLEMS[:2])
    db = tmp_path / "s.db"
    common = ["--model", str(tiny_model()), "--problems", str(problems), "--max-new-tokens", "8", "--db", str(db)]
    assert sample_cli(*common, "--n", "2")[0] == ExitCode.OK
    first = texts(db)
    code, err = sample_cli(*common, "--n", "2")
    assert code == ExitCode.OK and "sampled 0 new chain(s), 4 already there" in err
    code, err = sample_cli(*common, "--n", "3")
    assert code == ExitCode.OK and "sampled 2 new chain(s), 4 already there, of 6" in err
    after = texts(db)
    assert len(after) == 6 and {k: after[k] for k in first} == first
    # other parameters are other samples, beside these
    assert sample_cli(*common, "--n", "1", "--temperature", "1.0")[0] == ExitCode.OK
    assert rows(db, "SELECT count(*), count(DISTINCT params_hash) FROM samples") == [(8, 2)]


def test_killed_mid_run_resumes_without_duplicates(tmp_path: Path) -> None:
    need_models()
    problems = write_problems(tmp_path / "p.jsonl", [{"id": i, "problem": f"What is {i} + {i}?", "reference": str(2 * i)}
                                                      for i in range(8)])
    db = tmp_path / "s.db"
    args = [sys.executable, "-m", "inspector", "sample", "--model", str(tiny_model()), "--problems", str(problems),
            "--n", "4", "--max-new-tokens", "48", "--batch-size", "2", "--db", str(db), "--no-progress", "--threads", "1"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stored = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if db.exists():
                try:
                    stored = int(rows(db, "SELECT count(*) FROM samples")[0][0])  # type: ignore[call-overload]
                except sqlite3.OperationalError:  # the table is not there yet
                    stored = 0
                if stored >= 2:
                    break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        assert proc.stderr is not None
        proc.stderr.close()
    assert 0 < stored < 32, "the run should have been killed part way"
    again = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT count(*), count(DISTINCT chain_id) FROM samples") == [(32, 32)]
    assert rows(db, "SELECT count(*) FROM chains") == [(32,)]
    assert rows(db, "SELECT count(*) FROM (SELECT 1 FROM samples GROUP BY problem_id HAVING count(*) = 4)") == [(8,)]
    # and the texts are those of a run never stopped
    clean = tmp_path / "clean.db"
    assert sample_cli("--model", str(tiny_model()), "--problems", str(problems), "--n", "4", "--max-new-tokens", "48",
                      "--batch-size", "8", "--db", str(clean))[0] == ExitCode.OK
    assert nearly_all_equal(texts(db), texts(clean))


def test_plain_template_and_model_name(tmp_path: Path) -> None:
    need_models()
    problems = write_problems(tmp_path / "p.jsonl", PROBLEMS[2:])
    db = tmp_path / "s.db"
    code, err = sample_cli("--model", str(tiny_model()), "--problems", str(problems), "--n", "1", "--template", "plain",
                           "--model-name", "base-7b", "--max-new-tokens", "4", "--db", str(db), "--temperature", "0")
    assert code == ExitCode.OK, err
    ((model, fmt, prompt),) = rows(db, "SELECT s.model, p.format, p.prompt FROM samples s JOIN prompts p USING (prompt_hash)")
    assert (model, fmt) == ("base-7b", "text")
    assert str(prompt).startswith("Problem: He buys 17 packs") and INSTRUCTION in str(prompt)


def test_not_a_model_directory_fails_cleanly(tmp_path: Path) -> None:
    need_models()
    problems = write_problems(tmp_path / "p.jsonl", PROBLEMS[2:])
    code, err = sample_cli("--model", str(tmp_path / "nowhere"), "--problems", str(problems), "--db", str(tmp_path / "s.db"))
    assert code == ExitCode.BACKEND_FAILED and "not a local model directory" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------------
# Without the models extra


def test_without_torch_sample_and_score_say_how_to_install_it(tmp_path: Path) -> None:
    problems = write_problems(tmp_path / "p.jsonl", PROBLEMS[2:])
    db = tmp_path / "s.db"
    store.open_db(db).close()
    block = "import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None; "
    for args in (["sample", "--model", str(tmp_path), "--problems", str(problems), "--db", str(db)],
                 ["score", "--model", str(tmp_path), "--kind", "prm", "--db", str(db)]):
        done = subprocess.run([sys.executable, "-c", block + "from inspector.cli import main; main()", *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == ExitCode.MISSING_DEPENDENCY, done.stderr
        assert "pip install torch==2.13.0 && pip install 'cot-inspector[models]'" in done.stderr
        assert "Traceback" not in done.stderr


def test_the_core_and_the_server_backend_never_import_torch() -> None:
    code = ("import sys, inspector, inspector.cli, inspector.sampling.sample, inspector.sampling.score, inspector.sampling.backends.openai; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.stdout.strip() == "[]", done.stderr


def test_commands_have_help() -> None:
    for command in ("sample", "score"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "--model" in result.stdout
