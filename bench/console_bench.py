#!/usr/bin/env python3
"""The console's JSON API on a real `stepflow server`, measured on loopback.

Two big executions are made through the Step Functions API (a Map over 6,300
items of one Pass state: 25,206 history events; and a 10,000-iteration Map:
40,006 events), then each endpoint the execution page and the iteration
explorer call first is timed, cold (first call: the history is read from
SQLite) and warm (the history cache), with the size of its answer.

Usage: /usr/bin/python3 bench/console_bench.py [--stepflow build/engine/stepflow]
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser()
    parser.add_argument("--stepflow", default=os.path.join(root, "build", "engine", "stepflow"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stepflow-console-bench.") as work:
        server = subprocess.Popen(
            [args.stepflow, "server", "--db", os.path.join(work, "db"), "--listen", "127.0.0.1:0",
             "--http", "127.0.0.1:0", "--max-history-events", "100000", "--log-level", "warn"],
            stdout=subprocess.PIPE, text=True)
        try:
            port = None
            deadline = time.time() + 20
            while port is None and time.time() < deadline:
                match = re.match(r"stepflow http listening on 127\.0\.0\.1:(\d+)", server.stdout.readline())
                if match:
                    port = int(match.group(1))
            if port is None:
                raise SystemExit("console_bench: the server did not start")
            run(port)
        finally:
            server.terminate()
            server.wait(timeout=20)


def run(port):
    def aws(operation, body):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/x-amz-json-1.0",
                     "X-Amz-Target": "AWSStepFunctions." + operation})
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.load(answer)

    def get(path):
        start = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
            body = answer.read()
        return (time.perf_counter() - start) * 1000, len(body)

    definition = {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "ItemsPath": "$.items", "ResultPath": None, "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    machine = aws("CreateStateMachine", {
        "name": "big", "definition": json.dumps(definition),
        "roleArn": "arn:aws:iam::123456789012:role/bench"})["stateMachineArn"]
    for items in (6300, 10000):
        arn = aws("StartExecution", {"stateMachineArn": machine,
                                     "input": json.dumps({"items": list(range(items))})})["executionArn"]
        deadline = time.time() + 120
        while aws("DescribeExecution", {"executionArn": arn})["status"] == "RUNNING":
            if time.time() > deadline:
                raise SystemExit("console_bench: the execution did not finish in 120 s")
            time.sleep(0.1)
        execution = urllib.parse.quote(arn.split(":execution:", 1)[1], safe="")
        lines = []
        for label, path in [
            ("execution", f"/api/executions/{execution}"),
            ("states (cold)", f"/api/executions/{execution}/states"),
            ("states (warm)", f"/api/executions/{execution}/states"),
            ("history, first page", f"/api/executions/{execution}/history?limit=100"),
            ("history, page at 20,000", f"/api/executions/{execution}/history?after=20000&limit=100"),
            ("history, filtered", f"/api/executions/{execution}/history?type=Failed&limit=100"),
            ("iterations, first page", f"/api/executions/{execution}/iterations?state=Fan&limit=100"),
            ("iterations by duration", f"/api/executions/{execution}/iterations?state=Fan&sort=duration&desc=true&limit=100"),
            ("data flow of the Map", f"/api/executions/{execution}/dataflow?state=Fan"),
            ("data flow of one item", f"/api/executions/{execution}/dataflow?state=Fan%5B4321%5D%2FP"),
            ("layout", "/api/machines/big/versions/1/layout"),
        ]:
            ms, size = get(path)
            lines.append(f"  {label:<26} {ms:8.1f} ms {size:>10,} bytes")
        events = json.loads(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/api/executions/{execution}/history?limit=1").read())["total"]
        print(f"Map over {items:,} items: {events:,} history events")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
