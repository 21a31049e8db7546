"""The package as others meet it: a command name nobody else takes, its metadata, and the database in Datasette."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _scripts(name: str) -> list[metadata.EntryPoint]:
    return [ep for ep in metadata.entry_points(group="console_scripts") if ep.name == name]


def test_cot_inspect_is_ours_even_where_another_package_installs_inspect(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # inspect-ai, installed beside us, declares a console script `inspect` of its own (its entry_points.txt)
    fake = tmp_path / "inspect_ai-0.3.0.dist-info"
    fake.mkdir()
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: inspect_ai\nVersion: 0.3.0\n", encoding="utf-8")
    (fake / "entry_points.txt").write_text("[console_scripts]\ninspect = inspect_ai._cli.main:main\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert {ep.value for ep in _scripts("inspect")} >= {"inspector.cli:main", "inspect_ai._cli.main:main"}
    ours = _scripts("cot-inspect")
    assert [ep.value for ep in ours] == ["inspector.cli:main"]
    assert ours[0].load() is __import__("inspector.cli", fromlist=["main"]).main


def test_cot_inspect_runs_the_same_commands() -> None:
    script = Path(sys.executable).with_name("cot-inspect")
    if not script.exists():
        pytest.skip("the package is not installed with its scripts in this environment")
    done = subprocess.run([str(script), "verify", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Verify chains of thought" in done.stdout


def test_the_license_and_the_metadata_are_complete() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert project["license-files"] == ["LICENSE"]
    assert {"Homepage", "Documentation", "Issues"} <= set(project["urls"])
    assert any(c.startswith("Programming Language :: Python :: 3.11") for c in project["classifiers"])
    for script in ("inspect", "cot-inspect"):
        assert project["scripts"][script] == "inspector.cli:main"


def test_datasette_serves_the_store_with_our_canned_queries(tmp_path: Path) -> None:
    datasette_app = pytest.importorskip("datasette.app")
    import asyncio

    from _toy import build

    from inspector import store

    path = tmp_path / "toy.db"
    build(store.open_db(path)).close()
    # nothing passed but the file: the plugin comes with the package (its `datasette` entry point)
    ds = datasette_app.Datasette([str(path)])

    async def rows(query: str, **params: str) -> list[dict[str, object]]:
        response = await ds.client.get(f"/toy/{query}.json", params={"_shape": "array", **params})
        assert response.status_code == 200, response.text
        return response.json()

    async def everything() -> dict[str, list[dict[str, object]]]:
        return {
            "lucky": await rows("lucky_guesses_by_model"),
            "disagree": await rows("machine_vs_people"),
            "rules": await rows("slips_by_rule"),
            "one": await rows("chain_with_findings", chain_id="rl-p0-s3"),
        }

    got = asyncio.run(everything())
    # the toy world (tests/_toy.py): rl has cancelling errors, base a lucky guess and cancelling errors
    assert {(r["model"], r["verdict"]) for r in got["lucky"]} >= {("rl", "canceling_errors")}
    assert sum(int(r["chains"]) for r in got["lucky"]) == sum(  # type: ignore[call-overload]
        1 for c in store.open_db(path).execute("select verdict from chains").fetchall()
        if c[0] in ("lucky_guess", "canceling_errors"))
    assert got["rules"] and all(int(r["errors"]) >= int(r["chains"]) >= 1 for r in got["rules"])  # type: ignore[call-overload]
    assert all(r["machine"] != r["person"] for r in got["disagree"])
