"""StatBank tables shaped like the real ones, for the live-mode tests (served by ``FakeSSB``).

* 07459 population: ``Region`` in ``agg_KommSummer`` K-codes (2024 borders) from the real
  population in ``data/reference/`` (SSB, CC BY 4.0), split by ``Alder`` into ``H17``/``H18`` (the
  split is made up: a share per municipality), so the eliminated ``Alder`` sums to the real total;
* 11084 households by tenure (``EierStatus`` 1–4), made up from the population;
* 12008 municipal dwellings and 12367 accounts in KOSTRA's shape: ``KOKkommuneregion0000`` with
  each year's own plain codes (historical and current in one dimension, ``.`` where a code did
  not exist), the pseudo-regions ``EAK``, ``EAKUO``, ``EKA..``, ``EKG..`` with SSB-style
  estimates that are *not* the sum of the municipalities, ``:`` below 3, ``..`` for a
  non-reporter, and tables that start in 2015.

The KOSTRA values are the bundled synthetic demo figures (2024 borders) spread back onto each
year's municipalities by population, so harmonising them again gives the demo figures.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from pipelines.paths import DEMO_DIR, REFERENCE_DIR
from tests.ssb_fake_server import jsonstat_dataset

POPULATION_UPDATED = "2025-02-25T07:00:00Z"
KOSTRA_UPDATED = "2025-06-16T06:00:00Z"  # after 15 June 2025: 2024 is final
HOUSEHOLDS_UPDATED = "2025-05-20T06:00:00Z"
KOSTRA_YEARS = list(range(2015, 2025))
# a made-up ContentsCode for the dwellings count, whose real code is unknown: the pipeline must
# find it by its label, never by this code
DWELLINGS_CODE = "KOSkomdispbolig0000"
OWNED_CODE = "KOSkomeidbolig0000"
SUPPRESSED = {("0301", 2024)}  # (code, year) SSB sends ':' for
NOT_REPORTED = {("1103", 2024)}  # '..'
IMPUTED_EXTRA = 37  # SSB's national estimate includes imputed non-reporters: EAK = Σ + this


@lru_cache(maxsize=1)
def population_2024_borders() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "population_municipality_2024borders.csv", dtype={"code": str})


def _children_share(code: pd.Series) -> pd.Series:
    return 0.18 + (code.astype(int) % 7) / 100  # made up, 18–24 %


def table_07459() -> dict:
    population = population_2024_borders()
    population = population[population.year >= 2014].assign(population=lambda f: f["population"].round())
    children = (population["population"] * _children_share(population["code"])).round()
    frame = pd.concat(
        [
            pd.DataFrame({"Region": "K-" + population.code, "Alder": "H17", "value": children}),
            pd.DataFrame({"Region": "K-" + population.code, "Alder": "H18",
                          "value": population["population"] - children}),  # fmt: skip
        ]
    ).assign(Tid=list(population.year.astype(str)) * 2, ContentsCode="Personer1")
    extra = pd.DataFrame(
        {"Region": ["K-21-22", "K-23"], "Alder": "H18", "Tid": "2024", "ContentsCode": "Personer1",
         "value": [2600, 0]}  # fmt: skip
    )
    return jsonstat_dataset(
        pd.concat([frame, extra], ignore_index=True),
        dimensions=["Region", "Alder", "ContentsCode", "Tid"],
        table_id="07459",
        label="07459: Befolkning, etter region, alder, statistikkvariabel og år",
        updated=POPULATION_UPDATED,
        role={"time": ["Tid"], "geo": ["Region"], "metric": ["ContentsCode"]},
        category_labels={
            "ContentsCode": {"Personer1": "Personer"},
            "Alder": {"H17": "0-17 år", "H18": "18 år eller eldre"},
        },
        units={"Personer1": {"base": "personer", "decimals": 0}},
        elimination={"Alder": True},
        codelists={
            "Region": [("agg_KommSummer", "Kommuner - sammenslått"), ("vs_Kommun", "Kommuner")],
            "Alder": [("agg_TodeltGrupperingB", "Todelt gruppering B")],
        },
    )


def households_values() -> pd.DataFrame:
    population = population_2024_borders()
    population = population[population.year.between(2015, 2024)]
    households = (population["population"] / 2.2).round()
    renters = (households * (0.2 + (population.code.astype(int) % 5) / 50)).round()
    return pd.DataFrame(
        {"code": population.code, "year": population.year, "households": households, "renters": renters}
    )


def table_11084() -> dict:
    values = households_values()
    parts = []
    for status, share in (("1", None), ("2", 0.6), ("3", 0.1), ("4", None)):
        value = values.households if status == "1" else values.renters if status == "4" else (
            values.households * share).round()  # fmt: skip
        parts.append(
            pd.DataFrame({"Region": "K-" + values.code, "EierStatus": status, "ContentsCode": "Husholdning",
                          "Tid": values.year.astype(str), "value": value})  # fmt: skip
        )
    return jsonstat_dataset(
        pd.concat(parts, ignore_index=True),
        dimensions=["Region", "EierStatus", "ContentsCode", "Tid"],
        table_id="11084",
        label="11084: Eierstatus, husholdninger (K)",
        updated=HOUSEHOLDS_UPDATED,
        role={"time": ["Tid"], "geo": ["Region"], "metric": ["ContentsCode"]},
        category_labels={"ContentsCode": {"Husholdning": "Private husholdninger"}},
        units={"Husholdning": {"base": "husholdninger", "decimals": 0}},
        codelists={"Region": [("agg_KommSummer", "Kommuner - sammenslått")]},
    )


@lru_cache(maxsize=4)
def kostra_values(column: str, demo_file: str = "kostra_form13.csv") -> pd.DataFrame:
    """(code, year, value) in each year's own codes: the demo figure of each 2024 municipality
    spread over the municipalities it came from, by their population that year."""
    demo = pd.read_csv(DEMO_DIR / demo_file, dtype={"kommunenr": str})
    demo = demo[demo.year.isin(KOSTRA_YEARS)][["kommunenr", "year", column]]
    lineage = pd.read_csv(REFERENCE_DIR / "municipality_to_2024.csv", dtype={"code": str, "code_2024": str})
    population = pd.read_csv(REFERENCE_DIR / "population_municipality.csv", dtype={"code": str})
    parts = lineage[lineage.year.isin(KOSTRA_YEARS)].merge(population, on=["code", "year"], how="left")
    parts["weight"] = parts["weight"] * parts["population"].fillna(1)
    parts["share"] = parts["weight"] / parts.groupby(["code_2024", "year"])["weight"].transform("sum")
    spread = parts.merge(demo, left_on=["code_2024", "year"], right_on=["kommunenr", "year"])
    spread["value"] = spread["share"] * spread[column]
    values = spread.groupby(["code", "year"], as_index=False)["value"].sum()
    values["value"] = values["value"].round()
    return values


def _kostra_frame(
    columns: dict[str, str], demo_file: str = "kostra_form13.csv", scale: float = 1.0
) -> pd.DataFrame:
    """Long KOSTRA cells for ContentsCode → demo column, with symbols and pseudo-regions."""
    known = pd.read_csv(REFERENCE_DIR / "municipalities_by_year.csv", dtype={"code": str})
    every_code = sorted(set(known.code))
    rows = []
    for contents, column in columns.items():
        values = kostra_values(column, demo_file).set_index(["code", "year"])["value"] * scale
        for year in KOSTRA_YEARS:
            total = 0.0
            for code in every_code:
                value = values.get((code, year))
                if value is None or np.isnan(value):
                    rows.append((code, contents, year, None, "."))  # the code did not exist
                    continue
                total += value
                if (code, year) in SUPPRESSED:
                    rows.append((code, contents, year, None, ":"))
                elif (code, year) in NOT_REPORTED:
                    rows.append((code, contents, year, None, ".."))
                elif value < 3 and scale == 1.0:
                    rows.append((code, contents, year, None, ":"))
                else:
                    rows.append((code, contents, year, value, None))
            rows.append(("EAK", contents, year, total + IMPUTED_EXTRA, None))
            oslo = values.get(("0301", year), 0.0)
            rows.append(("EAKUO", contents, year, total - oslo + IMPUTED_EXTRA, None))
            rows.append(("EKA03", contents, year, oslo, None))
            rows.append(("EKG13", contents, year, round(total / 40), None))
    return pd.DataFrame(rows, columns=["KOKkommuneregion0000", "ContentsCode", "Tid", "value", "status"])


def table_12008() -> dict:
    contents = {
        DWELLINGS_CODE: "municipal_dwellings",
        OWNED_CODE: "municipal_dwellings_owned",
        "KOSboligpkommuna0000": "municipal_dwellings_private_allocation",
    }
    frame = _kostra_frame(contents)
    # the rate beside the count, as in SSB's key-figure tables: the label search must not take it
    rate = frame[frame.ContentsCode == DWELLINGS_CODE].assign(ContentsCode="KOSboligSper10000000")
    rate["value"] = rate["value"].where(rate["value"].isna(), 20.0)
    frame = pd.concat([frame, rate], ignore_index=True)
    labels = {
        "KOSboligSper10000000": "Kommunalt disponerte boliger per 1000 innbyggere (antall)",
        DWELLINGS_CODE: "Kommunalt disponerte boliger i alt (antall)",
        OWNED_CODE: "Kommunalt eide boliger (antall)",
        "KOSboligpkommuna0000": "Privat eide boliger med kommunal disposisjonsrett (antall)",
    }
    return jsonstat_dataset(
        frame,
        dimensions=["KOKkommuneregion0000", "ContentsCode", "Tid"],
        table_id="12008",
        label="12008: Kommunalt disponerte boliger (K) 2015 - 2024",
        updated=KOSTRA_UPDATED,
        role={"time": ["Tid"], "geo": ["KOKkommuneregion0000"], "metric": ["ContentsCode"]},
        category_labels={"ContentsCode": labels},
        units={code: {"base": "antall", "decimals": 0} for code in labels},
    )


def table_12367() -> dict:
    thousands = _kostra_frame({"KOSbelop0000": "net_expenditure_housing_nok"}, "kostra_accounts.csv", 0.001)
    parts = []
    for function, share in (("265", 0.6), ("283", 0.3), ("315", 0.1), ("244", 2.0)):
        for scope, factor in (("A", 1.0), ("B", 0.9)):
            part = thousands.assign(KOKfunksjon0000=function, KOKregnskapsomfa0000=scope, KOKart0000="AGD2")
            part["value"] = (part["value"] * share * factor).round(0)
            parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    return jsonstat_dataset(
        frame,
        dimensions=["KOKkommuneregion0000", "KOKregnskapsomfa0000", "KOKfunksjon0000", "KOKart0000",
                    "ContentsCode", "Tid"],  # fmt: skip
        table_id="12367",
        label="12367: Detaljerte regnskapstall driftsregnskapet, etter regnskapsomfang, funksjon og art (K)",
        updated=KOSTRA_UPDATED,
        role={"time": ["Tid"], "geo": ["KOKkommuneregion0000"], "metric": ["ContentsCode"]},
        category_labels={"ContentsCode": {"KOSbelop0000": "Beløp (1000 kr)"}},
        units={"KOSbelop0000": {"base": "1000 kr", "decimals": 0}},
    )


def all_tables() -> list[dict]:
    return [table_07459(), table_11084(), table_12008(), table_12367()]
