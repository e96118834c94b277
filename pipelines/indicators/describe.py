"""What the Dagster UI says about one indicator: its description (searchable by its Norwegian
title) and, after a run, its latest national value and progress status. No Dagster here."""

from __future__ import annotations

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.labels import DIRECTION_LABELS_NB, KIND_LABELS_NB, UNIT_LABELS_NB
from pipelines.catalogue.models import Indicator
from pipelines.geography.reference import NATION_CODE
from pipelines.progress.attainment import goal_attainment
from pipelines.progress.method import STATUS_LABELS_NB


def indicator_group(indicator: Indicator) -> str:
    """The UI group: the indicator's theme (`theme:` in assets/indicators.yaml), e.g.
    `tema_midlertidig_botilbud`. Dagster's search finds groups and asset names, not descriptions
    (dagster-io/dagster#21829), so the theme's words are what «midlertidig» finds."""
    return f"tema_{indicator.theme}"


def indicator_description(catalogue: Catalogue, indicator: Indicator) -> str:
    measures = catalogue.measures
    denominator = (
        f"{measures[indicator.denominator].name_nb} (`{indicator.denominator}`)"
        if indicator.denominator
        else "— (et antall)"
    )
    goals = []
    for ref in indicator.serves:
        strategy = catalogue.strategies[ref.strategy]
        goal = next(g for g in strategy.goals if g.id == ref.goal)
        goals.append(f"- {strategy.name_nb.split('.')[0]}, {goal.id}: {goal.name_nb}")
    groups = ", ".join(catalogue.target_groups[g].name_nb for g in indicator.target_groups)
    conventions = month_conventions(catalogue, indicator)
    return "\n".join(
        [
            f"# {indicator.name_nb}",
            "",
            f"*{indicator.name_en}* — `{indicator.id}`",
            "",
            indicator.definition_nb,
            "",
            f"- Teller: {measures[indicator.numerator].name_nb} (`{indicator.numerator}`)",
            f"- Nevner: {denominator}",
            f"- Enhet: {UNIT_LABELS_NB[indicator.unit]} (× {indicator.factor:g}), "
            f"{indicator.decimals} desimal(er)",
            f"- Retning: {DIRECTION_LABELS_NB[indicator.direction]}",
            f"- Målgrupper: {groups}",
            f"- Type: {KIND_LABELS_NB[indicator.kind]}",
            *conventions,
            f"- Kilde for definisjonen og de offisielle tallene: {indicator.source_nb} "
            f"({indicator.source_url}). Med de medfølgende demodataene er tallene syntetiske, ikke "
            "offisiell statistikk: `data_origin` i metadataene sier hva en kjøring brukte.",
            "",
            "Følger opp:",
            *goals,
            "",
            f"{indicator.definition_en}",
            "",
            f"Computed for every municipality, county and the nation from `stg_measure_values` into table "
            f"`indicator_{indicator.id}` (value = Σ numerator / Σ denominator × factor, never a mean of "
            "rates). Unsuppressed: internal tier. The public values come from `indicator_values_public`.",
        ]
    )


def month_conventions(catalogue: Catalogue, indicator: Indicator) -> list[str]:
    """One line per contract month convention (assets/contracts.yaml) of the sources behind the
    indicator's numerator and denominator, e.g. Husbanken's payment month for bostøtte."""
    sources = dict.fromkeys(
        catalogue.measures[m].source for m in (indicator.numerator, indicator.denominator) if m
    )
    lines = []
    for source in sources:
        contract = catalogue.contracts.get(source)
        if contract is not None and contract.month_convention is not None:
            lines.append(f"- Månedskonvensjon ({contract.producer_nb}): {contract.month_convention.text_nb}")
    return lines


def national_summary(catalogue: Catalogue, values: pd.DataFrame) -> dict[str, object]:
    """Latest national value of the headline group, and the progress status per strategy."""
    indicator = catalogue.indicators[values["indicator_id"].iloc[0]]
    group = "alle" if "alle" in indicator.target_groups else indicator.target_groups[0]
    nation = values[(values["geo_code"] == NATION_CODE) & (values["target_group"] == group)]
    shown = nation[(nation["status"] == "shown") & nation["value"].notna()].sort_values("year")
    summary: dict[str, object] = {"target_group": group}
    if not shown.empty:
        last = shown.iloc[-1]
        summary |= {"latest_year": int(last["year"]), "latest_national_value": round(float(last["value"]), 3)}
    attainment = goal_attainment(values[values["geo_code"] == NATION_CODE], catalogue)
    mine = attainment[(attainment["indicator_id"] == indicator.id) & (attainment["target_group"] == group)]
    summary["progress"] = {
        row.strategy_id: STATUS_LABELS_NB.get(row.status, row.status) for row in mine.itertuples()
    }
    return summary
