"""The handbook's content, built from the catalogue and the public values of one release.

Pure: takes a :class:`Catalogue` and a DataFrame shaped like ``indicator_values_public`` and
returns a :class:`Document`. Nothing here depends on the date, the release id or the folder the
values came from, so the same catalogue and data always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.catalogue.labels import (
    DIRECTION_LABELS_NB,
    KIND_LABELS_NB,
    STATUS_SYMBOLS,
    UNIT_LEVEL_PLURAL_NB,
)
from pipelines.catalogue.models import Indicator, Strategy, SuppressionRules, Target
from pipelines.findings.spec import load_findings_spec
from pipelines.formatting import (
    DATA_ORIGIN_LABELS_NB,
    MISSING_MARK,
    data_origin_codes,
    fewest_decimals,
    format_factor_nb,
    format_number_nb,
    format_value_nb,
    relative_change_nb,
    short_strategy_name,
    unit_label_nb,
)
from pipelines.geography.reference import NATION_CODE
from pipelines.handbook.document import (
    BulletList,
    Comment,
    Document,
    Heading,
    Inline,
    Item,
    Note,
    Paragraph,
    Span,
    Table,
    code,
    demo,
    em,
    inline,
    link,
    small,
    strong,
)
from pipelines.handbook.findings import SECTION_FINDINGS, findings_section
from pipelines.indicators.compute import base_level

TITLE = "Indikatorhåndbok for boligsosiale styringsindikatorer"
REGENERATE_COMMAND = "python -m pipelines.handbook"
MAKE_TARGET = "make handbook"
GENERATED_NOTE = (
    f"Generert av `{REGENERATE_COMMAND}` fra assets/*.yaml og den publiske utgivelsen. "
    "Ikke rediger for hånd: endre katalogen og generer på nytt."
)
SYNTHETIC = "synthetic"
SYNTHETIC_MARK = "syntetiske demodata"

GOAL_KIND_NB = {"goal": "hovedmål", "priority_area": "innsatsområde", "result_target": "resultatmål"}
TARGET_KIND_NB = {"official": "Offisielt mål", "analytical": "Analytisk mål (ikke vedtatt)"}
STATUS_NB = {
    "suppressed": "prikket (skjult av personvernhensyn)",
    "missing": "mangler",
    "not_applicable": "ikke aktuelt (for eksempel et år uten kartlegging eller et nivå kilden ikke dekker)",
}
LEVEL_COVERAGE_NB = {
    "kommune": "kommuner, fylker, statsforvalterne, landet og sammenligningsgruppene (KOSTRA-grupper, "
    "sentralitet, størrelse)",
    "fylke": "fylker, statsforvalterne og landet; kilden finnes ikke per kommune",
    "land": "bare landet",
}

RULES_FILE = "assets/suppression.yaml"
SECTION_INTRO = "innledning"
SECTION_READING = "slik-leser-du"
SECTION_INDEX = "oversikt"
SECTION_GOALS = "strategimaal"
SECTION_SUPPRESSION = "prikking"
SECTION_INDICATORS = "indikatorer"


@dataclass(frozen=True)
class LatestValue:
    year: int
    value: float
    data_origin: str
    is_estimate: bool
    preliminary: bool
    stale: bool
    units_reported: int | None = None  # municipalities (or counties) behind the national value
    units_total: int | None = None
    unit_level: str | None = None  # what the units are: kommune | fylke | land

    @property
    def synthetic(self) -> bool:
        return SYNTHETIC in _origins(self.data_origin)


def _origins(data_origin: str) -> list[str]:
    try:
        return data_origin_codes(data_origin)
    except ValueError:
        return []


def latest_national_values(values: pd.DataFrame) -> dict[tuple[str, str], LatestValue]:
    """(indicator, target group) → the newest shown national value in the public release."""
    shown = values[
        (values["geo_level"] == "land")
        & (values["geo_code"] == NATION_CODE)
        & (values["status"] == "shown")
        & values["value"].notna()
    ]
    latest = shown.sort_values(["indicator_id", "target_group", "year"]).groupby(
        ["indicator_id", "target_group"], sort=True
    )
    result: dict[tuple[str, str], LatestValue] = {}
    for (indicator_id, group), rows in latest:
        row = rows.iloc[-1]
        result[(str(indicator_id), str(group))] = LatestValue(
            year=int(row["year"]),
            value=float(row["value"]),
            data_origin="" if pd.isna(row["data_origin"]) else str(row["data_origin"]),
            is_estimate=bool(row["is_estimate"]),
            preliminary=bool(row["preliminary"]),
            stale=bool(row["stale"]),
            units_reported=_whole(row.get("units_reported")),
            units_total=_whole(row.get("units_total")),
            unit_level=None if pd.isna(row.get("unit_level")) else str(row.get("unit_level")),
        )
    return result


def _whole(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


# --- Formatting ---------------------------------------------------------------------------------


def _range_nb(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def _list_nb(parts: Iterable[str]) -> str:
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def _join(parts: list[Inline], separator: str = ", ") -> Inline:
    joined: list[Span] = []
    for position, part in enumerate(parts):
        if position:
            joined.append(Span(separator))
        joined.extend(part)
    return tuple(joined)


def _strategy_label(strategy: Strategy) -> str:
    return f"{short_strategy_name(strategy.name_nb)} ({strategy.first_year}–{strategy.last_year})"


# --- Pieces of an indicator ---------------------------------------------------------------------


def _measure(cat: Catalogue, measure_id: str) -> Inline:
    return inline(cat.measures[measure_id].name_nb, " (", code(measure_id), ")")


def formula(cat: Catalogue, indicator: Indicator, group: str) -> Inline:
    """Numerator / denominator × factor with the measures' Norwegian names and ids."""
    numerator, denominator = indicator.parts(group)
    parts = [_measure(cat, numerator)]
    if denominator is not None:
        parts += [inline(" / "), _measure(cat, denominator)]
    if indicator.factor != 1:
        parts.append(inline(f" × {format_factor_nb(indicator.factor)}"))
    return inline(*parts)


