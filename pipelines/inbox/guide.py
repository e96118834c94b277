"""A short README.md in each inbox folder, so an analyst who opens `data/inbox/<source>/` sees what
to drop there and which contract the files are checked against. Written from the contract, so it
never goes stale; the inbox never reads it as data (see ``GUIDE_NAME`` in ``ingest.skip_reason``)."""

from __future__ import annotations

from pathlib import Path

from pipelines.atomic import write_text_atomic
from pipelines.catalogue.contracts import Contract, RecordSource

GUIDE_NAME = "README.md"
LAYOUTS_NB = {
    "tidy": "én rad per kommune og år, én kolonne per mål",
    "long": "én rad per kommune, år og mål (kolonnene mål og verdi)",
    "wide_by_year": "én rad per kommune, én kolonne per år",
}


def contract_guide(contract: Contract) -> str:
    """The folder's README for a contract's files, in Norwegian with the field names as in YAML."""
    columns = "\n".join(
        f"- `{c.name}`{' (påkrevd)' if c.required else ''}: {c.unit or ''}"
        + (f"; også kalt {', '.join(f'`{a}`' for a in c.aliases)}" if c.aliases else "")
        for c in contract.columns
    )
    layouts = "\n".join(f"- `{layout}`: {LAYOUTS_NB[layout]}" for layout in contract.layouts)
    sheet = (
        f"\nFra en arbeidsbok leses arket «{contract.sheet}».\n"
        if contract.sheet
        else "\nFra en arbeidsbok leses hvert synlige ark med data (for eksempel ett ark per år); skjulte "
        "ark og forsider hoppes over og nevnes. Gir to ark ulike tall for samme kommune og år, settes "
        "begge i karantene.\n"
    )
    if contract.name_first_year is not None:
        sheet += (
            "\nKommunenavn i stedet for nummer godtas fra "
            f"{contract.name_first_year}: med fylke i en kolonne "
            f"({', '.join(contract.county_aliases) or 'fylke'}) eller som overskrift over hver tabell i en "
            "lagret nettside (.html), og året i en kolonne, i sidetittelen eller i filnavnet "
            "(nokkeltall-bosetting-2023). Navn som ikke gir én kommune, settes i karantene med kandidatene.\n"
        )
    return (
        f"# {contract.name_nb}\n\n"
        f"Legg filer fra {contract.producer_nb} her (CSV, TSV, Excel .xlsx/.xlsm, også gzip-komprimert).\n"
        f"De kontrolleres mot kontrakten `{contract.source}` i `assets/contracts.yaml`; hver rad lastes "
        "eller settes i karantene med fil, rad, kolonne og grunn. Samme fil to ganger endrer ingenting.\n\n"
        f"Kommune: kolonnen `{contract.geo_column}` (eller {', '.join(contract.geo_aliases) or '–'}), "
        f"koden som gjaldt 1. januar i radens år. År: `{contract.year_column}` "
        f"({contract.first_year}–{contract.last_year}). Referansetidspunkt: {contract.reference_date}.\n"
        f"{sheet}\nOppsett som godtas:\n{layouts}\n\nKolonner:\n{columns}\n\n"
        "Denne filen skrives av rørledningen ved hver kjøring og leses aldri som data.\n"
    )


def records_guide(record: RecordSource) -> str:
    return (
        f"# {record.name_nb}\n\n"
        "Legg filer på personnivå her (Parquet eller CSV). De summeres i DuckDB til kommune og år for "
        f"kilden `{record.feeds_source}` (definisjonen `{record.id}` i `assets/contracts.yaml`); poster som "
        "ikke kan summeres settes i karantene med en grunn.\n\n"
        "Denne filen skrives av rørledningen ved hver kjøring og leses aldri som data.\n"
    )


def write_guide(folder: Path, text: str) -> Path:
    """Create the folder if needed and (re)write its README when the text changed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / GUIDE_NAME
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        write_text_atomic(path, text)
    return path
