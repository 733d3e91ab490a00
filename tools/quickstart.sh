#!/usr/bin/env bash
# The README's first command: installs what is missing (tools/setup.sh), builds
# stepflow (tools/build.sh, into ./build or $STEPFLOW_BUILD_DIR) and runs the
# main job, everything through `stepflow server` and its gRPC API:
#   1. validates and draws every example workflow (build/graphs/*.svg, *.mmd)
#      and shows the diagnostics of a definition with mistakes
#   2. starts the server (build/quickstart/stepflow.db) and the example workers:
#      the C++ one (tools/workers/example_worker.cc) and the Python one
#      (sdk/python/examples/example_worker.py), registered with
#      `stepflow functions register`
#   3. submits the example workflows (`stepflow machine create`), starts
#      hello, crawler, ml_pipeline and web_request (`stepflow exec start
#      --wait`) and prints a history as a table
#   4. site_crawl: a parent whose Map starts one `crawler` child execution per
#      page (states:startExecution.sync:2), then an SNS notification run by the
#      function mapped to it (`stepflow functions map sns:publish notify`)
#   5. an activity: a Python worker polls for `review` tasks
#   6. makes the training cluster fail, so an ml_pipeline execution FAILS, then
#      repairs it and redrives the execution to SUCCEEDED through the API
#   7. lists the executions, stops the server and the workers
# `bash tools/quickstart.sh --skip-build` runs only the main job. The server
# runs with --skip-waits (Wait states and retry back-offs take no time) so
# the job takes seconds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "${1:-}" != "--skip-build" ]; then
  bash tools/setup.sh
  bash tools/build.sh
fi

build="${STEPFLOW_BUILD_DIR:-build}"
stepflow="$build/engine/stepflow"
worker_bin="$build/sdk/cpp/stepflow_example_worker"
python_path="$root/$build/python"
[ "${build#/}" != "$build" ] && python_path="$build/python"
work="$build/quickstart"
db="$work/stepflow.db"
flag="$work/training-cluster-up"  # train_model fails while this file is missing

bold="" plain=""
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
section() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
indent() { sed 's/^/    /'; }
field() {  # field NAME < JSON: prints one top-level field of a JSON object
  python3 -c 'import json, sys; v = json.load(sys.stdin).get(sys.argv[1]); print(v if v is not None else "")' "$1"
}
show() {  # show < run --json line: status plus output (one line per field), or error and cause
  python3 -c '
import json, sys
r = json.load(sys.stdin)
print("execution", r["executionId"], "->", r["status"])
out = r.get("output")
if isinstance(out, dict):
    print("output:")
    for k, v in out.items():
        text = json.dumps(v, separators=(",", ":"))
        if len(text) > 100:
            text = text[:97] + "..."
        print(f"  {k}: {text}")
elif "output" in r:
    print("output:", json.dumps(out))
else:
    print("error:", r.get("error"))
    print("cause:", r.get("cause"))' | indent
}
# start NAME INPUT_FILE: starts one execution through the server, waits for
# its end, prints its result and leaves the execution id in $id.
start() {
  local name="$1" input="$2" result
  echo "\$ stepflow exec start $name --input-file $input --wait"
  result="$("$stepflow" exec start "$name" --input-file "$input" --wait --json)" || true
  show <<<"$result"
  id="$(field executionId <<<"$result")"
}
rm -rf "$work"
mkdir -p "$work"

