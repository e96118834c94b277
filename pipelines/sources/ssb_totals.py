"""Our sum over reporting municipalities against SSB's own national figure (KOSTRA's ``EAK``).

SSB's national and group figures in KOSTRA are estimates: from 2008 SSB imputes municipalities
that did not report, and weights group averages. So the two must never be taken for each other;
this table shows, per measure and year, how far apart they are and how many municipalities
reported, so an analyst can see what the imputation adds.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue

QC_TABLE = "qc_ssb_national_totals"
COLUMNS = [
    "measure_id", "source_id", "table_id", "year", "sum_reporting", "municipalities_reporting",
    "municipalities_total", "ssb_national", "ssb_status", "difference", "difference_pct", "preliminary",
]  # fmt: skip


def national_totals(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, source_ids: list[str]
) -> pd.DataFrame:
    """One row per measure × year with a published ``EAK`` value: Σ over reporting municipalities
    in the raw table (each year's own codes, before harmonisation), SSB's figure, the difference."""
    parts = []
    for source_id in source_ids:
        comparison = con.execute(
            f'SELECT * FROM "ssb_comparison_{source_id}" WHERE region_code = \'EAK\''
        ).df()
        if comparison.empty:
            continue
        source = catalogue.sources[source_id]
        code, year = source.key_columns
        raw = con.execute(f'SELECT * FROM "raw_{source_id}"').df().drop_duplicates([code, year])
        for measure in catalogue.measures_of(source_id):
            published = comparison[comparison["column"] == measure.column]
            if published.empty:
                continue
            values = raw.groupby(year)[measure.column].agg(["sum", "count", "size"])
            for row in published.itertuples():
                data_year = int(row.year)
                ours = values.loc[data_year] if data_year in values.index else None
                total = float(ours["sum"]) if ours is not None and ours["count"] else None
                ssb = None if pd.isna(row.value) else float(row.value)
                difference = None if total is None or ssb is None else ssb - total
                parts.append(
                    {
                        "measure_id": measure.id,
                        "source_id": source_id,
                        "table_id": row.table_id,
                        "year": data_year,
                        "sum_reporting": total,
                        "municipalities_reporting": int(ours["count"]) if ours is not None else 0,
                        "municipalities_total": int(ours["size"]) if ours is not None else 0,
                        "ssb_national": ssb,
                        "ssb_status": row.status if isinstance(row.status, str) else None,
                        "difference": difference,
                        "difference_pct": (
                            100 * difference / total if difference is not None and total else None
                        ),
                        "preliminary": bool(row.preliminary),
                    }
                )
    frame = pd.DataFrame(parts, columns=COLUMNS)
    return frame.sort_values(["measure_id", "year"]).reset_index(drop=True)


def totals_markdown(frame: pd.DataFrame) -> str:
    """The QC report: our Σ against SSB's national estimate (EAK), per measure and year."""
    lines = [
        "# Kvalitetskontroll – SSBs landstall (EAK) mot summen av rapporterende kommuner",
        "",
        "INTERN. SSBs landstall i KOSTRA er estimater som tar med kommuner som ikke har rapportert "
        "(imputert); summen vår er bare over kommuner med tall. Forskjellen er derfor ventet; den "
        "viser hvor mye imputeringen legger til. / SSB's national KOSTRA figures are estimates that "
        "include imputed non-reporters; our sum covers reporting municipalities only.",
        "",
    ]
    if frame.empty:
        return "\n".join([*lines, "Ingen KOSTRA-tabeller med landstall i denne kjøringen.", ""])
    lines += [
        "| Mål | Tabell | År | Σ rapporterende | Kommuner med tall | SSB (EAK) | Differanse | Diff. % "
        "| Foreløpig |",
        "|---|---|---|---:|---:|---:|---:|---:|---|",
    ]

    def number(value, decimals=0):
        return "" if value is None or pd.isna(value) else f"{value:,.{decimals}f}".replace(",", " ")

    for row in frame.itertuples():
        lines.append(
            f"| {row.measure_id} | {row.table_id} | {row.year} | {number(row.sum_reporting)} | "
            f"{row.municipalities_reporting}/{row.municipalities_total} | "
            f"{number(row.ssb_national) or (row.ssb_status or '')} | {number(row.difference)} | "
            f"{number(row.difference_pct, 2)} | {'ja' if row.preliminary else 'nei'} |"
        )
    return "\n".join(lines) + "\n"
