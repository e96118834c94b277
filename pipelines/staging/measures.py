"""Build ``stg_measure_values``: one row per municipality × year × measure, in one vintage of borders.

This is the one stage that harmonises municipal data to the borders in ``assets/settings.yaml``
(merged units summed, split units apportioned by population and flagged ``is_estimate``): each
source's raw table, and the values loaded from dropped files, which the inbox stores as reported.
The raw tables are unpivoted to the long shape that lets one generic query compute every
indicator; the harmonised inbox values then replace the base values for the keys they cover.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.models import Source
from pipelines.catalogue.modes import STATBANK_PREFIX
from pipelines.geography.harmonise import code_problems, harmonise
from pipelines.geography.history import crosswalk, load_history
from pipelines.geography.levels import dim_geography
from pipelines.inbox.ingest import inbox_overrides
from pipelines.sources.statbank_source import (
    PROVENANCE_SUFFIXES,
    STATUS_SUFFIX,
    provenance_column,
    status_column,
)
from pipelines.warehouse import replace_rows

STAGED_TABLE = "stg_measure_values"
STAGED_COLUMNS = [
    "geo_level",
    "geo_code",
    "year",
    "measure_id",
    "value",
    "data_origin",
    "source_id",
    "is_estimate",
    "note",
    "source_ref",
    "vintage",
    "stale",
    "source_status",
    "preliminary",
]
# carried through harmonisation; partition_year keeps a row stored for two reporting years apart
KEEP = ["data_origin", "source_ref", "vintage", "stale", "partition_year"]


def harmonised_source(raw: pd.DataFrame, source: Source, catalogue: Catalogue) -> pd.DataFrame:
    """A source's raw rows in the target vintage; columns kommunenr, year, measure columns,
    data_origin, is_estimate, note. County and national sources pass through (their codes were
    checked against the vintage when they were loaded)."""
    code, year = source.key_columns
    measures = catalogue.measures_of(source.id)
    columns = list(dict.fromkeys(m.column for m in measures))
    non_additive = [m.column for m in measures if not m.additive]
    work = raw.rename(columns={code: "kommunenr", year: "year"})
    # StatBank rows say per column which table and vintage they came from: kept as keys, so a
    # merged municipality is summed only within one table's answer ("" stands for unknown).
    provenance = [c for c in work.columns if c.endswith(PROVENANCE_SUFFIXES)]
    work[provenance] = work[provenance].astype(object).where(work[provenance].notna(), "")
    keep = [*KEEP, *provenance]
    if source.geo_level != "kommune":
        return work.assign(is_estimate=False, note=pd.NA)
    # SSB's symbols (`.`, `..`, `:`) stay with the municipality they were sent for; where a reform
    # merged or split it, the harmonised value is missing and `note` says why.
    status_columns = [c for c in work.columns if c.endswith(STATUS_SUFFIX)]
    statuses = work[["kommunenr", "year", "partition_year", *status_columns]].drop_duplicates(
        ["kommunenr", "year", "partition_year"]
    )
    if status_columns:  # carried to the code they were harmonised to (a renumbering keeps them)
        code_year = statuses["year"] if source.codes_valid_in == "row_year" else source.codes_valid_in
        statuses = statuses_to_targets(
            statuses, "kommunenr", code_year, ["year", "partition_year"], status_columns,
            crosswalk(catalogue.settings.geography_vintage),
        )  # fmt: skip
    if source.codes_valid_in == "row_year":
        out = harmonise(work, "kommunenr", "year", columns, by=keep, non_additive=non_additive,
                        vintage=catalogue.settings.geography_vintage)  # fmt: skip
    else:
        # Every code is valid in one fixed year: harmonise as of that year, keep the data year.
        work = work.rename(columns={"year": "data_year"}).assign(year=source.codes_valid_in)
        out = harmonise(work, "kommunenr", "year", columns, by=["data_year", *keep],
                        non_additive=non_additive, vintage=catalogue.settings.geography_vintage)  # fmt: skip
        out = out.drop(columns="year").rename(columns={"data_year": "year"})
    if statuses.shape[1] > 2:
        out = out.merge(statuses, on=["kommunenr", "year", "partition_year"], how="left")
    duplicated = out.duplicated(["kommunenr", "year", "partition_year"], keep=False)
    if duplicated.any():
        first = out[duplicated].iloc[0]
        raise ValueError(
            f"{source.path}: municipality {first['kommunenr']} in {first['year']} combines rows of "
            "different data_origin or provenance after harmonisation; give the merged units one origin"
        )
    return out


def measure_values(raw_by_source: dict[str, pd.DataFrame], catalogue: Catalogue) -> pd.DataFrame:
    """The staged long table from each source's raw rows."""
    parts = []
    for source_id, raw in raw_by_source.items():
        source = catalogue.sources[source_id]
        wide = harmonised_source(raw, source, catalogue)
        for measure in catalogue.measures_of(source_id):
            rows = wide[wide["year"] - measure.year_offset == wide["partition_year"]]
            parts.append(
                pd.DataFrame(
                    {
                        "geo_level": source.geo_level,
                        "geo_code": rows["kommunenr"].astype(str),
                        "year": rows["partition_year"].astype("int32"),
                        "measure_id": measure.id,
                        "value": rows[measure.column].astype("float64"),
                        "data_origin": rows["data_origin"].astype(str),
                        "source_id": source_id,
                        "is_estimate": rows["is_estimate"].astype(bool),
                        "note": _per_column(rows, measure.column, "note", rows["note"]),
                        "source_ref": _per_column(rows, measure.column, "source_ref", rows["source_ref"]),
                        "vintage": _per_column(rows, measure.column, "vintage", rows["vintage"]),
                        "stale": rows["stale"].astype(bool),
                        "source_status": (
                            rows[status_column(measure.column)]
                            if status_column(measure.column) in rows
                            else pd.Series(pd.NA, index=rows.index)
                        ).astype("string"),
                        "preliminary": (
                            rows[provenance_column(measure.column, "preliminary")].astype(bool)
                            if provenance_column(measure.column, "preliminary") in rows
                            else False
                        ),
                    }
                )
            )
    staged = pd.concat(parts, ignore_index=True)
    settings = catalogue.settings
    staged = staged[staged["year"].between(settings.first_year, settings.last_year)]
    return staged.sort_values(["measure_id", "geo_code", "year"]).reset_index(drop=True)[STAGED_COLUMNS]


