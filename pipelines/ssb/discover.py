"""Find StatBank tables and codes, and check ``assets/statbank.yaml`` against StatBank's metadata.

Search (which tables hold «midlertidig botilbud», or a KOSTRA code)::

    python -m pipelines.ssb.discover "midlertidig botilbud"
    python -m pipelines.ssb.discover KOStotmidlbo0000

prints the candidate tables (at most ``--max-tables``, 10 by default) with id, title, first and
last period, whether they are discontinued, their variables and codelists, and the statistics
(ContentsCode) whose code or label has the query's words, with label and unit (all of them when
none match).

Check every definition, enabled or not::

    python -m pipelines.ssb.discover --check [--out DIR] [--years 2015-2024]

writes ``statbank-check-YYYY-MM-DD.md`` and ``.json`` into ``--out`` (default
``<output dir>/reports/``), prints where, and exits with 1 when an enabled definition has a problem
(2 when the check could not run, e.g. StatBank cannot be reached).

Both build the StatBank client as the pipeline does (:class:`pipelines.resources.SourceSettings`:
the same cache folder, retries and timeout, from the same environment variables), so answers
fetched here are in the cache a ``cache`` run replays. ``--mode cache`` answers from that cache
only and never opens a socket.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.atomic import write_text_atomic
from pipelines.catalogue import CatalogueError, load_catalogue
from pipelines.catalogue.models import StatbankTable
from pipelines.paths import ASSETS_DIR, default_release_id, output_dir
from pipelines.ssb.cache import CacheCorruptedError
from pipelines.ssb.http import HttpError
from pipelines.ssb.klass import parse_years
from pipelines.ssb.statbank import StatbankClient
from pipelines.ssb.verify import TableCheck, check_table

MAX_TABLES = 10
_WORD = re.compile(r"\w+")


# Search ----------------------------------------------------------------------------------------


def search_report(
    client: StatbankClient, query: str, *, lang: str = "no", max_tables: int = MAX_TABLES
) -> str:
    """The text ``python -m pipelines.ssb.discover QUERY`` prints (see the module docstring)."""
    hits = client.search(query, lang=lang)
    lines = [f"Søk / search «{query}» i StatBank ({client.base_url}): {len(hits)} tabell(er) / table(s)"]
    if not hits:
        lines.append("Ingen treff / no tables found. Try fewer or other words, or a KOSTRA code.")
        return "\n".join(lines)
    if len(hits) > max_tables:
        lines.append(
            f"Viser de {max_tables} første / showing the first {max_tables} of {len(hits)} "
            "(--max-tables for more)."
        )
    words = [w for w in _WORD.findall(query.lower()) if len(w) > 1]
    for hit in hits[:max_tables]:
        lines.append("")
        lines.extend(_describe_hit(client, hit, words, lang))
    return "\n".join(lines)


def _describe_hit(client: StatbankClient, hit: dict[str, Any], words: list[str], lang: str) -> list[str]:
    table_id = hit["id"]
    lines = [
        f"{table_id}  {hit.get('label') or ''}",
        f"    perioder / periods {hit.get('firstPeriod') or '?'}–{hit.get('lastPeriod') or '?'}"
        f" · oppdatert / updated {hit.get('updated') or '?'}"
        f" · avsluttet / discontinued: {_yes_no(hit.get('discontinued'))}",
    ]
    try:
        metadata = client.metadata(table_id, lang)
    except HttpError as exc:
        if exc.transient or exc.status is None:
            raise
        return [*lines, f"    metadata kunne ikke leses / could not be read: {_one_line(str(exc))}"]
    except (LookupError, ValueError) as exc:
        return [*lines, f"    metadata kunne ikke leses / could not be read: {_one_line(str(exc))}"]
    dimensions = metadata.get("dimension") or {}
    metric = next(iter((metadata.get("role") or {}).get("metric") or []), "ContentsCode")
    variables = []
    for variable in metadata.get("id") or []:
        dimension = dimensions.get(variable) or {}
        text = f"{variable} ({dimension.get('label') or variable})"
        codelists = [c.get("id") for c in (dimension.get("extension") or {}).get("codelists") or []]
        if codelists:
            text += f" [kodelister / codelists: {', '.join(str(c) for c in codelists)}]"
        variables.append(text)
    lines.append(f"    variabler / variables: {'; '.join(variables)}")
    category = (dimensions.get(metric) or {}).get("category") or {}
    labels = category.get("label") or {}
    units = category.get("unit") or {}
    codes = list(category.get("index") or labels)

    def matches(code: str, every: bool) -> bool:
        text = f"{code} {labels.get(code, '')}".lower()
        found = [w in text for w in words]
        return bool(found) and (all(found) if every else any(found))

    chosen = [c for c in codes if matches(c, True)] or [c for c in codes if matches(c, False)]
    if chosen:
        lines.append(
            f"    statistikkvariabler som passer søket / matching statistics ({len(chosen)} av {len(codes)}):"
        )
    else:
        chosen = codes
        lines.append(f"    alle statistikkvariabler / all statistics ({len(codes)}), ingen passer søket:")
    width = max((len(c) for c in chosen), default=0)
    for code in chosen:
        unit = units.get(code) or {}
        unit_text = f"  [{unit.get('base', '?')}, {unit.get('decimals', '?')} des.]" if unit else ""
        lines.append(f"      {code:<{width}}  {labels.get(code, '')}{unit_text}")
    return lines


# Check -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckRun:
    """What ``--check`` did: the checks in YAML order, the report files, and the exit code."""

    checks: list[TableCheck]
    markdown: Path
    json: Path
    exit_code: int


def run_check(
    client: StatbankClient,
    definitions: dict[str, StatbankTable],
    years: list[int],
    out_dir: Path,
    *,
    lang: str = "no",
    date: str | None = None,
) -> CheckRun:
    """Check every definition (enabled or not), write the dated report pair into ``out_dir``."""
    checks = [check_table(client, table, years, lang=lang) for table in definitions.values()]
    date = date or default_release_id()
    generated = datetime.now(ZoneInfo("Europe/Oslo")).isoformat(timespec="seconds")
    context = {
        "date": date,
        "generated_at": generated,
        "base_url": client.base_url,
        "mode": client.mode,
        "lang": lang,
        "years": years,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = write_text_atomic(
        out_dir / f"statbank-check-{date}.md", render_markdown(checks, definitions, context)
    )
    document = render_json(checks, definitions, context)
    data = write_text_atomic(
        out_dir / f"statbank-check-{date}.json", json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    )
    failing = [c for c in checks if not c.ok and definitions[c.definition_id].enabled]
    return CheckRun(checks, markdown, data, 1 if failing else 0)


def render_json(
    checks: list[TableCheck], definitions: dict[str, StatbankTable], context: dict[str, Any]
) -> dict[str, Any]:
    """The machine-readable report: the run's context, a summary and one entry per definition."""
    entries = []
    for check in checks:
        table = definitions[check.definition_id]
        entries.append(
            {
                **check.to_dict(),
                "status": "ok" if check.ok else "problem",
                "enabled": table.enabled,
                "confidence": table.confidence,
                "evidence": table.evidence,
                "title_nb": table.title_nb,
                "feeds_source": table.feeds_source,
                "content_confidence": {c.column: c.confidence for c in table.contents},
            }
        )
    return {**context, "summary": _summary(checks, definitions), "definitions": entries}


