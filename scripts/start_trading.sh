#!/usr/bin/env bash
# Starts the Tickstorm trading system in the background, as is usual before a load test
# in the same terminal:
#
#   ./scripts/start_trading.sh            # all four services on 5001 / 5002 / 5003 / 8000
#   npx tickstorm run order-stress        # a load test against it (or any scenario, `all`)
#   ./scripts/stop_trading.sh
#
# Arguments go to `tickstorm serve` (e.g. a single service, --data-dir, --*-port, --shards);
# the environment too (MARKET_DATA_PORT, EXECUTION_ENGINE_PORT, RISK_MANAGER_PORT, API_PORT,
# TICKSTORM_HOST, TICKSTORM_DATA_DIR, ABC_MAX_CONCURRENT_REQUESTS). Port 0 picks free ports:
# the URLs are read back from the log. Writes DATA_DIR/tickstorm.pid and DATA_DIR/tickstorm.log,
# waits (at most TICKSTORM_START_TIMEOUT seconds, default 60) until GET /health answers on
# every service, then prints the URLs. Exit 0 once healthy, 1 otherwise (the log tail shown).
# The system runs in a session of its own: closing the terminal does not stop it.
set -euo pipefail
# shellcheck source=scripts/trading-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/trading-env.sh" "$@"
TIMEOUT="${TICKSTORM_START_TIMEOUT:-60}"

if [ -f "$PID_FILE" ]; then
  old="$(cat "$PID_FILE")"
  if [[ "$old" =~ ^[0-9]+$ ]] && tickstorm_alive "$old"; then
    echo "Tickstorm is already running (pid $old, $PID_FILE); stop it with scripts/stop_trading.sh" >&2
    exit 1
  fi
  # stale: the process died (kill -9, a reboot), or its pid now belongs to another program
  echo "removed the stale $PID_FILE (pid $old is not Tickstorm)"
  rm -f "$PID_FILE"
fi
mkdir -p "$DATA_DIR" "$(dirname "$PID_FILE")" "$(dirname "$LOG_FILE")"
# Emptied here, not only by the background job's redirection below: that one runs in the
# forked job, maybe after the wait below has read the last run's "pid N;" line (and then found
# no URL in a log truncated meanwhile: "did not start", seen in trading-scripts.test.ts).
: >"$LOG_FILE"

# node writes its process title (`tickstorm market-data execution-engine risk-manager`, what
# `ps aux | grep -E "(market-data|execution-engine|risk-manager)"` shows) over its own command
# line and cannot make it longer: `node /path/bin/tickstorm.js serve` is often shorter (ps then
# showed `... risk-mana`). Starting node with that title as its argv[0] leaves room for it.
# In a session of its own (setsid), without a controlling terminal: when this script ran on a
# terminal that then closes (`ssh -t host ./scripts/start_trading.sh`, a tmux pane), the kernel's
# SIGHUP to the terminal's foreground process group would stop the system (`serve` stops
# gracefully on SIGHUP), where it is meant to keep running until stop_trading.sh.
# nohup does not help: node resets SIGHUP to its default action as it starts. (A script has no
# job control, so its background job leads no process group: setsid execs without forking and
# $! stays the system's pid.)
detach=(nohup)
if command -v setsid >/dev/null 2>&1; then detach=(setsid); fi
"${detach[@]}" "$BASH" -c 'exec -a "$0" node "$@"' "tickstorm market-data execution-engine risk-manager" \
  "$ROOT/bin/tickstorm.js" serve "$@" </dev/null >"$LOG_FILE" 2>&1 &
pid=$!
echo "$pid" >"$PID_FILE"

fail() {
  echo "Tickstorm did not start: $1" >&2
  echo "--- last lines of $LOG_FILE ---" >&2
  tail -n 20 "$LOG_FILE" >&2 || true
  if process_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  rm -f "$PID_FILE"
  exit 1
}

health() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 2 -o /dev/null "$1/health"
  else
    node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1/health"
  fi
}

# Ctrl-C while waiting: the system is in its own session and would not see it; stop it too.
trap 'fail "interrupted"' INT TERM

deadline=$((SECONDS + TIMEOUT))
# `tickstorm serve` prints one URL line per service, then "pid N; ...", once all listen.
until grep -qE '^pid [0-9]+;' "$LOG_FILE" 2>/dev/null; do
  process_alive "$pid" || fail "the process exited"
  [ "$SECONDS" -lt "$deadline" ] || fail "no URLs within ${TIMEOUT}s"
  sleep 0.2
done

urls="$(grep -E '^(market-data|execution-engine|risk-manager|api) +https?://' "$LOG_FILE" || true)"
[ -n "$urls" ] || fail "no service URL in the log"
while read -r name url _; do
  until health "$url"; do
    process_alive "$pid" || fail "the process exited"
    [ "$SECONDS" -lt "$deadline" ] || fail "$name ($url) did not answer GET /health within ${TIMEOUT}s"
    sleep 0.2
  done
done <<<"$urls"

trap - INT TERM
echo "Tickstorm is running (pid $pid; log $LOG_FILE):"
sed -E 's/^/  /' <<<"$urls"
if [ "$DATA_DIR" = "data" ]; then
  echo "Stop it with: scripts/stop_trading.sh"
else
  printf 'Stop it with: scripts/stop_trading.sh --data-dir %q\n' "$DATA_DIR"
fi
