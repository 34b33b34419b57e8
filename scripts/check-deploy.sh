#!/usr/bin/env bash
# Checks the deployment files with what this machine has (no Docker engine, no nixpkgs download):
#   nix       every .nix file parses (nix-instantiate --parse); nix/deps.json has the shape nugetDeps takes
#   deps      nix/deps.json matches src/NarGuard/packages.lock.json (nix/update-deps.sh --check)
#   lint      the Dockerfile passes dockerfile-utils and dockerfilelint (npm; hadolint is in neither Debian nor npm)
#   image     the Dockerfile's build stage replayed without Docker: its COPY lines fill a directory from the build
#             context (minus .dockerignore) and its RUN lines run there with the local SDK, the same dotnet restore
#             --locked-mode and dotnet publish the image runs; then the published program is started the way the
#             runtime stage starts it, and the HEALTHCHECK command must pass against it, and fail once it is gone
# Prints one line per check, then "N passed, M failed"; exit 1 if any failed.
# Usage: bash scripts/check-deploy.sh [--keep]   (--keep leaves the work directory for inspection)
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

KEEP=0
[[ ${1:-} == --keep ]] && KEEP=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/narguard-check-deploy.XXXXXX")
cleanup() {
  if ((KEEP)); then echo "check-deploy: work directory kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

passed=0
failed=0
result() { # result NAME STATUS DETAIL
  if [[ $2 == 0 ]]; then passed=$((passed + 1)); printf 'PASS %-6s %s\n' "$1" "$3"
  else failed=$((failed + 1)); printf 'FAIL %-6s %s\n' "$1" "$3"; fi
}

# ---- nix ------------------------------------------------------------------------------------------
check_nix() {
  command -v nix-instantiate >/dev/null || { echo "nix-instantiate not on PATH (apt-get install nix-bin)"; return 1; }
  local file count=0 status=0
  while IFS= read -r file; do
    count=$((count + 1))
    nix-instantiate --parse "$file" >/dev/null 2>"$WORK/nix-parse.err" || { echo "$file: $(head -n 3 "$WORK/nix-parse.err")"; status=1; }
  done < <(find . \( -name node_modules -o -name bin -o -name obj -o -name .git -o -name .e2e \) -prune -o -name '*.nix' -print | sort)
  ((count > 0)) || { echo "no .nix file found"; return 1; }
  # The same test buildDotnetModule's mkNugetDeps applies: a JSON list of {pname, version, hash}.
  local shape
  shape=$(nix-instantiate --eval --strict -E \
    'let d = builtins.fromJSON (builtins.readFile ./nix/deps.json); in builtins.length d > 0 && builtins.all (p: builtins.isString p.pname && builtins.isString p.version && builtins.match "sha256-[A-Za-z0-9+/]{43}=" p.hash != null) d' 2>&1)
  [[ $shape == true ]] || { echo "nix/deps.json does not have the shape nugetDeps takes: $shape"; status=1; }
  ((status == 0)) && echo "$count .nix files parse; nix/deps.json has the nugetDeps shape"
  return $status
}
out=$(check_nix); result nix $? "$out"

# ---- deps -----------------------------------------------------------------------------------------
out=$(bash nix/update-deps.sh --check 2>&1); result deps $? "$(tail -n 5 <<<"$out")"

# ---- lint -----------------------------------------------------------------------------------------
check_lint() {
  command -v npm >/dev/null || { echo "npm not on PATH (apt-get install npm)"; return 1; }
  local lint=scripts/dockerfile-lint
  if [[ ! -x $lint/node_modules/.bin/dockerfile-utils || ! -x $lint/node_modules/.bin/dockerfilelint ]]; then
    npm ci --prefix "$lint" --no-audit --no-fund --silent >"$WORK/npm.log" 2>&1 || { tail -n 5 "$WORK/npm.log"; return 1; }
  fi
  local status=0
  "$lint/node_modules/.bin/dockerfile-utils" lint Dockerfile >"$WORK/lint1.log" 2>&1 || { cat "$WORK/lint1.log"; status=1; }
  "$lint/node_modules/.bin/dockerfilelint" Dockerfile >"$WORK/lint2.log" 2>&1 || { cat "$WORK/lint2.log"; status=1; }
  ((status == 0)) && echo "dockerfile-utils and dockerfilelint find nothing"
  return $status
}
out=$(check_lint); result lint $? "$out"

# ---- image ----------------------------------------------------------------------------------------
# Instructions of one stage, continuation lines joined, comments dropped: stage_lines N (0 = first FROM).
stage_lines() {
  awk -v want="$1" '
    /^[[:space:]]*#/ { next }
    { line = (pending == "" ? $0 : pending " " $0) }
    /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, "", line); pending = line; next }
    { pending = "" }
    line ~ /^FROM / { stage++ }
    stage == want + 1 && line !~ /^[[:space:]]*$/ { print line }
  ' Dockerfile
}

