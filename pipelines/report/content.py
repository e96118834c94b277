"""What the yearly steering report says, as plain data: :func:`report_content`.

Everything here is computed from the public tables (``indicator_values_public``,
``goal_attainment`` and ``goal_rollup``) and the catalogue, without Dagster, matplotlib or HTML,
so tests can compare the report's numbers with the tables directly. Numbers stay numbers; the
HTML layer (:mod:`pipelines.report.html`) formats them the Norwegian way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.labels import UNIT_LEVEL_PLURAL_NB
from pipelines.catalogue.models import Strategy
from pipelines.charts.trend_data import indicator_trend
from pipelines.formatting import format_number_nb
from pipelines.progress.attainment import STATUS_COUNT_COLUMNS
from pipelines.progress.method import STATUS_LABELS_NB, direction_sign

NATIONAL = "land"
COUNTY = "fylke"
SHOWN = "shown"
# Cell statuses in the order the data notes explain them.
CELL_STATUSES = ("shown", "suppressed", "missing", "not_applicable")
# Statuses counted as "on track" in the summary.
GOOD_STATUSES = ("target_achieved", "substantial_progress")

IMPROVED = "improved"
DETERIORATED = "deteriorated"
UNCHANGED = "unchanged"
NEUTRAL = "neutral"
# A change too small for the indicator's decimals is printed with up to this many more.
EXTRA_CHANGE_DECIMALS = 2
# Units whose year-on-year changes are shown with one decimal more than the indicator's.
RATE_UNITS = frozenset({"percent", "per_1000_inhabitants", "per_1000_households", "per_1000_children"})


# --- Shapes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesAttainment:
    """One national indicator series (indicator × target group) judged against a strategy."""

    indicator_id: str
    indicator_name_nb: str
    target_group: str
    target_group_nb: str
    unit: str
    decimals: int
    direction: str
    baseline_year: int | None
    baseline_value: float | None
    current_year: int | None
    current_value: float | None
    target_kind: str | None
    target_value: float | None
    target_year: int | None
    status: str
    status_nb: str
    note_nb: str | None


@dataclass(frozen=True)
class Rollup:
    """A goal's or a target group's national roll-up, with the series it counts."""

    rollup_by: str  # "goal" | "target_group"
    rollup_id: str
    name_nb: str
    kind: str | None  # the goal's kind (goal, priority_area, result_target); None for target groups
    parent: str | None
    n_series: int
    n_assessed: int
    counts: dict[str, int]  # status → number of series, in STATUS_LABELS_NB order
    mean_score: float | None
    status: str
    status_nb: str
    series: tuple[SeriesAttainment, ...]


@dataclass(frozen=True)
class CountyCell:
    status: str
    status_nb: str
    n_assessed: int
    mean_score: float | None


@dataclass(frozen=True)
class CountyRow:
    geo_code: str
    geo_name: str
    cells: dict[str, CountyCell]  # goal id → roll-up; a goal without a row is absent


@dataclass(frozen=True)
class StrategySection:
    id: str
    name_nb: str
    short_name_nb: str
    first_year: int
    last_year: int
    baseline_year: int
    url: str
    goals: tuple[Rollup, ...]
    target_groups: tuple[Rollup, ...]
    county_goals: tuple[tuple[str, str], ...]  # (goal id, name) of the county table's columns
    counties: tuple[CountyRow, ...]
    # Every national series of the strategy (once per indicator × target group) by status.
    series_status_counts: dict[str, int]


@dataclass(frozen=True)
class Change:
    """A national series' latest value against its previous value."""

    indicator_id: str
    indicator_name_nb: str
    target_group: str
    target_group_nb: str
    unit: str
    decimals: int  # what the values are printed with: the indicator's, one more for rates
    direction: str
    previous_year: int
    previous_value: float
    year: int
    value: float
    change: float
    relative_change: float | None  # change / |previous|; None when the previous value is 0
    outcome: str  # improved | deteriorated | unchanged | neutral
    # «Grunnlag: 229 av 357 kommuner i 2024, 222 av 357 i 2023» when either value covers only some
    # municipalities (a voluntary survey, units that did not report); None when both are complete
    coverage_nb: str | None = None


