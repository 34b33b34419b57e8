# shellcheck shell=bash
# The whole-system scenarios of issue #5 (sourced by bench/run.sh, which sets WORK, RUNS, the DLLs, EMU_URL, ...).
# Each one measures narguard and its baseline side by side in the same run, alternating which goes first, and
# reports medians through `result`. Details (CPU split per process, time to first byte, ...) go through `note`.

# manifest FIELD NAME INDEX: a field of the host's manifest (2 index, 3 storeHash, 4 storePath, 5 narSize, 6 body).
manifest() { awk -v n="$2" -v i="$3" -v f="$1" '$1 == n && $2 == i { print $f }' "${MANIFEST:?}"; }

# start_narguard NAME SPOOL UPSTREAM [ARG...]: sets NG_PID and NG_URL; status 1 (log kept) if it did not come up.
start_narguard() {
  local name=$1 spool=$2 upstream=$3 port
  shift 3
  port=$(free_port) || die "no free port"
  rm -rf "$spool"
  start_bg "narguard-$name" "$WORK/narguard-$name.log" env "${NG_ENV[@]}" dotnet "$NARGUARD_DLL" serve \
    --upstream "$upstream/main" --listen "http://127.0.0.1:$port" --spool "$spool" "$@"
  NG_PID=$STARTED_PID
  NG_URL=http://127.0.0.1:$port
  wait_http "$NG_URL/healthz" "$NG_PID" 120
}

# warm_up URL HASH: JIT and connection pools before anything is timed: one cold fetch of a small NAR, then narinfo
# requests and spool hits (a freshly started narguard spends seconds of CPU compiling its request paths).
warm_up() {
  local i
  for i in $(seq 1 20); do
    curl -s -o /dev/null --max-time 30 "$1/main/$2.narinfo"
    curl -s -o /dev/null --max-time 30 "$1/main/nar/$2.nar"
  done
}

# start_host NAME MANIFEST HEAP_LIMIT_HEX OBJECT...: the in-process emulator with generated NARs; sets HOST_PID, HOST_URL.
start_host() {
  local name=$1 manifest_file=$2 limit=$3 args=() o
  shift 3
  for o in "$@"; do args+=(--object "$o"); done
  # A hard heap limit: a mistake in sizes fails this process, not the shared machine.
  start_bg "emulator-$name" "$WORK/emulator-$name.log" env DOTNET_GCHeapHardLimit="$limit" "${NG_ENV[@]}" \
    dotnet "$BENCH_DLL" host --manifest "$manifest_file" "${args[@]}"
  HOST_PID=$STARTED_PID
  HOST_URL=$(wait_for_line "$WORK/emulator-$name.log" "$HOST_PID" 900) || { tail -n 20 "$WORK/emulator-$name.log" >&2; die "emulator $name did not start"; }
  log "bench: emulator $name at $HOST_URL, RSS $(($(rss_kib "$HOST_PID") / 1024)) MiB"
}

# profile_start NAME PID,...: perf record of those processes until profile_stop (only with --profile).
profile_start() {
  PERF_PID=
  ((PROFILE)) || return 0
  # Flat profile (no call graphs: the JIT's frames have no frame-pointer unwinding worth reading here).
  perf record -F 999 -p "$2" -o "$WORK/perf-$1.data" >"$WORK/perf-$1.log" 2>&1 &
  PERF_PID=$!
  BENCH_PIDS+=("$PERF_PID")
  PERF_NAME=$1
  sleep 1
}
profile_stop() {
  [[ -n ${PERF_PID:-} ]] || return 0
  kill -INT "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
  {
    echo "# by thread name and library"
    perf report -i "$WORK/perf-$PERF_NAME.data" --sort comm,dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 25
    echo "# by library and symbol (JIT code named through /tmp/perf-PID.map)"
    perf report -i "$WORK/perf-$PERF_NAME.data" --sort dso,symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -n 60
  } >"$WORK/profile-$PERF_NAME.txt" || true
  log "bench: profile of $PERF_NAME in $WORK/profile-$PERF_NAME.txt"
  PERF_PID=
}

