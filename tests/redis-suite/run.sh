#!/usr/bin/env bash
# Runs Redis 7.0.15's own test suite (the Tcl units under tests/unit/ of its source) against
# embedis-server, one fresh server per unit, in Redis's external-server mode, and prints per unit
# the tests passed and failed, then `N passed, M failed`.
#
#   tests/redis-suite/run.sh                  # the default units (see UNITS below)
#   tests/redis-suite/run.sh unit/type/hash   # chosen units
#
# Needs `tclsh` (Debian's `tcl`) and the suite: Debian's `redis` source package, fetched once with
# `apt-get source redis` (deb-src entries are added to apt's sources when missing; that needs root
# or sudo) and cached in $EMBEDIS_REDIS_SUITE (default: ~/.cache/embedis/redis-7.0.15). Builds
# embedis-server in release first.
#
# Tests that no server can pass in external mode (they stop redis-server's own run too) are
# listed in tests/redis-suite/external-skips.txt and skipped.
#
# What the suite still finds is listed in tests/redis-suite/known-failures.txt. Exits 1 when a test
# fails or a unit stops that the list does not name, or when a listed failure no longer happens
# (take it off the list): the list only shrinks.
set -uo pipefail
cd "$(dirname "$0")/../.."

VERSION=7.0.15
SUITE=${EMBEDIS_REDIS_SUITE:-$HOME/.cache/embedis/redis-$VERSION}
# Every tag runs, as Redis's own CI runs external servers (needs:repl too: those tests read the
# replication stream, which embedis-server feeds; the few that make the server a replica are
# listed as skips in known-failures.txt). EMBEDIS_SUITE_TAGS, if set, is passed as the suite's
# --tags (e.g. "-needs:repl").
TAGS=${EMBEDIS_SUITE_TAGS:-}
# The units of the families embedis implements. The suite's other units run no test against an
# external server (all external:skip: aofrw, info, maxmemory, obuf-limits, pubsubshard, shutdown,
# wait, …) but replybufsize, whose one test checks Redis's reply-buffer resizing policy (DEBUG
# REPLYBUFFER), as querybuf's check its query buffers (README, Deviations); and acl (issue 19).
UNITS=(unit/auth unit/bitfield unit/bitops unit/dump unit/expire unit/functions unit/geo unit/hyperloglog unit/info-command unit/introspection unit/introspection-2 unit/keyspace unit/latency-monitor unit/lazyfree
  unit/limits unit/memefficiency unit/multi unit/networking unit/other unit/pause unit/pubsub unit/protocol unit/querybuf unit/quit
  unit/scan unit/scripting unit/slowlog unit/sort unit/tracking unit/type/hash unit/type/incr unit/type/list unit/type/list-2
  unit/type/list-3 unit/type/set unit/type/stream unit/type/stream-cgroups unit/type/string unit/type/zset unit/violations)
