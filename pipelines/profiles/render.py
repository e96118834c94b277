"""Render every municipality profile: a PNG and an HTML page per municipality, index pages, an
index file and, as a separate step, one vector PDF per county.

Layout under ``base_dir``::

    profiles/index.html                the nation: every county and municipality (HTML)
    profiles/kommune/<kommunenr>.html  one accessible page per municipality (2024 borders)
    profiles/kommune/<kommunenr>.png   the same page as a picture, for slides
    profiles/fylke/<county_code>.html  the county's municipalities (HTML)
    profiles/statsforvalter/<SFxx>.html  a statsforvalter region's key indicators against the nation
                                       and its counties (HTML; 2024 borders only)
    profiles/fylke/<county_code>.pdf   the county's municipalities, one vector page each, by kommunenr
                                       (written by :func:`render_county_pdfs`)
    profiles/index.csv                 kommunenr → names, county, PNG, HTML, PDF and page in the PDF

Every file comes from one :func:`~pipelines.profiles.data.profile_data` table, so the HTML page,
the PNG and the PDF page of a municipality print the same numbers.

Speed: the page figure is built once per job and only its changing parts are redrawn per
municipality (see :mod:`pipelines.profiles.page`); PNGs are written unfiltered at zlib level 1.
With more than one worker (:mod:`pipelines.charts.pool`), the counties are shared out by size, so
each worker draws whole counties and the workers finish at about the same time.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.charts.png import encode_png
from pipelines.charts.pool import map_jobs, workers_for
from pipelines.exports.origin import is_synthetic
from pipelines.profiles.data import profile_data
from pipelines.profiles.page import DEFAULT_DPI, UPDATE_COLUMNS, PageContext, ProfilePage, page_context
from pipelines.profiles.regions import region_data, regions
from pipelines.profiles.spec import ProfileSpec, load_profile_spec
from pipelines.profiles.texts import document_title, page_origin_counts

PROFILES_DIR = Path("profiles")
MUNICIPALITY_DIR = "kommune"
COUNTY_DIR = "fylke"
REGION_DIR = "statsforvalter"
INDEX_FILE = "index.csv"
INDEX_COLUMNS = [
    "kommunenr",
    "kommune_name",
    "county_code",
    "county_name",
    "png",
    "html",
    "pdf",
    "pdf_page",
]
# A raster page takes ~25–60 ms and a spawned worker ~1.5 s to start (more with its own first
# full draw): below this many pages per worker, drawing them here is quicker.
PAGES_PER_WORKER = 80
# A vector page costs several times a raster page, so a worker pays off sooner.
PDF_PAGES_PER_WORKER = 20
PNG, PDF = "png", "pdf"


@dataclass(frozen=True)
class ProfileResult:
    pngs: list[Path]
    pages: list[Path]  # the municipalities' HTML pages
    index_pages: list[Path]  # the national and the county HTML indexes, the region pages
    index_path: Path


@dataclass(frozen=True)
class _Job:
    """Whole counties to draw, as plain picklable data."""

    kind: str  # PNG: a picture per municipality; PDF: a vector PDF per county
    counties: list[tuple[str, str, list[str]]]  # (county_code, county_name, kommunenr in order)
    template: pd.DataFrame  # any municipality's rows of profile_data: what every page shares
    columns: dict[str, np.ndarray]  # UPDATE_COLUMNS of the job's municipalities, in county order
    context: PageContext
    profiles_dir: Path
    dpi: int


def _pages(job: _Job):
    """(county_code, county_name, page number, kommunenr, the page's columns) in job order."""
    n_rows = len(job.template)
    start = 0
    for county_code, county_name, numbers in job.counties:
        for page_number, kommunenr in enumerate(numbers, start=1):
            columns = {name: rows[start : start + n_rows] for name, rows in job.columns.items()}
            yield county_code, county_name, page_number, kommunenr, columns
            start += n_rows


def _render_job(job: _Job) -> list[Path]:
    if job.kind == PDF:
        from pipelines.profiles.vector import write_county_pdf  # pypdf: only the PDF step needs it

        page = ProfilePage(job.template, job.context, dpi=job.dpi, blit=False)
        pages = list(_pages(job))
        written = []
        for county_code, county_name, _ in job.counties:
            columns = [p[4] for p in pages if p[0] == county_code]
            counts = page_origin_counts(o for c in columns for o in c["data_origin"])
            path = job.profiles_dir / COUNTY_DIR / f"{county_code}.pdf"
            title = document_title(page.year, county_name)
            written.append(write_county_pdf(path, page, columns, title=title, synthetic=is_synthetic(counts)))
        return written
    page = ProfilePage(job.template, job.context, dpi=job.dpi, blit=True)
    written = []
    for _, _, _, kommunenr, columns in _pages(job):
        page.update_columns(columns)
        png, _ = encode_png(page.render_rgb(), job.dpi)
        path = job.profiles_dir / MUNICIPALITY_DIR / f"{kommunenr}.png"
        path.write_bytes(png)
        written.append(path)
    return written


def _share_counties(counties: list[tuple[str, str, list[str]]], n: int) -> list[list]:
    """Counties over ``n`` workers, largest first to the least loaded (balanced by pages)."""
    loads = [0] * n
    shares: list[list] = [[] for _ in range(n)]
    for county in sorted(counties, key=lambda c: (-len(c[2]), c[0])):
        target = loads.index(min(loads))
        shares[target].append(county)
        loads[target] += len(county[2])
    return [sorted(share) for share in shares if share]


@dataclass(frozen=True)
class _Prepared:
    data: pd.DataFrame
    context: PageContext
    year: int
    counties: list[tuple[str, str, list[str]]]
    profiles_dir: Path


def _prepare(values, goal_attainment, geography, catalogue, base_dir, release, spec, year) -> _Prepared:
    spec = spec or load_profile_spec(catalogue)
    data = profile_data(values, goal_attainment, geography, catalogue, spec, year=year)
    n_rows = len(spec.rows)
    firsts = data.iloc[::n_rows]
    # profile_data sorts by municipality and row, and every municipality has every row, so
    # municipality i's rows are the i-th block of n_rows; workers slice plain arrays per page.
    if len(firsts) * n_rows != len(data) or firsts["kommunenr"].duplicated().any():
        raise ValueError("profile_data must give every municipality the same rows")
    counties: dict[str, tuple[str, list[str]]] = {}
    for number, code, name in zip(
        firsts["kommunenr"], firsts["county_code"], firsts["county_name"], strict=True
    ):
        counties.setdefault(str(code), (str(name), []))[1].append(str(number))
    county_list = [(code, name, numbers) for code, (name, numbers) in sorted(counties.items())]
    profiles_dir = Path(base_dir) / PROFILES_DIR
    for sub in (MUNICIPALITY_DIR, COUNTY_DIR):
        (profiles_dir / sub).mkdir(parents=True, exist_ok=True)
    return _Prepared(data, page_context(catalogue, spec, release), int(data["year"].max()), county_list,
                     profiles_dir)  # fmt: skip


def _run_jobs(prepared: _Prepared, kind: str, dpi: int, workers: int | None, per_worker: int) -> list[Path]:
    data, county_list = prepared.data, prepared.counties
    n_rows = data["row"].nunique()
    position = {str(number): i for i, number in enumerate(data["kommunenr"].iloc[::n_rows])}
    columns = {name: data[name].to_numpy(dtype=object) for name in UPDATE_COLUMNS}
    n_workers = max(1, min(workers or workers_for(len(position), per_worker), len(county_list)))
    jobs = []
    for share in _share_counties(county_list, n_workers):
        numbers = [number for _, _, county_numbers in share for number in county_numbers]
        rows = np.concatenate([np.arange(position[k] * n_rows, (position[k] + 1) * n_rows) for k in numbers])
        job_columns = {name: column[rows] for name, column in columns.items()}
        template = data.iloc[:n_rows]
        jobs.append(_Job(kind, share, template, job_columns, prepared.context, prepared.profiles_dir, dpi))
    return sorted(path for result in map_jobs(_render_job, jobs, len(jobs)) for path in result)


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
    """Write every municipality's profile as an HTML page and a PNG, the HTML indexes of the
    nation and the counties, and ``index.csv``.

    ``values`` is the public indicator table, ``goal_attainment`` and ``geography``
    (``dim_geography``) the release's tables of those names. Files of municipalities or counties
    that no longer exist are removed, so the folders always match the index. ``workers``
    (default: one per core when there are enough pages) draw whole counties in spawned processes.
    The county PDFs are :func:`render_county_pdfs`.
    """
    from pipelines.profiles.html import write_html_profiles, write_region_pages  # Jinja2: only here

    spec = spec or load_profile_spec(catalogue)
    prepared = _prepare(values, goal_attainment, geography, catalogue, base_dir, release, spec, year)
    pngs = _run_jobs(prepared, PNG, dpi, workers, PAGES_PER_WORKER)
    found = regions(geography)
    pages = write_html_profiles(prepared.data, prepared.context, prepared.year, prepared.profiles_dir,
                                MUNICIPALITY_DIR, COUNTY_DIR, found)  # fmt: skip
    profiles_dir = prepared.profiles_dir
    (profiles_dir / REGION_DIR).mkdir(exist_ok=True)
    table = region_data(values, found, catalogue, spec, prepared.data[["row", "year"]])
    region_pages = write_region_pages(
        table, found, prepared.context, prepared.year, profiles_dir / REGION_DIR
    )
    index_pages = [profiles_dir / "index.html"] + [
        profiles_dir / COUNTY_DIR / f"{code}.html" for code, _, _ in prepared.counties
    ]
    _remove_stale(profiles_dir / MUNICIPALITY_DIR, ("*.png", "*.html"), set(pngs) | set(pages))
    _remove_stale(profiles_dir / COUNTY_DIR, ("*.html",), set(index_pages))
    _remove_stale(profiles_dir / REGION_DIR, ("*.html",), set(region_pages))
    index_pages += region_pages
    index_path = _write_index(profiles_dir / INDEX_FILE, prepared.counties, prepared.data)
    return ProfileResult(pngs=pngs, pages=pages, index_pages=index_pages, index_path=index_path)


def render_county_pdfs(
    values: pd.DataFrame,
    goal_attainment: pd.DataFrame,
    geography: pd.DataFrame,
    catalogue: Catalogue,
    base_dir: Path,
    release: str,
    *,
    spec: ProfileSpec | None = None,
    year: int | None = None,
    workers: int | None = None,
) -> list[Path]:
    """One vector PDF per county with its municipalities' pages in kommunenr order (the pages
    ``index.csv`` names); PDFs of counties that no longer exist are removed."""
    prepared = _prepare(values, goal_attainment, geography, catalogue, base_dir, release, spec, year)
    pdfs = _run_jobs(prepared, PDF, DEFAULT_DPI, workers, PDF_PAGES_PER_WORKER)
    _remove_stale(prepared.profiles_dir / COUNTY_DIR, ("*.pdf",), set(pdfs))
    return pdfs


def _remove_stale(folder: Path, patterns: tuple[str, ...], keep: set[Path]) -> None:
    for pattern in patterns:
        for path in folder.glob(pattern):
            if path not in keep:
                path.unlink()


def _write_index(path: Path, counties: list, data: pd.DataFrame) -> Path:
    """``index.csv`` (UTF-8, comma separated); file paths are relative to the output folder. The PDF
    and its page are where :func:`render_county_pdfs` puts the municipality."""
    names = dict(zip(data["kommunenr"].astype(str), data["kommune_name"].astype(str), strict=False))
    relative = PROFILES_DIR.as_posix()
    entries = []
    for county_code, county_name, numbers in counties:
        for page_number, kommunenr in enumerate(numbers, start=1):
            entries.append(
                {
                    "kommunenr": kommunenr,
                    "kommune_name": names[kommunenr],
                    "county_code": county_code,
                    "county_name": county_name,
                    "png": f"{relative}/{MUNICIPALITY_DIR}/{kommunenr}.png",
                    "html": f"{relative}/{MUNICIPALITY_DIR}/{kommunenr}.html",
                    "pdf": f"{relative}/{COUNTY_DIR}/{county_code}.pdf",
                    "pdf_page": page_number,
                }
            )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=INDEX_COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(entries, key=lambda e: e["kommunenr"]))
    return path
