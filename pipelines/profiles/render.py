"""Render every municipality profile: one PNG per municipality, one PDF per county, an index.

Layout under ``base_dir``::

    profiles/kommune/<kommunenr>.png   one page per municipality (2024 borders)
    profiles/fylke/<county_code>.pdf   the county's municipalities, one page each, by kommunenr
    profiles/index.csv                 kommunenr → names, county, PNG, PDF and page in the PDF

Speed: the page figure is built once per job and only its changing parts are redrawn per
municipality (see :mod:`pipelines.profiles.page`); PNGs are written unfiltered at zlib level 1
and the county PDFs reuse the PNGs' compressed data (see :mod:`pipelines.profiles.raster`). With
more than one worker (:mod:`pipelines.charts.pool`), the counties are shared out by size, so each
worker writes whole PDFs and the workers finish at about the same time.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.charts.pool import map_jobs, workers_for
from pipelines.profiles.data import profile_data
from pipelines.profiles.page import DEFAULT_DPI, UPDATE_COLUMNS, PageContext, ProfilePage, page_context
from pipelines.profiles.raster import encode_png, write_pdf
from pipelines.profiles.spec import ProfileSpec, load_profile_spec

PROFILES_DIR = Path("profiles")
MUNICIPALITY_DIR = "kommune"
COUNTY_DIR = "fylke"
INDEX_FILE = "index.csv"
INDEX_COLUMNS = ["kommunenr", "kommune_name", "county_code", "county_name", "png", "pdf", "pdf_page"]
# A page takes ~25 ms and a spawned worker ~1.5 s to start (more with its own first full draw):
# below this many pages per worker, drawing them here is quicker.
PAGES_PER_WORKER = 80


@dataclass(frozen=True)
class ProfileResult:
    pngs: list[Path]
    pdfs: list[Path]
    index_path: Path


@dataclass(frozen=True)
class _Job:
    """Whole counties to draw, as plain picklable data."""

    counties: list[tuple[str, str, list[str]]]  # (county_code, county_name, kommunenr in order)
    template: pd.DataFrame  # any municipality's rows of profile_data: what every page shares
    columns: dict[str, np.ndarray]  # UPDATE_COLUMNS of the job's municipalities, in county order
    context: PageContext
    profiles_dir: Path
    dpi: int


def _render_job(job: _Job) -> list[dict[str, object]]:
    n_rows = len(job.template)
    page = ProfilePage(job.template, job.context, dpi=job.dpi, blit=True)
    entries: list[dict[str, object]] = []
    start = 0  # the first row of the page's municipality in job.columns
    for county_code, county_name, numbers in job.counties:
        pdf_path = job.profiles_dir / COUNTY_DIR / f"{county_code}.pdf"
        raster_pages = []
        for page_number, kommunenr in enumerate(numbers, start=1):
            page.update_columns({name: rows[start : start + n_rows] for name, rows in job.columns.items()})
            png, raster = encode_png(page.render_rgb(), job.dpi)
            png_path = job.profiles_dir / MUNICIPALITY_DIR / f"{kommunenr}.png"
            png_path.write_bytes(png)
            raster_pages.append(raster)
            entries.append(
                {
                    "kommunenr": kommunenr,
                    "kommune_name": job.columns["kommune_name"][start],
                    "county_code": county_code,
                    "county_name": county_name,
                    "png": png_path,
                    "pdf": pdf_path,
                    "pdf_page": page_number,
                }
            )
            start += n_rows
        write_pdf(pdf_path, raster_pages, title=f"Boligsosiale kommuneprofiler {page.year} – {county_name}")
    return entries


def _share_counties(counties: list[tuple[str, str, list[str]]], n: int) -> list[list]:
    """Counties over ``n`` workers, largest first to the least loaded (balanced by pages)."""
    loads = [0] * n
    shares: list[list] = [[] for _ in range(n)]
    for county in sorted(counties, key=lambda c: (-len(c[2]), c[0])):
        target = loads.index(min(loads))
        shares[target].append(county)
        loads[target] += len(county[2])
    return [sorted(share) for share in shares if share]


def render_profiles(
    values: pd.DataFrame,
    goal_attainment: pd.DataFrame,
    geography: pd.DataFrame,
    catalogue: Catalogue,
    base_dir: Path,
    release: str,
    *,
    spec: ProfileSpec | None = None,
    year: int | None = None,
    dpi: int = DEFAULT_DPI,
    workers: int | None = None,
) -> ProfileResult:
    """Write every municipality's profile page as PNG, the county PDFs and ``index.csv``.

    ``values`` is the public indicator table, ``goal_attainment`` and ``geography``
    (``dim_geography``) the warehouse tables of those names. Files of municipalities or counties
    that no longer exist are removed, so the folders always match the index. ``workers``
    (default: one per core when there are enough pages) draw whole counties in spawned processes.
    """
    spec = spec or load_profile_spec(catalogue)
    data = profile_data(values, goal_attainment, geography, catalogue, spec, year=year)
    context = page_context(catalogue, spec, release)

    profiles_dir = Path(base_dir) / PROFILES_DIR
    for sub in (MUNICIPALITY_DIR, COUNTY_DIR):
        (profiles_dir / sub).mkdir(parents=True, exist_ok=True)

    # profile_data sorts by municipality and row, and every municipality has every row, so
    # municipality i's rows are the i-th block of n_rows; workers slice plain arrays per page.
    n_rows = len(spec.rows)
    firsts = data.iloc[::n_rows]
    if len(firsts) * n_rows != len(data) or firsts["kommunenr"].duplicated().any():
        raise ValueError("profile_data must give every municipality the same rows")
    position = {str(number): i for i, number in enumerate(firsts["kommunenr"])}
    columns = {name: data[name].to_numpy(dtype=object) for name in UPDATE_COLUMNS}
    counties: dict[str, tuple[str, list[str]]] = {}
    for number, code, name in zip(
        firsts["kommunenr"], firsts["county_code"], firsts["county_name"], strict=True
    ):
        counties.setdefault(str(code), (str(name), []))[1].append(str(number))
    county_list = [(code, name, numbers) for code, (name, numbers) in sorted(counties.items())]

    n_workers = max(1, min(workers or workers_for(len(position), PAGES_PER_WORKER), len(county_list)))
    jobs = []
    for share in _share_counties(county_list, n_workers):
        numbers = [number for _, _, county_numbers in share for number in county_numbers]
        rows = np.concatenate([np.arange(position[k] * n_rows, (position[k] + 1) * n_rows) for k in numbers])
        job_columns = {name: column[rows] for name, column in columns.items()}
        jobs.append(_Job(share, data.iloc[:n_rows], job_columns, context, profiles_dir, dpi))
    results = map_jobs(_render_job, jobs, len(jobs))

    entries = sorted((e for result in results for e in result), key=lambda e: str(e["kommunenr"]))
    pngs = [Path(e["png"]) for e in entries]
    pdfs = sorted({Path(e["pdf"]) for e in entries})
    _remove_stale(profiles_dir / MUNICIPALITY_DIR, "*.png", set(pngs))
    _remove_stale(profiles_dir / COUNTY_DIR, "*.pdf", set(pdfs))
    index_path = _write_index(profiles_dir / INDEX_FILE, entries, Path(base_dir))
    return ProfileResult(pngs=pngs, pdfs=pdfs, index_path=index_path)


def _remove_stale(folder: Path, pattern: str, keep: set[Path]) -> None:
    for path in folder.glob(pattern):
        if path not in keep:
            path.unlink()


def _write_index(path: Path, entries: list[dict[str, object]], base_dir: Path) -> Path:
    """``index.csv`` (UTF-8, comma separated); file paths are relative to ``base_dir``."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS)
        writer.writeheader()
        for entry in entries:
            writer.writerow(
                {
                    **entry,
                    "png": Path(entry["png"]).relative_to(base_dir).as_posix(),
                    "pdf": Path(entry["pdf"]).relative_to(base_dir).as_posix(),
                }
            )
    return path
