#!/usr/bin/env bash
# Soak: the real narguard process in front of the fault-injecting Attic emulator, 10% of NARs broken in rotating
# ways (empty, truncated, corrupt, stall, reset, 500), concurrent clients verifying every 200 against its NarHash.
# Fails on any bad 200, any 5xx, any request past the timeout, RSS over the bound, a descriptor leak, or 404s the
# metrics do not account for (tests/NarGuard.Soak/SoakReport.cs).
#   bash tests/soak/run.sh           long form: 128 clients, 150 s (docs/SECURITY.md records a run)
#   bash tests/soak/run.sh --short   CI form: 32 clients, 45 s
# Extra arguments go to the soak client (e.g. --seconds 600 --clients 256).
set -euo pipefail
cd "$(dirname "$0")/../.."

args=(--seconds 150 --clients 128 --paths 300)
if [[ "${1:-}" == "--short" ]]; then
  args=(--seconds 45 --clients 32 --paths 200)
  shift
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/NarGuard.Soak/NarGuard.Soak.csproj -c Release --nologo -v q >/dev/null
dotnet build src/NarGuard/NarGuard.csproj -c Release --nologo -v q >/dev/null
exec dotnet tests/NarGuard.Soak/bin/Release/net10.0/narguard-soak.dll \
  --narguard src/NarGuard/bin/Release/net10.0/narguard.dll "${args[@]}" "$@"
