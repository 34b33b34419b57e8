#!/usr/bin/env bash
# NarGuard performance suite (issue #5; docs/BENCHMARKS.md). Builds narguard, the Attic emulator and
# tests/NarGuard.Benchmarks in Release (into the work dir, never into the source tree's bin/obj), generates the
# NARs, starts every process it needs and stops each by its PID, and measures each scenario against a baseline run
# side by side in the same run (medians of several runs, alternating which side goes first). Loopback only.
#
# usage: bench/run.sh [--quick] [--only LIST] [--skip LIST] [--profile] [--what-if] [--runs N]
#                     [--work-dir DIR] [--list]
#   --quick        fewer runs and shorter BenchmarkDotNet/wrk runs; the memory scenario with 256 MiB NARs
#   --only LIST    comma-separated scenarios (see --list); --skip LIST leaves some out
#   --profile      perf record narguard (and the emulator) during one extra run of cold, warm, narinfo and nix;
#                  top symbols land in WORK/profile-*.txt (narguard runs with DOTNET_PerfMapEnabled=1)
#   --what-if      unscored variants for the lead (bench/whatif.sh: thread-pool spinning, tracing, GC mode;
#                  the memory scenario with workstation GC), in details.tsv
#   --runs N       runs per side for cold, herd (default 5, quick 3)
#   --work-dir     default bench/.work (or $BENCH_DIR; git-ignored); kept after the run (results.tsv, details.tsv, logs)
#   --list         print the scenarios
# Environment: BENCH_{COLD,HERD,VERIFIER,MEM}_SIZE, BENCH_NIX_SMALL, BENCH_NIX_BIG override the sizes (smoke tests).
# STREAM_OPTION (default Streaming:Mode=always) is the setting that turns streamed mode on; while
# narguard rejects it as an unknown key, the streamed line prints "not implemented" and counts as missed.
# Output: one line per scenario "scenario narguard baseline ratio target PASS|MISSED"; exit 1 when any target is
# missed, 2 on a setup error.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
WORK=${BENCH_DIR:-$BENCH/.work}
ALL_SCENARIOS=(verifier cold-spooled cold-streamed warm narinfo herd memory nix)
QUICK=0 PROFILE=0 WHAT_IF=0 RUNS=
ONLY= SKIP=

# shellcheck source=bench/lib.sh
source "$BENCH/lib.sh"
# shellcheck source=bench/scenarios.sh
source "$BENCH/scenarios.sh"
# shellcheck source=bench/memory.sh
source "$BENCH/memory.sh"
# shellcheck source=bench/nix.sh
source "$BENCH/nix.sh"
# shellcheck source=bench/whatif.sh
source "$BENCH/whatif.sh"

while (($#)); do
  case $1 in
    --quick) QUICK=1 ;;
    --profile) PROFILE=1 ;;
    --what-if) WHAT_IF=1 ;;
    --only) [[ $# -ge 2 ]] || die "--only needs a list"; ONLY=$2; shift ;;
    --skip) [[ $# -ge 2 ]] || die "--skip needs a list"; SKIP=$2; shift ;;
    --runs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]?$ ]] || die "--runs needs a number 1-99"; RUNS=$2; shift ;;
    --work-dir) [[ $# -ge 2 ]] || die "--work-dir needs a path"; WORK=$2; shift ;;
    --list) printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0 ;;
    -h|--help) sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

