"""The exceptions the library raises; front ends turn them into messages and exit codes.

    InspectorError
    ├── InputError      a line of an input file that cannot be read (carries FILE and LINE)
    ├── RulesError      a rule set that does not validate (unknown key, bad value)
    ├── StoreError      a database that cannot be opened or is of an unknown schema
    └── BackendError    a model server or local model that failed (after retries, where they apply)
"""

from __future__ import annotations


class InspectorError(Exception):
    """Base of every error this package raises on purpose."""


class InputError(InspectorError):
    """A record of an input file that cannot be read.

    ``str()`` is ``FILE:LINE: what is wrong``, the form editors and CI logs link to.
    """

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")

    @classmethod
    def at(cls, source: str | None, message: str) -> InputError:
        """An error at a chain's ``source`` (``FILE:LINE``, as the readers record it)."""
        path, _, line = (source or "<input>").rpartition(":")
        if path and line.isdigit():
            return cls(path, int(line), message)
        return cls(source or "<input>", None, message)

    def __reduce__(self) -> tuple[type[InputError], tuple[str, int | None, str]]:
        # worker processes send these back to the parent: rebuild from the three parts
        return (InputError, (self.path, self.line, self.message))


class RulesError(InspectorError):
    """A rule set file that does not validate."""


class StoreError(InspectorError):
    """A database that cannot be used."""


class BackendError(InspectorError):
    """A model backend that failed: a server's refusal or repeated errors, a model that cannot be loaded."""
