"""Where samples and scores come from: a local model (``hf``, torch and transformers) or a server (``openai``).

``hf`` needs the ``models`` extra; ``openai`` needs nothing beyond the standard library. Nothing here
is imported by the verify engine, and torch is imported only when a local model is used.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ...extras import MissingDependency

__all__ = ["MODELS_HINT", "quiet_transformers", "require_models"]

MODELS_HINT = "pip install torch==2.13.0 && pip install 'cot-inspector[models]'"
"""How to install the ``models`` extra (torch first, spelled exactly, so pip takes the CPU wheel it has)."""


def require_models(purpose: str) -> tuple[ModuleType, ModuleType]:
    """``(torch, transformers)``, or :class:`MissingDependency` saying how to install them."""
    missing = []
    modules = []
    for name in ("torch", "transformers"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingDependency(f"{purpose} needs {' and '.join(missing)}, which "
                                f"{'is' if len(missing) == 1 else 'are'} not installed: {MODELS_HINT}")
    return modules[0], modules[1]


def quiet_transformers() -> None:
    """No download bars or weight-loading bars of transformers' own: the command's is the one progress bar."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    except ImportError:  # pragma: no cover - the caller imported transformers already
        pass
