#!/usr/bin/env python3
"""An example activity worker: polls the control plane for one or more
activities and answers every task with {"echo": <input>}.

    PYTHONPATH=<build>/python /usr/bin/python3 activity_worker.py \\
        --server 127.0.0.1:7233 --activity review [--activity ...] \\
        [--worker-name NAME] [--pollers N] [--wait-seconds S]

Input fields it understands (input must be a JSON object):
  "fail": true              fail with Activity.Failed (cause: "cause" or a default)
  "sleep": seconds          take that long before answering ...
  "heartbeat_every": s      ... sending SendTaskHeartbeat every s seconds meanwhile
Prints "POLLING <activity> ON <server>" once per activity, then runs until
SIGTERM/SIGINT (exit 0).
"""

import argparse
import logging
import sys
import time

from stepflow_worker import TaskError, Worker


def echo(inp, ctx):
    if not isinstance(inp, dict):
        raise TaskError("Activity.BadInput", "the input is not a JSON object")
    if inp.get("fail") is True:
        raise TaskError("Activity.Failed", str(inp.get("cause", "the input asked to fail")))
    remaining = float(inp.get("sleep", 0))
    every = float(inp.get("heartbeat_every", 0))
    heartbeats = 0
    while remaining > 0:
        step = min(remaining, every) if every > 0 else remaining
        time.sleep(step)
        remaining -= step
        if every > 0:
            if not ctx.heartbeat():
                raise TaskError("Activity.Abandoned", "the engine no longer knows this task")
            heartbeats += 1
    return {"echo": inp, "heartbeats": heartbeats}


def main() -> int:
    parser = argparse.ArgumentParser(description="stepflow example activity worker")
    parser.add_argument("--server", default="127.0.0.1:7233", help="control plane HOST:PORT")
    parser.add_argument("--activity", action="append", required=True, help="activity name")
    parser.add_argument("--worker-name", default=None)
    parser.add_argument("--pollers", type=int, default=1, help="pollers per activity")
    parser.add_argument("--wait-seconds", type=int, default=2, help="long-poll bound")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="activity_worker: %(message)s")

    worker = Worker()
    for name in args.activity:
        worker.register_activity(name, echo)
    worker.install_signal_handlers()
    worker.poll_activities(args.server, worker_name=args.worker_name, pollers=args.pollers,
                           wait_seconds=args.wait_seconds)
    for name in args.activity:
        print(f"POLLING {name} ON {args.server}", flush=True)
    worker.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
