"""Dagster's daemon, with the backfill daemon polling every few seconds instead of every 30.

    python -m pipelines.daemon run -m pipelines.definitions

"Materialize all" in the UI asks for every reporting year, which Dagster turns into a backfill;
its daemon acts on backfills in a loop that sleeps 30 s between iterations, hard-coded in
Dagster 1.13 (dagster-io/dagster#11649, open). Our graph needs three runs per backfill — the
unpartitioned roots, the yearly partitions as one run, the all-years products — so an analyst
waited 60–90 s for 15 s of work. This entry point sets the loop's interval
(`BOLIG_BACKFILL_POLL_SECONDS`, default 1: one small query a second, ~1 % of a core idle) and
then runs Dagster's own daemon command unchanged.
It patches a module constant of Dagster's, so it fails loudly if a Dagster upgrade renames it.
"""

from __future__ import annotations

import os

import dagster._daemon.controller as controller

POLL_ENV = "BOLIG_BACKFILL_POLL_SECONDS"
DEFAULT_POLL_SECONDS = 1


def poll_seconds() -> int:
    raw = os.environ.get(POLL_ENV, str(DEFAULT_POLL_SECONDS))
    try:
        seconds = int(raw)
    except ValueError:
        raise SystemExit(f"{POLL_ENV}={raw!r}: expected a whole number of seconds") from None
    if not 1 <= seconds <= 30:
        raise SystemExit(f"{POLL_ENV}={seconds}: expected 1–30 seconds")
    return seconds


def main() -> None:
    if not hasattr(controller, "DEFAULT_DAEMON_INTERVAL_SECONDS"):
        raise SystemExit(
            "dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS is gone (Dagster upgrade?): "
            "start the daemon with `dagster-daemon run` instead"
        )
    controller.DEFAULT_DAEMON_INTERVAL_SECONDS = poll_seconds()
    from dagster._daemon.cli import main as dagster_daemon_main

    dagster_daemon_main()


if __name__ == "__main__":
    main()
