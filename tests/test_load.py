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

from inspector.engine.model import ChainInput
from inspector.errors import InputError
from inspector.formats.load import iter_chains, read_chains

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
    with caplog.at_level(logging.WARNING, logger="inspector.formats.load"):
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


# --- the field's other formats (issue 11): each read from a small fixture written by us -------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def ids(chains: list[ChainInput]) -> list[str]:
    return [c.chain_id for c in chains]


# zstd, like gzip: by the first bytes, whatever the name


@pytest.mark.parametrize("name", ["chains.jsonl.zst", "chains.jsonl", "chains"])
def test_zstd_is_read_like_gzip_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes((FIXTURES / "chains.jsonl.zst").read_bytes())
    chains = read_chains(path)
    assert ids(chains) == ["zst-1", "zst-2"]
    assert chains[1].cot == "81 / 9 = 8.\nThe answer is 8." and chains[1].source == f"{path}:2"


def test_a_json_document_compressed_with_zstd(tmp_path: Path) -> None:
    import zstandard

    path = tmp_path / "gsm8k.json.zst"  # the suffix under the compression one still says "a JSON document"
    path.write_bytes(zstandard.ZstdCompressor().compress(json.dumps(PROCESSBENCH, indent=2).encode()))
    assert ids(read_chains(path)) == ["gsm8k-0", "gsm8k-1"]


def test_zstd_frames_one_after_another_are_one_file(tmp_path: Path) -> None:
    import zstandard

    path = tmp_path / "two-frames.jsonl.zst"  # what `zstd -c a b > c` and parallel compressors write
    packer = zstandard.ZstdCompressor()
    path.write_bytes(packer.compress(b'{"id": "a", "cot": "1 + 1 = 2"}\n') + packer.compress(b'{"id": "b", "cot": "x"}\n'))
    assert ids(read_chains(path)) == ["a", "b"]


def test_a_zstd_file_cut_short_is_named_not_read_in_part(tmp_path: Path) -> None:
    import zstandard

    lines = b"".join(b'{"id": "%d", "cot": "%d + 1 = %d"}\n' % (i, i, i + 1) for i in range(5000))
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(lines)[:-100])  # a copy that stopped early
    with pytest.raises(InputError) as err:
        read_chains(path)
    assert str(err.value).startswith(f"{path}: not a readable zstd file: ")


# OpenAI: chat.completion and text_completion objects, Batch API output


def test_openai_chat_completions_one_chain_a_choice() -> None:
    chains = read_chains(fixture("openai_chat_completions.jsonl"))
    assert [(c.chain_id, c.sample_index, c.model) for c in chains] == [
        ("chatcmpl-natalia#0", 0, "gpt-4o-mini-2024-07-18"),  # several choices: several samples
        ("chatcmpl-natalia#1", 1, "gpt-4o-mini-2024-07-18"),
        ("chatcmpl-weng", 0, "gpt-4o-mini-2024-07-18"),  # one choice: the completion's id
    ]
    assert chains[1].cot.endswith("48 + 24 = 74 clips.\nThe answer is 74.")
    assert {(c.problem, c.reference) for c in chains} == {(None, None)}  # a completion carries no prompt


def test_openai_text_completions() -> None:
    [chain] = read_chains(fixture("openai_text_completions.jsonl"))
    assert (chain.chain_id, chain.model, chain.sample_index) == ("cmpl-betty", "gpt-3.5-turbo-instruct", 0)
    assert chain.cot.startswith(" Betty has 100 / 2 = 50 dollars.") and chain.cot.endswith("#### 5")


def test_openai_batch_output_the_custom_id_is_the_chain_id() -> None:
    chains = read_chains(fixture("openai_batch_output.jsonl"))
    assert [(c.chain_id, c.model) for c in chains] == [("gsm8k-test-0", "gpt-4o-2024-08-06"),
                                                       ("gsm8k-test-1", "gpt-4o-2024-08-06")]
    assert chains[0].cot.startswith("Janet's ducks lay 16 eggs.")


