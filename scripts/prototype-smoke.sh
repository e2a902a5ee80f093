#!/usr/bin/env bash
# The Python prototype's own test scripts, run against a Powerdeck server with only the host and
# port changed: seed 001's "Quick test script" (save protections directly and through the
# dashboard's /vars_api proxy path, recall current) and "Test Deploy", plus seed 000's usage
# examples of the registry API (/api/vars filters, categories, locators, /api/variables, bulk).
# Every call must answer 2xx with the prototype's shapes, and the recalled limits must equal the
# saved ones. It writes (saves and deploys the soc limits): point it at a demo server.
#   POWERDECK_TOKEN=pd_… bash scripts/prototype-smoke.sh http://127.0.0.1:3000
# (an engineer's or admin's API token that may deploy: `powerdeck token create smoke --role
# engineer --allow-deploy`; the prototype's scripts sent no credentials, this adds the header).
set -euo pipefail
base=${1:?usage: scripts/prototype-smoke.sh BASE_URL}
auth=(-H "Authorization: Bearer ${POWERDECK_TOKEN:?set POWERDECK_TOKEN to an API token}")
base=${base%/}
failures=0

# The seed's payloads, byte for byte.
SAVE='{"protections":{"soc":{"max":{"hysteresis":0.5,"warning":{"threshold":95,"on_duration":30,"off_duration":60,"enabled":true}}}}}'
DEPLOY='{
  "protections": {
    "soc": {
      "max": {
        "hysteresis": 0.5,
        "warning": {
          "threshold": 95,
          "on_duration": 30,
          "off_duration": 60,
          "enabled": true
        }
      }
    }
  }
}'

# call NAME METHOD URL [BODY]: prints the answer; fails the run unless it is 2xx JSON.
answer=""
call() {
  local name=$1 method=$2 url=$3 body=${4:-} status
  local out
  out=$(mktemp)
  if [ -n "$body" ]; then
    status=$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$url" "${auth[@]}" -H "Content-Type: application/json" -d "$body")
  else
    status=$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$url" "${auth[@]}" -H "Accept: application/json")
  fi
  answer=$(cat "$out")
  rm -f "$out"
  echo "=== $name: $method $url -> $status"
  echo "$answer" | head -c 600
  echo
  if [[ "$status" != 2* ]]; then
    echo "FAIL: $name answered $status" >&2
    failures=$((failures + 1))
    return 1
  fi
}

# check NAME PYTHON-EXPRESSION: the expression over `a` (the last answer, parsed) must be true.
check() {
  local name=$1 expression=$2
  if ! ANSWER="$answer" python3 -c "
import json, os, sys
a = json.loads(os.environ['ANSWER'])
sys.exit(0 if ($expression) else 1)
"; then
    echo "FAIL: $name: expected $expression" >&2
    failures=$((failures + 1))
  fi
}

SAVED_SOC='{"max": {"hysteresis": 0.5, "warning": {"threshold": 95, "on_duration": 30, "off_duration": 60, "enabled": True}}}'
# The recalled soc limits hold every saved value (the profile may hold more: other levels, min).
recalled_equals_saved="all(a['protections']['soc'][side][key] == value if not isinstance(value, dict) else all(a['protections']['soc'][side][key][k] == v for k, v in value.items()) for side, limits in ($SAVED_SOC).items() for key, value in limits.items())"

for prefix in "" "/vars_api"; do
  echo
  echo "##### through '${prefix:-/}'"
  # 001 "Quick test script".
  if call "save protections" POST "$base$prefix/api/protections" "$SAVE"; then
    check "save answer" "a['ok'] is True and isinstance(a['profile'], str) and a['message'] == 'Protections saved'"
  fi
  if call "recall current" GET "$base$prefix/api/protections?source=current"; then
    check "recalled soc equals saved" "$recalled_equals_saved"
  fi
  if call "recall default" GET "$base$prefix/api/protections?source=default"; then
    check "default limits" "isinstance(a['protections'], dict)"
  fi
  # 001 "Test Deploy".
  if call "deploy" POST "$base$prefix/api/protections/deploy" "$DEPLOY"; then
    check "deploy answer" "a['ok'] is True and isinstance(a['profile'], str) and a['message'] == 'Protections deployed'"
  fi
  if call "recall after deploy" GET "$base$prefix/api/protections?source=current"; then
    check "recalled soc equals deployed" "$recalled_equals_saved"
  fi

  # 000 usage examples of the registry API.
  if call "service info" GET "$base$prefix/"; then
    check "service info" "isinstance(a['variable_count'], int) and isinstance(a['system_version'], int)"
  fi
  if call "list" GET "$base$prefix/api/vars"; then
    check "list" "a['limit'] == 100 and a['offset'] == 0 and a['total'] >= len(a['variables']) and [v['name'] for v in a['variables']] == sorted(v['name'] for v in a['variables'])"
  fi
  if call "protection variables" GET "$base$prefix/api/vars?category=prot"; then
    check "category filter" "a['variables'] and all(v['category'] == 'prot' for v in a['variables'])"
  fi
  if call "chiller config" GET "$base$prefix/api/vars?category=config&locator=sbmu.chiller%5Bn%5D"; then
    check "locator filter" "all(v['locator'] == 'sbmu.chiller[n]' for v in a['variables'])"
  fi
  if call "categories" GET "$base$prefix/api/categories"; then
    check "categories" "'prot' in a['categories']"
  fi
  if call "config locators" GET "$base$prefix/api/locators?category=config"; then
    check "locators" "isinstance(a['locators'], list)"
  fi
  if call "system version" GET "$base$prefix/api/system/version"; then
    check "system version" "isinstance(a['system_version'], int)"
  fi
  if call "voltage variables" GET "$base$prefix/api/variables?name_pattern=voltage"; then
    check "name pattern" "a and all('voltage' in v['name'] for v in a)"
  fi
  if call "one variable" GET "$base$prefix/api/variables/cell_voltage_max_warn"; then
    check "one variable" "a['ok'] is True and a['variable']['name'] == 'cell_voltage_max_warn'"
  fi
  if call "bulk read" POST "$base$prefix/api/variables/bulk" '{"variable_names": ["soc", "online"]}'; then
    check "bulk" "[v['name'] for v in a['variables']] + a['not_found'] and 'soc' in [v['name'] for v in a['variables']]"
  fi
  if call "changes" GET "$base$prefix/api/variables/changes?since_version=0"; then
    check "changes" "a['ok'] is True and a['since_version'] == 0 and len(a['changes']) > 0"
  fi
done

echo
if [ "$failures" -gt 0 ]; then
  echo "prototype smoke test: $failures failure(s)" >&2
  exit 1
fi
echo "prototype smoke test: every call answered 2xx with the prototype's shapes"
