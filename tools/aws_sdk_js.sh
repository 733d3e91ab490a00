#!/usr/bin/env bash
# Installs the AWS SDKs for JavaScript that tests/aws uses, pinned by tools/aws-sdk/package-lock.json:
# the v3 Step Functions client (@aws-sdk/client-sfn), the real client that tests/aws/sdk_js_test.mjs
# drives against `stepflow server --http`, and v2 (aws-sdk), whose apis/states-2016-11-23.*.json is
# the current Step Functions API model that tests/aws/stepflow_server.py turns into botocore's
# (the boto3, AWS CLI and bad-input tests).
#
#   bash tools/aws_sdk_js.sh        prints the install directory (its node_modules/@aws-sdk/client-sfn
#                                   and node_modules/aws-sdk)
#
# The install and its exit codes: tools/npm_cache.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/tools/npm_cache.sh" aws-sdk "$root/tools/aws-sdk" \
  node_modules/@aws-sdk/client-sfn/package.json node_modules/aws-sdk/apis/states-2016-11-23.min.json