def _all_measures(indicator: Indicator) -> list[str]:
    measures: list[str] = []
    for group in indicator.target_groups:
        for measure in indicator.parts(group):
            if measure is not None and measure not in measures:
                measures.append(measure)
    return measures


def _formula_items(cat: Catalogue, indicator: Indicator) -> list[Item]:
    main = indicator.target_groups[0]
    differing = [g for g in indicator.target_groups[1:] if indicator.parts(g) != indicator.parts(main)]
    if not differing:
        return [Item(inline(strong("Formel:"), " ", formula(cat, indicator, main)))]
    children = tuple(
        Item(inline(f"{cat.target_groups[g].name_nb}: ", formula(cat, indicator, g)))
        for g in indicator.target_groups
    )
    return [Item(inline(strong("Formel"), " (egne grunnlagstall per målgruppe):"), children)]


def _source_items(cat: Catalogue, indicator: Indicator) -> Item:
    measures = _all_measures(indicator)
    sources: list[str] = []
    for measure in measures:
        if cat.measures[measure].source not in sources:
            sources.append(cat.measures[measure].source)
    children: list[Item] = []
    for source_id in sources:
        source = cat.sources[source_id]
        parts = [inline(link(source.name_nb, source.url), f" – {source.producer_nb}")]
        for table in cat.statbank_for(source_id):
            by_column = {c.column: c for c in table.contents}
            covered = [
                m
                for m in measures
                if cat.measures[m].source == source_id and cat.measures[m].column in by_column
            ]
            if covered:
                where = f"tabell {table.table_id}" if table.table_id else "en tabell med ukjent nummer"
                sure = {"confirmed": "bekreftet", "likely": "sannsynlig", "unknown": "ikke bekreftet"}
                parts.append(
                    inline(
                        f"; i live-modus fra SSBs statistikkbank, {where} ({sure[table.confidence]}"
                        f"{'' if table.enabled else ', ikke slått på'}: ",
                        _join([inline(code(m)) for m in covered]),
                        ")",
                    )
                )
        if source.survey is not None:  # what a survey's figures are: voluntary, or national estimates
            parts.append(f". {source.survey.about_nb}")
        if source.available_from is not None:  # earlier years are `..`, and the reader is told why
            parts.append(f". {source.earlier_years_note_nb}")
        children.append(Item(inline(*parts)))
    return Item(inline(strong("Kilder til grunnlagstallene:")), tuple(children))


