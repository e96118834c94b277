"""Runs killed without a word (``kill -9``, a power cut) are marked failed, so the run list
tells the truth and nothing waits for them.

Dagster marks a run failed when its process reports the failure; a process killed with
SIGKILL reports nothing and its run stays `STARTED`. Every run therefore tags itself with the
host and process id that execute it (`bolig/host`, `bolig/pid`, set when the warehouse
resource starts). A run that is still `STARTED` or `STARTING` on this host while that process
no longer exists is dead: `fail_dead_runs` reports it failed with a message saying why. It is
called before `make run` (``python -m pipelines.runs``) and every 30 s by the
`dead_run_sensor` under `dagster dev`.

The warehouse needs no cleaning after such a death: its lock is a file lock the operating
system drops with the process, and DuckDB rolls back the unfinished transaction.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

from pipelines.processes import process_alive

HOST_TAG = "bolig/host"
PID_TAG = "bolig/pid"
OPEN_STATUSES = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]


def record_run_process(instance: dg.DagsterInstance, run_id: str) -> None:
    """Tag run ``run_id`` with this host and process."""
    if instance.get_run_by_id(run_id) is None:
        return  # an ephemeral run (tests with a throw-away instance) has nothing to tag
    instance.add_run_tags(run_id, {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())})


def dead_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Open runs of this host whose process no longer exists.

    A run without the tags (not yet started its first step, or from elsewhere) is left alone.
    A pid can be reused by a new process; such a run is then recognised once that process ends.
    """
    host = socket.gethostname()
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=OPEN_STATUSES, tags={HOST_TAG: host}))
    return [
        run
        for run in runs
        if run.tags.get(PID_TAG, "").isdigit() and not process_alive(int(run.tags[PID_TAG]))
    ]


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark every dead run failed; returns their run ids."""
    failed = []
    for run in dead_runs(instance):
        instance.report_run_failed(
            run,
            message=(
                f"Prosessen {run.tags[PID_TAG]} som kjørte denne kjøringen finnes ikke lenger (drept, "
                "f.eks. med kill -9). Markert som feilet. / The process that executed this run is gone."
            ),
        )
        failed.append(run.run_id)
    return failed


@dg.sensor(
    name="dead_run_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks runs whose process was killed (kill -9) as failed, so none stays «started».",
)
def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    failed = fail_dead_runs(context.instance)
    return dg.SkipReason(f"marked {len(failed)} dead run(s) failed: {failed}" if failed else "no dead runs")


def main() -> None:
    failed = fail_dead_runs(dg.DagsterInstance.get())
    for run_id in failed:
        print(f"Run {run_id} was killed earlier: marked failed.")


if __name__ == "__main__":
    main()
