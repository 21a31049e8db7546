"""Which chains a record holds, known by its fields (or as ``--input-format`` and ``--field`` say): a ``cot``,
a list of samples, an evaluation dump, a ProcessBench solution, a GSM8K answer, another tool's output.

The one place that decides a record's format, so that every reader of files (`load`) and of rows from
elsewhere (``inspect verify --ray``) reads a record alike.
"""

from __future__ import annotations

import json
from typing import Any

from ..engine.model import ChainInput
from .load_fields import (
    _GSM8K_MARK,
    RecordError,
    _check_unicode,
    _first_str,
    _many,
    _single,
    _str_tuple,
    _type_name,
)
from .load_options import AUTO, ReadOptions, _mapped
from .load_tools import (
    _MR_GSM8K_FIELDS,
    _REASONING_FIELDS,
    _RECORD_READERS,
    _inspect_sample,
    _is_inspect_log,
    _is_stepwise,
    _message_text,
    _mr_gsm8k,
    _other_tool,
    _stepwise,
    _user_turn,
)

_SAMPLE_FIELDS = ("code", "completions", "responses", "samples", "response")
"""Fields that hold many samples of one problem when they are a list (``response`` only then)."""
_COT_FIELDS = ("completion", "response", "output", "solution")
"""Fields that hold the chain text after ``cot``, first present wins."""


def _chains(record: dict[str, Any], source: str, opts: ReadOptions = AUTO) -> list[ChainInput]:
    """The chains of one record, by the first format its fields match (or the one ``opts`` forces)."""
    if opts.fields:
        record, named_cot = _mapped(record, opts.fields)
        if named_cot is not None:
            return _mapped_chains(record, *named_cot, source)
    forced = opts.record_format
    if forced is not None:
        return _RECORD_READERS[forced](record, source)
    get = record.get
    if type(get("metadata")) is list and "dataset" in record:
        return _evaluation_dump(record, source)
    if _is_inspect_log(record):  # an inspect_ai log on one line (pretty-printed ones are read sample by sample)
        return [_inspect_sample(sample, record, source) for sample in record["samples"]]
    cot = get("cot")
    if cot is not None:
        if type(cot) is not str:
            raise RecordError(f"field 'cot' must be a string, got {_type_name(cot)}")
        return [_single(record, cot, None, source)]
    other = _other_tool(record)
    if other is not None:
        return _RECORD_READERS[other](record, source)
    if _is_stepwise(record):
        return [_stepwise(record, source)]
    not_a_list: str | None = None
    for key in _SAMPLE_FIELDS:
        value = get(key)
        if type(value) is list:
            return _many(record, key, value, source)
        if value is not None and key != "response":
            not_a_list = key
    for key in _COT_FIELDS:
        value = get(key)
        if value is not None:
            if type(value) is not str:
                raise RecordError(f"field {key!r} must be a string, got {_type_name(value)}")
            return [_single(record, value, None, source)]
    if _MR_GSM8K_FIELDS & record.keys():
        return _mr_gsm8k(record, source)
    steps = get("steps")
    if steps is not None:
        parts = _str_tuple(steps, "steps")
        return [_single(record, "\n\n".join(parts), parts, source)]
    answer = get("answer")
    if type(answer) is str and _GSM8K_MARK in answer:
        return [_single(record, answer, None, source)]  # GSM8K: the gold solution, ending "#### N"
    if _REASONING_FIELDS & record.keys() or get("role") == "assistant":
        return [_single(record, _message_text(record, "the record"), None, source)]  # one chat message
    if not_a_list is not None:
        raise RecordError(f"field {not_a_list!r} must be a list of strings, got {_type_name(get(not_a_list))}")
    raise RecordError(
        "no chain text: expected a string in 'cot', 'completion', 'response', 'output' or 'solution', "
        "a list of strings in 'code', 'completions', 'responses' or 'samples', 'steps', "
        "a GSM8K 'answer' ending '#### N', OpenAI 'choices', vLLM 'outputs', chat 'messages' or MR-GSM8K's "
        "'model_output_steps' (name another field with --field cot=NAME)"
    )


def _evaluation_dump(record: dict[str, Any], source: str) -> list[ChainInput]:
    """An evaluation harness's dump of a model on a data set, one object for the whole file: ``{dataset,
    model, temperature, metadata: [{prompt, label, index, outputs: [str]}]}`` (the Spurious Rewards
    generations; ``outputs`` may be a JSON string of the list).

    Each output is a chain: its model is the file's ``model`` (the last part of a path such as
    ``./export-for-eval-step50``), its problem ``DATASET/INDEX``, shared by every model's samples of it so
    that pass@k and the crossings compare like with like, its text the user turn of the prompt.
    """
    dataset = _first_str(record, ("dataset",)) or "dataset"
    model_field = _first_str(record, ("model",))
    model = model_field.rstrip("/").rsplit("/", 1)[-1] if model_field else None
    chains: list[ChainInput] = []
    for n, item in enumerate(record["metadata"]):
        if type(item) is not dict:
            raise RecordError(f"metadata[{n}] must be an object, got {_type_name(item)}")
        outputs = item.get("outputs")
        if type(outputs) is str:
            try:
                outputs = json.loads(outputs)
            except (ValueError, RecursionError):
                raise RecordError(f"metadata[{n}].outputs is a string that is not a JSON list") from None
        if type(outputs) is not list or not all(type(o) is str for o in outputs):
            raise RecordError(f"metadata[{n}].outputs must be a list of strings")
        index = item.get("index", n)
        if type(index) not in (str, int):
            raise RecordError(f"metadata[{n}].index must be a string or an integer")
        prompt = item.get("prompt")
        problem = None
        if type(prompt) is str:
            problem = _user_turn(prompt)
        label = item.get("label")
        reference = str(label) if type(label) in (str, int, float) else None
        problem_id = f"{dataset}/{index}"
        for k, text in enumerate(outputs):
            for field_name, value in (("chain text", text), ("problem", problem), ("reference", reference)):
                _check_unicode(field_name, value)
            chains.append(ChainInput(
                chain_id=f"{model or 'model'}/{problem_id}#{k}", cot=text, problem_id=problem_id, problem=problem,
                reference=reference, model=model, sample_index=k, source=source, problem_set=dataset,
            ))  # fmt: skip
    return chains


def _mapped_chains(record: dict[str, Any], name: str, value: Any, source: str) -> list[ChainInput]:
    """The chains of a record whose chain field ``--field cot=NAME`` named: one for a string, one a sample for
    a list of strings."""
    if type(value) is str:
        return [_single(record, value, None, source)]
    if type(value) is list:
        return _many(record, name, value, source)
    raise RecordError(f"field {name!r} (--field cot={name}) must be a string or a list of strings, got "
                       f"{_type_name(value)}")
