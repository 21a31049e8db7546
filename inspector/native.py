"""The engine compiled to C by mypyc: the same source, faster, and used only where it was built from exactly the
sources beside it.

Why: a run is bounded by the engine's Python (tokenizing, parsing, exact arithmetic), and mypyc turns the typed
modules of ``inspector.engine`` into C extension modules with no change to what they compute. mypy and Black ship
this way: the Python source is the truth and a compiled copy is an accelerator. Here the copy is built on the
user's machine (``inspect build-engine``, part of the README's quickstart) into ``inspector/_native/``, beside a
manifest of every compiled source's SHA-256.

``install()`` runs when ``inspector`` is imported, before any engine module is. It puts a finder in front of
Python's own only when the manifest matches this interpreter's ABI and every compiled source byte for byte; an
edit to any one of them makes the whole build stale and the engine runs as Python, so nobody ever runs code that
is not what the files say. ``INSPECTOR_NATIVE=0`` forces Python. A machine without a C compiler or without the
``fast`` extra keeps the Python engine: the build says why and the verdicts are the same
(``benchmarks/native_parity.py`` compares every record over the real chains).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
ENGINE_DIR = PACKAGE_DIR / "engine"
NATIVE_DIR = PACKAGE_DIR / "_native"
MANIFEST = "manifest.json"

NOT_COMPILED = frozenset({"__init__", "model", "rules", "equivalence"})
"""Engine modules left as Python: the package itself (it only re-exports), ``model`` (its frozen dataclasses cross
process boundaries, and mypyc's native classes cannot be unpickled frozen), ``rules`` (finds its data files from
``__file__``, read once per run) and ``equivalence`` (the boundary with math-verify, called for almost no answer)."""

ENV_SWITCH = "INSPECTOR_NATIVE"
"""``0`` runs the Python engine even where a build matches (to compare, or to debug with a Python debugger)."""


class NativeBuildError(Exception):
    """The compiled engine could not be built here; the message says why and what to install."""


@dataclass(frozen=True, slots=True)
class NativeStatus:
    """Whether this process runs the compiled engine, and if not, why not (for ``inspect build-engine --status``)."""

    active: bool
    reason: str
    modules: tuple[str, ...] = ()


def compiled_sources() -> dict[str, Path]:
    """The engine modules a build compiles, by dotted name."""
    return {
        f"inspector.engine.{path.stem}": path
        for path in sorted(ENGINE_DIR.glob("*.py"))
        if path.stem not in NOT_COMPILED
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ext_suffix() -> str:
    return importlib.machinery.EXTENSION_SUFFIXES[0]


# ---------------------------------------------------------------------------------------------------------------
# loading


class _NativeFinder(importlib.abc.MetaPathFinder):
    """Serves the compiled engine modules (and mypyc's shared library) from ``_native/``; everything else falls
    through to Python's finders."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        return importlib.util.spec_from_file_location(fullname, file)


_status = NativeStatus(False, "not checked yet")


DIR_SWITCH = "INSPECTOR_NATIVE_DIR"
"""A build somewhere else than ``inspector/_native`` (the tests build one in a temporary folder)."""


def default_build_dir() -> Path:
    """Where the build is looked for: ``$INSPECTOR_NATIVE_DIR``, else ``inspector/_native``."""
    return Path(os.environ[DIR_SWITCH]) if os.environ.get(DIR_SWITCH) else NATIVE_DIR


def check(native_dir: Path | None = None) -> tuple[NativeStatus, dict[str, Path]]:
    """Is there a build in ``native_dir`` that matches this interpreter and every source? The files to serve."""
    native_dir = native_dir or default_build_dir()
    manifest_path = native_dir / MANIFEST
    if os.environ.get(ENV_SWITCH) == "0":
        return NativeStatus(False, f"{ENV_SWITCH}=0: the Python engine was asked for"), {}
    if not manifest_path.is_file():
        return NativeStatus(False, "not built (run `inspect build-engine`)"), {}
    try:
        manifest = json.loads(manifest_path.read_text())
        files = {name: native_dir / rel for name, rel in manifest["files"].items()}
        digests: dict[str, str] = manifest["sources"]
        suffix = manifest["ext_suffix"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return NativeStatus(False, f"unreadable build manifest {manifest_path} ({exc}): rebuild"), {}
    if suffix != _ext_suffix():
        return NativeStatus(False, f"built for another Python ({suffix}): rebuild"), {}
    sources = compiled_sources()
    if set(digests) != set(sources):
        return NativeStatus(False, "the engine's modules changed since the build: rebuild"), {}
    for name, path in sources.items():
        if _digest(path) != digests[name]:
            return NativeStatus(False, f"stale: {path.name} changed since the build (run `inspect build-engine`)"), {}
    missing = [str(file) for file in files.values() if not file.is_file()]
    if missing:
        return NativeStatus(False, f"incomplete build: {missing[0]} is missing: rebuild"), {}
    return NativeStatus(True, f"compiled engine ({len(sources)} modules)", tuple(sorted(sources))), files


def install() -> NativeStatus:
    """Serve the compiled engine if a matching build exists. Call before any ``inspector.engine`` module is
    imported (``inspector/__init__.py`` does); a module already imported as Python stays Python, so a process
    never mixes the two halves of one module."""
    global _status
    status, files = check()
    if status.active:
        already = [name for name in files if name in sys.modules and name.startswith("inspector.engine.")]
        if already:
            status = NativeStatus(False, f"{already[0]} was imported before the compiled engine could be installed")
        elif not any(isinstance(finder, _NativeFinder) for finder in sys.meta_path):
            sys.meta_path.insert(0, _NativeFinder(files))
    _status = status
    return status


def status() -> NativeStatus:
    """What ``install()`` decided for this process."""
    return _status


# ---------------------------------------------------------------------------------------------------------------
# building

_BUILD_SCRIPT = """
import sys
from setuptools import setup
from mypyc.build import mypycify
_root, c_dir, lib, tmp, opt, jobs, *paths = sys.argv[1:]
setup(
    name="cot-inspector-native",
    ext_modules=mypycify(paths, opt_level=opt, multi_file=True, target_dir=c_dir),
    script_args=["build_ext", "--build-lib", lib, "--build-temp", tmp, "--parallel", jobs],
)
"""
"""Run in a child process (setuptools writes to the terminal and may exit): mypyc's documented ``setup.py`` form."""


def _compiler() -> str | None:
    cc = (sysconfig.get_config_var("CC") or "cc").split()
    return shutil.which(cc[0]) if cc else None


@dataclass(frozen=True, slots=True)
class BuildReport:
    native_dir: Path
    modules: int
    seconds: float
    manifest: Path


def build(native_dir: Path | None = None, opt_level: str = "3", jobs: int | None = None) -> BuildReport:
    """Compile the engine with mypyc into ``native_dir`` (replacing any build there, only once the new one is
    complete). Raises ``NativeBuildError`` with what is missing: mypyc (the ``fast`` extra), a C compiler, or the
    compiler's complaint (the full log's path is in the message)."""
    native_dir = native_dir or default_build_dir()
    if importlib.util.find_spec("mypyc") is None:
        raise NativeBuildError("mypyc is not installed: pip install 'cot-inspector[fast]' (it comes with mypy)")
    if importlib.util.find_spec("setuptools") is None:
        raise NativeBuildError("setuptools is not installed: pip install 'cot-inspector[fast]'")
    if _compiler() is None:
        raise NativeBuildError(
            f"no C compiler ({sysconfig.get_config_var('CC') or 'cc'}) on PATH: install one (Debian: apt-get install gcc)"
        )
    sources = compiled_sources()
    native_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=native_dir.parent))
    log = work / "build.log"
    started = time.perf_counter()
    try:
        lib = work / "lib"
        # a copy of the package, built in a folder of its own: mypy takes the folder it runs in as the project,
        # and an installed package's folder (site-packages) holds modules that shadow mypy's own
        root = work / "src"
        shutil.copytree(PACKAGE_DIR, root / PACKAGE_DIR.name, ignore=shutil.ignore_patterns(
            NATIVE_DIR.name, NATIVE_DIR.name + ".old", ".build-*", "__pycache__", "*.so", "build-failed.log"))
        # mypy's settings for the build, not whatever config the folder has (an installed package has none):
        # third-party modules without type information (sympy) are taken as they are
        config = work / "mypy.ini"
        config.write_text("[mypy]\nignore_missing_imports = True\n")
        command = [
            sys.executable, "-c", _BUILD_SCRIPT, str(root), str(work / "c"), str(lib), str(work / "obj"), opt_level,
            str(jobs or os.cpu_count() or 1), "--config-file", str(config),
            *(str(path.relative_to(PACKAGE_DIR.parent)) for path in sources.values()),
        ]
        env = {**os.environ, "MYPY_CACHE_DIR": str(work / "mypy_cache"), ENV_SWITCH: "0"}
        with log.open("w") as out:
            done = subprocess.run(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        kept = native_dir.parent / "build-failed.log"
        if done.returncode != 0:
            tail = log.read_text(errors="replace").strip().splitlines()[-12:]
            shutil.copyfile(log, kept)
            raise NativeBuildError("mypyc failed (full log: " + str(kept) + "):\n" + "\n".join(tail))
        files: dict[str, str] = {}
        suffix = _ext_suffix()
        for built in lib.rglob("*" + suffix):
            rel = built.relative_to(lib)
            name = ".".join(rel.parts)[: -len(suffix)]
            files[name] = str(rel)
        missing = [name for name in sources if name not in files]
        if missing:
            shutil.copyfile(log, kept)
            raise NativeBuildError(f"the build made no module for {missing[0]} (log: {kept})")
        manifest = {
            "ext_suffix": suffix,
            "python": sys.version.split()[0],
            "mypy": _mypy_version(),
            "opt_level": opt_level,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            # the digests of the copy that was compiled: a source edited during the build leaves the build stale
            "sources": {name: _digest(root / path.relative_to(PACKAGE_DIR.parent)) for name, path in sources.items()},
            "files": files,
        }
        (lib / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        old = native_dir.with_name(native_dir.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if native_dir.exists():
            native_dir.rename(old)
        lib.rename(native_dir)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)
        return BuildReport(native_dir, len(sources), time.perf_counter() - started, native_dir / MANIFEST)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def remove(native_dir: Path | None = None) -> bool:
    """Delete the build (``inspect build-engine --remove``); the engine runs as Python from the next start."""
    native_dir = native_dir or default_build_dir()
    if not native_dir.exists():
        return False
    shutil.rmtree(native_dir)
    return True


def _mypy_version() -> str:
    try:
        from importlib.metadata import version

        return version("mypy")
    except Exception:  # noqa: BLE001 - only recorded in the manifest
        return "unknown"
