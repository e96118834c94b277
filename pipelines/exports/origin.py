"""What a published text says about where the numbers come from — the one place for that rule.

Every writer of the public release (JSON-stat ``source``/``label``/``note``, ``dim_indicator``,
Parquet schema metadata, ``views.sql``) asks this module, so a source is never credited for figures
it did not produce. Synthetic demo rows carry :data:`SYNTHETIC_NB` in the same text that names the
source whose *form* they mirror; real rows (``ssb``, ``file``) keep the real credit; a mix says so,
with counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from pipelines.formatting import SYNTHETIC_EN, SYNTHETIC_NB  # noqa: F401  (re-exported: the mark)

PARTLY_SYNTHETIC_NB = "delvis syntetiske demodata – ikke offisiell statistikk"
PARTLY_SYNTHETIC_EN = "partly synthetic demo data – not official statistics"

# In this order in every text and every data_origin value.
ORIGINS = ("ssb", "file", "synthetic")
ORIGIN_NAMES: dict[str, dict[str, str]] = {
    "nb": {"ssb": "Statistisk sentralbyrå (SSB)", "file": "fagdatafil", "synthetic": "syntetiske demodata"},
    "en": {"ssb": "Statistics Norway (SSB)", "file": "data file", "synthetic": "synthetic demo data"},
}
_WORDS = {
    "nb": {
        "synthetic": SYNTHETIC_NB,
        "form": "viser formen til",
        "rows": "rader",
        "of": "av",
        "in": "i",
        "from": "fra",
        "mixed": "Blandet opphav",
        "rest": "de øvrige",
        "source": "kilde",
        "none": "Ingen publiserte tall; opphav ukjent",
    },
    "en": {
        "synthetic": SYNTHETIC_EN,
        "form": "mirrors the form of",
        "rows": "rows",
        "of": "of",
        "in": "in",
        "from": "from",
        "mixed": "Mixed origin",
        "rest": "the other",
        "source": "source",
        "none": "No published figures; origin unknown",
    },
}


def origin_counts(values: Iterable[object]) -> dict[str, int]:
    """Rows per origin code (ssb, file, synthetic order; zero counts left out). Nulls are skipped;
    an unknown code raises, because the text built from it tells a reader whether figures are real."""
    counts = Counter(str(v) for v in values if v is not None and v == v)  # v == v drops NaN
    unknown = set(counts) - set(ORIGINS)
    if unknown:
        raise ValueError(f"unknown data_origin {sorted(unknown)}; expected one of {list(ORIGINS)}")
    return {origin: counts[origin] for origin in ORIGINS if counts[origin]}


def origin_code(counts: Mapping[str, int]) -> str | None:
    """The origins as one ``data_origin`` value: ``synthetic``, ``ssb,file``, … (None if no rows)."""
    return ",".join(o for o in ORIGINS if counts.get(o)) or None


def is_synthetic(counts: Mapping[str, int]) -> bool:
    return bool(counts.get("synthetic"))


def _n(number: int, lang: str) -> str:
    return f"{number:,}" if lang == "en" else f"{number:,}".replace(",", "\u00a0")


def source_text(real_source: str, counts: Mapping[str, int], lang: str = "nb") -> str:
    """The source credit for rows with these origin ``counts``; ``real_source`` is the catalogue's
    credit (e.g. «Statistisk sentralbyrå (SSB), KOSTRA»), named as a source only for real rows."""
    w, names = _WORDS[lang], ORIGIN_NAMES[lang]
    total = sum(counts.values())
    real = {o: n for o, n in counts.items() if o != "synthetic" and n}
    synthetic = counts.get("synthetic", 0)
    if not total:
        return w["none"]
    if not real:
        return f"{w['synthetic']} ({w['form']}: {real_source})"
    breakdown = ", ".join(f"{_n(n, lang)} {w['rows']} {w['from']} {names[o]}" for o, n in real.items())
    if not synthetic:
        return real_source if len(real) == 1 else f"{real_source} ({breakdown})"
    return (
        f"{w['mixed']}: {w['synthetic']} {w['in']} {_n(synthetic, lang)} {w['of']} {_n(total, lang)} "
        f"{w['rows']}; "
        f"{w['rest']}: {breakdown} ({w['source']}: {real_source})"
    )


def label_suffix(counts: Mapping[str, int], lang: str = "nb") -> str:
    """What a title adds so nobody reads invented figures as official: '' for real rows only."""
    if not is_synthetic(counts):
        return ""
    if set(counts) == {"synthetic"}:
        return f" – {SYNTHETIC_NB if lang == 'nb' else SYNTHETIC_EN}"
    return f" – {PARTLY_SYNTHETIC_NB if lang == 'nb' else PARTLY_SYNTHETIC_EN}"
