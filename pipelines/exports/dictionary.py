"""The public release's data dictionary (``assets/release_columns.yaml``) and what is made from it.

One declaration says what every file and column of the release means, in bokmål and English. The
writers take it from here: the Parquet field metadata (:func:`describe`), the Frictionless Data
Package ``datapackage.json`` (:func:`datapackage`), the reader's ``LESMEG.md`` (:func:`lesmeg`)
and the README's column tables (:func:`readme_tables`, written with ``--readme``).

Frictionless is the standard for this (https://specs.frictionlessdata.io/data-package/): Table
Schema types, primary and foreign keys and licences in one JSON file that the ``frictionless``
library and many catalogues read. We write the descriptor ourselves because it is a plain JSON
document made from our own declaration; the library validates it against the files in the tests.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipelines.catalogue.load import CatalogueError, describe_validation, display_path, read_yaml
from pipelines.paths import ASSETS_DIR, REPO_ROOT

DICTIONARY_FILE = ASSETS_DIR / "release_columns.yaml"
PROFILE = "tabular-data-package"
LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Navngivelse 4.0 Internasjonal",
}
# Table Schema types of the release's Arrow types (the release uses only these: parquet.py)
TABLE_SCHEMA_TYPES = {
    pa.string(): "string",
    pa.int8(): "integer",
    pa.int32(): "integer",
    pa.int64(): "integer",
    pa.float64(): "number",
    pa.bool_(): "boolean",
    pa.date32(): "date",
}
README_START = "<!-- release-columns:start (generated: python -m pipelines.exports.dictionary --readme) -->"
README_END = "<!-- release-columns:end -->"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnText(_Strict):
    nb: str = Field(min_length=3)
    en: str = Field(min_length=3)
    enum: list[str] | None = None


class ForeignKey(_Strict):
    columns: list[str] = Field(min_length=1)
    table: str
    table_columns: list[str] = Field(min_length=1)


class TableText(_Strict):
    nb: str = Field(min_length=3)
    en: str = Field(min_length=3)
    primary_key: list[str] = Field(default_factory=list)
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    columns: dict[str, ColumnText] = Field(default_factory=dict)


class Dictionary(_Strict):
    columns: dict[str, ColumnText]
    tables: dict[str, TableText]

    def column(self, table: str, name: str) -> ColumnText:
        """The texts of ``table``'s column ``name``: its own, else the shared entry."""
        own = self.tables[table].columns.get(name) if table in self.tables else None
        if own is not None:
            return own
        if name not in self.columns:
            raise CatalogueError(
                f"{display_path(DICTIONARY_FILE)}: columns.{name}: missing – column '{name}' of "
                f"'{table}' is published without a description"
            )
        return self.columns[name]


@lru_cache(maxsize=4)
def load_dictionary(path: Path = DICTIONARY_FILE) -> Dictionary:
    """The validated dictionary; errors name the file and the field."""
    document = read_yaml(path)
    try:
        dictionary = Dictionary.model_validate(document)
    except ValidationError as exc:
        raise CatalogueError(f"{display_path(path)}: {describe_validation(exc)}") from exc
    for name, table in dictionary.tables.items():
        for position, key in enumerate(table.foreign_keys):
            if key.table not in dictionary.tables:
                raise CatalogueError(
                    f"{display_path(path)}: tables.{name}.foreign_keys[{position}].table: "
                    f"unknown table '{key.table}'"
                )
            if len(key.columns) != len(key.table_columns):
                raise CatalogueError(
                    f"{display_path(path)}: tables.{name}.foreign_keys[{position}]: "
                    "columns and table_columns differ in length"
                )
    return dictionary