# fetch_checked URL BYTES: fetch, then fail (status 1) unless 200 with exactly BYTES bytes; sets F_* fields.
fetch_checked() {
  read -r F_CODE F_BYTES F_TIME F_TTFB F_USER F_SYS < <(fetch "$1")
  F_CPU=$(calc "$F_USER + $F_SYS")
  [[ $F_CODE == 200 && $F_BYTES == "$2" ]] || { log "bench: $1 answered $F_CODE with $F_BYTES bytes (expected 200, $2)"; return 1; }
}

# ---- cold NAR: narguard (spooled or streamed) against curl straight from the emulator ------------
# cold_runs LABEL FIRST_INDEX: RUNS cold fetches through NG_URL of cold paths FIRST_INDEX.., each beside a direct fetch.
cold_runs() {
  local label=$1 first=$2 r hash body t0 e0 ng=() direct=() ttfb=() ng_cpu=() emu_cpu=() curl_cpu=() emu_direct_cpu=() failed=0
  for ((r = 0; r < RUNS; r++)); do
    hash=$(manifest 3 cold $((first + r)))
    body=$(manifest 6 cold $((first + r)))
    for side in $( ((r % 2)) && echo "narguard direct" || echo "direct narguard"); do
      if [[ $side == direct ]]; then
        e0=$(cpu_ticks "$EMU_PID")
        fetch_checked "$EMU_URL/main/nar/$hash.nar" "$body" || failed=1
        direct+=("$F_TIME")
        emu_direct_cpu+=("$(ticks_to_s $(($(cpu_ticks "$EMU_PID") - e0)))")
      else
        t0=$(cpu_ticks "$NG_PID")
        e0=$(cpu_ticks "$EMU_PID")
        fetch_checked "$NG_URL/main/nar/$hash.nar" "$body" || failed=1
        ng+=("$F_TIME")
        ttfb+=("$F_TTFB")
        ng_cpu+=("$(ticks_to_s $(($(cpu_ticks "$NG_PID") - t0)))")
        emu_cpu+=("$(ticks_to_s $(($(cpu_ticks "$EMU_PID") - e0)))")
        curl_cpu+=("$F_CPU")
      fi
    done
  done
  COLD_NG=$(median "${ng[@]}")
  COLD_DIRECT=$(median "${direct[@]}")
  COLD_FAILED=$failed
  note "$label" "narguard ${ng[*]} s; direct ${direct[*]} s; body $body B"
  note "$label cpu" "median CPU s per NAR: narguard $(median "${ng_cpu[@]}"), emulator (through narguard) $(median "${emu_cpu[@]}"), emulator (direct) $(median "${emu_direct_cpu[@]}"), curl $(median "${curl_cpu[@]}")"
  note "$label ttfb" "narguard time to first byte (spooled: fetch + verify + spool commit) median $(median "${ttfb[@]}") s of $COLD_NG s total"
}

