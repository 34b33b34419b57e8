{
  # NarGuard the way Nix shops deploy it (docs/NIXOS.md):
  #   nix run github:OWNER/narguard -- demo           the demo, no setup
  #   nix build                                       the package (buildDotnetModule, nix/package.nix)
  #   nixosModules.default                            services.narguard (nix/module.nix)
  #   nix flake check                                 the package build and the NixOS VM test (nix/vm-test.nix)
  #   nix develop                                     .NET SDK, nix, zstd, xz, nodejs (s3rver), curl
  description = "NarGuard: a Nix binary-cache proxy that verifies every NAR before it answers 200";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      linux = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      systems = linux ++ [
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forSystems = names: f: lib.genAttrs names (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      packages = forSystems systems (
        system: pkgs: rec {
          narguard = pkgs.callPackage ./nix/package.nix { };
          default = narguard;
        }
      );

      apps = forSystems systems (
        system: pkgs:
        let
          exe = lib.getExe self.packages.${system}.default;
        in
        {
          default = {
            type = "app";
            program = exe;
            meta.description = "NarGuard (narguard serve --upstream URL, narguard demo, narguard check)";
          };
          demo = {
            type = "app";
            program = toString (pkgs.writeShellScript "narguard-demo" ''exec ${exe} demo "$@"'');
            meta.description = "A broken Attic-shaped cache, straight and through NarGuard, side by side";
          };
        }
      );

      nixosModules.default =
        { pkgs, lib, ... }:
        {
          imports = [ ./nix/module.nix ];
          services.narguard.package = lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        };

      devShells = forSystems systems (
        system: pkgs: {
          default = pkgs.mkShell {
            packages = [
              pkgs.dotnetCorePackages.sdk_10_0
              pkgs.nix # the real client for tests/e2e/run.sh
              pkgs.zstd
              pkgs.xz
              pkgs.nodejs # s3rver for the storage probe tests, and the Dockerfile linters
              pkgs.curl
              pkgs.jq # nix/update-deps.sh
            ];
            DOTNET_CLI_TELEMETRY_OPTOUT = "1";
            DOTNET_NOLOGO = "1";
          };
        }
      );

      checks = forSystems systems (
        system: pkgs:
        {
          package = self.packages.${system}.default;
        }
        // lib.optionalAttrs (builtins.elem system linux) {
          vm-test = import ./nix/vm-test.nix { inherit pkgs self; };
        }
      );
    };
}