def check_tables(tables: Mapping[str, pa.Table], dictionary: Dictionary | None = None) -> None:
    """Every published table and column has its texts, and every key names real columns."""
    dictionary = dictionary or load_dictionary()
    where = display_path(DICTIONARY_FILE)
    for name, table in tables.items():
        if name not in dictionary.tables:
            raise CatalogueError(f"{where}: tables.{name}: missing – file '{name}' is published undescribed")
        for column in table.column_names:
            dictionary.column(name, column)
        entry = dictionary.tables[name]
        keyed = [*entry.primary_key, *(c for key in entry.foreign_keys for c in key.columns)]
        unknown = [c for c in keyed if c not in table.column_names]
        if unknown:
            raise CatalogueError(f"{where}: tables.{name}: keys name columns the file lacks: {unknown}")
        extra = [c for c in entry.columns if c not in table.column_names]
        if extra:
            raise CatalogueError(f"{where}: tables.{name}.columns: not in the file: {extra}")


def describe(name: str, table: pa.Table, dictionary: Dictionary | None = None) -> pa.Table:
    """``table`` with each field's ``description_nb``/``description_en`` (and the table's) in
    the Parquet metadata, which pyarrow, DuckDB (``parquet_schema``) and Polars expose."""
    dictionary = dictionary or load_dictionary()
    fields = []
    for field in table.schema:
        text = dictionary.column(name, field.name)
        metadata = dict(field.metadata or {})
        metadata.update({b"description_nb": text.nb.encode(), b"description_en": text.en.encode()})
        fields.append(field.with_metadata(metadata))
    entry = dictionary.tables[name]
    metadata = dict(table.schema.metadata or {})
    metadata.update({b"description_nb": entry.nb.encode(), b"description_en": entry.en.encode()})
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=metadata))


def table_schema(name: str, schema: pa.Schema, dictionary: Dictionary | None = None) -> dict:
    """The Frictionless Table Schema of one file."""
    dictionary = dictionary or load_dictionary()
    entry = dictionary.tables[name]
    fields = []
    for field in schema:
        text = dictionary.column(name, field.name)
        described = {
            "name": field.name,
            "type": TABLE_SCHEMA_TYPES[field.type],
            "title": text.nb,
            "description": text.en,
        }
        constraints: dict[str, object] = {}
        if not field.nullable:
            constraints["required"] = True
        if text.enum:
            constraints["enum"] = list(text.enum)
        if constraints:
            described["constraints"] = constraints
        fields.append(described)
    out: dict[str, object] = {"fields": fields, "missingValues": [""]}
    if entry.primary_key:
        out["primaryKey"] = list(entry.primary_key)
    if entry.foreign_keys:
        out["foreignKeys"] = [
            {"fields": k.columns, "reference": {"resource": k.table, "fields": k.table_columns}}
            for k in entry.foreign_keys
        ]
    return out


def datapackage(
    release: str,
    tables: Mapping[str, pa.Table],
    sources: Iterable[Mapping[str, str]],
    *,
    title_nb: str,
    description_nb: str,
    dictionary: Dictionary | None = None,
) -> dict:
    """The Frictionless Data Package descriptor of a release's Parquet files.

    ``sources``: ``{"title": …, "path": …}`` per source, with the origin already said in the
    title (the caller marks synthetic data)."""
    dictionary = dictionary or load_dictionary()
    resources = []
    for name, table in tables.items():
        entry = dictionary.tables[name]
        resources.append(
            {
                "name": name,
                "path": f"{name}.parquet",
                "profile": "tabular-data-resource",
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "title": entry.nb,
                "description": entry.en,
                "schema": table_schema(name, table.schema, dictionary),
            }
        )
    return {
        "profile": PROFILE,
        "name": "boligsosiale-indikatorer",
        "title": title_nb,
        "description": description_nb,
        "version": release,
        "licenses": [LICENCE],
        "sources": [dict(s) for s in sources],
        "resources": resources,
    }


def _type_label(field: pa.Field) -> str:
    return str(field.type).replace("double", "float64") + ("" if field.nullable else ", not null")


def column_rows(name: str, schema: pa.Schema, dictionary: Dictionary, language: str) -> list[str]:
    """Markdown table rows: column, type, meaning (``nb`` or ``en``)."""
    rows = []
    for field in schema:
        text = dictionary.column(name, field.name)
        meaning = text.nb if language == "nb" else text.en
        if text.enum:
            meaning += " (" + ", ".join(f"`{v}`" for v in text.enum) + ")"
        rows.append(f"| `{field.name}` | {_type_label(field)} | {meaning} |")
    return rows