def _per_column(rows: pd.DataFrame, column: str, kind: str, row_level: pd.Series) -> pd.Series:
    """A column's own provenance (StatBank: table, vintage, note) where the raw table has it; else
    the row's. An empty text is unknown: null, so the release shows it as such."""
    name = provenance_column(column, kind)
    values = rows.get(name, row_level)
    values = values.astype("string")
    values = values.mask(values.isin(["", "None", "nan"]))
    if kind == "note" and name in rows:
        # the source's reason (no table for the year, an unknown code) first: it is the root cause
        # of a gap that the harmonisation's note (a merged unit with a missing part) only repeats
        values = values.fillna(row_level.astype("string"))
    return values


INBOX_KEY = ["source_id", "geo_code", "year", "column_name"]
INBOX_HARMONISED = [
    *INBOX_KEY,
    "geo_level",
    "value",
    "status",
    "is_estimate",
    "note",
    "source_ref",
    "vintage",
]


def harmonised_inbox(inbox: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The inbox's values, stored as reported, in the target vintage: one row per source ×
    municipality × year × column, with ``source_ref``/``vintage`` naming the file(s) behind it.

    All of a source's stored values are harmonised together, whatever file they came from, so a
    merged municipality whose parts arrived in different files is their sum (its ``source_ref``
    lists the files, joined as the indicator query joins sources). County values pass through:
    their codes were checked against the pipeline's counties when the file was loaded."""
    rows = inbox.assign(
        source_ref="file:inbox/" + inbox["source_id"] + "/" + inbox["file"],
        # the export date the file states, else its fingerprint
        vintage=inbox["vintage"].fillna(inbox["fingerprint"]).astype(str)
        if "vintage" in inbox.columns
        else inbox["fingerprint"].astype(str),
    )
    # Files of a source that disagree on a key are quarantined at ingest (both named there): left out
    # here, so the base value stays. Equal values from several files count once, each file named.
    answers = rows.drop_duplicates([*INBOX_KEY, "value", "status"])
    disputed = answers[answers.duplicated(INBOX_KEY, keep=False)][INBOX_KEY].drop_duplicates()
    if len(disputed):
        keyed = pd.MultiIndex.from_frame(rows[INBOX_KEY])
        rows = rows[~keyed.isin(pd.MultiIndex.from_frame(disputed))]
    municipal = rows["geo_level"] == "kommune"
    county = rows.loc[~municipal].assign(is_estimate=False, note=pd.NA)
    parts = [county[INBOX_HARMONISED]] if len(county) else []
    vintage = catalogue.settings.geography_vintage
    mapping = crosswalk(vintage)
    for source_id, of_source in rows[municipal].groupby("source_id", sort=True):
        _check_reported_codes(of_source)
        # the same rule as for the raw tables: a column is summed unless a measure says it must not be
        non_additive = {m.column for m in catalogue.measures_of(source_id) if not m.additive}
        for summed, group in of_source.groupby(~of_source["column_name"].isin(non_additive)):
            once = group.drop_duplicates(INBOX_KEY)
            values = harmonise(once, "geo_code", "year", ["value"], by=["source_id", "column_name"],
                               non_additive=[] if summed else ["value"], vintage=vintage)  # fmt: skip
            # which files' rows each harmonised value is made of
            files = harmonise(group, "geo_code", "year", [], by=["source_id", "column_name", "source_ref",
                              "vintage"], vintage=vintage)  # fmt: skip
            provenance = (
                files.sort_values(["source_ref", "vintage"])
                .groupby(INBOX_KEY, sort=False)[["source_ref", "vintage"]]
                .agg(lambda texts: " + ".join(dict.fromkeys(texts)))  # a file named once
            )
            # SSB's symbols go where the municipality they were sent for went, as for the raw tables.
            statuses = statuses_to_targets(
                once[[*INBOX_KEY, "status"]], "geo_code", once["year"], ["source_id", "year", "column_name"],
                ["status"], mapping,
            )  # fmt: skip
            out = values.merge(provenance, on=INBOX_KEY, how="left", validate="one_to_one").merge(
                statuses, on=INBOX_KEY, how="left", validate="one_to_one"
            )
            # record files are whole registers: a municipality without records had none, not a gap
            from_records = group["file"].str.startswith(tuple(f"{r}/" for r in catalogue.records))
            out = _partial_parts_missing(out, once[~from_records.loc[once.index]], mapping)
            parts.append(out.assign(geo_level="kommune")[INBOX_HARMONISED])
    return pd.concat(parts, ignore_index=True)


_MISSING_SYMBOLS = (":", "..", "...", ".")  # ':' (suppressed) first: it is the reason to respect


def statuses_to_targets(
    statuses: pd.DataFrame,
    code: str,
    code_year,
    keys: list[str],
    columns: list[str],
    mapping: pd.DataFrame,
) -> pd.DataFrame:
    """SSB's symbols (``columns``) of rows keyed by ``code`` (valid in ``code_year``, a Series or one
    year) × ``keys``, moved to the code each was harmonised to (``mapping``: the crosswalk).

    A code that is unchanged or renumbered (the target's only part, wholly) keeps its symbols: a
    suppressed ``:`` for 0219 in 2019 stays suppressed for 3201. A target made of several parts (a
    merger) or of a piece (a split) takes ``:`` when any part is suppressed, else the first other
    missing symbol; ``-`` only when every part reported ``-``; ``*`` when any part is preliminary."""
    frame = statuses.assign(_code_year=np.broadcast_to(np.asarray(code_year), len(statuses)).astype("int64"))
    links = mapping[["year", "code", "code_target", "weight"]].rename(
        columns={"year": "_code_year", "code": code}
    )
    parts = links.groupby(["_code_year", "code_target"]).size().rename("_parts").reset_index()
    linked = frame.merge(links, on=["_code_year", code]).merge(parts, on=["_code_year", "code_target"])
    single = (linked["_parts"] == 1) & (linked["weight"] >= 1 - 1e-9)
    whole = linked[single].drop(columns=[code]).rename(columns={"code_target": code})
    result = [whole[[code, *keys, *columns]]]
    shared = linked[~single]
    if len(shared):
        group = ["code_target", *keys]
        rows = []
        for key, part in shared.groupby(group, sort=False, dropna=False):
            row = dict(zip(group, key, strict=True))
            for column in columns:
                present = [v for v in part[column] if isinstance(v, str) and v]
                row[column] = _combined(present, int(part["_parts"].iloc[0]))
            rows.append(row)
        out = pd.DataFrame(rows, columns=[*group, *columns]).rename(columns={"code_target": code})
        result.append(out[[code, *keys, *columns]])
    return pd.concat(result, ignore_index=True).drop_duplicates([code, *keys])


def _combined(symbols: list[str], parts: int) -> str | None:
    for symbol in _MISSING_SYMBOLS:
        if symbol in symbols:
            return symbol
    if symbols and len(symbols) == parts and all(s == "-" for s in symbols):
        return "-"
    return "*" if "*" in symbols else None


def _partial_parts_missing(out: pd.DataFrame, group: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    """A target municipality for which the files hold some but not all of its parts (e.g. Stavanger
    2019 = 1103 + 1141 Finnøy + 1142 Rennesøy, only 1103 dropped) gets no value, with a note naming
    the absent parts: the same rule as :func:`harmonise` (never a partial sum shown as complete)."""
    parts = mapping[mapping["year"].isin(group["year"].unique())][["year", "code", "code_target"]]
    present = group[["source_id", "column_name", "year", "geo_code"]].drop_duplicates()
    touched = present.merge(parts, left_on=["year", "geo_code"], right_on=["year", "code"])[
        ["source_id", "column_name", "year", "code_target"]
    ].drop_duplicates()
    needed = touched.merge(parts, on=["year", "code_target"])
    needed = needed.merge(present, left_on=["source_id", "column_name", "year", "code"],
                          right_on=["source_id", "column_name", "year", "geo_code"], how="left",
                          indicator=True)  # fmt: skip
    absent = needed[needed["_merge"] == "left_only"]
    if absent.empty:
        return out
    names = load_history().names
    absent = absent.assign(
        named=[f"{code} {names.get((int(year), code), '')}".strip()
               for code, year in zip(absent["code"], absent["year"], strict=True)]
    )  # fmt: skip
    notes = (
        absent.sort_values("code")
        .groupby(["source_id", "column_name", "year", "code_target"])["named"]
        .agg(", ".join)
        .rename("absent")
        .reset_index()
    )
    notes["gap"] = (
        notes["column_name"] + ": the inbox files hold only some of the municipalities merged into this "
        "one in " + notes["year"].astype(str) + "; absent: " + notes["absent"] + " (no partial sum)"
    )
    keyed = out.merge(
        notes[["source_id", "column_name", "year", "code_target", "gap"]].rename(
            columns={"code_target": "geo_code"}
        ),
        on=INBOX_KEY,
        how="left",
    )
    gap = keyed["gap"].notna()
    keyed.loc[gap, "value"] = float("nan")
    keyed["note"] = (
        keyed["note"]
        .astype("object")
        .where(~gap | keyed["note"].isna(), keyed["note"].astype(str) + "; " + keyed["gap"])
    )
    keyed.loc[gap & keyed["note"].isna(), "note"] = keyed.loc[gap & keyed["note"].isna(), "gap"]
    return keyed.drop(columns="gap")


def _check_reported_codes(rows: pd.DataFrame) -> None:
    """The inbox stores a code only if it existed on 1 January of its year; a row that breaks this
    was stored some other way (harmonised before storing), and harmonising it again would be wrong."""
    problems = code_problems(rows["geo_code"], rows["geo_code"], rows["year"]).dropna()
    if len(problems):
        first = rows.loc[problems.index[0]]
        raise ValueError(
            f"inbox_values, file {first['file']} ({first['source_id']}): {problems.iloc[0]}; "
            "the inbox stores codes as reported, so load this file again (delete its rows from "
            "inbox_values and inbox_files)"
        )


def apply_inbox(staged: pd.DataFrame, inbox: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Values loaded from dropped files (``inbox_values``, as reported) are harmonised, then replace
    the base values for exactly the keys they cover."""
    if inbox.empty:
        return staged
    inbox = harmonised_inbox(inbox, catalogue)
    parts = []
    for measure in catalogue.measures.values():
        rows = inbox[(inbox["source_id"] == measure.source) & (inbox["column_name"] == measure.column)]
        if rows.empty:
            continue
        parts.append(
            pd.DataFrame(
                {
                    "geo_level": rows["geo_level"],
                    "geo_code": rows["geo_code"].astype(str),
                    "year": (rows["year"] - measure.year_offset).astype("int32"),
                    "measure_id": measure.id,
                    "value": rows["value"].astype("float64"),
                    "data_origin": "file",
                    "source_id": measure.source,
                    "is_estimate": rows["is_estimate"].fillna(False).astype(bool),
                    "note": rows["note"].astype("string"),
                    "source_ref": rows["source_ref"].astype(str),
                    "vintage": rows["vintage"].astype(str),
                    "stale": False,
                    "source_status": rows["status"].astype("string"),
                    # a file's '*' (or a column headed "2023 (foreløpig)"): a preliminary figure
                    "preliminary": rows["status"].eq("*").fillna(False).astype(bool),
                }
            )
        )
    if not parts:
        return staged
    settings = catalogue.settings
    new = pd.concat(parts, ignore_index=True)
    new = new[new["year"].between(settings.first_year, settings.last_year)]
    key = ["geo_level", "geo_code", "year", "measure_id"]
    replaced = pd.MultiIndex.from_frame(staged[key]).isin(pd.MultiIndex.from_frame(new[key]))
    merged = pd.concat([staged[~replaced], new[STAGED_COLUMNS]], ignore_index=True)
    return merged.sort_values(["measure_id", "geo_code", "year"]).reset_index(drop=True)


def mark_surveys(staged: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Say what a survey's gaps and figures are (``survey`` in sources.yaml).

    Voluntary survey: a value without a figure or symbol is a municipality that did not take part:
    ``..`` with the source's note, so it is missing (never 0) and every aggregate counts only the
    municipalities that took part. National estimate: every value is flagged ``is_estimate`` with
    the note saying it is the survey's estimate, not a sum of municipalities."""
    staged = staged.copy()
    for source in catalogue.sources.values():
        if source.survey is None:
            continue
        rows = staged["source_id"] == source.id
        note = source.survey.note_nb
        if source.survey.kind == "voluntary":
            gap = rows & staged["value"].isna() & staged["source_status"].isna()
            staged.loc[gap, "source_status"] = ".."
            staged.loc[gap & staged["note"].isna(), "note"] = note
        else:
            staged.loc[rows, "is_estimate"] = True
            staged.loc[rows, "note"] = staged.loc[rows, "note"].fillna(note)
    return staged


def _strictest_origin(origins) -> str | None:
    """The origin the indicator query gives a mix of rows: synthetic if any is, then file, then ssb."""
    present = set(origins)
    return next((o for o in ("synthetic", "file", "ssb") if o in present), None)


def unavailable_years(
    staged: pd.DataFrame, catalogue: Catalogue, origins: dict[str, str | None] | None = None
) -> pd.DataFrame:
    """Every measure of a source with ``available_from`` (assets/sources.yaml) is missing in the
    reporting years before it: one row per geography of the source's level (in the pipeline's
    borders) × year × measure, value null, ``source_status`` ``..`` and the source's
    ``earlier_years_note_nb``, replacing whatever was staged for those keys. The one place this rule
    is applied, after the inbox, so no file can fill such a year with a value, and no year shows
    as 0 or as a value made of a few municipalities. ``origins``: per source, the data origin of
    its whole raw table (the same in a run of some years as in a full run); else that of ``staged``."""
    declared = [s for s in catalogue.sources.values() if s.available_from is not None]
    early = [(s, [y for y in catalogue.settings.years if y < s.available_from]) for s in declared]
    early = [(s, years) for s, years in early if years]
    if not early:
        return staged
    geographies = dim_geography(catalogue.settings.geography_vintage)
    parts, replaced = [], pd.Series(False, index=staged.index)
    for source, years in early:
        codes = geographies.loc[geographies["geo_level"] == source.geo_level, "geo_code"].astype(str)
        of_source = staged["source_id"] == source.id
        replaced |= of_source & staged["year"].lt(source.available_from)
        origin = (
            source.data_origin
            if source.data_origin != "column"
            else (origins or {}).get(source.id)
            or _strictest_origin(staged.loc[of_source, "data_origin"])
            or "file"
        )
        ref = source.path if source.path.startswith(STATBANK_PREFIX) else f"file:{source.path}"
        grid = pd.MultiIndex.from_product(
            [[m.id for m in catalogue.measures_of(source.id)], list(codes), years],
            names=["measure_id", "geo_code", "year"],
        ).to_frame(index=False)
        parts.append(
            grid.assign(
                geo_level=source.geo_level,
                year=grid["year"].astype("int32"),
                value=float("nan"),
                data_origin=origin,
                source_id=source.id,
                is_estimate=False,
                note=pd.Series(source.earlier_years_note_nb, index=grid.index, dtype="string"),
                source_ref=ref,
                vintage=pd.Series(pd.NA, index=grid.index, dtype="string"),
                stale=False,
                source_status=pd.Series("..", index=grid.index, dtype="string"),
                preliminary=False,
            )[STAGED_COLUMNS]
        )
    merged = pd.concat([staged[~replaced], *parts], ignore_index=True)
    return merged.sort_values(["measure_id", "geo_code", "year"]).reset_index(drop=True)[STAGED_COLUMNS]


def build_measure_values(
    con: duckdb.DuckDBPyConnection,
    catalogue: Catalogue,
    years: list[int] | None = None,
    preliminary: bool = False,
) -> int:
    """Replace the staged rows of ``years`` (all years when None) from the raw tables and the inbox,
    in one transaction; returns the rows written. ``preliminary`` marks them as SSB's preliminary
    figures (published in March; the final ones follow in June)."""
    where = "" if years is None else f" WHERE partition_year IN ({', '.join(str(int(y)) for y in years)})"
    raw = {
        source_id: con.execute(f'SELECT * FROM "raw_{source_id}"{where}').df()
        for source_id in catalogue.sources
    }
    staged = apply_inbox(measure_values(raw, catalogue), inbox_overrides(con), catalogue)
    origins = {
        s.id: _strictest_origin(
            r for (r,) in con.execute(f'SELECT DISTINCT data_origin FROM "raw_{s.id}"').fetchall()
        )
        for s in catalogue.sources.values()
        if s.available_from is not None
    }
    staged = unavailable_years(staged, catalogue, origins)
    staged = mark_surveys(staged, catalogue)
    if years is not None:
        staged = staged[staged["year"].isin(years)].reset_index(drop=True)
    # a figure a dropped file marks preliminary stays so, whatever the schedule
    from_file = staged["data_origin"].eq("file") & staged["preliminary"].fillna(False).astype(bool)
    staged["preliminary"] = from_file | preliminary
    return replace_rows(con, STAGED_TABLE, staged, "year", years)
