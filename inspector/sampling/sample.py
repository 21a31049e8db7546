"""``inspect sample``: draw n chains per problem from a model, verify them, store them; resumable.

The core here imports neither torch nor an HTTP client: a backend (``backends.hf`` for a local model,
``backends.openai`` for a server) turns requests into completions, and this module decides what to
ask for, and writes what comes back through the same verify-and-store path as ``inspect verify``.

**Resumable by key.** A sample is identified by (model, problem, sampling parameters, sample index);
its chain id is a hash of that key, and the store refuses a second sample under it. Each batch of
completions is stored, verified, in one transaction, so a run killed at any moment and started
again asks only for what is missing. The sample count ``n`` is not part of the key: asking for
n=8 after n=4 draws samples 4 to 7.

**Reproducible by seed.** Each sample gets its own seed from the run's seed, its problem and its
index, so the same seed gives the same text whatever the batch size or the point a run resumed
from (the local backend keeps one random generator per sample; a server takes the seed with the
request). Same batches on the same device give identical texts; a batch of another shape computes
logits that differ in the last float bits, which flips a draw at a near-tie about once in tens of
thousands of tokens (``benchmarks/sample_speed.py`` counts it).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from .. import store
from ..engine.answer import extract_answer
from ..engine.model import ChainInput
from ..engine.pipeline import verify_chain
from ..engine.rules import RuleSet, default_rules
from ..errors import InputError
from ..formats.compressed import DECOMPRESSION_ERRORS, damaged, open_input

__all__ = [
    "INSTRUCTION",
    "TEMPLATE_NAMES",
    "Backend",
    "Completion",
    "Problem",
    "Prompt",
    "Request",
    "SampleSummary",
    "SamplingParams",
    "Template",
    "chain_id_for",
    "default_model_name",
    "load_template",
    "plan_requests",
    "read_problems",
    "run_sampling",
    "sample_seed",
]

INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
"""The paper's ``qwen-boxed`` instruction, after the problem."""

SYSTEM = "You are a helpful assistant."
"""The ``qwen-boxed`` system message."""

_QWEN_BOXED = (
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "<|im_start|>user\n{problem}\n{instruction}<|im_end|>\n"
    "<|im_start|>assistant\n"
)
_PLAIN = "Problem: {problem}\n{instruction}\n\nSolution:"

TEMPLATE_NAMES = ("auto", "chat", "plain", "qwen-boxed")
"""``auto``: ``chat`` when the model has a chat template, else ``plain``; ``chat``: the model's chat template
with the qwen-boxed system and user messages; ``plain``: a text prompt for base models; ``qwen-boxed``:
the paper's literal prompt string (Qwen's chat tokens, written out)."""


# --------------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True, slots=True)
class Problem:
    problem_id: str
    problem: str
    reference: str | None
    source: str | None = None
    """``FILE:LINE``, for messages."""


_ID_FIELDS = ("problem_id", "id", "unique_id", "idx", "task_id")
_PROBLEM_FIELDS = ("problem", "question")
_REFERENCE_FIELDS = ("reference", "answer", "gt", "ground_truth", "final_answer")


