# Shared by scripts/start_trading.sh and scripts/stop_trading.sh (sourced, not run).
# Sets ROOT, DATA_DIR, PID_FILE, LOG_FILE from the environment and the serve arguments:
#   --data-dir DIR / --data-dir=DIR (as `tickstorm serve` takes it), else TICKSTORM_DATA_DIR,
#   else ./data; TICKSTORM_PID_FILE and TICKSTORM_LOG_FILE override the two files
#   (default DATA_DIR/tickstorm.pid and DATA_DIR/tickstorm.log).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# -h / --help: the calling script's usage (its header comment), and nothing is started,
# stopped or created. The start script adds the options of `tickstorm serve` it passes on.
for _a in "$@"; do
  case "$_a" in
    -h | --help)
      if [ "$(basename "$0")" = start_trading.sh ]; then
        echo "Usage: $0 [service...] [tickstorm serve options]"
      else
        echo "Usage: $0 [--data-dir DIR]"
      fi
      echo
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      if [ "$(basename "$0")" = start_trading.sh ]; then
        echo
        node "$ROOT/bin/tickstorm.js" serve --help
      fi
      exit 0
      ;;
  esac
done

DATA_DIR="${TICKSTORM_DATA_DIR:-data}"
_args=("$@")
for ((_i = 0; _i < ${#_args[@]}; _i++)); do
  case "${_args[_i]}" in
    --data-dir) DATA_DIR="${_args[_i + 1]:-$DATA_DIR}" ;;
    --data-dir=*) DATA_DIR="${_args[_i]#--data-dir=}" ;;
  esac
done
PID_FILE="${TICKSTORM_PID_FILE:-$DATA_DIR/tickstorm.pid}"
LOG_FILE="${TICKSTORM_LOG_FILE:-$DATA_DIR/tickstorm.log}"

# True while process $1 exists and is not a zombie (a reparented child nobody reaped yet).
process_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ]; then
    state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null || true)"
    [ "$state" != "Z" ]
  fi
}

# True while process $1 is alive and is Tickstorm: its title is "tickstorm ..." or a service
# name (serve market-data etc.), its command line bin/tickstorm.js before it retitles itself.
# A PID file naming another program is stale (the pid was reused after a kill -9 or a reboot).
tickstorm_alive() {
  process_alive "$1" || return 1
  ps -p "$1" -o args= 2>/dev/null | grep -qE 'tickstorm|market-data|execution-engine|risk-manager'
}
