# shellcheck shell=bash
# --what-if (sourced by bench/run.sh): runtime and configuration knobs the lead may want, each measured as a second
# narguard side by side with the unchanged one (same emulator, same file, alternating order). Not scored: the lines
# go to details.tsv as "what-if NAME". Needs the main emulator, the main narguard and nginx running. "control" is a
# second narguard with nothing changed: the other variants are to be read against its ratio (a fresh process, not
# yet as warm as the main one, can be slower by itself).

# variant name | environment (space-separated K=V, or -) | extra narguard arguments (or -)
WHAT_IF_VARIANTS=(
  "control|-|-"
  "threadpool-no-spin|DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0|-"
  "no-tracing-no-prometheus|OTEL_TRACES_SAMPLER=always_off|--Telemetry:Prometheus false"
  "workstation-gc|DOTNET_gcServer=0|-"
  "response-buffer-64k|-|--Server:ResponseBufferBytes 65536"
  "response-buffer-1m|-|--Server:ResponseBufferBytes 1048576"
)

what_if_one() {
  local name=$1 envs=$2 extra=$3 saved=("${NG_ENV[@]}") main_pid=$NG_PID main_url=$NG_URL args=()
  [[ $envs == - ]] || read -r -a more <<<"$envs"
  [[ $envs == - ]] || NG_ENV+=("${more[@]}")
  [[ $extra == - ]] || read -r -a args <<<"$extra"
  start_narguard "whatif-$name" "$WORK/spool-whatif-$name" "$EMU_URL" "${args[@]}" || { NG_ENV=("${saved[@]}"); NG_PID=$main_pid NG_URL=$main_url; note "what-if $name" "did not start"; return; }
  NG_ENV=("${saved[@]}")
  local var_pid=$NG_PID var_url=$NG_URL hash body r v=() m=() vr=() mr=() vcpu=() mcpu=() t0
  NG_PID=$main_pid NG_URL=$main_url
  hash=$(manifest 3 cold 0); body=$(manifest 6 cold 0)
  warm_up "$var_url" "$(manifest 3 small 0)"
  for r in 1 2 3; do fetch_checked "$var_url/main/nar/$hash.nar" "$body" || true; done # cold once, then spool hits
  for ((r = 0; r < WARM_RUNS; r++)); do
    for side in $( ((r % 2)) && echo "variant main" || echo "main variant"); do
      if [[ $side == variant ]]; then
        t0=$(cpu_ticks "$var_pid"); fetch_checked "$var_url/main/nar/$hash.nar" "$body" || true
        v+=("$(calc "$F_BYTES / $F_TIME / 1e6")"); vcpu+=("$(ticks_to_s $(($(cpu_ticks "$var_pid") - t0)))")
      else
        t0=$(cpu_ticks "$main_pid"); fetch_checked "$main_url/main/nar/$hash.nar" "$body" || true
        m+=("$(calc "$F_BYTES / $F_TIME / 1e6")"); mcpu+=("$(ticks_to_s $(($(cpu_ticks "$main_pid") - t0)))")
      fi
    done
  done
  local path=/main/$(manifest 3 small 0).narinfo
  wrk_run "$var_url$path" 5
  for ((r = 0; r < WRK_RUNS; r++)); do
    for side in $( ((r % 2)) && echo "variant main" || echo "main variant"); do
      if [[ $side == variant ]]; then wrk_run "$var_url$path" "$WRK_SECONDS"; vr+=("$W_RPS")
      else wrk_run "$main_url$path" "$WRK_SECONDS"; mr+=("$W_RPS"); fi
    done
  done
  stop_pid "$var_pid"
  note "what-if $name" "warm MB/s $(median "${v[@]}") vs unchanged $(median "${m[@]}") ($(calc "$(median "${v[@]}") / $(median "${m[@]}")")x; CPU s per NAR $(median "${vcpu[@]}") vs $(median "${mcpu[@]}")); narinfo req/s $(median "${vr[@]}") vs $(median "${mr[@]}") ($(calc "$(median "${vr[@]}") / $(median "${mr[@]}")")x)"
}

scenario_what_if() {
  local row name envs extra
  for row in "${WHAT_IF_VARIANTS[@]}"; do
    IFS='|' read -r name envs extra <<<"$row"
    what_if_one "$name" "$envs" "$extra"
  done
}
