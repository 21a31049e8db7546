"""``inspect sample`` and ``score``: chains from models, and learned scores of their steps (the ``models`` extra).

They share what running a model on this machine needs: a progress bar with token rates, the ``--dtype``
choice and quieting transformers' own bars; torch and transformers are imported only inside the commands.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Self

import click

from ..engine.model import Verdict
from ..errors import BackendError, InspectorError, RulesError
from .boundary import DEFAULT_DB, ExitCode, _err, _fail, _open_existing_db, main

if TYPE_CHECKING:
    from ..engine.rules import RuleSet


class _RateBar:
    """A progress bar on stderr with the rates that matter for sampling: items/s and tokens/s."""

    def __init__(self, label: str, unit: str, show: bool) -> None:
        self.label, self.unit, self.show = label, unit, show
        self._bar: Any = None
        self._task: Any = None
        self._started = 0.0

    def __enter__(self) -> Self:
        import time

        self._started = time.perf_counter()
        if self.show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                                 console=Console(stderr=True))
            self._bar.__enter__()
            self._task = self._bar.add_task(self.label, total=None, rate="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def update(self, done: int, total: int, tokens: int | None = None) -> None:
        if self._bar is None:
            return
        import time

        elapsed = max(time.perf_counter() - self._started, 1e-9)
        rate = f"{done / elapsed:.2f} {self.unit}/s"
        if tokens is not None:
            rate += f" · {tokens / elapsed:,.0f} tok/s"
        self._bar.update(self._task, completed=done, total=total, rate=rate)


def _load_rules_or_exit(rules_path: str | None) -> RuleSet:
    from ..engine import rules as rules_mod

    try:
        return rules_mod.load_rules(rules_path) if rules_path else rules_mod.default_rules()
    except RulesError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)


_DTYPE_CHOICE = click.Choice(["auto", "float32", "float16", "bfloat16"])


@main.command()
@click.option("--model", "model", required=True,
              help="hf: a local Hugging Face model directory; openai: the model's name on the server.")
@click.option("--problems", "problems_path", required=True, type=click.Path(dir_okay=False, exists=True),
              help="JSONL (or a JSON list) of problems with references: GSM8K, MATH and MATH-500 files work.")
@click.option("--n", "n", type=click.IntRange(1, 1_000_000), default=1, show_default=True, help="Samples per problem.")
@click.option("--temperature", type=click.FloatRange(0, 100), default=0.6, show_default=True)
@click.option("--top-p", "top_p", type=click.FloatRange(0, 1, min_open=True), default=0.95, show_default=True)
@click.option("--max-new-tokens", type=click.IntRange(1), default=1024, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="The run's seed; each sample's own seed comes from it, its problem and its index.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="SQLite database to store the chains in.")
@click.option("--model-name", help="Name to store the chains under (default: the directory's name, or --model).")
@click.option("--template", default="auto", show_default=True,
              help="auto, chat (the model's chat template), plain, qwen-boxed, or a file with {problem}.")
@click.option("--backend", type=click.Choice(["hf", "openai"]), default="hf", show_default=True,
              help="hf: transformers on this machine; openai: an OpenAI-compatible server (vLLM, SGLang, TGI).")
@click.option("--batch-size", type=click.IntRange(1, 65536), default=None,
              help="hf: sequences per batch (default: 64 on a GPU, 16 on the CPU).")
@click.option("--dtype", type=_DTYPE_CHOICE, default="auto", show_default=True,
              help="hf: weights' precision (auto: bfloat16 on a GPU, float32 on the CPU).")
@click.option("--device", default="auto", show_default=True, help="hf: auto, cpu, cuda, cuda:1 ...")
@click.option("--threads", type=click.IntRange(1, 1024), default=None,
              help="hf: CPU threads torch uses (default: torch's choice; 1 is often fastest on a small machine).")
@click.option("--base-url", help="openai: the server's API root, e.g. http://localhost:8000/v1.")
@click.option("--api-key", envvar="OPENAI_API_KEY", help="openai: a bearer token (default: $OPENAI_API_KEY).")
@click.option("--concurrency", type=click.IntRange(1, 4096), default=16, show_default=True,
              help="openai: requests in flight at once.")
@click.option("--retries", type=click.IntRange(0, 100), default=5, show_default=True,
              help="openai: retries of a request after a connection error, a timeout, HTTP 429 or 5xx.")
@click.option("--timeout", type=click.FloatRange(1), default=600.0, show_default=True,
              help="openai: seconds to wait for one completion.")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), help="Rule set to verify with (TOML).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
def sample(
    model: str, problems_path: str, n: int, temperature: float, top_p: float, max_new_tokens: int, seed: int,
    db_path: str, model_name: str | None, template: str, backend: str, batch_size: int | None, dtype: str,
    device: str, threads: int | None, base_url: str | None, api_key: str | None, concurrency: int, retries: int,
    timeout: float, rules_path: str | None, progress: bool | None,
) -> None:
    """Draw N chains per problem from a model, verify each, and store them for `label` and `report`.

    Resumable: a run stopped at any moment and started again draws only what is missing (a sample is
    keyed by model, problem, sampling parameters and index), and the same seed gives the same text.
    """
    from .. import store
    from ..sampling.sample import SamplingParams, load_template, read_problems, run_sampling

    if backend == "openai" and not base_url:
        raise click.UsageError("--backend openai needs --base-url (e.g. http://localhost:8000/v1)")
    rules = _load_rules_or_exit(rules_path)
    try:
        problems = read_problems(problems_path)
        db = store.open_db(db_path)
    except InspectorError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    try:
        chat: bool | None = None
        the_backend: Any
        if backend == "openai":
            from ..sampling.backends.openai import OpenAIBackend

            assert base_url is not None
            the_backend = OpenAIBackend(base_url, model, model_name=model_name, api_key=api_key,
                                        concurrency=concurrency, retries=retries, timeout=timeout)
        else:
            from ..sampling.backends import quiet_transformers
            from ..sampling.backends.hf import HFBackend, resolve_device

            if batch_size is None:
                batch_size = 64 if resolve_device(device).type == "cuda" else 16
            quiet_transformers()
            the_backend = HFBackend(model, model_name=model_name, dtype=dtype, device=device, batch_size=batch_size,
                                    threads=threads)
            chat = the_backend.has_chat_template
        made = load_template(template, has_chat_template=chat)
        params = SamplingParams(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, seed=seed)
    except InspectorError as exc:
        _fail(exc)
    _err(f"sampling {n} per problem for {len(problems)} problem(s) from {the_backend.model_name} "
         f"({backend}, {the_backend.location}) into {db_path}")
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with _RateBar("sampling", "samples", show) as bar:
            summary = run_sampling(db, the_backend, problems, n=n, params=params, template=made, rules=rules,
                                   argv=sys.argv[1:], on_progress=bar.update, extra=the_backend.describe())
    except BackendError as exc:
        _err(f"{exc}\nwhat finished is stored; run the same command again to go on")
        sys.exit(ExitCode.BACKEND_FAILED)
    except KeyboardInterrupt:
        _err("stopped: what finished is stored; run the same command again to go on")
        if backend == "openai":  # don't wait at exit for requests still in flight (up to --timeout each)
            import os

            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)
        sys.exit(ExitCode.INTERRUPTED)
    except InspectorError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    rate = summary.generated / summary.seconds if summary.seconds > 0 else 0.0
    tok_rate = summary.tokens / summary.seconds if summary.seconds > 0 else 0.0
    verdicts = ", ".join(f"{v} {k}" for v, k in sorted(summary.verdicts.items(), key=lambda x: -x[1]))
    _err(f"sampled {summary.generated} new chain(s), {summary.existing} already there, of {summary.requested} "
         f"(run {summary.run_id}, parameters {summary.params_hash}); {rate:.2f} samples/s, {tok_rate:,.0f} tokens/s")
    if verdicts:
        _err(f"verdicts: {verdicts}")


@main.command()
@click.option("--model", "model_path", required=True, type=click.Path(file_okay=False),
              help="A local Hugging Face model directory: a causal LM (logprob) or a process reward model (prm).")
@click.option("--kind", type=click.Choice(["logprob", "prm"]), required=True,
              help="logprob: teacher-forced token log-probabilities; prm: a Qwen2.5-Math-PRM-style step reward.")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, help="Database whose chains to score.")
@click.option("--model-name", help="Name to store the scores under (default: the directory's name).")
@click.option("--of-model", "of_models", multiple=True, help="Only chains of this model (repeatable).")
@click.option("--verdict", "verdicts", multiple=True, type=click.Choice([v.value for v in Verdict]),
              help="Only chains with this verdict (repeatable).")
@click.option("--limit", type=click.IntRange(1), default=None, help="Score at most this many chains.")
@click.option("--rescore", is_flag=True, help="Score chains already scored by this model again (replacing the scores).")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=4, show_default=True, help="Chains per forward pass.")
@click.option("--max-length", type=click.IntRange(16), default=8192, show_default=True,
              help="Tokens per chain, prompt included; steps past it get no score.")
@click.option("--dtype", type=_DTYPE_CHOICE, default="auto", show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:1 ...")
@click.option("--threads", type=click.IntRange(1, 1024), default=None, help="CPU threads torch uses (default: torch's).")
@click.option("--template", default="auto", show_default=True,
              help="logprob: the prompt for chains not sampled here (auto, chat, plain, qwen-boxed or a file).")
@click.option("--separator", default="<extra_0>", show_default=True, help="prm: the step separator token.")
@click.option("--trust-remote-code", is_flag=True,
              help="prm: run the Python code shipped in the model directory (Qwen2.5-Math-PRM needs it).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: when stderr is a terminal).")
def score(
    model_path: str, kind: str, db_path: str, model_name: str | None, of_models: tuple[str, ...],
    verdicts: tuple[str, ...], limit: int | None, rescore: bool, batch_size: int, max_length: int, dtype: str,
    device: str, threads: int | None, template: str, separator: str, trust_remote_code: bool, progress: bool | None,
) -> None:
    """Score the steps and claims of stored chains with a model: a learned signal beside the exact one.

    logprob: each step's mean token log-probability and each claim's probability of its stated result;
    prm: each step's probability of being correct from a process reward model. Resumable: chains
    already scored by the same model and kind are skipped (unless --rescore).
    """
    from ..sampling.sample import default_model_name
    from ..sampling.score import logprob_batch, prm_batch, run_scoring

    db = _open_existing_db(db_path)
    name = model_name or default_model_name(model_path)
    try:
        from ..sampling.backends import hf, quiet_transformers

        quiet_transformers()
        if kind == "logprob":
            batch = logprob_batch(hf.LogprobScorer(model_path, dtype=dtype, device=device, max_length=max_length,
                                                   threads=threads), template)
        else:
            batch = prm_batch(hf.PrmScorer(model_path, dtype=dtype, device=device, max_length=max_length,
                                           separator=separator, trust_remote_code=trust_remote_code, threads=threads))
    except InspectorError as exc:
        _fail(exc)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        with _RateBar(f"scoring ({kind})", "chains", show) as bar:
            summary = run_scoring(db, batch, kind=kind, model=name, models=of_models, verdicts=verdicts,
                                  limit=limit, rescore=rescore, batch_size=batch_size, on_progress=bar.update)
    except BackendError as exc:
        _err(f"{exc}\nwhat finished is stored; run the same command again to go on")
        sys.exit(ExitCode.BACKEND_FAILED)
    except KeyboardInterrupt:
        _err("stopped: what finished is stored; run the same command again to go on")
        sys.exit(ExitCode.INTERRUPTED)
    except InspectorError as exc:
        _err(str(exc))
        sys.exit(ExitCode.BAD_INPUT)
    _err(f"scored {summary.scored} chain(s) by {kind} with {name} ({summary.skipped} already scored, "
         f"{summary.selected} selected): {summary.rows} score(s) stored in {db_path} in {summary.seconds:.1f}s")