def lesmeg(
    release: str,
    schemas: Mapping[str, pa.Schema],
    *,
    origin_nb: str,
    credits_nb: Iterable[str],
    dictionary: Dictionary | None = None,
) -> str:
    """LESMEG.md: the release explained for a reader in Norwegian, file by file and column by column."""
    dictionary = dictionary or load_dictionary()
    lines = [
        f"# Boligsosiale indikatorer – utgivelse {release}",
        "",
        origin_nb,
        "",
        "Filene er Parquet (én fil per tabell). `datapackage.json` beskriver de samme filene maskinlesbart "
        "(Frictionless Data Package), og `release.json` har radantall, størrelse og SHA-256 per fil.",
        "",
        "## Statuskoder",
        "",
        "| status | SSB-symbol | betyr |",
        "|---|---|---|",
        "| `shown` | | verdien vises |",
        "| `missing` | `..` | tallet mangler (ikke rapportert eller ikke tilgjengelig) |",
        "| `not_applicable` | `.` | ikke aktuelt (nevner 0, eller et nivå eller år der kilden ikke finnes) |",
        "| `suppressed` | `:` | skjult for å beskytte små tall om personer (prikket) |",
        "",
        "## Lisens og kilder",
        "",
        f"Lisens: {LICENCE['title']} ({LICENCE['name']}, {LICENCE['path']}). Oppgi kilden slik:",
        "",
        *(f"- {credit}" for credit in credits_nb),
        "",
        "## Filer og kolonner",
    ]
    for name, schema in schemas.items():
        entry = dictionary.tables[name]
        lines += ["", f"### `{name}.parquet`", "", entry.nb + "."]
        if entry.primary_key:
            lines += ["", "Nøkkel: " + ", ".join(f"`{c}`" for c in entry.primary_key) + "."]
        for key in entry.foreign_keys:
            lines.append(f"Kobles til `{key.table}` på " + ", ".join(f"`{c}`" for c in key.columns) + ".")
        lines += [
            "",
            "| kolonne | type | betyr |",
            "|---|---|---|",
            *column_rows(name, schema, dictionary, "nb"),
        ]
    return "\n".join(lines) + "\n"


def readme_tables(schemas: Mapping[str, pa.Schema], dictionary: Dictionary | None = None) -> str:
    """The README's column tables (English), one per file, between the generated-section markers."""
    dictionary = dictionary or load_dictionary()
    parts = [README_START]
    for name, schema in schemas.items():
        entry = dictionary.tables[name]
        key = f" Key: {', '.join(f'`{c}`' for c in entry.primary_key)}." if entry.primary_key else ""
        parts += [
            "",
            f"#### `{name}.parquet`",
            "",
            f"{entry.en}.{key}",
            "",
            "| column | type | meaning |",
            "|---|---|---|",
            *column_rows(name, schema, dictionary, "en"),
        ]
    parts += ["", README_END]
    return "\n".join(parts)


_SECTION = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)


def readme_section(text: str) -> str | None:
    """The generated section of a README, or None when it has none."""
    match = _SECTION.search(text)
    return match.group(0) if match else None


def write_readme(schemas: Mapping[str, pa.Schema], path: Path = REPO_ROOT / "README.md") -> bool:
    """Replace the README's generated section; returns whether it changed."""
    text = path.read_text(encoding="utf-8")
    if readme_section(text) is None:
        raise ValueError(f"{display_path(path)}: no {README_START!r} … {README_END!r} section to fill")
    new = _SECTION.sub(lambda _: readme_tables(schemas), text)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> None:
    """``python -m pipelines.exports.dictionary --readme``: regenerate the README's column tables
    from the release's schemas and this dictionary."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--readme", action="store_true", help="rewrite the README's column tables")
    args = parser.parse_args(argv)
    if args.readme:
        from pipelines.exports.public import PUBLIC_SCHEMAS

        changed = write_readme(PUBLIC_SCHEMAS)
        print("README.md updated" if changed else "README.md already up to date")


if __name__ == "__main__":
    main()
