#!/usr/bin/env bash
# Runs every test NarGuard has, setting up what they need on a fresh Debian machine:
#   1. unit tests (NarGuard.Core.Tests) and functional tests (NarGuard.Tests: the real host on loopback
#      in front of the Attic emulator with injected faults);
#   2. the deployment checks (scripts/check-deploy.sh): every .nix file parses, nix/deps.json matches the NuGet
#      lock files, the Dockerfile lints and its build stage replays with the local SDK;
#   3. the end-to-end matrix: the real Nix client (Debian's nix-bin) substituting through the proxy.
# Usage: bash scripts/test-all.sh [--no-e2e]
set -euo pipefail
cd "$(dirname "$0")/.."

run_e2e=1
[[ "${1:-}" == "--no-e2e" ]] && run_e2e=0

need_apt=()
command -v nix-build >/dev/null || need_apt+=(nix-bin)
command -v zstd >/dev/null || need_apt+=(zstd)
command -v xz >/dev/null || need_apt+=(xz-utils)
command -v curl >/dev/null || need_apt+=(curl)
command -v jq >/dev/null || need_apt+=(jq)
command -v npm >/dev/null || need_apt+=(npm)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test-all: missing ${need_apt[*]}; install them (apt-get install ${need_apt[*]}) or run as root" >&2
    exit 2
  fi
  echo "test-all: installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# A real S3-compatible server (s3rver) for the storage-probe tests (tests/NarGuard.Tests/Health), pinned by its lock file.
if [[ ! -x tests/s3rver/node_modules/.bin/s3rver ]]; then
  echo "test-all: installing s3rver (npm ci --prefix tests/s3rver)"
  npm ci --prefix tests/s3rver --no-audit --no-fund --loglevel=error
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet restore Proxy.sln --nologo -v q
dotnet build Proxy.sln -c Release --no-restore --nologo -v q -m:2

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Proxy.sln -c Release --no-build --nologo -v q 2>&1 | tee "$log" || status=$?

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')

deploy_log=$(mktemp)
bash scripts/check-deploy.sh 2>&1 | tee "$deploy_log" || status=1
deploy=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$deploy_log" | tail -n 1 || true)
if [[ -n "$deploy" ]]; then
  passed=$((passed + $(awk '{print $1}' <<<"$deploy")))
  failed=$((failed + $(awk '{print $3}' <<<"$deploy")))
else
  echo "test-all: the deployment checks printed no summary" >&2
  status=1
fi
rm -f "$deploy_log"

if ((run_e2e)); then
  e2e_log=$(mktemp)
  bash tests/e2e/run.sh 2>&1 | tee "$e2e_log" || status=1
  e2e=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$e2e_log" | tail -n 1 || true)
  if [[ -n "$e2e" ]]; then
    passed=$((passed + $(awk '{print $1}' <<<"$e2e")))
    failed=$((failed + $(awk '{print $3}' <<<"$e2e")))
  else
    echo "test-all: the end-to-end matrix printed no summary" >&2
    status=1
  fi
  rm -f "$e2e_log"
fi

echo "${passed} passed, ${failed} failed"
if ((status != 0 || failed != 0)); then
  exit 1
fi
