"""Decode a JSON-stat2 dataset (StatBank's ``outputFormat=json-stat2``) into one row per cell.

JSON-stat2 sends a flat ``value`` array in row-major order: the last dimension in ``id`` changes
fastest. Special symbols travel in ``status`` (flat index → symbol) with ``value`` null. We keep
the symbol beside the value and never turn a missing or suppressed cell into a number:

=========  ==========================================================  ==========================
symbol     meaning (SSB standard)                                      result
=========  ==========================================================  ==========================
``.``      not possible to state (category not in use)                 value NaN, status "."
``..``     data missing / too uncertain                                value NaN, status ".."
``...``    not yet available                                           value NaN, status "..."
``:``      suppressed for confidentiality                              value NaN, status ":"
``-``      exactly zero                                                value 0.0, status "-"
``*``      preliminary                                                 value kept, status "*"
=========  ==========================================================  ==========================
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

MISSING_SYMBOLS = frozenset({".", "..", "...", ":"})
ZERO_SYMBOL = "-"
PRELIMINARY_SYMBOL = "*"
_TABLE_ID_IN_LABEL = re.compile(r"^\s*(\d{5})\s*:")


def category_codes(document: dict[str, Any], dimension_id: str) -> list[str]:
    """The category codes of one dimension, in the dataset's order.

    ``category.index`` may be a dict (code → position, as SSB sends it) or a list of codes; a
    dimension with a single category may leave ``index`` out and give only ``label``.
    """
    try:
        category = document["dimension"][dimension_id].get("category") or {}
    except KeyError as exc:
        raise ValueError(
            f"JSON-stat: dimension '{dimension_id}' is listed in 'id' but not described"
        ) from exc
    index = category.get("index")
    if index is None:
        labels = category.get("label") or {}
        if len(labels) == 1:
            return [str(code) for code in labels]
        raise ValueError(f"JSON-stat: dimension '{dimension_id}' has no category.index")
    if isinstance(index, list):
        return [str(code) for code in index]
    if isinstance(index, dict):
        ordered = sorted(index.items(), key=lambda item: item[1])
        if [position for _, position in ordered] != list(range(len(ordered))):
            raise ValueError(
                f"JSON-stat: dimension '{dimension_id}' category.index positions "
                f"are not 0..{len(ordered) - 1}"
            )
        return [str(code) for code, _ in ordered]
    raise ValueError(f"JSON-stat: dimension '{dimension_id}' category.index is neither a dict nor a list")


def dimension_codes(document: dict[str, Any]) -> dict[str, list[str]]:
    """Category codes per dimension, in ``id`` order. Works on metadata documents without values."""
    ids = document.get("id")
    if not isinstance(ids, list):
        raise ValueError("JSON-stat: not a dataset — 'id' (the list of dimensions) is missing")
    return {str(dimension_id): category_codes(document, dimension_id) for dimension_id in ids}


def decode(document: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One row per cell: a column per dimension id (codes as text), ``value`` (float) and ``status``.

    ``status`` holds the SSB symbol or None; see the module docstring for how each symbol sets
    ``value``. Rows come in the dataset's row-major order (last dimension fastest).

    Also returns metadata: ``label``, ``source``, ``updated`` (the data vintage), ``table_id``
    (``extension.px.tableid``, else the five digits that start the label, else None), ``units``
    (metric category code → ``{"base": ..., "decimals": ...}``), ``role`` and ``dimensions``
    (id → ``{"label": ..., "categories": {code: label}}``).

    Raises ``ValueError`` naming the problem when ``id`` and ``size`` differ in length, a size
    does not match its category count, or ``len(value)`` is not the product of ``size``.
    """
    if document.get("class", "dataset") != "dataset":
        raise ValueError(f"JSON-stat: expected class 'dataset', got {document.get('class')!r}")
    ids = document.get("id")
    sizes = document.get("size")
    if not isinstance(ids, list) or not isinstance(sizes, list):
        raise ValueError("JSON-stat: 'id' and 'size' must both be lists")
    if len(ids) != len(sizes):
        raise ValueError(f"JSON-stat: 'id' has {len(ids)} dimensions but 'size' has {len(sizes)} entries")
    codes = dimension_codes(document)
    for dimension_id, size in zip(ids, sizes, strict=True):
        if len(codes[dimension_id]) != size:
            raise ValueError(
                f"JSON-stat: dimension '{dimension_id}' has size {size} "
                f"but {len(codes[dimension_id])} categories"
            )
    n_cells = math.prod(sizes)
    values = _values(document.get("value"), n_cells)
    statuses = _statuses(document.get("status"), n_cells)

    # Apply SSB's symbols: missing/suppressed are never numbers, '-' is an exact zero.
    for position, symbol in enumerate(statuses):
        if symbol is None:
            continue
        if symbol in MISSING_SYMBOLS:
            values[position] = np.nan
        elif symbol == ZERO_SYMBOL and np.isnan(values[position]):
            values[position] = 0.0

    columns: dict[str, Any] = {}
    repeat = n_cells
    for dimension_id, size in zip(ids, sizes, strict=True):
        # Row-major: a dimension's code repeats for the product of the sizes after it, and the
        # whole pattern tiles for the product of the sizes before it.
        repeat //= max(size, 1)
        tile = n_cells // (size * repeat) if size and repeat else 0
        labels = np.array(codes[dimension_id], dtype=object)
        columns[dimension_id] = pd.Series(np.tile(np.repeat(labels, repeat), tile), dtype="str")
    columns["value"] = pd.Series(values, dtype="float64")
    columns["status"] = pd.Series(statuses, dtype=object)
    frame = pd.DataFrame(columns)
    return frame, _metadata(document, ids)


