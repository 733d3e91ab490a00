#!/usr/bin/env bash
# The Step Functions HTTP API of `stepflow server --http`, measured on
# loopback against a real server (durability full, a fresh database):
#
#   1. StartExecution over HTTP with keep-alive, 64 connections (wrk), for a
#      one-Pass machine; beside it the gRPC figure of the same build
#      (stepflow_server_bench, 64 outstanding starts on one channel).
#   2. DescribeExecution latency, one connection (wrk --latency): p50, p99.
#   3. GetExecutionHistory of a ~25,000-event execution read in pages of
#      1,000 over one keep-alive connection: total time.
#   4. 1,000 idle keep-alive connections held open: the server's resident
#      memory before and after, and StartExecution again while they stay.
#
# Usage: bash bench/http_bench.sh [BUILD_DIR] [SECONDS]   (default build, 10)
# Needs wrk (Debian package) and /usr/bin/python3.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
seconds="${2:-10}"
stepflow="$build/engine/stepflow"
command -v wrk >/dev/null || { echo "http_bench: needs wrk (apt-get install wrk)" >&2; exit 2; }

work="$(mktemp -d /tmp/stepflow-http-bench.XXXXXX)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$stepflow" server --db "$work/bench.db" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
  --log-level warn >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/^stepflow http listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$work/server.out")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
url="http://127.0.0.1:$port/"
arn="arn:aws:states:us-east-1:123456789012"

call() {  # call OPERATION JSON
  curl -sS -X POST "$url" -H "X-Amz-Target: AWSStepFunctions.$1" \
    -H 'Content-Type: application/x-amz-json-1.0' --data-binary "$2"
}
call CreateStateMachine '{"name":"pass","roleArn":"arn:aws:iam::123456789012:role/r","definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}"}' >/dev/null

cat >"$work/start.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartExecution"
wrk.body = '{"stateMachineArn":"$arn:stateMachine:pass","input":"{\\\\"n\\\\":1}"}'
done = function(summary, latency, requests)
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
EOF

rate() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p'; }

echo "== 1. StartExecution over HTTP, keep-alive, 64 connections, ${seconds}s, durability full"
wrk -t2 -c64 -d"${seconds}s" -s "$work/start.lua" "$url" >"$work/start.txt"
grep -E "Requests/sec|non-2xx|Latency" "$work/start.txt"
http_rate="$(rate <"$work/start.txt")"

echo "== 2. DescribeExecution, one connection"
call StartExecution "{\"stateMachineArn\":\"$arn:stateMachine:pass\",\"name\":\"described\"}" >/dev/null
cat >"$work/describe.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.DescribeExecution"
wrk.body = '{"executionArn":"$arn:execution:pass:described"}'
EOF
wrk -t1 -c1 -d5s --latency -s "$work/describe.lua" "$url" >"$work/describe.txt"
grep -E "Requests/sec| 50%| 99%" "$work/describe.txt"

echo "== 3. GetExecutionHistory of a ~25,000-event execution in pages of 1,000"
/usr/bin/python3 - "$port" <<'EOF'
import http.client, json, sys, time
port = int(sys.argv[1])
arn = "arn:aws:states:us-east-1:123456789012"
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def call(op, body):
    conn.request("POST", "/", json.dumps(body), {"X-Amz-Target": "AWSStepFunctions." + op,
                 "Content-Type": "application/x-amz-json-1.0"})
    r = conn.getresponse(); data = json.loads(r.read())
    if r.status != 200: raise SystemExit(f"{op}: {r.status} {data}")
    return data
definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
              "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
              "End": True}}}
call("CreateStateMachine", {"name": "big", "roleArn": "arn:aws:iam::123456789012:role/r",
                            "definition": json.dumps(definition)})
call("StartExecution", {"stateMachineArn": arn + ":stateMachine:big", "name": "big",
                        "input": json.dumps({"items": list(range(6200))})})
deadline = time.time() + 120
while call("DescribeExecution", {"executionArn": arn + ":execution:big:big"})["status"] == "RUNNING":
    if time.time() > deadline: raise SystemExit("the big execution did not end in 120 s")
    time.sleep(0.2)
import re
def read_all(parse):
    # parse=False: the client only finds the token (the server and the wire);
    # parse=True: it also decodes every page as a JSON document.
    t0 = time.perf_counter(); events = 0; token = None; pages = 0
    while True:
        body = {"executionArn": arn + ":execution:big:big", "maxResults": 1000}
        if token: body["nextToken"] = token
        conn.request("POST", "/", json.dumps(body), {"X-Amz-Target":
                     "AWSStepFunctions.GetExecutionHistory",
                     "Content-Type": "application/x-amz-json-1.0"})
        raw = conn.getresponse().read()
        pages += 1
        if parse:
            page = json.loads(raw); events += len(page["events"]); token = page.get("nextToken")
        else:
            events += raw.count(b'"previousEventId"')
            m = re.search(rb'"nextToken":"([^"]*)"}$', raw); token = m.group(1).decode() if m else None
        if not token: break
    return events, pages, (time.perf_counter() - t0) * 1000
for parse in (False, True):
    runs = [read_all(parse) for _ in range(3)]
    events, pages, _ = runs[0]
    best = min(r[2] for r in runs)
    what = "decoding every page in Python too" if parse else "server and wire"
    print(f"{events} events in {pages} pages of 1,000: best of 3 {best:.1f} ms ({what})")
EOF

rss() { awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status"; }
echo "== 4. 1,000 idle keep-alive connections"
before="$(rss)"
/usr/bin/python3 - "$port" "$work/hold" <<'EOF' &
import os, socket, sys, time
port, flag = int(sys.argv[1]), sys.argv[2]
socks = []
req = (b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListActivities\r\n"
       b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}")
for _ in range(1000):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(req); socks.append(s)
for s in socks: s.recv(65536)  # every connection answered and kept open
open(flag, "w").close()
deadline = time.time() + 120
while os.path.exists(flag) and time.time() < deadline: time.sleep(0.2)
EOF
holder=$!
for _ in $(seq 1 300); do [ -f "$work/hold" ] && break; sleep 0.1; done
after="$(rss)"
echo "server RSS: ${before} kB before, ${after} kB with 1,000 idle connections (+$(( (after - before) / 1024 )) MB)"
wrk -t2 -c64 -d"${seconds}s" -s "$work/start.lua" "$url" >"$work/start2.txt"
echo "StartExecution with them open: $(rate <"$work/start2.txt") starts/s"
rm -f "$work/hold"; wait "$holder" || true

echo "== gRPC StartExecution, 64 outstanding, same build"
if [ -x "$build/bench/stepflow_server_bench" ]; then
  STEPFLOW_BENCH_ONLY=starts STEPFLOW_BENCH_CONCURRENCY=64 STEPFLOW_BENCH_STARTS=20000 \
    "$build/bench/stepflow_server_bench" "$work" 2>&1 | grep -E "Pass|pass|concurrency|starts/s" | head -8
else
  echo "(build/bench/stepflow_server_bench not built)"
fi
echo "HTTP StartExecution: $http_rate starts/s"
