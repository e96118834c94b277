"""The public release for analysts: one Excel workbook and CSV files as Norwegian Excel opens them.

* ``boligsosiale_indikatorer.xlsx`` — a front sheet «Om tallene» (origin banner, release, status
  symbols, licence, and the indicators with links to their sheets), then one sheet per indicator
  with Norwegian headers. Values are numbers formatted with the indicator's decimals (never rounded
  text); a cell that is missing, not applicable or suppressed is empty, with SSB's symbol
  (``..``, ``.``, ``:``) in the ``Status`` column — never 0.
* ``<table>.csv`` for every Parquet table — UTF-8 with BOM, ``;`` between fields and decimal comma,
  the Parquet column names as header (so BI tools map them like the Parquet), numbers unrounded
  (shortest exact form), no thousands separator. ``indicator_values.csv`` adds ``ssb_symbol``.

Written with openpyxl's write-only mode (streams rows; the fact table has ~176 000). The bytes are
deterministic: the document properties and every zip entry carry the release date, not the clock,
so publishing the same data again yields the same files (the release's content hash is over bytes).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from pipelines.catalogue import Catalogue
from pipelines.catalogue.labels import STATUS_SYMBOLS, UNIT_LABELS_NB
from pipelines.catalogue.models import Indicator
from pipelines.formatting import DATA_ORIGIN_LABELS_NB, SYNTHETIC_NB, footer_text

WORKBOOK = "boligsosiale_indikatorer.xlsx"
FRONT_SHEET = "Om tallene"
BANNER_SYNTHETIC = SYNTHETIC_NB
SYNTHETIC_EXPLAINED_NB = (
    f"{SYNTHETIC_NB}: tallene er oppdiktet for å vise hvordan løsningen virker, og må ikke brukes som "
    "statistikk."
)
LICENCE_NB = "Creative Commons Navngivelse 4.0 Internasjonal (CC BY 4.0)"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.no"
# Header row of an indicator sheet (Norwegian) and the Parquet column each comes from.
COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("Indikator", "indicator_id", 22),
    ("Nivå", "geo_level", 16),
    ("Kode", "geo_code", 8),
    ("Navn", "geo_name", 30),
    ("År", "year", 7),
    ("Målgruppe", "target_group_nb", 26),
    ("Verdi", "value", 11),
    ("Teller", "numerator", 11),
    ("Nevner", "denominator", 12),
    ("Status", "ssb_symbol", 8),
    ("Enheter rapportert", "units_reported", 10),
    ("Enheter i alt", "units_total", 10),
    ("Anslått", "is_estimate", 9),
    ("Foreløpig", "preliminary", 10),
    ("Data", "data_origin_nb", 34),
)
HEADER_ROW = 4  # rows 1–3: title, origin line, blank
CSV_OPTIONS = {"sep": ";", "decimal": ",", "encoding": "utf-8-sig", "index": False, "lineterminator": "\r\n"}
_EARLIEST_ZIP_TIME = dt.datetime(1980, 1, 1)

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_BANNER = Font(bold=True, size=14, color="9C0006")
_BANNER_FILL = PatternFill("solid", fgColor="FFC7CE")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_LINK = Font(color="0563C1", underline="single")
_WRAP = Alignment(wrap_text=True, vertical="top")


def number_format(decimals: int) -> str:
    """Excel's number format for ``decimals`` decimals: 0 → ``0``, 2 → ``0.00`` (shown with the
    reader's own decimal sign, a comma in Norwegian Excel)."""
    return "0" if decimals <= 0 else "0." + "0" * decimals


def sheet_names(indicator_ids: Iterable[str]) -> dict[str, str]:
    """A sheet name per indicator: its id, made Excel-safe (≤ 31 characters, none of ``[]:*?/\\``,
    unique regardless of case, never the front sheet's name)."""
    names: dict[str, str] = {}
    taken = {FRONT_SHEET.casefold()}
    for indicator_id in indicator_ids:
        base = re.sub(r"[\[\]:*?/\\']", "_", indicator_id)[:31]
        name, n = base, 1
        while name.casefold() in taken:
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
        taken.add(name.casefold())
        names[indicator_id] = name
    return names


