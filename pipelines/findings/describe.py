"""One finding as Markdown, for its entry on the asset page in the Dagster UI: the statement,
the verdict with the data-origin note, the citation and the numbers behind it."""

from __future__ import annotations

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.findings.verdict import EXPECTED_LABELS_NB, WAY_LABELS_NB
from pipelines.formatting import format_number_nb, format_signed_nb, unit_label_nb


def _number(value, decimals: int) -> str:
    return format_number_nb(None if pd.isna(value) else float(value), decimals)


def _counted(expected, with_data) -> str:
    return f"{int(expected)} av {int(with_data)}" if with_data else "–"


def finding_markdown(verdict: pd.Series, tests: pd.DataFrame, catalogue: Catalogue) -> str:
    """``verdict``: the finding's row of ``finding_verdicts``; ``tests``: its rows of ``finding_tests``."""
    lines = [f"**{verdict['statement_nb']}**", "", f"Vurdering: **{verdict['verdict_nb']}**"]
    if verdict["note_nb"]:
        lines.append(f"*{verdict['note_nb']}*")
    lines += ["", f"Kilde: {verdict['citation_nb']} Grunnlag: {verdict['citation_basis_nb']}", ""]
    if not verdict["testable"]:
        lines.append(f"Kan ikke testes med disse indikatorene: {verdict['untestable_reason_nb']}")
        return "\n".join(lines)
    lines += [
        "| Indikator | Målgruppe | Venter | Fra | Til | Endring | Landet | Fylker som ventet | "
        "Statsforvalterregioner som ventet | Vurdering |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for test in tests.itertuples(index=False):
        indicator = catalogue.indicators[test.indicator_id]
        decimals = indicator.decimals
        group = catalogue.target_groups[test.target_group].name_nb
        start = (
            f"{test.start_year}: {_number(test.national_start, decimals)}"
            if pd.notna(test.start_year)
            else "–"
        )
        end = f"{test.end_year}: {_number(test.national_end, decimals)}" if pd.notna(test.end_year) else "–"
        change = (
            "–" if pd.isna(test.national_change) else format_signed_nb(float(test.national_change), decimals)
        )
        way = WAY_LABELS_NB.get(test.national_way, "–") if isinstance(test.national_way, str) else "–"
        lines.append(
            f"| {indicator.name_nb} ({unit_label_nb(indicator.unit) or 'antall'}) | {group} | "
            f"{EXPECTED_LABELS_NB[test.expected]} | {start} | {end} | {change} | {way} | "
            f"{_counted(test.counties_expected, test.counties_with_data)} | "
            f"{_counted(test.regions_expected, test.regions_with_data)} | {test.verdict_nb} |"
        )
    lines += ["", *[f"- {test.reason_nb}" for test in tests.itertuples(index=False)]]
    return "\n".join(lines)