def render_markdown(
    checks: list[TableCheck], definitions: dict[str, StatbankTable], context: dict[str, Any]
) -> str:
    """The report for people: headings in Norwegian (bokmål) with English alongside."""
    summary = _summary(checks, definitions)
    years = context["years"]
    lines = [
        f"# Kontroll av StatBank-tabeller / StatBank table check {context['date']}",
        "",
        f"- Kilde / source: {context['base_url']} (modus / mode {context['mode']}, språk / language "
        f"{context['lang']})",
        f"- Kjørt / run: {context['generated_at']}",
        f"- År som kreves / years required: {years[0]}–{years[-1]}" if years else "- År / years: –",
        f"- Definisjoner / definitions: {summary['definitions']} · OK: {summary['ok']} · med problemer / "
        f"with problems: {summary['with_problems']} (aktive / enabled: {summary['enabled_with_problems']})",
        "",
        "Definisjonene står i `assets/statbank.yaml`. En aktiv definisjon med problemer stopper en "
        "live-kjøring; rett den der (tabellnummer, koder, enhet) og legg ved denne rapporten. / "
        "Fix definitions in assets/statbank.yaml and attach this report.",
        "",
        "| definisjon / definition | tabell / table | aktiv / enabled | sikkerhet / confidence | status |",
        "|---|---|---|---|---|",
    ]
    for check in checks:
        table = definitions[check.definition_id]
        status = "OK" if check.ok else f"**problem** ({len(check.problems)})"
        lines.append(
            f"| {check.definition_id} | {check.table_id or 'ukjent / unknown'} | "
            f"{'ja' if table.enabled else 'nei'} | {table.confidence} | {status} |"
        )
    for check in checks:
        lines.append("")
        lines.extend(_markdown_section(check, definitions[check.definition_id]))
    return "\n".join(lines) + "\n"


