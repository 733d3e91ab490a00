#!/usr/bin/env bash
# The README's first command: installs what is missing, builds stepflow and
# runs the main job. Until the executor lands, the main job validates every
# example workflow and draws it (Mermaid on the terminal, SVG files under
# build/graphs/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tools/setup.sh
bash tools/build.sh

stepflow="$root/build/engine/stepflow"
mkdir -p build/graphs
for wf in workflows/*.asl.yaml; do
  name="$(basename "$wf" .asl.yaml)"
  echo
  echo "== $wf"
  "$stepflow" validate "$wf"
  "$stepflow" graph "$wf" --format dot | dot -Tsvg -o "build/graphs/$name.svg"
  "$stepflow" graph "$wf" --format mermaid
done
echo
echo "Drawings written to build/graphs/*.svg"
