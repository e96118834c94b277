"""The levels analysts compare: kommune, fylke, statsforvalter regions, land and the comparison groups.

Statsforvalter regions (2024 borders only — ``data/reference/statsforvalter_2024.csv`` maps the
2024 counties to the ten county governors' offices, codes SF01–SF10 are the project's own): the
regions of the national strategy's regional work. Four counties share one office around Oslo, so
a region is one or more whole counties. For any other geography vintage the level is absent, as
the comparison groups are.

Comparison groups (2024 borders only — the reference data hold their membership for the 2024
municipalities): SSB's KOSTRA groups (KLASS 112, the 2020 grouping), SSB's centrality classes
(KLASS 128, 2024 index) and population-size bands defined by this project
(``data/reference/population_size_bands.csv``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines.geography.reference import NATION_CODE, NATION_NAME, municipalities, read_reference_csv
from pipelines.paths import REFERENCE_DIR

LEVELS = ("land", "statsforvalter", "fylke", "kostragruppe", "sentralitet", "storrelsesgruppe", "kommune")
GROUP_VINTAGE = 2024
REGION_FILE = "statsforvalter_2024.csv"
REGION_VINTAGE = 2024  # the counties the region file maps
REGION_COLUMNS = ["statsforvalter_code", "statsforvalter_name", "county_code", "county_name"]
SIZE_BAND_BASIS_YEAR = 2024  # population on 1 January of this year decides the band

# (lower bound inclusive, upper bound inclusive or None, code, Norwegian name)
SIZE_BANDS = (
    (0, 4_999, "FOLK1", "Under 5 000 innbyggere"),
    (5_000, 19_999, "FOLK2", "5 000–19 999 innbyggere"),
    (20_000, 49_999, "FOLK3", "20 000–49 999 innbyggere"),
    (50_000, None, "FOLK4", "50 000 innbyggere og over"),
)
CENTRALITY_NAMES = {
    "1": "Sentralitetsklasse 1 (mest sentrale)",
    "2": "Sentralitetsklasse 2",
    "3": "Sentralitetsklasse 3",
    "4": "Sentralitetsklasse 4",
    "5": "Sentralitetsklasse 5",
    "6": "Sentralitetsklasse 6 (minst sentrale)",
}


def size_bands(reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Band per 2024 municipality from its population on 1 January 2024 (SSB 07459)."""
    population = read_reference_csv("population_municipality_2024borders.csv", reference_dir)
    population = population[population["year"] == str(SIZE_BAND_BASIS_YEAR)]
    rows = []
    for code, value in population[["code", "population"]].itertuples(index=False):
        inhabitants = int(float(value))
        for low, high, band, name in SIZE_BANDS:
            if inhabitants >= low and (high is None or inhabitants <= high):
                rows.append((code, band, name, inhabitants))
                break
    return pd.DataFrame(
        rows, columns=["code", "size_band", "size_band_name", "population_basis"]
    ).sort_values("code")


def write_size_bands(reference_dir: Path = REFERENCE_DIR) -> Path:
    """Regenerate ``population_size_bands.csv`` (``python -m pipelines.geography.levels``)."""
    path = reference_dir / "population_size_bands.csv"
    frame = size_bands(reference_dir).assign(basis=f"SSB 07459, population 1 January {SIZE_BAND_BASIS_YEAR}")
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


class RegionFileError(ValueError):
    """The statsforvalter file does not map every county of its vintage to exactly one office."""


