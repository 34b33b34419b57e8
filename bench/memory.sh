# shellcheck shell=bash
# Peak RSS of narguard while it serves 8 concurrent cold NARs of MEM_SIZE (sourced by bench/run.sh).
# Its own emulator: 8 store paths sharing one generated NAR (see EmulatorHost), and its own narguard with an empty
# spool, so that nothing else it served is in its heap. Rest = VmRSS after start and one warm-up request of each
# kind; peak = VmHWM (reset through /proc/PID/clear_refs after the warm-up) and VmRSS polled every 100 ms.

scenario_memory() {
  local mem_manifest=$WORK/manifest-memory.txt avail_mib need_mib
  avail_mib=$(($(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024))
  # The emulator holds the NAR once and 8 compressed bodies (about 0.6 of the NAR each), plus one body being built.
  need_mib=$(($(numfmt --from=iec-i "${MEM_SIZE%B}" | awk '{print int($1 / 1048576)}') * 8))
  if ((avail_mib < need_mib + 4096)); then
    log "bench: only $avail_mib MiB available, the memory scenario needs about $((need_mib + 4096)) MiB with $MEM_SIZE NARs: using 512MiB"
    MEM_SIZE=512MiB
  fi
  local saved_manifest=$MANIFEST
  start_host memory "$mem_manifest" 0x280000000 "mem=${MEM_SIZE}x8" "memsmall=64KiBx1"
  local mem_pid=$HOST_PID mem_url=$HOST_URL
  MANIFEST=$mem_manifest
  # Timeouts:Nar raised from 4 to 10 minutes: 8 GiB verified at once on 2 shared cores can take longer, and this
  # scenario measures memory, not latency (a timed-out fetch would end before the peak).
  if ! start_narguard memory "$WORK/spool-memory" "$mem_url" --Timeouts:Nar 00:10:00; then
    tail -n 20 "$WORK/narguard-memory.log" >&2
    result "peak RSS, 8 x cold ${MEM_SIZE}" "did not start" "-" "-" "<= +150 MiB" MISSED
    MANIFEST=$saved_manifest
    stop_pid "$mem_pid"
    return
  fi
  local small_hash small_body
  small_hash=$(manifest 3 memsmall 0); small_body=$(manifest 6 memsmall 0)
  curl -s -o /dev/null "$NG_URL/main/$small_hash.narinfo"
  fetch_checked "$NG_URL/main/nar/$small_hash.nar" "$small_body" || true
  fetch_checked "$NG_URL/main/nar/$small_hash.nar" "$small_body" || true
  sleep 2
  local rest peak_polled=0 hwm reset=1 i pids=() t0 t1 dir=$WORK/memory
  rest=$(rss_kib "$NG_PID")
  echo 5 >"/proc/$NG_PID/clear_refs" 2>/dev/null || reset=0
  mkdir -p "$dir"; rm -f "$dir"/*.out
  t0=$(now_ns)
  for ((i = 0; i < 8; i++)); do
    fetch "$NG_URL/main/nar/$(manifest 3 mem "$i").nar" >"$dir/$i.out" &
    pids+=($!)
  done
  # Poll until every fetch ended (bounded: 20 minutes).
  for i in $(seq 1 12000); do
    local rss alive=0 pid
    rss=$(rss_kib "$NG_PID")
    ((rss > peak_polled)) && peak_polled=$rss
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && { alive=1; break; }; done
    ((alive)) || break
    sleep 0.1
  done
  wait_pids 10 "${pids[@]}" || true
  t1=$(now_ns)
  hwm=$(hwm_kib "$NG_PID")
  local body ok peak
  body=$(manifest 6 mem 0)
  ok=$(awk -v b="$body" '$1 == 200 && $2 == b' "$dir"/*.out | wc -l)
  peak=$(( (reset ? (hwm > peak_polled ? hwm : peak_polled) : peak_polled) / 1024 ))
  rest=$((rest / 1024))
  local delta=$((peak - rest)) status
  note "memory" "rest $rest MiB, VmHWM $((hwm / 1024)) MiB (reset: $reset), polled max $((peak_polled / 1024)) MiB, $ok of 8 answers 200 with $body B, wall $(calc "($t1 - $t0) / 1e9") s, emulator RSS $(($(rss_kib "$mem_pid") / 1024)) MiB"
  note "memory gc" "narguard GC: $(grep -o '"System.GC.Server": [a-z]*' "$(dirname "$NARGUARD_DLL")/narguard.runtimeconfig.json" 2>/dev/null || echo 'runtimeconfig default') $(env | grep -E '^DOTNET_gc' || true)"
  status=$( ((ok == 8)) && verdict "$delta" "<=" 150 || echo MISSED)
  result "peak RSS, 8 x cold ${MEM_SIZE}" "${peak} MiB" "${rest} MiB" "+${delta} MiB" "<= +150 MiB" "$status"
  stop_pid "$NG_PID"
  if ((WHAT_IF)); then memory_what_if "$mem_url"; fi
  stop_pid "$mem_pid"
  MANIFEST=$saved_manifest
}

# memory_what_if UPSTREAM: the same 8 NARs through a spooled-mode narguard (Streaming:Mode Off; the scored line runs
# the default, which streams NARs from 64 MiB on). Not scored; for the lead.
memory_what_if() {
  local saved=("${NG_ENV[@]}") rest peak=0 i pids=() dir=$WORK/memory-spooled
  start_narguard memory-spooled "$WORK/spool-memory-spooled" "$1" --Timeouts:Nar 00:10:00 --Streaming:Mode Off || { NG_ENV=("${saved[@]}"); return; }
  NG_ENV=("${saved[@]}")
  fetch_checked "$NG_URL/main/nar/$(manifest 3 memsmall 0).nar" "$(manifest 6 memsmall 0)" || true
  sleep 2
  rest=$(rss_kib "$NG_PID")
  echo 5 >"/proc/$NG_PID/clear_refs" 2>/dev/null || true
  mkdir -p "$dir"
  for ((i = 0; i < 8; i++)); do fetch "$NG_URL/main/nar/$(manifest 3 mem "$i").nar" >"$dir/$i.out" & pids+=($!); done
  wait_pids 1200 "${pids[@]}" || true
  peak=$(hwm_kib "$NG_PID")
  note "memory what-if" "Streaming:Mode Off (spooled): rest $((rest / 1024)) MiB, VmHWM $((peak / 1024)) MiB, +$(((peak - rest) / 1024)) MiB"
  stop_pid "$NG_PID"
}
