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
from pipelines.charts.style import format_number_nb

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


# --- Number formatting -----------------------------------------------------------------------


def test_thousands_separator_is_no_break_space_and_decimal_comma():
    assert style.THOUSANDS_SEPARATOR == NBSP
    assert format_number_nb(1234.5, 1) == f"1{NBSP}234,5"
    assert format_number_nb(1234.5, 1) == "1\u00a0234,5"


def test_small_and_rounded_numbers():
    assert format_number_nb(0.25, 2) == "0,25"
    assert format_number_nb(0.25, 0) == "0"
    assert format_number_nb(2.675, 1) == "2,7"
    assert format_number_nb(999, 0) == "999"
    assert format_number_nb(1000, 0) == f"1{NBSP}000"


def test_negative_numbers_use_minus_sign_and_never_negative_zero():
    assert format_number_nb(-1234.5, 1) == f"{MINUS}1{NBSP}234,5"
    assert format_number_nb(-0.5, 2) == f"{MINUS}0,50"
    assert format_number_nb(-0.004, 2) == "0,00"


def test_large_numbers_group_every_three_digits():
    assert format_number_nb(12_345_678.9, 1) == f"12{NBSP}345{NBSP}678,9"
    assert format_number_nb(5_550_203, 0) == f"5{NBSP}550{NBSP}203"


def test_missing_values_are_not_zero():
    assert format_number_nb(None, 1) == "–"
    assert format_number_nb(float("nan"), 1) == "–"
    assert format_number_nb(np.float64("nan"), 1, missing="") == ""
    with pytest.raises(ValueError):
        format_number_nb(1.0, -1)


def test_tick_formatter_uses_shared_decimals():
    formatter = style.nb_tick_formatter()
    formatter.set_locs([0.0, 2.5, 5.0, 7.5])
    assert [formatter(v) for v in (0.0, 2.5, 5.0)] == ["0,0", "2,5", "5,0"]
    formatter.set_locs([0.0, 5000.0, 10000.0])
    assert formatter(10000.0) == f"10{NBSP}000"
    assert style.nb_tick_formatter(decimals=2)(1.5) == "1,50"


# --- Units and footer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("per_1000_inhabitants", "per 1000 innbyggere"),
        ("percent", "prosent"),
        ("count", "antall"),
        ("nok_per_inhabitant", "kroner per innbygger"),
        ("per_1000_households", "per 1000 husholdninger"),
        ("per_1000_children", "per 1000 barn"),
    ],
)
def test_unit_labels(code, label):
    assert style.unit_label_nb(code) == label


def test_footer_names_each_origin():
    synthetic = style.footer_text("Statistisk sentralbyrå (SSB), KOSTRA", "synthetic", RELEASE)
    assert synthetic == (
        "Indikatordefinisjon: Statistisk sentralbyrå (SSB), KOSTRA"
        " · Data: Syntetiske demodata – ikke offisielle tall"
        " · Publisert 2026-11-26"
    )
    assert "Data: Statistisk sentralbyrå" in style.footer_text("SSB", "ssb", RELEASE)
    assert "Data: Fagdata (fil)" in style.footer_text("SSB", "file", RELEASE)
    mixed = style.footer_text("SSB", ["synthetic", "ssb", "file", "ssb"], RELEASE)
    assert "Data: Statistisk sentralbyrå, Fagdata (fil), Syntetiske demodata" in mixed
    assert "Syntetiske demodata" in style.footer_text("SSB", "ssb, synthetic", RELEASE)


def test_footer_refuses_unknown_or_empty_origin():
    with pytest.raises(ValueError, match="unknown data_origin"):
        style.footer_text("SSB", "guess", RELEASE)
    with pytest.raises(ValueError, match="empty"):
        style.footer_text("SSB", [], RELEASE)


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
