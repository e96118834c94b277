"""Data-quality rules as queries: each returns the offending rows (empty = the rule holds).

Expectations that concern indicators are declared with the catalogue (`checks:` in
assets/indicators.yaml); the defaults follow from the unit (a percentage lies in 0–100 and its
numerator never exceeds its denominator; counts and rates are never negative).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.geography.harmonise import code_problems

DEFAULT_MAX_YEARLY_CHANGE_PCT = 50.0
# A change in a count smaller than this many standard deviations of chance variation (counts
# vary like Poisson counts: sd of n₁ − n₀ ≈ √(n₀ + n₁)) is noise, however large in per cent.
# 4, not 2: a run tests ~5 000 series-years (indicators × county/nation × years), and at 4 sd
# chance alone flags about one in 16 000.
JUMP_NOISE_SD = 4.0


def missing_municipality_years(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> pd.DataFrame:
    """Municipal measures lacking a row for some municipality in some staged year."""
    municipal = [m.id for m in catalogue.measures.values() if catalogue.measure_level(m.id) == "kommune"]
    con.register("_municipal", pd.DataFrame({"measure_id": municipal}))
    try:
        return con.execute(
            """
            WITH years AS (SELECT DISTINCT year FROM stg_measure_values),
                 expected AS (SELECT m.measure_id, d.kommunenr, y.year
                              FROM _municipal m, dim_municipality d, years y)
            SELECT e.measure_id, e.kommunenr, e.year
            FROM expected e
            LEFT JOIN stg_measure_values s
              ON s.measure_id = e.measure_id AND s.geo_code = e.kommunenr AND s.year = e.year
            WHERE s.measure_id IS NULL
            ORDER BY ALL LIMIT 1000
            """
        ).df()
    finally:
        con.unregister("_municipal")


def negative_counts(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> pd.DataFrame:
    allowed = [m.id for m in catalogue.measures.values() if m.may_be_negative] or ["-"]
    return con.execute(
        "SELECT measure_id, geo_code, year, value FROM stg_measure_values "
        f"WHERE value < 0 AND measure_id NOT IN ({', '.join('?' for _ in allowed)}) ORDER BY ALL LIMIT 1000",
        allowed,
    ).df()


def invalid_codes(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, source_id: str) -> pd.DataFrame:
    """Raw rows whose municipality code did not exist on 1 January of the year it is valid in."""
    source = catalogue.sources[source_id]
    if source.geo_level != "kommune":
        return pd.DataFrame(columns=["code", "year", "problem"])
    code, year = source.key_columns
    rows = con.execute(f'SELECT DISTINCT "{code}" AS code, "{year}" AS year FROM "raw_{source_id}"').df()
    fixed = source.codes_valid_in != "row_year"
    years = pd.Series(source.codes_valid_in, index=rows.index) if fixed else rows["year"]
    problems = code_problems(rows["code"], rows["code"], years)
    return rows.assign(problem=problems)[problems.notna()]


def _indicator_rules(catalogue: Catalogue) -> pd.DataFrame:
    rows = []
    for indicator in catalogue.indicators.values():
        checks = indicator.checks
        low = checks.plausible_min if checks and checks.plausible_min is not None else 0.0
        if indicator.unit == "nok_per_inhabitant" and not (checks and checks.plausible_min is not None):
            low = None  # net expenditure per inhabitant can be negative
        high = checks.plausible_max if checks and checks.plausible_max is not None else None
        if indicator.unit == "percent":
            high = min(high, 100.0) if high is not None else 100.0
        jump = checks.max_yearly_change_pct if checks and checks.max_yearly_change_pct else None
        rows.append(
            {
                "indicator_id": indicator.id,
                "low": low,
                "high": high,
                "subset": indicator.unit == "percent",
                "max_change": jump or DEFAULT_MAX_YEARLY_CHANGE_PCT,
            }
        )
    return pd.DataFrame(rows).astype({"low": "float64", "high": "float64"})


def implausible_values(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, table: str = "indicator_values"
) -> pd.DataFrame:
    """Indicator values outside their declared range, and numerators above their denominator."""
    con.register("_rules", _indicator_rules(catalogue))
    try:
        return con.execute(
            f"""
            SELECT v.indicator_id, v.geo_level, v.geo_code, v.year, v.target_group, v.value,
                   v.numerator, v.denominator,
                   CASE WHEN r.subset AND v.numerator > v.denominator THEN 'numerator above denominator'
                        WHEN v.value < r.low THEN 'below ' || r.low
                        ELSE 'above ' || r.high END AS problem
            FROM "{table}" v JOIN _rules r USING (indicator_id)
            WHERE v.value IS NOT NULL
              AND (v.value < r.low OR v.value > r.high OR (r.subset AND v.numerator > v.denominator))
            ORDER BY ALL LIMIT 1000
            """
        ).df()
    finally:
        con.unregister("_rules")


def yearly_jumps(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, table: str = "indicator_values"
) -> pd.DataFrame:
    """National, statsforvalter-region and county values that changed more than the indicator's
    threshold in one year.

    A jump counts only where chance cannot explain it: the numerator (the count behind the value)
    must move by more than ``JUMP_NOISE_SD`` × √(n₀ + n₁). 1 → 5 households in a small county is
    +400 % but within chance; 930 → 3 780 refugees settled is not."""
    con.register("_rules", _indicator_rules(catalogue))
    try:
        return con.execute(
            f"""
            WITH series AS (
                SELECT v.*,
                       lag(v.value) OVER w AS previous,
                       lag(v.numerator) OVER w AS previous_numerator
                FROM "{table}" v WHERE v.geo_level IN ('land', 'statsforvalter', 'fylke')
                WINDOW w AS (PARTITION BY v.indicator_id, v.target_group, v.geo_level, v.geo_code
                             ORDER BY v.year))
            SELECT s.indicator_id, s.target_group, s.geo_level, s.geo_code, s.year, s.previous, s.value,
                   round(100 * (s.value - s.previous) / abs(s.previous), 1) AS change_pct, r.max_change
            FROM series s JOIN _rules r USING (indicator_id)
            WHERE s.previous IS NOT NULL AND s.previous <> 0 AND s.value IS NOT NULL
              AND abs(s.value - s.previous) / abs(s.previous) * 100 > r.max_change
              AND (s.numerator IS NULL OR s.previous_numerator IS NULL OR s.numerator < 0
                   OR s.previous_numerator < 0
                   OR abs(s.numerator - s.previous_numerator)
                      > {JUMP_NOISE_SD} * sqrt(s.numerator + s.previous_numerator))
            ORDER BY abs(s.value - s.previous) / abs(s.previous) DESC LIMIT 1000
            """
        ).df()
    finally:
        con.unregister("_rules")
