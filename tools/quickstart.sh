#!/usr/bin/env bash
# The README's first command: installs what is missing, builds stepflow and
# runs the main job. Until the executor lands, the main job validates every
# example workflow and draws it: SVG (Graphviz) and Mermaid files under
# build/graphs/, and the Mermaid text of the web-request flow on the terminal.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tools/setup.sh
bash tools/build.sh

stepflow="$root/build/engine/stepflow"
mkdir -p build/graphs
echo
echo "== Validating and drawing the example workflows"
for wf in workflows/*.asl.yaml; do
  name="$(basename "$wf" .asl.yaml)"
  "$stepflow" validate "$wf"
  "$stepflow" graph "$wf" --format dot | dot -Tsvg -o "build/graphs/$name.svg"
  "$stepflow" graph "$wf" --format mermaid > "build/graphs/$name.mmd"
  printf '    drawn: build/graphs/%s.svg, build/graphs/%s.mmd\n' "$name" "$name"
done

echo
echo "== A definition with mistakes, as stepflow reports them"
bad="$(mktemp --suffix=.asl.yaml)"
trap 'rm -f "$bad"' EXIT
cat > "$bad" <<'YAML'
StartAt: Fetch
States:
  Fetch:
    Type: Task
    Resourse: http_get
    Retry:
      - ErrorEquals: [States.ALL, States.Timeout]
        BackoffRate: 0.5
    Next: Parse
  Parse:
    Type: Pass
    Parameters:
      url: $.url
    Next: Store
YAML
"$stepflow" validate "$bad" || true

echo
echo "== The web-request flow (Mermaid; paste into any Mermaid viewer)"
cat build/graphs/web_request.mmd
