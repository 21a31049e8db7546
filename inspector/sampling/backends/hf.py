"""A local Hugging Face model: batched, seeded sampling, and teacher-forced log-probabilities and PRM scores.

Importing this module imports torch and transformers (the ``models`` extra); without them it raises
:class:`~inspector.extras.MissingDependency` saying how to install them. Models are read from a
local directory only (``local_files_only``): nothing is downloaded.

**Seeded sampling that batching does not change.** ``generate`` with ``do_sample=True`` draws every
row of a batch from one random stream, so a sample's text would depend on its batch-mates and on
where a resumed run started. Instead a logits processor samples each row itself (temperature,
top-p, then the inverse CDF of one uniform number from that row's own ``torch.Generator``, seeded
per sample) and hands greedy decoding a one-hot choice. The rejected alternative, a decoding loop of
our own, would re-implement the caches, masks and position ids that ``generate`` gets right.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ...errors import BackendError
from ...extras import MissingDependency
from . import MODELS_HINT

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # models come from disk: transformers never reaches for the Hub

try:
    import torch
    import transformers
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoModelForTokenClassification,
        AutoTokenizer,
        GenerationConfig,
        LogitsProcessor,
        LogitsProcessorList,
    )
except ImportError as _exc:  # pragma: no cover - exercised without the extra
    raise MissingDependency(f"local models need torch and transformers, which are not installed: {MODELS_HINT}") from _exc

from ..sample import Completion, Problem, Prompt, Request, SamplingParams, Template, default_model_name

__all__ = [
    "DTYPES",
    "HFBackend",
    "LogprobScorer",
    "PrmScorer",
    "encode_prompt",
    "load_tokenizer",
    "render_chat",
    "resolve_device",
    "resolve_dtype",
    "set_threads",
]

DTYPES = ("auto", "float32", "float16", "bfloat16")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when there is a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BackendError(f"--device {name}: no CUDA device here")
    return device


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """``auto``: bfloat16 on a GPU that has it, else float32 (the CPU computes half precision slowly)."""
    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if name not in DTYPES:
        raise BackendError(f"unknown dtype {name!r} (one of {', '.join(DTYPES)})")
    dtype: torch.dtype = getattr(torch, name)
    return dtype


def set_threads(threads: int | None) -> None:
    """CPU threads for torch's own operations (``None``: torch's choice). On a small machine one thread can
    be many times faster than two, when the second core is busy with something else."""
    if threads is not None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        torch.set_num_threads(threads)


def _local_dir(path: str) -> str:
    p = Path(path)
    if not p.is_dir():
        raise BackendError(f"{path}: not a local model directory (models are read from disk; nothing is downloaded)")
    if not (p / "config.json").is_file():
        raise BackendError(f"{path}: no config.json: not a Hugging Face model directory")
    return str(p)


def load_tokenizer(path: str) -> Any:
    try:
        tokenizer = AutoTokenizer.from_pretrained(_local_dir(path), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise BackendError(f"{path}: cannot load the tokenizer: {exc}") from exc
    return tokenizer


def _load(cls: Any, path: str, dtype: torch.dtype, device: torch.device, **kwargs: Any) -> Any:
    try:
        model = cls.from_pretrained(_local_dir(path), local_files_only=True, dtype=dtype, **kwargs)
    except (OSError, ValueError) as exc:
        raise BackendError(f"{path}: cannot load the model: {exc}") from exc
    model.to(device)
    model.eval()
    return model


def render_chat(tokenizer: Any, messages: list[dict[str, str]], *, generation_prompt: bool = True) -> str:
    """The chat template's text for ``messages``; a template without a system role gets it folded into the user's."""
    if not getattr(tokenizer, "chat_template", None):
        raise BackendError("the model has no chat template: use --template plain, qwen-boxed or a template file")
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    except Exception as exc:  # jinja2's TemplateError, raised by templates that refuse a system message
        if messages and messages[0]["role"] == "system" and len(messages) > 1:
            rest = [dict(m) for m in messages[1:]]
            rest[0]["content"] = messages[0]["content"] + "\n\n" + rest[0]["content"]
            return render_chat(tokenizer, rest, generation_prompt=generation_prompt)
        raise BackendError(f"the model's chat template failed: {exc}") from exc
    assert isinstance(text, str)
    return text


def prompt_for(tokenizer: Any, template: Template, problem: str) -> Prompt:
    if template.is_chat:
        return Prompt("chat_text", render_chat(tokenizer, template.messages(problem)))
    return Prompt("text", template.render(problem))


def encode_prompt(tokenizer: Any, prompt: Prompt) -> list[int]:
    """Token ids of a prompt: a chat template's text carries its own special tokens, a plain text gets the BOS."""
    if prompt.format == "messages":
        prompt = Prompt("chat_text", render_chat(tokenizer, json.loads(prompt.text)))
    ids = tokenizer(prompt.text, add_special_tokens=prompt.format == "text")["input_ids"]
    return list(ids)


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    ids: set[int] = set()
    configured = getattr(model.generation_config, "eos_token_id", None)
    for value in configured if isinstance(configured, list) else [configured]:
        if value is not None:
            ids.add(int(value))
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    return sorted(ids)


