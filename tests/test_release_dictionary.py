"""The release describes itself: every Parquet column has a bokmål and an English description in
its metadata, datapackage.json is a valid Frictionless Data Package for the files, LESMEG.md lists
every file and column, and the README's column tables are exactly the shipped schemas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from frictionless import Package, Report, Resource, Schema

from pipelines.catalogue import CatalogueError
from pipelines.exports.dictionary import check_tables, readme_section, readme_tables
from pipelines.exports.public import LATEST_DIR, PUBLIC_SCHEMAS
from pipelines.paths import REPO_ROOT


@pytest.fixture(scope="module")
def latest(pipeline_run: Path) -> Path:
    return pipeline_run / LATEST_DIR


def _schemas(folder: Path) -> dict[str, pa.Schema]:
    return {name: pq.read_schema(folder / f"{name}.parquet") for name in PUBLIC_SCHEMAS}


def test_every_parquet_column_has_a_norwegian_and_an_english_description(latest: Path) -> None:
    files = sorted(latest.glob("*.parquet"))
    assert {f.stem for f in files} == set(PUBLIC_SCHEMAS)
    for path in files:
        schema = pq.read_schema(path)
        assert schema.metadata[b"description_nb"] and schema.metadata[b"description_en"], path.name
        for field in schema:
            metadata = field.metadata or {}
            assert len(metadata.get(b"description_nb", b"")) > 3, (path.name, field.name)
            assert len(metadata.get(b"description_en", b"")) > 3, (path.name, field.name)


def _validate(folder: Path, limit_rows: int | None = None) -> Report:
    """datapackage.json checked by frictionless against the files' rows: types, required cells,
    enums, primary keys and foreign keys across files.

    The rows are read with pyarrow and handed to frictionless as data. Its own Parquet reader goes
    through pandas ``iterrows`` and ``to_dict`` per cell (minutes for the fact table on 2 cores) and
    takes a null in an integer column for a type error (pandas turns it into NaN), so it cannot judge
    these files; its validation engine and the descriptor are what is tested here."""
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = []
    for entry in descriptor["resources"]:
        table = pq.read_table(folder / entry["path"])
        rows = [table.column_names, *(list(row.values()) for row in table.to_pylist())]
        resources.append(
            Resource(name=entry["name"], data=rows, schema=Schema.from_descriptor(entry["schema"]))
        )
    return Package(resources=resources).validate(limit_rows=limit_rows)


def test_datapackage_is_a_valid_frictionless_package_of_the_files(latest: Path, tmp_path: Path) -> None:
    descriptor = json.loads((latest / "datapackage.json").read_text(encoding="utf-8"))
    assert Package.validate_descriptor(descriptor).valid
    assert [r["name"] for r in descriptor["resources"]] == list(PUBLIC_SCHEMAS)
    assert all((latest / r["path"]).is_file() for r in descriptor["resources"])
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0" and descriptor["sources"]
    values = next(r for r in descriptor["resources"] if r["name"] == "indicator_values")
    assert values["schema"]["primaryKey"] == ["indicator_id", "geo_level", "geo_code", "year", "target_group"]
    report = _validate(latest)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]

    # … and the validation bites: a value outside its declared enum, and an orphan key, are reported
    broken = tmp_path / "release"
    shutil.copytree(latest, broken)
    goals = pq.read_table(broken / "goal_rollup.parquet")
    column = goals.schema.get_field_index("rollup_by")
    goals = goals.set_column(column, goals.schema.field(column), pa.array(["mål"] * goals.num_rows))
    pq.write_table(goals, broken / "goal_rollup.parquet")
    years = pq.read_table(broken / "dim_year.parquet")
    pq.write_table(years.slice(1), broken / "dim_year.parquet")  # the first year no longer exists
    report = _validate(broken, limit_rows=5000)  # both faults lie in the first rows of their files
    errors = {
        (task.name, getattr(error, "field_name", None), error.type)
        for task in report.tasks
        for error in task.errors
    }
    assert ("goal_rollup", "rollup_by", "constraint-error") in errors
    assert ("indicator_values", None, "foreign-key") in errors


def test_lesmeg_names_every_file_and_column_and_the_origin(latest: Path) -> None:
    text = (latest / "LESMEG.md").read_text(encoding="utf-8")
    assert "Syntetiske demodata – ikke offisiell statistikk" in text  # the bundled run is demo data
    for name, schema in _schemas(latest).items():
        assert f"### `{name}.parquet`" in text
        for field in schema:
            assert f"| `{field.name}` |" in text, (name, field.name)
    assert "Statistisk sentralbyrå (SSB), tabell 07459" in text  # real population keeps its credit
    for line in text.splitlines():
        if line.startswith("- ") and "(SSB)" in line and "07459" not in line:
            assert line.startswith("- Syntetiske demodata"), line


def test_readme_documents_every_file_and_column_exactly_as_shipped(latest: Path) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme_section(readme)
    assert section is not None, "README.md lost its generated release-columns section"
    assert section == readme_tables(_schemas(latest)), (
        "README's column tables differ from the release: "
        "run `python -m pipelines.exports.dictionary --readme`"
    )


def test_readme_check_catches_a_column_the_readme_does_not_list(latest: Path) -> None:
    schemas = _schemas(latest)
    schemas["dim_year"] = schemas["dim_year"].append(pa.field("bolig_for_velferd_2", pa.bool_()))
    with pytest.raises(CatalogueError, match=r"release_columns.yaml: columns.bolig_for_velferd_2: missing"):
        readme_tables(schemas)


def test_an_undescribed_column_is_refused_before_a_release_is_written() -> None:
    table = pa.table({"year": pa.array([2024], pa.int32()), "mystery": pa.array([1], pa.int64())})
    with pytest.raises(CatalogueError, match=r"columns.mystery: missing – column 'mystery' of 'dim_year'"):
        check_tables({"dim_year": table})
    with pytest.raises(CatalogueError, match=r"tables.dim_unknown: missing"):
        check_tables({"dim_unknown": table})
