"""The municipality profiles as accessible HTML pages: one per municipality, one index per county
and one for the nation (Jinja2 templates in ``templates/``, autoescaped).

The numbers are those of the drawn page: both come from one
:func:`~pipelines.profiles.data.profile_data` table, and the words from
:mod:`pipelines.profiles.texts`. Each page is one self-contained file (its CSS inline, the spine
charts as inline SVG, no requests elsewhere), so a page can be mailed or opened offline. The
key-indicator table is a real ``<table>``; a spine chart is a picture (``role="img"``) whose
label says what it shows, and a hidden value is «:» with its meaning in words.

Layout under the profiles folder::

    index.html                   the nation: every statsforvalter region, county and municipality
    statsforvalter/<SFxx>.html   a statsforvalter region: its key indicators against the nation
                                 and each of its counties, and links to its counties
    fylke/<fylkesnr>.html        a county: its municipalities
    kommune/<kommunenr>.html     a municipality's profile
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from pipelines import formatting, palette
from pipelines.exports import origin
from pipelines.profiles import data as pdata
from pipelines.profiles import texts

MUNICIPALITY_TEMPLATE = "kommune.html.j2"
COUNTY_TEMPLATE = "fylke.html.j2"
REGION_TEMPLATE = "statsforvalter.html.j2"
NATION_TEMPLATE = "index.html.j2"
INDEX_PAGE = "index.html"

# The spine chart's drawing area (SVG user units); the marks sit between the paddings.
SPINE_WIDTH, SPINE_HEIGHT, SPINE_PAD = 200, 24, 8

COLORS = {
    "text": palette.COLORS["text"],
    "muted": palette.COLORS["muted"],
    "range": palette.COLORS["band_range"],
    "iqr": palette.COLORS["band_iqr"],
    "nation": texts.NATION_COLOR,
    "county": texts.COUNTY_COLOR,
    "municipality": texts.MUNICIPALITY_COLOR,
}


def environment(*, autoescape: bool = True) -> jinja2.Environment:
    """The templates of this package. Autoescaping is on for every template (names come from
    the data: a «<» or «&» in one must stay text); ``autoescape=False`` exists for the test that
    shows what it guards against."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipelines.profiles", "templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


@dataclass(frozen=True)
class Cell:
    """A table cell: the printed text (a number or «:», «..», «.») and, for a symbol, its meaning."""

    text: str
    meaning: str = ""


def cell(value: float, status: str, decimals: int) -> Cell:
    text = formatting.display_value(value, status, int(decimals))
    meaning = (
        ""
        if status == pdata.SHOWN
        else texts.SYMBOL_WORDS_NB.get(str(status), texts.SYMBOL_WORDS_NB["missing"])
    )
    return Cell(text, meaning)


def _finite(x: object) -> bool:
    return x is not None and not pd.isna(x) and math.isfinite(float(x))


def _spine(row, label: str) -> dict:
    """The marks of one row's spine chart (SVG coordinates) and the words that say the same."""
    lo, hi = np.array([row.scale_min], float), np.array([row.scale_max], float)
    flip = np.array([row.direction == "lower_is_better"])

    def x(value: object) -> float | None:
        if not _finite(value):
            return None
        position = float(texts.spine_positions(np.array([float(value)]), lo, hi, flip)[0])
        return round(SPINE_PAD + position * (SPINE_WIDTH - 2 * SPINE_PAD), 1)

    def band(a: object, b: object) -> tuple[float, float] | None:
        xa, xb = x(a), x(b)
        return None if xa is None or xb is None else (min(xa, xb), abs(xb - xa))

    def number(value: object) -> str:
        return formatting.format_number_nb(float(value), int(row.decimals))

    shown = row.status == pdata.SHOWN
    county_shown = row.county_status == pdata.SHOWN
    nation_shown = row.national_status == pdata.SHOWN
    own = cell(row.value, row.status, row.decimals)
    words = [f"{label}: kommunen {own.text if shown else own.meaning.lower()}"]
    words.append(f"fylket {number(row.county_value)}" if county_shown else "fylket uten tall")
    words.append(f"landet {number(row.national_value)}" if nation_shown else "landet uten tall")
    spread = ""
    if row.n_municipalities and _finite(row.muni_min) and _finite(row.muni_max):
        spread = f"{number(row.muni_min)}–{number(row.muni_max)}"
        words.append(
            f"alle kommuner fra {number(row.muni_min)} til {number(row.muni_max)}, "
            f"midtre halvdel {number(row.muni_q1)}–{number(row.muni_q3)}"
        )
    if row.direction in ("higher_is_better", "lower_is_better"):
        words.append("bedre verdi til høyre")
    return {
        "label": "; ".join(words) + ".",
        "range": band(row.muni_min, row.muni_max),
        "iqr": band(row.muni_q1, row.muni_q3),
        "nation": x(row.national_value) if nation_shown else None,
        "county": x(row.county_value) if county_shown else None,
        "municipality": x(row.value) if shown else None,
        "spread": spread,
    }


