# The NarGuard package: `nix build` (flake.nix) or callPackage ./nix/package.nix { }.
# nixpkgs names the .NET 10 toolchain dotnetCorePackages.sdk_10_0 and dotnetCorePackages.aspnetcore_10_0 (the
# top-level dotnet-sdk_10 and dotnet-aspnetcore_10 are aliases of those); the SDK must be 10.0.x, the version
# Directory.Build.props targets.
{
  lib,
  buildDotnetModule,
  dotnetCorePackages,
  version ? "0.1.0",
}:

buildDotnetModule {
  pname = "narguard";
  inherit version;

  # Only what `dotnet publish src/NarGuard` reads, so a change to docs or tests leaves the package as it is. The
  # Attic emulator is in: `narguard demo` runs it (src/NarGuard/NarGuard.csproj says why it is referenced in place).
  # bin/ and obj/ of a local build are left out: a flake sees only tracked files, but callPackage on a work tree
  # would otherwise copy another machine's restore state into the build.
  src =
    let
      projects = [
        ../src/NarGuard.Core
        ../src/NarGuard
        ../tests/AtticEmulator
      ];
      buildOutputs = lib.concatMap (p: [
        (lib.fileset.maybeMissing (p + "/bin"))
        (lib.fileset.maybeMissing (p + "/obj"))
      ]) projects;
    in
    lib.fileset.toSource {
      root = ../.;
      fileset = lib.fileset.difference (lib.fileset.unions (
        [
          ../Directory.Build.props
          ../Directory.Packages.props
          ../config/narguard.json
        ]
        ++ projects
      )) (lib.fileset.unions buildOutputs);
    };

  projectFile = "src/NarGuard/NarGuard.csproj";
  # Every NuGet package of the closure, pinned by hash; generated from the restore's packages.lock.json files by
  # nix/update-deps.sh, and checked against them by tests/NarGuard.Tests/Deploy/NixDepsTests.cs.
  nugetDeps = ./deps.json;

  dotnet-sdk = dotnetCorePackages.sdk_10_0;
  dotnet-runtime = dotnetCorePackages.aspnetcore_10_0;

  executables = [ "narguard" ];

  # The test suites need loopback servers, a real Nix client and, for the stall cases, minutes; CI runs them
  # (scripts/test-all.sh). The flake's checks run the NixOS VM test against this package instead.
  doCheck = false;

  meta = {
    description = "Nix binary-cache proxy that verifies every NAR before it answers 200 and answers 404 otherwise";
    mainProgram = "narguard";
    platforms = lib.platforms.linux ++ lib.platforms.darwin;
  };
}
