"""Fetch the StatBank tables that feed a source, after checking each against its metadata.

Per definition in ``assets/statbank.yaml``:

* ``table_id: null`` → not fetched; its columns stay ``..`` with a note naming the search words;
* switched off (``enabled: false``, or left out of the run's ``live_tables``) → answered from the
  cache when a copy exists (marked stale), else its columns stay ``..`` with a note;
* otherwise the **preflight** checks the table's metadata (exists, not discontinued, variables,
  codes, units, periods) before any data call, and finds codes declared unknown by their label.
  A table that fails stops the run with an error naming table, variable, code and the closest
  candidates, and how to go on without it (switch it off).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pipelines.catalogue.models import StatbankTable
from pipelines.sources.files import SourceDataError
from pipelines.sources.statbank_source import TableAnswer
from pipelines.ssb.statbank import StatbankClient, StatbankQuery
from pipelines.ssb.verify import check_table


class PreflightError(SourceDataError):
    """A switched-on table does not match SSB's metadata; ``problems`` lists why, one line each."""

    def __init__(self, message: str, table: StatbankTable, problems: list[str]) -> None:
        super().__init__(message)
        self.table = table
        self.problems = problems


class Checked(Protocol):
    ok: bool
    problems: list
    codes: dict[str, str]
    found_by_label: dict[str, str]  # column → the label its unknown code was found by


class Preflight(Protocol):
    def __call__(self, client: StatbankClient, table: StatbankTable, years: list[int]) -> Checked: ...


def statbank_query(table: StatbankTable, codes: dict[str, str]) -> StatbankQuery:
    """The data query of a definition, with the ContentsCodes the preflight settled on."""
    contents = list(dict.fromkeys(codes[c.column] for c in table.contents if c.column in codes))
    return StatbankQuery(
        table_id=str(table.table_id),
        selection={**table.selection, "ContentsCode": contents},
        codelist=dict(table.codelist),
        output_values=dict(table.output_values),
    )


def fetch_answers(
    client: StatbankClient,
    tables: list[StatbankTable],
    years: list[int],
    *,
    live_tables: list[str] | None = None,
    preflight: Preflight = check_table,
    log: Callable[[str], None] = lambda message: None,
) -> list[TableAnswer]:
    """One answer per definition (see the module docstring)."""
    answers = []
    for table in tables:
        if table.table_id is None:
            answers.append(
                TableAnswer(
                    table,
                    None,
                    how="not_fetched",
                    note=f"tabellnummeret er ukjent (søk: {', '.join(table.search)})",
                )
            )
            continue
        switched_on = table.enabled and (live_tables is None or table.id in live_tables)
        source = client if switched_on else client.cache_only()
        try:
            check = preflight(source, table, years)
        except LookupError:
            check = None  # a switched-off table with nothing cached
            if switched_on:
                raise
        if check is None:
            answers.append(TableAnswer(table, None, how="not_fetched", note=_off_note(table, live_tables)))
            continue
        if not check.ok:
            if switched_on:
                raise PreflightError(
                    _preflight_error(table, check), table, [str(problem) for problem in check.problems]
                )
            answers.append(TableAnswer(table, None, how="not_fetched", note=_off_note(table, live_tables)))
            continue
        try:
            result = source.fetch(statbank_query(table, check.codes))
        except LookupError:
            if switched_on:
                raise
            answers.append(TableAnswer(table, None, how="not_fetched", note=_off_note(table, live_tables)))
            continue
        for column, label in check.found_by_label.items():
            code = check.codes[column]
            log(f"StatBank {table.id}: column {column} uses {code}, found by its label «{label}»")
        answers.append(
            TableAnswer(
                table,
                result.frame,
                codes=dict(check.codes),
                found_by_label=dict(check.found_by_label),
                updated=result.updated,
                stale=result.stale or (not switched_on and client.mode == "live"),
                how="live" if switched_on and source.mode == "live" and not result.stale else "cache",
            )
        )
    return answers


def _off_note(table: StatbankTable, live_tables: list[str] | None) -> str:
    why = (
        "slått av i assets/statbank.yaml (enabled: false)"
        if not table.enabled
        else "ikke med i kjøringens live_tables"
    )
    return f"tabell {table.table_id} er {why}, og ingen kopi finnes i hurtiglageret"


def _preflight_error(table: StatbankTable, check: Checked) -> str:
    problems = "\n".join(f"  - {problem}" for problem in check.problems)
    return (
        f"StatBank table {table.table_id} ('{table.id}' in assets/statbank.yaml) does not match SSB's "
        f"metadata:\n{problems}\nFix the definition (python -m pipelines.ssb.discover --check writes a "
        f"report with candidates), or run without it: set `enabled: false` for '{table.id}' in "
        "assets/statbank.yaml, or leave it out of the run's `sources.live_tables`; its columns then come "
        "from the cache or stay missing (..) with a note."
    )
