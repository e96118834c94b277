"""The handbook's section «Evalueringens funn mot tallene»: the evaluation, each finding with the
indicators that test it (or why none can), the verdict rule and the before/after-2018 method.

Every threshold is read from ``assets/findings.yaml`` (the same values
:mod:`pipelines.findings.verdict` and :mod:`pipelines.findings.trend_break` apply), so the handbook
cannot describe another rule than the one the pipeline uses. The verdicts themselves change with
the data and are in the report and the release (``finding_verdicts``), not here.
"""

from __future__ import annotations

from pipelines.catalogue import Catalogue
from pipelines.findings.describe import share_nb
from pipelines.findings.spec import FindingsSpec
from pipelines.findings.verdict import EXPECTED_LABELS_NB, VERDICT_LABELS_NB
from pipelines.handbook.document import BulletList, Heading, Item, Paragraph, code, inline, link, strong

SECTION_FINDINGS = "evalueringens-funn"


def _series(cat: Catalogue, indicator: str, group: str) -> list:
    name = cat.indicators[indicator].name_nb
    return [link(indicator, f"#{indicator}"), f" {name} ({cat.target_groups[group].name_nb.lower()})"]


def findings_section(cat: Catalogue, spec: FindingsSpec) -> list:
    evaluation, rule, before_after = spec.evaluation, spec.rule, spec.before_after
    findings = []
    for finding in spec.findings:
        if finding.testable:
            children = tuple(
                Item(
                    inline(
                        *_series(cat, t.indicator, t.target_group),
                        f": venter {EXPECTED_LABELS_NB[t.expected]}",
                    )
                )
                for t in finding.tests
            )
            period = f" ({finding.period.first_year}–{finding.period.last_year})"
        else:
            children = (
                Item(inline(strong(VERDICT_LABELS_NB["untestable"]), f": {finding.untestable_reason_nb}")),
            )
            period = ""
        where = finding.citation.where or "ikke kjent"
        findings.append(
            Item(
                inline(
                    strong(finding.statement_nb),
                    period,
                    f" Kilde: {finding.citation.basis_nb} Kapittel og side: {where}.",
                ),
                children,
            )  # fmt: skip
        )
    measures = tuple(
        Item(
            inline(strong(m.name_nb)),
            tuple(Item(inline(*_series(cat, s.indicator, s.target_group))) for s in m.tests),
        )
        for m in spec.priority_measures
    )
    periods = "; ".join(p.label_nb for p in before_after.periods)
    first = before_after.periods[0]
    return [
        Heading(2, inline("Evalueringens funn mot tallene"), SECTION_FINDINGS),
        Paragraph(
            inline(
                f"{evaluation.authors} evaluerte Bolig for velferd på oppdrag fra {evaluation.client} "
                f"({evaluation.year}): {evaluation.method_nb} Funnene om målgruppene er stilt opp mot "
                "indikatorene i ",
                code("assets/findings.yaml"),
                ", med egne ord og med kildehenvisning. ",
                evaluation.unknown_nb,
                " Omtale: ",
                *[part for url in evaluation.urls for part in (link(url, url), " ")],
            )
        ),
        Heading(3, inline("Regelen for vurderingen"), "funn-regel"),
        Paragraph(
            inline(
                "Hvert funn testes med indikatorene som er oppgitt for det, for hver indikator og målgruppe "
                "for seg, over funnets periode (2014–2020 om ikke annet er oppgitt). Bare publiserte verdier "
                "telles: en skjult, manglende eller ikke aktuell verdi er aldri et tall."
            )
        ),
        BulletList(
            (
                Item(
                    inline(
                        "Start og slutt er første og siste år i perioden med verdi for landet (en "
                        "undersøkelse hvert fjerde år starter i 2016)."
                    )
                ),  # fmt: skip
                Item(
                    inline(
                        "Endringen går som ventet når den har ventet fortegn og er større enn "
                        f"{share_nb(rule.flat_band)} av startverdien; motsatt vei når den er like stor den "
                        "andre veien; ellers er den uendret."
                    )
                ),
                Item(
                    inline(
                        "Fylkene og statsforvalterregionene med verdi i de samme to årene vurderes på samme "
                        "måte og telles. Vurderingen teller fylkene; har færre enn "
                        f"{share_nb(rule.min_regions_share)} av dem verdi i begge årene (skjult eller bare "
                        "nasjonale tall), avgjør landet alene."
                    )
                ),
                Item(
                    inline(
                        strong(VERDICT_LABELS_NB["supported"]),
                        f": landet endret seg som ventet, og minst {share_nb(rule.support_share)} av "
                        "fylkene med tall gjorde det samme. ",
                        strong(VERDICT_LABELS_NB["not_supported"]),
                        ": landet endret seg ikke som ventet (uendret eller motsatt vei), og høyst "
                        f"{share_nb(rule.reject_share)} av fylkene gjorde det. ",
                        strong(VERDICT_LABELS_NB["partly_supported"]),
                        ": alt imellom. ",
                        strong(VERDICT_LABELS_NB["insufficient_data"]),
                        ": landet har ikke verdi i to år i perioden.",
                    )
                ),
                Item(
                    inline(
                        "Et funn med flere indikatorer: de med for lite data legges til side; er alle de "
                        "andre støttet, er funnet støttet; er alle ikke støttet, er det ikke støttet; ellers "
                        "delvis støttet. Et funn uten indikatorer vises som «",
                        VERDICT_LABELS_NB["untestable"].lower(),
                        "».",
                    )
                ),
            )
        ),
        Paragraph(
            inline(
                "En vurdering beskriver tallene; den er ikke bevis for at strategien var årsaken. Den "
                "publiske vurderingen bygger på de prikkede tallene, den interne på de uprikkede. På "
                "demodata er tallene syntetiske, og hver vurdering sier det."
            )
        ),
        Heading(3, inline("Funnene"), "funn-liste"),
        BulletList(tuple(findings)),
        Heading(3, inline("Før og etter 2018: de to prioriterte tiltakene"), "funn-2018"),
        Paragraph(
            inline(
                "Fra 2018 ble handlingsplanen snevret inn til to prioriterte nasjonale tiltak. For "
                "indikatorene under regnes gjennomsnittlig årlig endring i hver periode (",
                periods,
                ") for landet, hver statsforvalterregion og hvert fylke: gjennomsnittet av endringene "
                f"fra året før for periodens år (for {first.first_year}–{first.last_year} endringene i "
                f"{first.first_year + 1}–{first.last_year}), i indikatorens enhet. Færre enn "
                f"{before_after.min_changes} endringer i en periode gir «for lite data». Forskjellen fra "
                f"{first.first_year}–{first.last_year}, snudd etter indikatorens ønskede retning, sier om "
                "utviklingen ble bedre eller svakere; en forskjell som summert over periodens år er mindre "
                f"enn {share_nb(rule.flat_band)} av startnivået, er «omtrent som før».",
            )
        ),
        BulletList(measures),
        Paragraph(inline(strong("Forbehold:"), " ", before_after.caution_nb)),
    ]