@dataclass(frozen=True)
class NoValue:
    """A national series without a shown value in the report year."""

    indicator_id: str
    indicator_name_nb: str
    target_group: str
    target_group_nb: str
    status: str  # the cell status in the report year ("missing" when there is no row at all)
    last_year: int | None  # the latest earlier year with a value


@dataclass(frozen=True)
class SurveyNote:
    """What a survey source's figures are, and for a voluntary survey how many took part."""

    source_id: str
    name_nb: str
    kind: str  # voluntary | national_estimate
    about_nb: str
    participants: tuple[tuple[int, int, int], ...]  # (year, taking part, municipalities)


@dataclass(frozen=True)
class SourceNote:
    id: str
    name_nb: str
    producer_nb: str
    url: str


@dataclass(frozen=True)
class ChartRow:
    """One year of a trend chart: the national value (with its status) and the county bands.

    A band is None where the chart draws none (too few county values that year).
    """

    year: int
    national: float | None
    national_status: str  # shown, suppressed, missing, not_applicable; "" without a national row
    county_min: float | None
    county_max: float | None
    county_q1: float | None
    county_q3: float | None


@dataclass(frozen=True)
class ChartData:
    """The numbers a national trend chart draws (:mod:`pipelines.charts.trend_data`), per year:
    the data table printed beside the chart."""

    indicator_id: str
    name_nb: str
    unit: str
    decimals: int
    target_group: str | None
    target_group_nb: str  # "" for «alle» and for no group, as in the chart's subtitle
    rows: tuple[ChartRow, ...]
    has_national: bool
    has_range: bool  # whether any year has a min–max band
    has_iqr: bool  # whether any year has a midtre halvdel band


@dataclass(frozen=True)
class ReportContent:
    year: int
    data_origins: tuple[str, ...]  # distinct origins (ssb, file, synthetic) of everything shown
    synthetic: bool
    summary: tuple[str, ...]  # short sentences, numbers already in Norwegian format
    strategies: tuple[StrategySection, ...]
    changes: tuple[Change, ...]  # every series with a value in the year and an earlier one
    no_value: tuple[NoValue, ...]
    cell_status_counts: dict[str, int]  # all published cells of the year by status
    preliminary: tuple[str, ...]  # indicator names with preliminary values in the year
    stale: tuple[str, ...]  # indicator names with stale values in the year
    sources: tuple[SourceNote, ...]
    surveys: tuple[SurveyNote, ...]
    indicator_names: dict[str, str]
    key_indicators: tuple[str, ...]
    chart_data: dict[str, ChartData]  # key indicator → what its trend chart draws

    def changes_by(self, outcome: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.outcome == outcome)

    @property
    def improved(self) -> tuple[Change, ...]:
        return self.changes_by(IMPROVED)

    @property
    def deteriorated(self) -> tuple[Change, ...]:
        return self.changes_by(DETERIORATED)

    @property
    def unchanged(self) -> tuple[Change, ...]:
        return self.changes_by(UNCHANGED)

    @property
    def neutral(self) -> tuple[Change, ...]:
        return self.changes_by(NEUTRAL)


# --- Entry points ------------------------------------------------------------------------------


def key_indicators(catalogue: Catalogue) -> tuple[str, ...]:
    """The indicators whose trend charts the report shows by default: those with a target."""
    with_target = {t.indicator for t in catalogue.targets}
    return tuple(i for i in catalogue.indicators if i in with_target)


def latest_national_year(values: pd.DataFrame) -> int:
    """The latest year with a shown national value."""
    national = values[_is(values["geo_level"], NATIONAL) & _is(values["status"], SHOWN)]
    years = pd.to_numeric(national["year"], errors="coerce").dropna()
    if years.empty:
        raise ValueError("no shown national value: nothing to report")
    return int(years.max())


