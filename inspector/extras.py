"""Optional dependencies (the ``report`` and ``hf`` extras): import one, or say exactly how to install it."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import InspectorError

__all__ = ["INSTALL_HINT", "MissingDependency", "install_hint", "require"]

INSTALL_HINT = "pip install 'cot-inspector[report]'"


class MissingDependency(InspectorError):
    """An optional package a command needs is not installed (the message says how to get it)."""


def install_hint(extra: str | None) -> str:
    """The command that installs an extra of ours (``report``, ``hf``); with ``None``, the package itself."""
    return f"pip install 'cot-inspector[{extra}]'" if extra else ""


def require(module: str, purpose: str, *, extra: str | None = "report") -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependency` naming ``purpose`` and the install command: the
    ``extra`` of ours that brings it, or (``extra=None``, a dependency of every install that has gone missing)
    the package itself."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        how = install_hint(extra) or f"pip install {top}"
        raise MissingDependency(f"{purpose} needs {top}, which is not installed: {how}") from None
