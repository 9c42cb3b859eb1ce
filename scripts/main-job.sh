#!/usr/bin/env bash
# The main job behind `make run`: show what paralab knows (models and
# clusters), then the headline experiments as they land.
set -euo pipefail
BUILD=${1:-build}
P="$BUILD/paralab"
echo "== paralab catalog: models"
"$P" model list
echo
echo "== paralab catalog: clusters"
"$P" cluster list
echo
echo "== llama-2-7b"
"$P" model show llama-2-7b
