"""The compiled engine (``inspect build-engine``): used only where it was built from exactly these sources, and
when it is used, every record is what the Python engine writes.

The manifest tests need no compiler; the build test compiles the engine for real (mypyc, at -O0 to be quick) into
a temporary folder and runs the sample chains through both engines in child processes."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inspector import native

ROOT = Path(__file__).resolve().parents[1]


def _fake_build(tmp_path: Path) -> Path:
    """A build folder whose manifest matches the sources as they are now (the 'modules' are empty files)."""
    build = tmp_path / "native"
    build.mkdir(parents=True)
    files = {}
    for name in native.compiled_sources():
        rel = name.replace(".", "/") + native._ext_suffix()
        (build / rel).parent.mkdir(parents=True, exist_ok=True)
        (build / rel).write_bytes(b"")
        files[name] = rel
    manifest = {
        "ext_suffix": native._ext_suffix(),
        "sources": {name: native._digest(path) for name, path in native.compiled_sources().items()},
        "files": files,
    }
    (build / native.MANIFEST).write_text(json.dumps(manifest))
    return build


def _edit_manifest(build: Path, **changes: object) -> None:
    manifest = json.loads((build / native.MANIFEST).read_text())
    manifest.update(changes)
    (build / native.MANIFEST).write_text(json.dumps(manifest))


def test_a_build_that_matches_every_source_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSPECTOR_NATIVE", raising=False)
    state, files = native.check(_fake_build(tmp_path))
    assert state.active, state.reason
    assert "inspector.engine.tokens" in files and "inspector.engine.rules" not in files


def test_one_edited_source_makes_the_whole_build_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSPECTOR_NATIVE", raising=False)
    build = _fake_build(tmp_path)
    manifest = json.loads((build / native.MANIFEST).read_text())
    manifest["sources"]["inspector.engine.extract"] = "0" * 64
    (build / native.MANIFEST).write_text(json.dumps(manifest))
    state, files = native.check(build)
    assert not state.active and files == {}
    assert "stale: extract.py changed since the build" in state.reason


def test_a_build_for_another_python_or_other_modules_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INSPECTOR_NATIVE", raising=False)
    build = _fake_build(tmp_path)
    _edit_manifest(build, ext_suffix=".cpython-39-x86_64-linux-gnu.so")
    assert "another Python" in native.check(build)[0].reason
    build = _fake_build(tmp_path / "2")
    _edit_manifest(build, sources={"inspector.engine.tokens": "0" * 64})
    assert "modules changed" in native.check(build)[0].reason


def test_a_damaged_or_partial_build_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSPECTOR_NATIVE", raising=False)
    build = _fake_build(tmp_path)
    next(build.rglob("tokens*")).unlink()
    assert "incomplete build" in native.check(build)[0].reason
    (build / native.MANIFEST).write_text("{not json")
    assert "unreadable build manifest" in native.check(build)[0].reason
    assert "not built" in native.check(tmp_path / "nowhere")[0].reason


def test_the_python_engine_can_be_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSPECTOR_NATIVE", "0")
    state, _ = native.check(_fake_build(tmp_path))
    assert not state.active and "INSPECTOR_NATIVE=0" in state.reason


def test_status_names_the_build_in_use() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "inspector.cli", "build-engine", "--status"],
        env={**os.environ, "INSPECTOR_NATIVE": "0"}, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("python: INSPECTOR_NATIVE=0")


def test_a_machine_without_mypyc_is_told_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mypyc" else real_find_spec(name, *a))
    with pytest.raises(native.NativeBuildError, match=r"cot-inspector\[fast\]"):
        native.build(tmp_path / "native")
    assert not (tmp_path / "native").exists()


_RUN = """
import json, sys
import inspector
from inspector import read_chains, verify_chain
import inspector.engine.tokens as tokens
chains = [c for path in sys.argv[1:] for c in read_chains(path)]
print(json.dumps({"active": inspector.native.status().active, "tokens": tokens.__file__,
                  "records": [verify_chain(c).to_json() for c in chains]}, sort_keys=True))
"""


def _run_engine(env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    samples = sorted(str(p) for p in (ROOT / "samples").glob("*.jsonl"))
    done = subprocess.run([sys.executable, "-c", _RUN, *samples], env=env, capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.mark.skipif(importlib.util.find_spec("mypyc") is None, reason="mypyc (the fast extra) is not installed")
@pytest.mark.skipif(native._compiler() is None, reason="no C compiler")
def test_the_compiled_engine_writes_what_the_python_engine_writes(tmp_path: Path) -> None:
    build = tmp_path / "native"
    report = native.build(build, opt_level="0")
    assert report.modules == len(native.compiled_sources())
    assert not list(tmp_path.glob(".build-*")), "the work folder is cleaned up"
    compiled = _run_engine({**os.environ, "INSPECTOR_NATIVE_DIR": str(build), "INSPECTOR_NATIVE": "1"})
    python = _run_engine({**os.environ, "INSPECTOR_NATIVE": "0"})
    assert compiled["active"] and compiled["tokens"].startswith(str(build))
    assert not python["active"] and python["tokens"].endswith("tokens.py")
    assert len(python["records"]) >= 20
    assert compiled["records"] == python["records"]
    shutil.rmtree(build)
