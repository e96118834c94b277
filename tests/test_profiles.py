"""Municipality profiles: the numbers, the page (through matplotlib objects), the files.

Most tests use a small hand-made table shaped like the warehouse's (three municipalities in two
counties); one renders all 357 municipalities of the pipeline's 2024 geography from generated
values, so the file runs in seconds without the whole pipeline.
"""

from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from pipelines.catalogue import load_catalogue
from pipelines.catalogue.models import GoalRef
from pipelines.charts.png import encode_png
from pipelines.geography.levels import dim_geography
from pipelines.profiles import ProfileSpecError, load_profile_spec, profile_data
from pipelines.profiles import page as pg
from pipelines.profiles.render import render_county_pdfs, render_profiles
from pipelines.profiles.spec import profile_spec_from_mapping

RELEASE = "2026-11-26"
YEARS = [2022, 2023, 2024]
NEUTRAL = ("KOSboligSper10000000", "alle")  # per 1000 inhabitants, 1 decimal, neutral
CHILDREN = ("KOSandbarn3m0000", "barnefamilier")  # percent, lower is better
ACCESSIBLE = ("KOSAndeltilgjeng0000", "nedsatt_funksjonsevne")  # percent, higher is better
LAGGING = ("KOSfainansstartp0000", "alle")  # no 2024 values at all: shown for 2023
ROWS = [NEUTRAL, CHILDREN, ACCESSIBLE, LAGGING]
MUNICIPALITIES = {  # kommunenr: (name, county, KOSTRA group)
    "4601": ("Bergen", "46", "EKG12"),
    "4602": ("Kinn", "46", "EKG07"),
    "1103": ("Stavanger", "11", "EKG12"),
}
COUNTIES = {"46": "Vestland", "11": "Rogaland"}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def small_spec(catalogue):
    """A profile of the four ROWS: a context indicator, a target group, one that reaches its
    target and one that lags."""
    document = {
        "profiles": {
            "status_strategies": ["atth", "bfv"],
            "indicators": [{"indicator": i, "target_group": g} for i, g in ROWS],
        }
    }
    return profile_spec_from_mapping(document, catalogue, "test")


@pytest.fixture(scope="module")
def spec(catalogue):
    return small_spec(catalogue)


def _geography() -> pd.DataFrame:
    rows = [{"geo_level": "land", "geo_code": "EAK", "geo_name": "Landet"}]
    rows += [{"geo_level": "fylke", "geo_code": c, "geo_name": n} for c, n in COUNTIES.items()]
    rows += [
        {"geo_level": "kostragruppe", "geo_code": g, "geo_name": f"KOSTRA-gruppe {int(g[3:])}"}
        for g in ("EKG07", "EKG12")
    ]
    for code, (name, county, group) in MUNICIPALITIES.items():
        rows.append(
            {
                "geo_level": "kommune",
                "geo_code": code,
                "geo_name": name,
                "county_code": county,
                "county_name": COUNTIES[county],
                "kostra_group": group,
            }
        )
    frame = pd.DataFrame(rows)
    for column in ("county_code", "county_name", "kostra_group"):
        frame[column] = frame[column].astype("string")
    return frame


def _value(indicator: str, level: str, code: str, year: int) -> tuple[float, str]:
    """The test table's (value, status); suppressed cells carry a number that must not leak."""
    base = {"EAK": 20.0, "46": 18.0, "11": 22.0, "4601": 16.0, "4602": 30.0, "1103": 24.0}[code]
    if indicator == LAGGING[0] and year == 2024:
        return np.nan, "missing"
    if indicator == CHILDREN[0]:
        if code == "4601":
            return {2022: 9.0, 2023: 10.0, 2024: 12.0}[year], "shown"  # rising, lower is better: bad
        if code == "4602" and year == 2024:
            return 0.0, "suppressed"
    if indicator == ACCESSIBLE[0] and code == "1103" and year == 2023:
        return np.nan, "suppressed"
    if code == "4602" and indicator in (ACCESSIBLE[0], NEUTRAL[0]) and year > 2022:
        # Kinn: 12.6 → 13.4 prints as 13 → 13 but the change prints as +1; 30.52 → 30.48 is flat
        return {ACCESSIBLE[0]: {2023: 12.6, 2024: 13.4}, NEUTRAL[0]: {2023: 30.52, 2024: 30.48}}[indicator][
            year
        ], "shown"
    if indicator == ACCESSIBLE[0]:
        return base + (year - 2022) * 2.0 + 0.25, "shown"
    return base + (year - 2022) * 0.5, "shown"