def test_a_completion_inside_a_record_takes_the_records_problem_and_reference(tmp_path: Path) -> None:
    completion = json.loads((FIXTURES / "openai_chat_completions.jsonl").read_text().splitlines()[1])
    path = write_jsonl(tmp_path / "saved.jsonl", {"id": "weng", "question": "How much did Weng earn?",
                                                  "answer": "10", "response": completion})
    [chain] = read_chains(path)
    assert (chain.chain_id, chain.problem, chain.reference, chain.model) == (
        "weng", "How much did Weng earn?", "10", "gpt-4o-mini-2024-07-18")


# vLLM offline generations, chat conversations, a reasoning model's separate reasoning


def test_vllm_request_outputs_one_chain_an_output() -> None:
    chains = read_chains(fixture("vllm_outputs.jsonl"))
    assert [(c.chain_id, c.sample_index) for c in chains] == [("0#0", 0), ("0#1", 1)]
    assert {c.problem for c in chains} == {"A store sells pencils at 3 for $0.75. How much do 8 pencils cost?"}
    assert {c.reference for c in chains} == {"2"}  # the chat template's user turn is the problem
    assert chains[1].cot.endswith("\\boxed{2.5}")


def test_vllm_outputs_as_plain_strings(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "v.jsonl", {"prompt": "What is 2 + 5?", "outputs": ["2 + 5 = 7", "2 + 5 = 8"]})
    chains = read_chains(path)
    assert [(c.cot, c.sample_index, c.problem) for c in chains] == [("2 + 5 = 7", 0, "What is 2 + 5?"),
                                                                   ("2 + 5 = 8", 1, "What is 2 + 5?")]


def test_messages_the_last_assistant_turn_is_the_chain_the_user_turn_before_it_the_problem() -> None:
    first, second = read_chains(fixture("messages.jsonl"))
    assert (first.chain_id, first.problem, first.reference) == (
        "conv-1", "A train travels 60 km in 45 minutes. What is its speed in km/h?", "80")
    assert first.cot.startswith("45 minutes is 45 / 60 = 0.75 hours.")
    assert (second.problem, second.cot) == ("And 25% of 80?", "25% of 80 is 0.25 * 80 = 25.\nThe answer is 25.")


def test_reasoning_is_the_chain_and_the_answer_after_it_is_still_found() -> None:
    from inspector import default_rules, verify_chain

    deepseek, qwq, cut_off = read_chains(fixture("reasoning_content.jsonl"))
    assert deepseek.cot == ("The box has 4 rows of 6 eggs, so 4 * 6 = 24 eggs.\nTwo boxes hold 2 * 24 = 48 eggs."
                            "\n\nThere are 48 eggs.\n\\boxed{48}")
    assert qwq.cot == "7 * 8 = 54, so the area is 54 square metres.\n\n\\boxed{54}"  # vLLM's newer `reasoning`
    assert cut_off.cot == "First, 125 * 8 = 1000. Then 1000 / 4 = 250, and"  # content null: reasoning alone
    found = verify_chain(qwq, default_rules())
    assert found.final_answer is not None and found.final_answer.text == "54"
    assert [(f.stated, f.actual) for f in found.errors] == [("54", "56")]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"object": "chat.completion", "choices": "none"}, "'choices' must be a non-empty list"),
        ({"object": "text_completion", "choices": []}, "'choices' must be a non-empty list"),
        ({"choices": [{"message": {"role": "assistant", "content": None}}]}, "has no text"),
        ({"choices": [{"message": {"role": "assistant", "content": 5}}]}, "'content' must be a string"),
        ({"choices": [{"finish_reason": "stop"}]}, "no 'message' object and no 'text' string"),
        ({"custom_id": "r1", "response": {"status_code": 429, "body": {"error": {"message": "Rate limit"}}},
          "error": None}, "request 'r1' failed with HTTP 429: Rate limit"),
        ({"custom_id": "r2", "response": None, "error": {"code": "batch_expired", "message": "expired"}},
         "request 'r2' failed: expired"),
        ({"prompt": "p", "outputs": [{"index": 0}]}, "outputs[0] must be a string or an object with a 'text'"),
        ({"prompt": "p", "outputs": []}, "'outputs' must be a non-empty list"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "no assistant turn in 'messages'"),
        ({"messages": ["hi"]}, "messages[0] must be an object"),
        ({"model_output_steps": 3}, "'model_output_steps' must be a string or a list of strings"),
    ],
)
def test_an_unreadable_record_of_another_tool_is_its_lines_error(
    tmp_path: Path, record: dict[str, Any], message: str
) -> None:
    path = write_jsonl(tmp_path / "other.jsonl", {"cot": "ok"}, record)
    with pytest.raises(InputError) as err:
        read_chains(path)
    assert str(err.value).startswith(f"{path}:2: ") and message in str(err.value)


