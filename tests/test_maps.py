"""The indicator maps: projection, classes, what a suppressed or missing municipality looks like,
the text alternative, the footer, and the Dagster asset with its observations on the indicator assets.

The data are built here from the 2024 reference geography (every municipality and county), so each
test knows which municipality is hidden, missing or highest.
"""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.formatting import SYNTHETIC_NB, format_value_nb
from pipelines.geography import reference
from pipelines.maps import classes as map_classes
from pipelines.maps import geometry
from pipelines.maps.build import geometry_names
from pipelines.maps.data import alt_text_nb, county_table, map_data
from pipelines.previews import PREVIEW_MAX_BYTES

RELEASE = "2026-12-04"
YEAR = 2024
RATE = "KOSandelnyavslag0000"  # percent, lower is better, municipal and county values
COUNTY_ONLY = "utkastelser_per_1000_leie"  # the enforcement officers' figures exist per county only
NATION_ONLY = "bostedslose_per_1000"  # the homelessness survey: the nation only
HIDDEN = "1144"  # Kvitsøy: suppressed
ABSENT = "5001"  # Trondheim: no row in the release at all
MISSING_ROW = "1103"  # Stavanger: status missing
NOT_APPLICABLE = "1871"  # Andøy: a zero denominator


def _rows(indicator_id: str, level: str, frame: pd.DataFrame, origin: str) -> list[dict]:
    cat = load_catalogue()
    indicator = cat.indicators[indicator_id]
    out = []
    for i, (code, name) in enumerate(frame.itertuples(index=False)):
        for year in (YEAR - 1, YEAR):
            value = 10.0 + (i * 7.3) % 40 + (year - YEAR)
            status = "shown"
            if level == "kommune" and code == HIDDEN:
                status = "suppressed"
            elif level == "kommune" and code == MISSING_ROW:
                status = "missing"
            elif level == "kommune" and code == NOT_APPLICABLE:
                status = "not_applicable"
            shown = status == "shown"
            out.append(
                {
                    "indicator_id": indicator_id,
                    "geo_level": level,
                    "geo_code": code,
                    "geo_name": name,
                    "year": year,
                    "target_group": indicator.headline_group,
                    "is_headline": True,
                    "value": value if shown else np.nan,
                    "unit": indicator.unit,
                    "status": status,
                    "data_origin": origin if status != "not_applicable" else None,
                    # what the handbook reads besides
                    "is_estimate": False,
                    "preliminary": False,
                    "stale": False,
                    "units_reported": 357,
                    "units_total": 357,
                    "unit_level": "kommune",
                }
            )
    return out


def build_values(origin: str = "synthetic") -> pd.DataFrame:
    """Public-release rows: RATE for every municipality and county (one hidden, one missing, one not
    applicable, one absent), COUNTY_ONLY for the counties, NATION_ONLY for the nation."""
    munis = reference.municipalities(2024)
    kommuner = munis[munis["kommunenr"] != ABSENT][["kommunenr", "kommune_name"]]
    fylker = munis[["county_code", "county_name"]].drop_duplicates().sort_values("county_code")
    rows = _rows(RATE, "kommune", kommuner, origin) + _rows(RATE, "fylke", fylker, origin)
    rows += _rows(COUNTY_ONLY, "fylke", fylker, origin)
    rows += _rows(NATION_ONLY, "land", pd.DataFrame([("EAK", "Landet")]), origin)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def values() -> pd.DataFrame:
    return build_values()


@pytest.fixture(scope="module")
def rate_map(values):
    return map_data(values, load_catalogue(), RATE, geometry_names())


@pytest.fixture(scope="module")
def canvas():
    from pipelines.maps.draw import MapCanvas

    return MapCanvas(dpi=40)


# --- Geometry -----------------------------------------------------------------------------------


def test_projection_keeps_areas_and_does_not_stretch_the_north():
    counties = {r.code: r for r in geometry.counties()}
    finnmark, oslo = counties["56"].area_km2, counties["03"].area_km2
    # Official areas (SSB, land and fresh water): Finnmark 48 631 km², Oslo 454 km².
    assert finnmark == pytest.approx(48_631, rel=0.15)
    assert oslo == pytest.approx(454, rel=0.15)
    assert finnmark / oslo == pytest.approx(48_631 / 454, rel=0.15)
    # The mainland is about 0.8 as wide as tall; unscaled longitude/latitude would make it twice as wide.
    xmin, ymin, xmax, ymax = geometry.bounds(geometry.municipalities())
    assert 0.65 < (xmax - xmin) / (ymax - ymin) < 1.0
    lon_lat_ratio = (31.1 - 4.6) / (71.2 - 58.0)
    assert lon_lat_ratio > 1.9  # what the test would see with the stretched north
    # A degree of longitude shrinks northwards as on the globe: cos(70°)/cos(58°) of its length.
    x58, _ = geometry.project(np.array([14.0, 16.0]), np.array([58.0, 58.0]))
    x70, _ = geometry.project(np.array([14.0, 16.0]), np.array([70.0, 70.0]))
    assert (x70[1] - x70[0]) / (x58[1] - x58[0]) == pytest.approx(
        math.cos(math.radians(70)) / math.cos(math.radians(58)), rel=0.03
    )