def _values() -> pd.DataFrame:
    rows = []
    units = {NEUTRAL[0]: "per_1000_inhabitants", LAGGING[0]: "per_1000_inhabitants"}
    places = [("land", "EAK", "Landet")] + [("fylke", c, n) for c, n in COUNTIES.items()]
    places += [("kommune", c, n) for c, (n, _, _) in MUNICIPALITIES.items()]
    for indicator, group in ROWS:
        for level, code, name in places:
            for year in YEARS:
                value, status = _value(indicator, level, code, year)
                rows.append(
                    {
                        "indicator_id": indicator,
                        "geo_level": level,
                        "geo_code": code,
                        "geo_name": name,
                        "year": year,
                        "target_group": group,
                        "value": value,
                        "unit": units.get(indicator, "percent"),
                        "status": status,
                        "data_origin": "synthetic",
                    }
                )
    frame = pd.DataFrame(rows)
    for column in ("indicator_id", "geo_level", "geo_code", "target_group", "status", "data_origin"):
        frame[column] = frame[column].astype("string")
    return frame


STATUSES = {
    ("atth", NEUTRAL[0]): ("not_assessed", "Ikke vurdert (kontekstindikator)"),
    ("atth", CHILDREN[0]): ("deterioration", "Tilbakegang"),
    ("atth", ACCESSIBLE[0]): ("target_achieved", "Målet er nådd"),
    ("atth", LAGGING[0]): ("moderate_progress", "Moderat framgang"),
    ("bfv", ACCESSIBLE[0]): ("limited_progress", "Begrenset framgang"),
}