def test_a_multiple_choice_question_is_not_an_openai_completion(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mc.jsonl", {"question": "2 + 2?", "choices": ["3", "4"], "answer": "4",
                                               "response": "2 + 2 = 4, so (B)."})
    assert [(c.cot, c.reference) for c in read_chains(path)] == [("2 + 2 = 4, so (B).", "4")]


def test_a_binary_file_on_stdin_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (FIXTURES / "gsm8k_test.parquet").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    with pytest.raises(InputError, match="<stdin>: a parquet file cannot be read from standard input"):
        read_chains("-")


# parquet and Arrow: the hub's own files, read by their fields as JSONL records are


def test_processbench_parquet_as_published() -> None:
    first, second = read_chains(fixture("processbench_gsm8k.parquet"))
    assert (first.chain_id, first.model, first.steps) == (
        "gsm8k-0", "Qwen2-7B-Instruct", ("A third of 18 is 18 / 3 = 6.", "She has 18 + 6 = 25 flamingos.",
                                        "The answer is 25."))
    assert first.reference is None  # ProcessBench's `label` is a step index, not an answer
    assert (second.source, second.cot) == (fixture("processbench_gsm8k.parquet") + ":2", "12 + 30 = 42.\n\nThe answer is 42.")


def test_gsm8k_parquet_and_arrow_as_published() -> None:
    parquet = read_chains(fixture("gsm8k_test.parquet"))
    arrow = read_chains(fixture("gsm8k_test.arrow"))  # an Arrow IPC file of two record batches
    assert [c.reference for c in parquet] == ["72", "10"]
    assert [(c.chain_id, c.cot) for c in arrow] == [(c.chain_id, c.cot) for c in parquet]


def test_an_arrow_stream_as_save_to_disk_writes_it() -> None:
    stream = fixture("gsm8k_saved/data-00000-of-00001.arrow")  # the IPC stream format, no ARROW1 magic
    assert [c.reference for c in read_chains(stream)] == ["72", "10"]


def test_trl_stepwise_parquet_is_one_chain_of_steps_with_the_ids_import_gives(tmp_path: Path) -> None:
    from inspector.formats.importers import iter_imported

    chains = read_chains(fixture("trl_stepwise.parquet"))
    assert [c.steps for c in chains] == [
        ("2 books cost 2 * 8 = 16 dollars.", "4 pens cost 4 * 3 = 12 dollars.",
         "Together 16 + 12 = 28 dollars. The answer is: 28"),
        ("4 + 5 = 9.", "3 * 9 = 36. The answer is: 36"),
    ]
    import pyarrow.parquet as pq

    records = pq.read_table(fixture("trl_stepwise.parquet")).to_pylist()
    as_jsonl = write_jsonl(tmp_path / "trl.jsonl", *records)  # the same records as `inspect import` reads them
    assert ids(chains) == [i.chain.chain_id for i in iter_imported(as_jsonl)]


def test_a_parquet_file_that_is_not_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"not a readable parquet file"):
        read_chains(path)


def test_a_bad_row_of_a_table_names_its_record(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist([{"cot": "1 + 1 = 2", "pred": "2"}, {"cot": None, "pred": "3"}]), path)
    with pytest.raises(InputError) as err:
        read_chains(path)
    assert str(err.value).startswith(f"{path}:2: record 2: no chain text")
    skipped: list[InputError] = []
    assert len(read_chains(path, skip_invalid=True, on_skip=skipped.append)) == 1 and len(skipped) == 1


# Hugging Face datasets: a folder save_to_disk wrote


def test_a_dataset_saved_with_save_to_disk() -> None:
    chains = read_chains(fixture("gsm8k_saved"))
    assert [c.reference for c in chains] == ["72", "10"]
    assert chains[0].source == fixture("gsm8k_saved") + ":1"