def _coverage_items(cat: Catalogue, indicator: Indicator) -> list[Item]:
    main = indicator.target_groups[0]
    level = base_level(cat, *indicator.parts(main))
    items = [Item(inline(strong("Geografi:"), f" {LEVEL_COVERAGE_NB.get(level, level)}."))]
    first, last = cat.settings.first_year, cat.settings.last_year
    years = sorted(
        {y for m in _all_measures(indicator) for y in (cat.measures[m].years or ()) if first <= y <= last}
    )
    if years:
        items.append(
            Item(
                inline(
                    strong("Tidsdekning:"),
                    f" bare årene {_list_nb(str(y) for y in years)} (årene målingen gjøres); andre år vises "
                    f"som «ikke aktuelt» ({STATUS_SYMBOLS['not_applicable']}), aldri interpolert.",
                )
            )
        )
    else:
        items.append(Item(inline(strong("Tidsdekning:"), f" hvert år {first}–{last}.")))
    return items


def _goal_items(cat: Catalogue, indicator: Indicator) -> Item:
    children: list[Item] = []
    for strategy in cat.strategies.values():
        goals = {g.id: g for g in strategy.goals}
        served = [ref.goal for ref in indicator.serves if ref.strategy == strategy.id]
        if not served:
            continue
        for goal_id in served:
            goal = goals[goal_id]
            kind = GOAL_KIND_NB[goal.kind]
            parent = f" under {goal.parent}" if goal.parent else ""
            children.append(
                Item(
                    inline(
                        f"{_strategy_label(strategy)}: ",
                        link(goal.id, f"#{goal_anchor(strategy.id, goal.id)}"),
                        f" {goal.name_nb} ",
                        small(f"({kind}{parent})"),
                    )
                )
            )
    return Item(inline(strong("Strategimål den følger opp:")), tuple(children))


def _target_text(cat: Catalogue, indicator: Indicator, target: Target) -> Inline:
    strategy = cat.strategies[target.strategy]
    if target.value is not None:
        decimals = fewest_decimals(target.value, indicator.decimals)
        goal = f"{format_value_nb(target.value, indicator.unit, decimals)} innen {target.target_year}"
    else:
        goal = (
            f"{relative_change_nb(target.change or 0)} fra utgangsåret "
            f"{strategy.baseline_year} innen {target.target_year}"
        )
    parts = [
        inline(
            strong(f"{TARGET_KIND_NB[target.kind]}:"),
            f" {goal} for {cat.target_groups[target.target_group].name_nb.lower()} ",
            f"({short_strategy_name(strategy.name_nb)}, ",
            link(target.goal, f"#{goal_anchor(strategy.id, target.goal)}"),
            f"). Kilde: {target.source_nb.rstrip('.')}.",
        )
    ]
    if target.kind == "analytical":
        parts.append(inline(f" Satt av: {target.author}. Begrunnelse: {target.reason}"))
    return inline(*parts)


def _target_items(cat: Catalogue, indicator: Indicator) -> Item:
    targets = [t for t in cat.targets if t.indicator == indicator.id]
    if not targets:
        text = " ingen tallfestede mål; framgang vurderes etter retning og tempo."
        if indicator.direction == "neutral":
            text = " ingen; kontekstindikatorer vurderes ikke mot mål."
        return Item(inline(strong("Tallfestede mål:"), text))
    return Item(
        inline(strong("Tallfestede mål:")), tuple(Item(_target_text(cat, indicator, t)) for t in targets)
    )


def effective_rules(cat: Catalogue, indicator: Indicator) -> tuple[SuppressionRules, list[str]]:
    """The suppression rules that apply to an indicator, and the names of the overridden fields."""
    if indicator.suppression is None:
        return cat.suppression, []
    overrides = {k: v for k, v in indicator.suppression.model_dump().items() if v is not None}
    return cat.suppression.model_copy(update=overrides), sorted(overrides)


