"""Reading input files into ChainInput records: each format, stable ids, and FILE:LINE errors."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest

from inspector.errors import InputError
from inspector.load import iter_chains, read_chains
from inspector.model import ChainInput

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write_jsonl(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def content_id(problem: str, cot: str, model: str, sample_index: str) -> str:
    """The documented recipe for ids of records without one."""
    joined = f"{problem}\x1f{cot}\x1f{model}\x1f{sample_index}"
    return "c" + hashlib.sha256(joined.encode()).hexdigest()[:16]


def problem_hash(problem: str) -> str:
    return "p" + hashlib.sha256(problem.encode()).hexdigest()[:12]


# --- 1. canonical chains ----------------------------------------------------------------------------


def test_canonical_record(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "chains.jsonl",
        {
            "id": "aime-16-s0",
            "problem_id": "aime-16",
            "problem": "How many residents own all four?",
            "reference": "73",
            "model": "Qwen2.5-7B",
            "sample_index": 0,
            "cot": "195 + 367 + 562 + 900 = 2024. The answer is 73.",
            "extra": {"ignored": True},
        },
    )
    assert read_chains(path) == [
        ChainInput(
            chain_id="aime-16-s0",
            cot="195 + 367 + 562 + 900 = 2024. The answer is 73.",
            problem_id="aime-16",
            problem="How many residents own all four?",
            reference="73",
            model="Qwen2.5-7B",
            sample_index=0,
            source=f"{path}:1",
        )
    ]


def test_minimal_record_has_defaults(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", {"cot": "2 + 2 = 4"})
    [chain] = read_chains(path)
    assert chain.cot == "2 + 2 = 4"
    assert chain.model is None
    assert chain.problem is None
    assert chain.problem_id is None  # no problem text to hash
    assert chain.reference is None
    assert chain.sample_index is None
    assert chain.chain_id == content_id("", "2 + 2 = 4", "", "")


@pytest.mark.parametrize("field", ["cot", "completion", "response", "output", "solution"])
def test_chain_text_fields(tmp_path: Path, field: str) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", {field: "3 * 4 = 12", "question": "What is 3 * 4?"})
    [chain] = read_chains(path)
    assert chain.cot == "3 * 4 = 12"
    assert chain.problem == "What is 3 * 4?"


def test_first_chain_text_field_wins(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "c.jsonl",
        {"solution": "gold", "output": "out", "response": "resp", "completion": "compl"},
        {"solution": "gold", "cot": "mine"},
    )
    assert [c.cot for c in read_chains(path)] == ["compl", "mine"]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("reference", "73", "73"),
        ("reference", 73, "73"),
        ("reference", 1.5, "1.5"),
        ("answer", "\\frac{1}{9}", "\\frac{1}{9}"),
        ("gt", "420", "420"),
        ("ground_truth", -2, "-2"),
    ],
)
def test_reference(tmp_path: Path, field: str, value: object, expected: str) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", {"cot": "...", field: value})
    assert read_chains(path)[0].reference == expected


def test_math500_style_record(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "math.jsonl",
        {"problem": "Compute $1+1$.", "solution": "$1+1=\\boxed{2}$", "answer": "2", "level": 1},
    )
    [chain] = read_chains(path)
    assert (chain.cot, chain.reference, chain.problem) == ("$1+1=\\boxed{2}$", "2", "Compute $1+1$.")
    assert chain.problem_id == problem_hash("Compute $1+1$.")


# --- stable ids ---------------------------------------------------------------------------------------


def test_content_ids_are_stable_across_files_and_lines(tmp_path: Path) -> None:
    record = {"problem": "What is 6 * 7?", "cot": "6 * 7 = 42", "model": "m", "sample_index": 3}
    first = write_jsonl(tmp_path / "a.jsonl", record)
    second = write_jsonl(tmp_path / "b.jsonl", {"cot": "other"}, {"cot": "another"}, record)

    a = read_chains(first)[0]
    b = read_chains(second)[2]
    assert a.chain_id == b.chain_id == content_id("What is 6 * 7?", "6 * 7 = 42", "m", "3")
    assert a.problem_id == b.problem_id == problem_hash("What is 6 * 7?")
    assert a.source != b.source  # only the source knows where it was


def test_content_id_changes_with_the_content(tmp_path: Path) -> None:
    base = {"problem": "p", "cot": "1 + 1 = 2", "model": "m", "sample_index": 0}
    variants = [base, {**base, "cot": "1 + 1 = 3"}, {**base, "model": "n"}, {**base, "sample_index": 1},
                {**base, "problem": "q"}]
    ids = [c.chain_id for c in read_chains(write_jsonl(tmp_path / "c.jsonl", *variants))]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("c") and len(i) == 17 for i in ids)


def test_record_id_is_the_chain_id(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", {"id": 17, "cot": "x"}, {"id": "abc", "cot": "x"})
    assert [c.chain_id for c in read_chains(path)] == ["17", "abc"]


# --- 2. one problem, many samples -----------------------------------------------------------------


def test_qwen_math_eval_record_gives_one_chain_per_sample(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "eval.jsonl",
        {
            "idx": 7,
            "question": "What is $2^{10}$?",
            "gt": "1024",
            "code": ["$2^{10}=1024$", "$2^{10}=1000$", "$2^{10}=1024$"],
            "pred": ["1024", "1000", "1024"],
            "score": [True, False, True],
        },
    )
    chains = read_chains(path)
    assert [c.sample_index for c in chains] == [0, 1, 2]
    assert [c.cot for c in chains] == ["$2^{10}=1024$", "$2^{10}=1000$", "$2^{10}=1024$"]
    assert {c.problem_id for c in chains} == {"7"}
    assert {c.reference for c in chains} == {"1024"}
    assert {c.source for c in chains} == {f"{path}:1"}
    # same text at a different position is a different sample, so a different id
    assert [c.chain_id for c in chains] == [
        content_id("What is $2^{10}$?", "$2^{10}=1024$", "", "0"),
        content_id("What is $2^{10}$?", "$2^{10}=1000$", "", "1"),
        content_id("What is $2^{10}$?", "$2^{10}=1024$", "", "2"),
    ]


def test_many_samples_with_an_id(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "s.jsonl",
        {"id": "q1", "problem": "1+1?", "answer": 2, "model": "m", "completions": ["1+1=2", "1+1=3"]},
    )
    chains = read_chains(path)
    assert [c.chain_id for c in chains] == ["q1#0", "q1#1"]
    assert {c.problem_id for c in chains} == {"q1"}
    assert {(c.reference, c.model) for c in chains} == {("2", "m")}


@pytest.mark.parametrize("field", ["code", "completions", "responses", "samples", "response"])
def test_sample_list_fields(tmp_path: Path, field: str) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", {"problem": "P", field: ["a", "b"]})
    chains = read_chains(path)
    assert [(c.cot, c.sample_index) for c in chains] == [("a", 0), ("b", 1)]
    assert {c.problem_id for c in chains} == {problem_hash("P")}


def test_sample_list_wins_over_a_gold_solution(tmp_path: Path) -> None:
    # the Qwen2.5-Math evaluation output also carries the dataset's own `solution`
    path = write_jsonl(tmp_path / "s.jsonl", {"question": "Q", "solution": "gold", "code": ["s0", "s1"]})
    assert [c.cot for c in read_chains(path)] == ["s0", "s1"]


# --- 3. GSM8K -----------------------------------------------------------------------------------------


def test_gsm8k_record(tmp_path: Path) -> None:
    answer = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18.\n#### 18"
    path = write_jsonl(tmp_path / "test.jsonl", {"question": "How much does Janet make?", "answer": answer})
    [chain] = read_chains(path)
    assert chain.cot == answer  # the whole solution, "#### 18" included
    assert chain.reference == "18"
    assert chain.problem == "How much does Janet make?"
    assert chain.problem_id == problem_hash("How much does Janet make?")
    assert chain.chain_id == content_id("How much does Janet make?", answer, "", "")


@pytest.mark.parametrize(
    ("tail", "reference"),
    [("#### 1,000", "1000"), ("#### -3", "-3"), ("####  2.5 ", "2.5"), ("#### 1,234,567", "1234567")],
)
def test_gsm8k_reference_parsing(tmp_path: Path, tail: str, reference: str) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", {"question": "q", "answer": "work\n" + tail})
    assert read_chains(path)[0].reference == reference


def test_gsm8k_answer_beside_a_model_chain_is_the_reference(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", {"question": "q", "answer": "5 + 5 = 10\n#### 10", "cot": "5+5=11"})
    [chain] = read_chains(path)
    assert (chain.cot, chain.reference) == ("5+5=11", "10")


# --- ProcessBench JSON lists -------------------------------------------------------------------------


PROCESSBENCH = [
    {
        "id": "gsm8k-0",
        "generator": "Qwen2-7B-Instruct",
        "problem": "Sue has 18 flamingos...",
        "steps": ["First, 18 / 3 = 6.", "Then 18 + 18 - 6 = 30.", "The answer is 24."],
        "final_answer_correct": False,
        "label": 2,
    },
    {
        "id": "gsm8k-1",
        "generator": "Llama-3.1-8B-Instruct",
        "problem": "Two plus two?",
        "steps": ["2 + 2 = 4."],
        "final_answer_correct": True,
        "label": -1,
    },
]


def test_processbench_json_list(tmp_path: Path) -> None:
    path = tmp_path / "gsm8k.json"
    path.write_text(json.dumps(PROCESSBENCH, indent=2), encoding="utf-8")
    first, second = read_chains(path)
    assert first == ChainInput(
        chain_id="gsm8k-0",
        cot="First, 18 / 3 = 6.\n\nThen 18 + 18 - 6 = 30.\n\nThe answer is 24.",
        problem_id="gsm8k-0",
        problem="Sue has 18 flamingos...",
        reference=None,
        model="Qwen2-7B-Instruct",
        source=f"{path}:1",
        steps=("First, 18 / 3 = 6.", "Then 18 + 18 - 6 = 30.", "The answer is 24."),
    )
    assert second.source == f"{path}:2"  # a record's line is its index + 1


def test_bad_record_in_a_json_list_names_the_record(tmp_path: Path) -> None:
    path = tmp_path / "pb.json"
    path.write_text(json.dumps([PROCESSBENCH[0], {**PROCESSBENCH[1], "steps": [1, 2]}]), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_chains(path)
    assert str(info.value).startswith(f"{path}:2: record 2:")
    assert info.value.line == 2


def test_json_path_holding_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "lines.json", {"cot": "a"}, {"cot": "b"})
    assert [c.cot for c in read_chains(path)] == ["a", "b"]


# --- lines and errors ----------------------------------------------------------------------------------


def test_blank_lines_are_ignored_and_lines_still_count(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('\n{"cot": "a"}\n   \n\n{"cot": "b"}\n\n', encoding="utf-8")
    assert [(c.cot, c.source) for c in read_chains(path)] == [("a", f"{path}:2"), ("b", f"{path}:5")]


def test_bad_json_on_line_3(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"cot": "a"}\n{"cot": "b"}\n{"cot": "c"\n{"cot": "d"}\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_chains(path)
    assert str(info.value).startswith(f"{path}:3:")
    assert (info.value.path, info.value.line) == (str(path), 3)
    assert "invalid JSON" in info.value.message


def test_chains_stream_before_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"cot": "a"}\nnot json\n', encoding="utf-8")
    chains = iter_chains(path)
    assert next(chains).cot == "a"
    with pytest.raises(InputError, match=":2: invalid JSON"):
        next(chains)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "expected a JSON object"),
        ('"text"', "expected a JSON object"),
        ('{"problem": "p", "pred": "1"}', "no chain text"),
        ('{"cot": "x", "sample_index": "abc"}', "sample_index"),
        ('{"cot": 12}', "'cot' must be a string"),
        ('{"code": ["a", 3]}', "'code' must be a list of strings"),
        ('{"samples": "a"}', "'samples' must be a list of strings"),
        ('{"completions": []}', "empty"),
        ('{"cot": "x", "reference": [1]}', "'reference' must be a string or a number"),
        ('{"cot": "x", "id": 1.5}', "'id' must be a string or an integer"),
        ('{"cot": "x", "problem": 5}', "'problem' must be a string"),
    ],
)
def test_unreadable_record(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"cot": "ok"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        read_chains(path)
    assert str(info.value).startswith(f"{path}:2: ")


def test_skip_invalid_reports_each_skipped_line(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        '{"cot": "a"}\n{bad\n{"cot": "b", "sample_index": "abc"}\n[1]\n{"cot": "c"}\n', encoding="utf-8"
    )
    skipped: list[InputError] = []
    chains = read_chains(path, skip_invalid=True, on_skip=skipped.append)
    assert [c.cot for c in chains] == ["a", "c"]
    assert [e.line for e in skipped] == [2, 3, 4]


def test_skip_invalid_without_on_skip_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{bad\n{"cot": "a"}\n', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="inspector.load"):
        assert [c.cot for c in read_chains(path, skip_invalid=True)] == ["a"]
    assert f"{path}:1:" in caplog.text


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(InputError) as info:
        iter_chains(path)  # at once, before the first chain is asked for
    assert not isinstance(info.value, FileNotFoundError)
    assert str(info.value) == f"{path}: no such file"


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        read_chains(tmp_path)


def test_dash_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"cot": "a"}\n\n{"cot": "b"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    chains = read_chains("-")
    assert [c.cot for c in chains] == ["a", "b"]
    assert chains[1].source == "<stdin>:3"


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"cot": "caf\xc3\xa9"}\r\n{"cot": "b"}\r\n')
    assert [c.cot for c in read_chains(path)] == ["café", "b"]


# --- the real data sets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "count"),
    [
        ("gsm8k/test.jsonl", 1319),
        ("qwen25-math-eval/math_cot_100.jsonl", 800),
        ("processbench/gsm8k.json", 400),
    ],
)
def test_real_data(relative: str, count: int) -> None:
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent (no ../shared/data in this checkout)")
    chains = read_chains(path)
    assert len(chains) == count
    assert len({c.chain_id for c in chains}) == count
    assert all(c.cot and c.problem and c.problem_id for c in chains)
    if relative.startswith("gsm8k"):
        assert all(c.reference and c.reference.lstrip("-").replace(".", "").isdigit() for c in chains)
        assert chains[0].reference == "18"
    if relative.startswith("qwen"):
        assert all(c.reference for c in chains)
        assert {c.sample_index for c in chains} == set(range(8))
        assert len({c.problem_id for c in chains}) == 100
    if relative.startswith("processbench"):
        assert all(c.steps and c.model for c in chains)
    assert [c.chain_id for c in read_chains(path)] == [c.chain_id for c in chains]  # stable


# --- evaluation dumps (the Spurious Rewards layout) and gzip -------------------------------------------------
DUMP = {
    "avg@8": 0.5, "pass@8": 1.0, "dataset": "AMC", "model": "./export-for-eval-step50", "temperature": 0.6,
    "rollouts": 2,
    "metadata": [
        {"prompt": "<|im_start|>system\nPlease reason step by step.<|im_end|>\n<|im_start|>user\nWhat is 2 + 3?"
                   "<|im_end|>\n<|im_start|>assistant\n",
         "label": "5.0", "index": "0", "outputs": json.dumps(["2 + 3 = 5, so \\boxed{5}", "2 + 3 = 6. \\boxed{6}"])},
        {"prompt": "What is 4 * 4?", "label": "16.0", "index": "1", "outputs": ["4 * 4 = 16. \\boxed{16}"]},
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", ["dump.json", "dump.json.gz", "dump-without-suffix"])
def test_an_evaluation_dump_is_one_object_for_the_whole_file(tmp_path: Path, name: str) -> None:
    import gzip

    text = json.dumps(DUMP, indent=2).encode()  # pretty-printed, as the published files are
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    if name == "dump-without-suffix":  # a gzip file is known by its first bytes, whatever its name
        path.write_bytes(gzip.compress(text))
        path = path.rename(tmp_path / "dump.json")
    chains = read_chains(str(path))
    assert [c.chain_id for c in chains] == ["export-for-eval-step50/AMC/0#0", "export-for-eval-step50/AMC/0#1",
                                            "export-for-eval-step50/AMC/1#0"]
    first = chains[0]
    assert (first.model, first.problem_id, first.sample_index, first.reference) == (
        "export-for-eval-step50", "AMC/0", 0, "5.0")
    assert first.problem == "What is 2 + 3?"  # the user turn of the chat prompt
    assert chains[2].problem == "What is 4 * 4?"


def test_jsonl_gz_is_read_like_jsonl(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "chains.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": "a", "cot": "1 + 1 = 2"}\n{"id": "b", "cot": "2 + 2 = 4"}\n'))
    assert [c.chain_id for c in read_chains(str(path))] == ["a", "b"]


def test_a_damaged_gzip_file_is_named(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "chains.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": "a", "cot": "1 + 1 = 2"}\n' * 100)[:-20])
    with pytest.raises(InputError) as err:
        read_chains(str(path))
    assert str(path) in str(err.value) and "gzip" in str(err.value)


def test_the_spurious_rewards_files_as_published() -> None:
    root = Path(__file__).resolve().parents[2] / "shared" / "data" / "model-outputs" / "spurious-rewards-qwen2.5-math-1.5b"
    if not root.is_dir():
        pytest.skip("../shared/data is not here")
    files = sorted(root.glob("*/*.json.gz"))
    assert len(files) == 20
    chains = [c for f in files for c in read_chains(str(f))]
    assert len(chains) == 8220
    assert len({c.chain_id for c in chains}) == 8220
    models = {c.model for c in chains}
    assert models == {"Qwen2.5-Math-1.5B", "export-for-eval-step50", "export-for-eval-step200",
                      "export-for-eval-step400", "export-for-eval-step1000"}
    # a problem is one problem whatever the checkpoint: pass@k and the crossings compare like with like
    assert len({c.problem_id for c in chains}) == 30 + 30 + 83 + 500
