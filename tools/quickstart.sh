#!/usr/bin/env bash
# The README's first command: installs what is missing (tools/setup.sh), builds
# stepflow (tools/build.sh, into ./build or $STEPFLOW_BUILD_DIR) and runs the
# main job:
#   1. validates and draws every example workflow (build/graphs/*.svg, *.mmd)
#      and shows the diagnostics of a definition with mistakes
#   2. starts the example worker (tools/workers/example_worker.cc), a gRPC
#      FunctionService with fake versions of the examples' functions
#   3. runs hello, crawler, ml_pipeline and web_request with their example
#      inputs and prints the web request's event history
#   4. makes the training cluster fail, so an ml_pipeline execution FAILS, then
#      repairs it and redrives the execution to SUCCEEDED
#   5. lists the executions in the database (build/quickstart/stepflow.db)
# `bash tools/quickstart.sh --skip-build` runs only the main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "${1:-}" != "--skip-build" ]; then
  bash tools/setup.sh
  bash tools/build.sh
fi

build="${STEPFLOW_BUILD_DIR:-build}"
stepflow="$build/engine/stepflow"
worker_bin="$build/tools/stepflow_example_worker"
work="$build/quickstart"
db="$work/stepflow.db"
functions="$work/functions.yaml"
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
# run NAME INPUT_FILE [stepflow run options...]: runs one workflow, prints its
# result and leaves the execution id in $id.
run() {
  local name="$1" input="$2" result
  shift 2
  echo "\$ stepflow run workflows/$name.asl.yaml --input-file $input${*:+ $*} --skip-waits"
  result="$("$stepflow" run "workflows/$name.asl.yaml" --input-file "$input" "$@" \
    --db "$db" --skip-waits --json)" || true
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

section "Starting the example worker"
touch "$flag"
"$worker_bin" --port 0 --listen 127.0.0.1 --flaky-until "$flag" \
  >"$work/worker.out" 2>"$work/worker.log" &
worker_pid=$!
stop_worker() {
  kill "$worker_pid" 2>/dev/null || true
  wait "$worker_pid" 2>/dev/null || true
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
port=""
for _ in $(seq 100); do  # at most 10 s
  port="$(sed -n 's/^PORT \([0-9][0-9]*\)$/\1/p' "$work/worker.out")"
  [ -n "$port" ] && break
  if ! kill -0 "$worker_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "the example worker did not start:" >&2
  cat "$work/worker.log" >&2
  exit 1
fi
{
  echo "functions:"
  for fn in http_get parse_html store_document \
    clean_dataset extract_features describe_stats train_model render_charts \
    authenticate rate_limit get_product get_price get_user get_orders recommend \
    render_response log_error; do
    echo "  $fn: 127.0.0.1:$port"
  done
} >"$functions"
echo "    worker pid $worker_pid on 127.0.0.1:$port (calls logged to $work/worker.log)"
echo "    functions: $functions, database: $db"

section "hello: pure states, no functions"
run hello workflows/hello.input.json

section "crawler: fetch, parse and store one page"
run crawler workflows/crawler.input.json --functions "$functions"

section "ml_pipeline: clean, featurise, describe, train, plot"
run ml_pipeline workflows/ml_pipeline.input.json --functions "$functions"

section "web_request: GET /products (a Map over three products)"
run web_request workflows/web_request.input.json --functions "$functions"
web_id="$id"

section "web_request: GET /users/u-1042 (a Parallel of three lookups)"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["route"] = "/users/u-1042"; print(json.dumps(r))' \
  workflows/web_request.input.json >"$work/user_page.input.json"
run web_request "$work/user_page.input.json" --functions "$functions"
echo "    the Parallel in its history (stepflow exec history $id):"
"$stepflow" exec history "$id" --db "$db" | grep -E 'Parallel|TaskStateEntered +LoadUserPage' |
  cut -c1-110 | indent

section "The history of the GET /products execution (p-200 fails once and is retried)"
echo "\$ stepflow exec history $web_id"
"$stepflow" exec history "$web_id" --db "$db"

section "A failure and a redrive: the training cluster goes down"
rm -f "$flag"
run ml_pipeline workflows/ml_pipeline.input.json --functions "$functions"
failed_id="$id"
echo "    the last events of its history:"
"$stepflow" exec history "$failed_id" --db "$db" | tail -n 6 | indent

echo
echo "    the cluster is back (touch $flag); redriving: only TrainModel and Visualise run again"
touch "$flag"
echo "\$ stepflow exec redrive $failed_id"
"$stepflow" exec redrive "$failed_id" --db "$db" --functions "$functions" --skip-waits --json | show
echo "    the states the redrive entered:"
"$stepflow" exec history "$failed_id" --db "$db" |
  awk '/ExecutionRedriven/ { after = 1 } after && /ExecutionRedriven|StateEntered|ExecutionSucceeded/' |
  cut -c1-110 | indent
echo "\$ stepflow exec describe $failed_id --json"
"$stepflow" exec describe "$failed_id" --db "$db" --json |
  python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("executionId", "stateMachine", "status", "startTime", "stopTime", "redriveCount"):
    print(f"{k:>13}: {d.get(k)}")' | indent

section "All executions in $db"
"$stepflow" exec list --db "$db"
echo
echo "Done. Worker log: $work/worker.log; graphs: $build/graphs/"
