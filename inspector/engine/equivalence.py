"""math-verify, the field's answer checker, behind a time limit that works anywhere.

math-verify's own timeouts use ``signal.alarm``, which only works in a process's main thread: in a
worker of a batch run it works, in the TUI's threads it does not, and with the timeouts off one answer
(``\\boxed{(x+y+z)^{60}}`` against ``(x+y+z+1)^{60}``) can pin a process for minutes. So the comparison
runs in a small helper process of our own (``python -m inspector.engine.equivalence``): there math-verify is in
its main thread with its timeouts on, and here we wait on a pipe for at most the bound, then kill the
helper and say "undecided" (``None``). The helper is started once per process, on the first comparison
our own parser cannot decide, and speaks one JSON line each way. Nothing it prints reaches stderr.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
from typing import IO

STARTUP_SECONDS = 60.0
"""Starting the helper imports sympy and math-verify (a second or two); only the comparisons are bounded."""


class _Helper:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()
        self.pid = os.getpid()

    def _start(self) -> subprocess.Popen[str] | None:
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "inspector.engine.equivalence"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True, bufsize=1, env=env,
            )
        except OSError:
            return None
        assert proc.stdout is not None
        if _readline(proc.stdout, STARTUP_SECONDS) != "ready":
            proc.kill()
            return None
        return proc

    def compare(self, answer: str, reference: str, timeout: float) -> bool | None:
        with self.lock:
            if self.pid != os.getpid():  # a forked worker: its own helper, never the parent's pipes
                self.proc, self.pid = None, os.getpid()
            if self.proc is None or self.proc.poll() is not None:
                self.proc = self._start()
                if self.proc is None:
                    return None
            proc = self.proc
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps([answer, reference, timeout]) + "\n")
                proc.stdin.flush()
            except OSError:
                self.stop()
                return None
            line = _readline(proc.stdout, timeout + 0.5)
            if line is None:
                self.stop()  # it overran the bound: the next comparison gets a fresh helper
                return None
            try:
                result = json.loads(line)
            except ValueError:
                return None
            return result if isinstance(result, bool) else None

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.proc = None


def _readline(stream: IO[str], timeout: float) -> str | None:
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        return None
    line = stream.readline()
    return line.strip() if line else None


_helper = _Helper()
atexit.register(_helper.stop)


def math_verify_equal(answer: str, reference: str, timeout: float = 1.0) -> bool | None:
    """math-verify's verdict on two LaTeX answers, or None when it cannot decide within ``timeout`` seconds."""
    return _helper.compare(answer, reference, timeout)


def _serve() -> None:
    """The helper: read ``[answer, reference, timeout]`` lines, answer ``true``/``false``/``null``."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    try:
        from math_verify import LatexExtractionConfig, verify
        from math_verify import parse as mv_parse
    except ImportError:  # pragma: no cover - a dependency, but keep answering
        verify = None
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            answer, reference, timeout = json.loads(line)
            if verify is None:
                result = None
            else:
                seconds = max(1, int(timeout + 0.999))
                # LaTeX extraction only: math-verify's plain-expression path calls sympy's parse_expr (eval)
                config = [LatexExtractionConfig(boxed_match_priority=0)]
                gold = mv_parse(f"${reference}$", extraction_config=config, parsing_timeout=seconds)
                pred = mv_parse(f"${answer}$", extraction_config=config, parsing_timeout=seconds)
                result = bool(verify(gold, pred, timeout_seconds=seconds)) if gold and pred else None
        except Exception:  # noqa: BLE001 - a third-party checker's failure means "could not decide"
            result = None
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    _serve()