def origin_texts(source_nb: str, counts: dict[str, int], release: str) -> dict:
    """The banner (the origin rule of :mod:`pipelines.exports.origin`) and the footer's parts."""
    codes = [code for code in origin.ORIGINS if counts.get(code)]
    return {
        "synthetic": origin.is_synthetic(counts),
        "banner": origin.source_text(source_nb, counts),
        "footer": formatting.footer_text(source_nb, codes, release).split(formatting.FOOTER_SEPARATOR),
    }


def municipality_view(rows: pd.DataFrame, context: texts.PageContext, year: int) -> dict:
    """What the municipality template shows, from this municipality's rows of ``profile_data``."""
    rows = rows.sort_values("row")
    first = rows.iloc[0]
    names, main = context.strategy_names, context.main_strategy
    table = []
    for row in rows.itertuples(index=False):
        trend = row.trend if isinstance(row.trend, str) else None
        assessment = row.trend_assessment if isinstance(row.trend_assessment, str) else None
        change = texts.change_text(row.change, row.decimals, row.prev_year, int(row.year))
        table.append(
            {
                "row": int(row.row),
                "label": row.label_nb,
                "details": texts.row_details(row.unit, row.direction, row.year, year),
                "value": cell(row.value, row.status, row.decimals),
                "county": cell(row.county_value, row.county_status, row.decimals),
                "nation": cell(row.national_value, row.national_status, row.decimals),
                "arrow": texts.TREND_ARROWS.get(trend, "") if trend else "",
                "arrow_color": texts.TREND_COLORS.get(assessment, COLORS["muted"]),
                "change": change.replace("\n", " "),
                "trend_words": (
                    f"{texts.TREND_WORDS_NB[trend]}, {texts.ASSESSMENT_WORDS_NB.get(assessment, '')}".rstrip(
                        ", "
                    )
                    if trend
                    else ""
                ),
                "spine": _spine(row, row.label_nb),
                "status": texts.status_label(row.progress_status_nb, row.progress_strategy, main, names),
                "status_color": texts.STATUS_COLORS.get(row.progress_status, texts.NO_STATUS_COLOR),
            }
        )
    statuses = list(rows["status"]) + list(rows["county_status"]) + list(rows["national_status"])
    symbols = [note for status, note in texts.SYMBOL_NOTES_NB.items() if status in set(statuses)]
    return {
        "lang": "nb",
        "title": texts.title_text(first.kommune_name, first.kommunenr, year),
        "subtitle": texts.subtitle_text(first.county_name, first.kostra_group_name),
        "name": first.kommune_name,
        "kommunenr": first.kommunenr,
        "county_code": first.county_code,
        "county_name": first.county_name,
        "year": year,
        "headers": texts.HEADERS,
        "legend": {
            "municipality": texts.LEGEND_MUNICIPALITY,
            "county": texts.LEGEND_COUNTY,
            "nation": texts.LEGEND_NATION,
            "range": texts.LEGEND_RANGE,
            "iqr": texts.LEGEND_IQR,
        },
        "rows": table,
        "notes": texts.static_notes(rows["progress_strategy"], context),
        "symbols": symbols,
        "symbol_prefix": texts.SYMBOL_NOTE_PREFIX,
        "origin": origin_texts(
            context.source_nb, texts.page_origin_counts(rows["data_origin"]), context.release
        ),
        "colors": COLORS,
        "spine_box": {"width": SPINE_WIDTH, "height": SPINE_HEIGHT},
        "index_href": f"../{INDEX_PAGE}",
        "county_href": f"../fylke/{first.county_code}.html",
        "png_href": f"{first.kommunenr}.png",
    }


@dataclass(frozen=True)
class County:
    code: str
    name: str
    municipalities: Sequence[tuple[str, str]]  # (kommunenr, name), by kommunenr


def county_view(county: County, context: texts.PageContext, year: int, counts: dict[str, int]) -> dict:
    return {
        "lang": "nb",
        "title": texts.document_title(year, county.name),
        "county": county,
        "year": year,
        "origin": origin_texts(context.source_nb, counts, context.release),
        "colors": COLORS,
        "index_href": f"../{INDEX_PAGE}",
        "municipality_href": "../kommune/{}.html",
    }


