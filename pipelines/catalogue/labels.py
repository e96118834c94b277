"""Norwegian and English labels for the catalogue's codes, shared by exports, charts and reports."""

from __future__ import annotations

UNIT_LABELS_NB: dict[str, str] = {
    "per_1000_inhabitants": "per 1000 innbyggere",
    "percent": "prosent",
    "count": "antall",
    "nok_per_inhabitant": "kroner per innbygger",
    "per_1000_households": "per 1000 husholdninger",
    "per_1000_children": "per 1000 barn",
}
UNIT_LABELS_EN: dict[str, str] = {
    "per_1000_inhabitants": "per 1000 inhabitants",
    "percent": "percent",
    "count": "number",
    "nok_per_inhabitant": "NOK per inhabitant",
    "per_1000_households": "per 1000 households",
    "per_1000_children": "per 1000 children",
}
DIRECTION_LABELS_NB: dict[str, str] = {
    "higher_is_better": "høyere er bedre",
    "lower_is_better": "lavere er bedre",
    "neutral": "kontekstindikator, uten retning",
}
KIND_LABELS_NB: dict[str, str] = {
    "kostra": "Offisiell KOSTRA-indikator",
    "strategy_main": "Hovedindikator i strategien (vår rekonstruksjon av definisjonen)",
    "reconstruction": "Vår rekonstruksjon",
}
STATUS_SYMBOLS: dict[str, str] = {
    "shown": "",
    "missing": "..",
    "not_applicable": ".",
    "suppressed": ":",
}
# What a status symbol means in words: map legends, and what a screen reader says for «:».
STATUS_WORDS_NB: dict[str, str] = {
    "suppressed": "Skjult (personvern)",
    "missing": "Mangler",
    "not_applicable": "Ikke aktuelt",
}

# What the units behind an aggregate are called (``unit_level`` in the release), plural.
UNIT_LEVEL_PLURAL_NB = {"kommune": "kommuner", "fylke": "fylker", "land": "land"}
