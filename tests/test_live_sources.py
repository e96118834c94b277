"""Live and cache mode against a local StatBank that answers like the real one (KOSTRA's shape,
07459, 11084), through Dagster with every blocking check, and the source loader on its own for the
ways a table can be missing, switched off or stale. No internet."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.catalogue import load_catalogue
from pipelines.catalogue.modes import resolve
from pipelines.materialize import materialize_all
from pipelines.paths import REFERENCE_DIR
from pipelines.resources import SourceSettings, build_resources
from pipelines.sources.files import SourceDataError
from pipelines.sources.load import load_reference_geography, load_source
from pipelines.sources.statbank_source import preliminary_year
from pipelines.ssb.http import HttpError
from pipelines.ssb.ratelimit import limiter_for
from tests import statbank_tables as tables
from tests.conftest import built_once
from tests.ssb_fake_server import FakeResponse, FakeSSB

RELEASE = "2025-06-16"
PUBLISHED_RATES = pd.read_csv(REFERENCE_DIR / "published_national_rates.csv")


@pytest.fixture(scope="module")
def fake_ssb():
    with FakeSSB() as fake:
        for dataset in tables.all_tables():
            if dataset["label"].startswith("11084"):
                del dataset["updated"]  # an answer without its vintage
            fake.add_table(dataset)
        yield fake


def settings(fake: FakeSSB, cache: Path, mode: str, **extra) -> SourceSettings:
    return SourceSettings(mode=mode, statbank_base_url=fake.statbank_url, cache_dir=str(cache), **extra)


# Everything but the drawing steps: they read the public release only, so they add time here, not
# coverage of the live sources.
EXPORTS = "not group:publication"


def _run(base: Path, sources: SourceSettings) -> dg.ExecuteInProcessResult:
    return materialize_all(
        base,
        resources=build_resources(base, release=RELEASE, sources=sources),
        selection=EXPORTS,
        raise_on_error=False,
    )


SUMMARY = "run_summary.json"


def _live(fake: FakeSSB, base: Path) -> None:
    """A live run through Dagster into ``base``, then a cache-mode run into ``base/replay``, with
    what the tests read of their results saved beside them (the runs are shared by the test
    workers; the result objects are not)."""
    result = _run(base, settings(fake, base / "cache", "live"))
    summary = {
        "success": result.success,
        "failed_steps": [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"],
        "checks": [
            {
                "asset": e.asset_key.to_user_string(),
                "check": e.check_name,
                "passed": e.passed,
                "blocking": e.blocking,
            }  # fmt: skip
            for e in result.get_asset_check_evaluations()
        ],
        "statbank_tables": result.asset_materializations_for_node("raw_kostra_form13")[0]
        .metadata["statbank_tables"]
        .value,
    }
    # then offline from what the live run cached, against the same server address (the cache's
    # keys name it), counting what the server was asked meanwhile
    requests_before = len(fake.requests)
    replay = _run(base / "replay", settings(fake, base / "cache", "cache"))
    summary["replay"] = {"success": replay.success, "requests": len(fake.requests) - requests_before}
    (base / SUMMARY).write_text(json.dumps(summary))


@pytest.fixture(scope="module")
def live_run(fake_ssb: FakeSSB, tmp_path_factory) -> tuple[Path, dict]:
    """One live run per test session, whichever worker gets here first."""
    base = built_once(tmp_path_factory, "live_run", lambda base: _live(fake_ssb, base))
    return base, json.loads((base / SUMMARY).read_text())


def _public(base: Path) -> pd.DataFrame:
    return pd.read_parquet(base / "exports/public/latest/indicator_values.parquet")


def _staged(base: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


@pytest.mark.slow  # a whole Dagster run
def test_live_run_succeeds_in_dagster_with_every_blocking_check(live_run) -> None:
    _base, summary = live_run
    assert summary["success"], summary["failed_steps"]
    evaluations = summary["checks"]
    codes = [e for e in evaluations if e["check"] == "codes_valid_in_their_year"]
    assert len(codes) == len(load_catalogue().sources) and all(e["passed"] for e in codes)
    assert all(e["passed"] for e in evaluations if e["blocking"]), [
        (e["asset"], e["check"]) for e in evaluations if e["blocking"] and not e["passed"]
    ]
    # the codes were judged against the borders each source really uses: 2024 for 07459's
    # agg_KommSummer, each year's own for KOSTRA (historical codes such as 1141 Finnøy 2019)
    raw = _staged(_base, "SELECT DISTINCT kommunenr FROM raw_kostra_form13 WHERE year = 2019")
    assert "1141" in set(raw.kommunenr)


@pytest.mark.slow
def test_population_arrives_exactly_and_the_0_for_a_code_that_did_not_exist_is_not_a_population(
    live_run,
) -> None:
    base, _ = live_run
    staged = _staged(
        base,
        "SELECT geo_code, year, value, data_origin, source_ref, vintage FROM stg_measure_values "
        "WHERE measure_id = 'population_1_january'",
    )
    reference = tables.population_2024_borders()
    joined = staged.merge(reference, left_on=["geo_code", "year"], right_on=["code", "year"])
    assert len(joined) == 357 * 11
    assert (joined.value - joined.population.round()).abs().max() == 0
    assert set(staged.data_origin) == {"ssb"} and set(staged.source_ref) == {"statbank:07459"}
    assert set(staged.vintage) == {tables.POPULATION_UPDATED}
    assert "2122" not in set(staged.geo_code)  # Svalbard's K-21-22 is outside the municipalities


@pytest.mark.slow
def test_children_and_households_arrive_for_every_municipality_and_year(live_run) -> None:
    base, _ = live_run
    staged = _staged(
        base,
        "SELECT measure_id, geo_code, year, value FROM stg_measure_values "
        "WHERE measure_id IN ('children_0_17', 'private_households', 'rented_households') "
        "AND value IS NOT NULL",
    )
    counts = staged.groupby(["measure_id", "year"]).geo_code.nunique()
    assert (counts == 357).all()
    assert set(staged[staged.measure_id == "children_0_17"].year) == set(range(2014, 2025))  # Tid 2015–2025
    assert set(staged[staged.measure_id == "rented_households"].year) == set(range(2015, 2025))  # 11084
    expected = tables.households_values().set_index(["code", "year"])["renters"]
    renters = staged[staged.measure_id == "rented_households"].set_index(["geo_code", "year"])["value"]
    assert (renters - expected.reindex(renters.index)).abs().max() == 0
    children = staged[(staged.measure_id == "children_0_17") & (staged.year == 2023)].set_index("geo_code")
    population = tables.population_2024_borders().query("year == 2024").set_index("code")["population"]
    share = children["value"] / population.reindex(children.index)
    assert share.between(0.17, 0.25).all()  # 1 January 2024 is 31.12.2023


@pytest.mark.slow
def test_national_dwellings_per_1000_reproduce_ssbs_published_whole_numbers(live_run) -> None:
    base, _ = live_run
    public = _public(base)
    national = public[
        (public.indicator_id == "KOSboligSper10000000")
        & (public.geo_level == "land")
        & (public.target_group == "alle")
    ].set_index("year")
    published = PUBLISHED_RATES[PUBLISHED_RATES.indicator_id == "KOSboligSper10000000"]
    checked = 0
    for row in published.itertuples():
        if row.year < 2015:  # KOSTRA's new tables start in 2015
            assert pd.isna(national.loc[row.year, "value"]) and national.loc[row.year, "status"] == "missing"
            continue
        assert round(national.loc[row.year, "value"], row.decimals) == row.value, row.year
        assert national.loc[row.year, "source"] == "statbank:12008 + statbank:07459"
        checked += 1
    assert checked == 3


@pytest.mark.slow
def test_kostra_symbols_keep_their_meaning_and_ssb_national_figures_stay_apart(live_run) -> None:
    base, _ = live_run
    raw = _staged(
        base,
        "SELECT kommunenr, year, municipal_dwellings_private_allocation AS value, "
        "municipal_dwellings_private_allocation__status AS status FROM raw_kostra_form13",
    )
    on_2024 = raw[raw.year == 2024].set_index("kommunenr")
    assert pd.isna(on_2024.loc["0301", "value"]) and on_2024.loc["0301", "status"] == ":"
    assert pd.isna(on_2024.loc["1103", "value"]) and on_2024.loc["1103", "status"] == ".."
    assert not raw.kommunenr.str.startswith("E").any()  # EAK, EKA.., EKG.. are not municipalities
    assert "1141" not in set(raw[raw.year == 2024].kommunenr)  # '.' for a code that no longer existed
    comparison = _staged(base, "SELECT * FROM ssb_comparison_kostra_form13")
    assert {"EAK", "EAKUO", "EKA03", "EKG13"} <= set(comparison.region_code)
    internal = _staged(
        base,
        "SELECT geo_code, status FROM indicator_values WHERE indicator_id = 'KOSboligSper10000000' "
        "AND target_group = 'alle' AND year = 2024 AND geo_level = 'kommune'",
    ).set_index("geo_code")["status"]
    assert internal["0301"] == "suppressed" and internal["1103"] == "missing"


@pytest.mark.slow
def test_qc_report_sets_our_sum_against_ssbs_estimate(live_run) -> None:
    base, _ = live_run
    qc = _staged(base, "SELECT * FROM qc_ssb_national_totals").set_index(["measure_id", "year"])
    row = qc.loc[("municipal_dwellings", 2024)]
    raw = _staged(base, "SELECT municipal_dwellings FROM raw_kostra_form13 WHERE year = 2024")
    assert row.sum_reporting == raw.municipal_dwellings.sum()
    assert row.municipalities_reporting == raw.municipal_dwellings.count() < row.municipalities_total
    suppressed = tables.kostra_values("municipal_dwellings").set_index(["code", "year"])["value"]
    hidden = suppressed[("0301", 2024)] + suppressed[("1103", 2024)]
    assert row.difference == pytest.approx(hidden + tables.IMPUTED_EXTRA)  # SSB imputes; we never do
    report = (base / "exports/internal/qc_ssb_national_totals.md").read_text()
    assert "municipal_dwellings" in report and "EAK" in report
    accounts = qc.loc[("net_expenditure_housing_nok", 2023)]
    assert accounts.ssb_national > 0 and accounts.table_id == "12367"


@pytest.mark.slow
def test_2014_is_missing_with_a_note_never_demo_data(live_run) -> None:
    base, _ = live_run
    staged = _staged(
        base,
        "SELECT measure_id, value, data_origin, source_status, note, source_ref FROM stg_measure_values "
        "WHERE year = 2014 AND source_id IN ('kostra_form13', 'kostra_accounts')",
    )
    assert staged.value.isna().all() and set(staged.source_status.dropna()) == {".."}
    assert set(staged.data_origin) == {"ssb"} and staged.note.notna().all()
    accounts = staged[staged.measure_id == "net_expenditure_housing_nok"]
    assert accounts.note.str.contains("starter i 2015").all()
    unknown = staged[staged.measure_id == "temporary_accommodation_households"]
    assert unknown.note.str.contains("tabellnummeret er ukjent").all()


@pytest.mark.slow
def test_values_carry_their_table_and_updated_time(live_run) -> None:
    base, summary = live_run
    public = _public(base)
    expenditure = public[
        (public.indicator_id == "K1179762623P00004792") & (public.geo_level == "land") & (public.year == 2023)
    ].iloc[0]
    assert expenditure.source == "statbank:12367 + statbank:07459"
    assert tables.KOSTRA_UPDATED in expenditure.vintage and tables.POPULATION_UPDATED in expenditure.vintage
    described = summary["statbank_tables"]
    assert described["kostra_dwellings_12008"]["how"] == "live"
    found = described["kostra_dwellings_12008"]["found_by_label"]
    assert found["municipal_dwellings"] == "Kommunalt disponerte boliger i alt (antall)"
    assert "municipal_dwellings_private_allocation" not in found  # declared, not searched
    assert described["kostra_temporary_accommodation"]["how"] == "not_fetched"


@pytest.mark.slow
def test_an_unknown_vintage_is_null_in_the_release(live_run) -> None:
    base, _ = live_run
    public = _public(base)
    rate = public[(public.indicator_id == "bostotte_per_1000_husholdninger") & (public.status == "shown")]
    assert len(rate) and rate.source.str.contains("statbank:11084").all()
    assert rate.vintage.isna().all()  # 11084 came without 'updated': unknown, not half a vintage
    population = public[(public.indicator_id == "KOSboligSper10000000") & (public.status == "shown")]
    assert population.vintage.notna().all()


@pytest.mark.slow
def test_cache_mode_replays_offline_through_dagster(live_run) -> None:
    base, summary = live_run
    assert summary["replay"]["success"]
    assert summary["replay"]["requests"] == 0  # nothing was asked of the server
    pd.testing.assert_frame_equal(_public(base / "replay"), _public(base))


# The loader on its own: quick, one source at a time -------------------------------------------


def _load(fake: FakeSSB, base: Path, source_id: str, mode: str = "live", **extra):
    catalogue = resolve(load_catalogue(), mode)
    sources = settings(fake, base / "cache", mode, **extra)
    with duckdb.connect(str(base / "w.duckdb")) as con:
        load_reference_geography(con, catalogue)
        return load_source(
            con, catalogue, source_id, statbank=sources.statbank_client(base), live_tables=sources.live_tables
        )


def test_a_switched_off_table_comes_from_the_cache_or_stays_missing_with_a_note(fake_ssb, tmp_path) -> None:
    off = {"live_tables": ["kostra_dwellings_12008"]}  # 12367 not asked live
    with pytest.raises(SourceDataError, match="no StatBank table .* could be fetched.*12367 er ikke med"):
        _load(fake_ssb, tmp_path, "kostra_accounts", **off)
    _load(fake_ssb, tmp_path, "kostra_accounts")  # a live run fills the cache
    requests = len(fake_ssb.requests)
    loaded = _load(fake_ssb, tmp_path, "kostra_accounts", **off)
    assert len(fake_ssb.requests) == requests  # answered from the cache, no socket
    assert loaded.tables[0].how == "cache" and loaded.frame["stale"].all()


def test_a_missing_updated_warns_and_leaves_the_vintage_null(tmp_path, caplog) -> None:
    dataset = tables.table_11084()
    del dataset["updated"]
    with FakeSSB() as fake:
        fake.add_table(tables.table_07459())
        fake.add_table(dataset)
        loaded = _load(fake, tmp_path, "ssb_households")
    assert "vintage is unknown" in caplog.text
    frame = loaded.frame
    assert frame["rented_households__vintage"].isna().all()
    assert (frame["children_0_17__vintage"] == tables.POPULATION_UPDATED).all()


def test_a_zero_in_2024_borders_is_not_stored_as_a_population(tmp_path) -> None:
    dataset = tables.table_07459()
    regions = dataset["dimension"]["Region"]["category"]["index"]
    years = dataset["dimension"]["Tid"]["category"]["index"]
    sizes = dict(zip(dataset["id"], dataset["size"], strict=True))
    for alder in (0, 1):  # K-1580 Haram, 2021: SSB answers 0 for a unit that was not there
        cell = (regions["K-1580"] * sizes["Alder"] + alder) * sizes["ContentsCode"]
        position = cell * sizes["Tid"] + years["2021"]
        dataset["value"][position] = 0
    with FakeSSB() as fake:
        fake.add_table(dataset)
        loaded = _load(fake, tmp_path, "population")
    row = loaded.frame[(loaded.frame.code == "1580") & (loaded.frame.year == 2021)].iloc[0]
    assert pd.isna(row.population) and row.population__status == "."


def test_kostra_years_are_preliminary_until_15_june() -> None:
    assert preliminary_year(2024, "2025-03-15T06:00:00Z", kostra=True)
    assert preliminary_year(2024, "2025-06-14T23:00:00Z", kostra=True)
    assert not preliminary_year(2024, "2025-06-15T06:00:00Z", kostra=True)
    assert not preliminary_year(2023, "2025-03-15T06:00:00Z", kostra=True)
    assert not preliminary_year(2024, "2025-03-15T06:00:00Z", kostra=False)  # population has no cycle
    assert not preliminary_year(2024, None, kostra=True)


def test_preliminary_figures_are_marked_from_the_tables_updated_time(tmp_path) -> None:
    dataset = tables.table_12367()
    dataset["updated"] = "2025-03-16T06:00:00Z"
    with FakeSSB() as fake:
        fake.add_table(dataset)
        loaded = _load(fake, tmp_path, "kostra_accounts")
    marked = loaded.frame.groupby("year")["net_expenditure_housing_nok__preliminary"].all()
    assert marked[2024] and not marked[2023]


def test_failing_live_calls_fail_clearly_or_fall_back_to_the_stale_cache(fake_ssb, tmp_path) -> None:
    _load(fake_ssb, tmp_path, "kostra_accounts")  # fills the cache
    path = fake_ssb.statbank_path("12367", "data")
    fast = {"retries": 1, "backoff_seconds": 0.01}
    fake_ssb.script("POST", path, *[FakeResponse(status=503)] * 10)
    try:
        with pytest.raises(HttpError, match="12367"):
            _load(fake_ssb, tmp_path, "kostra_accounts", **fast)
        loaded = _load(fake_ssb, tmp_path, "kostra_accounts", allow_stale=True, **fast)
    finally:
        fake_ssb._queues[("POST", path)].clear()  # leave the server as other tests expect it
    assert loaded.frame["stale"].all() and loaded.tables[0].stale


def test_cache_mode_without_a_cached_response_fails_clearly(fake_ssb, tmp_path) -> None:
    with pytest.raises(SourceDataError, match=r"No cached StatBank response .*12367.*Run once in live mode"):
        _load(fake_ssb, tmp_path, "kostra_accounts", mode="cache")


LIVE_SETTINGS = {  # every number a run can set, none at its default
    "timeout_seconds": 7.5,
    "retries": 2,
    "backoff_seconds": 0.5,
    "total_deadline_seconds": 45.0,
    "max_calls_per_window": 20,
    "rate_window_seconds": 90.0,
}


def assert_client_carries(client, limiter_url: str) -> None:
    assert (client.timeout, client.retries, client.backoff, client.total_deadline) == (7.5, 2, 0.5, 45.0)
    assert client.limiter is limiter_for(limiter_url)  # the process's, shared, now set to 20 per 90 s
    assert (client.limiter.max_calls, client.limiter.window_seconds) == (20, 90.0)


def test_statbank_settings_come_from_the_environment(monkeypatch, tmp_path) -> None:
    from pipelines.resources import NUMBER_ENV_VARS, build_resources

    for field, (name, _kind) in NUMBER_ENV_VARS.items():
        monkeypatch.setenv(name, str(LIVE_SETTINGS[field]))
    monkeypatch.setenv("BOLIG_SOURCE_MODE", "live")
    monkeypatch.setenv("BOLIG_STATBANK_URL", "http://127.0.0.1:9/env/api/pxwebapi/v2")
    sources = build_resources(tmp_path)["sources"]
    assert {field: getattr(sources, field) for field in LIVE_SETTINGS} == LIVE_SETTINGS
    assert_client_carries(sources.statbank_client(tmp_path), "http://127.0.0.1:9/")
    monkeypatch.setenv("BOLIG_STATBANK_RETRIES", "two")
    with pytest.raises(ValueError, match="BOLIG_STATBANK_RETRIES='two': expected a whole number"):
        build_resources(tmp_path)
    monkeypatch.setenv("BOLIG_STATBANK_RETRIES", "2")
    monkeypatch.setenv("BOLIG_STATBANK_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValueError, match="BOLIG_STATBANK_TIMEOUT_SECONDS='0': expected a number above 0"):
        build_resources(tmp_path)
    monkeypatch.setenv("BOLIG_STATBANK_TIMEOUT_SECONDS", "7.5")
    monkeypatch.setenv("BOLIG_STATBANK_MAX_CALLS", "31")
    with pytest.raises(ValueError, match=r"31 calls per 90 s .*SSB allows at most 30 calls per 60 s"):
        build_resources(tmp_path)["sources"].statbank_client(tmp_path)


def test_statbank_settings_come_from_the_launchpad(tmp_path) -> None:
    """The run config of the real code location's `sources` resource reaches the client."""
    import dagster as dg

    from pipelines.definitions import defs

    resource = defs.resolve_implicit_global_asset_job_def().resource_defs["sources"]
    config = {"mode": "live", "statbank_base_url": "http://127.0.0.1:9/launchpad/api", **LIVE_SETTINGS}
    with dg.build_resources({"sources": resource}, resource_config={"sources": {"config": config}}) as built:
        assert_client_carries(built.sources.statbank_client(tmp_path), "http://127.0.0.1:9/")
    config["total_deadline_seconds"] = 0
    refused = pytest.raises(ValueError, match=r"total_deadline_seconds = 0.0 .*BOLIG_STATBANK_TOTAL_DEADLINE")
    with (
        dg.build_resources({"sources": resource}, resource_config={"sources": {"config": config}}) as built,
        refused,
    ):
        built.sources.statbank_client(tmp_path)


