"""Records written by the field's other tools: OpenAI completions (and Batch API lines), vLLM generations,
chat conversations, TRL's stepwise supervision, MR-GSM8K and ReasonEval, inspect_ai samples.

Each tool's layout has a reader of its own here; `load_records` knows which one a record needs by its fields
(`_other_tool`) or by ``--input-format`` (`_RECORD_READERS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..engine.model import ChainInput
from .load_fields import (
    _SQLITE_INT,
    RecordError,
    _check_unicode,
    _content_id,
    _first_str,
    _id,
    _model,
    _problem,
    _problem_hash,
    _reference,
    _sha256_hex,
    _single,
    _str_tuple,
    _type_name,
)

_REASONING_FIELDS = frozenset({"reasoning_content", "reasoning"})
"""Where OpenAI-compatible servers put a reasoning model's chain (vLLM's reasoning parsers, DeepSeek's API:
``reasoning_content``; newer vLLM and OpenRouter: ``reasoning``), apart from the answer in ``content``."""
_MR_GSM8K_FIELDS = frozenset({"model_output_steps", "model_output"})
"""MR-GSM8K's chain (``model_output_steps``) and ReasonEval's MR-MATH one (``model_output``)."""


def _other_tool(record: dict[str, Any]) -> str | None:
    """The record format of another tool's output that the fields announce, if any."""
    get = record.get
    if "custom_id" in record and ("response" in record or "error" in record):
        return "openai"  # a Batch API output line
    choices = get("choices")
    if get("object") in ("chat.completion", "text_completion") or (
            type(choices) is list and choices and type(choices[0]) is dict):  # not a multiple-choice question's
        return "openai"
    if any(type(inner := get(k)) is dict and "choices" in inner for k in ("response", "completion", "output")):
        return "openai"  # a completion saved inside a record that says more
    if type(get("outputs")) is list:
        return "vllm"
    if type(get("messages")) is list:
        return "messages"
    return None


_PART_TEXT = {"text": "text", "reasoning": "reasoning", "thinking": "thinking"}
"""Where a content part of each type keeps its text: OpenAI's ``text`` parts, inspect_ai's ``reasoning`` parts,
Anthropic's ``thinking`` blocks. Other parts (images, audio, tool calls) hold no chain."""


def _message_text(message: dict[str, Any], where: str) -> str:
    """A chat message's text: its reasoning (``reasoning_content`` / ``reasoning``, or reasoning parts) first,
    then its ``content``, the answer part, so that the chain is whole and its final answer is still found.

    ``content`` may be a string, null (a reasoning model cut off before it answered, a tool call) or a list of
    parts (``{"type": "text", "text"}``, inspect_ai's ``{"type": "reasoning", "reasoning"}``); images and other
    parts are left out. A message with no text at all is its record's error.
    """
    text = message_parts(message, where)
    if not text.strip():
        raise RecordError(f"{where} has no text: its content is null or empty and it has no reasoning")
    return text


def message_parts(message: dict[str, Any], where: str) -> str:
    """`_message_text`, or ``""`` for a message without text."""
    reasoning: list[str] = []
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if value is not None:
            if type(value) is not str:
                raise RecordError(f"{where}: field {key!r} must be a string, got {_type_name(value)}")
            reasoning.append(value)
            break
    content = message.get("content")
    answer: list[str] = []
    if type(content) is str:
        answer.append(content)
    elif type(content) is list:
        for k, part in enumerate(content):
            if type(part) is str:
                answer.append(part)
            elif type(part) is dict:
                kind = part.get("type")
                field = _PART_TEXT.get(str(kind))
                text = part.get(field) if field else None
                if text is not None and type(text) is not str:
                    raise RecordError(f"{where}: content part {k}'s {field!r} must be a string")
                if text:
                    (answer if kind == "text" else reasoning).append(text)
            else:
                raise RecordError(f"{where}: content part {k} is {_type_name(part)}, not an object")
    elif content is not None:
        raise RecordError(f"{where}: 'content' must be a string, a list of parts or null, got "
                           f"{_type_name(content)}")
    return "\n\n".join(t for t in (*reasoning, *answer) if t)


def _text_or_none(message: dict[str, Any], where: str) -> str | None:
    """A user turn's text, for the problem: one without text (an image, a null) leaves the chain without a
    problem rather than unread."""
    return message_parts(message, where).strip() or None


