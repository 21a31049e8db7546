"""cot-inspector: re-do the arithmetic of every chain of thought and classify how its answer was reached."""

from . import native

native.install()  # the compiled engine where a build matches every source, before any engine module is imported

from .engine.model import (
    ChainInput,
    ChainResult,
    Claim,
    ClaimStatus,
    FinalAnswer,
    Finding,
    Severity,
    Step,
    ValueFlow,
    Verdict,
)
from .engine.pipeline import verify_chain, verify_chains, verify_text
from .engine.rules import RuleSet, default_rules, load_rules
from .errors import InputError, InspectorError, RulesError, StoreError
from .formats.load import ReadOptions, iter_chains, read_chains

__all__ = [
    "ChainInput",
    "ChainResult",
    "Claim",
    "ClaimStatus",
    "FinalAnswer",
    "Finding",
    "InputError",
    "InspectorError",
    "ReadOptions",
    "RuleSet",
    "RulesError",
    "Severity",
    "Step",
    "StoreError",
    "ValueFlow",
    "Verdict",
    "default_rules",
    "iter_chains",
    "load_rules",
    "read_chains",
    "verify_chain",
    "verify_chains",
    "verify_text",
]
__version__ = "0.1.0"