def _suppression_item(cat: Catalogue, indicator: Indicator) -> Item:
    measures = _all_measures(indicator)
    sensitive = [m for m in measures if cat.measures[m].sensitive]
    rules, overridden = effective_rules(cat, indicator)
    if overridden:
        settings = ", ".join(f"{name} = {getattr(rules, name)}" for name in overridden)
        head = inline(
            f" egne regler for denne indikatoren ({settings}); ellers standardreglene i ",
            code(RULES_FILE),
            ".",
        )
    else:
        head = inline(" standardreglene i ", code(RULES_FILE), ".")
    if not sensitive:
        return Item(
            inline(strong("Prikking:"), " ingen av grunnlagstallene er sensitive, så verdiene prikkes ikke.")
        )
    children = [Item(inline("Sensitive grunnlagstall: ", _join([_measure(cat, m) for m in sensitive]), "."))]
    if rules.min_count > 1:
        children.append(
            Item(inline(f"Et sensitivt antall på {_range_nb(1, rules.min_count - 1)} skjules (0 vises)."))
        )
    own = set(_all_measures(indicator))
    relations = [r for r in cat.relations if r.whole in own and own & set(r.parts) & set(sensitive)]
    if rules.min_complement > 1 and relations:
        text = "; ".join(" − ".join([r.whole, *r.parts]) for r in relations)
        children.append(
            Item(
                inline(
                    "Forskjellen mellom et helt og delene (" + text + ") beskyttes når den er "
                    f"{_range_nb(1, rules.min_complement - 1)}: «alle unntatt noen få» avslører like "
                    "mye som tallet selv."
                )
            )
        )
    if rules.min_denominator > 1 and any(indicator.parts(g)[1] in sensitive for g in indicator.target_groups):
        children.append(
            Item(
                inline(
                    "Telleren skjules når den sensitive nevneren er "
                    f"{_range_nb(1, rules.min_denominator - 1)} og telleren ikke er 0."
                )
            )
        )
    children.append(
        Item(
            inline(
                "Sekundærprikking er bevist: for hvert beskyttet tall regnes intervallet en angriper kan "
                "bevise ut fra alt som er publisert; det skal være minst "
                f"{rules.protection_level} bredt."
            )
        )
    )
    return Item(inline(strong("Prikking:"), head), tuple(children))


def _value_text(indicator: Indicator, latest: LatestValue | None, group_name: str | None = None) -> Inline:
    if latest is None:
        return inline(em("ingen publisert nasjonal verdi i utgivelsen"))
    flags = [
        text
        for flag, text in (
            (latest.is_estimate, "estimert"),
            (latest.preliminary, "foreløpig"),
            (latest.stale, "fra en eldre, mellomlagret kildeversjon"),
        )
        if flag
    ]
    if (
        latest.units_reported is not None
        and latest.units_total
        and latest.units_reported < latest.units_total
    ):
        # a partial base (a voluntary survey, units that did not report) is said with the figure
        units = UNIT_LEVEL_PLURAL_NB.get(latest.unit_level or "", "enheter")
        flags.append(
            f"grunnlag {format_number_nb(latest.units_reported)} av "
            f"{format_number_nb(latest.units_total)} {units}"
        )
    details = [str(latest.year), *([f"målgruppe: {group_name}"] if group_name else []), *flags]
    parts = [
        inline(strong(format_value_nb(latest.value, indicator.unit, indicator.decimals))),
        inline(f" ({', '.join(details)})"),
    ]
    if latest.synthetic:
        parts.append(inline(" – ", demo(SYNTHETIC_MARK)))
    else:
        origins = [DATA_ORIGIN_LABELS_NB[c] for c in _origins(latest.data_origin)]
        if origins:
            parts.append(inline(f" – data: {', '.join(origins)}"))
    return inline(*parts)