def report_content(
    values: pd.DataFrame,
    goal_attainment: pd.DataFrame,
    goal_rollup: pd.DataFrame,
    catalogue: Catalogue,
    year: int | None = None,
) -> ReportContent:
    """Everything «Styringsinformasjon <year>» says, computed from the public tables.

    ``values`` is the public indicator table (all levels, or at least the nation; the counts in
    the data notes cover the levels given), ``goal_attainment`` and ``goal_rollup`` the progress
    tables. ``year`` defaults to the latest year with a shown national value.
    """
    if year is None:
        year = latest_national_year(values)
    year = int(year)
    values = values.assign(year=pd.to_numeric(values["year"], errors="coerce"))
    national = values[_is(values["geo_level"], NATIONAL)]
    in_year = values[values["year"] == year]

    origins = _origins(national, goal_attainment, goal_rollup)
    names = {i.id: i.name_nb for i in catalogue.indicators.values()}

    strategies = tuple(
        _strategy_section(strategy, goal_attainment, goal_rollup, catalogue)
        for strategy in catalogue.strategies.values()
    )
    changes, no_value = _changes(national[national["year"] <= year], year, catalogue)
    n_series = len(national.loc[national["year"] == year, ["indicator_id", "target_group"]].drop_duplicates())
    return ReportContent(
        year=year,
        data_origins=origins,
        synthetic="synthetic" in origins,
        summary=_summary(year, n_series, strategies, changes, "synthetic" in origins),
        strategies=strategies,
        changes=changes,
        no_value=no_value,
        cell_status_counts=_cell_status_counts(in_year),
        preliminary=_flagged(in_year, "preliminary", names),
        stale=_flagged(in_year, "stale", names),
        sources=tuple(
            SourceNote(s.id, s.name_nb, s.producer_nb, s.url)
            for s in sorted(catalogue.sources.values(), key=lambda s: (s.producer_nb, s.name_nb))
        ),
        surveys=_survey_notes(national[national["year"] <= year], catalogue),
        indicator_names=names,
        key_indicators=key_indicators(catalogue),
        chart_data=chart_data(values, catalogue),
    )


def chart_data(values: pd.DataFrame, catalogue: Catalogue) -> dict[str, ChartData]:
    """What the trend chart of each key indicator draws, from the same public rows the chart step
    reads. An indicator without a single published value has no chart, and so no entry."""
    out = {}
    for indicator_id in key_indicators(catalogue):
        rows = values[_is(values["indicator_id"], indicator_id)]
        if not rows["value"].notna().any():
            continue
        indicator = catalogue.indicators[indicator_id]
        group, series = indicator_trend(rows, {"target_groups": list(indicator.target_groups)})
        target_group = catalogue.target_groups.get(group) if group else None
        group_nb = target_group.name_nb if target_group else (group or "")
        out[indicator_id] = ChartData(
            indicator_id=indicator_id,
            name_nb=indicator.name_nb,
            unit=indicator.unit,
            decimals=indicator.decimals,
            target_group=group,
            target_group_nb="" if group in (None, "alle") else group_nb,
            rows=tuple(
                ChartRow(
                    year=int(year),
                    national=_float_or_none(series.national[i]),
                    national_status=series.national_status[i],
                    county_min=_float_or_none(series.county_min[i]),
                    county_max=_float_or_none(series.county_max[i]),
                    county_q1=_float_or_none(series.county_q1[i]),
                    county_q3=_float_or_none(series.county_q3[i]),
                )
                for i, year in enumerate(series.years)
            ),
            has_national=series.has_national_rows,
            has_range=bool(np.isfinite(series.county_min).any()),
            has_iqr=bool(np.isfinite(series.county_q1).any()),
        )
    return out


# --- Goal attainment ---------------------------------------------------------------------------