def test_every_boundary_code_is_a_2024_code_and_every_2024_code_has_a_boundary():
    munis = reference.municipalities(2024)
    kommuner = [r.code for r in geometry.municipalities()]
    assert len(kommuner) == len(set(kommuner)) == 357
    assert set(kommuner) == set(munis["kommunenr"])
    fylker = [r.code for r in geometry.counties()]
    assert len(fylker) == 15 and set(fylker) == set(munis["county_code"])


@pytest.mark.slow  # needs the suite's whole pipeline run
def test_every_boundary_code_matches_the_published_release(pipeline_run):
    """Against the release the shared pipeline run published."""
    from pipelines.exports.reader import latest_release, open_release

    with open_release(latest_release(pipeline_run)) as con:
        codes = {
            level: set(
                con.execute(
                    "SELECT DISTINCT geo_code FROM indicator_values_public WHERE geo_level = ?", [level]
                ).df()["geo_code"]
            )
            for level in ("kommune", "fylke")
        }
    assert {r.code for r in geometry.municipalities()} == codes["kommune"]
    assert {r.code for r in geometry.counties()} == codes["fylke"]


# --- Classes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_classes_cover_every_value_and_darker_is_better(seed):
    rng = np.random.default_rng(seed)
    municipal = rng.lognormal(2, 1, 300)
    county = rng.uniform(municipal.min() / 2, municipal.max() * 1.2, 15)
    for direction in ("higher_is_better", "lower_is_better", "neutral"):
        c = map_classes.classify(municipal, county, direction)
        assert list(c.bounds) == sorted(set(c.bounds)) and 2 <= len(c.colors) <= 5
        every = np.concatenate([municipal, county])
        assert c.bounds[0] <= every.min() and every.max() <= c.bounds[-1]
        for v in every:
            i = c.index(v)
            assert 0 <= i < len(c.colors)
            assert c.bounds[i] <= v and (v < c.bounds[i + 1] or i == len(c.colors) - 1)
        darkest = map_classes.BLUES[len(c.colors)][-1] if len(c.colors) >= 3 else map_classes.BLUES[3][-1]
        best = every.min() if direction == "lower_is_better" else every.max()
        assert c.color(best) == darkest
        assert len(c.labels_nb()) == len(c.colors)
    # a value on an inner bound belongs to the upper class
    c = map_classes.classify(municipal, county, "higher_is_better")
    assert c.index(c.bounds[1]) == 1


def test_legend_labels_are_norwegian():
    c = map_classes.classify([0.12, 0.31, 0.55, 0.72, 0.95, 1.4], [], "neutral")
    labels = c.labels_nb()
    assert labels[0].startswith("under ") and labels[-1].endswith(" og over")
    assert all("." not in label for label in labels) and any("," in label for label in labels)


# --- Data, statuses and drawing ---------------------------------------------------------------------


def test_the_map_takes_the_latest_year_and_never_a_hidden_number(values):
    planted = values.copy()
    # a broken release row: suppressed, yet carrying a number — the map must not use it
    hit = (planted["geo_code"] == HIDDEN) & (planted["indicator_id"] == RATE)
    planted.loc[hit, "value"] = 999.0
    data = map_data(planted, load_catalogue(), RATE, geometry_names())
    assert data.year == YEAR
    kommuner = data.regions["kommune"].set_index("code")
    assert kommuner.at[HIDDEN, "status"] == "suppressed" and math.isnan(kommuner.at[HIDDEN, "value"])
    assert kommuner.at[ABSENT, "status"] == "missing"  # no row at all is missing, not zero
    assert kommuner.at[MISSING_ROW, "status"] == "missing"
    assert kommuner.at[NOT_APPLICABLE, "status"] == "not_applicable"
    assert data.classes.bounds[-1] < 999
    assert map_data(values, load_catalogue(), NATION_ONLY, geometry_names()) is None


def _faces(canvas, level: str, where: str = "main") -> dict[str, tuple]:
    layer = canvas.layers[(level, where)]
    colors = layer.base.get_facecolor()
    return {code: tuple(np.round(colors[i], 4)) for i, code in enumerate(layer.codes)}


