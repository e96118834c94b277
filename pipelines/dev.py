"""The Dagster UI for analysts: webserver and daemon together (what `make dev` runs).

    python -m pipelines.dev [--host 127.0.0.1] [--port 3000]

Like `dagster dev`, but the daemon is `pipelines.daemon`, whose backfill loop polls every second, so
"Materialize all" starts working at once instead of after up to 30 s per stage. Stops both
processes on Ctrl-C (SIGINT) or SIGTERM and exits non-zero if either dies.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

CODE = ["-m", "pipelines.definitions"]


def commands(host: str, port: int) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "webserver": [str(bin_dir / "dagster-webserver"), *CODE, "-h", host, "-p", str(port)],
        "daemon": [sys.executable, "-m", "pipelines.daemon", "run", *CODE],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)

    processes = {name: subprocess.Popen(cmd) for name, cmd in commands(args.host, args.port).items()}
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"Dagster UI: http://{args.host}:{args.port}  (Ctrl-C stops the webserver and the daemon)")
    exit_code = 0
    while not stopping:
        dead = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
        if dead:
            print(f"stopping: {', '.join(f'{n} exited with {c}' for n, c in dead.items())}", file=sys.stderr)
            exit_code = 1
            break
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