check_image() {
  local stage=$WORK/stage ctx=$WORK/context workdir=/ line args src dest
  mkdir -p "$stage" "$ctx"
  # The build context: the work tree minus .dockerignore's entries (its patterns here are all "**/name/" or "name/").
  local excludes=()
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    line=${line#\*\*/}; line=${line%/}
    excludes+=("--exclude=$line")
  done <.dockerignore
  tar -c "${excludes[@]}" . | tar -x -C "$ctx" || { echo "could not copy the build context"; return 1; }

  while IFS= read -r line; do
    case $line in
      WORKDIR\ *) workdir=${line#WORKDIR }; mkdir -p "$stage$workdir" ;;
      COPY\ --*) echo "unsupported COPY flag in the build stage: $line"; return 1 ;;
      COPY\ *)
        read -ra args <<<"${line#COPY }"
        dest=${args[-1]}; unset 'args[-1]'
        [[ $dest == /* ]] || dest=$workdir/$dest
        mkdir -p "$stage$dest"
        for src in "${args[@]}"; do
          [[ -e $ctx/$src ]] || { echo "COPY $src: not in the build context"; return 1; }
          if [[ -d $ctx/$src ]]; then cp -a "$ctx/$src/." "$stage$dest/"; else cp -a "$ctx/$src" "$stage$dest/"; fi
        done ;;
      RUN\ *)
        # Absolute paths of the image (/app, /spool) live under the stage directory here.
        local command
        command=$(sed -E "s#(^| )/#\1$stage/#g" <<<"${line#RUN }")
        echo "+ ${line#RUN }" >>"$WORK/image.log"
        (cd "$stage$workdir" && bash -c "$command") >>"$WORK/image.log" 2>&1 || { echo "RUN failed: ${line#RUN }"; tail -n 20 "$WORK/image.log"; return 1; }
        ;;
      FROM\ *) ;;
      *) echo "unsupported instruction in the build stage: $line"; return 1 ;;
    esac
  done < <(stage_lines 0)

  local app=$stage/app
  for f in narguard narguard.dll config/narguard.json attic-emulator.dll; do
    [[ -e $app/$f ]] || { echo "the published output lacks $f"; return 1; }
  done

  # The runtime stage: its ENV, and its HEALTHCHECK command, run against the published program.
  local env_line health port
  env_line=$(stage_lines 1 | sed -n 's/^ENV //p' | tr '\n' ' ')
  health=$(stage_lines 1 | sed -n 's/^HEALTHCHECK .*CMD //p' | jq -r '.[]' | sed "s#^/app/#$app/#" | tr '\n' ' ')
  [[ -n $health ]] || { echo "no HEALTHCHECK CMD in exec form"; return 1; }
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The image listens on 0.0.0.0; here only loopback, on a free port.
  local listen=http://127.0.0.1:$port
  [[ $env_line == *NARGUARD_Listen=http://0.0.0.0:* ]] || { echo "ENV sets no NARGUARD_Listen on 0.0.0.0"; return 1; }
  mkdir -p "$WORK/spool"
  NARGUARD_Listen=$listen NARGUARD_Spool__Path=$WORK/spool NARGUARD_Upstream=http://127.0.0.1:9/main \
    "$app/narguard" serve >"$WORK/serve.log" 2>&1 &
  # check_image runs in a $(...) subshell, out of the EXIT trap's reach: every path below stops the server itself.
  SERVER_PID=$!
  local i ok=1
  for i in $(seq 1 100); do
    if NARGUARD_Listen=http://0.0.0.0:$port $health >/dev/null 2>&1; then ok=0; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  if ((ok != 0)); then
    kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null
    echo "HEALTHCHECK ($health) never passed"; tail -n 10 "$WORK/serve.log"; return 1
  fi
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
  if NARGUARD_Listen=http://0.0.0.0:$port $health >/dev/null 2>&1; then echo "HEALTHCHECK passes with nothing listening"; return 1; fi
  echo "build stage replayed (restore --locked-mode, publish); HEALTHCHECK passes against the published narguard and fails without it"
}
out=$(check_image); result image $? "$out"

echo "$passed passed, $failed failed"
((failed == 0))
