"""Each indicator's map in the handbook: ``docs/kart/<indikator>.png`` and the figure that shows it.

The maps are drawn from the same public values as the rest of the handbook, with the map step's
code (:mod:`pipelines.maps`), but without a release date in the footer: like the handbook's text,
a map changes only when the published figures change, not with the day it was generated.
:func:`map_figures` is pure (no matplotlib); :func:`write_map_images` draws.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.handbook.document import Figure, demo, inline, strong
from pipelines.maps.data import MUNICIPALITY, MapData, alt_text_nb, map_data

MAPS_FOLDER = "kart"  # beside indikatorer.md/.html
DPI = 90  # small enough to commit 30 maps, sharp enough on a screen


def _maps(cat: Catalogue, values: pd.DataFrame) -> dict[str, MapData]:
    from pipelines.maps.build import geometry_names

    names = geometry_names()
    maps = {i: map_data(values, cat, i, names) for i in cat.indicators}
    return {i: m for i, m in maps.items() if m is not None}


def _figure(data: MapData) -> Figure:
    levels = "Kommuner og fylker" if MUNICIPALITY in data.levels else "Fylker"
    parts = [
        strong("Kart:"),
        f" {levels} i {data.year}, {data.target_group_nb.lower()}. Skraverte kommuner er skjult av "
        "personvernhensyn, grå mangler tall.",
    ]
    if data.synthetic:
        parts += [" ", demo("Syntetiske demodata.")]
    return Figure(f"{MAPS_FOLDER}/{data.indicator_id}.png", alt_text_nb(data), inline(*parts))


def map_figures(cat: Catalogue, values: pd.DataFrame) -> dict[str, Figure]:
    """indicator id → its map's figure, for the indicators with municipal or county values."""
    return {i: _figure(m) for i, m in _maps(cat, values).items()}


def write_map_images(cat: Catalogue, values: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Draw every map into ``out_dir/kart/`` and remove maps of indicators that no longer have one."""
    from pipelines.atomic import write_bytes_atomic
    from pipelines.maps.draw import MapCanvas

    folder = Path(out_dir) / MAPS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    canvas = MapCanvas(dpi=DPI)
    written = []
    for data in _maps(cat, values).values():
        canvas.paint(data, release="")
        written.append(write_bytes_atomic(folder / f"{data.indicator_id}.png", canvas.png()))
    for stale in set(folder.glob("*.png")) - set(written):
        stale.unlink()
    return written