# How long one unit may run (seconds).
UNIT_TIMEOUT=${EMBEDIS_SUITE_UNIT_TIMEOUT:-600}
[ $# -gt 0 ] && UNITS=("$@")

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

fetch_suite() {
  [ -x "$SUITE/runtest" ] && return 0
  command -v dpkg-source >/dev/null || as_root apt-get install -y -qq dpkg-dev >/dev/null
  if ! apt-get source --print-uris -qq redis >/dev/null 2>&1; then
    echo "adding deb-src entries to apt's sources, to fetch Debian's redis source package"
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed -e 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
        as_root tee /etc/apt/sources.list.d/embedis-deb-src.sources >/dev/null
    else
      grep -h '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
        as_root tee /etc/apt/sources.list.d/embedis-deb-src.list >/dev/null
    fi
    as_root apt-get update -qq
  fi
  local work
  work=$(mktemp -d)
  (cd "$work" && apt-get source -qq redis >/dev/null 2>&1) || { echo "apt-get source redis failed"; return 1; }
  local tree
  tree=$(find "$work" -maxdepth 1 -type d -name "redis-$VERSION" | head -n 1)
  [ -n "$tree" ] || { echo "Debian's redis source is not $VERSION: $(ls "$work")"; return 1; }
  mkdir -p "$(dirname "$SUITE")" && rm -rf "$SUITE" && mv "$tree" "$SUITE" && rm -rf "$work"
}

free_port() {
  echo 'set s [socket -server {} -myaddr 127.0.0.1 0]; puts [lindex [fconfigure $s -sockname] 2]; close $s' | tclsh
}

wait_ready() {
  for _ in $(seq 100); do
    if echo 'if {[catch {close [socket 127.0.0.1 '"$1"']}]} {exit 1}' | tclsh 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

command -v tclsh >/dev/null || { echo "tclsh is missing (apt-get install tcl)"; exit 1; }
fetch_suite || exit 1
cargo build --release --bin embedis-server -q || exit 1
server=$PWD/target/release/embedis-server

KNOWN=tests/redis-suite/known-failures.txt
# The known failures of `unit`: one per line, a test's name or "stops: <text>".
known() { grep -v '^#' "$KNOWN" | awk -F ' [|] ' -v u="$1" '$1 == u { print $2 }'; }
SKIPS=tests/redis-suite/external-skips.txt
# The suite's options that skip the tests of `unit` no server passes in external mode, and the
# known failures listed as "skip: <test>" (a test of a family embedis lacks, which would stop
# its unit and hide the tests after it).
skips() {
  { grep -v '^#' "$SKIPS" | awk -F ' [|] ' -v u="$1" '$1 == u { print $2 }'
    known "$1" | sed -n 's/^skip: //p'; } | while IFS= read -r name; do printf -- '--skiptest\n%s\n' "$name"; done
}

passed=0 failed=0 status=0 surprises=()
[ -f "$KNOWN" ] || { echo "$KNOWN is missing"; exit 1; }
for unit in "${UNITS[@]}"; do
  port=$(free_port)
  # As the suite's own servers are configured (tests/assets/default.conf): a fresh directory,
  # `save 900 1`, no AOF.
  dir=$(mktemp -d)
  "$server" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "900 1" >/dev/null 2>&1 &
  pid=$!
  if ! wait_ready "$port"; then
    echo "$unit: embedis-server did not start"; kill "$pid" 2>/dev/null; status=1; continue
  fi
  mapfile -t skip_options < <(skips "$unit")
  log=$(cd "$SUITE" && timeout "$UNIT_TIMEOUT" ./runtest --host 127.0.0.1 --port "$port" --single "$unit" \
    --clients 1 ${TAGS:+--tags "$TAGS"} "${skip_options[@]}" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
  # SIGKILL: a server stuck in a script does not stop on SIGTERM yet.
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  rm -rf "$dir"
  ok=$(grep -c '^\[ok\]' <<<"$log")
  err=$(grep -c '^\[err\]' <<<"$log")
  stopped=$(grep -E '^\[exception\]|^\[TIMEOUT\]' <<<"$log" | head -n 1)
  grep -q 'All tests passed\|^\[[0-9]*/[0-9]* done\]' <<<"$log" || stopped=${stopped:-"did not finish within ${UNIT_TIMEOUT}s"}
  printf '%s: %d passed, %d failed%s\n' "$unit" "$ok" "$err" "${stopped:+, stopped: $stopped}"
  grep '^\[err\]' <<<"$log" | sed 's/^/  /'
  passed=$((passed + ok)) failed=$((failed + err))
  # Against the list: every failure and stop named there, every listed one still happening.
  mapfile -t failures < <(grep '^\[err\]' <<<"$log" | sed -e 's/^\[err\]: //' -e 's/ in tests\/.*$//')
  mapfile -t listed < <(known "$unit")
  for name in "${failures[@]}"; do
    printf '%s\n' "${listed[@]}" | grep -qxF -- "$name" || surprises+=("$unit: new failure: $name")
  done
  if [ -n "$stopped" ]; then
    hit=no
    for entry in "${listed[@]}"; do
      [[ $entry == "stops: "* ]] && [[ $stopped == *"${entry#stops: }"* ]] && hit=yes
    done
    [ $hit = yes ] || surprises+=("$unit: stops where it did not: $stopped")
  fi
  for entry in "${listed[@]}"; do
    if [[ $entry == "skip: "* ]]; then
      continue
    elif [[ $entry == "stops: "* ]]; then
      [[ -n $stopped && $stopped == *"${entry#stops: }"* ]] || surprises+=("$unit: no longer ${entry}: take it off the list")
    elif [ -z "$stopped" ]; then
      # (A unit that stopped may not have reached the test: nothing to say of it.)
      printf '%s\n' "${failures[@]}" | grep -qxF -- "$entry" || surprises+=("$unit: passes now: $entry: take it off the list")
    fi
  done
done
echo "$passed passed, $failed failed"
if [ ${#surprises[@]} -gt 0 ]; then
  printf 'against %s:\n' "$KNOWN"
  printf '  %s\n' "${surprises[@]}"
  status=1
fi
exit $status