def read_problems(path: str | os.PathLike[str]) -> list[Problem]:
    """Problems with references from JSONL (or a JSON list): GSM8K, MATH, MATH-500 and our own records.

    The problem is ``problem`` or ``question``; the reference is ``reference``, ``answer`` (GSM8K's
    ``#### N`` is read), ``gt``, ``ground_truth`` or ``final_answer``, else the last ``\\boxed{}`` of a
    MATH ``solution``; the id is ``problem_id``, ``id``, ``unique_id``, ``idx`` or ``task_id``, else a
    hash of the problem text (the id ``inspect verify`` gives it). Two problems with one id are an error.
    """
    name = os.fspath(path)
    try:
        with open_input(name) as f:  # gzip and zstd too, as every input
            data = f.read()
    except OSError as exc:
        raise InputError(name, None, f"cannot open: {exc.strerror or exc}") from None
    except DECOMPRESSION_ERRORS as exc:
        raise damaged(name, exc) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, None, f"not UTF-8 text (byte {exc.start})") from None
    records: list[tuple[int, Any]] = []
    if text.lstrip().startswith("["):
        try:
            records = list(enumerate(json.loads(text), 1))
        except json.JSONDecodeError as exc:
            raise InputError(name, exc.lineno, f"invalid JSON: {exc.msg}") from None
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append((lineno, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(name, lineno, f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for lineno, record in records:
        problem = _problem_of(record, name, lineno)
        if problem.problem_id in seen:
            raise InputError(name, lineno, f"problem id {problem.problem_id!r} already on line {seen[problem.problem_id]}")
        seen[problem.problem_id] = lineno
        problems.append(problem)
    if not problems:
        raise InputError(name, None, "no problems in the file")
    return problems


def _problem_of(record: Any, name: str, lineno: int) -> Problem:
    if not isinstance(record, dict):
        raise InputError(name, lineno, "expected a JSON object")
    problem = next((record[k] for k in _PROBLEM_FIELDS if isinstance(record.get(k), str)), None)
    if not problem or not problem.strip():
        raise InputError(name, lineno, "no problem text: expected a string in 'problem' or 'question'")
    reference: str | None = None
    for key in _REFERENCE_FIELDS:
        value = record.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            reference = str(value)
        elif isinstance(value, str):
            reference = value.rsplit("####", 1)[1].strip().replace(",", "") if "####" in value else value.strip()
        else:
            raise InputError(name, lineno, f"field {key!r} must be a string or a number")
        break
    if reference is None and isinstance(record.get("solution"), str):
        boxed = extract_answer(record["solution"], ("boxed",))
        reference = boxed.text if boxed else None
    problem_id: str | None = None
    for key in _ID_FIELDS:
        value = record.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, (str, int)) and str(value):
            problem_id = str(value)
            break
    if problem_id is None:
        problem_id = "p" + hashlib.sha256(problem.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return Problem(problem_id, problem, reference or None, f"{name}:{lineno}")


# --------------------------------------------------------------------------------------------------
# Prompts


@dataclass(frozen=True, slots=True)
class Template:
    """How a problem becomes a prompt: ``chat`` (the model's chat template) or a text with ``{problem}``."""

    name: str
    """``chat``, ``plain``, ``qwen-boxed``, or the file it was read from."""
    text: str | None = None
    """The text, with ``{problem}`` and ``{instruction}`` replaced literally (LaTeX braces are left alone);
    ``None`` for ``chat``."""

    @property
    def is_chat(self) -> bool:
        return self.text is None

    def render(self, problem: str) -> str:
        assert self.text is not None, "a chat template is rendered by the backend"
        return self.text.replace("{instruction}", INSTRUCTION).replace("{problem}", problem)

    def messages(self, problem: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"{problem}\n{INSTRUCTION}"}]

    def identity(self) -> dict[str, Any]:
        """What of the template enters the sampling-parameter hash: its name, or a file's content hash."""
        if self.text is None or self.name in ("plain", "qwen-boxed"):
            return {"template": self.name}
        return {"template": "file", "template_sha256": hashlib.sha256(self.text.encode()).hexdigest()[:16]}


def load_template(spec: str, *, has_chat_template: bool | None = None) -> Template:
    """``auto``, ``chat``, ``plain``, ``qwen-boxed``, or a file holding a text with ``{problem}``.

    ``auto`` is ``chat`` when ``has_chat_template`` (the model's tokenizer has one; ``None``: a server,
    which applies its own), else ``plain``.
    """
    if spec == "auto":
        spec = "chat" if has_chat_template is not False else "plain"
    if spec == "chat":
        return Template("chat")
    if spec == "plain":
        return Template("plain", _PLAIN)
    if spec == "qwen-boxed":
        return Template("qwen-boxed", _QWEN_BOXED)
    try:
        text = Path(spec).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(spec, None, f"not a template name ({', '.join(TEMPLATE_NAMES)}) nor a readable file: "
                         f"{exc.strerror or exc}") from None
    if "{problem}" not in text:
        raise InputError(spec, None, "a template file must contain {problem} (where the problem goes)")
    return Template(spec, text)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt as a backend sends it."""

    format: str
    """``text`` (plain: the tokenizer adds its start token), ``chat_text`` (a chat template's output, with
    its own special tokens) or ``messages`` (JSON chat messages, for a server's chat endpoint)."""
    text: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(f"{self.format}\x1f{self.text}".encode("utf-8", "surrogatepass")).hexdigest()[:24]


# --------------------------------------------------------------------------------------------------
# Requests and completions


@dataclass(frozen=True, slots=True)
class SamplingParams:
    """The paper's defaults: temperature 0.6, top-p 0.95."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 1024
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.temperature <= 100:
            raise ValueError(f"temperature must be between 0 and 100, not {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top-p must be in (0, 1], not {self.top_p}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max-new-tokens must be at least 1, not {self.max_new_tokens}")

    def identity(self, template: Template) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_new_tokens": self.max_new_tokens,
                "seed": self.seed, **template.identity()}

    def key(self, template: Template) -> tuple[str, str]:
        """``(params_hash, params_json)``: what makes two runs draw the same samples."""
        text = json.dumps(self.identity(template), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16], text


def default_model_name(path: str) -> str:
    """The name chains are stored under when none is given: the directory's name, or for a Hugging Face
    cache snapshot (``models--Qwen--Qwen2.5-7B/snapshots/<hash>``) the repository's id."""
    p = Path(path).resolve()
    if p.parent.name == "snapshots" and p.parent.parent.name.startswith("models--"):
        return p.parent.parent.name.removeprefix("models--").replace("--", "/")
    return p.name or str(path)


def sample_seed(seed: int, problem_id: str, sample_index: int) -> int:
    """The seed of one sample: independent of batching and of where a run resumed (31 bits, as servers take)."""
    digest = hashlib.sha256(f"{seed}\x1f{problem_id}\x1f{sample_index}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def chain_id_for(model: str, params_hash: str, problem_id: str, sample_index: int) -> str:
    """The sampled chain's id: a hash of its key, so the same sample is always the same row."""
    key = "\x1f".join((model, params_hash, problem_id, str(sample_index)))
    return "s" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Request:
    chain_id: str
    problem: Problem
    sample_index: int
    seed: int
    prompt: Prompt


@dataclass(frozen=True, slots=True)
class Completion:
    request: Request
    text: str
    finish_reason: str
    """``stop`` or ``length``."""
    n_tokens: int | None
    """Tokens generated, end-of-sequence included (``None`` when a server does not say)."""


class Backend(Protocol):
    """What ``run_sampling`` needs of a model: prompts in its format, and completions for requests."""

    name: str
    """``hf`` or ``openai``."""
    model_name: str
    """The name the chains are stored under."""
    location: str
    """The model directory or the server's URL (for the record)."""

    def prompt(self, template: Template, problem: Problem) -> Prompt: ...

    def generate(self, requests: Sequence[Request], params: SamplingParams) -> Iterator[list[Completion]]:
        """Completions in groups, each group as soon as it is done (order not kept); raises ``BackendError``
        after yielding what finished."""
        ...


def plan_requests(
    problems: Iterable[Problem],
    n: int,
    prompt_of: Callable[[Problem], Prompt],
    *,
    model: str,
    params_hash: str,
    seed: int,
    done: dict[str, set[int]],
) -> list[Request]:
    """Every (problem, sample index < n) not in ``done``, in problem order."""
    out: list[Request] = []
    for problem in problems:
        have = done.get(problem.problem_id, set())
        missing = [i for i in range(n) if i not in have]
        if not missing:
            continue
        prompt = prompt_of(problem)
        for i in missing:
            out.append(Request(chain_id_for(model, params_hash, problem.problem_id, i), problem, i,
                               sample_seed(seed, problem.problem_id, i), prompt))
    return out


# --------------------------------------------------------------------------------------------------
# The run


@dataclass(frozen=True, slots=True)
class SampleSummary:
    run_id: int
    model: str
    params_hash: str
    requested: int
    """Samples asked for: problems × n."""
    existing: int
    """Of those, already stored before this run (not drawn again)."""
    generated: int
    tokens: int
    seconds: float
    verdicts: dict[str, int] = field(default_factory=dict)
    finish_reasons: dict[str, int] = field(default_factory=dict)


Progress = Callable[[int, int, int], None]
"""``(samples done, samples to do, tokens so far)``, called at the start and after every stored group."""


def run_sampling(
    db: Database,
    backend: Backend,
    problems: Sequence[Problem],
    *,
    n: int,
    params: SamplingParams,
    template: Template,
    rules: RuleSet | None = None,
    argv: Sequence[str] = (),
    on_progress: Progress | None = None,
    extra: dict[str, Any] | None = None,
) -> SampleSummary:
    """Draw what is missing of ``n`` samples per problem, verify each, store it with its provenance.

    ``extra`` (dtype, device, batch size ...) is recorded with the run but is not part of the key.
    On a backend failure, what finished is stored before the ``BackendError`` propagates.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    rules = rules or default_rules()
    model = backend.model_name
    params_hash, params_json = params.key(template)
    done = store.sampled_indices(db, model, params_hash)
    existing = sum(len({i for i in done.get(p.problem_id, set()) if i < n}) for p in problems)
    requests = plan_requests(problems, n, lambda p: backend.prompt(template, p), model=model,
                             params_hash=params_hash, seed=params.seed, done=done)
    run_id = store.start_run(db, rules_name=rules.name, rules_hash=rules.hash,
                             source=f"sample:{backend.name}:{backend.location}", argv=list(argv))
    recorded = json.dumps({**json.loads(params_json), "n": n, "backend": backend.name, **(extra or {})},
                          sort_keys=True)
    sampling_run = store.start_sampling_run(db, run_id=run_id, model=model, model_path=backend.location,
                                            backend=backend.name, params_hash=params_hash, params_json=recorded)
    verdicts: Counter[str] = Counter()
    finishes: Counter[str] = Counter()
    generated = tokens = 0
    started = time.perf_counter()
    if on_progress:
        on_progress(0, len(requests), 0)
    try:
        for group in backend.generate(requests, params) if requests else ():
            items = []
            for c in group:
                result = verify_chain(_chain_of(c, model, backend), rules)
                verdicts[result.verdict.value] += 1
                finishes[c.finish_reason] += 1
                r = c.request
                items.append((
                    store.SampleRow(r.chain_id, model, r.problem.problem_id, params_hash, r.sample_index,
                                    params_json, r.seed, c.finish_reason, c.n_tokens, r.prompt.hash,
                                    r.prompt.format, r.prompt.text),
                    store.result_rows(result),
                ))  # fmt: skip
                tokens += c.n_tokens or 0
            generated += store.write_samples(db, run_id, sampling_run, items)
            if on_progress:
                on_progress(generated, len(requests), tokens)
    finally:
        store.finish_sampling_run(db, sampling_run, requested=len(requests), generated=generated, tokens=tokens)
        store.finish_run(db, run_id, chains=generated, counts=dict(verdicts))
    return SampleSummary(run_id, model, params_hash, len(problems) * n, existing, generated, tokens,
                         time.perf_counter() - started, dict(verdicts), dict(finishes))


def _chain_of(c: Completion, model: str, backend: Backend) -> ChainInput:
    r = c.request
    return ChainInput(
        chain_id=r.chain_id, cot=c.text, problem_id=r.problem.problem_id, problem=r.problem.problem,
        reference=r.problem.reference, model=model, sample_index=r.sample_index,
        source=f"sample:{backend.name}:{model}#{r.sample_index}",
    )  # fmt: skip
