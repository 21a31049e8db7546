"""``mypyc_attr``, for the compiled engine's classes: ``mypy_extensions``' own where it is installed (it comes with mypy,
which the build needs), else a decorator that changes nothing (the engine as Python).

``@mypyc_attr(acyclic=True)`` tells the compiler that no instance of a class is ever part of a reference cycle: it is
then made without the garbage collector's header and never tracked, which saves the collector's work at each of the
hundred thousand tokens, sides and formulas a batch makes every second. A class marked so must hold only values that
cannot lead back to it; ``tests/test_engine.py`` holds a chain's work free of cycles (as Python, where the collector
sees everything), and so holds the mark true.

The same tests keep the engine's other rule: no function nested in another (a helper, a recursive walker, a callback).
The compiled engine keeps a nested function in the environment of the frame it closes over, a reference cycle that
holds everything the frame held until the collector's next pass; such helpers are module functions taking what they
need, ``functools.partial``s or small classes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

try:
    from mypy_extensions import mypyc_attr as mypyc_attr  # noqa: PLC0414 - re-exported, for mypy
except ImportError:  # the engine as Python, without mypy installed

    def mypyc_attr(*attrs: Any, **kwattrs: Any) -> Callable[[T], T]:  # type: ignore[misc]
        return lambda cls: cls