def _chat_chain(
    record: dict[str, Any], text: str, source: str, *, problem: str | None, model: str | None,
    base_id: str | None, index: int, several: bool,
) -> ChainInput:
    """One chain of a record that holds one or several samples: its id is the record's (``ID#INDEX`` when the
    record holds several), else one made from its content."""
    reference = _reference(record)
    problem_id = _id(record, "problem_id")
    if problem_id is None and problem is not None:
        problem_id = _problem_hash(problem)
    for field_name, value in (("chain text", text), ("problem", problem), ("reference", reference),
                              ("model", model), ("id", base_id)):
        _check_unicode(field_name, value)
    if base_id is not None:
        chain_id = f"{base_id}#{index}" if several else base_id
    else:
        chain_id = _content_id(problem, text, model, index)
    return ChainInput(
        chain_id=chain_id, cot=text, problem_id=problem_id, problem=problem, reference=reference, model=model,
        sample_index=index, source=source,
    )  # fmt: skip


def _openai(record: dict[str, Any], source: str) -> list[ChainInput]:
    """An OpenAI ``chat.completion`` or ``text_completion`` object, saved as it came (``choices[].message`` or
    ``choices[].text``; several choices are several samples, ``sample_index`` the choice's index); the same
    inside a record that says more (``{"problem", "reference", "response": <completion>}``); or a Batch API
    output line (``{"custom_id", "response": {"status_code", "body": <completion>}, "error"}``), whose
    ``custom_id`` is the chain id. A failed request is its line's error, never a silent gap.

    A completion carries no prompt: the problem and the reference come from the record around it, or from
    ``--references``/``--field`` where there is one.
    """
    outer = record
    base_id: str | None
    if "custom_id" in record:
        base_id = _id(record, "custom_id")
        error = record.get("error")
        if error is not None:
            raise RecordError(f"request {base_id!r} failed: {_error_message(error)}")
        response = record.get("response")
        if type(response) is not dict:
            raise RecordError(f"request {base_id!r}: 'response' must be an object, got {_type_name(response)}")
        status = response.get("status_code")
        body = response.get("body")
        if status is not None and status != 200:
            why = _error_message(body.get("error")) if type(body) is dict and body.get("error") else "no body"
            raise RecordError(f"request {base_id!r} failed with HTTP {status}: {why}")
        if type(body) is not dict:
            raise RecordError(f"request {base_id!r}: 'response.body' must be a completion object, got "
                               f"{_type_name(body)}")
        completion = body
    elif "choices" in record:
        completion = record
        base_id = _id(record, "id")
    else:
        key = next((k for k in ("response", "completion", "output") if type(record.get(k)) is dict), None)
        if key is None:
            raise RecordError("not an OpenAI completion: no 'choices' list, no Batch API 'custom_id' and "
                               "'response', no completion object in 'response', 'completion' or 'output'")
        completion = record[key]
        base_id = _id(record, "id") or _id(completion, "id")
    choices = completion.get("choices")
    if type(choices) is not list or not choices:
        raise RecordError(f"'choices' must be a non-empty list, got {_type_name(choices)}")
    problem = _problem(outer)
    model = _model(outer) if outer is not completion else None
    model = model or _first_str(completion, ("model",))
    chains: list[ChainInput] = []
    for position, choice in enumerate(choices):
        where = f"choices[{position}]"
        if type(choice) is not dict:
            raise RecordError(f"{where} must be an object, got {_type_name(choice)}")
        index = choice.get("index", position)
        if type(index) is not int or not 0 <= index < _SQLITE_INT:
            raise RecordError(f"{where}.index must be a non-negative integer")
        message = choice.get("message")
        if type(message) is dict:
            text = _message_text(message, f"{where}.message")
        elif type(choice.get("text")) is str:
            text = choice["text"]  # text_completion
        else:
            raise RecordError(f"{where} has no 'message' object and no 'text' string")
        chains.append(_chat_chain(outer, text, source, problem=problem, model=model, base_id=base_id, index=index,
                                  several=len(choices) > 1))
    return chains


def _error_message(error: Any) -> str:
    if type(error) is dict:
        message = error.get("message") or error.get("code")
        if message is not None:
            return str(message)[:300]
    return json.dumps(error, ensure_ascii=False)[:300]


_CHAT_USER_RE = re.compile(r"<\|im_start\|>user\n(.*?)(?:<\|im_end\|>|$)", re.DOTALL)


def _user_turn(prompt: str) -> str | None:
    """The user turn of a ChatML-templated prompt (Qwen's), else the prompt itself."""
    user = _CHAT_USER_RE.search(prompt)
    return (user.group(1) if user else prompt).strip() or None


