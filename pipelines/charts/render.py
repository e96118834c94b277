"""Render every chart kind of every catalogue indicator into ``charts/``.

Per indicator (all from the public tier):

- ``<id>.png``: the national trend with the county spread, targets and strategy periods;
- ``<id>_fylker.png``: county small multiples on a shared scale;
- ``<id>_malgrupper.png``: each target group against «alle» (only with more than one group);
- ``<id>_kostragrupper.png``: the municipalities within their KOSTRA groups in the latest year
  with municipal data (only when there are such data and the groups are known).

Each chart is one job of plain data (its indicator's rows, the chart spec, the path), so the jobs
can be drawn in this process or in spawned workers (see :mod:`pipelines.charts.pool`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.charts import counties, groups, position, style
from pipelines.charts.files import (
    CHARTS_DIR,
    COMPARISON_GROUPS,
    COUNTIES,
    TARGET_GROUPS,
    TREND,
    chart_path,
)
from pipelines.charts.indicator_chart import DEFAULT_DPI, plot_indicator_trend, save_figure
from pipelines.charts.pool import map_jobs, workers_for

# Heaviest first, so the pool's last jobs are short ones and the workers finish together.
CHART_KINDS = (COUNTIES, COMPARISON_GROUPS, TREND, TARGET_GROUPS)
DPI = {
    TREND: DEFAULT_DPI,
    COUNTIES: counties.DPI,
    TARGET_GROUPS: DEFAULT_DPI,
    COMPARISON_GROUPS: position.DPI,
}

# The columns the charts read; the rest of the public table stays in the parent.
CHART_COLUMNS = [
    "indicator_id", "geo_level", "geo_code", "geo_name", "year", "target_group",
    "value", "unit", "status", "data_origin",
]  # fmt: skip
# A chart takes ~0.12 s to draw and a spawned worker ~1.5 s to start: below this many charts per
# worker, drawing them here is quicker.
CHARTS_PER_WORKER = 16


@dataclass(frozen=True)
class ChartJob:
    """One chart to draw, as plain picklable data."""

    kind: str
    rows: pd.DataFrame  # the indicator's rows of the public table (CHART_COLUMNS)
    spec: dict  # indicator_chart_spec
    release: str
    membership: pd.Series | None  # KOSTRA group per municipality (comparison-group charts only)
    path: Path


def indicator_chart_spec(catalogue: Catalogue, indicator_id: str) -> dict[str, object]:
    """What the charts need of one indicator, as plain picklable values."""
    indicator = catalogue.indicators[indicator_id]
    names = {g: tg.name_nb for g, tg in catalogue.target_groups.items()}
    return {
        "id": indicator.id,
        "name_nb": indicator.name_nb,
        "name_en": indicator.name_en,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "source_nb": indicator.source_nb,
        "decimals": indicator.decimals,
        "target_groups": list(indicator.target_groups),
        "target_group_names": {g: names.get(g, g) for g in ["alle", *indicator.target_groups]},
        "strategies": style.strategy_periods(catalogue),
        "targets": style.indicator_targets(catalogue, indicator.id),
    }


def _draw(kind: str, rows: pd.DataFrame, spec: dict, release: str, membership: pd.Series | None):
    if kind == TREND:
        return plot_indicator_trend(rows, spec, release)
    if kind == COUNTIES:
        return counties.plot_county_panels(rows, spec, release)
    if kind == TARGET_GROUPS:
        return groups.plot_target_groups(rows, spec, release)
    if kind == COMPARISON_GROUPS:
        if membership is None or membership.empty:
            return None
        return position.plot_comparison_groups(rows, spec, release, membership)
    raise ValueError(f"unknown chart kind {kind!r}")


def render_chart(job: ChartJob) -> Path | None:
    """Draw and save one chart; None when the kind does not apply.

    A chart that no longer applies (e.g. an indicator lost its second target group) has its old
    file removed, so the folder never shows a chart from an earlier run.
    """
    fig = _draw(job.kind, job.rows, job.spec, job.release, job.membership)
    if fig is None:
        job.path.unlink(missing_ok=True)
        return None
    return save_figure(fig, job.path, dpi=DPI[job.kind])


def _membership(catalogue: Catalogue, geography: pd.DataFrame | None) -> pd.Series | None:
    """KOSTRA group per municipality: from ``geography``, else the bundled 2024 reference (only
    when the warehouse uses 2024 borders, which the reference groups are for)."""
    if geography is not None:
        return position.kostra_membership(geography)
    vintage = getattr(getattr(catalogue, "settings", None), "geography_vintage", None)
    if vintage not in (None, 2024):
        return None
    try:
        return position.kostra_membership()
    except FileNotFoundError:
        return None


def render_indicator_charts(
    values: pd.DataFrame,
    catalogue: Catalogue,
    base_dir: Path,
    release: str,
    geography: pd.DataFrame | None = None,
    *,
    kinds: tuple[str, ...] = CHART_KINDS,
    workers: int | None = None,
) -> list[Path]:
    """Write every chart kind for every indicator in ``values``; returns the paths written.

    ``values`` is the public indicator table; ``geography`` (``dim_geography`` or
    ``dim_comparison_group``) gives each municipality's KOSTRA group (default: the bundled
    reference). An indicator without a single published value gets no charts. Paths come back
    per indicator (sorted by id) in the order trend, fylker,
    malgrupper, kostragrupper; kinds that do not apply to an indicator are left out. ``workers``
    (default: one per core when there are enough charts) draw the charts in spawned processes.
    """
    out_dir = base_dir / CHARTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = [c for c in CHART_COLUMNS if c in values.columns]
    # An indicator with no published figure at all (a live run where its StatBank table is unknown)
    # gets no chart: there is nothing to draw and no origin to credit.
    frames = {
        str(iid): rows
        for iid, rows in values[columns].groupby("indicator_id", sort=True)
        if rows["value"].notna().any()
    }
    specs = {iid: indicator_chart_spec(catalogue, iid) for iid in frames}
    membership = _membership(catalogue, geography) if COMPARISON_GROUPS in kinds else None
    jobs = [
        ChartJob(
            kind,
            frames[iid],
            specs[iid],
            release,
            membership if kind == COMPARISON_GROUPS else None,
            chart_path(base_dir, iid, kind),
        )  # fmt: skip
        for kind in sorted(kinds, key=CHART_KINDS.index)
        for iid in frames
    ]
    results = map_jobs(render_chart, jobs, workers or workers_for(len(jobs), CHARTS_PER_WORKER))
    order = {kind: i for i, kind in enumerate((TREND, COUNTIES, TARGET_GROUPS, COMPARISON_GROUPS))}
    keys = [(job.spec["id"], order[job.kind]) for job in jobs]
    return [path for _, path in sorted(zip(keys, results, strict=True)) if path is not None]