def release_time(release: str) -> dt.datetime:
    """The release id as a time (midnight of its date); a non-date id gives 1980-01-01, the
    earliest a zip entry can carry — never the clock, so the bytes stay the same."""
    try:
        return max(dt.datetime.fromisoformat(release[:10]), _EARLIEST_ZIP_TIME)
    except ValueError:
        return _EARLIEST_ZIP_TIME


def origins_of(rows: pd.DataFrame) -> list[str]:
    """The distinct data origins behind ``rows`` (ssb, file, synthetic), in a fixed order."""
    present = set(rows["data_origin"].dropna())
    return [code for code in DATA_ORIGIN_LABELS_NB if code in present]


def write_spreadsheets(folder: Path, tables: dict[str, pa.Table], catalogue: Catalogue, release: str) -> None:
    """The workbook and the CSV files of one release, into ``folder``."""
    values = tables["indicator_values"].to_pandas()
    for name, table in tables.items():
        frame = values if name == "indicator_values" else table.to_pandas()
        write_csv(with_ssb_symbol(frame) if name == "indicator_values" else frame, folder / f"{name}.csv")
    geography = tables["dim_geography"].to_pandas()
    (folder / WORKBOOK).write_bytes(workbook_bytes(values, geography, catalogue, release))


def with_ssb_symbol(values: pd.DataFrame) -> pd.DataFrame:
    """``indicator_values`` with ``ssb_symbol`` (``..``, ``.``, ``:`` or empty) right after ``status``."""
    out = values.copy()
    out.insert(out.columns.get_loc("status") + 1, "ssb_symbol", out["status"].map(STATUS_SYMBOLS))
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as Norwegian Excel opens a CSV file: BOM, ``;``, decimal comma, unrounded numbers."""
    frame.to_csv(path, **CSV_OPTIONS)


def workbook_bytes(
    values: pd.DataFrame, geography: pd.DataFrame, catalogue: Catalogue, release: str
) -> bytes:
    """The release's workbook, as deterministic bytes."""
    when = release_time(release)
    indicators = [i for i in catalogue.indicators.values() if i.id in set(values["indicator_id"])]
    names = sheet_names(i.id for i in indicators)
    origins = {i.id: origins_of(values[values["indicator_id"] == i.id]) for i in indicators}
    synthetic = [i.id for i in indicators if "synthetic" in origins[i.id]]

    wb = Workbook(write_only=True)
    wb.properties.title = "Boligsosiale indikatorer / Housing-policy indicators"
    wb.properties.subject = f"Release {release}"
    wb.properties.description = (
        "Norwegian housing-policy indicators, one sheet per indicator; status symbols as Statistics Norway "
        "(.. missing, . not applicable, : suppressed for privacy). Licence CC BY 4.0."
        + (" SYNTHETIC DEMO DATA - NOT OFFICIAL STATISTICS." if synthetic else "")
    )
    wb.properties.keywords = "boligsosiale indikatorer; housing policy; KOSTRA" + (
        "; synthetic" if synthetic else ""
    )
    wb.properties.language = "nb-NO"
    wb.properties.creator = "bolig pipeline"
    wb.properties.created = when
    wb.properties.modified = when

    _front_sheet(wb, indicators, names, origins, synthetic, release)
    levels = dict(
        zip(
            zip(geography["geo_level"], geography["geo_code"], strict=True),
            geography["geo_order"],
            strict=True,
        )
    )
    groups_nb = {g.id: g.name_nb for g in catalogue.target_groups.values()}
    for indicator in indicators:
        rows = values[values["indicator_id"] == indicator.id]
        _indicator_sheet(
            wb, indicator, names[indicator.id], rows, levels, groups_nb, origins[indicator.id], release
        )

    buffer = io.BytesIO()
    wb.save(buffer)
    return _deterministic_zip(buffer.getvalue(), when)