def _vllm(record: dict[str, Any], source: str) -> list[ChainInput]:
    """vLLM offline generations as saved from ``LLM.generate``: ``{"prompt", "outputs": [{"index", "text",
    ...}]}`` (a ``RequestOutput`` as a dict; ``request_id`` is the chain id), or ``outputs`` as plain strings.
    Several outputs are several samples. The problem is ``problem``/``question`` when the record has one, else
    the user turn of a chat-templated ``prompt``, else the prompt."""
    outputs = record.get("outputs")
    if type(outputs) is not list or not outputs:
        raise RecordError(f"not a vLLM record: 'outputs' must be a non-empty list, got {_type_name(outputs)}")
    problem = _problem(record)
    prompt = record.get("prompt")
    if problem is None and type(prompt) is str:
        problem = _user_turn(prompt)
    elif problem is None and type(prompt) is list:  # the conversation given to LLM.chat
        users = [m for m in prompt if type(m) is dict and m.get("role") == "user"]
        problem = _text_or_none(users[-1], "prompt") if users else None
    model = _model(record)
    base_id = _id(record, "id") or _id(record, "request_id")
    chains: list[ChainInput] = []
    for position, output in enumerate(outputs):
        index = position
        if type(output) is dict:
            text = output.get("text")
            index = output.get("index", position)
            if type(index) is not int or not 0 <= index < _SQLITE_INT:
                raise RecordError(f"outputs[{position}].index must be a non-negative integer")
        else:
            text = output
        if type(text) is not str:
            raise RecordError(f"outputs[{position}] must be a string or an object with a 'text' string")
        chains.append(_chat_chain(record, text, source, problem=problem, model=model, base_id=base_id, index=index,
                                  several=len(outputs) > 1))
    return chains


def _messages(record: dict[str, Any], source: str) -> list[ChainInput]:
    """A conversation, ``{"messages": [{"role", "content"}, ...]}``: the last assistant turn is the chain, the
    last user turn before it the problem (unless the record has a ``problem`` of its own)."""
    messages = record.get("messages")
    if type(messages) is not list:
        raise RecordError(f"field 'messages' must be a list, got {_type_name(messages)}")
    for k, message in enumerate(messages):
        if type(message) is not dict:
            raise RecordError(f"messages[{k}] must be an object, got {_type_name(message)}")
    last = next((k for k in range(len(messages) - 1, -1, -1) if messages[k].get("role") == "assistant"), None)
    if last is None:
        raise RecordError("no assistant turn in 'messages': nothing to check")
    text = _message_text(messages[last], f"messages[{last}]")
    problem = _problem(record)
    if problem is None:
        user = next((k for k in range(last - 1, -1, -1) if messages[k].get("role") == "user"), None)
        if user is not None:
            problem = _text_or_none(messages[user], f"messages[{user}]")
    return [_single({**record, "problem": problem}, text, None, source)]


def _is_stepwise(record: dict[str, Any]) -> bool:
    """TRL's stepwise supervision (``{"prompt", "completions", "labels"}``, one label a step): one chain whose
    steps are the completions, not one sample a completion."""
    completions, labels = record.get("completions"), record.get("labels")
    return (type(record.get("prompt")) is str and type(completions) is list and type(labels) is list
            and len(labels) == len(completions))


def _stepwise(record: dict[str, Any], source: str) -> ChainInput:
    """A TRL stepwise record as ``inspect import`` reads it: the same chain id, so verifying and importing the
    same file (JSONL or the hub's parquet) name the same chains."""
    steps = _str_tuple(record["completions"], "completions")
    if not steps:
        raise RecordError("field 'completions' is an empty list: no steps")
    prompt = record["prompt"]
    cot = "\n\n".join(steps)
    for k, step in enumerate(steps):
        _check_unicode(f"step {k}", step)
    _check_unicode("prompt", prompt)
    return ChainInput(
        chain_id=stepwise_chain_id(prompt, cot), cot=cot, problem_id=_problem_hash(prompt), problem=prompt,
        reference=_reference(record), model=_model(record), source=source, steps=steps,
    )  # fmt: skip


def stepwise_chain_id(prompt: str | None, cot: str) -> str:
    """The id of a TRL stepwise chain (shared with ``importers``)."""
    return "trl-" + _sha256_hex(f"{prompt}\x1f{cot}")[:16]


