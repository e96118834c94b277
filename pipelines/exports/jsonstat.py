"""JSON-stat 2.0 per indicator — the format of Statistics Norway's own API.

Dimensions: ``Region`` (every geography; its level in ``extension.level``), ``Tid`` (year),
``Maalgruppe`` (target group) and ``ContentsCode`` (the value, with unit and decimals). Cells that
are missing, not applicable or suppressed are ``null`` in ``value`` with the SSB symbol in
``status`` (``..``, ``.``, ``:``); ``extension.status`` names our status for those cells.

One file per language (``jsonstat/nb/<id>.json``, ``jsonstat/en/<id>.json``), as SSB's API serves
one language per request: every JSON-stat reader (pyjstat, json-stat.js) reads each as it is.
Codes are the same in both; labels, units, the definition in ``note`` and the source text differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipelines.catalogue.labels import STATUS_SYMBOLS, UNIT_LABELS_EN, UNIT_LABELS_NB
from pipelines.catalogue.models import Indicator, TargetGroup
from pipelines.exports import origin
from pipelines.formatting import round_half_up

DIMENSIONS = ("Region", "Tid", "Maalgruppe", "ContentsCode")
LANGUAGES = ("nb", "en")
DIMENSION_LABELS = {
    "nb": {"Region": "region", "Tid": "år", "Maalgruppe": "målgruppe", "ContentsCode": "statistikkvariabel"},
    "en": {"Region": "region", "Tid": "year", "Maalgruppe": "target group", "ContentsCode": "contents"},
}
UNIT_LABELS = {"nb": UNIT_LABELS_NB, "en": UNIT_LABELS_EN}


def indicator_dataset(
    rows: pd.DataFrame,
    indicator: Indicator,
    target_groups: dict[str, TargetGroup],
    updated: str,
    lang: str = "nb",
) -> dict[str, Any]:
    """One indicator's public rows as a JSON-stat 2.0 dataset with labels in ``lang`` (nb or en).

    Values are rounded half up to the indicator's declared decimals (Parquet keeps them
    unrounded); ``source``, ``label`` and ``note`` say where the numbers come from
    (:mod:`pipelines.exports.origin`); ``updated`` is the build time
    (:func:`pipelines.exports.release.build_stamp`).
    """
    regions = rows[["geo_code", "geo_name", "geo_level"]].drop_duplicates("geo_code")
    years = sorted(int(y) for y in rows["year"].unique())
    groups = list(dict.fromkeys(g for g in indicator.target_groups if g in set(rows["target_group"])))
    grid = pd.MultiIndex.from_product([list(regions["geo_code"]), years, groups])
    cells = rows.set_index(["geo_code", "year", "target_group"]).reindex(grid)
    shown = ((cells["status"] == "shown") & cells["value"].notna()).to_numpy()
    values = [
        round_half_up(v, indicator.decimals) if ok else None
        for v, ok in zip(cells["value"].to_numpy(), shown, strict=True)
    ]
    symbols = cells["status"].map(STATUS_SYMBOLS).fillna("..").to_numpy()
    status = {str(i): str(symbols[i]) for i in np.flatnonzero(~shown)}
    counts = origin.origin_counts(rows["data_origin"])
    name = indicator.name_nb if lang == "nb" else indicator.name_en
    definition = indicator.definition_nb if lang == "nb" else indicator.definition_en
    labels = DIMENSION_LABELS[lang]
    decimals = indicator.decimals
    return {
        "version": "2.0",
        "class": "dataset",
        "label": f"{indicator.id}: {name}{origin.label_suffix(counts, lang)}",
        "source": origin.source_text(indicator.source_nb, counts, lang),
        "updated": updated,
        "note": [definition, origin.source_text(indicator.source_nb, counts, lang)],
        "id": list(DIMENSIONS),
        "size": [len(regions), len(years), len(groups), 1],
        "role": {"geo": ["Region"], "time": ["Tid"], "metric": ["ContentsCode"]},
        "dimension": {
            "Region": {
                "label": labels["Region"],
                "category": {
                    "index": {code: i for i, code in enumerate(regions["geo_code"])},
                    "label": dict(zip(regions["geo_code"], regions["geo_name"], strict=True)),
                },
                "extension": {"level": dict(zip(regions["geo_code"], regions["geo_level"], strict=True))},
            },
            "Tid": {
                "label": labels["Tid"],
                "category": {
                    "index": {str(y): i for i, y in enumerate(years)},
                    "label": {str(y): str(y) for y in years},
                },
            },
            "Maalgruppe": {
                "label": labels["Maalgruppe"],
                "category": {
                    "index": {g: i for i, g in enumerate(groups)},
                    "label": {
                        g: target_groups[g].name_nb if lang == "nb" else target_groups[g].name_en
                        for g in groups
                    },
                },
            },
            "ContentsCode": {
                "label": labels["ContentsCode"],
                "category": {
                    "index": {indicator.id: 0},
                    "label": {indicator.id: name},
                    "unit": {indicator.id: {"base": UNIT_LABELS[lang][indicator.unit], "decimals": decimals}},
                },
            },
        },
        "value": values,
        "status": status,
        "extension": {
            "language": lang,
            "data_origin": list(counts),
            "data_origin_rows": counts,
            "synthetic": origin.is_synthetic(counts),
            # our status name for every cell that has no number (its SSB symbol is in ``status``)
            "status": {i: str(cells["status"].iloc[int(i)] or "missing") for i in status},
        },
    }
