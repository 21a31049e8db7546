"""Rule sets as data: load a TOML file from ``rules/``, validate it strictly, and hash it."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RulesError

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
DEFAULT_RULES_PATH = RULES_DIR / "default.toml"

CHECK_IDS = (
    "inline_arithmetic",
    "annotation",
    "annotation_result",
    "continuation",
    "rewrite",
    "contradiction",
    "unverifiable",
    "notation",
    "code",
    "rounding",
)
SEVERITIES = ("error", "warning", "info")
SEGMENTATION_MODES = ("auto", "lines", "paragraphs", "markers")
ANSWER_METHODS = ("boxed", "hash", "answer_is", "answer_colon", "bold", "last_number")


@dataclass(frozen=True, slots=True)
class Check:
    enabled: bool = True
    severity: str = "error"


_DEFAULT_CHECK = Check()
"""A rule the set does not name: on, an error. One object (it is frozen), not a new one per question: the engine
asks a dozen times a chain."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A validated rule set. Frozen and picklable: it travels to worker processes."""

    name: str = "default"
    description: str = ""
    segmentation: str = "auto"
    max_line_chars: int = 10_000
    max_chain_lines: int = 20_000
    checks: dict[str, Check] = field(default_factory=dict)
    float_noise_digits: int = 12
    float_noise_relative: float = 1e-9
    allow_truncation: bool = False
    approximate_words: tuple[str, ...] = ()
    answer_methods: tuple[str, ...] = ANSWER_METHODS
    max_symbolic_chars: int = 200
    answer_timeout: float = 1.0
    """Seconds an answer comparison may take (math-verify, in a helper process) before it is undecided."""
    hash: str = ""
    path: str = ""

    def check(self, rule: str) -> Check:
        return self.checks.get(rule, _DEFAULT_CHECK)


def _expect(table: dict[str, Any], allowed: dict[str, type | tuple[type, ...]], where: str) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise RulesError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(allowed))})")
        kinds = allowed[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _as_tuple(kinds)):
            raise RulesError(f"{where}.{key}: expected {_names(kinds)}, got {type(value).__name__}")


def _as_tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _names(kinds: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _as_tuple(kinds))


def _in_range(table: dict[str, Any], key: str, low: float, high: float, where: str) -> None:
    """A number the checker divides, loops or bounds by: outside its range it silently changes every verdict
    (``max_chain_lines = -1`` read no line, so ``2 + 2 = 5`` was valid)."""
    if key in table and not low <= table[key] <= high:  # nan fails both comparisons
        raise RulesError(f"{where}.{key}: {table[key]!r} is out of range (from {low:g} to {high:g})")


def parse_rules(text: str, path: str = "<rules>") -> RuleSet:
    """Validate a rule set's TOML text; every unknown key or bad value is a ``RulesError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from None
    _expect(
        data,
        {"name": str, "description": str, "segmentation": dict, "checks": dict, "tolerance": dict, "answer": dict},
        path,
    )
    seg = data.get("segmentation", {})
    _expect(seg, {"mode": str, "max_line_chars": int, "max_chain_lines": int}, f"{path}: segmentation")
    mode = seg.get("mode", "auto")
    if mode not in SEGMENTATION_MODES:
        raise RulesError(f"{path}: segmentation.mode must be one of {', '.join(SEGMENTATION_MODES)}")
    checks: dict[str, Check] = {}
    for rule, table in data.get("checks", {}).items():
        if rule not in CHECK_IDS:
            raise RulesError(f"{path}: unknown check {rule!r} (known: {', '.join(CHECK_IDS)})")
        if not isinstance(table, dict):
            raise RulesError(f"{path}: checks.{rule} must be a table")
        _expect(table, {"enabled": bool, "severity": str}, f"{path}: checks.{rule}")
        severity = table.get("severity", "error")
        if severity not in SEVERITIES:
            raise RulesError(f"{path}: checks.{rule}.severity must be one of {', '.join(SEVERITIES)}")
        checks[rule] = Check(enabled=table.get("enabled", True), severity=severity)
    tol = data.get("tolerance", {})
    _expect(
        tol,
        {"float_noise_digits": int, "float_noise_relative": (float, int), "allow_truncation": bool,
         "approximate_words": list},
        f"{path}: tolerance",
    )
    words = tol.get("approximate_words", [])
    if not all(isinstance(w, str) for w in words):
        raise RulesError(f"{path}: tolerance.approximate_words must be a list of strings")
    if any(not w.strip() for w in words):
        raise RulesError(f"{path}: tolerance.approximate_words: an empty word would make every line approximate")
    _in_range(seg, "max_line_chars", 1, 10_000_000, f"{path}: segmentation")
    _in_range(seg, "max_chain_lines", 1, 10_000_000, f"{path}: segmentation")
    _in_range(tol, "float_noise_digits", 1, 30, f"{path}: tolerance")
    _in_range(tol, "float_noise_relative", 0, 0.01, f"{path}: tolerance")  # also refuses nan and inf
    ans = data.get("answer", {})
    _expect(ans, {"methods": list, "max_symbolic_chars": int, "timeout_seconds": (float, int)}, f"{path}: answer")
    _in_range(ans, "max_symbolic_chars", 1, 100_000, f"{path}: answer")
    timeout = float(ans.get("timeout_seconds", 1.0))
    if not 0 < timeout <= 600:  # also refuses nan and inf
        raise RulesError(f"{path}: answer.timeout_seconds must be between 0 and 600 seconds")
    methods = ans.get("methods", list(ANSWER_METHODS))
    if not methods:
        raise RulesError(f"{path}: answer.methods is empty: no chain could have an answer")
    for m in methods:
        if m not in ANSWER_METHODS:
            raise RulesError(f"{path}: answer.methods: unknown method {m!r} (known: {', '.join(ANSWER_METHODS)})")
    return RuleSet(
        name=data.get("name", Path(path).stem),
        description=data.get("description", ""),
        segmentation=mode,
        max_line_chars=seg.get("max_line_chars", 10_000),
        max_chain_lines=seg.get("max_chain_lines", 20_000),
        checks=checks,
        float_noise_digits=tol.get("float_noise_digits", 12),
        float_noise_relative=float(tol.get("float_noise_relative", 1e-9)),
        allow_truncation=tol.get("allow_truncation", False),
        approximate_words=tuple(w.lower() for w in words),
        answer_methods=tuple(methods),
        max_symbolic_chars=ans.get("max_symbolic_chars", 200),
        answer_timeout=timeout,
        hash=hashlib.sha256(text.encode()).hexdigest()[:16],
        path=path,
    )


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load a rule set file; ``None`` loads the default set."""
    p = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"{p}: cannot read rule set: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise RulesError(f"{p}: not UTF-8 text (byte {exc.start})") from None
    return parse_rules(text, str(p))


_default: RuleSet | None = None


def default_rules() -> RuleSet:
    global _default
    if _default is None:
        _default = load_rules()
    return _default