def _banner_line(synthetic: list[str], total: int) -> str:
    if not synthetic:
        return ""
    if len(synthetic) == total:
        return BANNER_SYNTHETIC
    return f"{BANNER_SYNTHETIC} (gjelder {len(synthetic)} av {total} indikatorer, merket i tabellen)"


def _front_sheet(
    wb: Workbook,
    indicators: list[Indicator],
    names: dict[str, str],
    origins: dict[str, list[str]],
    synthetic: list[str],
    release: str,
) -> None:
    ws = wb.create_sheet(FRONT_SHEET)
    for letter, width in zip("ABCDEFGHI", (24, 44, 60, 18, 10, 60, 40, 22, 40), strict=True):
        ws.column_dimensions[letter].width = width

    def cell(value: object, font: Font | None = None, fill: PatternFill | None = None) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=value)
        if font is not None:
            c.font = font
        if fill is not None:
            c.fill = fill
        return c

    ws.append([cell("Boligsosiale indikatorer", _TITLE)])
    banner = _banner_line(synthetic, len(indicators))
    if banner:
        ws.append(
            [
                cell(banner, _BANNER, _BANNER_FILL),
                cell(None, fill=_BANNER_FILL),
                cell(None, fill=_BANNER_FILL),
            ]
        )
        ws.append([SYNTHETIC_EXPLAINED_NB])
    real = [
        code
        for code in DATA_ORIGIN_LABELS_NB
        if code != "synthetic" and any(code in o for o in origins.values())
    ]
    if real:  # credit only the origins real figures come from (never SSB for invented ones)
        credits = ", ".join(DATA_ORIGIN_LABELS_NB[code] for code in real)
        ws.append([cell("Kilde", _BOLD), f"{credits}; kilden for hver indikator står i tabellen under"])
    ws.append([])
    ws.append([cell("Publisering", _BOLD), release])
    ws.append([cell("Publisert", _BOLD), release_time(release).date().isoformat()])
    ws.append([cell("Bygget", _BOLD), "Nøyaktig byggetidspunkt står i release.json (built_at) i samme mappe"])
    ws.append([cell("Lisens", _BOLD), LICENCE_NB, LICENCE_URL])
    ws.append([])
    ws.append([cell("Slik leser du tallene", _BOLD)])
    ws.append(["Tom verdi og ..", "mangler (tallet finnes ikke eller er ikke rapportert)"])
    ws.append(
        ["Tom verdi og .", "ikke aktuelt (f.eks. nevner 0, eller kilden finnes ikke for nivået eller året)"]
    )
    ws.append(["Tom verdi og :", "skjult av personvernhensyn (prikket)"])
    ws.append(["Verdi", "tallet er lagret uavrundet; cellen viser indikatorens antall desimaler"])
    ws.append(["Anslått", "Ja: en del av verdien er fordelt fra en kommunedeling etter folketall"])
    ws.append(["Foreløpig", "Ja: bygget på SSBs foreløpige tall (mars)"])
    ws.append([])
    ws.append([cell("Indikatorer (klikk på arknavnet)", _BOLD)])
    header = [
        "Ark",
        "Indikator",
        "Definisjon",
        "Enhet",
        "Desimaler",
        "Kilde og data",
        "Engelsk navn",
        "Id",
        "Kildelenke",
    ]
    ws.append([cell(h, _BOLD, _HEADER_FILL) for h in header])
    for indicator in indicators:
        link = cell(names[indicator.id], _LINK)
        link.hyperlink = Hyperlink(
            ref="", location=f"'{names[indicator.id]}'!A1", display=names[indicator.id]
        )
        definition = cell(indicator.definition_nb)
        definition.alignment = _WRAP
        credit = footer_text(indicator.source_nb, origins[indicator.id] or ["synthetic"], "")
        ws.append(
            [
                link, indicator.name_nb, definition, UNIT_LABELS_NB[indicator.unit], indicator.decimals,
                credit, indicator.name_en, indicator.id, indicator.source_url,
            ]
        )  # fmt: skip