class _SeededSampler(LogitsProcessor):
    """Temperature and top-p sampling with one random generator per row; returns a one-hot choice for argmax."""

    def __init__(self, seeds: Sequence[int], temperature: float, top_p: float) -> None:
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]
        self.temperature = temperature
        self.top_p = top_p

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if self.temperature == 0:
            choice = scores.argmax(dim=-1)
        else:
            probs = torch.softmax(scores.float() / self.temperature, dim=-1)
            sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)
            before = sorted_probs.cumsum(dim=-1) - sorted_probs
            kept = sorted_probs.masked_fill(before >= self.top_p, 0.0).double()  # the smallest set reaching top-p
            cdf = kept.cumsum(dim=-1)
            u = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) for g in self.generators])
            target = (u.to(cdf.device) * cdf[:, -1]).unsqueeze(-1)
            position = torch.searchsorted(cdf, target, right=True).clamp(max=cdf.shape[-1] - 1)
            choice = order.gather(-1, position).squeeze(-1)
        out = torch.full_like(scores, -math.inf)
        out.scatter_(1, choice.unsqueeze(-1), 0.0)
        return out


class HFBackend:
    """Batched generation from a local model directory, on CUDA when there is one, else the CPU."""

    name = "hf"

    def __init__(
        self, path: str, *, model_name: str | None = None, dtype: str = "auto", device: str = "auto",
        batch_size: int = 16, threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        set_threads(threads)
        self.location = str(path)
        self.model_name = model_name or default_model_name(path)
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.batch_size = batch_size
        self.tokenizer = load_tokenizer(path)
        self.model = _load(AutoModelForCausalLM, path, self.dtype, self.device)
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.eos_ids[0] if self.eos_ids else self.tokenizer.unk_token_id
        if pad is None:
            raise BackendError(f"{path}: the tokenizer has no pad, end or unknown token to pad batches with")
        self.pad_id = int(pad)
        # Exactly temperature and top-p: the model's own defaults (a repetition penalty, top-k ...) would
        # otherwise fill in whatever the request leaves unset.
        self.model.generation_config = GenerationConfig(  # type: ignore[no-untyped-call]
            eos_token_id=self.eos_ids or None, pad_token_id=self.pad_id,
            bos_token_id=getattr(self.model.generation_config, "bos_token_id", None),
        )
        self._encoded: dict[str, list[int]] = {}

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def describe(self) -> dict[str, Any]:
        return {"dtype": str(self.dtype).removeprefix("torch."), "device": str(self.device),
                "batch_size": self.batch_size, "threads": torch.get_num_threads(), "transformers": transformers.__version__, "torch": torch.__version__}

    def prompt(self, template: Template, problem: Problem) -> Prompt:
        return prompt_for(self.tokenizer, template, problem.problem)

    def _ids(self, prompt: Prompt) -> list[int]:
        key = prompt.hash
        if key not in self._encoded:
            if len(self._encoded) > 4096:
                self._encoded.clear()
            self._encoded[key] = encode_prompt(self.tokenizer, prompt)
        return self._encoded[key]

    def generate(self, requests: Sequence[Request], params: SamplingParams) -> Iterator[list[Completion]]:
        for start in range(0, len(requests), self.batch_size):
            yield self.generate_batch(requests[start : start + self.batch_size], params)

    def generate_batch(self, batch: Sequence[Request], params: SamplingParams) -> list[Completion]:
        """One padded batch through ``generate``; each row's text depends only on its prompt and seed."""
        encoded = [self._ids(r.prompt) for r in batch]
        width = max(len(e) for e in encoded)
        input_ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for i, ids in enumerate(encoded):  # left padding: every row's next token is at the same column
            if ids:
                input_ids[i, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
                attention[i, width - len(ids) :] = 1
        sampler = _SeededSampler([r.seed for r in batch], params.temperature, params.top_p)
        config = GenerationConfig(  # type: ignore[no-untyped-call]
            max_new_tokens=params.max_new_tokens, do_sample=False, pad_token_id=self.pad_id,
            eos_token_id=self.eos_ids or None,
        )
        try:
            with torch.inference_mode():
                out = self.model.generate(
                    input_ids=input_ids.to(self.device), attention_mask=attention.to(self.device),
                    generation_config=config, logits_processor=LogitsProcessorList([sampler]),
                )
        except RuntimeError as exc:  # out of memory, a device error
            raise BackendError(f"generation failed: {exc}") from exc
        new = out[:, width:].tolist()
        eos = set(self.eos_ids)
        completions = []
        for request, tokens in zip(batch, new, strict=True):
            end = next((i for i, t in enumerate(tokens) if t in eos), None)
            if end is None:
                kept, reason, count = tokens, "length", len(tokens)
            else:
                kept, reason, count = tokens[:end], "stop", end + 1
            text = self.tokenizer.decode(kept, skip_special_tokens=True)
            completions.append(Completion(request, text, reason, count))
        return completions


def _offsets(tokenizer: Any, text: str) -> tuple[list[int], list[tuple[int, int]]]:
    if not getattr(tokenizer, "is_fast", False):
        raise BackendError("scoring needs a fast tokenizer (one with offset mappings)")
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return list(enc["input_ids"]), [(int(a), int(b)) for a, b in enc["offset_mapping"]]


class LogprobScorer:
    """Teacher-forced log-probabilities of a chain's tokens under a causal language model."""

    def __init__(
        self, path: str, *, dtype: str = "auto", device: str = "auto", max_length: int = 8192,
        threads: int | None = None,
    ) -> None:
        set_threads(threads)
        self.device = resolve_device(device)
        self.tokenizer = load_tokenizer(path)
        self.model = _load(AutoModelForCausalLM, path, resolve_dtype(dtype, self.device), self.device)
        self.max_length = max_length

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def prompt(self, template: Template, problem: str) -> Prompt:
        return prompt_for(self.tokenizer, template, problem)

    def token_logprobs(
        self, items: Sequence[tuple[Prompt | None, str]]
    ) -> list[tuple[list[float], list[tuple[int, int]]]]:
        """For each (prompt, text): the log-probability of each token of ``text`` after all before it, and
        the token's span in ``text``. Tokens past ``max_length`` are left out (the lists are shorter)."""
        rows: list[tuple[list[int], list[int], list[tuple[int, int]]]] = []
        for prompt, text in items:
            prefix = encode_prompt(self.tokenizer, prompt) if prompt is not None else []
            if not prefix and self.tokenizer.bos_token_id is not None:
                prefix = [int(self.tokenizer.bos_token_id)]
            ids, offsets = _offsets(self.tokenizer, text)
            room = max(0, self.max_length - len(prefix))
            rows.append((prefix, ids[:room], offsets[:room]))
        width = max((len(p) + len(t) for p, t, _ in rows), default=0)
        if width == 0:
            return [([], []) for _ in rows]
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((len(rows), width), int(pad), dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for i, (prefix, ids, _) in enumerate(rows):
            seq = prefix + ids
            if seq:
                input_ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
                attention[i, : len(seq)] = 1
        try:
            with torch.inference_mode():
                logits = self.model(input_ids=input_ids.to(self.device), attention_mask=attention.to(self.device)).logits
        except RuntimeError as exc:
            raise BackendError(f"scoring failed: {exc}") from exc
        out: list[tuple[list[float], list[tuple[int, int]]]] = []
        for i, (prefix, ids, offsets) in enumerate(rows):
            if not ids:
                out.append(([], []))
                continue
            p = len(prefix)
            if p == 0:  # no context for the first token: it gets no score
                ids, offsets, p = ids[1:], offsets[1:], 1
                if not ids:
                    out.append(([], []))
                    continue
            lp = torch.log_softmax(logits[i, p - 1 : p - 1 + len(ids)].float(), dim=-1)
            target = torch.tensor(ids, dtype=torch.long, device=lp.device).unsqueeze(-1)
            out.append((lp.gather(-1, target).squeeze(-1).tolist(), offsets))
        return out


class PrmScorer:
    """A process reward model in the Qwen2.5-Math-PRM style: steps joined by a separator token, and the
    positive-class probability of a two-class head read at each separator.

    Loads a ``...ForTokenClassification`` model with two labels through transformers' own classes, an
    architecture transformers has, or (``trust_remote_code``: runs Python shipped in the model
    directory, as Qwen2.5-Math-PRM-7B needs) the model's own class.
    """

    def __init__(
        self, path: str, *, dtype: str = "auto", device: str = "auto", max_length: int = 8192,
        separator: str = "<extra_0>", trust_remote_code: bool = False, threads: int | None = None,
    ) -> None:
        set_threads(threads)
        self.device = resolve_device(device)
        self.tokenizer = load_tokenizer(path)
        self.max_length = max_length
        self.separator = separator
        sep = self.tokenizer(separator, add_special_tokens=False)["input_ids"]
        if len(sep) != 1:
            raise BackendError(f"{path}: the step separator {separator!r} is not one token of this tokenizer")
        self.separator_id = int(sep[0])
        dtype_ = resolve_dtype(dtype, self.device)
        try:
            config = AutoConfig.from_pretrained(_local_dir(path), local_files_only=True, trust_remote_code=trust_remote_code)
        except (OSError, ValueError) as exc:
            raise BackendError(f"{path}: cannot read the model's config: {exc}") from exc
        arch = (getattr(config, "architectures", None) or [""])[0]
        if arch.endswith("ForTokenClassification"):
            self.model = _load(AutoModelForTokenClassification, path, dtype_, self.device)
        elif arch and hasattr(transformers, arch):
            self.model = _load(getattr(transformers, arch), path, dtype_, self.device)
        elif trust_remote_code:
            self.model = _load(transformers.AutoModel, path, dtype_, self.device, trust_remote_code=True)
        else:
            raise BackendError(
                f"{path}: architecture {arch or '(none)'} is not one transformers has; if the directory ships "
                "its own code (Qwen2.5-Math-PRM does), pass --trust-remote-code to run it"
            )

    def text_of(self, problem: str | None, steps: Sequence[str]) -> tuple[str, bool]:
        """The PRM's input: the chat template's system, user and assistant turns, steps ended by separators."""
        sep = self.separator
        clean = [s.replace(sep, "").strip() for s in steps]
        answer = "".join(s + sep for s in clean)
        question = (problem or "").replace(sep, "")
        if getattr(self.tokenizer, "chat_template", None):
            from ..sample import INSTRUCTION

            messages = [{"role": "system", "content": INSTRUCTION}, {"role": "user", "content": question},
                        {"role": "assistant", "content": answer}]
            return render_chat(self.tokenizer, messages, generation_prompt=False), True
        return f"{question}\n\n{answer}", False

    def step_probabilities(self, items: Sequence[tuple[str | None, Sequence[str]]]) -> list[list[float]]:
        """For each (problem, steps): the positive-class probability at each step's separator (fewer when the
        input was cut at ``max_length``)."""
        encoded = []
        for problem, steps in items:
            text, chat = self.text_of(problem, steps)
            ids = list(self.tokenizer(text, add_special_tokens=not chat)["input_ids"])[: self.max_length]
            encoded.append(ids)
        width = max((len(e) for e in encoded), default=0)
        if width == 0:
            return [[] for _ in items]
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((len(encoded), width), int(pad), dtype=torch.long)
        attention = torch.zeros((len(encoded), width), dtype=torch.long)
        for i, ids in enumerate(encoded):
            if ids:
                input_ids[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
                attention[i, : len(ids)] = 1
        try:
            with torch.inference_mode():
                out = self.model(input_ids=input_ids.to(self.device), attention_mask=attention.to(self.device))
        except RuntimeError as exc:
            raise BackendError(f"scoring failed: {exc}") from exc
        logits = out.logits if hasattr(out, "logits") else out[0]
        if logits.shape[-1] != 2:
            raise BackendError(f"a PRM needs two classes at each separator; this head has {logits.shape[-1]}")
        probs = torch.softmax(logits.float(), dim=-1)[..., 1]
        result = []
        for i, ids in enumerate(encoded):
            positions = [j for j, t in enumerate(ids) if t == self.separator_id]
            result.append(probs[i, positions].tolist() if positions else [])
        return result