def _strategy_section(
    strategy: Strategy, attainment: pd.DataFrame, rollup: pd.DataFrame, catalogue: Catalogue
) -> StrategySection:
    att = attainment[_is(attainment["strategy_id"], strategy.id) & _is(attainment["geo_level"], NATIONAL)]
    series = {
        (str(r["indicator_id"]), str(r["target_group"])): _series_row(r, strategy, catalogue)
        for r in att.to_dict("records")
    }
    order = {indicator_id: i for i, indicator_id in enumerate(catalogue.indicators)}

    def sort_key(s: SeriesAttainment) -> tuple:
        groups = catalogue.indicators[s.indicator_id].target_groups if s.indicator_id in order else []
        group_pos = groups.index(s.target_group) if s.target_group in groups else len(groups)
        return order.get(s.indicator_id, len(order)), group_pos, s.indicator_id, s.target_group

    strat_rollup = rollup[_is(rollup["strategy_id"], strategy.id)]
    land_rollup = strat_rollup[_is(strat_rollup["geo_level"], NATIONAL)]
    by_key = {(str(r["rollup_by"]), str(r["rollup_id"])): r for r in land_rollup.to_dict("records")}

    goals = []
    for goal in strategy.goals:
        row = by_key.get(("goal", goal.id))
        if row is None:
            continue
        # The same membership as goal_rollup: indicators serving the goal or one of its
        # priority areas, each once, with its headline target group.
        covered = {goal.id} | {g.id for g in strategy.goals if g.parent == goal.id}
        members = [
            series[(i.id, i.headline_group)]
            for i in catalogue.indicators.values()
            if any(r.strategy == strategy.id and r.goal in covered for r in i.serves)
            and (i.id, i.headline_group) in series
        ]
        goals.append(_rollup(row, "goal", goal.kind, goal.parent, sorted(members, key=sort_key)))

    groups = []
    for group in catalogue.target_groups.values():
        row = by_key.get(("target_group", group.id))
        if row is None:
            continue
        members = [s for (_, g), s in series.items() if g == group.id]
        groups.append(_rollup(row, "target_group", None, None, sorted(members, key=sort_key)))

    county_goals = tuple((g.id, g.name_nb) for g in strategy.goals if g.parent is None)
    counties = _county_rows(
        strat_rollup[_is(strat_rollup["geo_level"], COUNTY)], {g for g, _ in county_goals}
    )

    status_counts = {status: 0 for status in STATUS_LABELS_NB}
    for s in series.values():
        status_counts[s.status] = status_counts.get(s.status, 0) + 1

    return StrategySection(
        id=strategy.id,
        name_nb=strategy.name_nb,
        short_name_nb=strategy.name_nb.split(".")[0].strip(),
        first_year=strategy.first_year,
        last_year=strategy.last_year,
        baseline_year=strategy.baseline_year,
        url=strategy.url,
        goals=tuple(goals),
        target_groups=tuple(groups),
        county_goals=county_goals,
        counties=counties,
        series_status_counts=status_counts,
    )


def _series_row(row: Mapping, strategy: Strategy, catalogue: Catalogue) -> SeriesAttainment:
    indicator = catalogue.indicators.get(str(row["indicator_id"]))
    group_id = str(row["target_group"])
    group = catalogue.target_groups.get(group_id)
    baseline_year = _int_or_none(row.get("baseline_year"))
    note = None
    if baseline_year is not None and baseline_year != strategy.baseline_year:
        note = (
            f"Ingen verdi i {strategy.baseline_year}; utgangsverdien er fra {baseline_year}, "
            "første år med verdi i strategiperioden."
        )
    status = str(row["status"])
    return SeriesAttainment(
        indicator_id=str(row["indicator_id"]),
        indicator_name_nb=indicator.name_nb if indicator else str(row["indicator_id"]),
        target_group=group_id,
        target_group_nb=group.name_nb if group else group_id,
        unit=indicator.unit if indicator else "",
        decimals=indicator.decimals if indicator else 1,
        direction=str(row.get("direction") or (indicator.direction if indicator else "neutral")),
        baseline_year=baseline_year,
        baseline_value=_float_or_none(row.get("baseline_value")),
        current_year=_int_or_none(row.get("current_year")),
        current_value=_float_or_none(row.get("current_value")),
        target_kind=_str_or_none(row.get("target_kind")),
        target_value=_float_or_none(row.get("target_value")),
        target_year=_int_or_none(row.get("target_year")),
        status=status,
        status_nb=str(row.get("status_nb") or STATUS_LABELS_NB.get(status, status)),
        note_nb=note,
    )


