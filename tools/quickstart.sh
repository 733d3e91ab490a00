#!/usr/bin/env bash
# The README's first command: installs what is missing (tools/setup.sh), builds
# stepflow (tools/build.sh, into ./build or $STEPFLOW_BUILD_DIR) and runs the
# main job, everything through `stepflow server` and its gRPC API:
#   1. validates and draws every example workflow (build/graphs/*.svg, *.mmd)
#      and shows the diagnostics of a definition with mistakes
#   2. starts the server and serves the example site (workflows/data/site) on
#      127.0.0.1 with python3's http.server
#   3. deploys every example function of workflows/functions
#      (`stepflow functions deploy`: the server builds each one's environment,
#      a venv or node_modules), deploys one again to show it unchanged, and
#      maps sns:publish to `notify`
#   4. submits the example workflows (`stepflow machine create`) and runs
#      hello, crawler (one page of the site, then what it stored in SQLite),
#      ml_pipeline (the Iris data cleaned, a model trained: its accuracy) and
#      web_request (a Map with a retried call, a Parallel, and a failed request
#      whose history shows what the error logger printed: `exec history --logs`)
#   5. order_jsonata: a JSONata machine (Choice Condition, Map Items, Arguments,
#      Output, a variable set by Assign) prices an order and charges it; its history
#   6. site_crawl: one `crawler` child execution per page of the site, one of
#      them a 404, then an SNS notification run by `notify`; the pages, words
#      and notification in the SQLite file; `functions describe store_document`
#      (sandboxed, with its --mount)
#   7. an activity: a Python worker (sdk/python/examples/activity_worker.py)
#      polls for `review` tasks
#   8. takes the "training cluster" down so an ml_pipeline execution FAILS,
#      brings it back and redrives the execution to SUCCEEDED through the API
#   9. triggers: a webhook called twice with one Idempotency-Key (one execution),
#      a schedule in Berlin time back-filled twice (each occurrence started once);
#  10. lists the executions; the server, the site and the worker are stopped
#      on exit, whatever happened
# `bash tools/quickstart.sh --skip-build` runs only the main job; STEPFLOW_BIN
# names another stepflow binary (default: $build/engine/stepflow).
#
# The server runs with --skip-waits (Wait states and retry back-offs take no
# time). Its data dir ($build/quickstart-data: deployed code and the functions'
# environments) is kept between runs, so a second run reuses the environments
# and its deploys take about a second; everything else ($build/quickstart:
# database, SQLite file, artifacts, logs) is made anew each run.
#
# Sandbox: every deployed function runs in bubblewrap, which shows it its code,
# its environment, /usr, /etc, a private /tmp and the network, all read-only
# but /tmp, and no other host file. The functions that read or write host files
# are deployed with --mount: $build/quickstart/shared read-write (the SQLite
# file, the ML artifacts, the training cluster's flag file) and workflows/data
# read-only (the dataset); see options_for below.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "${1:-}" != "--skip-build" ]; then
  bash tools/setup.sh
  bash tools/build.sh
fi

build="${STEPFLOW_BUILD_DIR:-build}"
stepflow="${STEPFLOW_BIN:-$build/engine/stepflow}"
python_path="$root/$build/python"
[ "${build#/}" != "$build" ] && python_path="$build/python"
work="$build/quickstart"      # made anew each run
shared="$work/shared"         # the files the functions share: their only writable host folder
data="$build/quickstart-data" # kept: deployed code, built environments
if [ ! -x "$stepflow" ]; then
  echo "quickstart: no stepflow binary at $stepflow (build it, or set STEPFLOW_BIN)" >&2
  exit 1
fi

bold="" plain=""
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; fi
section() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
indent() { sed 's/^/    /'; }
# sf ARGS...: a stepflow client command, two minutes at most.
sf() { timeout 120 "$stepflow" "$@"; }
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
# start NAME INPUT_FILE [quiet]: starts one execution through the server, waits
# for its end (two minutes at most) and leaves its result line in $result and
# its id in $id; prints the result unless the third argument is "quiet".
start() {
  local name="$1" input="$2" rc=0
  echo "\$ stepflow exec start $name --input-file $input --wait"
  result="$(sf exec start "$name" --input-file "$input" --wait --json)" || rc=$?
  # 1 is an execution that did not succeed, which some sections expect.
  if [ "$rc" -gt 1 ] || [ -z "$result" ]; then
    echo "quickstart: exec start $name failed (exit $rc)" >&2
    exit 1
  fi
  [ "${3:-}" = quiet ] || show <<<"$result"
  id="$(field executionId <<<"$result")"
}
rm -rf "$work"
mkdir -p "$work" "$shared" "$data"
abs_shared="$(cd "$shared" && pwd)"
examples_db="$abs_shared/examples.db"      # store_document, rate_limit, notify, charge_card
flag="$abs_shared/training-cluster-up"     # train_model fails while this file is missing
touch "$flag"

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