def _indicator_sheet(
    wb: Workbook,
    indicator: Indicator,
    name: str,
    rows: pd.DataFrame,
    geo_order: dict[tuple[str, str], int],
    groups_nb: dict[str, str],
    origins: list[str],
    release: str,
) -> None:
    ws = wb.create_sheet(name)
    for i, (_, _, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{HEADER_ROW + len(rows)}"

    title = WriteOnlyCell(ws, value=f"{indicator.name_nb} ({UNIT_LABELS_NB[indicator.unit]})")
    title.font = _TITLE
    ws.append([title])
    line = footer_text(indicator.source_nb, origins or ["synthetic"], release)
    origin = WriteOnlyCell(ws, value=(f"{BANNER_SYNTHETIC} · " if "synthetic" in origins else "") + line)
    if "synthetic" in origins:
        origin.font, origin.fill = _BANNER, _BANNER_FILL
    ws.append([origin])
    back = WriteOnlyCell(ws, value=f"← {FRONT_SHEET}")
    back.font = _LINK
    back.hyperlink = Hyperlink(ref="", location=f"'{FRONT_SHEET}'!A1", display=FRONT_SHEET)
    ws.append([back])
    header = []
    for label, _, _ in COLUMNS:
        c = WriteOnlyCell(ws, value=label)
        c.font, c.fill = _BOLD, _HEADER_FILL
        header.append(c)
    ws.append(header)

    group_rank = {g: i for i, g in enumerate(indicator.target_groups)}
    table = rows.assign(
        _geo=[geo_order.get(k, 1 << 30) for k in zip(rows["geo_level"], rows["geo_code"], strict=True)],
        _group=rows["target_group"].map(group_rank).fillna(len(group_rank)),
    ).sort_values(["_geo", "geo_code", "year", "_group", "target_group"], kind="stable")
    value_format = number_format(indicator.decimals)
    for row in _sheet_rows(table, groups_nb):
        value = WriteOnlyCell(ws, value=row[6])
        value.number_format = value_format
        row[6] = value
        ws.append(row)


def _sheet_rows(table: pd.DataFrame, groups_nb: dict[str, str]) -> Iterator[list[object]]:
    """The rows of an indicator sheet as plain Python values, in :data:`COLUMNS` order."""
    shown = (table["status"] == "shown").to_numpy()
    frame = pd.DataFrame(
        {
            "indicator_id": table["indicator_id"],
            "geo_level": table["geo_level"],
            "geo_code": table["geo_code"],
            "geo_name": table["geo_name"],
            "year": table["year"].astype(int),
            "target_group_nb": table["target_group"].map(groups_nb).fillna(table["target_group"]),
            "value": table["value"].where(shown),  # only a shown cell carries a number
            "numerator": table["numerator"],
            "denominator": table["denominator"],
            "ssb_symbol": table["status"].map(STATUS_SYMBOLS),
            "units_reported": table["units_reported"],
            "units_total": table["units_total"],
            "is_estimate": table["is_estimate"].map({True: "Ja", False: "Nei"}),
            "preliminary": table["preliminary"].map({True: "Ja", False: "Nei"}),
            "data_origin_nb": table["data_origin"].map(DATA_ORIGIN_LABELS_NB),
        }
    )
    # Plain Python values (not numpy scalars), None for an empty cell: openpyxl writes them fastest.
    columns = [
        [None if v is None or v != v or v == "" else v for v in frame[column].astype(object).tolist()]
        for _, column, _ in COLUMNS
    ]
    for record in zip(*columns, strict=True):
        yield list(record)


def _deterministic_zip(data: bytes, when: dt.datetime) -> bytes:
    """Re-pack an xlsx so that nothing in it depends on the clock: every zip entry dated ``when``,
    and the document's created/modified properties set to it (openpyxl stamps ``modified`` with
    the time of saving)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return out.getvalue()
