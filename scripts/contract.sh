#!/usr/bin/env bash
# The REST API against its own OpenAPI document, with schemathesis (every check: server errors,
# status codes, content types, response headers and schemas, negative and positive data, missing
# headers, unsupported methods). A short run: the test command calls it against the demo server
# after the browser tests; run it yourself against any server with
#   bash scripts/contract.sh http://127.0.0.1:3000 [more schemathesis options]
# It writes: it creates, changes and deletes variables and profiles and deploys protections, so
# point it at a demo or test server, never at a site. It authenticates with the API token in
# POWERDECK_TOKEN (an admin token with both scopes: `powerdeck token create NAME --role admin
# --allow-deploy --allow-device-writes`); schemathesis's ignored_auth check also calls without it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
base=${1:?usage: scripts/contract.sh BASE_URL [schemathesis options]}
shift
[ -x "${SCHEMATHESIS:-}" ] || { echo "schemathesis is not installed: run scripts/bootstrap.sh" >&2; exit 1; }
[ -n "${POWERDECK_TOKEN:-}" ] || { echo "POWERDECK_TOKEN is not set: the API needs a token (see the header of this script)" >&2; exit 1; }
# The live stream and the alarm stream never end by design (they are checked by
# server/tests/it/field.rs and protections.rs instead). The adapter
# test connects to whatever host and port it is given, so generated ones would each wait for their
# timeout (it is checked against the simulator by server/tests/it/site_live_rest.rs instead).
# Revoking a token is left out: the tester learns the names from GET /api/v1/tokens and would
# revoke its own (every later call then answers 401); server/tests/it/access.rs covers it.
exec "$SCHEMATHESIS" run "$base/api/v1/openapi.json" \
  --checks all \
  --header "Authorization: Bearer $POWERDECK_TOKEN" \
  --workers 2 \
  --max-examples "${CONTRACT_MAX_EXAMPLES:-20}" \
  --request-timeout 10 \
  --exclude-path /api/v1/live/stream \
  --exclude-path /api/v1/alarms/stream \
  --exclude-path /api/v1/site/adapter-tests \
  --exclude-path '/api/v1/tokens/{name}' \
  --seed "${CONTRACT_SEED:-1}" \
  --no-color \
  "$@"
