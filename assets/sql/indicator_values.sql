-- Every indicator for every geography, year and target group, from the staged measures.
--
-- Inputs (prepared by pipelines/indicators/compute.py):
--   indicator_spec(indicator_id, target_group, numerator, denominator, factor, unit, base_level)
--       base_level: the coarsest level among the indicator's measures (kommune < fylke < land);
--       values are paired there, then summed upwards.
--   unit_rollup(base_level, unit_code, member_level, member_code): which reported geographies make
--       up each base unit (a municipality is its own unit; a county unit holds its municipalities
--       and itself; the nation holds everything).
--   unit_membership(base_level, unit_code, geo_level, geo_order, geo_code, geo_name): which
--       published geographies each base unit counts towards.
--   geographies(geo_level, geo_order, geo_code, geo_name): every published geography.
--   measure_years(measure_id, year): for measures that exist only in some years (surveys).
--   reporting_years(year)
--   stg_measure_values(geo_level, geo_code, year, measure_id, value, data_origin, source_id,
--       is_estimate, note, source_ref, vintage, stale, source_status, preliminary)
--       source_status: SSB's symbol for a cell that arrived without a value (`.`, `..`, `:`)
--
-- A unit counts towards an aggregate only when both its numerator and denominator are known, so
-- Σ numerator / Σ denominator compares like with like. Rates are never averaged. A measure summed
-- to a coarser unit is known only when every member reported it: no partial sums.
WITH measures AS (
    SELECT DISTINCT base_level, numerator AS measure_id FROM indicator_spec
    UNION
    SELECT DISTINCT base_level, denominator FROM indicator_spec WHERE denominator IS NOT NULL
),
expected AS (
    -- how many reported geographies each base unit should have for each measure
    SELECT m.base_level, m.measure_id, r.unit_code, count(*) AS members
    FROM measures m
    JOIN unit_rollup r ON r.base_level = m.base_level
    JOIN (SELECT DISTINCT measure_id, geo_level FROM stg_measure_values) lv
      ON lv.measure_id = m.measure_id AND lv.geo_level = r.member_level
    GROUP BY ALL
),
unit_values AS (
    SELECT m.base_level, m.measure_id, r.unit_code, v.year,
           CASE WHEN count(v.value) = max(e.members) THEN sum(v.value) END AS value,
           bool_or(v.is_estimate) AS is_estimate,
           CASE WHEN bool_or(v.data_origin = 'synthetic') THEN 'synthetic'
                WHEN bool_or(v.data_origin = 'file') THEN 'file'
                ELSE 'ssb' END AS data_origin,
           string_agg(DISTINCT v.source_ref, ' + ' ORDER BY v.source_ref) AS source_ref,
           -- a part whose vintage is unknown (StatBank sent no 'updated') makes the vintage unknown
           CASE WHEN NOT bool_or(v.vintage IS NULL)
                THEN string_agg(DISTINCT v.vintage, ' + ' ORDER BY v.vintage) END AS vintage,
           bool_or(v.stale) AS stale,
           bool_or(v.preliminary) AS preliminary,
           max(v.source_status) FILTER (WHERE v.value IS NULL) AS source_status
    FROM measures m
    JOIN unit_rollup r ON r.base_level = m.base_level
    JOIN stg_measure_values v
      ON v.measure_id = m.measure_id AND v.geo_level = r.member_level AND v.geo_code = r.member_code
    JOIN expected e ON e.base_level = m.base_level AND e.measure_id = m.measure_id AND e.unit_code = r.unit_code
    GROUP BY ALL
),
units AS (
    SELECT DISTINCT base_level, unit_code FROM unit_rollup
),
paired AS (
    SELECT s.indicator_id, s.target_group, s.base_level, u.unit_code, y.year,
           num.value AS numerator,
           CASE WHEN s.denominator IS NULL THEN NULL ELSE den.value END AS denominator,
           (num.value IS NOT NULL AND (s.denominator IS NULL OR den.value IS NOT NULL)) AS complete,
           coalesce(num.is_estimate, false) OR coalesce(den.is_estimate, false) AS is_estimate,
           CASE WHEN 'synthetic' IN (num.data_origin, den.data_origin) THEN 'synthetic'
                WHEN 'file' IN (num.data_origin, den.data_origin) THEN 'file'
                WHEN 'ssb' IN (num.data_origin, den.data_origin) THEN 'ssb' END AS data_origin,
           concat_ws(' + ', num.source_ref, den.source_ref) AS source_ref,
           CASE WHEN num.value IS NOT NULL AND num.vintage IS NULL THEN NULL
                WHEN s.denominator IS NOT NULL AND den.value IS NOT NULL AND den.vintage IS NULL THEN NULL
                ELSE concat_ws(' + ', num.vintage, den.vintage) END AS vintage,
           coalesce(num.stale, false) OR coalesce(den.stale, false) AS stale,
           coalesce(num.preliminary, false) OR coalesce(den.preliminary, false) AS preliminary,
           coalesce(num.source_status, den.source_status) AS source_status
    FROM indicator_spec s
    JOIN units u ON u.base_level = s.base_level
    CROSS JOIN reporting_years y
    LEFT JOIN unit_values num
      ON num.base_level = s.base_level AND num.measure_id = s.numerator
     AND num.unit_code = u.unit_code AND num.year = y.year
    LEFT JOIN unit_values den
      ON den.base_level = s.base_level AND den.measure_id = s.denominator
     AND den.unit_code = u.unit_code AND den.year = y.year
),
aggregated AS (
    SELECT p.indicator_id, p.target_group, m.geo_level, m.geo_code, p.year,
           sum(p.numerator) FILTER (WHERE p.complete) AS numerator,
           sum(p.denominator) FILTER (WHERE p.complete) AS denominator,
           count(*) FILTER (WHERE p.complete) AS units_reported,
           count(*) AS units_total,
           coalesce(bool_or(p.is_estimate) FILTER (WHERE p.complete), false) AS is_estimate,
           CASE WHEN bool_or(p.data_origin = 'synthetic') FILTER (WHERE p.complete) THEN 'synthetic'
                WHEN bool_or(p.data_origin = 'file') FILTER (WHERE p.complete) THEN 'file'
                WHEN bool_or(p.data_origin = 'ssb') FILTER (WHERE p.complete) THEN 'ssb' END AS data_origin,
           string_agg(DISTINCT p.source_ref, ' + ' ORDER BY p.source_ref) FILTER (WHERE p.complete) AS source_ref,
           CASE WHEN NOT coalesce(bool_or(p.vintage IS NULL) FILTER (WHERE p.complete), false)
                THEN string_agg(DISTINCT p.vintage, ' + ' ORDER BY p.vintage) FILTER (WHERE p.complete)
           END AS vintage,
           coalesce(bool_or(p.stale) FILTER (WHERE p.complete), false) AS stale,
           coalesce(bool_or(p.preliminary) FILTER (WHERE p.complete), false) AS preliminary,
           max(p.source_status) AS source_status
    FROM paired p
    JOIN unit_membership m ON m.base_level = p.base_level AND m.unit_code = p.unit_code
    GROUP BY ALL
),
surveyed AS (
    -- years in which every measure of the indicator exists (all years unless declared)
    SELECT s.indicator_id, s.target_group, y.year,
           (NOT EXISTS (SELECT 1 FROM measure_years my WHERE my.measure_id = s.numerator)
            OR EXISTS (SELECT 1 FROM measure_years my WHERE my.measure_id = s.numerator AND my.year = y.year))
           AND (s.denominator IS NULL
            OR NOT EXISTS (SELECT 1 FROM measure_years my WHERE my.measure_id = s.denominator)
            OR EXISTS (SELECT 1 FROM measure_years my WHERE my.measure_id = s.denominator AND my.year = y.year))
           AS exists_in_year
    FROM indicator_spec s CROSS JOIN reporting_years y
)
SELECT s.indicator_id, g.geo_level, g.geo_code, g.geo_name, y.year, s.target_group,
       a.numerator, a.denominator,
       CASE
           WHEN a.units_reported IS NULL OR a.units_reported = 0 OR NOT sv.exists_in_year THEN NULL
           WHEN s.denominator IS NULL THEN a.numerator
           WHEN a.denominator <> 0 THEN a.numerator / a.denominator * s.factor
       END AS value,
       s.unit,
       CASE
           WHEN a.units_total IS NULL OR NOT sv.exists_in_year THEN 'not_applicable'
           -- a unit on its own keeps the symbol SSB sent for it
           WHEN a.units_reported = 0 AND a.units_total = 1 AND a.source_status = '.' THEN 'not_applicable'
           WHEN a.units_reported = 0 AND a.units_total = 1 AND a.source_status = ':' THEN 'suppressed'
           WHEN a.units_reported = 0 THEN 'missing'
           WHEN s.denominator IS NOT NULL AND a.denominator = 0 THEN 'not_applicable'
           ELSE 'shown'
       END AS status,
       s.base_level AS unit_level,
       coalesce(a.units_reported, 0) AS units_reported,
       coalesce(a.units_total, 0) AS units_total,
       coalesce(a.is_estimate, false) AS is_estimate,
       a.data_origin,
       a.source_ref AS source,
       a.vintage,
       coalesce(a.stale, false) AS stale,
       coalesce(a.preliminary, false) AS preliminary
FROM indicator_spec s
CROSS JOIN geographies g
CROSS JOIN reporting_years y
JOIN surveyed sv ON sv.indicator_id = s.indicator_id AND sv.target_group = s.target_group AND sv.year = y.year
LEFT JOIN aggregated a
  ON a.indicator_id = s.indicator_id AND a.target_group = s.target_group
 AND a.geo_level = g.geo_level AND a.geo_code = g.geo_code AND a.year = y.year
ORDER BY s.indicator_id, s.target_group, g.geo_order, g.geo_code, y.year