def _value_items(
    cat: Catalogue, indicator: Indicator, latest: dict[tuple[str, str], LatestValue]
) -> list[Item]:
    main = indicator.target_groups[0]
    items = [
        Item(
            inline(
                strong("Siste nasjonale verdi:"),
                " ",
                _value_text(indicator, latest.get((indicator.id, main)), cat.target_groups[main].name_nb),
            )
        )
    ]
    others = tuple(
        Item(
            inline(
                f"{cat.target_groups[g].name_nb}: ",
                _value_text(indicator, latest.get((indicator.id, g))),
            )
        )
        for g in indicator.target_groups[1:]
    )
    if others:
        items.append(Item(inline("Andre målgrupper:"), others))
    return items


def indicator_blocks(
    cat: Catalogue, indicator: Indicator, latest: dict[tuple[str, str], LatestValue]
) -> list:
    id_note = "KOSTRA-indikatorkode hos SSB" if indicator.kind == "kostra" else "prosjektets egen id"
    groups = [cat.target_groups[g].name_nb for g in indicator.target_groups]
    group_text = f"{groups[0]} (hovedmålgruppe)" + "".join(f", {g}" for g in groups[1:])
    facts = [
        Item(inline(strong("Id:"), " ", code(indicator.id), f" ({id_note})")),
        Item(inline(strong("Type:"), f" {KIND_LABELS_NB[indicator.kind]}")),
        *_formula_items(cat, indicator),
        Item(
            inline(
                strong("Enhet:"),
                f" {unit_label_nb(indicator.unit)} ",
                small(f"({indicator.decimals} desimal{'er' if indicator.decimals != 1 else ''})"),
            )
        ),
        Item(inline(strong("Retning:"), f" {DIRECTION_LABELS_NB[indicator.direction]}")),
        Item(inline(strong("Målgrupper:"), f" {group_text}")),
        *_coverage_items(cat, indicator),
        _source_items(cat, indicator),
        Item(inline(strong("Indikatorens utgiver:"), " ", link(indicator.source_nb, indicator.source_url))),
        _goal_items(cat, indicator),
        _target_items(cat, indicator),
        _suppression_item(cat, indicator),
        *_value_items(cat, indicator, latest),
    ]
    return [
        Heading(4, inline(code(indicator.id), f" {indicator.name_nb}"), indicator.id),
        Paragraph(inline(small(indicator.name_en, lang="en")), css_class="english"),
        Paragraph(inline(indicator.definition_nb)),
        BulletList(tuple(facts), css_class="facts"),
    ]


# --- Structure ----------------------------------------------------------------------------------


def goal_anchor(strategy_id: str, goal_id: str) -> str:
    return f"mal-{strategy_id}-{goal_id}"


def themes(cat: Catalogue) -> dict[str, list[Indicator]]:
    """Indicators grouped by the source of their main numerator, in catalogue order."""
    grouped: dict[str, list[Indicator]] = {}
    for indicator in cat.indicators.values():
        source = cat.measures[indicator.numerator].source
        grouped.setdefault(source, []).append(indicator)
    return grouped


def _intro(cat: Catalogue, latest: dict[tuple[str, str], LatestValue]) -> list:
    strategies = _list_nb(_strategy_label(s) for s in cat.strategies.values())
    blocks: list = [
        Heading(2, inline("Innledning"), SECTION_INTRO),
        Paragraph(
            inline(
                f"Håndboka beskriver alle {len(cat.indicators)} styringsindikatorene for det boligsosiale "
                "arbeidet som pipelinen beregner for kommuner, fylker, statsforvalterne og landet, og "
                f"hvordan de følger opp strategiene {strategies}. For hver indikator står definisjonen, "
                "formelen, enheten, retningen, kildene, målgruppene, strategimålene, tallfestede mål, "
                "prikkereglene og siste nasjonale verdi."
            )
        ),
        Paragraph(
            inline(
                strong("Generert – ikke rediger for hånd."),
                " Håndboka lages fra den deklarative katalogen i ",
                code("assets/*.yaml"),
                " (indikatorer, grunnlagstall, kilder, strategier, tallfestede mål, målgrupper og "
                "prikkeregler) og fra den publiske utgivelsen til en pipelinekjøring (",
                code("exports/public/latest/indicator_values.parquet"),
                "). Endre katalogen, kjør ",
                code("make run"),
                " og så ",
                code(MAKE_TARGET),
                " (eller ",
                code(f"{REGENERATE_COMMAND} [utdatamappe]"),
                "; standard er ",
                code("BOLIG_OUTPUT_DIR"),
                " eller ",
                code("data/"),
                "). En test feiler når håndboka ikke stemmer med katalogen.",
            )
        ),
    ]
    origins = {o for v in latest.values() for o in _origins(v.data_origin)}
    if SYNTHETIC in origins:
        real = [s.name_nb for s in cat.sources.values() if s.data_origin == "ssb"]
        exception = (
            f" Unntaket er {_list_nb(f'«{name}»' for name in real)}, som er ekte tall." if real else ""
        )
        blocks.append(
            Note(
                inline(
                    demo("Syntetiske demodata."),
                    " Verdiene i denne utgaven er beregnet fra de syntetiske demodataene som følger med "
                    "prosjektet. De viser hvordan indikatorene ser ut, men er ikke offisielle tall og må "
                    f"ikke brukes som fakta.{exception}",
                )
            )
        )
    return blocks