def _rgba(hex_color: str) -> tuple:
    from matplotlib.colors import to_rgba

    return tuple(np.round(to_rgba(hex_color), 4))


def _hatched_codes(canvas, level: str, where: str = "main") -> set[str]:
    layer = canvas.layers[(level, where)]
    index = {id(path): code for path, code in zip(layer.paths, layer.codes, strict=True)}
    return {index[id(path)] for path in layer.hatched.get_paths()}


def coloured_by_value(canvas, data, code: str) -> bool:
    """Whether ``code``'s face on the map is a class colour (what a suppressed value must never get)."""
    face = _faces(canvas, "kommune")[code]
    return face in {_rgba(c) for c in data.classes.colors}


def test_suppressed_is_hatched_and_never_coloured_missing_is_grey(canvas, rate_map):
    canvas.paint(rate_map, RELEASE)
    for where in ("main", "inset"):
        faces = _faces(canvas, "kommune", where)
        assert faces[HIDDEN] == _rgba(map_classes.SUPPRESSED_FACE)
        assert faces[ABSENT] == faces[MISSING_ROW] == _rgba(map_classes.MISSING_FACE)
        assert faces[NOT_APPLICABLE] == _rgba(map_classes.NOT_APPLICABLE_FACE)
        assert _hatched_codes(canvas, "kommune", where) == {HIDDEN}
        hatched = canvas.layers[("kommune", where)].hatched
        assert hatched.get_hatch() == map_classes.SUPPRESSED_HATCH
    assert not coloured_by_value(canvas, rate_map, HIDDEN)
    shown = rate_map.regions["kommune"].set_index("code")
    oslo = shown.at["0301", "value"]
    assert _faces(canvas, "kommune")["0301"] == _rgba(rate_map.classes.color(oslo))
    # the check catches the failure: a broken copy that paints the hidden municipality by a value
    broken = rate_map.regions["kommune"].copy()
    broken.loc[broken["code"] == HIDDEN, ["status", "value"]] = ["shown", oslo]
    import dataclasses

    broken_map = dataclasses.replace(rate_map, regions={**rate_map.regions, "kommune": broken})
    canvas.paint(broken_map, RELEASE)
    assert coloured_by_value(canvas, broken_map, HIDDEN)
    assert HIDDEN not in _hatched_codes(canvas, "kommune")
    # the legend names every status that occurs, in Norwegian
    canvas.paint(rate_map, RELEASE)
    texts = [t.get_text() for t in canvas.legend.get_texts()]
    assert {"Skjult (personvern)", "Mangler", "Ikke aktuelt"} <= set(texts)
    title = canvas.legend.get_title().get_text()
    assert "Prosent" in title and "Mørkere farge = bedre" in title  # lower is better: dark = low
    assert "Mørkere" not in map_classes.legend_title_nb("prosent", True, classes=1)


def test_alt_text_names_the_highest_and_lowest_county(values, rate_map):
    counties = values[
        (values["indicator_id"] == RATE)
        & (values["geo_level"] == "fylke")
        & (values["year"] == YEAR)
        & (values["status"] == "shown")
    ]
    high = counties.loc[counties["value"].idxmax()]
    low = counties.loc[counties["value"].idxmin()]
    alt = alt_text_nb(rate_map)
    unit, decimals = rate_map.unit, rate_map.decimals
    high_text, low_text = (format_value_nb(row["value"], unit, decimals) for row in (high, low))
    assert f"Høyest blant fylkene: {high['geo_name']} ({high_text})" in alt
    assert f"lavest: {low['geo_name']} ({low_text})" in alt
    assert "353 av 357 kommuner har verdi; 1 skjult (personvern), 2 mangler, 1 ikke aktuelt." in alt
    assert SYNTHETIC_NB in alt
    table = county_table(rate_map)
    assert [r["code"] for r in table] == sorted(r.code for r in geometry.counties())
    row = next(r for r in table if r["name"] == high["geo_name"])
    assert row["value"] == format_value_nb(high["value"], "count", decimals)  # the number alone


def test_footer_carries_origin_and_kartverket(canvas, rate_map):
    canvas.paint(rate_map, RELEASE)
    footer = canvas.footer.get_text()
    assert SYNTHETIC_NB in footer and "© Kartverket" in footer and "CC BY 4.0" in footer
    assert "Kilde:" not in footer  # invented figures are not credited to the source
    real = map_data(build_values("ssb"), load_catalogue(), RATE, geometry_names())
    canvas.paint(real, RELEASE)
    footer = canvas.footer.get_text()
    assert "Syntetiske" not in footer and "Kilde:" in footer and "© Kartverket" in footer
    assert SYNTHETIC_NB not in alt_text_nb(real)
    assert canvas.title.get_text() == f"{real.name_nb}, {YEAR}"


