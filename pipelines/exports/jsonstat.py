"""JSON-stat 2.0 per indicator — the format of Statistics Norway's own API.

Dimensions: ``Region`` (every geography; its level in ``extension.level``), ``Tid`` (year),
``Maalgruppe`` (target group) and ``ContentsCode`` (the value, with unit and decimals). Cells that
are missing, not applicable or suppressed are ``null`` in ``value`` with the SSB symbol in
``status`` (``..``, ``.``, ``:``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.catalogue.labels import STATUS_SYMBOLS, UNIT_LABELS_NB
from pipelines.catalogue.models import Indicator

DIMENSIONS = ("Region", "Tid", "Maalgruppe", "ContentsCode")


def indicator_dataset(rows: pd.DataFrame, indicator: Indicator, release: str, source: str) -> dict[str, Any]:
    """One indicator's public rows as a JSON-stat 2.0 dataset."""
    regions = rows[["geo_code", "geo_name", "geo_level"]].drop_duplicates("geo_code")
    years = sorted(int(y) for y in rows["year"].unique())
    groups = list(dict.fromkeys(g for g in indicator.target_groups if g in set(rows["target_group"])))
    grid = pd.MultiIndex.from_product([list(regions["geo_code"]), years, groups])
    cells = rows.set_index(["geo_code", "year", "target_group"]).reindex(grid)
    shown = ((cells["status"] == "shown") & cells["value"].notna()).to_numpy()
    values = [float(v) if ok else None for v, ok in zip(cells["value"].to_numpy(), shown, strict=True)]
    symbols = cells["status"].map(STATUS_SYMBOLS).fillna("..").to_numpy()
    status = {str(i): str(symbols[i]) for i in np.flatnonzero(~shown)}
    origins = sorted(set(rows["data_origin"].dropna()))
    return {
        "version": "2.0",
        "class": "dataset",
        "label": f"{indicator.id}: {indicator.name_nb}",
        "source": source,
        "updated": f"{release}T00:00:00Z" if len(release) == 10 else release,
        "id": list(DIMENSIONS),
        "size": [len(regions), len(years), len(groups), 1],
        "role": {"geo": ["Region"], "time": ["Tid"], "metric": ["ContentsCode"]},
        "dimension": {
            "Region": {
                "label": "region",
                "category": {
                    "index": {code: i for i, code in enumerate(regions["geo_code"])},
                    "label": dict(zip(regions["geo_code"], regions["geo_name"], strict=True)),
                },
                "extension": {"level": dict(zip(regions["geo_code"], regions["geo_level"], strict=True))},
            },
            "Tid": {
                "label": "år",
                "category": {
                    "index": {str(y): i for i, y in enumerate(years)},
                    "label": {str(y): str(y) for y in years},
                },
            },
            "Maalgruppe": {
                "label": "målgruppe",
                "category": {"index": {g: i for i, g in enumerate(groups)}, "label": {g: g for g in groups}},
            },
            "ContentsCode": {
                "label": "statistikkvariabel",
                "category": {
                    "index": {indicator.id: 0},
                    "label": {indicator.id: indicator.name_nb},
                    "unit": {
                        indicator.id: {"base": UNIT_LABELS_NB[indicator.unit], "decimals": indicator.decimals}
                    },
                },
            },
        },
        "value": values,
        "status": status,
        "extension": {"data_origin": origins, "synthetic": "synthetic" in origins},
    }
