"""Charting layer: Norwegian number formatting, the footer and the indicator trend chart.

The chart tests inspect matplotlib artists (found by their gid), not pixels, so they stay fast and
do not depend on fonts or anti-aliasing.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D

from pipelines.charts import indicator_chart as ic
from pipelines.charts import style

NBSP = "\u00a0"
MINUS = "\u2212"

INDICATOR = {
    "id": "KOSboligSper10000000",
    "name_nb": "Kommunalt disponerte boliger per 1000 innbyggere",
    "name_en": "Municipal dwellings per 1000 inhabitants",
    "unit": "per_1000_inhabitants",
    "direction": "lower_is_better",
    "source_nb": "Statistisk sentralbyrå (SSB), KOSTRA",
}
RELEASE = "2026-11-26"
YEARS = list(range(2014, 2025))
GAP_YEAR = 2018


def make_values(
    *,
    data_origin: str = "synthetic",
    national_gap: bool = True,
    n_counties: int = 3,
    unit: str = "per_1000_inhabitants",
) -> pd.DataFrame:
    """The nation plus a few counties, 2014–2024, shaped like the pipeline's long indicator table."""
    rng = np.random.default_rng(7)
    rows = []

    def row(level: str, code: str, name: str, year: int, value: float, status: str = "shown") -> dict:
        denominator = 5_000_000.0 if level == "land" else 450_000.0
        return {
            "indicator_id": INDICATOR["id"],
            "geo_level": level,
            "geo_code": code,
            "geo_name": name,
            "year": year,
            "target_group": "alle",
            "numerator": value * denominator / 1000 if status == "shown" else np.nan,
            "denominator": denominator,
            "value": value if status == "shown" else np.nan,
            "unit": unit,
            "status": status,
            "data_origin": data_origin,
        }

    county_names = ["Oslo", "Vestland", "Trøndelag", "Nordland", "Agder", "Innlandet"]
    for year in YEARS:
        national = 20.0 + 0.25 * (year - 2014)
        if national_gap and year == GAP_YEAR:
            rows.append(row("land", "0", "Hele landet", year, np.nan, status="suppressed"))
        else:
            rows.append(row("land", "0", "Hele landet", year, national))
        for i, name in enumerate(county_names[:n_counties]):
            value = national + (i - 1) * 4.0 + rng.normal(0, 0.5)
            rows.append(row("fylke", f"{i + 3:02d}", name, year, value))
    return pd.DataFrame(rows)


def by_gid(fig, gid: str) -> list:
    return list(fig.findobj(lambda artist: artist.get_gid() == gid))


def text_of(fig, gid: str) -> str:
    artists = by_gid(fig, gid)
    assert len(artists) == 1, f"expected one artist with gid {gid!r}, found {len(artists)}"
    return artists[0].get_text()


def national_lines(fig) -> list[Line2D]:
    ax = fig.axes[0]
    return [line for line in ax.get_lines() if line.get_label() == ic.LABEL_NATIONAL]


@pytest.fixture
def fig():
    figure = ic.plot_indicator_trend(make_values(), INDICATOR, RELEASE)
    yield figure
    ic._close(figure)


# --- Tick formats ----------------------------------------------------------------------------


def test_tick_formatter_uses_shared_decimals():
    formatter = style.nb_tick_formatter()
    formatter.set_locs([0.0, 2.5, 5.0, 7.5])
    assert [formatter(v) for v in (0.0, 2.5, 5.0)] == ["0,0", "2,5", "5,0"]
    formatter.set_locs([0.0, 5000.0, 10000.0])
    assert formatter(10000.0) == f"10{NBSP}000"
    assert style.nb_tick_formatter(decimals=2)(1.5) == "1,50"


def test_style_does_not_touch_global_rcparams():
    before = dict(mpl.rcParams)
    with style.house_style():
        assert mpl.rcParams["font.sans-serif"] == [style.FONT_FAMILY]
    fig = ic.plot_indicator_trend(make_values(), INDICATOR, RELEASE)
    ic._close(fig)
    assert dict(mpl.rcParams) == before


# --- The indicator chart ---------------------------------------------------------------------


def test_title_subtitle_and_axis_labels(fig):
    assert INDICATOR["name_nb"] in text_of(fig, ic.GID_TITLE).replace("\n", " ")
    assert text_of(fig, ic.GID_SUBTITLE) == "Landet og spredning mellom fylker, 2014–2024"
    ax = fig.axes[0]
    assert ax.get_ylabel() == "per 1000 innbyggere"
    assert text_of(fig, ic.GID_DIRECTION) == "Retning: lavere er bedre"