def _rollup(
    row: Mapping, by: str, kind: str | None, parent: str | None, members: list[SeriesAttainment]
) -> Rollup:
    status = str(row["status"])
    return Rollup(
        rollup_by=by,
        rollup_id=str(row["rollup_id"]),
        name_nb=str(row["rollup_name_nb"]),
        kind=kind,
        parent=parent,
        n_series=int(row["n_series"]),
        n_assessed=int(row["n_assessed"]),
        counts={status_id: int(row[column]) for status_id, column in STATUS_COUNT_COLUMNS.items()},
        mean_score=_float_or_none(row.get("mean_score")),
        status=status,
        status_nb=str(row.get("status_nb") or STATUS_LABELS_NB.get(status, status)),
        series=tuple(members),
    )


def _county_rows(frame: pd.DataFrame, goal_ids: set[str]) -> tuple[CountyRow, ...]:
    frame = frame[_is(frame["rollup_by"], "goal") & frame["rollup_id"].isin(goal_ids)]
    rows: dict[str, CountyRow] = {}
    for r in frame.sort_values("geo_code").to_dict("records"):
        code = str(r["geo_code"])
        county = rows.setdefault(code, CountyRow(code, str(r["geo_name"]), {}))
        status = str(r["status"])
        county.cells[str(r["rollup_id"])] = CountyCell(
            status=status,
            status_nb=str(r.get("status_nb") or STATUS_LABELS_NB.get(status, status)),
            n_assessed=int(r["n_assessed"]),
            mean_score=_float_or_none(r.get("mean_score")),
        )
    return tuple(rows.values())


# --- Changes since the previous value --------------------------------------------------------


def classify_change(direction: str, change: float, decimals: int) -> str:
    """``improved``/``deteriorated`` by the sign of the change and the indicator's direction.

    ``neutral`` for an indicator without direction. The change is that of the unrounded values;
    below half a unit in the second decimal after the indicator's own (``change_decimals`` shows
    up to two more) it counts as ``unchanged``, since no printed digit would show it.
    """
    sign = direction_sign(direction)
    if sign is None:
        return NEUTRAL
    if abs(change) < 0.5 * 10.0 ** -(decimals + EXTRA_CHANGE_DECIMALS):
        return UNCHANGED
    return IMPROVED if sign * change > 0 else DETERIORATED


def change_decimals(change: float, decimals: int) -> int:
    """Decimals to print a change with: the indicator's, or up to two more if it would show as 0."""
    for extra in range(EXTRA_CHANGE_DECIMALS + 1):
        if round(abs(change), decimals + extra) != 0:
            return decimals + extra
    return decimals


