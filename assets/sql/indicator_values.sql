-- Every indicator for every geography and year, from the staged measures.
--
-- Inputs (prepared by pipelines/indicators/compute.py):
--   indicator_spec(indicator_id, target_group, numerator, denominator, factor, unit)
--   geo_membership(geo_level, geo_order, geo_code, geo_name, kommunenr): which municipalities
--       make up each geography (a municipality is its own member)
--   reporting_years(year)
--   stg_measure_values(kommunenr, year, measure_id, value, data_origin, source_id, is_estimate, note)
--
-- A municipality counts towards an aggregate only when both its numerator and denominator are
-- known, so that Σ numerator / Σ denominator compares like with like. Rates are never averaged.
WITH municipal AS (
    SELECT s.indicator_id, s.target_group, m.kommunenr, y.year,
           num.value AS numerator, den.value AS denominator,
           num.data_origin AS numerator_origin, den.data_origin AS denominator_origin,
           coalesce(num.is_estimate, false) OR coalesce(den.is_estimate, false) AS is_estimate
    FROM indicator_spec s
    CROSS JOIN (SELECT DISTINCT kommunenr FROM geo_membership) m
    CROSS JOIN reporting_years y
    LEFT JOIN stg_measure_values num
           ON num.measure_id = s.numerator AND num.kommunenr = m.kommunenr AND num.year = y.year
    LEFT JOIN stg_measure_values den
           ON den.measure_id = s.denominator AND den.kommunenr = m.kommunenr AND den.year = y.year
),
aggregated AS (
    SELECT mu.indicator_id, mu.target_group, g.geo_level, g.geo_order, g.geo_code, g.geo_name, mu.year,
           sum(mu.numerator) FILTER (WHERE mu.numerator IS NOT NULL AND mu.denominator IS NOT NULL) AS numerator,
           sum(mu.denominator) FILTER (WHERE mu.numerator IS NOT NULL AND mu.denominator IS NOT NULL) AS denominator,
           count(*) FILTER (WHERE mu.numerator IS NOT NULL AND mu.denominator IS NOT NULL) AS municipalities_reported,
           count(*) AS municipalities_total,
           bool_or(mu.is_estimate) FILTER (WHERE mu.numerator IS NOT NULL AND mu.denominator IS NOT NULL) AS is_estimate,
           CASE
               WHEN bool_or(mu.numerator_origin = 'synthetic' OR mu.denominator_origin = 'synthetic') THEN 'synthetic'
               WHEN bool_or(mu.numerator_origin = 'file' OR mu.denominator_origin = 'file') THEN 'file'
               WHEN bool_or(mu.numerator_origin = 'ssb' OR mu.denominator_origin = 'ssb') THEN 'ssb'
           END AS data_origin
    FROM municipal mu
    JOIN geo_membership g USING (kommunenr)
    GROUP BY ALL
)
SELECT a.indicator_id, a.geo_level, a.geo_code, a.geo_name, a.year, a.target_group,
       a.numerator, a.denominator,
       CASE WHEN a.denominator > 0 THEN a.numerator / a.denominator * s.factor END AS value,
       s.unit,
       CASE
           WHEN a.municipalities_reported = 0 THEN 'missing'
           WHEN a.denominator = 0 THEN 'not_applicable'
           ELSE 'shown'
       END AS status,
       a.municipalities_reported, a.municipalities_total,
       coalesce(a.is_estimate, false) AS is_estimate,
       a.data_origin
FROM aggregated a
JOIN indicator_spec s USING (indicator_id, target_group)
ORDER BY a.indicator_id, a.target_group, a.geo_order, a.geo_code, a.year
