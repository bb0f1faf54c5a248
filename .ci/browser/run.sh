#!/usr/bin/env bash
# Browser test of the GraphiQL page at `/`: starts the given server binary on a
# free loopback port with a fresh data dir, runs graphiql.test.mjs in headless
# Chromium (Debian's chromium, driven by playwright-core), stops the server.
#
#   bash .ci/browser/run.sh [path/to/imgql]      (default target/debug/imgql)
#
# Builds nothing. Installs Debian's chromium if absent (apt-get) and the npm
# dependency (no lock file). Screenshots go to a temp dir (IMGQL_SHOTS_DIR to
# choose it); it is printed at the end. The last line is "N passed, N failed";
# the exit status is non-zero on any failure. The whole run is bounded.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN="${1:-target/debug/imgql}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# Bound on the test itself (it also bounds itself at 100 s).
TEST_TIMEOUT="${IMGQL_BROWSER_TEST_TIMEOUT:-120}"

WORK="$(mktemp -d)"
SHOTS="${IMGQL_SHOTS_DIR:-$(mktemp -d -t imgql-graphiql-shots-XXXXXX)}"
SERVER=""
cleanup() {
  if [[ -n "$SERVER" ]]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Setup failures end with the closing line too.
give_up() {
  echo "browser test: $*" >&2
  if [[ -f "$WORK/server.log" ]]; then
    echo "--- server log (last 40 lines) ---" >&2
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  echo "0 passed, 1 failed"
  exit 1
}

[[ -x "$BIN" ]] || give_up "no server binary at $BIN (build it first: cargo build --bin imgql)"

if [[ ! -x "$CHROMIUM" ]]; then
  echo "installing Debian's chromium"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$WORK/apt.log" 2>&1 \
    || { tail -n 20 "$WORK/apt.log" >&2; give_up "could not install chromium"; }
fi
[[ -x "$CHROMIUM" ]] || give_up "no chromium at $CHROMIUM"

npm install --prefix .ci/browser --no-package-lock --no-audit --no-fund --silent \
  || give_up "npm install of .ci/browser failed"

# A free loopback port: ask the kernel for one.
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"

IMGQL_BIND="127.0.0.1:$PORT" IMGQL_DATA_DIR="$WORK/data" RUST_LOG=warn "$BIN" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 150); do
  curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || give_up "the server exited at start"
  sleep 0.1
done
curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1 || give_up "no answer on $BASE/healthz after 15 s"
echo "server: $BIN on $BASE"

status=0
timeout --kill-after=5 "$TEST_TIMEOUT" \
  env CHROMIUM="$CHROMIUM" node .ci/browser/graphiql.test.mjs "$BASE" "$SHOTS" >"$WORK/test.out" 2>&1 || status=$?
last="$(tail -n 1 "$WORK/test.out")"
if [[ "$last" =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
  sed '$d' "$WORK/test.out"
else
  # The test died without its summary (crash or timeout).
  cat "$WORK/test.out"
  echo "browser test: the test ended without a summary (exit $status; 124 is the ${TEST_TIMEOUT} s bound)" >&2
  last="0 passed, 1 failed"
  [[ "$status" -ne 0 ]] || status=1
fi
if [[ "$status" -ne 0 ]]; then
  echo "--- server log (last 40 lines) ---"
  tail -n 40 "$WORK/server.log" || true
fi
kill "$SERVER" 2>/dev/null || true
wait "$SERVER" 2>/dev/null || true
SERVER=""
echo "$last"
exit "$status"
