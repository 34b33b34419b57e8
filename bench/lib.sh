# shellcheck shell=bash
# Helpers for bench/run.sh: processes by PID, timing, CPU accounting, arithmetic, the result table.
# Sourced, not run. Every wait is bounded; every process started here is stopped by its PID.

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 2; }

# ---- processes ---------------------------------------------------------------------------------
declare -a BENCH_PIDS=()

# start_bg NAME LOGFILE CMD...: starts CMD in the background, records its PID; sets STARTED_PID.
start_bg() {
  local name=$1 logfile=$2
  shift 2
  "$@" >"$logfile" 2>&1 &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
  log "bench: started $name (pid $STARTED_PID)"
}

# stop_pid PID: SIGTERM, SIGKILL after 10 s; only ever a PID this script started.
stop_pid() {
  local pid=$1 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIDS=()
}

# wait_for_line FILE PID SECONDS: shared with tests/e2e/run.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/wait.sh"

# wait_http URL PID SECONDS: until URL answers 200 (or PID exits: status 1).
wait_http() {
  local url=$1 pid=$2 i code
  for i in $(seq 1 $(($3 * 10))); do
    kill -0 "$pid" 2>/dev/null || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    [[ $code == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

# ---- measuring ---------------------------------------------------------------------------------
now_ns() { date +%s%N; }

# cpu_ticks PID: user+system CPU of a running process, in clock ticks (see CLK_TCK).
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
ticks_to_s() { awk -v t="$1" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# fetch URL: one GET to /dev/null; prints "code bytes seconds ttfb user_s sys_s" (curl's own CPU from time(1)).
fetch() {
  local url=$1 out tfile
  tfile=$(mktemp)
  out=$(/usr/bin/time -f '%U %S' -o "$tfile" curl -sS -o /dev/null --max-time "${FETCH_TIMEOUT:-600}" \
    -w '%{http_code} %{size_download} %{time_total} %{time_starttransfer}' "$url" 2>/dev/null || true)
  [[ -n $out ]] || out="000 0 0 0"
  echo "$out $(tail -n1 "$tfile")"
  rm -f "$tfile"
}

# median N...: the median of the numbers given.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END { if (NR == 0) { print "nan"; exit } if (NR % 2) print a[(NR+1)/2]; else printf "%.6g\n", (a[NR/2] + a[NR/2+1]) / 2 }'; }
# calc EXPR: floating point with awk.
calc() { awk "BEGIN { printf \"%.4g\", $* }"; }
# holds A OP B: true when the comparison holds (OP is >= or <= or ==).
holds() { awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { if (a == "nan" || b == "nan") exit 1; r = (op == ">=") ? a >= b : (op == "<=") ? a <= b : a == b; exit !r }'; }

# ---- results -----------------------------------------------------------------------------------
declare -a RESULT_LINES=()
MISSED=0
RESULT_FORMAT='%-34s %16s %16s %10s %12s  %s\n'

# result SCENARIO NARGUARD BASELINE RATIO TARGET STATUS: one line of the table, printed now and at the end.
result() {
  local line
  [[ $6 == PASS ]] || MISSED=$((MISSED + 1))
  # shellcheck disable=SC2059
  line=$(printf "$RESULT_FORMAT" "$1" "$2" "$3" "$4" "$5" "$6")
  RESULT_LINES+=("$line")
  printf '%s\n' "$line"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$WORK/results.tsv"
}

# verdict RATIO OP LIMIT: PASS or MISSED.
verdict() { if holds "$1" "$2" "$3"; then echo PASS; else echo MISSED; fi; }

# note KEY VALUE...: a measured detail for docs/BENCHMARKS.md (CPU split, TTFB, ...), kept in details.tsv.
note() { local key=$1; shift; printf '%s\t%s\n' "$key" "$*" >>"$WORK/details.tsv"; log "bench: $key: $*"; }