section "Starting the server and serving the example site"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do  # 5 s for a clean stop, then SIGKILL
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
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

"$stepflow" server --db "$work/stepflow.db" --data-dir "$data" --listen 127.0.0.1:0 --http 127.0.0.1:0 --skip-waits \
  >"$work/server.out" 2>"$work/server.log" &
pids+=($!)
server_port="$(await "$work/server.out" 's/^stepflow server listening on 127.0.0.1:\([0-9]*\)$/\1/p')"
export STEPFLOW_SERVER="127.0.0.1:$server_port"
http_port="$(await "$work/server.out" 's/^stepflow http listening on 127.0.0.1:\([0-9]*\)$/\1/p')"
echo "    stepflow server on $STEPFLOW_SERVER (log: $work/server.log; functions' code and environments: $data)"

/usr/bin/python3 -u -m http.server 0 --bind 127.0.0.1 --directory workflows/data/site \
  >"$work/site.out" 2>"$work/site.log" &
pids+=($!)
site_port="$(await "$work/site.out" 's/^Serving HTTP on 127.0.0.1 port \([0-9]*\) .*/\1/p')"
site="http://127.0.0.1:$site_port"
echo "    the example site (workflows/data/site) on $site/"

section "Deploying the example functions (workflows/functions)"
# options_for NAME: sets $opts to what function NAME needs besides its folder.
# In the sandbox a host path outside the function's code and environment is
# not there, so a function that reads or writes host files gets just the
# folders it needs: --mount $shared (read-write: the SQLite file, the artifacts
# the ML steps pass along, the flag file; SQLite also writes its journal next
# to the file; describe_stats, which only reads, gets it read-only) and
# --mount workflows/data:ro (the dataset). Not $work, which holds the server's
# database, nor $build, which also holds the functions' code and environments
# ($data): a mount shows everything under it. None needs --no-sandbox.
options_for() {
  case "$1" in
    store_document | rate_limit | notify | charge_card)  # the SQLite file
      opts=(--mount "$shared" --env "EXAMPLE_DB=$examples_db") ;;
    clean_dataset)  # reads the dataset, writes the clean CSV
      opts=(--mount workflows/data:ro --mount "$shared") ;;
    extract_features | render_charts)  # read and write the artifacts
      opts=(--mount "$shared") ;;
    describe_stats)  # only reads the features file
      opts=(--mount "$shared:ro") ;;
    train_model)  # the artifacts, and the flag file of the redrive demonstration
      opts=(--mount "$shared" --env "EXAMPLE_TRAINING_CLUSTER_FLAG=$flag") ;;
    get_product)  # p-200 fails on a Task's first attempt, so a Retry has work to do
      opts=(--env EXAMPLE_FLAKY_PRODUCTS=p-200) ;;
    *) opts=() ;;
  esac
}
# deploy NAME: deploys workflows/functions/NAME (5 minutes at most: a first
# deploy builds the environment) and prints stepflow's line followed by the
# options used; or prints stepflow's output and exits.
deploy() {
  local fn="$1" out opts
  options_for "$fn"
  if ! out="$(timeout 300 "$stepflow" functions deploy "$fn" "workflows/functions/$fn" "${opts[@]}" 2>&1)"; then
    printf '%s\n' "$out" >&2
    echo "quickstart: deploying $fn failed" >&2
    exit 1
  fi
  printf '%-80s %s\n' "$out" "${opts[*]}" | sed 's/ *$//'
}
echo "\$ stepflow functions deploy NAME workflows/functions/NAME [OPTIONS], for every folder:"
# All at once, printed in order: the slow first builds (train_model's venv
# with a local package, the npm installs) overlap, and a warm run's deploys
# take about a second.
mkdir -p "$work/deploys"
functions=() deploys=()
for dir in workflows/functions/*/; do
  fn="$(basename "$dir")"
  functions+=("$fn")
  deploy "$fn" >"$work/deploys/$fn.out" 2>&1 &
  deploys+=($!)
done
for i in "${!functions[@]}"; do
  if ! wait "${deploys[$i]}"; then
    cat "$work/deploys/${functions[$i]}.out" >&2
    exit 1
  fi
  indent <"$work/deploys/${functions[$i]}.out"
done
echo "\$ stepflow functions deploy parse_html workflows/functions/parse_html   # again: nothing changed"
deploy parse_html | indent
echo "\$ stepflow functions map sns:publish notify"
sf functions map sns:publish notify | indent

section "Submitting the example workflows"
for name in hello crawler ml_pipeline web_request site_crawl order_jsonata; do
  echo "\$ stepflow machine create $name workflows/$name.asl.yaml"
  sf machine create "$name" "workflows/$name.asl.yaml" | indent
done

# The example inputs name the site as http://127.0.0.1:8000 and the data as
# file:///data/...; these copies name the real ones.
python3 - "$site" "$root" "$abs_shared" "$work" <<'PY'
import json, sys
site, root, abs_shared, work = sys.argv[1:]
def write(name, value):
    with open(f"{work}/{name}.input.json", "w") as f:
        json.dump(value, f, indent=2)
def here(url):
    return url.replace("http://127.0.0.1:8000", site)
crawler = json.load(open("workflows/crawler.input.json"))
crawler["url"] = here(crawler["url"])
write("crawler", crawler)
site_crawl = json.load(open("workflows/site_crawl.input.json"))
site_crawl["urls"] = [here(u) for u in site_crawl["urls"]]
write("site_crawl", site_crawl)
ml = json.load(open("workflows/ml_pipeline.input.json"))
ml["dataset"] = f"file://{root}/workflows/data/iris_dirty.csv"
ml["artifactRoot"] = f"file://{abs_shared}/artifacts"
write("ml_pipeline", ml)
PY

section "hello: pure states, no functions"
start hello workflows/hello.input.json

section "crawler: fetch, parse and store one page of the site"
start crawler "$work/crawler.input.json"
echo "    what it stored in $examples_db (read with python3's sqlite3):"
python3 - "$examples_db" <<'PY' | indent
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for url, title, words in db.execute("SELECT url, title, word_count FROM pages"):
    links = db.execute("SELECT COUNT(*) FROM links WHERE from_url = ?", (url,)).fetchone()[0]
    top = db.execute("SELECT word, count FROM words WHERE url = ? ORDER BY count DESC, word LIMIT 5",
                     (url,)).fetchall()
    print(f"pages: {url}  \"{title}\"  {words} words, {links} links")
    print("words:", ", ".join(f"{w} {n}" for w, n in top))
PY

section "ml_pipeline: clean, featurise, describe, train, plot (Python and Node functions)"
start ml_pipeline "$work/ml_pipeline.input.json" quiet
python3 - "$result" <<'PY' | indent
import json, sys
r = json.loads(sys.argv[1])
print("execution", r["executionId"], "->", r["status"])
out = r["output"]
clean, features, trained = out["clean"], out["features"], out["model"]["trained"]
reasons = ", ".join(f"{k} {v}" for k, v in sorted(clean["reasons"].items()))
print(f"cleaned:  {clean['rows']} rows kept, {clean['droppedRows']} dropped ({reasons})")
print(f"features: {features['featureCount']} ({', '.join(features['columns'])})")
m = trained["metrics"]
print(f"model:    {out['model']['kind']}, accuracy {m['accuracy']:.3f} on {m['testRows']} held-out rows"
      f" (F1 {m['f1']:.3f}; trained on {m['trainRows']}), saved to {trained['uri']}")
charts = out["charts"]
print(f"charts:   {len(charts['files'])} SVG files ({charts['bytes']} bytes)"
      f" in {charts['files'][0].rsplit('/', 1)[0]}")
PY

section "web_request: GET /products (a Map over three products)"
start web_request workflows/web_request.input.json
web_id="$id"

section "web_request: GET /users/u-1042 (a Parallel of three lookups)"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["route"] = "/users/u-1042"; print(json.dumps(r))' \
  workflows/web_request.input.json >"$work/user_page.input.json"
start web_request "$work/user_page.input.json"
echo "    the Parallel in its history (stepflow exec history $id):"
sf exec history "$id" | grep -E 'Parallel|TaskStateEntered +LoadUserPage' |
  cut -c1-110 | indent

section "The history of the GET /products execution (p-200 fails once and is retried)"
echo "\$ stepflow exec history $web_id"
sf exec history "$web_id"

section "web_request: GET /products for a product that does not exist (log_error logs it)"
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); r["query"]["ids"] = ["p-100", "p-999"]; print(json.dumps(r))' \
  workflows/web_request.input.json >"$work/unknown_product.input.json"
start web_request "$work/unknown_product.input.json"
echo "    the end of its history, with what the functions printed (the | line, from log_error):"
echo "\$ stepflow exec history $id --logs | tail -n 8"
sf exec history "$id" --logs | tail -n 8

section "order_jsonata: a JSONata machine prices the lines of an order and charges the customer"
start order_jsonata workflows/order_jsonata.input.json
echo "    its history (a Choice Condition, a Map over Items, Arguments/Output, \$total by Assign):"
echo "\$ stepflow exec history $id"
sf exec history "$id"

section "site_crawl: one child execution of crawler per page, then an SNS notification"
start site_crawl "$work/site_crawl.input.json" quiet
crawl_id="$id"
python3 - "$result" <<'PY' | indent
import json, sys
r = json.loads(sys.argv[1])
print("execution", r["executionId"], "->", r["status"])
print("pages (output.pages):")
for p in r["output"]["pages"]:
    failure = f"  {p['error']}: {p['cause']}" if "error" in p else ""
    print(f"  {p['status']:<9} {p['url']}{failure}")
print("notification: MessageId", r["output"]["notification"]["messageId"])
PY
echo "    its children (stepflow exec describe $crawl_id):"
sf exec describe "$crawl_id" --json |
  python3 -c 'import json, sys; [print("   ", c) for c in json.load(sys.stdin).get("childExecutionIds", [])]'
echo "    what the crawl stored in $examples_db:"
python3 - "$examples_db" <<'PY' | indent
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print("pages (url, title, words, links):")
for url, title, words, links in db.execute(
        "SELECT url, title, word_count, (SELECT COUNT(*) FROM links WHERE from_url = url)"
        " FROM pages ORDER BY url"):
    print(f"  {url:<46} {title[:34]:<34} {words:>4} {links:>3}")
print("most frequent words over all pages:")
top = db.execute("SELECT word, SUM(count) AS n FROM words GROUP BY word ORDER BY n DESC, word LIMIT 8")
print("  " + ", ".join(f"{w} {n}" for w, n in top))
print("notifications (the sns:publish outbox):")
for topic, subject, message in db.execute("SELECT topic_arn, subject, message FROM notifications"):
    print(f"  {topic}  {subject!r}: {message!r}")
PY
echo "\$ stepflow functions describe store_document"
sf functions describe store_document | indent

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
echo "\$ stepflow machine create review $work/review.asl.yaml   # its Task: activity:review"
sf machine create review "$work/review.asl.yaml" | indent
PYTHONPATH="$python_path" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 \
  sdk/python/examples/activity_worker.py --server "$STEPFLOW_SERVER" --activity review \
  --worker-name reviewer-1 >"$work/activity_worker.out" 2>"$work/activity_worker.log" &
pids+=($!)
echo '{"document":"d-7","heartbeat_every":0.2,"sleep":0.5}' >"$work/review.input.json"
start review "$work/review.input.json"
sf exec history "$id" | cut -c1-110 | indent

section "A failure and a redrive: the training cluster goes down"
rm -f "$flag"
start ml_pipeline "$work/ml_pipeline.input.json"
failed_id="$id"
echo "    the last events of its history:"
sf exec history "$failed_id" | tail -n 6 | cut -c1-110 | indent

echo
echo "    the cluster is back (touch $flag); redriving: only TrainModel and Visualise run again"
touch "$flag"
echo "\$ stepflow exec redrive $failed_id --wait"
sf exec redrive "$failed_id" --wait --json | show
echo "    the states the redrive entered:"
sf exec history "$failed_id" |
  awk '/ExecutionRedriven/ { after = 1 } after && /ExecutionRedriven|StateEntered|ExecutionSucceeded/' |
  cut -c1-110 | indent

section "Triggers: a webhook another system calls, and a schedule"
echo "\$ stepflow trigger create orders-in --machine order_jsonata --webhook --auth bearer --secret s3cr3t-token"
sf trigger create orders-in --machine order_jsonata --webhook --auth bearer --secret s3cr3t-token | indent
echo "\$ curl -X POST 'http://127.0.0.1:$http_port/hooks/orders-in?wait=60' -H 'Authorization: Bearer …' \\"
echo "       -H 'Idempotency-Key: ord-1001' -d @workflows/order_jsonata.input.json   # twice"
/usr/bin/python3 - "$http_port" <<'PY' | indent
import json, sys, urllib.error, urllib.request
port = sys.argv[1]
body = open("workflows/order_jsonata.input.json", "rb").read()
for attempt in (1, 2):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/hooks/orders-in?wait=60", data=body, method="POST",
        headers={"Authorization": "Bearer s3cr3t-token", "Idempotency-Key": "ord-1001",
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=90) as r:
            status, answer = r.status, json.load(r)
    except urllib.error.HTTPError as e:
        status, answer = e.code, json.load(e)
    output = json.dumps(answer.get("output"))[:70]
    print(f"HTTP {status} {answer.get('status')} {answer['executionId']} "
          f"alreadyStarted={answer['alreadyStarted']} output={output}")
wrong = urllib.request.Request(f"http://127.0.0.1:{port}/hooks/orders-in", data=body,
                               method="POST", headers={"Authorization": "Bearer guess"})
try:
    urllib.request.urlopen(wrong, timeout=30)
except urllib.error.HTTPError as e:
    print(f"HTTP {e.code} with a wrong token: {json.load(e)['error']['message']}")
PY
echo "\$ stepflow trigger create hourly-hello --machine hello --schedule 'cron(0 * * * ? *)' --timezone Europe/Berlin --input '{\"name\":\"Berlin\"}'"
sf trigger create hourly-hello --machine hello --schedule 'cron(0 * * * ? *)' --timezone Europe/Berlin \
  --input '{"name":"Berlin"}' | indent
from="$(date -u -d '-3 hours' +%Y-%m-%dT%H:00:00Z)"
to="$(date -u +%Y-%m-%dT%H:00:00Z)"
echo "\$ stepflow trigger backfill hourly-hello --from $from --to $to   # twice: the second starts nothing"
sf trigger backfill hourly-hello --from "$from" --to "$to" | indent
sf trigger backfill hourly-hello --from "$from" --to "$to" | indent
echo "\$ stepflow trigger describe hourly-hello"
sf trigger describe hourly-hello | head -n 12 | indent
sf trigger describe hourly-hello | sed -n '/^occurrences:/,$p' | indent

section "All executions (stepflow exec list)"
sf exec list

section "The same server through the AWS CLI (the Step Functions API on --http)"
if [ -x /usr/bin/aws ]; then
  aws_sfn() {
    echo "\$ aws stepfunctions $1 --endpoint-url http://127.0.0.1:$http_port ${*:2}"
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" \
      HOME="$work" /usr/bin/aws stepfunctions "$@" --endpoint-url "http://127.0.0.1:$http_port" \
      --output json | indent
  }
  aws_sfn list-state-machines --query 'stateMachines[].name'
  aws_sfn describe-execution \
    --execution-arn "arn:aws:states:us-east-1:123456789012:execution:$failed_id" \
    --query '{name: name, status: status, startDate: startDate, stopDate: stopDate}'
else
  echo "    (the AWS CLI is not installed: apt-get install awscli)"
fi
section "The console (http://127.0.0.1:$http_port/ while the server runs)"
echo "    what the console's API says about the redriven ml_pipeline run, state by state:"
/usr/bin/python3 - "$http_port" "$failed_id" <<'PY' | indent
import json, sys, urllib.parse, urllib.request
port, execution = sys.argv[1], sys.argv[2]
def get(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return json.load(r)
quoted = urllib.parse.quote(execution, safe="")
summary = get(f"/api/executions/{quoted}/states")
for path, state in summary["states"].items():
    print(f"{path:<24} {state['status']:<10} visits {state['visits']}")
taken = ", ".join(f"{t['from']} -> {t['to']}" for t in summary["transitions"][:4])
print(f"path taken: {taken}, ...")
PY
if command -v chromium >/dev/null 2>&1; then
  shot="$work/console-execution.png"
  timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1400,900 --virtual-time-budget=5000 --screenshot="$shot" \
    "http://127.0.0.1:$http_port/executions/$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$failed_id")" \
    >/dev/null 2>&1 && echo "    a screenshot of its page: $shot"
fi
echo
echo "Done. Logs: $work/*.log; graphs: $build/graphs/; database: $work/stepflow.db;"
echo "SQLite file of the functions: $examples_db; ML artifacts: $shared/artifacts/"
