#!/usr/bin/env bash
# Stops what scripts/start_trading.sh started: SIGTERM to the pid in DATA_DIR/tickstorm.pid
# (a graceful stop: requests in flight answered, input logs and metrics flushed, DuckDB
# closed), then waits at most TICKSTORM_STOP_TIMEOUT seconds (default 30) for it to exit.
# Takes the same --data-dir / TICKSTORM_DATA_DIR as start_trading.sh. Exit 0 when it
# stopped cleanly or was not running; 1 when it had to be killed or did not log a clean stop.
set -euo pipefail
# shellcheck source=scripts/trading-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/trading-env.sh" "$@"
TIMEOUT="${TICKSTORM_STOP_TIMEOUT:-30}"

if [ ! -f "$PID_FILE" ]; then
  echo "Tickstorm is not running (no $PID_FILE)"
  exit 0
fi
pid="$(cat "$PID_FILE")"
if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! process_alive "$pid"; then
  echo "Tickstorm is not running (removed the stale $PID_FILE)"
  rm -f "$PID_FILE"
  exit 0
fi
# A pid now used by another program (reused after a kill -9 or a reboot): never signalled.
if ! tickstorm_alive "$pid"; then
  echo "Tickstorm is not running (removed the stale $PID_FILE: pid $pid is another program, not touched)"
  rm -f "$PID_FILE"
  exit 0
fi

echo "Stopping Tickstorm (pid $pid)..."
kill -TERM "$pid"
deadline=$((SECONDS + TIMEOUT))
while process_alive "$pid"; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "pid $pid did not stop within ${TIMEOUT}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    exit 1
  fi
  sleep 0.2
done
rm -f "$PID_FILE"

if grep -q 'stopped cleanly' "$LOG_FILE" 2>/dev/null; then
  echo "Tickstorm stopped cleanly"
else
  echo "Tickstorm exited without logging a clean stop; last lines of $LOG_FILE:" >&2
  tail -n 20 "$LOG_FILE" >&2 || true
  exit 1
fi
