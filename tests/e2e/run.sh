#!/usr/bin/env bash
# NarGuard end to end: the real Nix client (nix-build) substitutes one store path per fault
# mode from the Attic emulator, through NarGuard (default) or straight (--direct), without
# --fallback. Through NarGuard every mode must end in a valid path (substituted, or built
# locally after a clean 404); straight against the emulator the broken modes must fail,
# which proves the matrix catches what the proxy removes.
#
# usage: tests/e2e/run.sh [--direct] [--mode NAME]... [--keep] [--work-dir DIR]
#                          [--compression zstd|xz|none|br] [--list]
#   --direct       point Nix at the emulator itself instead of NarGuard
#   --mode NAME    run only this mode (repeatable); --list prints the modes
#   --keep         keep the work dir and its logs (they are also kept when a mode fails)
#   --work-dir     work dir (default ./.e2e, or $E2E_DIR)
#   --compression  what the emulator serves (default zstd, Attic's default)
# Prints one line per mode, then "N passed, M failed" (through NarGuard; exit 1 if M > 0) or
# "direct: ..." (exit 1 on any outcome other than the expected one).
# Needs root, nix-bin, dotnet, curl. Makes /etc/nix/nix.conf single-user, sandbox off, no
# default substituter, no signature check, if it is not (the original: nix.conf.e2e-backup).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=${E2E_DIR:-$ROOT/.e2e}
DIRECT=0
KEEP=0
COMPRESSION=zstd
SELECTED=()

# mode | attribute whose NAR gets the fault | emulator fault | members (built.log names)
# Every mode's store path is its own derivation "e2e-<mode>"; closures list their parts.
MODE_TABLE=(
  "healthy            healthy              Healthy            healthy"
  "nar_404            nar_404              NarNotFound        nar_404"
  "empty              empty                Empty              empty"
  "truncated          truncated            Truncated          truncated"
  "corrupt            corrupt              Corrupt            corrupt"
  "garbage            garbage              Garbage            garbage"
  "nar_500            nar_500              NarServerError     nar_500"
  "incomplete_nar     incomplete_nar       IncompleteNar      incomplete_nar"
  "narinfo_500        narinfo_500          NarInfoServerError narinfo_500"
  "narinfo_garbage    narinfo_garbage      NarInfoGarbage     narinfo_garbage"
  "reset              reset                Reset              reset"
  "stall              stall                Stall              stall"
  "nar_401            nar_401              Unauthorized       nar_401"
  "redirect           redirect             Redirect           redirect"
  "redirect_broken    redirect_broken      RedirectBroken     redirect_broken"
  "redirect_foreign   redirect_foreign     RedirectForeign    redirect_foreign"
  "size_bomb          size_bomb            SizeBomb           size_bomb"
  "large              large                Healthy            large"
  "large_corrupt      large_corrupt        Corrupt            large_corrupt"
  "large_truncated    large_truncated      Truncated          large_truncated"
  "closure            closure              Healthy            closure,closure_b,closure_a"
  "closure_broken_dep closure_broken_dep_b Empty              closure_broken_dep,closure_broken_dep_b,closure_broken_dep_a"
  "failover_empty     failover_empty       Empty              failover_empty"
  "failover_corrupt   failover_corrupt     Corrupt            failover_corrupt"
  "failover_large     failover_large       Empty              failover_large"
  "failover_large_corrupt failover_large_corrupt Corrupt      failover_large_corrupt"
  "failover_transcode failover_transcode   Empty              failover_transcode"
)
# The failover modes: upstream A (the emulator above) holds the broken copy, upstream B (a second emulator process,
# NarGuard's second --upstream) an intact one. B holds only these paths, so every other mode meets a 404 there.
FAILOVER_MODES=" failover_empty failover_corrupt failover_large failover_large_corrupt "
# failover_transcode: B lacks the path; upstream C (a third emulator, NarGuard's third --upstream) holds it intact but
# in another compression (xz, or zstd when A serves xz), which NarGuard re-encodes into A's and verifies again.
TRANSCODE_MODES=" failover_transcode "
# Must come from the cache, not from a local build, in either mode.
MUST_SUBSTITUTE=" healthy large redirect closure failover_empty failover_corrupt failover_large failover_transcode "
# Against a raw Attic, Nix 2.8 without --fallback cannot get past these (CONTEXT.md §2).
DIRECT_EXPECTED_FAIL=" empty truncated corrupt garbage nar_500 incomplete_nar narinfo_500 narinfo_garbage reset stall redirect_broken size_bomb large_corrupt large_truncated closure_broken_dep failover_empty failover_corrupt failover_large failover_large_corrupt failover_transcode "

