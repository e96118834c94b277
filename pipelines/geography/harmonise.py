"""Harmonise municipal data to one vintage of borders — the public function for analysts.

>>> import pandas as pd
>>> from pipelines.geography import harmonise
>>> data = pd.DataFrame({"kommunenr": ["0219", "3024", 3201], "year": [2019, 2020, 2024],
...                      "households": [10, 11, 12]})
>>> harmonise(data)[["kommunenr", "year", "households"]].to_dict("records")[0]
{'kommunenr': '3201', 'year': 2019, 'households': 10.0}
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.geography.codes import normalise_codes
from pipelines.geography.history import GeographyError, crosswalk, load_history
from pipelines.paths import REFERENCE_DIR

DEFAULT_VINTAGE = 2024


def harmonise(
    frame: pd.DataFrame,
    code_column: str = "kommunenr",
    year_column: str = "year",
    measures: Sequence[str] | None = None,
    *,
    by: Sequence[str] = (),
    non_additive: Sequence[str] = (),
    vintage: int = DEFAULT_VINTAGE,
    reference_dir: Path = REFERENCE_DIR,
) -> pd.DataFrame:
    """Map measures keyed by the municipality code valid on 1 January of their year to the
    municipalities of ``vintage`` (default 2024 borders).

    Parameters
    ----------
    frame
        One row per municipality × year (× the ``by`` columns). Codes may be ``"0301"``,
        ``301``, ``"K-0301"`` or ``"0301 Oslo"``; each must be valid on 1 January of its year.
    measures
        The measure columns; default: every numeric column other than the keys.
    by
        Further key columns kept apart (e.g. ``measure_id`` for long data, ``target_group``).
    non_additive
        Measures that must never be summed or apportioned (medians, rates, indices). Where the
        reform would need it (a merger, or a split), the value becomes missing and ``note``
        says why; a pure renumbering keeps the value.

    Returns
    -------
    One row per target code × year (× ``by``) with the measures, ``is_estimate`` (True when any
    part was apportioned from an estimated split) and ``note`` (why a value is missing, or
    null). Counts are summed over merged units and apportioned by population weight over
    split units, so every total is preserved. A missing part makes the harmonised value
    missing, never a partial sum.

    Raises
    ------
    GeographyError
        For a code that does not exist, or did not exist on 1 January of the row's year,
        naming the code, the year and the row.
    """
    keys = [code_column, year_column, *by]
    for column in keys:
        if column not in frame.columns:
            raise GeographyError(f"column '{column}' not found; columns are {list(frame.columns)}")
    if measures is None:
        measures = [c for c in frame.columns if c not in keys and pd.api.types.is_numeric_dtype(frame[c])]
    measures = list(measures)
    unknown = [m for m in [*measures, *non_additive] if m not in frame.columns]
    if unknown:
        raise GeographyError(f"measure column(s) not found: {unknown}")
    additive = [m for m in measures if m not in non_additive]
    non_additive = [m for m in measures if m in non_additive]

    codes = normalise_codes(frame[code_column])
    years = _years(frame[year_column])
    _check_codes(frame, codes, years, code_column, year_column, reference_dir)

    work = pd.DataFrame({"_code": codes.to_numpy(), "_year": years.to_numpy()}, index=frame.index)
    for column in by:
        work[column] = frame[column].to_numpy()
    for column in measures:
        work[column] = pd.to_numeric(frame[column], errors="raise").astype("float64").to_numpy()

    mapping = crosswalk(vintage, reference_dir)
    data_years = set(work["_year"].unique())
    mapping = mapping[mapping["year"].isin(data_years)]
    merged = work.merge(
        mapping, left_on=["_year", "_code"], right_on=["year", "code"], how="left", validate="many_to_many"
    )
    unmapped = merged["code_target"].isna()
    if unmapped.any():
        first = merged[unmapped].iloc[0]
        raise GeographyError(
            f"municipality code {first['_code']} of {first['_year']} cannot be mapped to the {vintage} "
            "borders: it was formed by merging several units, and mapping back needs weights"
        )

    group_keys = ["code_target", "_year", *by]
    # A target cell is "simple" when it comes from one whole source unit: only then may a
    # non-additive value pass through.
    merged["_partial"] = merged["weight"] < 1.0
    for column in additive:
        merged[column] = merged[column] * merged["weight"]
    missing_flags = {column: merged[column].isna() for column in measures}
    for column, flag in missing_flags.items():
        merged[f"_missing_{column}"] = flag

    grouped = merged.groupby(group_keys, sort=True, dropna=False)
    result = grouped[additive].sum(min_count=1) if additive else grouped.size().to_frame("_n")[[]]
    parts = grouped.size()
    partial = grouped["_partial"].any()
    result["is_estimate"] = grouped["is_estimate"].any()
    notes = pd.Series(pd.NA, index=result.index, dtype="object")
    for column in measures:
        any_missing = grouped[f"_missing_{column}"].any()
        if column in additive:
            result.loc[any_missing, column] = np.nan
            notes = _add_note(notes, any_missing & (parts > 1), f"{column}: a merged part has no value")
        else:
            first = grouped[column].first()
            needs_sum = (parts > 1) | partial
            result[column] = first.where(~needs_sum & ~any_missing)
            notes = _add_note(
                notes, needs_sum, f"{column}: not additive, cannot be merged or split across reforms"
            )
    result["note"] = notes
    result = result.reset_index().rename(columns={"code_target": code_column, "_year": year_column})
    return result[[code_column, year_column, *by, *measures, "is_estimate", "note"]]


def _add_note(notes: pd.Series, where: pd.Series, text: str) -> pd.Series:
    where = where.reindex(notes.index, fill_value=False)
    joined = notes.where(~where | notes.isna(), notes.astype("string") + "; " + text)
    return joined.where(~where | notes.notna(), text)


def _years(raw: pd.Series) -> pd.Series:
    numeric = pd.to_numeric(raw, errors="coerce")
    bad = numeric.isna() | (numeric % 1 != 0)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise GeographyError(
            f"row {position} (index {raw.index[position]!r}): year {raw.iloc[position]!r} is not a year"
        )
    return numeric.astype("int64")


def _check_codes(
    frame: pd.DataFrame,
    codes: pd.Series,
    years: pd.Series,
    code_column: str,
    year_column: str,
    reference_dir: Path,
) -> None:
    problems = code_problems(frame[code_column], codes, years, reference_dir)
    bad = problems.notna().to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        more = f" ({int(bad.sum()) - 1} more row(s) with invalid codes)" if bad.sum() > 1 else ""
        raise GeographyError(
            f"row {position} (index {frame.index[position]!r}), column '{code_column}': "
            f"{problems.iloc[position]}{more}"
        )


def code_problems(
    raw: pd.Series, codes: pd.Series, years: pd.Series, reference_dir: Path = REFERENCE_DIR
) -> pd.Series:
    """Per row, why its code is not valid on 1 January of its year — or None when it is.

    Each distinct (code, year) is checked once, so a million rows cost little.
    """
    history = load_history(reference_dir)
    # object dtype: pandas 3 would infer a string column and turn "no code" (None) into NaN
    code_column = pd.Series(codes.to_numpy(), index=raw.index, dtype=object)
    pairs = pd.DataFrame({"code": code_column, "year": years.to_numpy()}, index=raw.index)
    distinct = pairs.drop_duplicates()
    bad_pairs = [
        (code, int(year))
        for code, year in distinct.itertuples(index=False)
        if code is None or code not in history.valid_codes.get(int(year), frozenset())
    ]
    problems = pd.Series(None, index=raw.index, dtype="object")
    if not bad_pairs:
        return problems
    bad_lookup = pd.MultiIndex.from_tuples(bad_pairs, names=["code", "year"])
    is_bad = pd.MultiIndex.from_frame(pairs).isin(bad_lookup)
    for position in np.flatnonzero(is_bad):
        code, year = pairs.iloc[position]
        problems.iloc[position] = _code_problem(history, raw.iloc[position], code, int(year))
    return problems


def _code_problem(history, raw: object, code: str | None, year: int) -> str | None:
    if code is None:
        return f"{raw!r} is not a municipality code"
    if year not in history.valid_codes:
        return f"year {year} is outside the code history ({history.years[0]}–{history.years[-1]})"
    if code in history.valid_codes[year]:
        return None
    valid_years = history.valid_years(code)
    if not valid_years:
        return f"municipality code {code} (given as {raw!r}) does not exist (year {year})"
    return (
        f"municipality code {code} (given as {raw!r}) did not exist on 1 January {year}; "
        f"it was valid {valid_years[0]}–{valid_years[-1]}"
    )
