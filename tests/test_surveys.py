"""Survey sources: BrukerPlan is voluntary (a municipality that did not take part is `..`, never 0,
and every aggregate says how many took part); the homelessness survey gives national estimates
that are never apportioned to counties or municipalities."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.catalogue import CatalogueError, load_catalogue
from pipelines.demo import substance
from pipelines.paths import ASSETS_DIR, DEMO_DIR
from pipelines.staging.measures import mark_surveys

EXPORT = Path("exports") / "public" / "latest" / "indicator_values.parquet"
SHARE = "rus_uten_egnet_bolig_andel"
HOMELESS = ("bostedslose_per_1000", "bostedslose_barn", "bostedslose_unge", "bostedslose_rus_andel")


@pytest.fixture(scope="module")
def public(pipeline_run: Path) -> pd.DataFrame:
    return pd.read_parquet(pipeline_run / EXPORT)


@pytest.fixture(scope="module")
def brukerplan() -> pd.DataFrame:
    return pd.read_csv(DEMO_DIR / "helsedir_rus.csv", dtype={"kommunenr": str})


def test_a_municipality_that_did_not_take_part_is_missing_never_zero(
    public: pd.DataFrame, brukerplan: pd.DataFrame
) -> None:
    absent = brukerplan[brukerplan["persons_substance_problems"].isna()]
    assert len(absent) > 1000  # the demo has non-participants in every year
    rows = public[(public.indicator_id == SHARE) & (public.geo_level == "kommune")]
    cells = rows.merge(
        absent[["kommunenr", "year"]], left_on=["geo_code", "year"], right_on=["kommunenr", "year"]
    )
    assert len(cells) == len(absent)
    assert (cells.status == "missing").all() and cells.value.isna().all()
    # … and a municipality that took part is never `..` (it may be suppressed for privacy)
    took_part = rows.merge(brukerplan.dropna(), left_on=["geo_code", "year"], right_on=["kommunenr", "year"])
    assert len(took_part) == len(brukerplan.dropna())
    assert not (took_part.status == "missing").any()


def test_every_aggregate_carries_how_many_took_part(public: pd.DataFrame, brukerplan: pd.DataFrame) -> None:
    nation = public[(public.indicator_id == SHARE) & (public.geo_level == "land")].set_index("year")
    assert nation["units_reported"].to_dict() == substance.PARTICIPANTS
    assert (nation["units_total"] == 357).all() and (nation["status"] == "shown").all()
    # the national share is over the participants only: Σ without / Σ people among them
    sums = brukerplan.dropna().groupby("year")[list(substance.COUNT_COLUMNS)].sum()
    expected = 100 * sums["persons_substance_without_suitable_dwelling"] / sums["persons_substance_problems"]
    pd.testing.assert_series_equal(nation["value"], expected, check_names=False, check_index_type=False)
    counties = public[(public.indicator_id == SHARE) & (public.geo_level == "fylke")]
    per_year = counties.groupby("year")["units_reported"].sum()
    assert per_year.to_dict() == substance.PARTICIPANTS  # the counties' participants add up


def test_the_gap_note_says_the_municipality_did_not_take_part(pipeline_run: Path) -> None:
    with duckdb.connect(str(pipeline_run / "warehouse.duckdb"), read_only=True) as con:
        gaps = con.execute(
            "SELECT year, count(*) AS n, min(note) AS note, max(source_status) AS status "
            "FROM stg_measure_values WHERE measure_id = 'persons_substance_problems' AND value IS NULL "
            "GROUP BY year ORDER BY year"
        ).df()
    assert dict(zip(gaps.year, gaps.n, strict=True)) == {
        y: 357 - n for y, n in substance.PARTICIPANTS.items()
    }
    assert (gaps.status == "..").all()
    assert gaps.note.str.startswith("Kommunen deltok ikke i BrukerPlan").all()


def test_the_report_states_participation_by_year_and_beside_the_change(pipeline_run: Path) -> None:
    html = next((pipeline_run / "reports").glob("styringsinformasjon_*.html")).read_text(encoding="utf-8")
    assert "Grunnlag: 229 av 357 kommuner i 2024, 222 av 357 i 2023" in html
    assert "Kommuner som deltok" in html and '<th scope="row">2020</th><td class="num">198</td>' in html


def test_homelessness_estimates_are_national_only_and_marked_as_estimates(
    public: pd.DataFrame, pipeline_run: Path
) -> None:
    rows = public[public.indicator_id.isin(HOMELESS)]
    shown = rows[rows.status == "shown"]
    assert set(shown.geo_level) == {"land"} and shown.is_estimate.all()
    below = rows[rows.geo_level != "land"]
    assert len(below) > 0 and (below.status == "not_applicable").all() and below.value.isna().all()
    with duckdb.connect(str(pipeline_run / "warehouse.duckdb"), read_only=True) as con:
        staged = con.execute(
            "SELECT DISTINCT geo_level, is_estimate, note FROM stg_measure_values "
            "WHERE source_id = 'homelessness_survey'"
        ).df()
    assert staged.geo_level.tolist() == ["land"] and staged.is_estimate.all()
    assert staged.note.str.contains("ikke en sum av kommunetall").all()


def test_mark_surveys_only_fills_true_gaps() -> None:
    catalogue = load_catalogue()
    staged = pd.DataFrame(
        {
            "source_id": ["substance_survey"] * 3 + ["kostra_form13", "homelessness_survey"],
            "value": [None, 0.0, None, None, 3325.0],
            "source_status": [None, None, ":", None, None],
            "note": [None, None, None, None, None],
            "is_estimate": [False] * 5,
        }
    ).astype({"source_status": "string", "note": "string"})
    marked = mark_surveys(staged, catalogue)
    status = marked.source_status.astype(object).where(marked.source_status.notna(), None)
    # the blank becomes `..`; a 0 stays a 0, SSB's `:` stays, another source's gap is left alone
    assert status.tolist() == ["..", None, ":", None, None]
    assert marked.note.iloc[0].startswith("Kommunen deltok ikke") and pd.isna(marked.note.iloc[1])
    assert pd.isna(marked.note.iloc[3]), (
        "a gap in a source that is not a voluntary survey is not explained away"
    )
    assert marked.is_estimate.tolist() == [False, False, False, False, True]


def test_a_survey_kind_that_does_not_fit_its_level_is_refused(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, assets)
    path = assets / "sources.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: homelessness_survey")
    patched = text[:start] + text[start:].replace("geo_level: land", "geo_level: kommune", 1)
    path.write_text(patched, encoding="utf-8")
    with pytest.raises(
        CatalogueError, match=r"sources.yaml: sources\[\d+\] \(homelessness_survey\)\.survey\.kind"
    ):
        load_catalogue(assets)