def region_view(region, rows: pd.DataFrame, context: texts.PageContext, year: int) -> dict:
    """What the region template shows, from this region's rows of ``region_data``: one table
    row per key indicator, one column per place (the region, the nation, each county)."""
    places = rows.drop_duplicates("place_code")[["place_code", "place_name", "place_level"]]
    table = []
    for number, indicator in rows.groupby("row", sort=True):
        first = indicator.iloc[0]
        by_place = indicator.set_index("place_code")
        table.append(
            {
                "row": int(number),
                "label": first.label_nb,
                "details": texts.row_details(first.unit, first.direction, first.year, year),
                "cells": [
                    (code, cell(by_place.loc[code, "value"], by_place.loc[code, "status"], first.decimals))
                    for code in places["place_code"]
                ],
            }
        )
    symbols = [note for status, note in texts.SYMBOL_NOTES_NB.items() if status in set(rows["status"])]
    return {
        "lang": "nb",
        "title": texts.document_title(year, region.name),
        "region": region,
        "places": list(places.itertuples(index=False)),
        "year": year,
        "rows": table,
        "symbols": symbols,
        "symbol_prefix": texts.SYMBOL_NOTE_PREFIX,
        "origin": origin_texts(
            context.source_nb, texts.page_origin_counts(rows["data_origin"]), context.release
        ),
        "colors": COLORS,
        "index_href": f"../{INDEX_PAGE}",
        "county_href": "../fylke/{}.html",
    }


def write_region_pages(
    table: pd.DataFrame, found: Sequence, context: texts.PageContext, year: int, folder: Path
) -> list[Path]:
    """One page per statsforvalter region (``region_data``'s table), in code order."""
    template = environment().get_template(REGION_TEMPLATE)
    paths = []
    for region in found:
        rows = table[table["statsforvalter_code"] == region.code]
        path = folder / f"{region.code}.html"
        path.write_text(template.render(**region_view(region, rows, context, year)), encoding="utf-8")
        paths.append(path)
    return paths


def nation_view(
    counties: Sequence[County], context: texts.PageContext, year: int, counts: dict, regions: Sequence = ()
) -> dict:
    return {
        "lang": "nb",
        "title": texts.document_title(year),
        "regions": regions,
        "region_href": "statsforvalter/{}.html",
        "counties": counties,
        "n_municipalities": sum(len(c.municipalities) for c in counties),
        "year": year,
        "origin": origin_texts(context.source_nb, counts, context.release),
        "colors": COLORS,
        "index_href": INDEX_PAGE,
        "county_href": "fylke/{}.html",
        "municipality_href": "kommune/{}.html",
    }


def render(template: str, view: dict, env: jinja2.Environment | None = None) -> str:
    return (env or environment()).get_template(template).render(**view)


def write_html_profiles(
    data: pd.DataFrame,
    context: texts.PageContext,
    year: int,
    profiles_dir: Path,
    kommune_dir: str,
    county_dir: str,
    regions: Sequence = (),
) -> list[Path]:
    """Every municipality's page, every county's index and the national index (which links the
    statsforvalter ``regions``' pages); returns the municipality pages in kommunenr order.
    ``data`` is ``profile_data``'s table."""
    env = environment()
    page = env.get_template(MUNICIPALITY_TEMPLATE)
    paths = []
    counties: dict[str, County] = {}
    for kommunenr, rows in data.groupby("kommunenr", sort=True):
        path = profiles_dir / kommune_dir / f"{kommunenr}.html"
        path.write_text(page.render(**municipality_view(rows, context, year)), encoding="utf-8")
        paths.append(path)
        first = rows.iloc[0]
        county = counties.setdefault(
            str(first.county_code), County(str(first.county_code), str(first.county_name), [])
        )
        county.municipalities.append((str(kommunenr), str(first.kommune_name)))
    counts = texts.page_origin_counts(data["data_origin"])
    ordered = [counties[code] for code in sorted(counties)]
    county_template = env.get_template(COUNTY_TEMPLATE)
    for county in ordered:
        path = profiles_dir / county_dir / f"{county.code}.html"
        path.write_text(
            county_template.render(**county_view(county, context, year, counts)), encoding="utf-8"
        )
    nation = env.get_template(NATION_TEMPLATE).render(**nation_view(ordered, context, year, counts, regions))
    (profiles_dir / INDEX_PAGE).write_text(nation, encoding="utf-8")
    return paths