# cold_scenario NAME MODE TARGET FIRST_INDEX: a narguard of its own with --Streaming:Mode MODE (warmed up on another
# path), RUNS cold NARs through it beside RUNS straight from the emulator. A narguard that rejects the setting (an
# unknown key: the feature is missing) makes the line "not implemented", counted as missed.
cold_scenario() {
  local name=$1 mode=$2 target=$3 first=$4 main_pid=$NG_PID main_url=$NG_URL label ratio
  label="cold NAR ${name} ${COLD_SIZE} (wall)"
  local option=Streaming:Mode=$mode
  [[ $name == streamed ]] && option=${STREAM_OPTION:-$option}
  local key=${option%%=*} value=${option#*=}
  if ! start_narguard "$name" "$WORK/spool-$name" "$EMU_URL" "--$key" "$value"; then
    # The options binder names the unknown section ('Streaming'), not the whole key.
    if grep -q "configuration error" "$WORK/narguard-$name.log" && grep -q "${key%%:*}" "$WORK/narguard-$name.log"; then
      log "bench: narguard rejects --$key as unknown: $name mode not implemented"
      result "$label" "not implemented" "-" "-" "<= ${target}x" MISSED
    else
      tail -n 20 "$WORK/narguard-$name.log" >&2
      result "$label" "did not start" "-" "-" "<= ${target}x" MISSED
    fi
    NG_PID=$main_pid NG_URL=$main_url
    return
  fi
  warm_up "$NG_URL" "$(manifest 3 small 0)"
  cold_runs "cold-$name" "$first"
  if ((PROFILE)); then
    profile_start "cold-$name" "$NG_PID,$EMU_PID"
    fetch_checked "$NG_URL/main/nar/$(manifest 3 cold $((2 * RUNS + (first > 0 ? 1 : 0)))).nar" "$(manifest 6 cold 0)" || true
    profile_stop
  fi
  stop_pid "$NG_PID"
  NG_PID=$main_pid NG_URL=$main_url
  if ((COLD_FAILED)); then
    result "$label" "error" "${COLD_DIRECT}s" "-" "<= ${target}x" MISSED
    return
  fi
  ratio=$(calc "$COLD_NG / $COLD_DIRECT")
  result "$label" "${COLD_NG}s" "${COLD_DIRECT}s" "${ratio}x" "<= ${target}x" "$(verdict "$ratio" "<=" "$target")"
}

scenario_cold_spooled() { cold_scenario spooled Off 1.3 0; }
scenario_cold_streamed() { cold_scenario streamed Always 1.1 "$RUNS"; }

# ---- warm NAR: a spool hit against nginx serving the very same file -----------------------------
start_nginx() {
  local dir=$WORK/nginx port emu_port=${EMU_URL##*:}
  port=$(free_port) || die "no free port"
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
# generated by bench/run.sh: the peer narguard is compared with
user root;
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  types { application/x-nix-nar nar; }
  upstream attic { server 127.0.0.1:$emu_port; keepalive 64; }
  server {
    listen 127.0.0.1:$port;
    # warm: the spool file narguard serves, from disk (page cache), with sendfile
    location /nar/ { root $SPOOL_MAIN; }
    # narinfo: a plain reverse proxy to the same upstream, keep-alive to it, no cache
    location / { proxy_pass http://attic; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
EOF
  start_bg nginx "$dir/stdout.log" nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
  NGX_PID=$STARTED_PID
  NGX_URL=http://127.0.0.1:$port
  wait_http "$NGX_URL/main/nix-cache-info" "$NGX_PID" 30 || { cat "$dir/error.log" >&2; die "nginx did not start"; }
}

# nginx_ticks: CPU of the nginx master and its workers (children of the PID this script started).
nginx_ticks() {
  local total=0 pid
  for pid in "$NGX_PID" $(cat /proc/"$NGX_PID"/task/*/children 2>/dev/null); do total=$((total + $(cpu_ticks "$pid"))); done
  echo "$total"
}

scenario_warm() {
  local hash body file r ng=() ngx=() ng_cpu=() ngx_cpu=() t0 failed=0
  hash=$(manifest 3 cold 0)
  body=$(manifest 6 cold 0)
  fetch_checked "$NG_URL/main/nar/$hash.nar" "$body" || failed=1 # a spool hit from here on (cold-spooled made it, or this did)
  # A streamed client's body ends when the NAR verified; the spool commit follows it by milliseconds.
  for ((r = 0; r < 100; r++)); do
    file=$(find "$SPOOL_MAIN/nar" -name "$hash-*" | head -n1)
    [[ -n $file ]] && break
    sleep 0.1
  done
  [[ -n $file ]] || { result "warm NAR spool hit ${COLD_SIZE} (MB/s)" "no spool file" "-" "-" ">= 0.9x" MISSED; return; }
  fetch_checked "$NGX_URL/nar/$(basename "$file")" "$body" || failed=1
  for ((r = 0; r < WARM_RUNS; r++)); do
    for side in $( ((r % 2)) && echo "nginx narguard" || echo "narguard nginx"); do
      if [[ $side == narguard ]]; then
        t0=$(cpu_ticks "$NG_PID")
        fetch_checked "$NG_URL/main/nar/$hash.nar" "$body" || failed=1
        ng+=("$(calc "$F_BYTES / $F_TIME / 1e6")")
        ng_cpu+=("$(ticks_to_s $(($(cpu_ticks "$NG_PID") - t0)))")
      else
        t0=$(nginx_ticks)
        fetch_checked "$NGX_URL/nar/$(basename "$file")" "$body" || failed=1
        ngx+=("$(calc "$F_BYTES / $F_TIME / 1e6")")
        ngx_cpu+=("$(ticks_to_s $(($(nginx_ticks) - t0)))")
      fi
    done
  done
  local a b ratio
  a=$(median "${ng[@]}")
  b=$(median "${ngx[@]}")
  ratio=$(calc "$a / $b")
  note "warm" "narguard MB/s ${ng[*]}; nginx MB/s ${ngx[*]}; file $body B"
  note "warm cpu" "median CPU s per $body B served: narguard $(median "${ng_cpu[@]}"), nginx $(median "${ngx_cpu[@]}")"
  if ((failed)); then result "warm NAR spool hit ${COLD_SIZE} (MB/s)" "error" "${b}" "-" ">= 0.9x" MISSED; return; fi
  result "warm NAR spool hit ${COLD_SIZE} (MB/s)" "$a" "$b" "${ratio}x" ">= 0.9x" "$(verdict "$ratio" ">=" 0.9)"
  profile_start warm "$NG_PID"
  for r in 1 2 3; do fetch_checked "$NG_URL/main/nar/$hash.nar" "$body" || true; done
  profile_stop
}

# ---- narinfo, hot, 64 connections ---------------------------------------------------------------
# wrk_run URL SECONDS: sets W_RPS, W_P99_MS, W_ERRORS (non-2xx + socket errors).
wrk_run() {
  local out
  out=$(timeout $(($2 + 30)) wrk -t2 -c64 -d"${2}s" --timeout 5s --latency "$1" 2>&1 || true)
  printf '%s\n' "$out" >>"$WORK/wrk.log"
  W_RPS=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  W_P99_MS=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v }' <<<"$out")
  W_ERRORS=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) n += $i} END {print n + 0}' <<<"$out")
  [[ -n $W_RPS ]] || W_RPS=0
  [[ -n $W_P99_MS ]] || W_P99_MS=nan
}

scenario_narinfo() {
  local hash path r rps_ng=() rps_ngx=() p99_ng=() p99_ngx=() errors=0 t0 e0 n0
  hash=$(manifest 3 small 0)
  path=/main/$hash.narinfo
  fetch_checked "$NG_URL$path" "$(curl -s "$EMU_URL$path" | wc -c)" || errors=1
  wrk_run "$NG_URL$path" 2 # warm-up: JIT, connection pools
  wrk_run "$NGX_URL$path" 2
  for ((r = 0; r < WRK_RUNS; r++)); do
    for side in $( ((r % 2)) && echo "nginx narguard" || echo "narguard nginx"); do
      if [[ $side == narguard ]]; then
        t0=$(cpu_ticks "$NG_PID"); e0=$(cpu_ticks "$EMU_PID")
        wrk_run "$NG_URL$path" "$WRK_SECONDS"
        note "narinfo narguard cpu" "run $r: narguard $(ticks_to_s $(($(cpu_ticks "$NG_PID") - t0))) s, emulator $(ticks_to_s $(($(cpu_ticks "$EMU_PID") - e0))) s in ${WRK_SECONDS} s"
        rps_ng+=("$W_RPS"); p99_ng+=("$W_P99_MS")
      else
        n0=$(nginx_ticks); e0=$(cpu_ticks "$EMU_PID")
        wrk_run "$NGX_URL$path" "$WRK_SECONDS"
        note "narinfo nginx cpu" "run $r: nginx $(ticks_to_s $(($(nginx_ticks) - n0))) s, emulator $(ticks_to_s $(($(cpu_ticks "$EMU_PID") - e0))) s in ${WRK_SECONDS} s"
        rps_ngx+=("$W_RPS"); p99_ngx+=("$W_P99_MS")
      fi
      errors=$((errors + W_ERRORS))
    done
  done
  local a b ratio pa pb pratio
  a=$(median "${rps_ng[@]}"); b=$(median "${rps_ngx[@]}"); ratio=$(calc "$a / $b")
  pa=$(median "${p99_ng[@]}"); pb=$(median "${p99_ngx[@]}"); pratio=$(calc "$pa / $pb")
  note "narinfo" "req/s narguard ${rps_ng[*]}; nginx ${rps_ngx[*]}; p99 ms narguard ${p99_ng[*]}; nginx ${p99_ngx[*]}; errors $errors"
  local status=PASS
  ((errors == 0)) || status=MISSED
  [[ $status == PASS ]] && status=$(verdict "$ratio" ">=" 1.0)
  result "narinfo hot, 64 conns (req/s)" "$a" "$b" "${ratio}x" ">= 1.0x" "$status"
  result "narinfo hot, 64 conns (p99 ms)" "$pa" "$pb" "${pratio}x" "<= 2x" "$(verdict "$pratio" "<=" 2)"
  profile_start narinfo "$NG_PID"
  wrk_run "$NG_URL$path" 5
  profile_stop
}

# ---- 64 concurrent cold requests for one NAR ------------------------------------------------------
scenario_herd() {
  local r i hash body alone=() herd=() fetches=() narinfos=() ttfb_alone=() ttfb_herd=() failed=0 t0 t1 dir=$WORK/herd
  mkdir -p "$dir"
  for ((r = 0; r < RUNS; r++)); do
    for side in $( ((r % 2)) && echo "herd alone" || echo "alone herd"); do
      if [[ $side == alone ]]; then
        hash=$(manifest 3 herd $((2 * r))); body=$(manifest 6 herd $((2 * r)))
        fetch_checked "$NG_URL/main/nar/$hash.nar" "$body" || failed=1
        alone+=("$F_TIME"); ttfb_alone+=("$F_TTFB")
      else
        hash=$(manifest 3 herd $((2 * r + 1))); body=$(manifest 6 herd $((2 * r + 1)))
        rm -f "$dir"/*.out
        t0=$(now_ns)
        local pids=()
        for ((i = 0; i < 64; i++)); do fetch "$NG_URL/main/nar/$hash.nar" >"$dir/$i.out" & pids+=($!); done
        wait_pids 900 "${pids[@]}" || failed=1
        t1=$(now_ns)
        herd+=("$(calc "($t1 - $t0) / 1e9")")
        local ok max_ttfb
        ok=$(awk -v b="$body" '$1 == 200 && $2 == b' "$dir"/*.out | wc -l)
        max_ttfb=$(awk '{print $4}' "$dir"/*.out | sort -g | tail -n1)
        ttfb_herd+=("$max_ttfb")
        ((ok == 64)) || { log "bench: herd run $r: only $ok of 64 answers were 200 with $body bytes"; failed=1; }
        curl -s "$EMU_URL/_emulator/stats" >"$dir/stats.json"
        fetches+=("$(jq -r --arg h "$hash" '.nar[$h] // 0' "$dir/stats.json")")
        narinfos+=("$(jq -r --arg h "$hash" '.narinfo[$h] // 0' "$dir/stats.json")")
      fi
    done
  done
  local most a b ratio
  most=$(printf '%s\n' "${fetches[@]}" | sort -n | tail -n1)
  a=$(median "${herd[@]}"); b=$(median "${alone[@]}"); ratio=$(calc "$a / $b")
  note "herd" "64 concurrent wall s ${herd[*]}; alone s ${alone[*]}; upstream NAR fetches per herd ${fetches[*]}; upstream narinfo fetches per herd ${narinfos[*]}"
  note "herd ttfb" "slowest first byte in the herd (verification done) median $(median "${ttfb_herd[@]}") s; alone $(median "${ttfb_alone[@]}") s; 64 x $body B served"
  local status
  status=$( ((failed == 0 && most == 1)) && echo PASS || echo MISSED)
  result "herd 64 x cold ${HERD_SIZE} (fetches)" "$most" "1" "-" "== 1" "$status"
  status=$( ((failed == 0)) && verdict "$ratio" "<=" 1.5 || echo MISSED)
  result "herd 64 x cold ${HERD_SIZE} (wall)" "${a}s" "${b}s" "${ratio}x" "<= 1.5x" "$status"
}

# wait_pids SECONDS PID...: waits for those background fetches, at most SECONDS (then stops them).
wait_pids() {
  local limit=$1 i pid alive
  shift
  for i in $(seq 1 $((limit * 10))); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && { alive=1; break; }; done
    ((alive)) || break
    sleep 0.1
  done
  alive=0
  for pid in "$@"; do
    if kill -0 "$pid" 2>/dev/null; then log "bench: fetch $pid still running after $limit s, stopping it"; stop_pid "$pid"; alive=1; fi
    wait "$pid" 2>/dev/null || true
  done
  ((alive == 0))
}