def test_years_are_integer_ticks_and_y_ticks_norwegian(fig):
    ax = fig.axes[0]
    fig.canvas.draw()
    assert list(ax.get_xticks()) == [float(y) for y in YEARS]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(y) for y in YEARS]
    y_labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert y_labels and all("." not in label for label in y_labels)


def test_national_line_has_a_gap_not_a_zero(fig):
    lines = national_lines(fig)
    assert len(lines) == 1
    x, y = (np.asarray(a, dtype=float) for a in lines[0].get_data())
    at_gap = y[x == GAP_YEAR]
    assert at_gap.size == 1 and math.isnan(at_gap[0])
    assert np.isfinite(y[x != GAP_YEAR]).all()
    assert lines[0].get_marker() == "o"


def test_suppressed_value_is_never_drawn_even_if_present():
    values = make_values(national_gap=False)
    leaked = (values["geo_level"] == "land") & (values["year"] == GAP_YEAR)
    values.loc[leaked, "status"] = "suppressed"  # value column still holds a number
    figure = ic.plot_indicator_trend(values, INDICATOR, RELEASE)
    x, y = national_lines(figure)[0].get_data()
    assert math.isnan(np.asarray(y, dtype=float)[list(x).index(GAP_YEAR)])
    ic._close(figure)


def test_county_band_spans_min_to_max(fig):
    bands = by_gid(fig, ic.GID_RANGE)
    assert len(bands) == 1
    assert bands[0].get_label() == ic.LABEL_RANGE
    # Three counties are too few for quartiles, so the inner band is left out.
    assert by_gid(fig, ic.GID_IQR) == []
    values = make_values()
    counties = values[values["geo_level"] == "fylke"]
    vertices = np.vstack([path.vertices for path in bands[0].get_paths()])
    assert vertices[:, 1].min() == pytest.approx(counties["value"].min())
    assert vertices[:, 1].max() == pytest.approx(counties["value"].max())


def test_interquartile_band_and_legend_with_enough_counties():
    figure = ic.plot_indicator_trend(make_values(n_counties=6), INDICATOR, RELEASE)
    assert len(by_gid(figure, ic.GID_IQR)) == 1
    legend = by_gid(figure, ic.GID_LEGEND)[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "Landet",
        "Fylker, min–maks",
        "Fylker, midtre halvdel",
    ]
    ic._close(figure)


def test_band_breaks_where_counties_are_missing():
    values = make_values(national_gap=False)
    values.loc[(values["geo_level"] == "fylke") & (values["year"] == 2020), "status"] = "missing"
    figure = ic.plot_indicator_trend(values, INDICATOR, RELEASE)
    band = by_gid(figure, ic.GID_RANGE)[0]
    # fill_between splits at NaN: one polygon before 2020, one after, none bridging it.
    xs = [path.vertices[:, 0] for path in band.get_paths() if len(path.vertices)]
    assert len(xs) == 2
    assert all(not (x.min() < 2020 < x.max()) for x in xs)
    notes = text_of(figure, ic.GID_NOTES)
    assert ic.BAND_GAP_NOTE in notes and ic.GAP_NOTE not in notes
    ic._close(figure)


def test_footer_says_synthetic_only_for_synthetic_data(fig):
    footer = text_of(fig, ic.GID_FOOTER)
    assert "Syntetiske demodata" in footer
    assert "Indikatordefinisjon: Statistisk sentralbyrå (SSB), KOSTRA" in footer
    assert "Kilde: Statistisk sentralbyrå" not in footer  # invented numbers are not credited to SSB
    assert "Publisert 2026-11-26" in footer

    official = ic.plot_indicator_trend(make_values(data_origin="ssb"), INDICATOR, RELEASE)
    official_footer = text_of(official, ic.GID_FOOTER)
    assert "Syntetiske demodata" not in official_footer
    assert "Data: Statistisk sentralbyrå" in official_footer
    assert official_footer.startswith("Kilde: Statistisk sentralbyrå (SSB), KOSTRA")
    ic._close(official)


def test_gap_note_only_when_there_is_a_gap(fig):
    assert ic.GAP_NOTE in text_of(fig, ic.GID_NOTES)
    complete = ic.plot_indicator_trend(make_values(national_gap=False), INDICATOR, RELEASE)
    assert text_of(complete, ic.GID_NOTES) == ""
    ic._close(complete)


