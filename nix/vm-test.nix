# The NixOS VM test (flake.nix: checks.<system>.vm-test; run it with `nix build .#checks.x86_64-linux.vm-test -L`).
# Three machines: "cache" serves a binary cache of its own store with nix-serve, "proxy" runs services.narguard in
# front of it, and "client" substitutes a store path through the proxy with the real Nix. Then the cache goes down:
# the proxy must answer 404 (not a 5xx) for what it does not have, and keep serving what its spool verified.
{ pkgs, self }:

let
  # Several MB, so that the NAR is more than one read; the client does not have it in its store.
  payload = pkgs.runCommand "narguard-vm-test-payload" { } ''
    mkdir -p $out
    echo "substituted through narguard" > $out/hello
    seq 1 500000 > $out/numbers
  '';
  payloadHash = builtins.substring 0 32 (builtins.baseNameOf payload);
  # A well-formed store hash of a path no cache has.
  absentHash = "00000000000000000000000000000000";
in
pkgs.testers.runNixOSTest {
  name = "narguard";

  nodes = {
    cache =
      { lib, ... }:
      {
        services.nix-serve = {
          enable = true;
          port = 5000;
          openFirewall = true;
          secretKeyFile = "/run/cache-key";
        };
        # Started by the test script once it has generated the signing key.
        systemd.services.nix-serve.wantedBy = lib.mkForce [ ];
        system.extraDependencies = [ payload ];
      };

    proxy =
      { pkgs, ... }:
      {
        imports = [ self.nixosModules.default ];
        services.narguard = {
          enable = true;
          upstream = "http://cache:5000";
          listen.address = "0.0.0.0";
          openFirewall = true;
          settings.Timeouts.Stall = "00:00:05";
        };
        environment.systemPackages = [ pkgs.curl ];
      };

    client =
      { pkgs, lib, ... }:
      {
        nix.settings.substituters = lib.mkForce [ ];
        environment.systemPackages = [ pkgs.curl ];
      };
  };

  testScript = ''
    start_all()

    cache.succeed("nix-store --generate-binary-cache-key cache-1 /run/cache-key /run/cache-key.pub")
    cache.succeed("systemctl start nix-serve")
    cache.wait_for_open_port(5000)
    pub = cache.succeed("cat /run/cache-key.pub").strip()

    proxy.wait_for_unit("narguard.service")
    proxy.wait_for_open_port(5080)
    client.wait_until_succeeds("curl -sf http://proxy:5080/nix-cache-info | grep StoreDir")

    nix = (
        "nix-store --realise ${payload} --store /root/other-store"
        " --option substituters http://proxy:5080"
        f" --option trusted-public-keys '{pub}'"
        " --option narinfo-cache-positive-ttl 0 --option narinfo-cache-negative-ttl 0"
    )

    with subtest("the client substitutes through NarGuard, and NarGuard verified the NAR"):
        client.succeed(nix)
        client.succeed("grep -q 'substituted through narguard' /root/other-store${payload}/hello")
        proxy.succeed("curl -sf http://127.0.0.1:5080/metrics | grep -E '^narguard_nar_verified_total(\\{[^}]*\\})? [1-9]'")
        proxy.succeed("test -n \"$(ls -A /var/lib/narguard/spool/nar)\"")

    with subtest("with the cache down, an unknown path is a 404, never a 5xx"):
        cache.succeed("systemctl stop nix-serve")
        code = client.succeed("curl -s -o /dev/null -w '%{http_code}' http://proxy:5080/${absentHash}.narinfo")
        assert code == "404", f"expected 404 with the upstream down, got {code}"

    with subtest("with the cache down, the spool still serves what it verified"):
        client.succeed("rm -rf /root/other-store")
        client.succeed(nix)
        client.succeed("grep -q 'substituted through narguard' /root/other-store${payload}/hello")

    with subtest("the unit is hardened"):
        proxy.log(proxy.succeed("systemd-analyze security narguard.service --no-pager | tail -n 1"))
        proxy.succeed("test \"$(systemctl show -p DynamicUser --value narguard.service)\" = yes")
  '';
}