def statsforvalter_regions(vintage: int, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """The statsforvalter office of each county (empty for vintages other than 2024).

    Columns: county_code, statsforvalter_code, statsforvalter_name. Every county of the vintage
    must be in exactly one office and no other county may appear; otherwise a
    ``RegionFileError`` names the file, the row (line in the file) and the column.
    """
    if vintage != REGION_VINTAGE:
        return pd.DataFrame(
            columns=["county_code", "statsforvalter_code", "statsforvalter_name"], dtype="object"
        )
    frame = read_reference_csv(REGION_FILE, reference_dir)
    path = reference_dir / REGION_FILE
    missing = [c for c in REGION_COLUMNS if c not in frame.columns]
    if missing:
        raise RegionFileError(
            f"{path}: column '{missing[0]}' is missing (expected {', '.join(REGION_COLUMNS)})"
        )
    counties = (
        municipalities(vintage, reference_dir)[["county_code", "county_name"]]
        .drop_duplicates()
        .set_index("county_code")["county_name"]
    )
    seen: dict[str, int] = {}
    office_names: dict[str, str] = {}
    for position, row in enumerate(frame.itertuples(index=False)):
        line = position + 2  # the header is line 1
        where = f"{path}, row {line}"
        if not re.fullmatch(r"SF\d\d", row.statsforvalter_code):
            raise RegionFileError(
                f"{where}, column 'statsforvalter_code': '{row.statsforvalter_code}' is not SFnn"
            )
        if not row.statsforvalter_name.strip():
            raise RegionFileError(f"{where}, column 'statsforvalter_name': the office has no name")
        known_name = office_names.setdefault(row.statsforvalter_code, row.statsforvalter_name)
        if known_name != row.statsforvalter_name:
            raise RegionFileError(
                f"{where}, column 'statsforvalter_name': '{row.statsforvalter_name}' differs from "
                f"'{known_name}' given for {row.statsforvalter_code} above"
            )
        if row.county_code not in counties.index:
            raise RegionFileError(
                f"{where}, column 'county_code': '{row.county_code}' is no county in {vintage}"
            )
        if row.county_code in seen:
            raise RegionFileError(
                f"{where}, column 'county_code': county {row.county_code} is already in an office "
                f"(row {seen[row.county_code]}); a county belongs to exactly one"
            )
        seen[row.county_code] = line
        # SSB adds the Sámi and Kven forms after « - » («Trøndelag - Trööndelage»)
        if row.county_name != counties[row.county_code].split(" - ")[0]:
            raise RegionFileError(
                f"{where}, column 'county_name': '{row.county_name}' is not the name of county "
                f"{row.county_code} in {vintage} ('{counties[row.county_code]}')"
            )
    absent = [f"{code} {name}" for code, name in counties.items() if code not in seen]
    if absent:
        raise RegionFileError(f"{path}, column 'county_code': no office for county {', '.join(absent)}")
    return (
        frame[["county_code", "statsforvalter_code", "statsforvalter_name"]]
        .sort_values("county_code")
        .reset_index(drop=True)
    )


def comparison_groups(vintage: int, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """KOSTRA group, centrality class, size band and statsforvalter region per municipality
    (empty for other vintages).

    Columns: kommunenr, kostra_group, kostra_group_name, centrality_class, centrality_name,
    size_band, size_band_name, statsforvalter_code, statsforvalter_name.
    """
    columns = ["kommunenr", "kostra_group", "kostra_group_name", "centrality_class", "centrality_name",
               "size_band", "size_band_name", "statsforvalter_code", "statsforvalter_name"]  # fmt: skip
    if vintage != GROUP_VINTAGE:
        return pd.DataFrame(columns=columns, dtype="object")
    kostra = read_reference_csv("kostra_groups_2024.csv", reference_dir)
    centrality = read_reference_csv("centrality_2024.csv", reference_dir)
    bands = read_reference_csv("population_size_bands.csv", reference_dir)
    frame = (
        kostra[["code", "kostra_group", "kostra_group_name"]]
        .assign(kostra_group=lambda f: "EKG" + f["kostra_group"])
        .merge(centrality[["code", "centrality_class"]], on="code", how="outer", validate="one_to_one")
        .merge(bands[["code", "size_band", "size_band_name"]], on="code", how="outer", validate="one_to_one")
        .rename(columns={"code": "kommunenr"})
    )
    frame["centrality_name"] = frame["centrality_class"].map(CENTRALITY_NAMES)
    frame["centrality_class"] = "SENT" + frame["centrality_class"]
    county_of = municipalities(vintage, reference_dir)[["kommunenr", "county_code"]]
    frame = frame.merge(county_of, on="kommunenr", how="outer", validate="one_to_one").merge(
        statsforvalter_regions(vintage, reference_dir), on="county_code", how="left", validate="many_to_one"
    )
    if frame.isna().any().any():
        raise ValueError("comparison-group reference files do not cover the same municipalities")
    return frame[columns].sort_values("kommunenr").reset_index(drop=True)


def geo_membership(dim_municipality: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Which municipalities make up each geography at each level (a municipality is its own member).

    Columns: geo_level, geo_order, geo_code, geo_name, kommunenr.
    """
    parts = [
        pd.DataFrame(
            {
                "geo_level": "land",
                "geo_code": NATION_CODE,
                "geo_name": NATION_NAME,
                "kommunenr": dim_municipality["kommunenr"],
            }
        ),  # fmt: skip
        _level(dim_municipality, "fylke", "county_code", "county_name"),
        _level(dim_municipality, "kommune", "kommunenr", "kommune_name"),
    ]
    if not groups.empty:
        parts += [
            _level(groups, "kostragruppe", "kostra_group", "kostra_group_name"),
            _level(groups, "sentralitet", "centrality_class", "centrality_name"),
            _level(groups, "storrelsesgruppe", "size_band", "size_band_name"),
        ]
        if "statsforvalter_code" in groups:
            parts.append(_level(groups, "statsforvalter", "statsforvalter_code", "statsforvalter_name"))
    membership = pd.concat(parts, ignore_index=True)
    membership["geo_order"] = membership["geo_level"].map({level: i for i, level in enumerate(LEVELS)})
    return membership[["geo_level", "geo_order", "geo_code", "geo_name", "kommunenr"]]


def _level(frame: pd.DataFrame, level: str, code: str, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "geo_level": level,
            "geo_code": frame[code],
            "geo_name": frame[name],
            "kommunenr": frame["kommunenr"],
        }
    )


def dim_geography(vintage: int, reference_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """One row per geography of every level in ``vintage``, for BI tools.

    Columns: geo_level, geo_code, geo_name, county_code, county_name, statsforvalter_code,
    statsforvalter_name (the region of a municipality or county), member_counties (a region's
    counties, «03 Oslo, 31 Østfold, …»), kostra_group, centrality_class, size_band,
    valid_from_year, valid_to_year (null = still valid).
    """
    by_year = read_reference_csv("municipalities_by_year.csv", reference_dir)
    by_year["year"] = by_year["year"].astype(int)
    last_year = by_year["year"].max()
    span = by_year.groupby("code")["year"].agg(["min", "max"])
    county_span = by_year.groupby("county_code")["year"].agg(["min", "max"])

    kommune = municipalities(vintage, reference_dir)
    groups = comparison_groups(vintage, reference_dir)
    kommune = kommune.merge(groups, on="kommunenr", how="left")
    rows = [{"geo_level": "land", "geo_code": NATION_CODE, "geo_name": NATION_NAME, "valid_from_year": None}]
    county_columns = ["county_code", "county_name", "statsforvalter_code", "statsforvalter_name"]
    counties = kommune[county_columns].drop_duplicates()
    for code, region in counties.dropna(subset="statsforvalter_code").groupby("statsforvalter_code"):
        rows.append(
            {
                "geo_level": "statsforvalter",
                "geo_code": code,
                "geo_name": region["statsforvalter_name"].iloc[0],
                "member_counties": ", ".join(
                    f"{c} {n}"
                    for c, n in sorted(zip(region["county_code"], region["county_name"], strict=True))
                ),
                "valid_from_year": None,
            }
        )
    for county in counties.itertuples(index=False):
        rows.append({"geo_level": "fylke", "geo_code": county.county_code, "geo_name": county.county_name,
                     "statsforvalter_code": county.statsforvalter_code,
                     "statsforvalter_name": county.statsforvalter_name,
                     "valid_from_year": _from(county_span, county.county_code),
                     "valid_to_year": _to(county_span, county.county_code, last_year)})  # fmt: skip
    for level, code, name in (
        ("kostragruppe", "kostra_group", "kostra_group_name"),
        ("sentralitet", "centrality_class", "centrality_name"),
        ("storrelsesgruppe", "size_band", "size_band_name"),
    ):
        for group in groups[[code, name]].drop_duplicates().sort_values(code).itertuples(index=False):
            rows.append(
                {"geo_level": level, "geo_code": group[0], "geo_name": group[1], "valid_from_year": None}
            )
    for m in kommune.itertuples(index=False):
        rows.append(
            {
                "geo_level": "kommune",
                "geo_code": m.kommunenr,
                "geo_name": m.kommune_name,
                "county_code": m.county_code,
                "county_name": m.county_name,
                "statsforvalter_code": m.statsforvalter_code,
                "statsforvalter_name": m.statsforvalter_name,
                "kostra_group": m.kostra_group,
                "centrality_class": m.centrality_class,
                "size_band": m.size_band,
                "valid_from_year": _from(span, m.kommunenr),
                "valid_to_year": _to(span, m.kommunenr, last_year),
            }
        )
    frame = pd.DataFrame(rows)
    text_columns = ("county_code", "county_name", "statsforvalter_code", "statsforvalter_name",
                    "member_counties", "kostra_group", "centrality_class", "size_band")  # fmt: skip
    for column in text_columns:
        if column not in frame:
            frame[column] = None
    frame = frame[["geo_level", "geo_code", "geo_name", *text_columns, "valid_from_year", "valid_to_year"]]
    frame["geo_order"] = frame["geo_level"].map({level: i for i, level in enumerate(LEVELS)})
    frame["vintage"] = vintage
    return frame.sort_values(["geo_order", "geo_code"], kind="stable").reset_index(drop=True)


def _from(span: pd.DataFrame, code: str) -> int | None:
    first = int(span.loc[code, "min"])
    # 2014 is where our history starts: the unit may be older, so leave it open.
    return None if first == 2014 else first


def _to(span: pd.DataFrame, code: str, last_year: int) -> int | None:
    last = int(span.loc[code, "max"])
    return None if last == last_year else last


if __name__ == "__main__":
    print(write_size_bands())