def _mr_gsm8k(record: dict[str, Any], source: str) -> list[ChainInput]:
    """MR-GSM8K (``{"uuid", "question", "ground_truth_answer", "model_output_steps", ...}``; the graded solution
    in ``model_output_steps``, a list of steps in ``MR-GSM8K.json``, a string elsewhere) and ReasonEval's MR-MATH
    (``model_output``, with ``generator``). The human judgements beside them (``model_output_solution_first_error_step``, ...) are
    labels, not part of the chain."""
    key = "model_output_steps" if "model_output_steps" in record else "model_output"
    if key not in record:
        raise RecordError("not an MR-GSM8K record: no 'model_output_steps' (nor ReasonEval's 'model_output')")
    value = record[key]
    steps: tuple[str, ...] | None = None
    if type(value) is str and value.startswith("[") and value.rstrip().endswith("]"):
        # the list of steps saved as text (a CSV or parquet copy): JSON is read; Python's repr is left as text,
        # never evaluated (its "Step k:" markers still split it)
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            parsed = None
        if type(parsed) is list and parsed and all(type(step) is str for step in parsed):
            value = parsed
    if type(value) is str:
        cot = value
    elif type(value) is list:
        steps = _str_tuple(value, key)
        cot = "\n\n".join(steps)
    else:
        raise RecordError(f"field {key!r} must be a string or a list of strings, got {_type_name(value)}")
    if _id(record, "id") is None and _id(record, "uuid") is not None:
        record = {**record, "id": record["uuid"]}
    return [_single(record, cot, steps, source)]


def _is_inspect_log(document: dict[str, Any]) -> bool:
    return type(document.get("eval")) is dict and type(document.get("samples")) is list


def _inspect_sample(sample: Any, log: dict[str, Any], source: str) -> ChainInput:
    """One inspect_ai sample: ``{"id", "epoch", "input", "target", "output": {"choices": [{"message"}]},
    "scores"}``. The chain is the output's first choice (the last assistant message when there is no output),
    the problem the input (its last user message when it is a conversation), the reference the target; the
    problem id is ``TASK/ID`` and the sample index the epoch counted from 0, so epochs are samples for pass@k.
    The scores are the log's own grading: kept out, as the other formats' graders' verdicts are."""
    if type(sample) is not dict:
        raise RecordError(f"a sample must be an object, got {_type_name(sample)}")
    spec: dict[str, Any] = log["eval"] if type(log.get("eval")) is dict else {}
    task = _first_str(spec, ("task",)) or "task"
    model = _first_str(spec, ("model",))
    sample_id = sample.get("id")
    if type(sample_id) not in (str, int):
        raise RecordError(f"a sample's 'id' must be a string or an integer, got {_type_name(sample_id)}")
    epoch = sample.get("epoch", 1)
    if type(epoch) is not int or not 1 <= epoch < _SQLITE_INT:
        raise RecordError(f"sample {sample_id!r}: 'epoch' must be a positive integer")
    where = f"sample {sample_id!r} epoch {epoch}"
    if sample.get("error") and not sample.get("output"):
        raise RecordError(f"{where} failed: {_error_message(sample['error'])}")
    output = sample.get("output")
    choices = output.get("choices") if type(output) is dict else None
    if type(choices) is list and choices and type(choices[0]) is dict and type(choices[0].get("message")) is dict:
        text = _message_text(choices[0]["message"], f"{where}: output.choices[0].message")
    else:
        messages = sample.get("messages")
        turns = [m for m in messages if type(m) is dict] if type(messages) is list else []
        last = next((m for m in reversed(turns) if m.get("role") == "assistant"), None)
        if last is None:
            raise RecordError(f"{where} has no output: no output.choices and no assistant message")
        text = _message_text(last, f"{where}: the last assistant message")
    problem = _inspect_input(sample.get("input"), where)
    target = sample.get("target")
    if type(target) is list:
        target = next((t for t in target if type(t) is str), None)  # one of several accepted answers
    if target is not None and type(target) is not str:
        raise RecordError(f"{where}: 'target' must be a string or a list of strings")
    problem_id = f"{task}/{sample_id}"
    index = epoch - 1
    for field_name, value in (("chain text", text), ("problem", problem), ("reference", target),
                              ("model", model), ("id", problem_id)):
        _check_unicode(field_name, value)
    return ChainInput(
        chain_id=f"{model or 'model'}/{problem_id}#{index}", cot=text, problem_id=problem_id, problem=problem,
        reference=target or None, model=model, sample_index=index, source=source, problem_set=task,
    )  # fmt: skip


def _inspect_input(value: Any, where: str) -> str | None:
    if value is None or type(value) is str:
        return value or None
    if type(value) is list:
        users = [m for m in value if type(m) is dict and m.get("role") == "user"]
        return _text_or_none(users[-1], f"{where}: input") if users else None
    raise RecordError(f"{where}: 'input' must be a string or a list of messages, got {_type_name(value)}")


_RECORD_READERS: dict[str, Callable[[dict[str, Any], str], list[ChainInput]]] = {
    "openai": _openai, "vllm": _vllm, "messages": _messages, "mr-gsm8k": _mr_gsm8k,
}  # fmt: skip
