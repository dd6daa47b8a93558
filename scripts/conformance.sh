#!/usr/bin/env bash
# Run the ADL LRS conformance suite (a checkout of github.com/adlnet/lrs-conformance-test-suite
# with `npm install` done) against a fresh `gateway serve`.
#
#   scripts/conformance.sh SUITE_DIR [1.0.3|2.0.0|both] [sqlite|postgresql]
#
# Prints the passed/failed counts per version; the suite's own logs stay in SUITE_DIR/logs.
set -euo pipefail
suite=$(cd "${1:?usage: scripts/conformance.sh SUITE_DIR [version] [database]}" && pwd)
versions=${2:-both}
database=${3:-sqlite}
here=$(cd "$(dirname "$0")/.." && pwd)
port=${CONFORMANCE_PORT:-8177}
gateway="$here/.venv/bin/gateway"
work=$(mktemp -d)

case "$database" in
  sqlite) export GATEWAY_DATABASE_URL="sqlite:///$work/conformance.db" ;;
  postgresql)
    admin=${GATEWAY_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
    name="gw_conformance_$$"
    psql "${admin/+psycopg/}" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" 2>/dev/null
    export GATEWAY_DATABASE_URL="${admin%/*}/$name"
    drop_database() { psql "${admin/+psycopg/}" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"; }
    ;;
  *) echo "database must be sqlite or postgresql" >&2; exit 2 ;;
esac
export GATEWAY_MAX_QUERY_LIMIT=${GATEWAY_MAX_QUERY_LIMIT:-500}

"$gateway" db upgrade >/dev/null
"$gateway" credentials create --name conformance --scope all --key conformance \
  --secret conformance-secret >/dev/null
server=""
stop_server() {
  if [[ -n $server ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=""
}
restart_server() {
  stop_server
  GATEWAY_XAPI_DEFAULT_VERSION=$1 "$gateway" serve --port "$port" >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return 0
    sleep 0.2
  done
  echo "server did not start; see $work/server.log" >&2
  exit 1
}
cleanup() {
  stop_server
  if [[ $database == postgresql ]]; then drop_database; fi
  rm -rf "$work/conformance.db"*
}
trap cleanup EXIT

run_version() {
  local version=$1 out="$work/suite-$1.txt"
  # The two suites expect different versions on responses to requests that name none.
  restart_server "$version"
  (cd "$suite" && node bin/console_runner.js -e "http://127.0.0.1:$port/xapi" -a \
     -u conformance -p conformance-secret -x "$version" -z >"$out" 2>&1) || true
  local passed failed
  local last total passed failed
  last=$(grep -E '^\{"total"' "$out" | tail -n1)
  total=$(sed -E 's/.*"total":([0-9]+).*/\1/' <<<"$last")
  passed=$(sed -E 's/.*"passed":([0-9]+).*/\1/' <<<"$last")
  failed=$(sed -E 's/.*"failed":([0-9]+).*/\1/' <<<"$last")
  echo "xAPI $version on $database: $passed passed, $failed failed of $total (log: $out)"
  echo "  suite log: $(grep -Eo '[^ ]+\.log' "$out" | tail -n1)"
}

if [[ $versions == both || $versions == 1.0.3 ]]; then run_version 1.0.3; fi
if [[ $versions == both || $versions == 2.0.0 ]]; then run_version 2.0.0; fi