def test_a_table_that_fails_its_preflight_stops_the_asset_and_says_why(tmp_path) -> None:
    dataset = tables.table_12367()
    functions = dataset["dimension"]["KOKfunksjon0000"]["category"]
    functions["label"] = {
        "265": "Kommunalt disponerte boliger",
        "283": "Bistand til etablering og opprettholdelse av egen bolig",
        "316": "Boligbygging og fysiske bomiljøtiltak",  # 315 renumbered: the check must say so
        "244": "Barnevern",
    }
    functions["index"] = {("316" if code == "315" else code): i for code, i in functions["index"].items()}
    with FakeSSB() as fake:
        fake.add_table(dataset)
        selection = dg.AssetSelection.assets(
            "dim_municipality", "dim_comparison_group", "dim_geography", "raw_kostra_accounts",
            "ssb_comparison_kostra_accounts",
        )  # fmt: skip
        instance = dg.DagsterInstance.ephemeral()
        result = materialize_all(
            tmp_path,
            resources=build_resources(tmp_path, sources=settings(fake, tmp_path / "cache", "live")),
            selection=selection,
            raise_on_error=False,
            instance=instance,
        )
        data_calls = fake.requests_to(fake.statbank_path("12367", "data"))
    assert not result.success and not data_calls  # stopped before any data call
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = str(failure.event_specific_data.error)
    assert "StatBank table 12367" in message and "KOKfunksjon0000" in message and "315" in message
    assert "316" in message  # the closest candidate by label
    assert "enabled: false" in message  # how to go on without it
    records = instance.fetch_observations(dg.AssetKey("raw_kostra_accounts"), limit=1).records
    observation = records[0].event_log_entry.asset_observation
    assert observation.metadata["preflight_failed"].value == "kostra_accounts_12367"
    assert any("315" in problem for problem in observation.metadata["problems"].value)
