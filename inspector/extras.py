"""Optional dependencies (the ``report`` extra): import one, or say exactly how to install it."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import InspectorError

__all__ = ["INSTALL_HINT", "MissingDependency", "require"]

INSTALL_HINT = "pip install 'cot-inspector[report]'"


class MissingDependency(InspectorError):
    """An optional package a command needs is not installed (the message says how to get it)."""


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependency` naming ``purpose`` and the install command."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingDependency(f"{purpose} needs {top}, which is not installed: {INSTALL_HINT}") from None