def _reading_guide(cat: Catalogue) -> list:
    symbols = _join(
        [
            inline(code(STATUS_SYMBOLS[s]), f" {STATUS_NB[s]}")
            for s in ("suppressed", "missing", "not_applicable")
        ],
        "; ",
    )
    return [
        Heading(3, inline("Slik leser du beskrivelsene"), SECTION_READING),
        BulletList(
            (
                Item(
                    inline(
                        strong("Formel:"),
                        " teller / nevner × faktor, med grunnlagstallenes norske navn og id fra ",
                        code("assets/measures.yaml"),
                        ". Indikatoren regnes som summen av telleren delt på summen av nevneren på hvert "
                        "nivå (kommune, fylke, statsforvalter, land), aldri som et gjennomsnitt av "
                        "kommunenes eller fylkenes rater. Uten "
                        "nevner er indikatoren et antall.",
                    )
                ),
                Item(
                    inline(
                        strong("Retning:"),
                        " «høyere er bedre» eller «lavere er bedre» sier hvilken vei framgang går; en "
                        "kontekstindikator beskriver situasjonen og vurderes ikke som framgang eller "
                        "tilbakegang.",
                    )
                ),
                Item(
                    inline(
                        strong("Id:"),
                        " offisielle KOSTRA-indikatorer har SSBs kode uendret; de andre har prosjektets "
                        "egen id.",
                    )
                ),
                Item(
                    inline(
                        strong("Siste nasjonale verdi:"),
                        " landstallet for hovedmålgruppen (den første målgruppen) i det siste året med "
                        "publisert verdi, med norsk tallformat. Tegn for verdier som ikke vises: ",
                        symbols,
                        ". Slike verdier vises aldri som null.",
                    )
                ),
            )
        ),
    ]


def _index_table(cat: Catalogue, latest: dict[tuple[str, str], LatestValue]) -> list:
    rows = []
    values = [latest.get((i.id, i.target_groups[0])) for i in cat.indicators.values()]
    all_synthetic = all(v is None or v.synthetic for v in values) and any(v is not None for v in values)
    for indicator, value in zip(cat.indicators.values(), values, strict=True):
        if value is None:
            shown = inline(MISSING_MARK)
        else:
            number = format_number_nb(value.value, indicator.decimals)
            shown = inline(f"{number} ({value.year})")
            if value.synthetic and not all_synthetic:
                shown = inline(shown, " ", demo(SYNTHETIC_MARK))
        rows.append(
            (
                inline(link(indicator.id, f"#{indicator.id}")),
                inline(indicator.name_nb),
                inline(unit_label_nb(indicator.unit)),
                inline(DIRECTION_LABELS_NB[indicator.direction]),
                shown,
            )
        )
    blocks: list = [
        Heading(2, inline("Oversikt over indikatorene"), SECTION_INDEX),
        Table(
            ("Id", "Navn", "Enhet", "Retning", "Siste nasjonale verdi (år)"),
            tuple(rows),
            numeric=frozenset({4}),
        ),
    ]
    note = "Siste nasjonale verdi gjelder hovedmålgruppen; se hver indikator for de andre målgruppene."
    if all_synthetic:
        blocks.append(
            Paragraph(
                inline(
                    note, " Alle verdiene i tabellen er ", demo(SYNTHETIC_MARK), " – ikke offisielle tall."
                )
            )
        )
    else:
        blocks.append(Paragraph(inline(note)))
    return blocks


