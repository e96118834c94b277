"""What changed between two releases: values, suppressions, indicators (internal QC report)."""

from __future__ import annotations

import pandas as pd

KEY = ["indicator_id", "target_group", "geo_level", "geo_code", "year"]
COLUMNS = ["change", *KEY, "old_value", "new_value", "old_status", "new_status"]


def release_diff(
    previous: pd.DataFrame | None, current: pd.DataFrame, tolerance: float = 1e-9
) -> pd.DataFrame:
    """One row per change. Both frames are internal snapshots (with a ``suppression`` column)."""
    if previous is None:
        return pd.DataFrame(columns=COLUMNS)
    changes = []
    old_ids, new_ids = set(previous["indicator_id"]), set(current["indicator_id"])
    changes += [{"change": "indicator_added", "indicator_id": i} for i in sorted(new_ids - old_ids)]
    changes += [{"change": "indicator_removed", "indicator_id": i} for i in sorted(old_ids - new_ids)]
    both = previous[previous["indicator_id"].isin(new_ids)].merge(
        current[current["indicator_id"].isin(old_ids)], on=KEY, how="outer", suffixes=("_old", "_new")
    )
    old_value, new_value = both["value_old"], both["value_new"]
    changed = ~((old_value - new_value).abs() <= tolerance) & ~(old_value.isna() & new_value.isna())
    old_hidden, new_hidden = both["suppression_old"].notna(), both["suppression_new"].notna()
    for name, mask in (
        ("value_changed", changed),
        ("suppression_new", ~old_hidden & new_hidden),
        ("suppression_lifted", old_hidden & ~new_hidden),
    ):
        rows = both[mask]
        changes += [
            {
                "change": name,
                **{k: r[k] for k in KEY},
                "old_value": r["value_old"],
                "new_value": r["value_new"],
                "old_status": r["status_old"],
                "new_status": r["status_new"],
            }
            for r in rows.to_dict("records")
        ]
    return pd.DataFrame(changes, columns=COLUMNS)


def qc_markdown(diff: pd.DataFrame, release: str, previous: str | None) -> str:
    lines = [f"# Kvalitetskontroll – publisering {release}", ""]
    lines.append("INTERN – inneholder uprikkede tall. Skal ikke publiseres.")
    lines.append("")
    if previous is None:
        lines.append("Første publisering: ingen tidligere publisering å sammenligne med.")
        return "\n".join(lines) + "\n"
    lines.append(f"Sammenlignet med publisering {previous}.")
    lines.append("")
    counts = diff["change"].value_counts()
    labels = {
        "indicator_added": "Nye indikatorer",
        "indicator_removed": "Fjernede indikatorer",
        "value_changed": "Endrede verdier",
        "suppression_new": "Nye prikkinger",
        "suppression_lifted": "Opphevede prikkinger",
    }
    lines += ["| Endring | Antall |", "|---|---|"]
    lines += [f"| {label} | {int(counts.get(key, 0))} |" for key, label in labels.items()]
    for key in ("indicator_added", "indicator_removed"):
        ids = diff.loc[diff["change"] == key, "indicator_id"].tolist()
        if ids:
            lines += ["", f"{labels[key]}: {', '.join(ids)}"]
    changed = diff[diff["change"] == "value_changed"]
    if not changed.empty:
        lines += [
            "",
            "Største endringer (første 20):",
            "",
            "| Indikator | Målgruppe | Nivå | Kode | År | Før | Nå |",
            "|---|---|---|---|---|---|---|",
        ]
        ordered = changed.assign(size=(changed["new_value"] - changed["old_value"]).abs()).sort_values(
            "size", ascending=False
        )
        for r in ordered.head(20).itertuples(index=False):
            lines.append(
                f"| {r.indicator_id} | {r.target_group} | {r.geo_level} | {r.geo_code} | {r.year} | "
                f"{r.old_value} | {r.new_value} |"
            )
    return "\n".join(lines) + "\n"


def privacy_markdown(summary: dict, shares: pd.DataFrame) -> str:
    """The suppression audit and how much is hidden, per indicator and level (internal)."""
    narrowest = summary.get("narrowest_interval")
    lines = [
        "",
        "## Personvern: prikking og revisjon",
        "",
        f"- Beskyttede størrelser kontrollert: {int(summary['targets_checked'])}, "
        f"alle beskyttet: {'ja' if summary['targets_protected'] == summary['targets_checked'] else 'NEI'}",
        f"- Smaleste intervall en angriper kan bevise: {narrowest:g}"
        if narrowest == narrowest
        else "- Smaleste intervall: ingen beskyttede størrelser",
        f"- Tid for prikking og revisjon: {summary['seconds']:g} s",
        f"- Skjult andel av rader med data: {summary['hidden_share']:.1%} "
        f"({int(summary['rows_hidden'])} av {int(summary['rows_with_data'])}); "
        f"kun sekundært skjult: {int(summary['rows_hidden_by_secondary_only'])}; "
        f"skjulte nuller: {int(summary['zeros_hidden'])}",
        "",
        "| Indikator | Nivå | Rader med data | Skjult av primærregler | Skjult i alt |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.indicator_id} | {r.geo_level} | {r.rows_with_data} | {r.share_primary:.1%} "
        f"| {r.share_hidden:.1%} |"
        for r in shares.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"