section "Validating and drawing the example workflows (build/graphs/)"
mkdir -p "$build/graphs"
for wf in workflows/*.asl.yaml; do
  name="$(basename "$wf" .asl.yaml)"
  if ! out="$("$stepflow" validate "$wf" 2>&1)"; then
    printf '%s\n' "$out"
    exit 1
  fi
  "$stepflow" graph "$wf" --format dot | dot -Tsvg -o "$build/graphs/$name.svg"
  "$stepflow" graph "$wf" --format mermaid >"$build/graphs/$name.mmd"
  printf '    %-14s valid, drawn to %s/graphs/%s.svg and .mmd\n' "$name" "$build" "$name"
done

section "A definition with mistakes, as stepflow reports them"
bad="$work/mistakes.asl.yaml"
cat >"$bad" <<'YAML'
StartAt: Fetch
States:
  Fetch:
    Type: Task
    Resourse: http_get
    Retry:
      - ErrorEquals: [States.ALL, States.Timeout]
        BackoffRate: 0.5
    Next: Parse
YAML
"$stepflow" validate "$bad" | indent || true

section "Starting the server and the example workers"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# await FILE PATTERN: prints the first match of the sed PATTERN in FILE (10 s at most).
await() {
  local value=""
  for _ in $(seq 100); do
    value="$(sed -n "$2" "$1" | head -n 1)"
    [ -n "$value" ] && break
    sleep 0.1
  done
  if [ -z "$value" ]; then
    echo "$1 did not say it was ready:" >&2
    cat "${1%.out}.log" >&2
    exit 1
  fi
  printf '%s' "$value"
}

"$stepflow" server --db "$db" --listen 127.0.0.1:0 --skip-waits \
  >"$work/server.out" 2>"$work/server.log" &
pids+=($!)
server_port="$(await "$work/server.out" 's/^stepflow server listening on 127.0.0.1:\([0-9]*\)$/\1/p')"
export STEPFLOW_SERVER="127.0.0.1:$server_port"
echo "    stepflow server on $STEPFLOW_SERVER (log: $work/server.log)"

touch "$flag"
"$worker_bin" --port 0 --listen 127.0.0.1 >"$work/cpp_worker.out" 2>"$work/cpp_worker.log" &
pids+=($!)
cpp_port="$(await "$work/cpp_worker.out" 's/^PORT \([0-9][0-9]*\)$/\1/p')"
PYTHONPATH="$python_path" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 \
  sdk/python/examples/example_worker.py --port 0 --flaky-until "$flag" \
  >"$work/py_worker.out" 2>"$work/py_worker.log" &
pids+=($!)
py_port="$(await "$work/py_worker.out" 's/^PORT \([0-9][0-9]*\)$/\1/p')"
echo "    C++ example worker on 127.0.0.1:$cpp_port: crawler and web_request functions"
echo "    Python example worker on 127.0.0.1:$py_port: ml_pipeline functions"
for fn in http_get parse_html store_document authenticate rate_limit get_product get_price \
  get_user get_orders recommend render_response log_error notify; do
  "$stepflow" functions register "$fn" "127.0.0.1:$cpp_port" >/dev/null
done
for fn in clean_dataset extract_features describe_stats train_model render_charts; do
  "$stepflow" functions register "$fn" "127.0.0.1:$py_port" >/dev/null
done
echo "\$ stepflow functions list"
"$stepflow" functions list | indent

echo "\$ stepflow functions map sns:publish notify"
"$stepflow" functions map sns:publish notify | indent

section "Submitting the example workflows"
for name in hello crawler ml_pipeline web_request site_crawl; do
  echo "\$ stepflow machine create $name workflows/$name.asl.yaml"
  "$stepflow" machine create "$name" "workflows/$name.asl.yaml" | indent
done

section "hello: pure states, no functions"
start hello workflows/hello.input.json

section "crawler: fetch, parse and store one page"
start crawler workflows/crawler.input.json

section "ml_pipeline: clean, featurise, describe, train, plot (Python worker)"
start ml_pipeline workflows/ml_pipeline.input.json

section "web_request: GET /products (a Map over three products)"
start web_request workflows/web_request.input.json
web_id="$id"

section "web_request: GET /users/u-1042 (a Parallel of three lookups)"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["route"] = "/users/u-1042"; print(json.dumps(r))' \
  workflows/web_request.input.json >"$work/user_page.input.json"
start web_request "$work/user_page.input.json"
echo "    the Parallel in its history (stepflow exec history $id):"
"$stepflow" exec history "$id" | grep -E 'Parallel|TaskStateEntered +LoadUserPage' |
  cut -c1-110 | indent

section "The history of the GET /products execution (p-200 fails once and is retried)"
echo "\$ stepflow exec history $web_id"
"$stepflow" exec history "$web_id"

section "site_crawl: one child execution of crawler per page, then an SNS notification"
start site_crawl workflows/site_crawl.input.json
crawl_id="$id"
echo "    its children (stepflow exec describe $crawl_id):"
"$stepflow" exec describe "$crawl_id" --json |
  python3 -c 'import json, sys; [print("   ", c) for c in json.load(sys.stdin).get("childExecutionIds", [])]'
echo "    the Task events of one page:"
"$stepflow" exec history "$crawl_id" | grep -E 'Task(Scheduled|Submitted|Succeeded) +CrawlPages\[0\]' |
  cut -c1-110 | indent

section "An activity: a worker polls for review tasks (stepflow task poll / SendTaskSuccess)"
cat >"$work/review.asl.yaml" <<'YAML'
StartAt: Review
States:
  Review:
    Type: Task
    Resource: arn:aws:states:us-east-1:123456789012:activity:review
    HeartbeatSeconds: 30
    End: true
YAML
"$stepflow" machine create review "$work/review.asl.yaml" | indent
PYTHONPATH="$python_path" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 \
  sdk/python/examples/activity_worker.py --server "$STEPFLOW_SERVER" --activity review \
  --worker-name reviewer-1 >"$work/activity_worker.out" 2>"$work/activity_worker.log" &
pids+=($!)
echo '{"document":"d-7","heartbeat_every":0.2,"sleep":0.5}' >"$work/review.input.json"
start review "$work/review.input.json"
"$stepflow" exec history "$id" | cut -c1-110 | indent

section "A failure and a redrive: the training cluster goes down"
rm -f "$flag"
start ml_pipeline workflows/ml_pipeline.input.json
failed_id="$id"
echo "    the last events of its history:"
"$stepflow" exec history "$failed_id" | tail -n 6 | cut -c1-110 | indent

echo
echo "    the cluster is back (touch $flag); redriving: only TrainModel and Visualise run again"
touch "$flag"
echo "\$ stepflow exec redrive $failed_id --wait"
"$stepflow" exec redrive "$failed_id" --wait --json | show
echo "    the states the redrive entered:"
"$stepflow" exec history "$failed_id" |
  awk '/ExecutionRedriven/ { after = 1 } after && /ExecutionRedriven|StateEntered|ExecutionSucceeded/' |
  cut -c1-110 | indent

section "All executions (stepflow exec list)"
"$stepflow" exec list
echo
echo "Done. Logs: $work/*.log; graphs: $build/graphs/; database: $db"
