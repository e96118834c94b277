"""Norwegian numbers and labels (pipelines.formatting) and the shared colours (pipelines.palette),
and that the text-only outputs can use them without loading matplotlib."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pipelines import formatting, palette
from pipelines.formatting import format_number_nb

NBSP = "\u00a0"
MINUS = "\u2212"
RELEASE = "2026-11-26"


# --- Number formatting -----------------------------------------------------------------------


def test_thousands_separator_is_no_break_space_and_decimal_comma():
    assert formatting.THOUSANDS_SEPARATOR == NBSP
    assert format_number_nb(1234.5, 1) == f"1{NBSP}234,5"
    assert format_number_nb(1234.5, 1) == "1\u00a0234,5"


def test_small_and_rounded_numbers():
    assert format_number_nb(0.25, 2) == "0,25"
    assert format_number_nb(0.25, 0) == "0"
    assert format_number_nb(2.675, 1) == "2,7"
    assert format_number_nb(999, 0) == "999"
    assert format_number_nb(1000, 0) == f"1{NBSP}000"


def test_negative_numbers_use_minus_sign_and_never_negative_zero():
    assert format_number_nb(-1234.5, 1) == f"{MINUS}1{NBSP}234,5"
    assert format_number_nb(-0.5, 2) == f"{MINUS}0,50"
    assert format_number_nb(-0.004, 2) == "0,00"


def test_large_numbers_group_every_three_digits():
    assert format_number_nb(12_345_678.9, 1) == f"12{NBSP}345{NBSP}678,9"
    assert format_number_nb(5_550_203, 0) == f"5{NBSP}550{NBSP}203"


def test_missing_values_are_not_zero():
    assert format_number_nb(None, 1) == "–"
    assert format_number_nb(float("nan"), 1) == "–"
    assert format_number_nb(np.float64("nan"), 1, missing="") == ""
    with pytest.raises(ValueError):
        format_number_nb(1.0, -1)


def test_signed_changes_have_plus_or_minus_and_zero_none():
    assert formatting.format_signed_nb(1.23, 1) == "+1,2"
    assert formatting.format_signed_nb(-0.44, 1) == f"{MINUS}0,4"
    assert formatting.format_signed_nb(0.04, 1) == "0,0"  # rounds to zero: no sign
    assert formatting.format_signed_nb(1234, 0) == f"+1{NBSP}234"


def test_fewest_decimals_drop_needless_zeros_only():
    assert formatting.fewest_decimals(0.0, 2) == 0
    assert formatting.fewest_decimals(2.5, 2) == 1
    assert formatting.fewest_decimals(9.300000000000001, 1) == 1
    assert formatting.fewest_decimals(12.04, 1) == 0  # printed with one decimal it is «12,0»
    assert formatting.fewest_decimals(-30.000000000000004, 1) == 0  # −0.3 × 100


def test_table_cells_show_numbers_only_when_shown():
    assert formatting.display_value(1234.5, "shown", 1) == f"1{NBSP}234,5"
    assert formatting.display_value(12.0, "suppressed", 1) == ":"  # a hidden number never leaks
    assert formatting.display_value(float("nan"), "shown", 1) == ".."
    assert formatting.display_value(None, None, 0) == ".."
    assert formatting.display_value(None, "not_applicable", 0) == "."


def test_values_with_units_and_factors():
    assert formatting.format_value_nb(45, "percent", 0) == f"45{NBSP}%"
    assert formatting.format_value_nb(1234, "count", 0) == f"1{NBSP}234"
    assert formatting.format_value_nb(21.06, "per_1000_inhabitants", 1) == "21,1 per 1000 innbyggere"
    assert formatting.format_factor_nb(1000) == "1000"  # as in «per 1000 innbyggere»
    assert formatting.format_factor_nb(0.5) == "0,5"


# --- Units and footer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("per_1000_inhabitants", "per 1000 innbyggere"),
        ("percent", "prosent"),
        ("count", "antall"),
        ("nok_per_inhabitant", "kroner per innbygger"),
        ("per_1000_households", "per 1000 husholdninger"),
        ("per_1000_children", "per 1000 barn"),
    ],
)
def test_unit_labels(code, label):
    assert formatting.unit_label_nb(code) == label


def test_footer_names_each_origin():
    synthetic = formatting.footer_text("Statistisk sentralbyrå (SSB), KOSTRA", "synthetic", RELEASE)
    assert synthetic == (
        "Indikatordefinisjon: Statistisk sentralbyrå (SSB), KOSTRA"
        " · Data: Syntetiske demodata – ikke offisiell statistikk"
        " · Publisert 2026-11-26"
    )
    assert "Data: Statistisk sentralbyrå" in formatting.footer_text("SSB", "ssb", RELEASE)
    assert "Data: Fagdata (fil)" in formatting.footer_text("SSB", "file", RELEASE)
    mixed = formatting.footer_text("SSB", ["synthetic", "ssb", "file", "ssb"], RELEASE)
    assert "Data: Statistisk sentralbyrå, Fagdata (fil), Syntetiske demodata" in mixed
    assert "Syntetiske demodata" in formatting.footer_text("SSB", "ssb, synthetic", RELEASE)


def test_footer_refuses_unknown_or_empty_origin():
    with pytest.raises(ValueError, match="unknown data_origin"):
        formatting.footer_text("SSB", "guess", RELEASE)
    with pytest.raises(ValueError, match="empty"):
        formatting.footer_text("SSB", [], RELEASE)


def test_strategy_and_target_labels():
    assert formatting.short_strategy_name("Navn. Undertittel (2014–2020)") == "Navn"
    assert (
        formatting.short_strategy_name("Alle trenger et trygt hjem (2021–2024)")
        == "Alle trenger et trygt hjem"
    )
    assert formatting.relative_change_nb(-0.5) == f"{MINUS}50{NBSP}%"
    assert formatting.relative_change_nb(-0.3) == f"{MINUS}30{NBSP}%"
    assert formatting.relative_change_nb(0.125) == f"+12,5{NBSP}%"
    assert formatting.target_label_nb(2020, 0.0, "official", 1) == "Mål 2020: 0"
    assert formatting.target_label_nb(2024, 9.3, "analytical", 1, "x") == "Analytisk mål 2024: 9,3 (x)"


def test_footer_wraps_between_parts_only():
    text = formatting.footer_text("Statistisk sentralbyrå (SSB), KOSTRA", "synthetic", RELEASE)
    source, origin, release = text.split(formatting.FOOTER_SEPARATOR)
    assert formatting.wrap_footer(text, 80).split("\n") == [
        source,
        origin + formatting.FOOTER_SEPARATOR + release,
    ]
    assert formatting.wrap_footer(text, 10).split("\n") == [source, origin, release]  # never inside a part
    assert formatting.wrap_footer(text, 1000) == text


# --- Colours ------------------------------------------------------------------------------------


def test_tints_are_what_matplotlib_mixes():
    from matplotlib.colors import to_hex, to_rgb

    for color in palette.OKABE_ITO.values():
        for strength in (0.0, 0.04, 0.28, 0.5, 0.62, 1.0):
            r, g, b = to_rgb(color)
            mixed = (1 - strength + strength * r, 1 - strength + strength * g, 1 - strength + strength * b)
            assert palette.tint(color, strength) == to_hex(mixed)
    with pytest.raises(ValueError):
        palette.tint("#000000", 1.5)
    with pytest.raises(ValueError):
        palette.tint("blue", 0.5)


# --- No matplotlib in the text outputs ----------------------------------------------------------


def test_report_and_handbook_text_do_not_import_matplotlib():
    """A fresh interpreter that imports the report's and the handbook's text modules (and the
    report's builder, which finds the charts by path) has not loaded matplotlib: their numbers
    and colours come from pipelines.formatting and .palette."""
    code = (
        "import sys\n"
        "import pipelines.report.content, pipelines.report.html, pipelines.handbook.content\n"
        "import pipelines.report.build\n"
        "print(sorted(m for m in sys.modules if m == 'matplotlib' or m.startswith('matplotlib.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