def test_county_only_indicator_is_mapped_by_county(values):
    data = map_data(values, load_catalogue(), COUNTY_ONLY, geometry_names())
    assert data.levels == ("fylke",)
    assert "Indikatoren publiseres ikke per kommune." in alt_text_nb(data)


# --- The asset ------------------------------------------------------------------------------------


def write_release(base: Path, values: pd.DataFrame) -> None:
    """A public release folder with the files open_release needs (only the values matter here)."""
    from pipelines.exports.reader import RELEASE_FILES, latest_release

    folder = latest_release(base)
    folder.mkdir(parents=True)
    values.to_parquet(folder / RELEASE_FILES["indicator_values_public"], index=False)
    for table, name in RELEASE_FILES.items():
        if table != "indicator_values_public":
            pd.DataFrame({"placeholder": pd.Series([], dtype=str)}).to_parquet(folder / name, index=False)


def test_asset_writes_a_map_per_indicator_and_observes_each_indicator_asset(tmp_path, values):
    import dagster as dg

    from pipelines.indicators.compute import indicator_table
    from pipelines.maps.assets import OBSERVATION_KEY, indicator_maps
    from pipelines.resources import OutputPaths

    write_release(tmp_path, values)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [indicator_maps],
        resources={"paths": OutputPaths(output_dir=str(tmp_path), release=RELEASE)},
        instance=instance,
    )
    assert result.success
    folder = tmp_path / "maps"
    assert sorted(p.name for p in folder.glob("*.png")) == sorted([f"{RATE}.png", f"{COUNTY_ONLY}.png"])
    for png in folder.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert [m["indicator_id"] for m in index["maps"]] == sorted([RATE, COUNTY_ONLY])
    assert NATION_ONLY in index["without_map"]
    assert all("Høyest blant fylkene" in m["alt_nb"] for m in index["maps"])

    # the indicator's own asset carries its map as its latest observation
    records = instance.fetch_observations(dg.AssetKey(indicator_table(RATE)), limit=1).records
    assert len(records) == 1
    observation = records[0].asset_observation
    markdown = observation.metadata[OBSERVATION_KEY].value
    encoded = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", markdown).group(1)
    assert len(encoded) <= PREVIEW_MAX_BYTES
    assert base64.b64decode(encoded)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Høyest blant fylkene" in observation.metadata["map_alt_text"].value
    # no observation for an indicator without a map
    assert not instance.fetch_observations(dg.AssetKey(indicator_table(NATION_ONLY)), limit=1).records


# --- The handbook ---------------------------------------------------------------------------------


def test_handbook_shows_each_indicator_map_with_its_text_alternative(values, tmp_path):
    from pipelines.handbook import render_handbook
    from pipelines.handbook.build import MARKDOWN_NAME
    from pipelines.handbook.maps import write_map_images

    cat = load_catalogue()
    texts = render_handbook(cat, values)
    markdown, page = texts[MARKDOWN_NAME], texts["indikatorer.html"]
    rate = map_data(values, cat, RATE, geometry_names())
    alt = alt_text_nb(rate)
    section = markdown[markdown.index(f'<a id="{RATE}"></a>') :]
    section = section[: section.index("\n#")]
    assert f"](kart/{RATE}.png)" in section and "Høyest blant fylkene" in section
    assert f'<img src="kart/{RATE}.png" alt="{alt}"' in page
    assert f"kart/{NATION_ONLY}.png" not in markdown  # no map for figures of the nation only
    written = write_map_images(cat, values, tmp_path)
    assert sorted(p.name for p in written) == sorted([f"{RATE}.png", f"{COUNTY_ONLY}.png"])
    # a map of an indicator that lost its map is removed
    (tmp_path / "kart" / "old.png").write_bytes(b"x")
    write_map_images(cat, values, tmp_path)
    assert not (tmp_path / "kart" / "old.png").exists()


def test_committed_handbook_maps_exist_for_every_figure():
    from pipelines.handbook.build import DOCS_DIR

    markdown = (DOCS_DIR / "indikatorer.md").read_text(encoding="utf-8")
    referenced = set(re.findall(r"\]\((kart/[A-Za-z0-9_]+\.png)\)", markdown))
    assert referenced, "the handbook shows no map: run `make handbook`"
    on_disk = {f"kart/{p.name}" for p in (DOCS_DIR / "kart").glob("*.png")}
    assert referenced == on_disk