def _changes(national: pd.DataFrame, year: int, catalogue: Catalogue) -> tuple[tuple, tuple]:
    changes: list[Change] = []
    no_value: list[NoValue] = []
    order = {indicator_id: i for i, indicator_id in enumerate(catalogue.indicators)}
    frame = national.assign(_shown=_is(national["status"], SHOWN) & national["value"].notna())
    keys = ["indicator_id", "target_group"]
    for (indicator_id, group_id), rows in frame.sort_values("year").groupby(keys, sort=False):
        indicator = catalogue.indicators.get(str(indicator_id))
        group = catalogue.target_groups.get(str(group_id))
        name = indicator.name_nb if indicator else str(indicator_id)
        group_nb = group.name_nb if group else str(group_id)
        shown = rows[rows["_shown"]]
        current = shown[shown["year"] == year]
        earlier = shown[shown["year"] < year]
        if current.empty:
            cell = rows[rows["year"] == year]
            status = str(cell["status"].iloc[-1]) if not cell.empty else "missing"
            last_year = int(earlier["year"].iloc[-1]) if not earlier.empty else None
            no_value.append(NoValue(str(indicator_id), name, str(group_id), group_nb, status, last_year))
            continue
        if earlier.empty:
            continue
        value = float(current["value"].iloc[-1])
        previous = float(earlier["value"].iloc[-1])
        unit = indicator.unit if indicator else str(rows["unit"].iloc[-1])
        # A year's change in a rate is small next to its level: one more decimal than the level.
        decimals = (indicator.decimals if indicator else 1) + (1 if unit in RATE_UNITS else 0)
        direction = indicator.direction if indicator else "neutral"
        change = value - previous
        changes.append(
            Change(
                indicator_id=str(indicator_id),
                indicator_name_nb=name,
                target_group=str(group_id),
                target_group_nb=group_nb,
                unit=unit,
                decimals=decimals,
                direction=direction,
                previous_year=int(earlier["year"].iloc[-1]),
                previous_value=previous,
                year=year,
                value=value,
                change=change,
                relative_change=change / abs(previous) if previous != 0 else None,
                outcome=classify_change(direction, change, decimals),
                coverage_nb=_coverage_nb(current.iloc[-1], earlier.iloc[-1]),
            )
        )

    def size(c: Change) -> tuple:
        # Largest relative change first; series without one (from zero) after, in catalogue order.
        rel = c.relative_change
        return (
            rel is None,
            -abs(rel) if rel is not None else 0.0,
            order.get(c.indicator_id, 0),
            c.target_group,
        )

    no_value.sort(key=lambda n: (order.get(n.indicator_id, len(order)), n.target_group))
    return tuple(sorted(changes, key=size)), tuple(no_value)


def _coverage_nb(current: Mapping, previous: Mapping) -> str | None:
    """«Grunnlag: 229 av 357 kommuner i 2024, 222 av 357 i 2023» when a value covers only some of
    its units: the two years may then rest on different municipalities."""
    pairs = [(_int_or_none(r.get("units_reported")), _int_or_none(r.get("units_total")), int(r["year"]))
             for r in (current, previous)]  # fmt: skip
    if all(n is None or total is None or n >= total for n, total, _ in pairs):
        return None
    (n1, t1, y1), (n0, t0, y0) = pairs
    units = UNIT_LEVEL_PLURAL_NB.get(str(current.get("unit_level")), "enheter")
    return f"Grunnlag: {_n(n1)} av {_n(t1)} {units} i {y1}, {_n(n0)} av {_n(t0)} i {y0}"


def _survey_notes(national: pd.DataFrame, catalogue: Catalogue) -> tuple[SurveyNote, ...]:
    """One note per survey source; a voluntary survey's participants per year are the most units
    any of its national series counted (``units_reported`` of the nation)."""
    notes = []
    for source in catalogue.sources.values():
        if source.survey is None:
            continue
        measures = {m.id for m in catalogue.measures_of(source.id)}
        indicators = [i.id for i in catalogue.indicators.values() if i.numerator in measures]
        participants: tuple[tuple[int, int, int], ...] = ()
        if source.survey.kind == "voluntary" and {"units_reported", "units_total"} <= set(national.columns):
            rows = national[national["indicator_id"].isin(indicators) & _is(national["status"], SHOWN)]
            per_year = rows.groupby("year")[["units_reported", "units_total"]].max()
            participants = tuple(
                (int(y), int(r.units_reported), int(r.units_total)) for y, r in per_year.iterrows()
            )
        notes.append(
            SurveyNote(source.id, source.name_nb, source.survey.kind, source.survey.about_nb, participants)
        )
    return tuple(notes)