def _goal_attainment() -> pd.DataFrame:
    rows = []
    groups = dict(ROWS)
    for (strategy, indicator), (status, status_nb) in STATUSES.items():
        for code in MUNICIPALITIES:
            rows.append(
                {
                    "strategy_id": strategy,
                    "indicator_id": indicator,
                    "target_group": groups[indicator],
                    "geo_level": "kommune",
                    "geo_code": code,
                    "status": status,
                    "status_nb": status_nb,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tables():
    return _values(), _goal_attainment(), _geography()


@pytest.fixture(scope="module")
def data(tables, catalogue, spec):
    values, goals, geography = tables
    return profile_data(values, goals, geography, catalogue, spec)


@pytest.fixture(scope="module")
def context(catalogue, spec):
    return pg.page_context(catalogue, spec, RELEASE)


def _row(data: pd.DataFrame, kommunenr: str, indicator: str) -> pd.Series:
    match = data[(data["kommunenr"] == kommunenr) & (data["indicator_id"] == indicator)]
    assert len(match) == 1
    return match.iloc[0]


def _text(fig, gid: str) -> str:
    found = [a for a in fig.findobj(lambda a: a.get_gid() == gid) if hasattr(a, "get_text")]
    assert len(found) == 1, gid
    return found[0].get_text()


def _row_index(spec, indicator: str) -> int:
    return next(i for i, r in enumerate(spec.rows) if r.indicator == indicator)


# --- profile_data ------------------------------------------------------------------------------


def test_profile_data_equals_the_table_for_municipality_county_and_nation(data, tables):
    values = tables[0]
    assert len(data) == len(MUNICIPALITIES) * len(ROWS)

    def table(level: str, code: str, indicator: str, year: int) -> float:
        hit = values[
            (values["geo_level"] == level)
            & (values["geo_code"] == code)
            & (values["indicator_id"] == indicator)
            & (values["year"] == year)
        ]
        return float(hit["value"].iloc[0])

    for kommunenr, (_, county, _) in MUNICIPALITIES.items():
        row = _row(data, kommunenr, NEUTRAL[0])
        assert row["year"] == 2024
        assert row["value"] == table("kommune", kommunenr, NEUTRAL[0], 2024)
        assert row["county_value"] == table("fylke", county, NEUTRAL[0], 2024)
        assert row["national_value"] == table("land", "EAK", NEUTRAL[0], 2024)
        assert row["prev_value"] == table("kommune", kommunenr, NEUTRAL[0], 2023)
    row = _row(data, "4601", NEUTRAL[0])
    municipal_2024 = [table("kommune", k, NEUTRAL[0], 2024) for k in MUNICIPALITIES]
    assert row["muni_min"] == min(municipal_2024) and row["muni_max"] == max(municipal_2024)
    assert row["n_municipalities"] == 3
    assert row["kostra_group_name"] == "KOSTRA-gruppe 12" and row["county_name"] == "Vestland"


def test_indicator_without_values_this_year_shows_its_latest_year(data):
    row = _row(data, "4601", LAGGING[0])
    assert row["year"] == 2023
    assert row["status"] == "shown"
    assert row["prev_year"] == 2022


def test_suppressed_value_is_nan_with_status_never_zero(data):
    row = _row(data, "4602", CHILDREN[0])
    assert row["status"] == "suppressed"
    assert np.isnan(row["value"])  # the table carried 0.0 for this suppressed cell
    assert row["trend"] is None and np.isnan(row["change"])
    # the suppressed 0.0 does not enter the spread either
    assert row["muni_min"] == 12.0


def test_change_direction_and_its_assessment(data):
    rising_bad = _row(data, "4601", CHILDREN[0])  # 10 → 12, lower is better
    assert (rising_bad["trend"], rising_bad["trend_assessment"]) == ("up", "bad")
    assert rising_bad["change"] == pytest.approx(2.0)
    rising_good = _row(data, "4601", ACCESSIBLE[0])  # 18.25 → 20.25, higher is better
    assert (rising_good["trend"], rising_good["trend_assessment"]) == ("up", "good")
    neutral = _row(data, "4601", NEUTRAL[0])
    assert (neutral["trend"], neutral["trend_assessment"]) == ("up", "neutral")
    # Stavanger's 2023 value is suppressed: the change is against 2022
    gap = _row(data, "1103", ACCESSIBLE[0])
    assert gap["prev_year"] == 2022 and gap["change"] == pytest.approx(4.0)
    # the arrow follows the change as printed, never contradicting its number
    small_rise = _row(data, "4602", ACCESSIBLE[0])
    assert (small_rise["trend"], small_rise["trend_assessment"]) == ("up", "good")
    flat = _row(data, "4602", NEUTRAL[0])
    assert (flat["trend"], flat["trend_assessment"]) == ("flat", "neutral")


def test_flat_arrow_and_its_printed_change(data, context, spec):
    fig = pg.build_profile_figure(data, "4602", context)
    i, j = _row_index(spec, NEUTRAL[0]), _row_index(spec, ACCESSIBLE[0])
    assert (_text(fig, pg.row_gid("trend", i)), _text(fig, pg.row_gid("change", i))) == ("→", "0,0")
    assert (_text(fig, pg.row_gid("trend", j)), _text(fig, pg.row_gid("change", j))) == ("↑", "+1")


def test_progress_status_comes_from_goal_attainment(data):
    for (strategy, indicator), (status, status_nb) in STATUSES.items():
        if strategy != "atth":
            continue
        row = _row(data, "4602", indicator)
        assert (row["progress_strategy"], row["progress_status"], row["progress_status_nb"]) == (
            "atth",
            status,
            status_nb,
        )


def test_progress_status_falls_back_to_bfv_when_atth_is_not_served(tables, catalogue, spec):
    indicator = catalogue.indicators[ACCESSIBLE[0]]
    only_bfv = indicator.model_copy(update={"serves": [GoalRef(strategy="bfv", goal="1b")]})
    changed = dataclasses.replace(catalogue, indicators={**catalogue.indicators, ACCESSIBLE[0]: only_bfv})
    frame = profile_data(*tables, changed, spec)
    row = _row(frame, "4601", ACCESSIBLE[0])
    assert (row["progress_strategy"], row["progress_status_nb"]) == ("bfv", "Begrenset framgang")


# --- the page ----------------------------------------------------------------------------------


def test_title_subtitle_and_footer(data, context):
    fig = pg.build_profile_figure(data, "4601", context)
    assert _text(fig, pg.GID_TITLE) == "Bergen (4601) — boligsosial profil 2024"
    subtitle = _text(fig, pg.GID_SUBTITLE)
    assert "Vestland" in subtitle and "KOSTRA-gruppe 12" in subtitle
    footer = _text(fig, pg.GID_FOOTER)
    assert "Syntetiske demodata" in footer and RELEASE in footer


def test_suppressed_value_is_drawn_as_colon_not_zero(data, context, spec):
    i = _row_index(spec, CHILDREN[0])
    fig = pg.build_profile_figure(data, "4602", context)
    assert _text(fig, pg.row_gid("value", i)) == ":"
    assert _text(fig, pg.row_gid("trend", i)) == ""
    assert "«:» skjult" in _text(fig, pg.GID_SYMBOLS)
    # no dot for the municipality on that row of the spine chart
    (dots,) = fig.findobj(lambda a: a.get_gid() == pg.GID_MUNICIPALITY_MARK)
    assert np.isnan(dots.get_offsets()[i][0])
    assert np.isfinite(dots.get_offsets()[_row_index(spec, NEUTRAL[0])][0])
    # while Bergen, with a shown value, gets a number and no symbol note
    bergen = pg.build_profile_figure(data, "4601", context)
    assert _text(bergen, pg.row_gid("value", i)) == "12"
    assert _text(bergen, pg.GID_SYMBOLS) == ""


def test_rising_lower_is_better_gets_a_red_up_arrow(data, context, spec):
    fig = pg.build_profile_figure(data, "4601", context)
    i = _row_index(spec, CHILDREN[0])
    arrows = [a for a in fig.findobj(lambda a: a.get_gid() == pg.row_gid("trend", i))]
    assert arrows[0].get_text() == "↑"
    assert arrows[0].get_color() == pg.TREND_COLORS["bad"]
    assert _text(fig, pg.row_gid("change", i)) == "+2"
    j = _row_index(spec, ACCESSIBLE[0])
    good = next(iter(fig.findobj(lambda a: a.get_gid() == pg.row_gid("trend", j))))
    assert (good.get_text(), good.get_color()) == ("↑", pg.TREND_COLORS["good"])


def test_status_text_matches_goal_attainment(data, context, spec):
    fig = pg.build_profile_figure(data, "1103", context)
    for i, row in enumerate(spec.rows):
        expected = STATUSES[("atth", row.indicator)][1]
        assert " ".join(_text(fig, pg.row_gid("status", i)).split()) == expected


def test_row_of_earlier_year_is_labelled_and_numbers_are_norwegian(data, context, spec):
    fig = pg.build_profile_figure(data, "4601", context)
    texts = [t.get_text() for t in fig.texts + fig.axes[0].texts]
    assert any("tall for 2023" in t for t in texts)
    # 16 + 2 × 0.5 per 1000 with one decimal, decimal comma
    assert _text(fig, pg.row_gid("value", _row_index(spec, NEUTRAL[0]))) == "17,0"
    assert _text(fig, pg.row_gid("nation", _row_index(spec, NEUTRAL[0]))) == "21,0"
    assert _text(fig, pg.row_gid("county", _row_index(spec, NEUTRAL[0]))) == "19,0"
    # the earlier-year gap is said in the change column
    stavanger = pg.build_profile_figure(data, "1103", context)
    assert "fra 2022" in _text(stavanger, pg.row_gid("change", _row_index(spec, ACCESSIBLE[0])))


@pytest.mark.parametrize("dpi", [60, pg.DEFAULT_DPI])
def test_blitted_pages_equal_full_draws(data, context, dpi):
    """The reused page with cached cells draws exactly what a fresh full draw does."""
    template = data[data["kommunenr"] == "4601"]
    blitted = pg.ProfilePage(template, context, blit=True, dpi=dpi)
    full = pg.ProfilePage(template, context, blit=False, dpi=dpi)
    for kommunenr in ["4601", "4602", "1103", "4601", "4602"]:
        rows = data[data["kommunenr"] == kommunenr]
        blitted.update(rows)
        full.update(rows)
        assert np.array_equal(blitted.render_rgb(), full.render_rgb()), kommunenr


# --- files -------------------------------------------------------------------------------------


def test_png_holds_the_rendered_pixels():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    png, _ = encode_png(pixels, dpi=150)
    with Image.open(io.BytesIO(png)) as image:
        assert image.mode == "RGB" and image.size == (5, 7)
        assert np.array_equal(np.asarray(image), pixels[..., :3])
        assert image.info["dpi"] == pytest.approx((150, 150), abs=0.1)


def _national_tables(spec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """All 357 municipalities (2024 borders, the pipeline's own geography), the profile's
    indicators for 2023–2024 with a fifth of the municipal cells suppressed, and statuses."""
    geography = dim_geography(2024)
    places = geography[geography["geo_level"].isin(["land", "fylke", "kommune"])][["geo_level", "geo_code"]]
    rng = np.random.default_rng(9)
    frames = []
    for row in spec.rows:
        for year in (2023, 2024):
            frame = places.assign(indicator_id=row.indicator, target_group=row.target_group, year=year)
            frame["value"] = rng.uniform(5, 95, len(frame))
            hidden = (frame["geo_level"] == "kommune").to_numpy() & (rng.random(len(frame)) < 0.2)
            frame["status"] = np.where(hidden, "suppressed", "shown")
            frame["value"] = frame["value"].where(~hidden)
            frames.append(frame)
    values = pd.concat(frames, ignore_index=True).assign(data_origin="synthetic")
    municipalities = places[places["geo_level"] == "kommune"]
    goals = pd.DataFrame(
        {
            "strategy_id": "atth",
            "indicator_id": spec.rows[0].indicator,
            "target_group": spec.rows[0].target_group,
            "geo_level": "kommune",
            "geo_code": municipalities["geo_code"],
            "status": "not_assessed",
            "status_nb": "Ikke vurdert (kontekstindikator)",
        }
    )
    return values, goals, geography


@pytest.mark.slow  # draws all 357 profiles
def test_full_render_writes_every_municipality_and_county(tmp_path, catalogue):
    spec = load_profile_spec(catalogue)  # the bundled assets/profiles.yaml
    values, goals, geography = _national_tables(spec)
    stale = tmp_path / "profiles" / "kommune" / "9999.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    result = render_profiles(values, goals, geography, catalogue, tmp_path, RELEASE, dpi=60)

    municipalities = geography[geography["geo_level"] == "kommune"]
    assert len(municipalities) == 357
    assert len(result.pngs) == 357 and all(p.exists() for p in result.pngs)
    assert {p.stem for p in result.pngs} == set(municipalities["geo_code"])
    assert not stale.exists()  # files of municipalities that no longer exist are removed
    assert len(result.pages) == 357 and {p.stem for p in result.pages} == set(municipalities["geo_code"])
    assert len(list((tmp_path / "profiles" / "kommune").iterdir())) == 2 * 357  # a PNG and a page each
    # the national index, 15 county indexes and 10 statsforvalter region pages
    assert len(result.index_pages) == 1 + 15 + 10 and all(p.exists() for p in result.index_pages)
    assert sorted(p.stem for p in result.index_pages if p.parent.name == "statsforvalter") == [
        f"SF{i:02d}" for i in range(1, 11)
    ]
    per_county = municipalities.groupby("county_code")["geo_code"].apply(sorted)

    with result.index_path.open(encoding="utf-8") as handle:
        index = list(csv.DictReader(handle))
    assert list(index[0]) == [
        "kommunenr",
        "kommune_name",
        "county_code",
        "county_name",
        "png",
        "html",
        "pdf",
        "pdf_page",
    ]
    assert [r["kommunenr"] for r in index] == sorted(municipalities["geo_code"])
    bergen = next(r for r in index if r["kommunenr"] == "4601")
    assert (bergen["kommune_name"], bergen["county_code"]) == ("Bergen", "46")
    assert bergen["png"] == "profiles/kommune/4601.png" and (tmp_path / bergen["png"]).exists()
    assert bergen["html"] == "profiles/kommune/4601.html" and (tmp_path / bergen["html"]).exists()
    assert bergen["pdf"] == "profiles/fylke/46.pdf"  # written by render_county_pdfs
    assert int(bergen["pdf_page"]) == per_county["46"].index("4601") + 1
    with Image.open(tmp_path / bergen["png"]) as image:
        assert image.size == (
            round(pg.PAGE_SIZE_IN[0] * 60),
            round(pg.PAGE_SIZE_IN[1] * 60),
        )


def test_pages_drawn_in_spawned_workers_equal_pages_drawn_here(tmp_path, tables, catalogue, spec):
    """Two counties in two spawned workers write the very bytes one process writes: a job is
    plain data, and nothing a worker needs is left behind in the parent."""
    outputs = {}
    for workers in (1, 2):
        base = tmp_path / str(workers)
        result = render_profiles(*tables, catalogue, base, RELEASE, spec=spec, dpi=60, workers=workers)
        pdfs = render_county_pdfs(*tables, catalogue, base, RELEASE, spec=spec, workers=workers)
        outputs[workers] = {p.relative_to(base): p.read_bytes() for p in [*result.pngs, *result.pages, *pdfs]}
    assert len(outputs[1]) == 2 * len(MUNICIPALITIES) + len(COUNTIES)
    assert outputs[1] == outputs[2]


# --- profiles.yaml -----------------------------------------------------------------------------


def test_bundled_profiles_yaml_loads(catalogue):
    spec = load_profile_spec(catalogue)
    assert 8 <= len(spec.rows) <= 12
    assert spec.status_strategies[0] == "atth"
    for row in spec.rows:
        assert row.target_group in catalogue.indicators[row.indicator].target_groups


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            {"indicator": "no_such_indicator"},
            r"indicators\[1\] \(no_such_indicator\)\.indicator: unknown indicator",
        ),
        (
            {"indicator": "KOSboligSper10000000", "target_group": "pensjonister"},
            r"indicators\[1\] \(KOSboligSper10000000\)\.target_group: unknown target group 'pensjonister'",
        ),
        (
            {"indicator": "KOSboligSper10000000", "target_group": "unge"},
            r"\.target_group: 'unge' is not a target group of KOSboligSper10000000",
        ),
        (
            {"indicator": "KOSboligSper10000000", "lable_nb": "x"},
            r"indicators\[1\] \(KOSboligSper10000000\)\.lable_nb",
        ),
        (
            {"indicator": "startlan_per_1000", "target_group": "alle"},
            r"indicators\[1\] .*already indicators\[0\]",
        ),
    ],
)
def test_profiles_yaml_errors_name_file_and_field(tmp_path, catalogue, entry, expected):
    path = tmp_path / "profiles.yaml"
    first = {"indicator": "startlan_per_1000", "target_group": "alle"}
    path.write_text(
        yaml.safe_dump(
            {"profiles": {"status_strategies": ["atth"], "indicators": [first, entry]}}, allow_unicode=True
        ),
        encoding="utf-8",
    )
    with pytest.raises(ProfileSpecError, match=expected) as caught:
        load_profile_spec(catalogue, path)
    assert str(caught.value).startswith(f"{path}: profiles.")


def test_profiles_yaml_unknown_strategy_and_shape(tmp_path, catalogue):
    path = tmp_path / "profiles.yaml"
    path.write_text(
        "profiles:\n  status_strategies: [atth, nope]\n  indicators: [{indicator: startlan_per_1000}]\n"
    )
    with pytest.raises(ProfileSpecError, match=r"profiles\.status_strategies\[1\]: unknown strategy 'nope'"):
        load_profile_spec(catalogue, path)
    path.write_text("indicators: []\n")
    with pytest.raises(ProfileSpecError, match=r"profiles\.yaml: expected a top-level mapping 'profiles:'"):
        load_profile_spec(catalogue, path)
    with pytest.raises(ProfileSpecError, match="file not found"):
        load_profile_spec(catalogue, tmp_path / "missing.yaml")