def test_a_dataset_dict_is_read_split_after_split(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    folder = tmp_path / "dd"
    rows = [{"question": "What is 2 + 2?", "answer": "2 + 2 = 4\n#### 4"}]
    datasets.DatasetDict({"train": datasets.Dataset.from_list(rows),
                          "test": datasets.Dataset.from_list(rows * 2)}).save_to_disk(str(folder))
    chains = read_chains(folder)
    assert [c.source for c in chains] == [f"{folder}[train]:1", f"{folder}[test]:1", f"{folder}[test]:2"]


def test_without_datasets_a_saved_dataset_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from inspector.extras import MissingDependency

    monkeypatch.setitem(sys.modules, "datasets", None)  # as if not installed
    with pytest.raises(MissingDependency, match=r"pip install 'cot-inspector\[hf\]'"):
        read_chains(fixture("gsm8k_saved"))


def test_a_folder_that_is_no_dataset_is_still_a_directory_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{}")  # half of what save_to_disk writes
    with pytest.raises(InputError, match="is a directory, not a file"):
        read_chains(tmp_path)


# inspect_ai logs: .json, and .eval archives (deflated, or zstd as newer inspect_ai can write)


@pytest.mark.parametrize("name", ["inspect_log.json", "inspect_log.eval", "inspect_log_zstd.eval"])
def test_inspect_ai_logs(name: str) -> None:
    chains = read_chains(fixture(name))
    assert [(c.chain_id, c.sample_index, c.problem_id, c.reference) for c in chains] == [
        ("openai/gpt-4o-mini/gsm8k/1#0", 0, "gsm8k/1", "34"),  # epoch 1
        ("openai/gpt-4o-mini/gsm8k/1#1", 1, "gsm8k/1", "34"),  # epoch 2: another sample of the same problem
        ("openai/gpt-4o-mini/gsm8k/q2#0", 0, "gsm8k/q2", "23"),  # target ["23"]: its first answer
    ]
    assert {(c.model, c.problem_set) for c in chains} == {("openai/gpt-4o-mini", "gsm8k")}
    assert chains[0].problem == "Sam has 5 boxes of 8 crayons and gives away 6. How many crayons does he keep?"
    assert chains[2].problem == "What is 7 + 8 * 2?"  # the last user message of a conversation input
    assert chains[2].cot == "8 * 2 = 16 first.\n\n7 + 16 = 23.\nANSWER: 23"  # reasoning part, then text
    assert chains[1].cot == "5 * 8 = 45 crayons.\n45 - 6 = 39.\nANSWER: 39"


def test_a_bad_sample_of_an_inspect_log_names_its_record(tmp_path: Path) -> None:
    log = json.loads((FIXTURES / "inspect_log.json").read_text())
    log["samples"][1]["output"] = {"choices": []}
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log, indent=2))  # as inspect_ai writes it
    with pytest.raises(InputError) as err:
        read_chains(path)
    assert str(err.value) == (f"{path}:2: record 2: sample 1 epoch 2 has no output: no output.choices and no "
                              "assistant message")
    assert len(read_chains(path, skip_invalid=True, on_skip=lambda e: None)) == 2


def test_an_inspect_log_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "compact.json"
    path.write_text(json.dumps(json.loads((FIXTURES / "inspect_log.json").read_text())))
    assert ids(read_chains(path)) == ids(read_chains(fixture("inspect_log.json")))


def test_a_zip_that_is_not_an_eval_log(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "other.eval"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="not an inspect_ai .eval log"):
        read_chains(path)


# MR-GSM8K, and ReasonEval's MR-MATH in the same layout


