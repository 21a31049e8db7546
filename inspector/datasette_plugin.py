"""Datasette plugin: ``datasette inspector.db`` opens a store with the questions people ask of it.

Installed with the package (the ``datasette`` entry point in ``pyproject.toml``), so nothing is passed on the
command line: any database that holds our ``chains`` table gets these canned queries. Datasette itself is not a
dependency; this module is only imported by Datasette.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl

QUERIES: dict[str, dict[str, str]] = {
    "lucky_guesses_by_model": {
        "title": "Right answers reached through wrong arithmetic, by model",
        "description": "Chains whose final answer matches the reference although the arithmetic on the way is "
                       "wrong: lucky_guess (with the slips fixed the chain no longer reaches the answer) and "
                       "canceling_errors (the slips cancel, or never reach the answer).",
        "sql": "select model, problem_set, verdict, count(*) as chains from chains "
               "where verdict in ('lucky_guess', 'canceling_errors') "
               "group by model, problem_set, verdict order by model, problem_set, verdict",
    },
    "machine_vs_people": {
        "title": "Where people and the machine disagree",
        "description": "Each chain whose current label (by any annotator) differs from the machine's verdict.",
        "sql": "select l.chain_id, c.model, c.verdict as machine, l.label as person, l.annotator, l.note "
               "from chain_labels l join chains c on c.chain_id = l.chain_id "
               "where l.superseded_at is null and l.undone_at is null and l.label != c.verdict "
               "and l.label != 'unsure' order by c.model, l.chain_id",
    },
    "slips_by_rule": {
        "title": "Errors flagged, by rule",
        "description": "How many errors each rule flagged, and in how many chains.",
        "sql": "select rule, count(*) as errors, count(distinct chain_id) as chains from findings "
               "where severity = 'error' group by rule order by errors desc",
    },
    "chain_with_findings": {
        "title": "One chain: what was flagged, with the text it was flagged in",
        "description": "Give a chain id (copy one from the chains table).",
        "sql": "select c.chain_id, c.verdict, c.final_answer, c.reference, f.rule, f.severity, f.message, "
               "substr(c.cot, f.start + 1, f.\"end\" - f.start) as flagged_text "
               "from chains c left join findings f on f.chain_id = c.chain_id "
               "where c.chain_id = :chain_id order by f.idx",
    },
}
"""name → Datasette canned query (title, description, SQL). The SQL reads only tables the store defines."""


@hookimpl  # type: ignore[untyped-decorator]  # datasette ships no type information
def canned_queries(datasette: Any, database: str, actor: Any) -> Any:
    async def ours() -> dict[str, dict[str, str]]:
        tables = set(await datasette.get_database(database).table_names())
        return QUERIES if {"chains", "findings", "chain_labels"} <= tables else {}

    return ours