def _goals_section(cat: Catalogue) -> list:
    blocks: list = [
        Heading(2, inline("Indikatorer etter strategimål"), SECTION_GOALS),
        Paragraph(
            inline(
                "Hvilke indikatorer som følger opp hvert hovedmål, innsatsområde og resultatmål. En "
                "indikator kan følge opp flere mål, også i begge strategiene. Strategiene har ikke publisert "
                "en egen liste over hovedindikatorer; koblingen er prosjektets rekonstruksjon (",
                code("serves"),
                " i ",
                code("assets/indicators.yaml"),
                ").",
            )
        ),
    ]
    for strategy in cat.strategies.values():
        blocks.append(Heading(3, inline(strategy.name_nb), f"strategi-{strategy.id}"))
        blocks.append(
            Paragraph(
                inline(
                    small(strategy.name_en, lang="en"),
                    f" Utgangsår for framgangsvurderingen: {strategy.baseline_year}. ",
                    link("Strategidokumentet", strategy.url),
                    ".",
                )
            )
        )
        items = []
        for goal in strategy.goals:
            served = [
                i
                for i in cat.indicators.values()
                if any(r.strategy == strategy.id and r.goal == goal.id for r in i.serves)
            ]
            kind = GOAL_KIND_NB[goal.kind] + (f" under {goal.parent}" if goal.parent else "")
            children = tuple(Item(inline(link(i.id, f"#{i.id}"), f" {i.name_nb}")) for i in served)
            if not children:
                parts = [g.id for g in strategy.goals if g.parent == goal.id]
                text = f"følges opp gjennom {_list_nb(parts)}" if parts else "ingen indikatorer ennå"
                children = (Item(inline(em(text))),)
            items.append(
                Item(
                    inline(
                        strong(goal.id),
                        f" {goal.name_nb} ",
                        small(f"({kind})"),
                    ),
                    children,
                    anchor=goal_anchor(strategy.id, goal.id),
                )
            )
        blocks.append(BulletList(tuple(items)))
    return blocks


def _suppression_section(cat: Catalogue) -> list:
    rules = cat.suppression
    sensitive = [m for m in cat.measures.values() if m.sensitive]
    return [
        Heading(2, inline("Prikking (vern av små tall)"), SECTION_SUPPRESSION),
        Paragraph(
            inline(
                "Den publiske utgivelsen skjuler små tall om personer og husstander i sårbare situasjoner. "
                "Reglene gjelder alle sensitive grunnlagstall (",
                code("sensitive: true"),
                " i ",
                code("assets/measures.yaml"),
                f"; {len(sensitive)} av {len(cat.measures)}). Enheten som beskyttes er cellen – ett "
                "grunnlagstall for ett område i ett år: en skjult celle er tom i alle indikatorer og filer "
                "som ville vist den. Åpne tall som ikke handler om sårbare grupper (befolkning, barn, "
                "husholdninger) skjules aldri. Reglene står i ",
                code("assets/suppression.yaml"),
                ".",
            )
        ),
        BulletList(
            (
                Item(
                    inline(
                        f"Et sensitivt antall på {_range_nb(1, rules.min_count - 1)} skjules; 0 er et "
                        "eksakt tall og vises."
                    )
                ),
                Item(
                    inline(
                        "For hver relasjon i ",
                        code("assets/measures.yaml"),
                        " (deler av et helt, f.eks. flyktninger blant nyinnflyttede, barnefamilier blant "
                        f"alle) beskyttes en forskjell på {_range_nb(1, rules.min_complement - 1)} mellom "
                        "helt og deler: «alle unntatt noen få» avslører like mye som tallet selv.",
                    )
                ),
                Item(
                    inline(
                        "Alle eller noen i en sensitiv gruppe på "
                        f"{_range_nb(1, rules.min_denominator - 1)} skjules (telleren, når den ikke er 0)."
                    )
                ),
                Item(
                    inline(
                        "Sekundærprikking med bevis: for hvert beskyttet tall regner en lineærprogrammering "
                        "ut intervallet en angriper kan bevise fra alt som er publisert – alle summer "
                        "kommune → fylke → statsforvalter → land og sammenligningsgruppene, relasjonene, at "
                        "antall er hele "
                        f"tall og aldri negative. Intervallet skal være minst {rules.protection_level} "
                        "bredt; ellers skjules de billigste ekstra cellene som gir rom, og kontrollen "
                        "kjøres på nytt. Kjøringen stopper med feil om det ikke lykkes."
                    )
                ),
                Item(
                    inline(
                        "En indikatorverdi skjules når telleren eller nevneren er skjult. Prikkede verdier "
                        "vises som ",
                        code(STATUS_SYMBOLS["suppressed"]),
                        " og aldri som null.",
                    )
                ),
            )
        ),
    ]