NIX_TIMEOUT=120
STALL_SECONDS=30          # emulator: silence after the first chunk (longer than both client timeouts)
DIRECT_STALL_TIMEOUT=5    # Nix's stalled-download-timeout in --direct (default 300 s)
PROXY_STALL=00:00:03      # NarGuard's stall timeout

log() { printf '%s\n' "$*" >&2; }
die() { log "e2e: $*"; exit 2; }

all_modes() { local row; for row in "${MODE_TABLE[@]}"; do echo "${row%% *}"; done; }
# mode_row NAME: that mode's row of MODE_TABLE
mode_row() { local row; for row in "${MODE_TABLE[@]}"; do [[ ${row%% *} == "$1" ]] && { echo "$row"; return 0; }; done; return 1; }

while (($#)); do
  case $1 in
    --direct) DIRECT=1 ;;
    --keep) KEEP=1 ;;
    --mode) [[ $# -ge 2 ]] || die "--mode needs a name"; SELECTED+=("$2"); shift ;;
    --work-dir) [[ $# -ge 2 ]] || die "--work-dir needs a path"; WORK=$2; shift ;;
    --list) all_modes; exit 0 ;;
    --compression) [[ $# -ge 2 ]] || die "--compression needs a value"; COMPRESSION=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
if ((${#SELECTED[@]} == 0)); then mapfile -t SELECTED < <(all_modes); fi
for m in "${SELECTED[@]}"; do mode_row "$m" >/dev/null || die "unknown mode '$m' (see --list)"; done

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
EXPR=$WORK/e2e.nix
MARKER=$WORK/built.log
EMU_PID=
EMU_B_PID=
EMU_C_PID=
PROXY_PID=

stop_pid() { # stop_pid PID NAME: SIGTERM, then SIGKILL after 10 s
  local pid=$1 i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "e2e: $2 ignored SIGTERM, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$PROXY_PID" narguard
  stop_pid "$EMU_PID" attic-emulator
  stop_pid "$EMU_B_PID" attic-emulator-b
  stop_pid "$EMU_C_PID" attic-emulator-c
  # Logs of a failed run stay for whoever has to read them (CI can upload the dir).
  if ((KEEP || rc != 0)); then log "e2e: logs kept in $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- preconditions ---------------------------------------------------------------------
ensure_nix_conf() {
  local conf=/etc/nix/nix.conf line missing=0
  local want=("build-users-group =" "sandbox = false" "experimental-features = nix-command" "substituters =" "require-sigs = false")
  for line in "${want[@]}"; do grep -qxF "$line" "$conf" 2>/dev/null || missing=1; done
  ((missing)) || return 0
  mkdir -p /etc/nix 2>/dev/null || true
  [[ -w /etc/nix || -w $conf ]] || die "$conf lacks the e2e settings and is not writable (run as root)"
  [[ -e $conf && ! -e $conf.e2e-backup ]] && cp "$conf" "$conf.e2e-backup"
  log "e2e: writing $conf (single-user, no sandbox, no default substituter)"
  printf '%s\n' "${want[@]}" >"$conf"
}
for tool in nix-build nix-store nix dotnet curl; do command -v "$tool" >/dev/null || die "$tool not on PATH"; done
ensure_nix_conf

# ---- 1. build ---------------------------------------------------------------------------
if ((DIRECT)); then log "e2e: building the emulator"; else log "e2e: building the emulator and narguard"; fi
dotnet build "$ROOT/tests/AtticEmulator" -c Release -nologo -v q >"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; die "emulator build failed"; }
EMU_DLL=$ROOT/tests/AtticEmulator/bin/Release/net10.0/attic-emulator.dll
if ((!DIRECT)); then
  dotnet build "$ROOT/src/NarGuard" -c Release -nologo -v q >>"$WORK/build.log" 2>&1 || { tail -n 30 "$WORK/build.log" >&2; die "narguard build failed"; }
  PROXY_DLL=$ROOT/src/NarGuard/bin/Release/net10.0/narguard.dll
fi

# ---- 2. store paths, a binary cache of them, then delete them ------------------------------
write_expr() {
  local m
  {
    echo '# generated by tests/e2e/run.sh'
    echo 'let'
    echo '  mk = name: script: derivation {'
    echo '    name = "e2e-${name}";'
    echo '    system = builtins.currentSystem;'
    echo '    builder = "/bin/sh";'
    echo "    # PATH is empty: builtins and absolute paths only. The marker (sandbox is off) tells"
    echo "    # a local build from a substitution."
    echo "    args = [ \"-c\" \"echo \${name} >> $MARKER; \${script}\" ];"
    echo '  };'
    echo '  text = name: mk name "echo narguard-e2e-${name} > $out";'
    echo '  drvs = rec {'
    for m in $(all_modes); do
      case $m in
        # ~10 MB: 167 chunks of 64 KiB, so many zstd frames / xz streams in one body
        large|large_corrupt|large_truncated|failover_large|failover_large_corrupt) echo "    $m = mk \"$m\" \"/usr/bin/seq 1 1500000 > \$out\";" ;;
        closure|closure_broken_dep)
          echo "    ${m}_a = text \"${m}_a\";"
          echo "    ${m}_b = mk \"${m}_b\" \"echo \${${m}_a} > \$out\";"
          echo "    ${m} = mk \"${m}\" \"echo \${${m}_b} > \$out\";" ;;
        *) echo "    $m = text \"$m\";" ;;
      esac
    done
    echo '  };'
    echo 'in drvs // {'
    echo '  all = builtins.attrValues drvs;'
    echo '  listing = builtins.concatStringsSep "\n" (map (n: "${n} ${drvs.${n}.outPath}") (builtins.attrNames drvs));'
    echo '}'
  } >"$EXPR"
}

declare -A OUT
log "e2e: building the store paths and a binary cache of them"
write_expr
nix-build --no-out-link "$EXPR" -A all >"$WORK/setup.log" 2>&1 || { tail -n 20 "$WORK/setup.log" >&2; die "nix-build of the fixtures failed"; }
while read -r name path; do OUT[$name]=$path; done < <(nix eval --raw -f "$EXPR" listing; echo)
rm -rf "$WORK/cache"
nix copy --to "file://$WORK/cache?compression=none" "${OUT[@]}" >>"$WORK/setup.log" 2>&1 || die "nix copy failed (see $WORK/setup.log)"
rm -rf "$WORK/cache-b"
FAILOVER_PATHS=()
for m in $FAILOVER_MODES; do FAILOVER_PATHS+=("${OUT[$m]}"); done
nix copy --to "file://$WORK/cache-b?compression=none" "${FAILOVER_PATHS[@]}" >>"$WORK/setup.log" 2>&1 || die "nix copy (upstream B) failed (see $WORK/setup.log)"
rm -rf "$WORK/cache-c"
TRANSCODE_PATHS=()
for m in $TRANSCODE_MODES; do TRANSCODE_PATHS+=("${OUT[$m]}"); done
nix copy --to "file://$WORK/cache-c?compression=none" "${TRANSCODE_PATHS[@]}" >>"$WORK/setup.log" 2>&1 || die "nix copy (upstream C) failed (see $WORK/setup.log)"
delete_paths() { # delete_paths PATH...: referrers first; absent paths are fine
  local p
  nix-store --delete "$@" >/dev/null 2>&1 && return 0
  for p in "$@"; do nix-store --delete "$p" >/dev/null 2>&1 || true; done
}
delete_paths "${OUT[@]}"
for p in "${OUT[@]}"; do nix-store --check-validity "$p" 2>/dev/null && die "could not delete $p"; done
: >"$MARKER"

# ---- 3. the emulator -------------------------------------------------------------------------
# wait_for_line (the URL after "listening on") and free_port, shared with bench/lib.sh
source "$ROOT/scripts/lib/wait.sh"
store_hash() { basename "$1" | cut -c1-32; }

FAULT_ARGS=()
for m in "${SELECTED[@]}"; do
  read -r _ target fault _ < <(mode_row "$m")
  [[ $fault == Healthy ]] || FAULT_ARGS+=(--fault "$(store_hash "${OUT[$target]}")=$fault")
done
dotnet "$EMU_DLL" --listen http://127.0.0.1:0 --cache main --binary-cache "$WORK/cache" --compression "$COMPRESSION" \
  --stall-seconds "$STALL_SECONDS" "${FAULT_ARGS[@]}" >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!
EMU_URL=$(wait_for_line "$WORK/emulator.log" "$EMU_PID" 60) || { cat "$WORK/emulator.log" >&2; die "the emulator did not start"; }
log "e2e: emulator at $EMU_URL (pid $EMU_PID)"

# ---- 4. the proxy ----------------------------------------------------------------------------
if ((DIRECT)); then
  SUBSTITUTER=$EMU_URL/main
else
  # Upstream B: the intact copies of the failover modes, and nothing else.
  dotnet "$EMU_DLL" --listen http://127.0.0.1:0 --cache main --binary-cache "$WORK/cache-b" --compression "$COMPRESSION" \
    >"$WORK/emulator-b.log" 2>&1 &
  EMU_B_PID=$!
  EMU_B_URL=$(wait_for_line "$WORK/emulator-b.log" "$EMU_B_PID" 60) || { cat "$WORK/emulator-b.log" >&2; die "emulator B did not start"; }
  log "e2e: emulator B at $EMU_B_URL (pid $EMU_B_PID)"
  # Upstream C: the transcode modes' paths, in another compression than A's.
  C_COMPRESSION=xz
  [[ $COMPRESSION == xz ]] && C_COMPRESSION=zstd
  dotnet "$EMU_DLL" --listen http://127.0.0.1:0 --cache main --binary-cache "$WORK/cache-c" --compression "$C_COMPRESSION" \
    >"$WORK/emulator-c.log" 2>&1 &
  EMU_C_PID=$!
  EMU_C_URL=$(wait_for_line "$WORK/emulator-c.log" "$EMU_C_PID" 60) || { cat "$WORK/emulator-c.log" >&2; die "emulator C did not start"; }
  log "e2e: emulator C at $EMU_C_URL (pid $EMU_C_PID, $C_COMPRESSION)"
  PROXY_PORT=$(free_port) || die "no free port"
  PROXY_URL=http://127.0.0.1:$PROXY_PORT
  rm -rf "$WORK/spool"
  # The large modes (about 10 MB of NAR) are streamed: bytes reach Nix while they verify, so a late failure
  # aborts the stream and Nix's retry must meet a 404 (the streamed-mode guarantee, checked with the real client).
  NARGUARD_Timeouts__Stall=$PROXY_STALL NARGUARD_Streaming__MinNarSize=1000000 dotnet "$PROXY_DLL" serve --upstream "$EMU_URL/main" \
    --upstream "b=$EMU_B_URL/main" --upstream "c=$EMU_C_URL/main" --listen "$PROXY_URL" --spool "$WORK/spool" >"$WORK/narguard.log" 2>&1 &
  PROXY_PID=$!
  for i in $(seq 1 600); do
    kill -0 "$PROXY_PID" 2>/dev/null || { tail -n 40 "$WORK/narguard.log" >&2; die "narguard exited"; }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$PROXY_URL/healthz" || true)
    [[ $code == 200 ]] && break
    ((i < 600)) || { tail -n 40 "$WORK/narguard.log" >&2; die "narguard did not answer /healthz within 60 s"; }
    sleep 0.1
  done
  log "e2e: narguard at $PROXY_URL (pid $PROXY_PID)"
  SUBSTITUTER=$PROXY_URL/main
fi

# ---- 5. the matrix ----------------------------------------------------------------------------
PASSED=0 FAILED=0
SUCCEEDED=() FAILED_MODES=() SURPRISES=()

# error_summary FILE: Nix's first error (the cause), plus a note when Nix asked for --fallback
error_summary() {
  local first
  first=$(grep -m1 -E '^error' "$1" | cut -c1-200 || true)
  [[ -n $first ]] || first=$(tail -n 1 "$1" | cut -c1-200)
  if grep -q "try '--fallback'" "$1"; then echo "$first [then: some substitutes failed, try '--fallback']"; else echo "$first"; fi
}

# served_by URL PATH: that emulator was asked for this path's NAR
served_by() {
  local hash
  hash=$(store_hash "$2")
  curl -s "$1/_emulator/stats" | tr -d ' \n' | grep -q "\"nar\":{[^}]*\"$hash\":"
}

# run_mode MODE: sets RESULT (ok|fail), REASON, HOW (substituted|built locally)
run_mode() {
  local mode=$1 target fault members name path rc extra=() start secs built=()
  read -r _ target fault members < <(mode_row "$mode")
  path=${OUT[$mode]}
  rm -rf "${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/nix" # the client's narinfo cache (positive and negative)
  local -a paths=()
  for name in ${members//,/ }; do paths+=("${OUT[$name]}"); done
  delete_paths "${paths[@]}"
  : >"$MARKER"
  ((DIRECT)) && [[ $mode == stall ]] && extra=(--option stalled-download-timeout "$DIRECT_STALL_TIMEOUT")
  start=$(date +%s%N)
  set +e
  timeout "$NIX_TIMEOUT" nix-build --no-out-link "$EXPR" -A "$mode" \
    --option substituters "$SUBSTITUTER" --option require-sigs false "${extra[@]}" \
    >"$WORK/$mode.out" 2>"$WORK/$mode.err"
  rc=$?
  set -e
  local ms=$((($(date +%s%N) - start) / 1000000))
  secs=$((ms / 1000)).$((ms % 1000 / 100))
  for name in ${members//,/ }; do grep -qxF "$name" "$MARKER" && built+=("$name"); done
  if ((${#built[@]})); then HOW="built locally: ${built[*]}"; elif ((rc == 0)); then HOW=substituted; else HOW="nothing built"; fi
  HOW="$HOW, ${secs}s"
  RESULT=fail
  if ((rc == 124)); then REASON="nix-build timed out after ${NIX_TIMEOUT}s"
  elif ((rc != 0)); then
    REASON="exit $rc: $(error_summary "$WORK/$mode.err")"
  elif [[ $(tail -n 1 "$WORK/$mode.out") != "$path" ]]; then REASON="printed '$(tail -n 1 "$WORK/$mode.out")', expected $path"
  elif ! nix-store --verify-path "$path" >/dev/null 2>"$WORK/$mode.verify"; then REASON="nix-store --verify-path: $(tail -n 1 "$WORK/$mode.verify")"
  elif [[ $MUST_SUBSTITUTE == *" $mode "* ]] && ((${#built[@]})); then REASON="must be substituted, but was ${HOW%%,*}"
  elif ((!DIRECT)) && [[ $FAILOVER_MODES == *" $mode "* && $MUST_SUBSTITUTE == *" $mode "* ]] && ! served_by "$EMU_B_URL" "$path"; then
    REASON="substituted, but upstream B was never asked for the NAR"
  elif ((!DIRECT)) && [[ $TRANSCODE_MODES == *" $mode "* ]] && ! served_by "$EMU_C_URL" "$path"; then
    REASON="substituted, but upstream C was never asked for the NAR"
  else RESULT=ok; REASON=; fi
  if ((!DIRECT)) && [[ $FAILOVER_MODES == *" $mode "* && $RESULT == ok && $HOW == substituted* ]]; then HOW="$HOW (from upstream B)"; fi
  if ((!DIRECT)) && [[ $TRANSCODE_MODES == *" $mode "* && $RESULT == ok && $HOW == substituted* ]]; then HOW="$HOW (from upstream C, re-encoded)"; fi
}

log "e2e: ${#SELECTED[@]} modes against $SUBSTITUTER ($( ((DIRECT)) && echo 'direct: no proxy' || echo 'through narguard'))"
for mode in "${SELECTED[@]}"; do
  run_mode "$mode"
  if ((!DIRECT)); then
    if [[ $RESULT == ok ]]; then PASSED=$((PASSED + 1)); printf 'PASS %-19s %s\n' "$mode" "$HOW"
    else
      FAILED=$((FAILED + 1))
      kill -0 "$PROXY_PID" 2>/dev/null || REASON="$REASON [narguard is no longer running: $WORK/narguard.log]"
      printf 'FAIL %-19s %s (%s)\n' "$mode" "$REASON" "$HOW"
    fi
  else
    expect=succeed
    [[ $DIRECT_EXPECTED_FAIL == *" $mode "* ]] && expect=fail
    if [[ $RESULT == ok ]]; then SUCCEEDED+=("$mode"); got=succeeded; else FAILED_MODES+=("$mode"); got=failed; fi
    if [[ $got == "${expect}ed" ]]; then tag=ok; else tag=SURPRISE; SURPRISES+=("$mode"); fi
    printf '%-8s %-19s %s (expected to %s) %s%s\n' "$tag" "$mode" "$got" "$expect" "$HOW" "${REASON:+: $REASON}"
  fi
done

curl -s "$EMU_URL/_emulator/stats" >"$WORK/emulator-stats.json" || true
[[ -n $EMU_B_PID ]] && { curl -s "$EMU_B_URL/_emulator/stats" >"$WORK/emulator-b-stats.json" || true; }
[[ -n $EMU_C_PID ]] && { curl -s "$EMU_C_URL/_emulator/stats" >"$WORK/emulator-c-stats.json" || true; }
if ((DIRECT)); then
  expected=()
  for m in "${SELECTED[@]}"; do [[ $DIRECT_EXPECTED_FAIL == *" $m "* ]] && expected+=("$m"); done
  echo "direct: ${#SUCCEEDED[@]} modes succeeded, ${#FAILED_MODES[@]} failed (expected to fail: ${expected[*]:-none})"
  if ((${#SURPRISES[@]})); then echo "direct: surprises: ${SURPRISES[*]}"; exit 1; fi
  exit 0
fi
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
