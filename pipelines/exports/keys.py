"""Single-column keys for BI tools, added to a table just before it is exported.

Power BI relates two tables on one column. The release therefore carries, beside the readable
compound keys, ``geo_key`` = ``<geo_level>:<geo_code>`` (``kommune:0301``, ``fylke:03``,
``land:EAK``) in the fact, the progress tables and ``dim_geography`` (where it is unique), and
``is_headline`` in the fact: true on the rows of each indicator's headline target group
(``headline_target_group`` in ``assets/indicators.yaml``), so that a report filtered on it shows
exactly one series per indicator. Plain pyarrow; no Dagster.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.catalogue import Catalogue

GEO_KEY_SEPARATOR = ":"


def geo_key(geo_level: str, geo_code: str) -> str:
    """The single-column geography key, e.g. ``geo_key("kommune", "0301") == "kommune:0301"``."""
    return f"{geo_level}{GEO_KEY_SEPARATOR}{geo_code}"


def with_geo_key(table: pa.Table) -> pa.Table:
    """``table`` with a ``geo_key`` column built from its ``geo_level`` and ``geo_code``."""
    key = pc.binary_join_element_wise(
        table.column("geo_level").cast(pa.string()),
        table.column("geo_code").cast(pa.string()),
        GEO_KEY_SEPARATOR,
    )
    return _set_column(table, "geo_key", key)


def headline_groups(catalogue: Catalogue) -> dict[str, str]:
    """Indicator id → its headline target group."""
    return {i.id: i.headline_group for i in catalogue.indicators.values()}


def with_is_headline(table: pa.Table, catalogue: Catalogue) -> pa.Table:
    """``table`` with ``is_headline``: whether the row's target group is its indicator's headline group."""
    separator = "\x1f"  # in no id: the pair (indicator, group) as one string
    headline = pa.array(
        [f"{indicator}{separator}{group}" for indicator, group in headline_groups(catalogue).items()],
        pa.string(),
    )
    series = pc.binary_join_element_wise(
        table.column("indicator_id").cast(pa.string()),
        table.column("target_group").cast(pa.string()),
        separator,
    )
    return _set_column(table, "is_headline", pc.is_in(series, value_set=headline))


def _set_column(table: pa.Table, name: str, values: pa.ChunkedArray | pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)