def _values(raw_values: Any, n_cells: int) -> np.ndarray:
    if raw_values is None:
        raise ValueError("JSON-stat: 'value' is missing")
    if isinstance(raw_values, dict):  # sparse form: {"flat index": value}
        values = np.full(n_cells, np.nan)
        for position, value in raw_values.items():
            index = int(position)
            if not 0 <= index < n_cells:
                raise ValueError(f"JSON-stat: value index {index} is outside 0..{n_cells - 1}")
            values[index] = np.nan if value is None else float(value)
        return values
    if len(raw_values) != n_cells:
        raise ValueError(
            f"JSON-stat: 'value' has {len(raw_values)} entries but the product of 'size' is {n_cells}"
        )
    try:
        return np.array(raw_values, dtype="float64")  # None becomes NaN
    except (TypeError, ValueError) as exc:
        raise ValueError(f"JSON-stat: 'value' holds something that is not a number or null: {exc}") from exc


def _statuses(raw_status: Any, n_cells: int) -> list[str | None]:
    statuses: list[str | None] = [None] * n_cells
    if raw_status is None:
        return statuses
    if isinstance(raw_status, str):  # one symbol for every cell
        return [raw_status] * n_cells
    if isinstance(raw_status, list):
        if len(raw_status) == 1:  # JSON-stat: a one-element array applies to all cells
            return [raw_status[0] or None] * n_cells
        if len(raw_status) != n_cells:
            raise ValueError(
                f"JSON-stat: 'status' has {len(raw_status)} entries but there are {n_cells} cells"
            )
        return [symbol or None for symbol in raw_status]
    if isinstance(raw_status, dict):
        for position, symbol in raw_status.items():
            index = int(position)
            if not 0 <= index < n_cells:
                raise ValueError(f"JSON-stat: status index {index} is outside 0..{n_cells - 1}")
            statuses[index] = symbol or None
        return statuses
    raise ValueError("JSON-stat: 'status' must be a string, a list or a dict")


def _metadata(document: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    role = document.get("role") or {}
    dimensions = {}
    for dimension_id in ids:
        dimension = document["dimension"][dimension_id]
        dimensions[dimension_id] = {
            "label": dimension.get("label"),
            "categories": dict((dimension.get("category") or {}).get("label") or {}),
        }
    metric_ids = role.get("metric") or (["ContentsCode"] if "ContentsCode" in ids else [])
    units: dict[str, Any] = {}
    for metric_id in metric_ids:
        units.update(((document["dimension"][metric_id].get("category") or {}).get("unit")) or {})
    label = document.get("label")
    table_id = ((document.get("extension") or {}).get("px") or {}).get("tableid")
    if table_id is None and label:
        match = _TABLE_ID_IN_LABEL.match(label)
        table_id = match.group(1) if match else None
    return {
        "label": label,
        "source": document.get("source"),
        "updated": document.get("updated"),
        "table_id": table_id,
        "units": units,
        "role": role,
        "dimensions": dimensions,
    }
