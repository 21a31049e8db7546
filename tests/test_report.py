"""`inspect report`: the numbers on a world small enough to check by hand, the renderers, and real data.

The toy world is described in ``_toy.py``. Real data (../shared/data) is skipped cleanly when absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from _toy import build, write_jsonl
from click.testing import CliRunner

from inspector import store
from inspector.cli import ExitCode, main
from inspector.labels.labelset import parse_resolution
from inspector.report.build import ALL_SETS, Report, build_report, problem_set_of
from inspector.report.render import rich_tables, terminal_plot, to_html, to_json

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data(path: str) -> Path:
    p = DATA / path
    if not p.exists():
        pytest.skip(f"{p} not present (real data lives in ../shared/data)")
    return p


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(build(store.open_db(None)), database="toy.db")


def curve(rep: Report, model: str) -> dict[str, dict[int, float]]:
    c = next(c for c in rep.curves if c.model == model and c.problem_set == "toy")
    return {kind: dict(zip(c.ks, getattr(c, kind), strict=True)) for kind in ("raw", "valid_only", "repaired")}


# --- verdicts --------------------------------------------------------------------------------------------


def test_verdict_counts_and_the_split_of_correct_answers(report: Report) -> None:
    by = {(b.model, b.problem_set): b for b in report.breakdowns}
    assert set(by) == {("rl", "toy"), ("base", "toy"), ("other", "toy")}
    rl, base = by[("rl", "toy")], by[("base", "toy")]
    assert dict(rl.verdicts) == {"valid": 9, "canceling_errors": 3, "lucky_guess": 0, "arithmetic_slip": 0,
                                 "wrong_reasoning": 4, "no_answer": 0, "unreferenced": 0, "unchecked": 0, "undecided": 0}  # fmt: skip
    assert (rl.chains, rl.problems, rl.answer_correct) == (16, 4, 12)
    assert rl.share_of_correct("valid") == 0.75 and rl.share_of_correct("canceling_errors") == 0.25
    assert (base.count("valid"), base.count("arithmetic_slip"), base.count("wrong_reasoning")) == (4, 4, 8)
    assert base.rate("arithmetic_slip") == 0.25
    assert by[("other", "toy")].count("lucky_guess") == 1
    assert report.chains == 33 and report.unscored == 0


# --- pass@k three ways ----------------------------------------------------------------------------------
# rl: c = 4, 4, 4, 0 of n = 4 (raw); valid-only 3, 3, 3, 0 (the cancelling chain is not valid).
# base: c = 1 each (raw); valid-only 1, 0, 1, 1 (people relabelled base-p1-s0 as a lucky guess);
# repaired 2 each (the slip counts).
EXPECTED = {
    "rl": {"raw": {1: 0.75, 2: 0.75, 4: 0.75}, "valid_only": {1: 0.5625, 2: 0.75, 4: 0.75},
           "repaired": {1: 0.75, 2: 0.75, 4: 0.75}},
    "base": {"raw": {1: 0.25, 2: 0.5, 4: 1.0}, "valid_only": {1: 0.1875, 2: 0.375, 4: 0.75},
             "repaired": {1: 0.5, 2: 5 / 6, 4: 1.0}},
}  # fmt: skip


@pytest.mark.parametrize("model", ["rl", "base"])
def test_pass_at_k_three_ways(report: Report, model: str) -> None:
    got = curve(report, model)
    for kind, values in EXPECTED[model].items():
        assert got[kind] == pytest.approx(values), kind


def test_share_of_raw_pass1_that_is_not_valid(report: Report) -> None:
    shares = {c.model: c.not_valid_share for c in report.curves}
    assert shares["rl"] == pytest.approx(0.25) and shares["base"] == pytest.approx(0.25)
    assert shares["other"] == 1.0  # its one right answer is a lucky guess
    human = {c.model: c.human_labelled for c in report.curves}
    assert human == {"rl": 2, "base": 2, "other": 0}


def test_where_the_curves_cross(report: Report) -> None:
    (x,) = report.crossings  # "other" shares no problem with anyone
    assert (x.model_a, x.model_b, x.shared_problems) == ("base", "rl", 4)
    assert x.raw_crosses_at == 4  # level at k = 3 (both 0.75), base ahead at k = 4
    assert x.valid_crosses_at is None  # valid-only: base only catches up at k = 4


def test_models_filter_and_custom_ks() -> None:
    db = build(store.open_db(None))
    rep = build_report(db, models=["base"], ks=[1, 3, 99])
    assert {b.model for b in rep.breakdowns} == {"base"}
    (c,) = rep.curves
    assert c.ks == (1, 3) and c.raw[1] == pytest.approx(0.75)


def test_a_model_on_two_problem_sets_gets_an_all_row() -> None:
    db = build(store.open_db(None))
    db.conn.execute("UPDATE chains SET source = 'other/more.jsonl:1' WHERE chain_id LIKE 'rl-p3-%'")
    rep = build_report(db)
    rows = {(b.model, b.problem_set): b for b in rep.breakdowns}
    assert rows[("rl", "more")].chains == 4 and rows[("rl", ALL_SETS)].chains == 16
    everything = next(c for c in rep.curves if c.model == "rl" and c.problem_set == ALL_SETS)
    assert everything.raw[0] == pytest.approx(0.75) and everything.problems == 4


# --- agreement -------------------------------------------------------------------------------------------


def test_machine_against_people(report: Report) -> None:
    ag = report.agreement
    assert ag is not None
    assert (ag.labelled_chains, ag.chain_labelled, ag.unsure, ag.conflicts) == (4, 4, 0, 1)
    conf = ag.verdicts
    assert conf is not None and conf.total == 4 and conf.agreed == 3
    assert conf.cell("lucky_guess", "valid") == 1  # people: lucky guess; machine: valid
    scores = {s.label: s for s in conf.scores}
    assert scores["valid"].precision == 0.5 and scores["valid"].recall == 1.0
    assert ag.coarse is not None and ag.coarse.accuracy == 0.75


def test_first_error_steps(report: Report) -> None:
    fe = report.agreement.first_error if report.agreement else None
    assert fe is not None
    assert (fe.chains, fe.same, fe.both_none, fe.human_only, fe.machine_only) == (3, 3, 1, 0, 0)
    assert (fe.error_accuracy, fe.correct_accuracy, fe.f1) == (1.0, 1.0, 1.0)


def test_annotators_against_each_other(report: Report) -> None:
    assert report.agreement is not None
    (chain,) = report.agreement.raters  # step ratings: no step was rated by both
    assert (chain.what, chain.annotators, chain.units, chain.all_agree) == ("chain labels", ("ann", "bob"), 3, 2)
    # p_o = 2/3; p_e = (1·1 + 1·1) / 9 = 2/9; κ = (4/9) / (7/9)
    assert chain.statistic == "cohen_kappa" and chain.value == pytest.approx(4 / 7)


def test_resolution_changes_the_human_side() -> None:
    db = build(store.open_db(None))
    ann = build_report(db, resolution=parse_resolution("annotator=ann"))
    assert ann.agreement is not None and ann.agreement.verdicts is not None
    assert ann.agreement.verdicts.cell("wrong_reasoning", "arithmetic_slip") == 1


def test_three_annotators_use_krippendorff() -> None:
    from inspector.labels.labelset import ChainLabel, ChainLabels

    db = build(store.open_db(None))
    store.add_labels(db, [ChainLabels((ChainLabel("rl-p0-s3", "cy", "lucky_guess", "2025-03-04"),))])
    rep = build_report(db)
    assert rep.agreement is not None
    (chain,) = rep.agreement.raters
    assert chain.statistic == "krippendorff_alpha" and chain.annotators == ("ann", "bob", "cy")
    assert chain.value is not None and -1 <= chain.value < 1


def test_no_labels_no_agreement() -> None:
    rep = build_report(build(store.open_db(None), with_labels=False))
    assert rep.agreement is None
    assert next(c for c in rep.curves if c.model == "base").valid_only[0] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("source", "name"),
    [("data/gsm8k.json:12", "gsm8k"), ("/x/math_cot_100.jsonl:3", "math_cot_100"), ("<stdin>:4", "<stdin>"),
     ("runs/a.db", "a"), (None, "(unknown)"), ("samples.jsonl.gz:1", "samples"), ("C:/d/t.csv:2", "t")],
)  # fmt: skip
def test_problem_set_names(source: str | None, name: str) -> None:
    assert problem_set_of(source) == name


# --- renderers --------------------------------------------------------------------------------------------


def test_json_is_complete_and_plain(report: Report) -> None:
    doc = json.loads(to_json(report))
    assert doc["chains"] == 33
    rl = next(c for c in doc["curves"] if c["model"] == "rl")
    assert rl["ks"] == [1, 2, 4] and rl["not_valid_share"] == pytest.approx(0.25)
    assert doc["agreement"]["first_error"]["f1"] == 1.0
    assert doc["agreement"]["verdicts"]["accuracy"] == 0.75
    assert doc["breakdowns"][0]["verdicts"]["valid"] >= 0


def test_rich_tables_and_terminal_plot(report: Report) -> None:
    from rich.console import Console

    console = Console(record=True, width=200)
    for part in rich_tables(report):
        console.print(part)
    text = console.export_text()
    for title in ("Verdicts (33 chains)", "pass@k", "cross", "Machine verdict", "First error step",
                  "Agreement between annotators", "cohen kappa"):  # fmt: skip
        assert title in text, title
    plot = terminal_plot(report.curves)
    assert "UPPER: raw" in plot and re.search(r"[A-C]", plot) and "k" in plot.splitlines()[-2]


def test_html_is_one_self_contained_page(report: Report) -> None:
    page = to_html(report, png=b"\x89PNG fake")
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
    assert "data:image/png;base64," in page and "<style>" in page
    assert not re.search(r"(src|href)=['\"]https?:", page)  # nothing fetched from anywhere
    assert "Agreement with people" in page and "ProcessBench F1" in page
    assert "matplotlib" in to_html(report, png=None)  # without the plot it says how to get it


def test_png() -> None:
    pytest.importorskip("matplotlib")
    from inspector.report.render import plot_png

    png = plot_png(build_report(build(store.open_db(None))))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


# --- the command -------------------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_report_command(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "toy.jsonl")
    db = tmp_path / "toy.db"
    assert run("verify", str(src), "--db", str(db))[0] == ExitCode.OK
    code, out, _ = run("report", str(db), "--format", "json", "--k", "1,2")
    assert code == ExitCode.OK
    doc = json.loads(out)  # stdout is the JSON document and nothing else
    assert {c["model"]: c["raw"] for c in doc["curves"]}["base"] == [0.25, 0.5]
    html = tmp_path / "r.html"
    code, out, err = run("report", str(db), "--html", str(html))
    assert code == ExitCode.OK and "Verdicts" in out and html.exists() and f"wrote {html}" in err


@pytest.mark.parametrize(("args", "message"), [(["--resolve", "loudest"], "unknown resolution"),
                                               (["--k", "1,x"], "not a list of integers")])  # fmt: skip
def test_report_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = run("report", str(tmp_path / "x.db"), *args)
    assert code == 2 and message in err


def test_report_on_a_missing_database_does_not_create_one(tmp_path: Path) -> None:
    code, _, err = run("report", str(tmp_path / "none.db"))
    assert code == ExitCode.BAD_INPUT and "no such database" in err
    assert not (tmp_path / "none.db").exists()


# --- real data: Qwen2.5-Math samples, scored by their own evaluator ------------------------------------------
# The file's `score` lists are Qwen2.5-Math's own grader. We agree with it on 791 of 800 chains; the nine
# others are all its false negatives (its normaliser mangles the reference), listed here with why.
QWEN_DISAGREEMENTS = {
    **{(3, i): "reference \\text{4:30 p.m.}: Qwen's grader keeps gt '4:30p..' and pred '4:30' (it strips "
               "the \\text{ p.m.} from the answer and mangles the reference), so 4:30 p.m. ≠ 4:30 p.m. for it"
       for i in range(8)},
    (72, 7): "reference 10{,}000: Qwen's grader compares pred '10000' with gt '10{,}000' as strings "
             "(its normaliser drops '{,}' from neither), so 10000 ≠ 10{,}000 for it",
}  # fmt: skip


def test_qwen_pass_at_k_agrees_with_its_score_fields(tmp_path: Path) -> None:
    from inspector.report.passk import mean_pass_at_k

    src = data("qwen25-math-eval/math_cot_100.jsonl")
    records = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    db_path = tmp_path / "q.db"
    assert run("verify", str(src), "--db", str(db_path), "--workers", "2")[0] == ExitCode.OK
    db = store.open_db(db_path)
    ours = {(r.problem_id, r.chain_id): r for r in store.iter_report_rows(db)}
    by_problem_sample = {}
    for row in ours.values():
        sample = int(db.conn.execute("SELECT sample_index FROM chains WHERE chain_id = ?", (row.chain_id,)).fetchone()[0])
        by_problem_sample[(int(row.problem_id or -1), sample)] = row
    disagree = {
        (r["idx"], i): (score, by_problem_sample[(r["idx"], i)].answer_correct)
        for r in records for i, score in enumerate(r["score"])
        if bool(by_problem_sample[(r["idx"], i)].answer_correct) != score
    }  # fmt: skip
    assert set(disagree) == set(QWEN_DISAGREEMENTS)
    assert all(theirs is False and mine is True for theirs, mine in disagree.values())

    theirs = [(len(r["score"]), sum(r["score"])) for r in records]
    rep = build_report(db)
    (c,) = rep.curves
    assert c.ks == (1, 2, 4, 8) and (c.problems, c.samples_min) == (100, 8)
    assert mean_pass_at_k(theirs, 1) == pytest.approx(728 / 800)  # 91.0%
    assert c.raw[0] == pytest.approx(737 / 800)  # 92.125%: the nine chains above
    assert mean_pass_at_k(theirs, 8) == pytest.approx(0.96) and c.raw[-1] == pytest.approx(0.98)  # problems 3, 72


def test_without_matplotlib_the_png_says_how_to_install_and_the_page_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    src = write_jsonl(tmp_path / "toy.jsonl")
    db = tmp_path / "toy.db"
    assert run("verify", str(src), "--db", str(db))[0] == ExitCode.OK
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    code, _, err = run("report", str(db), "--png", str(tmp_path / "c.png"))
    assert code == ExitCode.MISSING_DEPENDENCY and "pip install 'cot-inspector[report]'" in err
    page = tmp_path / "r.html"
    code, _, err = run("report", str(db), "--html", str(page))
    assert code == ExitCode.OK and "tables only" in err
    assert "Verdicts" in page.read_text() and "Curves need matplotlib" in page.read_text()


def test_evaluation_dumps_of_two_checkpoints_are_compared_on_their_data_set(tmp_path: Path) -> None:
    """The Spurious Rewards layout: one file per checkpoint and set; the report's problem set is the file's
    ``dataset``, so the base model and the RL checkpoint meet on the same problems."""
    def dump(model: str, right: bool) -> dict[str, object]:
        answer = "5" if right else "6"
        return {"dataset": "AIME-2024", "model": model, "metadata": [
            {"prompt": "What is 2 + 3?", "label": "5", "index": "0",
             "outputs": [f"2 + 3 = 5, so \\boxed{{{answer}}}", "2 + 3 = 5, so \\boxed{5}"]}]}

    db_path = tmp_path / "sr.db"
    files = []
    for name, model, right in (("base_AIME-2024.json", "Qwen2.5-Math-1.5B", False),
                               ("step50_AIME-2024.json", "./export-for-eval-step50", True)):
        (tmp_path / name).write_text(json.dumps(dump(model, right), indent=2))
        files.append(str(tmp_path / name))
    code = CliRunner().invoke(main, ["verify", *files, "--db", str(db_path)]).exit_code
    assert code == ExitCode.OK
    rep = build_report(store.open_db(db_path))
    assert {(c.model, c.problem_set) for c in rep.curves} == {("Qwen2.5-Math-1.5B", "AIME-2024"),
                                                             ("export-for-eval-step50", "AIME-2024")}
    assert [(x.problem_set, x.shared_problems) for x in rep.crossings] == [("AIME-2024", 1)]


def test_the_png_leaves_the_callers_matplotlib_alone() -> None:
    # a notebook that imports us keeps its backend and its figures: the plot is drawn on a Figure of its own
    pytest.importorskip("matplotlib")
    import matplotlib
    import matplotlib.pyplot as plt

    from inspector.report.render import plot_png

    before = matplotlib.get_backend()
    matplotlib.use("svg")  # the caller's choice, which the plot must not switch
    try:
        figures = plt.get_fignums()
        assert plot_png(build_report(build(store.open_db(None)))).startswith(b"\x89PNG")
        assert matplotlib.get_backend() == "svg" and plt.get_fignums() == figures
    finally:
        matplotlib.use(before)


def test_report_counts_blind_labels_and_honours_an_adjudicator() -> None:
    from inspector.labels.labelset import resolve_chain

    db = build(store.open_db(None))
    plain = build_report(db)
    assert plain.agreement is not None and plain.agreement.blind_labels == 0
    assert "given blind" not in to_html(plain)
    store.set_chain_label(db, "rl-p0-s3", "valid", annotator="cy", machine_verdict=None, run_id=None, agrees=None,
                          blind=True)  # fmt: skip
    store.set_chain_label(db, "rl-p0-s3", "wrong_reasoning", annotator="judge", machine_verdict=None, run_id=None,
                          agrees=None, blind=False)  # fmt: skip
    rep = build_report(db, resolution=parse_resolution("adjudicator=judge"))
    ag = rep.agreement
    assert ag is not None and ag.resolution == "adjudicator=judge"
    assert ag.blind_labels == 1 and ag.chain_labels == plain.agreement.chain_labels + 2
    assert json.loads(to_json(rep))["agreement"]["blind_labels"] == 1
    assert "1 of" in " ".join(t.plain for t in rich_tables(rep) if hasattr(t, "plain"))
    assert "1 of" in to_html(rep) and "given blind" in to_html(rep)
    labels = store.labels_for(db, ["rl-p0-s3"])["rl-p0-s3"]
    current = [lab for lab in labels.chain_labels if lab.current]
    assert {lab.annotator: lab.blind for lab in current}["cy"] is True
    assert resolve_chain(current, parse_resolution("adjudicator=judge")).label == "wrong_reasoning"
