"""The numbers behind a finding in words and Norwegian digits: one row per test, shared by the
finding's entry on the asset page in the Dagster UI (Markdown) and the report's table (HTML)."""

from __future__ import annotations

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.findings.verdict import EXPECTED_LABELS_NB, WAY_LABELS_NB
from pipelines.formatting import MISSING_MARK, PERCENT, format_number_nb, format_signed_nb, unit_label_nb

TEST_HEADERS_NB = (
    "Indikator", "Venter", "Fra", "Til", "Endring", "Landet", "Fylker som ventet",
    "Statsforvalterregioner som ventet", "Vurdering",
)  # fmt: skip


def share_nb(share: float) -> str:
    """A rule's share as the reader sees it: 0.67 → «67 %»."""
    return format_number_nb(share * 100) + PERCENT


def _number(value, decimals: int) -> str:
    return format_number_nb(None if pd.isna(value) else float(value), decimals)


def counted_nb(expected: int, with_data: int, total: int) -> str:
    """«13 av 15» regions changed the expected way (« (av 15)» when some have no values)."""
    if not total:
        return "ingen tall"
    return f"{expected} av {with_data}" + (f" (av {total})" if with_data < total else "")


def test_cells(test, catalogue: Catalogue) -> list[str]:
    """One row of ``finding_tests`` as the cells under :data:`TEST_HEADERS_NB`. Rates get one
    decimal more than the indicator's, so a start, an end and their change add up on the page."""
    indicator = catalogue.indicators[test.indicator_id]
    decimals = indicator.decimals + (indicator.unit != "count")
    group = catalogue.target_groups[test.target_group].name_nb.lower()
    unit = unit_label_nb(indicator.unit)
    name = f"{indicator.name_nb} ({group}{', ' + unit if unit else ''})"
    ends = [
        f"{year}: {_number(value, decimals)}" if pd.notna(year) else MISSING_MARK
        for year, value in ((test.start_year, test.national_start), (test.end_year, test.national_end))
    ]
    change = (
        MISSING_MARK
        if pd.isna(test.national_change)
        else format_signed_nb(float(test.national_change), decimals)
    )
    way = (
        WAY_LABELS_NB.get(test.national_way, MISSING_MARK)
        if isinstance(test.national_way, str)
        else MISSING_MARK
    )
    return [
        name, EXPECTED_LABELS_NB[test.expected], *ends, change, way,
        counted_nb(test.counties_expected, test.counties_with_data, test.counties_total),
        counted_nb(test.regions_expected, test.regions_with_data, test.regions_total), test.verdict_nb,
    ]  # fmt: skip


def finding_markdown(verdict: pd.Series, tests: pd.DataFrame, catalogue: Catalogue) -> str:
    """``verdict``: the finding's row of ``finding_verdicts``; ``tests``: its rows of ``finding_tests``."""
    lines = [f"**{verdict['statement_nb']}**", "", f"Vurdering: **{verdict['verdict_nb']}**"]
    if verdict["note_nb"]:
        lines.append(f"*{verdict['note_nb']}*")
    lines += ["", f"Kilde: {verdict['citation_nb']} Grunnlag: {verdict['citation_basis_nb']}", ""]
    if not verdict["testable"]:
        lines.append(f"Kan ikke testes med disse indikatorene: {verdict['untestable_reason_nb']}")
        return "\n".join(lines)
    lines += ["| " + " | ".join(TEST_HEADERS_NB) + " |", "|" + "---|" * len(TEST_HEADERS_NB)]
    lines += ["| " + " | ".join(test_cells(t, catalogue)) + " |" for t in tests.itertuples(index=False)]
    lines += ["", *[f"- {test.reason_nb}" for test in tests.itertuples(index=False)]]
    return "\n".join(lines)
