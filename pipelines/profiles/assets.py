"""Dagster assets of the municipality profiles: the pages (HTML and PNG) and the county PDFs."""

from __future__ import annotations

import dagster as dg

from pipelines.exports.assets import public_release
from pipelines.exports.reader import latest_release, open_release
from pipelines.metadata import PUBLIC, asset_args
from pipelines.previews import preview_markdown
from pipelines.resources import OutputPaths, catalogue

PREVIEW_MUNICIPALITY = "0301"  # Oslo: the profile shown as a preview in the UI


@dg.asset(
    group_name="publication",
    kinds={"matplotlib", "png", "html"},
    deps=[public_release],
    **asset_args("publication", PUBLIC),
)
def municipality_profiles(paths: OutputPaths) -> dg.MaterializeResult:
    """One profile per municipality (357): its key indicators (`assets/profiles.yaml`) for the
    latest year with data, against its county and the nation, with the change since the year
    before (green arrow: the right direction, red: the wrong one), where it lies among all
    municipalities, and its progress status in Alle trenger et trygt hjem.

    Files: `profiles/kommune/<kommunenr>.html` — the accessible page (real text, the numbers in a
    table, the charts as pictures with a text alternative) — and `<kommunenr>.png`, the same page
    as a picture for slides; `profiles/fylke/<fylkesnr>.html` and `profiles/index.html` link them
    per county and for the whole country; `profiles/statsforvalter/<SFxx>.html` is one page per
    statsforvalter region (SF01–SF10, the project's own codes) with its key indicators against the
    nation and each of its counties, linked from the national index; `profiles/index.csv` finds
    every municipality's files by number.
    The county PDFs for printing are the asset `county_profile_pdfs`.

    Reads only the published public release (`exports/public/latest/`), never the warehouse: a
    hidden value shows as «:», never as a number.
    """
    from pipelines.profiles.build import build_profiles  # matplotlib, Jinja2: only this step needs them

    with open_release(latest_release(paths.base)) as con:
        result = build_profiles(con, catalogue(), paths.base, paths.release_id)
    preview = [p for p in result.pngs if p.stem == PREVIEW_MUNICIPALITY][:1]
    return dg.MaterializeResult(
        metadata={
            "profiles": len(result.pages),
            "pictures": len(result.pngs),
            "index_pages": len(result.index_pages),
            "national_index": dg.MetadataValue.path(str(result.index_pages[0])),
            "index": dg.MetadataValue.path(str(result.index_path)),
            "folder": dg.MetadataValue.path(str(result.index_path.parent)),
            "preview": dg.MetadataValue.md(preview_markdown(preview)),
        }
    )


@dg.asset(
    group_name="publication",
    kinds={"matplotlib", "pdf"},
    deps=[public_release],
    **asset_args("publication", PUBLIC, yearly_only=True),
)
def county_profile_pdfs(paths: OutputPaths) -> dg.MaterializeResult:
    """One PDF per county for printing (15): every municipality's profile page in kommunenr
    order, A4 landscape, with real, selectable text and embedded fonts, the document title
    («Boligsosiale kommuneprofiler 2024 – Vestland») and the language (bokmål) set.

    Files: `profiles/fylke/<fylkesnr>.pdf`; `profiles/index.csv` gives each municipality's page.
    Drawing every page as vector graphics takes a minute or more, so this asset runs in the yearly
    runs (the schedules' job `yearly_update`, `make run-year`) and in *Materialize all* in the UI,
    but not in `make run` (tag `bolig/run=yearly`).

    Reads only the published public release (`exports/public/latest/`), never the warehouse: a
    hidden value shows as «:», never as a number.
    """
    from pipelines.profiles.build import build_county_pdfs  # matplotlib, pypdf: only this step

    with open_release(latest_release(paths.base)) as con:
        pdfs = build_county_pdfs(con, catalogue(), paths.base, paths.release_id)
    return dg.MaterializeResult(
        metadata={
            "county_pdfs": len(pdfs),
            "megabytes": round(sum(p.stat().st_size for p in pdfs) / 1e6, 1),
            "folder": dg.MetadataValue.path(str(pdfs[0].parent)) if pdfs else "",
        }
    )