def _toc(cat: Catalogue) -> list:
    theme_items = tuple(
        Item(
            inline(link(cat.sources[source].name_nb, f"#tema-{source}")),
            tuple(Item(inline(link(i.id, f"#{i.id}"), f" {i.name_nb}")) for i in indicators),
        )
        for source, indicators in themes(cat).items()
    )
    strategy_items = tuple(
        Item(inline(link(short_strategy_name(s.name_nb), f"#strategi-{s.id}")))
        for s in cat.strategies.values()
    )
    return [
        Heading(2, inline("Innhold"), "innhold"),
        BulletList(
            (
                Item(
                    inline(link("Innledning", f"#{SECTION_INTRO}")),
                    (Item(inline(link("Slik leser du beskrivelsene", f"#{SECTION_READING}"))),),
                ),
                Item(inline(link("Oversikt over indikatorene", f"#{SECTION_INDEX}"))),
                Item(inline(link("Indikatorer etter strategimål", f"#{SECTION_GOALS}")), strategy_items),
                Item(inline(link("Prikking (vern av små tall)", f"#{SECTION_SUPPRESSION}"))),
                Item(inline(link("Evalueringens funn mot tallene", f"#{SECTION_FINDINGS}"))),
                Item(
                    inline(link("Indikatorbeskrivelser etter datakilde", f"#{SECTION_INDICATORS}")),
                    theme_items,
                ),
            ),
            css_class="toc",
        ),
    ]


def build_document(cat: Catalogue, values: pd.DataFrame) -> Document:
    """The whole handbook as blocks, ready for :func:`render_markdown` and :func:`render_html`."""
    from pipelines.handbook.maps import map_figures

    latest = latest_national_values(values)
    figures = map_figures(cat, values)
    blocks: list = [
        Comment(GENERATED_NOTE),
        Heading(1, inline(TITLE), "indikatorhandbok"),
        *_intro(cat, latest),
        *_reading_guide(cat),
        *_toc(cat),
        *_index_table(cat, latest),
        *_goals_section(cat),
        *_suppression_section(cat),
        *findings_section(cat, load_findings_spec(cat)),
        Heading(2, inline("Indikatorbeskrivelser etter datakilde"), SECTION_INDICATORS),
        Paragraph(
            inline(
                "Indikatorene er gruppert etter kilden til telleren, i samme rekkefølge som i ",
                code("assets/indicators.yaml"),
                ".",
            )
        ),
    ]
    for source, indicators in themes(cat).items():
        blocks.append(Heading(3, inline(cat.sources[source].name_nb), f"tema-{source}"))
        for indicator in indicators:
            blocks.extend(indicator_blocks(cat, indicator, latest))
            if indicator.id in figures:  # the map, from the same public values (pipelines.handbook.maps)
                blocks.append(figures[indicator.id])
    return Document(title=TITLE, lang="nb", blocks=tuple(blocks))
