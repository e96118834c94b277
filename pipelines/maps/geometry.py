"""The 2024 municipality and county boundaries, read and projected once.

Source: Kartverket's administrative units (simplified), ``data/reference/geo/`` — GeoJSON in
WGS 84 longitude/latitude, credit «© Kartverket» (CC BY 4.0, see ``data/reference/SOURCES.md``).
Read with the standard library's ``json``: 31 000 vertices need no GIS stack.

Projection: a spherical Lambert azimuthal equal-area projection centred at 15° E, 65° N (the
middle of mainland Norway), on the authalic sphere (R = 6 371 007 m). It keeps areas true — a
choropleth's colour is read per area, so Finnmark is not drawn larger than it is, nor the north
stretched as in plain longitude/latitude — and bends the country less than UTM 33 does at its
ends. Treating geodetic latitude as spherical changes areas by well under 1 %. Coordinates come
out in kilometres east and north of the centre.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from pipelines.paths import REFERENCE_DIR

GEO_DIR = REFERENCE_DIR / "geo"
MUNICIPALITIES_FILE = "kommuner_2024.geojson"
COUNTIES_FILE = "fylker_2024.geojson"
CODE_PROPERTY = {MUNICIPALITIES_FILE: "kommunenummer", COUNTIES_FILE: "fylkesnummer"}
NAME_PROPERTY = {MUNICIPALITIES_FILE: "kommunenavn", COUNTIES_FILE: "fylkesnavn"}
CREDIT_NB = "Kart: © Kartverket (CC BY 4.0)"

EARTH_RADIUS_KM = 6371.0072  # authalic sphere: the sphere with the ellipsoid's surface area
CENTRE_LON, CENTRE_LAT = 15.0, 65.0


def project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude in degrees → (x, y) in km, Lambert azimuthal equal-area (see module)."""
    lam = np.radians(np.asarray(lon, dtype=float) - CENTRE_LON)
    phi = np.radians(np.asarray(lat, dtype=float))
    phi0 = math.radians(CENTRE_LAT)
    cos_c = math.sin(phi0) * np.sin(phi) + math.cos(phi0) * np.cos(phi) * np.cos(lam)
    k = np.sqrt(2.0 / (1.0 + cos_c))
    x = EARTH_RADIUS_KM * k * np.cos(phi) * np.sin(lam)
    y = EARTH_RADIUS_KM * k * (math.cos(phi0) * np.sin(phi) - math.sin(phi0) * np.cos(phi) * np.cos(lam))
    return x, y


@dataclass(frozen=True)
class Region:
    """One municipality or county: its code, name and projected rings.

    ``polygons`` holds, per part, the outer ring first and then its holes, each an (n, 2) array
    of km. Outer rings run counter-clockwise and holes clockwise (re-oriented on reading), so a
    non-zero fill leaves the holes empty whatever order the source file used.
    """

    code: str
    name: str
    polygons: tuple[tuple[np.ndarray, ...], ...]

    @property
    def area_km2(self) -> float:
        return sum(
            _signed_area(rings[0]) + sum(_signed_area(hole) for hole in rings[1:]) for rings in self.polygons
        )

    @property
    def vertex_count(self) -> int:
        return sum(len(ring) for rings in self.polygons for ring in rings)


def _signed_area(ring: np.ndarray) -> float:
    """Shoelace area, positive for a counter-clockwise ring."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _ring(coordinates: list, outer: bool) -> np.ndarray:
    lonlat = np.asarray(coordinates, dtype=float)
    x, y = project(lonlat[:, 0], lonlat[:, 1])
    ring = np.column_stack([x, y])
    counter_clockwise = _signed_area(ring) > 0
    return ring if counter_clockwise == outer else ring[::-1].copy()


def read_regions(name: str, geo_dir: Path = GEO_DIR) -> tuple[Region, ...]:
    """Every feature of ``geo_dir/name`` as a projected :class:`Region`, sorted by code."""
    path = geo_dir / name
    if not path.is_file():
        raise FileNotFoundError(f"boundary file missing: {path} (the project ships it in data/reference/geo)")
    collection = json.loads(path.read_text(encoding="utf-8"))
    regions = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        parts = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        polygons = tuple(tuple(_ring(ring, outer=i == 0) for i, ring in enumerate(part)) for part in parts)
        props = feature["properties"]
        regions.append(Region(str(props[CODE_PROPERTY[name]]), str(props[NAME_PROPERTY[name]]), polygons))
    return tuple(sorted(regions, key=lambda r: r.code))


@lru_cache(maxsize=2)
def municipalities(geo_dir: Path = GEO_DIR) -> tuple[Region, ...]:
    """The 357 municipalities of 2024, projected (cached: read once per process)."""
    return read_regions(MUNICIPALITIES_FILE, geo_dir)


@lru_cache(maxsize=2)
def counties(geo_dir: Path = GEO_DIR) -> tuple[Region, ...]:
    """The 15 counties of 2024, projected (cached)."""
    return read_regions(COUNTIES_FILE, geo_dir)


def bounds(regions: tuple[Region, ...]) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) of every ring, in km."""
    stacked = np.concatenate([ring for region in regions for rings in region.polygons for ring in rings])
    return (
        float(stacked[:, 0].min()),
        float(stacked[:, 1].min()),
        float(stacked[:, 0].max()),
        float(stacked[:, 1].max()),
    )
