#!/usr/bin/env bash
# Writes nix/deps.json, the NuGet lock nixpkgs' buildDotnetModule takes as nugetDeps:
#   [{"pname": "Yarp.ReverseProxy", "version": "2.3.0", "hash": "sha256-<base64>"}, ...]
# from the restore's own lock file, src/NarGuard/packages.lock.json (the closure nix/package.nix builds: the proxy,
# NarGuard.Core and the Attic emulator the demo runs; the test projects are not built by Nix).
#
# Hashes are SHA-256 (fetchurl's SRI form) of the .nupkg files in the NuGet cache (~/.nuget/packages, or
# $NUGET_PACKAGES), which are the files as nuget.org serves them. Before hashing, each file is tied to the lock:
# the lock's contentHash is NuGet's content hash, which for a signed package (every nuget.org package) is a SHA-512
# of the package without its repository signature, not of the file; so the script checks that the restore's own
# record for the cached file (.nupkg.metadata) names the lock's contentHash, and that the file still has the
# SHA-512 the restore wrote beside it (.nupkg.sha512).
#
# usage: nix/update-deps.sh           regenerate nix/deps.json (runs `dotnet restore` first if a package is missing)
#        nix/update-deps.sh --check   exit 1 when nix/deps.json differs from what would be generated
# Needs jq, openssl, base64, and dotnet for the restore. Run it after adding or upgrading a package;
# tests/NarGuard.Tests/Deploy/NixDepsTests.cs fails until you do.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCK=$ROOT/src/NarGuard/packages.lock.json
OUT=$ROOT/nix/deps.json
PACKAGES=${NUGET_PACKAGES:-$HOME/.nuget/packages}
CHECK=0
[[ ${1:-} == --check ]] && CHECK=1

die() { echo "update-deps: $*" >&2; exit 2; }
for tool in jq openssl base64; do command -v "$tool" >/dev/null || die "$tool not on PATH"; done
[[ -f $LOCK ]] || die "$LOCK is missing: RestorePackagesWithLockFile (Directory.Build.props) writes it on 'dotnet restore'"

# name<TAB>version<TAB>contentHash for every package of every target framework / runtime in the lock file.
packages() {
  jq -r '.dependencies[] | to_entries[] | select(.value.type != "Project")
         | [.key, .value.resolved, .value.contentHash] | @tsv' "$LOCK" | sort -u -f -t $'\t' -k1,1 -k2,2
}

nupkg_of() { # nupkg_of NAME VERSION: the cached .nupkg (NuGet lower-cases both parts of the path)
  local id=${1,,} version=${2,,}
  echo "$PACKAGES/$id/$version/$id.$version.nupkg"
}

restored=0
entries=()
while IFS=$'\t' read -r name version content_hash; do
  file=$(nupkg_of "$name" "$version")
  if [[ ! -f $file && $restored == 0 && $CHECK == 0 ]]; then
    echo "update-deps: $name $version not in $PACKAGES; restoring" >&2
    dotnet restore "$ROOT/src/NarGuard/NarGuard.csproj" --nologo -v q >&2
    restored=1
  fi
  [[ -f $file ]] || die "$file is missing (run: dotnet restore src/NarGuard/NarGuard.csproj)"
  dir=$(dirname "$file")
  recorded=$(jq -r .contentHash "$dir/.nupkg.metadata" 2>/dev/null || true)
  [[ $recorded == "$content_hash" ]] || die "$name $version: the cached package's content hash ($recorded) is not the lock's ($content_hash)"
  sha512=$(openssl dgst -sha512 -binary "$file" | base64 -w0)
  [[ $sha512 == "$(cat "$file.sha512" 2>/dev/null)" ]] || die "$name $version: $file differs from what the restore downloaded (.sha512)"
  sha256=$(openssl dgst -sha256 -binary "$file" | base64 -w0)
  entries+=("$(jq -cn --arg p "$name" --arg v "$version" --arg h "sha256-$sha256" '{pname: $p, version: $v, hash: $h}')")
done < <(packages)

generated=$(printf '%s\n' "${entries[@]}" | jq -s '.')
if ((CHECK)); then
  if [[ -f $OUT ]] && diff <(jq -S . "$OUT") <(jq -S . <<<"$generated") >/dev/null; then
    echo "update-deps: nix/deps.json matches src/NarGuard/packages.lock.json (${#entries[@]} packages)"
    exit 0
  fi
  echo "update-deps: nix/deps.json is out of date; run nix/update-deps.sh" >&2
  diff <(jq -S . "$OUT" 2>/dev/null || echo '[]') <(jq -S . <<<"$generated") >&2 || true
  exit 1
fi
printf '%s\n' "$generated" >"$OUT"
echo "update-deps: wrote nix/deps.json (${#entries[@]} packages)"