def test_rates_start_at_zero_unless_far_from_it(fig):
    assert fig.axes[0].get_ylim()[0] == 0
    values = make_values(national_gap=False, unit="percent")
    values["value"] = values["value"] / 100 + 95  # 95–96 %: zero would flatten every change
    figure = ic.plot_indicator_trend(values, {**INDICATOR, "unit": "percent"}, RELEASE)
    assert figure.axes[0].get_ylim()[0] > 90
    assert ic.NOT_ZERO_BASED_NOTE in text_of(figure, ic.GID_NOTES)
    ic._close(figure)


def test_uses_target_group_alle_and_refuses_a_mislabelled_unit():
    values = make_values(national_gap=False)
    other = values.assign(target_group="unge", value=values["value"] * 0 + 999.0)
    figure = ic.plot_indicator_trend(pd.concat([other, values]), INDICATOR, RELEASE)
    _, y = national_lines(figure)[0].get_data()
    assert np.nanmax(np.asarray(y, dtype=float)) < 100
    ic._close(figure)
    with pytest.raises(ValueError, match="unit"):
        ic.plot_indicator_trend(values, {**INDICATOR, "unit": "percent"}, RELEASE)


def test_nothing_overlaps(fig):
    """Title block, legend, plot area, notes and footer are stacked without overlaps."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax_box = fig.axes[0].get_tightbbox(renderer)
    above = [by_gid(fig, gid)[0].get_window_extent(renderer) for gid in (ic.GID_SUBTITLE, ic.GID_LEGEND)]
    below = [by_gid(fig, gid)[0].get_window_extent(renderer) for gid in (ic.GID_NOTES, ic.GID_FOOTER)]
    assert all(box.y0 >= ax_box.y1 for box in above)
    assert all(box.y1 <= ax_box.y0 for box in below)
    assert below[0].y0 >= below[1].y1
    assert ax_box.x0 >= 0 and ax_box.x1 <= fig.bbox.width


def test_save_figure_writes_small_png(fig, tmp_path):
    path = ic.save_figure(fig, tmp_path / "charts" / "indicator.png")
    assert path.exists()
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size < 300_000


def test_save_figure_png_matches_savefig(fig, tmp_path):
    """The fast PNG path gives the picture savefig gives: same size, same resolution, same pixels
    (to within anti-aliasing), opaque."""
    from PIL import Image

    reference = tmp_path / "savefig.png"
    fig.savefig(reference, format="png", dpi=ic.DEFAULT_DPI, facecolor="white")
    ours = Image.open(ic.save_figure(fig, tmp_path / "ours.png"))
    theirs = Image.open(reference)
    expected = (round(fig.get_figwidth() * ic.DEFAULT_DPI), round(fig.get_figheight() * ic.DEFAULT_DPI))
    assert ours.size == theirs.size == expected
    assert ours.mode == "RGB"
    assert round(ours.info["dpi"][0]) == ic.DEFAULT_DPI
    difference = np.abs(np.asarray(ours, dtype=int) - np.asarray(theirs.convert("RGB"), dtype=int))
    assert difference.max(axis=2).mean() < 1.0  # mean grey-level difference below 1 of 255


# --- Shared frames for the new chart kinds -----------------------------------------------------
#
# Small tables shaped like indicator_values_public: the nation, 15 counties (official names, some
# multilingual), a few municipalities in three KOSTRA groups, and two target groups.

COUNTIES = {
    "03": "Oslo",
    "11": "Rogaland",
    "15": "Møre og Romsdal",
    "18": "Nordland - Nordlánnda",
    "31": "Østfold",
    "32": "Akershus",
    "33": "Buskerud",
    "34": "Innlandet",
    "39": "Vestfold",
    "40": "Telemark",
    "42": "Agder",
    "46": "Vestland",
    "50": "Trøndelag - Trööndelage",
    "55": "Troms - Romsa - Tromssa",
    "56": "Finnmark - Finnmárku - Finmarkku",
}
# kommunenr → (name, KOSTRA group); 0104 has no published value in the latest year.
MUNICIPALITIES = {
    "0101": ("Halden", "EKG01"),
    "0102": ("Moss", "EKG01"),
    "0103": ("Sarpsborg", "EKG01"),
    "0104": ("Fredrikstad", "EKG01"),
    "0201": ("Asker", "EKG02"),
    "0202": ("Bærum", "EKG02"),
    "0203": ("Lillestrøm", "EKG02"),
    "0301": ("Oslo", "EKG13"),
}
MEMBERSHIP = pd.Series({code: group for code, (_, group) in MUNICIPALITIES.items()})
SUPPRESSED_COUNTY = "46"  # Vestland: suppressed in GAP_YEAR
EMPTY_COUNTY = "56"  # Finnmark: nothing published at all
SUPPRESSED_MUNICIPALITY = "0104"
LATEST = YEARS[-1]

SPEC = {
    **INDICATOR,
    "decimals": 1,
    "target_groups": ["alle", "barnefamilier"],
    "target_group_names": {"alle": "Alle", "barnefamilier": "Barnefamilier"},
    "strategies": [
        style.StrategyPeriod("bfv", "Bolig for velferd", 2014, 2020, 2014),
        style.StrategyPeriod("atth", "Alle trenger et trygt hjem", 2021, 2024, 2020),
    ],
    "targets": [],
}


def target(group: str = "alle", *, value=None, change=None, year: int = 2020, kind: str = "official"):
    first, last, baseline = (2014, 2020, 2014) if year <= 2020 else (2021, 2024, 2020)
    return style.TargetSpec(
        indicator=INDICATOR["id"],
        target_group=group,
        strategy="bfv" if year <= 2020 else "atth",
        kind=kind,
        value=value,
        change=change,
        target_year=year,
        baseline_year=baseline,
        first_year=first,
        last_year=last,
    )


def make_full_values(*, groups: tuple[str, ...] = ("alle", "barnefamilier")) -> pd.DataFrame:
    """Nation, 15 counties, KOSTRA groups and municipalities for each target group."""
    rows = []

    def row(level, code, name, year, group, value, status="shown"):
        rows.append(
            {
                "indicator_id": INDICATOR["id"],
                "geo_level": level,
                "geo_code": code,
                "geo_name": name,
                "year": year,
                "target_group": group,
                "value": value if status == "shown" else np.nan,
                "unit": INDICATOR["unit"],
                "status": status,
                "data_origin": "synthetic",
            }
        )

    for g, group in enumerate(groups):
        for year in YEARS:
            national = 20.0 + 0.5 * (year - 2014) + 5 * g
            row(
                "land",
                "EAK",
                "Landet",
                year,
                group,
                national,
                "suppressed" if g and year == GAP_YEAR else "shown",
            )
            for i, (code, name) in enumerate(COUNTIES.items()):
                status = "shown"
                if code == EMPTY_COUNTY or (code == SUPPRESSED_COUNTY and year == GAP_YEAR):
                    status = "suppressed"
                row("fylke", code, name, year, group, national + i - 7, status)
            for k, (code, (name, _)) in enumerate(MUNICIPALITIES.items()):
                status = "suppressed" if code == SUPPRESSED_MUNICIPALITY and year == LATEST else "shown"
                row("kommune", code, name, year, group, 10.0 + 3 * k + year - 2014, status)
            for code in sorted(set(MEMBERSHIP)):
                row("kostragruppe", code, f"KOSTRA-gruppe {int(code[3:])}", year, group, national)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def full_values() -> pd.DataFrame:
    return make_full_values()


def close(figure) -> None:
    ic._close(figure)


# --- House style: strategies, targets, gap note -------------------------------------------------


def test_strategy_periods_come_from_the_catalogue_with_norwegian_names():
    from pipelines.catalogue import load_catalogue

    periods = style.strategy_periods(load_catalogue())
    assert [(p.id, p.first_year, p.last_year) for p in periods] == [("bfv", 2014, 2020), ("atth", 2021, 2024)]
    assert [p.label_nb for p in periods] == [
        "Bolig for velferd 2014–2020",
        "Alle trenger et trygt hjem 2021–2024",
    ]


def test_catalogue_targets_resolve_to_numbers_with_norwegian_labels():
    from pipelines.catalogue import load_catalogue

    specs = style.indicator_targets(load_catalogue(), "begjaeringer_fravikelse_per_1000_leie")
    assert [(s.strategy, s.change, s.target_year, s.baseline_year) for s in specs] == [
        ("bfv", -0.5, 2020, 2014),
        ("atth", -0.5, 2024, 2020),
    ]
    marks, notes = style.resolve_targets(specs, "alle", {2014: 18.6, 2020: 12.0}, decimals=1)
    assert [(m.year, m.value) for m in marks] == [(2020, pytest.approx(9.3)), (2024, 6.0)]
    assert marks[0].label_nb == f"Mål 2020: 9,3 ({MINUS}50{NBSP}% fra 2014)"
    assert marks[1].label_nb == f"Mål 2024: 6 ({MINUS}50{NBSP}% fra 2020)"  # no needless ",0"
    assert notes == []


def test_absolute_targets_and_missing_baselines():
    absolute = target(value=0.0)
    marks, _ = style.resolve_targets([absolute], "alle", {}, decimals=0)
    assert [(m.year, m.value, m.label_nb) for m in marks] == [(2020, 0.0, "Mål 2020: 0")]
    analytical = target(value=50.0, year=2024, kind="analytical")
    assert style.resolve_targets([analytical], "alle", {})[0][0].label_nb == "Analytisk mål 2024: 50"
    # Another group's target is not this group's.
    assert style.resolve_targets([absolute], "barnefamilier", {}) == ([], [])
    # No value in the baseline year: the first year with a value in the period, as goal attainment does.
    relative = target(change=-0.5)
    marks, _ = style.resolve_targets([relative], "alle", {2014: float("nan"), 2016: 10.0})
    assert marks[0].value == 5.0 and "fra 2016" in marks[0].label_nb
    # No value at all in the period: no invented target, but a note.
    marks, notes = style.resolve_targets([relative], "alle", {2014: float("nan"), 2022: 10.0})
    assert marks == [] and len(notes) == 1 and "2020" in notes[0]


def test_gap_note():
    assert style.gap_note([1.0, 2.0], [3.0]) == ""
    assert style.gap_note([1.0, float("nan")]) == style.GAP_NOTE
    assert style.gap_note([None], dots=True) == style.GAP_NOTE_DOTS
    assert style.gap_note(pd.array([1.0, None], dtype="Float64")) == style.GAP_NOTE
    assert "null" in style.GAP_NOTE_DOTS


# --- Trend chart: targets and strategy periods -------------------------------------------------


def test_trend_shades_strategy_periods_with_norwegian_labels():
    figure = ic.plot_indicator_trend(make_values(), SPEC, RELEASE)
    spans = by_gid(figure, ic.GID_STRATEGY)
    assert len(spans) == 2
    xs = sorted((span.get_x(), span.get_x() + span.get_width()) for span in spans)
    assert xs == [(2013.5, 2020.5), (2020.5, 2024.5)]
    assert len({span.get_facecolor() for span in spans}) == 2  # told apart by shade
    labels = [t.get_text() for t in by_gid(figure, ic.GID_STRATEGY_LABEL)]
    assert labels == ["Bolig for velferd 2014–2020", "Alle trenger et trygt hjem 2021–2024"]
    close(figure)


def test_trend_draws_the_target_of_its_target_group_only(fig):
    assert by_gid(fig, ic.GID_TARGET) == []  # no targets in the spec: no target line
    spec = {**SPEC, "targets": [target(value=0.0), target("barnefamilier", value=5.0, year=2024)]}
    figure = ic.plot_indicator_trend(make_values(), spec, RELEASE)
    lines = by_gid(figure, ic.GID_TARGET)
    assert len(lines) == 1  # the barnefamilier target does not belong on the «alle» line
    x, y = (np.asarray(a, dtype=float) for a in lines[0].get_data())
    assert x[-1] == 2020 and (y == 0).all()
    assert [t.get_text() for t in by_gid(figure, ic.GID_TARGET_LABEL)] == ["Mål 2020: 0"]
    legend = by_gid(figure, ic.GID_LEGEND)[0]
    assert ic.LABEL_TARGET in [t.get_text() for t in legend.get_texts()]
    assert figure.axes[0].get_ylim()[0] <= 0
    close(figure)


def test_relative_target_is_drawn_against_the_baseline_and_fits_the_axis():
    spec = {**SPEC, "targets": [target(change=2.0)]}  # triple the 2014 value: above all data
    figure = ic.plot_indicator_trend(make_values(), spec, RELEASE)
    (line,) = by_gid(figure, ic.GID_TARGET)
    value = float(np.asarray(line.get_data()[1])[0])
    assert value == pytest.approx(60.0)  # 3 × 20 (national 2014)
    assert figure.axes[0].get_ylim()[1] > value
    assert f"+200{NBSP}% fra 2014" in text_of(figure, ic.GID_TARGET_LABEL)
    close(figure)


def test_trend_uses_the_indicators_main_target_group(full_values):
    spec = {**SPEC, "target_groups": ["barnefamilier", "alle"]}
    figure = ic.plot_indicator_trend(full_values, spec, RELEASE)
    assert text_of(figure, ic.GID_SUBTITLE).endswith("Målgruppe: Barnefamilier")
    x, y = national_lines(figure)[0].get_data()
    assert math.isnan(np.asarray(y, dtype=float)[list(x).index(GAP_YEAR)])  # barnefamilier's gap
    close(figure)


# --- County small multiples --------------------------------------------------------------------


@pytest.fixture(scope="module")
def county_fig(full_values):
    from pipelines.charts import counties

    figure = counties.plot_county_panels(full_values, SPEC, RELEASE)
    yield figure
    close(figure)


def test_one_panel_per_county_named_in_norwegian(county_fig):
    from pipelines.charts import counties

    titles = [t.get_text() for t in by_gid(county_fig, counties.GID_PANEL_TITLE)]
    assert len(titles) == 15
    assert titles[:4] == ["Oslo", "Rogaland", "Møre og Romsdal", "Nordland"]
    assert titles[-3:] == ["Trøndelag", "Troms", "Finnmark"]
    assert len(by_gid(county_fig, counties.GID_COUNTY)) == 15
    assert len(by_gid(county_fig, counties.GID_NATIONAL)) == 15
    title = text_of(county_fig, ic.GID_TITLE).replace("\n", " ")
    assert INDICATOR["name_nb"] in title and "fylkene" in title
    assert text_of(county_fig, counties.GID_UNIT) == "per 1000 innbyggere"
    assert "Syntetiske demodata" in text_of(county_fig, ic.GID_FOOTER)


def test_county_gaps_are_nan_not_zero(county_fig):
    from pipelines.charts import counties

    lines = {line.get_label(): line for line in by_gid(county_fig, counties.GID_COUNTY)}
    x, y = (np.asarray(a, dtype=float) for a in lines["Vestland"].get_data())
    assert math.isnan(y[x == GAP_YEAR][0]) and np.isfinite(y[x != GAP_YEAR]).all()
    assert np.isnan(np.asarray(lines["Finnmark"].get_data()[1], dtype=float)).all()
    assert [t.get_text() for t in by_gid(county_fig, counties.GID_NO_DATA)] == [counties.NO_DATA_TEXT]
    assert style.GAP_NOTE in text_of(county_fig, ic.GID_NOTES)


def test_county_panels_share_one_scale(county_fig):
    from pipelines.charts import counties

    county_fig.canvas.draw()
    grids = by_gid(county_fig, counties.GID_GRID)
    levels = {tuple(sorted(float(seg[0][1]) for seg in grid.get_segments())) for grid in grids}
    assert len(grids) == 15 and len(levels) == 1
    # Same pixels per unit in every panel, and every panel equally tall.
    scales = set()
    for line in by_gid(county_fig, counties.GID_COUNTY):
        (_, y0), (_, y1) = line.get_transform().transform([(2014, 0.0), (2014, 10.0)])
        scales.add(round(y1 - y0, 6))
    assert len(scales) == 1
    # The left column labels the shared scale, in Norwegian numbers.
    labels = [t.get_text() for t in by_gid(county_fig, counties.GID_TICK_LABEL)]
    assert "2014" in labels and all("." not in label for label in labels)


def test_county_panel_labels_do_not_overlap(county_fig):
    from pipelines.charts import counties

    county_fig.canvas.draw()
    renderer = county_fig.canvas.get_renderer()
    boxes = [
        t.get_window_extent(renderer)
        for gid in (counties.GID_PANEL_TITLE, counties.GID_TICK_LABEL)
        for t in by_gid(county_fig, gid)
    ]
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]
    assert overlaps == []
    footer = by_gid(county_fig, ic.GID_FOOTER)[0].get_window_extent(renderer)
    assert all(box.y0 > footer.y1 for box in boxes)
    assert all(box.x0 >= 0 and box.x1 <= county_fig.bbox.width for box in boxes)


def test_county_name_nb():
    from pipelines.charts.counties import county_name_nb

    assert county_name_nb("Troms - Romsa - Tromssa") == "Troms"
    assert county_name_nb("Møre og Romsdal") == "Møre og Romsdal"


# --- Target groups against «alle» --------------------------------------------------------------


def test_one_line_per_target_group_with_norwegian_names(full_values):
    from pipelines.charts import groups

    spec = {**SPEC, "targets": [target("barnefamilier", value=0.0, year=2024)]}
    figure = groups.plot_target_groups(full_values, spec, RELEASE)
    lines = by_gid(figure, groups.GID_GROUP)
    assert [line.get_label() for line in lines] == ["Alle", "Barnefamilier"]
    legend = [t.get_text() for t in by_gid(figure, ic.GID_LEGEND)[0].get_texts()]
    assert legend[:2] == ["Alle", "Barnefamilier"]
    x, y = (np.asarray(a, dtype=float) for a in lines[1].get_data())
    assert math.isnan(y[x == GAP_YEAR][0])  # suppressed national value for barnefamilier
    assert np.isfinite(np.asarray(lines[0].get_data()[1], dtype=float)).all()
    # The target belongs to barnefamilier and is drawn in its colour.
    (target_line,) = by_gid(figure, style.TARGET_GID)
    assert target_line.get_color() == groups.GROUP_COLORS["barnefamilier"]
    assert len(by_gid(figure, style.STRATEGY_GID)) == 2
    assert "målgrupper" in text_of(figure, ic.GID_TITLE)
    assert figure.axes[0].get_ylabel() == "per 1000 innbyggere"
    assert "Syntetiske demodata" in text_of(figure, ic.GID_FOOTER)
    close(figure)


def test_no_group_chart_for_a_single_target_group():
    from pipelines.charts import groups

    only_alle = make_full_values(groups=("alle",))
    assert groups.plot_target_groups(only_alle, {**SPEC, "target_groups": ["alle"]}, RELEASE) is None


# --- Municipalities within their KOSTRA group --------------------------------------------------


@pytest.fixture(scope="module")
def position_fig(full_values):
    from pipelines.charts import position

    figure = position.plot_comparison_groups(full_values, SPEC, RELEASE, MEMBERSHIP, highlight="0102")
    yield figure
    close(figure)


def scatter_of(figure, group: str):
    from pipelines.charts import position

    (collection,) = [c for c in by_gid(figure, position.GID_MUNICIPALITIES) if c.get_label() == group]
    return collection


def test_one_dot_per_municipality_with_a_value(position_fig):
    from pipelines.charts import position

    assert len(by_gid(position_fig, position.GID_MUNICIPALITIES)) == 3
    assert len(scatter_of(position_fig, "EKG01").get_offsets()) == 3  # 0104 is suppressed in 2024
    assert len(scatter_of(position_fig, "EKG02").get_offsets()) == 3
    assert len(scatter_of(position_fig, "EKG13").get_offsets()) == 1
    rows = [t.get_text() for t in by_gid(position_fig, position.GID_GROUP_LABEL)]
    assert rows == ["KOSTRA-gruppe 1 (3 av 4)", "KOSTRA-gruppe 2", "KOSTRA-gruppe 13"]
    values = np.sort(scatter_of(position_fig, "EKG02").get_offsets()[:, 0])
    assert list(values) == [10.0 + 3 * k + LATEST - 2014 for k in (4, 5, 6)]
    assert style.GAP_NOTE_DOTS in text_of(position_fig, ic.GID_NOTES)


def test_highlighted_municipality_is_distinguishable(position_fig, full_values):
    from matplotlib.colors import to_rgba

    from pipelines.charts import position

    dots = scatter_of(position_fig, "EKG01")
    moss = 10.0 + 3 * 1 + LATEST - 2014
    index = int(np.flatnonzero(dots.get_offsets()[:, 0] == moss)[0])
    colors, sizes = dots.get_facecolors(), dots.get_sizes()
    assert tuple(colors[index]) == to_rgba(position.HIGHLIGHT_COLOR)
    assert all(tuple(c) != to_rgba(position.HIGHLIGHT_COLOR) for i, c in enumerate(colors) if i != index)
    assert sizes[index] > max(s for i, s in enumerate(sizes) if i != index)
    assert text_of(position_fig, position.GID_HIGHLIGHT_LABEL) == "Moss"
    assert len(by_gid(position_fig, position.GID_HIGHLIGHT)) == 1

    plain = position.plot_comparison_groups(full_values, SPEC, RELEASE, MEMBERSHIP)
    assert by_gid(plain, position.GID_HIGHLIGHT) == [] and by_gid(plain, position.GID_HIGHLIGHT_LABEL) == []
    assert len({tuple(c) for c in scatter_of(plain, "EKG01").get_facecolors()}) == 1
    close(plain)


def test_group_median_nation_and_axis(position_fig):
    from pipelines.charts import position

    (medians,) = by_gid(position_fig, position.GID_MEDIAN)
    x, y = (np.asarray(a, dtype=float) for a in medians.get_data())
    expected = np.median(np.asarray(scatter_of(position_fig, "EKG01").get_offsets())[:, 0])
    assert x[0] == pytest.approx(expected) and list(y) == [0.0, 1.0, 2.0]
    (nation,) = by_gid(position_fig, position.GID_NATIONAL)
    national = 20.0 + 0.5 * (LATEST - 2014)
    assert np.asarray(nation.get_xdata(), dtype=float)[0] == pytest.approx(national)
    assert nation.get_label() == "Landet: 25,0"
    assert position_fig.axes[0].get_xlabel() == "per 1000 innbyggere"
    assert text_of(position_fig, ic.GID_SUBTITLE) == f"Kommunene i sine KOSTRA-grupper, {LATEST}"
    assert "KOSTRA-grupper" in text_of(position_fig, ic.GID_TITLE)
    assert "Syntetiske demodata" in text_of(position_fig, ic.GID_FOOTER)


def test_positions_use_the_latest_year_with_municipal_data(full_values):
    from pipelines.charts import position

    values = full_values.copy()
    latest = (values["geo_level"] == "kommune") & (values["year"] == LATEST)
    values.loc[latest, "status"] = "missing"
    positions = position.comparison_positions(values, SPEC, MEMBERSHIP)
    assert positions.year == LATEST - 1
    assert len(positions.values["EKG01"]) == 4
    values.loc[values["geo_level"] == "kommune", "status"] = "not_applicable"
    assert position.plot_comparison_groups(values, SPEC, RELEASE, MEMBERSHIP) is None


def test_kostra_membership_reads_either_geography_table():
    from pipelines.charts.position import kostra_membership

    dim_geography = pd.DataFrame(
        {
            "geo_level": ["land", "fylke", "kommune", "kommune"],
            "geo_code": ["EAK", "03", "0301", "1101"],
            "kostra_group": [None, None, "EKG13", "EKG07"],
        }
    )
    assert kostra_membership(dim_geography).to_dict() == {"0301": "EKG13", "1101": "EKG07"}
    groups = pd.DataFrame({"kommunenr": ["0301"], "kostra_group": ["EKG13"], "size_band": ["FOLK4"]})
    assert kostra_membership(groups).to_dict() == {"0301": "EKG13"}
    assert kostra_membership()["0301"] == "EKG13"  # the bundled 2024 reference


# --- Rendering every kind ----------------------------------------------------------------------


def test_render_writes_every_kind_that_applies(tmp_path):
    from pipelines.catalogue import load_catalogue
    from pipelines.charts import render

    catalogue = load_catalogue()
    two_groups = make_full_values().assign(indicator_id="startlan_per_1000")
    one_group = make_full_values(groups=("alle",)).assign(indicator_id="KOSboligSper10000000")
    values = pd.concat([two_groups, one_group], ignore_index=True)
    geography = pd.DataFrame({"kommunenr": MEMBERSHIP.index, "kostra_group": MEMBERSHIP.to_numpy()})
    stale = tmp_path / "charts" / "KOSboligSper10000000_malgrupper.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    paths = render.render_indicator_charts(values, catalogue, tmp_path, RELEASE, geography)
    assert [p.name for p in paths] == [
        "KOSboligSper10000000.png",
        "KOSboligSper10000000_fylker.png",
        "KOSboligSper10000000_kostragrupper.png",
        "startlan_per_1000.png",
        "startlan_per_1000_fylker.png",
        "startlan_per_1000_malgrupper.png",
        "startlan_per_1000_kostragrupper.png",
    ]
    assert all(p.exists() and p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
    assert all(p.stat().st_size < 300_000 for p in paths)
    assert not stale.exists()  # a chart that no longer applies does not linger


def test_render_keeps_the_old_signature(tmp_path):
    from pipelines.catalogue import load_catalogue
    from pipelines.charts import render

    values = make_values(national_gap=False)
    paths = render.render_indicator_charts(values, load_catalogue(), tmp_path, RELEASE)
    # No municipalities in these rows: trend and county panels only.
    assert [p.name for p in paths] == [f"{INDICATOR['id']}.png", f"{INDICATOR['id']}_fylker.png"]


def test_charts_drawn_in_spawned_workers_equal_charts_drawn_here(tmp_path):
    """Each chart is a job of plain data: spawned workers write the very bytes this process writes."""
    from pipelines.catalogue import load_catalogue
    from pipelines.charts import render

    catalogue = load_catalogue()
    values = make_full_values().assign(indicator_id="startlan_per_1000")
    geography = pd.DataFrame({"kommunenr": MEMBERSHIP.index, "kostra_group": MEMBERSHIP.to_numpy()})
    written = {}
    for workers in (1, 2):
        base = tmp_path / str(workers)
        paths = render.render_indicator_charts(values, catalogue, base, RELEASE, geography, workers=workers)
        written[workers] = {p.relative_to(base): p.read_bytes() for p in paths}
    assert len(written[1]) == 4
    assert written[1] == written[2]


def test_a_pool_only_for_enough_work_and_never_more_workers_than_cores():
    import os

    from pipelines.charts import pool

    assert pool.workers_for(15, 16) == 1  # too little work for a second process
    assert 1 <= pool.workers_for(10_000, 1) <= min(pool.MAX_WORKERS, len(os.sched_getaffinity(0)))
    assert 1 <= pool.idle_cores() <= len(os.sched_getaffinity(0))