selected() { # selected NAME: in --only (or no --only), not in --skip
  [[ -z $ONLY || ",$ONLY," == *",$1,"* ]] && [[ ",$SKIP," != *",$1,"* ]]
}
for s in ${ONLY//,/ } ${SKIP//,/ }; do [[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || die "unknown scenario '$s' (see --list)"; done

# Sizes and counts: the issue's, --quick trims repetitions (and the memory scenario's NAR size).
# BENCH_<NAME>_SIZE overrides one (e.g. BENCH_COLD_SIZE=16MiB for a smoke test of the script itself).
COLD_SIZE=${BENCH_COLD_SIZE:-256MiB} HERD_SIZE=${BENCH_HERD_SIZE:-64MiB} VERIFIER_SIZE=${BENCH_VERIFIER_SIZE:-512MiB}
MEM_SIZE=${BENCH_MEM_SIZE:-1GiB} NIX_SMALL=${BENCH_NIX_SMALL:-200} NIX_BIG=${BENCH_NIX_BIG:-200MiB}
if ((QUICK)); then
  RUNS=${RUNS:-3} WARM_RUNS=3 WRK_RUNS=1 WRK_SECONDS=5 NIX_RUNS=1 MEM_SIZE=${BENCH_MEM_SIZE:-256MiB}
else
  RUNS=${RUNS:-5} WARM_RUNS=7 WRK_RUNS=3 WRK_SECONDS=10 NIX_RUNS=3
fi
NIX_BIG_BYTES=$(numfmt --from=iec-i "${NIX_BIG%B}")
NG_ENV=(DOTNET_CLI_TELEMETRY_OPTOUT=1)
# perf names JIT code through /tmp/perf-PID.map; W^X double mapping would hide it behind memfd:doublemapper.
((PROFILE)) && NG_ENV+=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
DATA=$WORK/data
ART=$WORK/artifacts
mkdir -p "$DATA"
: >"$WORK/results.tsv"
: >"$WORK/details.tsv"
: >"$WORK/wrk.log"

cleanup() {
  local rc=$?
  stop_all
  # The spools hold GiBs (8 x 608 MB for memory alone) and are rebuilt by every run; data/ is reused.
  rm -rf "$WORK"/spool-*
  log "bench: results in $WORK/results.tsv, details in $WORK/details.tsv, logs in $WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- tools ---------------------------------------------------------------------------------------
need_apt=()
for tool in curl:curl wrk:wrk nginx:nginx zstd:zstd jq:jq perf:linux-perf openssl:openssl; do
  command -v "${tool%%:*}" >/dev/null || need_apt+=("${tool#*:}")
done
[[ -x /usr/bin/time ]] || need_apt+=(time)
if selected nix && ! command -v nix-store >/dev/null; then need_apt+=(nix-bin); fi
if ((${#need_apt[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing ${need_apt[*]}: apt-get install ${need_apt[*]} (or run as root)"
  log "bench: installing ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null \
    || log "bench: could not install all of ${need_apt[*]}"
fi
command -v dotnet >/dev/null || die "dotnet not on PATH"

# ---- build (Release, into the work dir: other builds of the tree are not disturbed) -----------------
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log "bench: building narguard, the emulator and the benchmarks in Release"
for project in src/NarGuard tests/NarGuard.Benchmarks; do
  timeout 1200 dotnet build "$ROOT/$project" -c Release --artifacts-path "$ART" -nologo -v q >>"$WORK/build.log" 2>&1 \
    || { tail -n 30 "$WORK/build.log" >&2; die "build of $project failed"; }
done
NARGUARD_DLL=$ART/bin/NarGuard/release/narguard.dll
EMU_DLL=$ART/bin/AtticEmulator/release/attic-emulator.dll
BENCH_DLL=$ART/bin/NarGuard.Benchmarks/release/narguard-bench.dll
for dll in "$NARGUARD_DLL" "$EMU_DLL" "$BENCH_DLL"; do [[ -f $dll ]] || die "build produced no $dll"; done

# ---- data ----------------------------------------------------------------------------------------
ensure_verifier_data() {
  [[ -s $DATA/verifier.nar && -s $DATA/verifier.nar.zst && -s $DATA/verifier.size && $(cat "$DATA/verifier.size") == "$VERIFIER_SIZE" ]] && return 0
  log "bench: generating the $VERIFIER_SIZE verifier NAR and its emulator body"
  dotnet "$BENCH_DLL" make-nar --name verifier --size "$VERIFIER_SIZE" --nar "$DATA/verifier.nar" --body "$DATA/verifier.nar.zst" \
    >"$DATA/verifier.txt" || die "make-nar failed"
  echo "$VERIFIER_SIZE" >"$DATA/verifier.size"
}

# ---- scenario: verifier alone (BenchmarkDotNet) ---------------------------------------------------
scenario_verifier() {
  ensure_verifier_data
  local quick=() json nar_bytes v n
  ((QUICK)) && quick=(--quick)
  rm -rf "$WORK/bdn"
  (cd "$WORK" && NARGUARD_BENCH_DATA=$DATA timeout 3600 dotnet "$BENCH_DLL" verifier "${quick[@]}" --artifacts "$WORK/bdn") \
    >"$WORK/bdn.log" 2>&1 || log "bench: BenchmarkDotNet exited non-zero (see $WORK/bdn.log)"
  json=$(find "$WORK/bdn/results" -name '*-report-full.json' 2>/dev/null | head -n1)
  if [[ -z $json ]]; then
    tail -n 30 "$WORK/bdn.log" >&2
    result "verifier alone ${VERIFIER_SIZE} (MB/s)" "error" "-" "-" ">= 0.7x" MISSED
    return
  fi
  nar_bytes=$(stat -c %s "$DATA/verifier.nar")
  # Median seconds per method, and MB/s of NAR (decompressed) bytes.
  jq -r '.Benchmarks[] | [.Method, (.Statistics.Median / 1e9), (.Memory.BytesAllocatedPerOperation // 0)] | @tsv' "$json" >"$WORK/bdn.tsv"
  while IFS=$'\t' read -r method secs alloc; do
    note "verifier $method" "median $(calc "$secs") s, $(calc "$nar_bytes / $secs / 1e6") MB/s of NAR, allocated $alloc B/op"
  done <"$WORK/bdn.tsv"
  v=$(awk -F'\t' '$1 == "Verifier" {print $2}' "$WORK/bdn.tsv")
  n=$(awk -F'\t' '$1 == "NativePipeline" {print $2}' "$WORK/bdn.tsv")
  [[ -n $v && -n $n ]] || { result "verifier alone ${VERIFIER_SIZE} (MB/s)" "error" "-" "-" ">= 0.7x" MISSED; return; }
  local vt nt ratio
  vt=$(calc "$nar_bytes / $v / 1e6"); nt=$(calc "$nar_bytes / $n / 1e6"); ratio=$(calc "$n / $v")
  result "verifier alone ${VERIFIER_SIZE} (MB/s)" "$vt" "$nt" "${ratio}x" ">= 0.7x" "$(verdict "$ratio" ">=" 0.7)"
}

# ---- run ------------------------------------------------------------------------------------------
log "bench: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, MemAvailable $(($(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024)) MiB"
note "machine" "load average at start $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); quick=$QUICK runs=$RUNS"
printf "$RESULT_FORMAT" scenario narguard baseline ratio target result
selected verifier && scenario_verifier

if selected cold-spooled || selected cold-streamed || selected warm || selected narinfo || selected herd; then
  MANIFEST=$WORK/manifest-main.txt
  # cold: RUNS spooled + RUNS streamed + 2 profiled; herd: RUNS alone + RUNS herds. 8 GiB heap limit.
  start_host main "$MANIFEST" 0x200000000 "cold=${COLD_SIZE}x$((2 * RUNS + 2))" "herd=${HERD_SIZE}x$((2 * RUNS))" "small=64KiBx1"
  EMU_PID=$HOST_PID EMU_URL=$HOST_URL
  SPOOL_MAIN=$WORK/spool-main
  start_narguard main "$SPOOL_MAIN" "$EMU_URL" || { tail -n 30 "$WORK/narguard-main.log" >&2; die "narguard did not start"; }
  warm_up "$NG_URL" "$(manifest 3 small 0)"
  selected cold-spooled && scenario_cold_spooled
  selected cold-streamed && scenario_cold_streamed
  if selected warm || selected narinfo; then start_nginx; fi
  selected warm && scenario_warm
  selected narinfo && scenario_narinfo
  selected herd && scenario_herd
  if ((WHAT_IF)); then [[ -n ${NGX_PID:-} ]] || start_nginx; scenario_what_if; fi
  stop_all
fi
selected memory && scenario_memory
if selected nix; then ensure_verifier_data; scenario_nix; fi

note "machine" "load average at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf "$RESULT_FORMAT" scenario narguard baseline ratio target result
printf '%s\n' "${RESULT_LINES[@]}"
echo "$(( ${#RESULT_LINES[@]} - MISSED )) targets met, $MISSED missed"
((MISSED == 0)) || exit 1