def _markdown_section(check: TableCheck, table: StatbankTable) -> list[str]:
    info = check.info
    live_title = info.get("label") or "–"
    lines = [
        f"## {check.definition_id}: {check.table_id or 'tabellnummer ukjent / table number unknown'}",
        "",
        f"- Status: {'**OK**' if check.ok else '**problem**'}",
        f"- Tittel i StatBank / title in StatBank: {live_title}",
        f"- Tittel i statbank.yaml / title in statbank.yaml: {table.title_nb}",
        f"- Aktiv / enabled: {_yes_no(table.enabled)} · kilde / feeds: {table.feeds_source}",
        f"- Sikkerhet / confidence: {table.confidence}",
        f"- Belegg / evidence: {_one_line(table.evidence)}",
    ]
    if info:
        lines.append(
            f"- Perioder / periods: {info.get('firstPeriod') or '?'}–{info.get('lastPeriod') or '?'} · "
            f"oppdatert / updated: {info.get('updated') or '?'} · avsluttet / discontinued: "
            f"{_yes_no(info.get('discontinued'))}"
        )
    if check.codes:
        codes = ", ".join(f"{column} = `{code}`" for column, code in check.codes.items())
        lines.append(f"- Koder / codes: {codes}")
    unknown = [c.column for c in table.contents if c.column not in check.codes]
    if unknown:
        lines.append(f"- Uten kode / without a code: {', '.join(unknown)}")
    if check.found_by_label:
        lines += ["", "### Funnet på etikett / found by label", ""]
        for column, label in check.found_by_label.items():
            lines.append(f"- {column}: `{check.codes[column]}` «{label}»")
    if check.notes:
        lines += ["", "### Merknader / notes", ""]
        lines += [f"- {note}" for note in check.notes]
    if check.problems:
        lines += ["", "### Problemer / problems", ""]
        for number, problem in enumerate(check.problems, start=1):
            where = " · ".join(
                part
                for part in (
                    f"variabel / variable `{problem.variable}`" if problem.variable else "",
                    f"kode / code `{problem.code}`" if problem.code else "",
                )
                if part
            )
            lines.append(f"{number}. [{problem.kind}] {problem.message}" + (f" ({where})" if where else ""))
            if problem.candidates:
                lines.append("   Kandidater / candidates:")
                lines += [f"   - {candidate}" for candidate in problem.candidates]
    return lines


