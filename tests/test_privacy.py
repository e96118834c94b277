"""Privacy: suppression rules, a differencing attack on the full public release, and the tiers."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.privacy.attack import attack
from pipelines.privacy.linear import determined_unknowns
from pipelines.privacy.suppression import protect

LATEST = Path("exports/public/latest")
INTERNAL = Path("exports/internal")


# --- the linear-algebra core ---------------------------------------------------------------------


def test_determined_unknowns_finds_single_and_combined_differences() -> None:
    assert determined_unknowns(np.array([[1.0, 0, 0], [0, 1, 1]])).tolist() == [True, False, False]
    assert not determined_unknowns(np.array([[1.0, 1.0]])).any()
    # a+b, a+c and b+c published: no single sum has one unknown, yet all three are determined
    assert determined_unknowns(np.array([[1.0, 1, 0], [1, 0, 1], [0, 1, 1]])).all()


def test_protect_hides_a_second_cell_when_one_is_alone_in_a_sum() -> None:
    values = {("fylke", "01"): 20.0, ("kommune", "a"): 3.0, ("kommune", "b"): 9.0, ("kommune", "c"): 8.0}
    relations = [(("fylke", "01"), [("kommune", "a"), ("kommune", "b"), ("kommune", "c")])]
    added = protect(values, {("kommune", "a")}, relations)
    assert added == [("kommune", "c")]  # the cheapest other municipality (smallest value)


def test_protect_breaks_overlapping_groupings() -> None:
    cells = {("kommune", k): v for k, v in zip("abcd", [2.0, 3.0, 40.0, 50.0], strict=True)}
    cells |= {("fylke", "F"): 5.0 + 40, ("kostragruppe", "G"): 2.0 + 50, ("sentralitet", "S"): 3.0 + 50}
    relations = [
        (("fylke", "F"), [("kommune", "a"), ("kommune", "c")]),
        (("kostragruppe", "G"), [("kommune", "a"), ("kommune", "d")]),
        (("sentralitet", "S"), [("kommune", "b"), ("kommune", "d")]),
    ]
    hidden = {("kommune", "a"), ("kommune", "b")}
    added = protect(cells, hidden, relations)
    all_hidden = sorted(hidden | set(added))
    column = {c: i for i, c in enumerate(all_hidden)}
    matrix = np.zeros((len(relations), len(all_hidden)))
    for row, (parent, children) in enumerate(relations):
        for cell, sign in [(parent, 1.0), *((c, -1.0) for c in children)]:
            if cell in column:
                matrix[row, column[cell]] = sign
    assert not determined_unknowns(matrix).any()


# --- the full demo release -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def public(pipeline_run: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_parquet(pipeline_run / LATEST / f"{name}.parquet")
        for name in ("indicator_values", "dim_indicator_target_group", "dim_geography")
    }


def test_differencing_attack_recovers_no_sensitive_cell(public: dict[str, pd.DataFrame]) -> None:
    cat = load_catalogue()
    levels = {m.id: cat.measure_level(m.id) for m in cat.measures.values()}
    sensitive = {m.id for m in cat.measures.values() if m.sensitive}
    values = public["indicator_values"]
    assert (values.status == "suppressed").sum() > 1000  # the attack has something to attack
    recovered = attack(values, public["dim_indicator_target_group"], public["dim_geography"], levels)
    breaches = [r for r in recovered if r.measure_id in sensitive]
    assert breaches == []


def test_attack_does_recover_when_secondary_suppression_is_missing(
    pipeline_run: Path, public: dict[str, pd.DataFrame]
) -> None:
    """The attack is real: publish the secondary cells and it finds the primary ones again."""
    cat = load_catalogue()
    internal = pd.read_parquet(pipeline_run / INTERNAL / "indicator_values.parquet")
    leaky = internal.copy()
    primary = leaky["suppression"] == "primary"
    for column in ("numerator", "denominator", "value"):
        leaky.loc[primary, column] = np.nan
    leaky.loc[primary, "status"] = "suppressed"
    levels = {m.id: cat.measure_level(m.id) for m in cat.measures.values()}
    recovered = attack(leaky, public["dim_indicator_target_group"], public["dim_geography"], levels)
    sensitive = {m.id for m in cat.measures.values() if m.sensitive}
    assert len([r for r in recovered if r.measure_id in sensitive]) > 100


def test_no_small_sensitive_count_is_published(public: dict[str, pd.DataFrame]) -> None:
    cat = load_catalogue()
    rules = cat.suppression
    sensitive = {m.id for m in cat.measures.values() if m.sensitive}
    rows = public["indicator_values"].merge(
        public["dim_indicator_target_group"], on=["indicator_id", "target_group"]
    )
    shown = rows[rows.status == "shown"]
    small = lambda s: (s > 0) & (s < rules.min_count)  # noqa: E731
    assert not (shown.numerator_measure.isin(sensitive) & small(shown.numerator)).any()
    assert not (shown.denominator_measure.isin(sensitive) & small(shown.denominator)).any()
    either = shown.numerator_measure.isin(sensitive) | shown.denominator_measure.isin(sensitive)
    complement = shown.denominator - shown.numerator
    assert not (either & (complement > 0) & (complement < rules.min_complement)).any()
    small_den = shown.denominator_measure.isin(sensitive) & (shown.denominator < rules.min_denominator)
    assert not (small_den & (shown.denominator > 0)).any()


def test_group_and_alle_never_differ_by_a_small_count(public: dict[str, pd.DataFrame]) -> None:
    values = public["indicator_values"]
    key = ["indicator_id", "geo_level", "geo_code", "year"]
    alle = values[values.target_group == "alle"].set_index(key)
    for group in ("barnefamilier",):
        part = values[values.target_group == group].set_index(key)
        joined = alle.join(part, lsuffix="_alle", rsuffix="_group", how="inner")
        both = joined[(joined.status_alle == "shown") & (joined.status_group == "shown")]
        difference = both.numerator_alle - both.numerator_group
        assert not ((difference > 0) & (difference < load_catalogue().suppression.min_complement)).any()


def test_suppressed_cells_are_null_everywhere_in_public_and_flagged_internally(pipeline_run: Path) -> None:
    public = pd.read_parquet(pipeline_run / LATEST / "indicator_values.parquet")
    hidden = public[public.status == "suppressed"]
    assert hidden[["numerator", "denominator", "value"]].isna().all().all()
    assert set(public.status) <= {"shown", "missing", "not_applicable", "suppressed"}
    assert "suppression" not in public.columns  # primary/secondary only in the internal tier
    internal = pd.read_parquet(pipeline_run / INTERNAL / "indicator_values.parquet")
    assert set(internal.suppression.dropna()) == {"primary", "secondary"}
    key = ["indicator_id", "target_group", "geo_level", "geo_code", "year"]
    joined = public.merge(internal, on=key, suffixes=("_public", "_internal"))
    assert ((joined.status_public == "suppressed") == joined.suppression.notna()).all()
    # the nation is never hidden
    assert (public.loc[public.geo_level == "land", "status"] != "suppressed").all()


def test_no_public_asset_reads_an_internal_table_except_through_suppression() -> None:
    from pipelines.definitions import defs

    graph = defs.get_repository_def().asset_graph
    internal = {dg.AssetKey("indicator_values"), dg.AssetKey("goal_attainment_internal")}
    public_assets = ["indicator_values_public", "goal_attainment", "public_release", "indicator_charts"]
    for name in public_assets:
        parents = graph.get(dg.AssetKey(name)).parent_keys
        if name == "indicator_values_public":
            assert parents == {dg.AssetKey("indicator_values")}  # the suppression step itself
        else:
            assert not parents & internal, name


def test_remembered_secondary_answers_are_reused_only_for_unchanged_inputs(pipeline_run: Path) -> None:
    """suppression_memo: a second pass with the first pass's answers gives the same tiers; an
    answer is looked up by the fingerprint of its inputs, so a changed count is solved afresh."""
    import duckdb

    from pipelines.privacy.suppression import suppress

    cat = load_catalogue()
    with duckdb.connect(str(pipeline_run / "warehouse.duckdb"), read_only=True) as con:
        values = con.execute("SELECT * FROM indicator_values").df()
        geography = con.execute("SELECT * FROM dim_geography").df()
        stored = con.execute("SELECT count(*) FROM suppression_memo").fetchone()[0]
    first = suppress(values, cat, geography)
    assert len(first.memo) == stored > 100  # the warehouse keeps exactly the answers the run used

    again = suppress(values, cat, geography, first.memo)
    pd.testing.assert_frame_equal(again.public, first.public)
    pd.testing.assert_frame_equal(again.internal, first.internal)
    assert again.memo == first.memo

    # A remembered answer is really used: plant a wrong one under every fingerprint …
    planted = {fingerprint: [("kommune", "0301")] for fingerprint in first.memo}
    poisoned = suppress(values, cat, geography, planted)
    assert set(poisoned.cells.loc[poisoned.cells["reason"] == "secondary", "geo_code"]) == {"0301"}
    # … but not for inputs it was not computed from: change one municipal count, and its
    # (measure, year) gets a new fingerprint and a fresh answer.
    numerator_of = {(i.id, g): i.parts(g)[0] for i in cat.indicators.values() for g in i.target_groups}
    measure = pd.Series(
        [numerator_of[key] for key in zip(values["indicator_id"], values["target_group"], strict=True)],
        index=values.index,
    )
    candidates = measure.map(lambda m: cat.measures[m].sensitive) & values["numerator"].gt(50)
    row = values.index[candidates & (values["geo_level"] == "kommune")][0]
    same_cell = (measure == measure[row]) & (values["geo_level"] == "kommune")
    same_cell &= (values["geo_code"] == values.loc[row, "geo_code"]) & (
        values["year"] == values.loc[row, "year"]
    )
    changed = values.copy()
    changed.loc[same_cell, "numerator"] += 1
    partly = suppress(changed, cat, geography, planted)
    fresh = set(partly.memo) - set(planted)
    assert fresh
    clean = suppress(changed, cat, geography)
    assert {f: partly.memo[f] for f in fresh} == {f: clean.memo[f] for f in fresh}
