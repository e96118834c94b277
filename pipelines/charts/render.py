"""Render every chart kind of every catalogue indicator into ``charts/``.

Per indicator (all from the public tier):

- ``<id>.png``: the national trend with the county spread, targets and strategy periods;
- ``<id>_fylker.png``: county small multiples on a shared scale;
- ``<id>_malgrupper.png``: each target group against «alle» (only with more than one group);
- ``<id>_kostragrupper.png``: the municipalities within their KOSTRA groups in the latest year
  with municipal data (only when there are such data and the groups are known).

Charts are CPU-bound matplotlib work, so they are drawn in one forked worker per core. The
workers inherit the prepared per-indicator frames from the parent (fork copies memory on write),
so no table is pickled per job: a job is just (kind, indicator id, path).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.charts import counties, groups, position, style
from pipelines.charts.indicator_chart import DEFAULT_DPI, plot_indicator_trend, save_figure
from pipelines.forking import map_forked

CHARTS_DIR = Path("charts")

TREND = "trend"
COUNTIES = "fylker"
TARGET_GROUPS = "malgrupper"
COMPARISON_GROUPS = "kostragrupper"
# Heaviest first, so the pool's last jobs are short ones and the workers finish together.
CHART_KINDS = (COUNTIES, COMPARISON_GROUPS, TREND, TARGET_GROUPS)
FILE_SUFFIX = {
    TREND: "",
    COUNTIES: "_fylker",
    TARGET_GROUPS: "_malgrupper",
    COMPARISON_GROUPS: "_kostragrupper",
}
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
MIN_JOBS_FOR_POOL = 8

# Set by render_indicator_charts just before the pool forks; the workers read it. Keys: frames
# (indicator id → rows), specs (indicator id → chart spec), membership, release.
_SHARED: dict[str, object] = {}


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


def chart_path(base_dir: Path, indicator_id: str, kind: str = TREND) -> Path:
    """Where the chart of one kind for one indicator is written."""
    return base_dir / CHARTS_DIR / f"{indicator_id}{FILE_SUFFIX[kind]}.png"


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


def _render_job(job: tuple[str, str, Path]) -> Path | None:
    """Draw and save one chart from the shared frames; None when the kind does not apply.

    A chart that no longer applies (e.g. an indicator lost its second target group) has its old
    file removed, so the folder never shows a chart from an earlier run.
    """
    kind, indicator_id, path = job
    frames: dict = _SHARED["frames"]  # type: ignore[assignment]
    specs: dict = _SHARED["specs"]  # type: ignore[assignment]
    fig = _draw(kind, frames[indicator_id], specs[indicator_id], _SHARED["release"], _SHARED["membership"])
    if fig is None:
        path.unlink(missing_ok=True)
        return None
    return save_figure(fig, path, dpi=DPI[kind])


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
    reference). Paths come back per indicator (sorted by id) in the order trend, fylker,
    malgrupper, kostragrupper; kinds that do not apply to an indicator are left out.
    """
    out_dir = base_dir / CHARTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = [c for c in CHART_COLUMNS if c in values.columns]
    frames = {str(iid): rows for iid, rows in values[columns].groupby("indicator_id", sort=True)}
    specs = {iid: indicator_chart_spec(catalogue, iid) for iid in frames}
    membership = _membership(catalogue, geography) if COMPARISON_GROUPS in kinds else None
    jobs = [
        (kind, iid, chart_path(base_dir, iid, kind))
        for kind in sorted(kinds, key=CHART_KINDS.index)
        for iid in frames
    ]
    _SHARED.update(frames=frames, specs=specs, membership=membership, release=release)
    try:
        results = dict(zip(jobs, _run(jobs, _render_job, workers), strict=True))
    finally:
        _SHARED.clear()
    order = {kind: i for i, kind in enumerate((TREND, COUNTIES, TARGET_GROUPS, COMPARISON_GROUPS))}
    return [
        path
        for (kind, iid, _), path in sorted(results.items(), key=lambda item: (item[0][1], order[item[0][0]]))
        if path is not None
    ]


def _run(jobs: list, fn: Callable, workers: int | None) -> list:
    """``fn`` over ``jobs`` in one forked worker per core (see pipelines.forking)."""
    return map_forked(fn, jobs, workers, min_jobs=MIN_JOBS_FOR_POOL)