# --- Data notes and summary ------------------------------------------------------------------


def _cell_status_counts(in_year: pd.DataFrame) -> dict[str, int]:
    counts = in_year["status"].astype(object).value_counts()
    result = {status: int(counts.get(status, 0)) for status in CELL_STATUSES}
    for status, n in counts.items():  # an unexpected status is shown, not hidden
        result.setdefault(str(status), int(n))
    return result


def _flagged(in_year: pd.DataFrame, column: str, names: Mapping[str, str]) -> tuple[str, ...]:
    if column not in in_year.columns:
        return ()
    flag = in_year[column].astype(object).fillna(False).astype(bool)
    ids = pd.unique(in_year.loc[flag, "indicator_id"].astype(object))
    order = list(names)
    return tuple(
        names.get(str(i), str(i))
        for i in sorted(ids, key=lambda i: order.index(i) if i in order else len(order))
    )


def _origins(*frames: pd.DataFrame) -> tuple[str, ...]:
    codes: set[str] = set()
    for frame in frames:
        if "data_origin" in frame.columns:
            codes |= {
                str(c).strip().lower() for c in frame["data_origin"].dropna().unique() if str(c).strip()
            }
    codes.discard("nan")
    known = ("ssb", "file", "synthetic")
    unknown = codes - set(known)
    if unknown:
        raise ValueError(f"unknown data_origin {sorted(unknown)}; expected {list(known)}")
    if not codes:
        raise ValueError("no data_origin in the tables; the report must say where its numbers come from")
    return tuple(code for code in known if code in codes)


def _summary(
    year: int,
    n_series: int,
    strategies: tuple[StrategySection, ...],
    changes: tuple[Change, ...],
    synthetic: bool,
) -> tuple[str, ...]:
    """A few sentences for the top of the report; counts in Norwegian format."""
    lines = [
        f"Styringsinformasjonen for {year} følger {_n(n_series)} nasjonale indikatorserier "
        "og måler hvor langt landet har kommet mot målene i de nasjonale boligsosiale strategiene."
    ]
    for section in strategies:
        counts = section.series_status_counts
        assessed = sum(n for s, n in counts.items() if s not in ("insufficient_data", "not_assessed"))
        good = sum(counts.get(s, 0) for s in GOOD_STATUSES)
        ended = (
            f" Strategiperioden er avsluttet; vurderingen gjelder utviklingen fram til {section.last_year}."
            if section.last_year < year
            else ""
        )
        lines.append(
            f"{section.short_name_nb} ({section.first_year}–{section.last_year}, utgangsår "
            f"{section.baseline_year}): {_n(good)} av {_n(assessed)} vurderte serier har nådd målet eller "
            f"har god framgang, {_n(counts.get('deterioration', 0))} har tilbakegang.{ended}"
        )
    outcomes = [c.outcome for c in changes]
    lines.append(
        f"Fra forrige måling til {year} ble {_n(outcomes.count(IMPROVED))} indikatorserier bedre og "
        f"{_n(outcomes.count(DETERIORATED))} verre; {_n(outcomes.count(NEUTRAL))} er kontekstindikatorer "
        "uten retning."
    )
    if synthetic:
        lines.append("Tallene er syntetiske demodata og kan ikke brukes som offisiell statistikk.")
    return tuple(lines)


def _n(count: int) -> str:
    return format_number_nb(count)


# --- Small helpers ----------------------------------------------------------------------------


def _is(column: pd.Series, value: str) -> pd.Series:
    """``column == value`` as a plain bool mask (NA counts as not equal)."""
    return column.astype(object).eq(value).fillna(False).astype(bool)


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _float_or_none(value) -> float | None:
    return None if _missing(value) else float(value)


def _int_or_none(value) -> int | None:
    return None if _missing(value) else int(value)


def _str_or_none(value) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)