def _summary(checks: list[TableCheck], definitions: dict[str, StatbankTable]) -> dict[str, int]:
    failing = [c for c in checks if not c.ok]
    return {
        "definitions": len(checks),
        "ok": len(checks) - len(failing),
        "with_problems": len(failing),
        "enabled_with_problems": sum(1 for c in failing if definitions[c.definition_id].enabled),
    }


# Command line ----------------------------------------------------------------------------------


def build_client(*, url: str | None, cache_dir: str | None, mode: str) -> StatbankClient:
    """A StatBank client built as the pipeline builds it (SourceSettings from the environment)."""
    from pipelines.resources import SourceSettings, build_resources  # Dagster: only when run

    base = output_dir()
    env = build_resources(base)["sources"]
    settings = SourceSettings(
        mode=mode,
        statbank_base_url=url or env.statbank_base_url,
        klass_base_url=env.klass_base_url,
        cache_dir=cache_dir or env.cache_dir,
        allow_stale=env.allow_stale,
        retries=env.retries,
        backoff_seconds=env.backoff_seconds,
        timeout_seconds=env.timeout_seconds,
    )
    client = settings.statbank_client(base)
    assert client is not None  # mode is live or cache
    return client


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.ssb.discover",
        description="Search StatBank for tables and codes, or check assets/statbank.yaml (--check).",
    )
    parser.add_argument("query", nargs="*", help="words or a KOSTRA code to search for")
    parser.add_argument("--check", action="store_true", help="check every definition in statbank.yaml")
    parser.add_argument("--out", type=Path, default=None, help="report folder (default <output dir>/reports)")
    parser.add_argument("--url", default=None, help="PxWebApi 2.0 root (default BOLIG_STATBANK_URL or SSB's)")
    parser.add_argument("--cache-dir", default=None, help="response cache (default as the pipeline's)")
    parser.add_argument("--mode", choices=["live", "cache"], default="live", help="live (default) or cache")
    parser.add_argument("--lang", default="no", help="language of labels: no (default) or en")
    parser.add_argument("--max-tables", type=int, default=MAX_TABLES, help="tables to describe (default 10)")
    parser.add_argument(
        "--years", default=None, help="years to require, e.g. 2015-2024 (default settings.yaml)"
    )
    parser.add_argument("--assets", type=Path, default=ASSETS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    query = " ".join(args.query).strip()
    if args.check == bool(query):
        parser.error("give either search words or --check")
    if args.max_tables < 1:
        parser.error("--max-tables must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        client = build_client(url=args.url, cache_dir=args.cache_dir, mode=args.mode)
        if not args.check:
            print(search_report(client, query, lang=args.lang, max_tables=args.max_tables))
            return 0
        catalogue = load_catalogue(args.assets)
        years = parse_years(args.years) if args.years else catalogue.settings.years
        out_dir = args.out if args.out is not None else output_dir() / "reports"
        run = run_check(client, catalogue.statbank, years, out_dir, lang=args.lang)
    except (HttpError, LookupError, CacheCorruptedError, CatalogueError, ValueError, OSError) as exc:
        print(f"discover: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    summary = _summary(run.checks, catalogue.statbank)
    print(f"Rapport / report: {run.markdown}")
    print(f"            JSON: {run.json}")
    print(
        f"{summary['definitions']} definisjoner / definitions: {summary['ok']} OK, "
        f"{summary['with_problems']} med problemer / with problems "
        f"({summary['enabled_with_problems']} aktive / enabled)"
    )
    for check in run.checks:
        if not check.ok:
            enabled = catalogue.statbank[check.definition_id].enabled
            print(f"  {check.definition_id}{'' if enabled else ' (ikke aktiv / not enabled)'}:")
            for problem in check.problems:
                print(f"    - {problem}")
    return run.exit_code


def _yes_no(value: Any) -> str:
    return "ukjent / unknown" if value is None else ("ja / yes" if value else "nei / no")


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    raise SystemExit(main())