def test_mr_gsm8k_the_graded_solution_is_the_chain() -> None:
    first, second = read_chains(fixture("mr_gsm8k.json"))  # MR-GSM8K.json's layout: a list of steps
    assert (first.chain_id, first.reference) == ("5d1e0a4c-0001-4e7a-9a53-fixture00001", "14")  # uuid; int answer
    assert first.steps == ("Step 1: The notebooks cost 3 * 4 = 12 dollars.",
                           "Step 2: With the pen he spends 12 + 2 = 15 dollars.", "Step 3: #### 15")
    assert first.problem == "Tom buys 3 notebooks at $4 each and a pen for $2. How much does he spend?"
    assert second.cot == ("Step 1: She bakes 5 * 12 = 60 rolls.\n\nStep 2: After selling, 60 - 38 = 22 rolls are "
                          "left.\n\nStep 3: #### 22")


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ('["Step 1: 2 + 2 = 4", "Step 2: #### 4"]', ("Step 1: 2 + 2 = 4", "Step 2: #### 4")),  # JSON text
        ("['Step 1: 2 + 2 = 4', 'Step 2: #### 4']", None),  # Python's repr: read as text, never evaluated
    ],
)
def test_mr_gsm8k_steps_saved_as_text(tmp_path: Path, steps: str, expected: tuple[str, ...] | None) -> None:
    path = write_jsonl(tmp_path / "mr.jsonl", {"uuid": "u", "question": "2 + 2?", "ground_truth_answer": 4,
                                               "model_output_steps": steps})
    [chain] = read_chains(path)
    assert chain.steps == expected
    assert "2 + 2 = 4" in chain.cot


def test_reasoneval_mr_math_as_published() -> None:
    path = SHARED_DATA / "model-outputs" / "reasoneval-mr-math" / "mr-math_invalid_errors.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent (no ../shared/data in this checkout)")
    chains = read_chains(path)
    assert len(chains) == 159 and all(c.cot and c.problem and c.reference and c.model for c in chains)


# --field: odd names


def test_field_names_map_odd_names(tmp_path: Path) -> None:
    from inspector.formats.load import ReadOptions, parse_fields

    fields = parse_fields(["cot=model_response,reference=gold_answer", "problem=prompt_text,id=qid,model=meta.model_name"])
    chains = read_chains(fixture("odd_fields.jsonl"), options=ReadOptions(fields=fields))
    assert [(c.chain_id, c.problem, c.reference, c.model) for c in chains] == [
        ("odd-1", "What is 14 * 3?", "42", "my-model"), ("odd-2", "What is 144 / 12?", "12", "my-model")]
    assert chains[1].cot == "144 / 12 = 14.\nThe answer is 14."


def test_a_named_field_that_is_absent_is_an_error_not_a_missing_reference(tmp_path: Path) -> None:
    from inspector.formats.load import ReadOptions, parse_fields

    options = ReadOptions(fields=parse_fields(["cot=model_response,reference=gold"]))
    with pytest.raises(InputError, match=r":1: no field 'gold' \(named by --field reference=gold\)"):
        read_chains(fixture("odd_fields.jsonl"), options=options)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cot", "expected ROLE=FIELD"),
        ("answer=gt", "unknown role 'answer'"),
        ("cot=", "no field name after cot="),
        ("cot=a,cot=b", "cot is named twice"),
    ],
)
def test_field_specs_are_validated(spec: str, message: str) -> None:
    from inspector.formats.load import parse_fields

    with pytest.raises(ValueError, match=message):
        parse_fields([spec])


def test_a_forced_record_format_reads_nothing_else(tmp_path: Path) -> None:
    from inspector.formats.load import ReadOptions

    path = write_jsonl(tmp_path / "c.jsonl", {"cot": "1 + 1 = 2"})
    with pytest.raises(InputError, match=r":1: not a vLLM record"):
        read_chains(path, options=ReadOptions("vllm"))
    assert ids(read_chains(fixture("vllm_outputs.jsonl"), options=ReadOptions("vllm"))) == ["0#0", "0#1"]


# the real files, as tables


@pytest.mark.parametrize("relative", ["processbench/gsm8k.json", "gsm8k/test.jsonl"])
def test_real_data_as_parquet_reads_as_the_json_does(tmp_path: Path, relative: str) -> None:
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent (no ../shared/data in this checkout)")
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = json.loads(path.read_text()) if relative.endswith(".json") else [
        json.loads(line) for line in path.read_text().splitlines()]
    table = tmp_path / "as-published.parquet"
    pq.write_table(pa.Table.from_pylist(records), table, row_group_size=256)  # several row groups, as on the hub
    from_json, from_parquet = read_chains(path), read_chains(table)
    assert [(c.chain_id, c.cot, c.reference, c.steps) for c in from_parquet] == [
        (c.chain_id, c.cot, c.reference, c.steps) for c in from_json]
