# services.narguard: NarGuard as a hardened systemd service (docs/NIXOS.md).
# The flake's nixosModules.default imports this and sets `package`; imported on its own, set it yourself.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.narguard;
  json = pkgs.formats.json { };

  # "10G" -> bytes; an integer is taken as bytes already.
  toBytes =
    size:
    if builtins.isInt size then
      size
    else
      let
        m = builtins.match "([0-9]+)([KMGT]?)" size;
        units = {
          "" = 1;
          K = 1024;
          M = 1024 * 1024;
          G = 1024 * 1024 * 1024;
          T = 1024 * 1024 * 1024 * 1024;
        };
      in
      lib.toInt (builtins.elemAt m 0) * units.${builtins.elemAt m 1};

  listenHost = if lib.hasInfix ":" cfg.listen.address then "[${cfg.listen.address}]" else cfg.listen.address;
  listenUrl = "http://${listenHost}:${toString cfg.listen.port}";

  # NarGuard serves the cache under the upstream URL's path ("/main" for http://attic:8080/main).
  cachePath =
    let
      m = builtins.match "[a-z]+://[^/]+(/.*)?" cfg.upstream;
    in
    if m == null || builtins.elemAt m 0 == null then "" else lib.removeSuffix "/" (builtins.elemAt m 0);
  localHost =
    if cfg.listen.address == "0.0.0.0" then
      "127.0.0.1"
    else if cfg.listen.address == "::" then
      "[::1]"
    else
      listenHost;
  localSubstituter = "http://${localHost}:${toString cfg.listen.port}${cachePath}";

  # The generated settings file: the typed options below, then `settings` on top. No secret ever goes in here (it
  # would be world-readable in the Nix store): the token comes through LoadCredential, storage keys through an
  # EnvironmentFile.
  configFile = json.generate "narguard.json" cfg.settings;

  inStore = path: path != null && lib.hasPrefix builtins.storeDir (toString path);
in
{
  options.services.narguard = {
    enable = lib.mkEnableOption "NarGuard, a Nix binary-cache proxy that verifies every NAR before it answers 200";

    package = lib.mkOption {
      type = lib.types.package;
      description = "The NarGuard package. The flake's module sets it to the flake's own build.";
    };

    upstream = lib.mkOption {
      type = lib.types.strMatching "https?://.+";
      example = "http://attic.internal:8080/main";
      description = "The Attic cache URL, including the cache name. NarGuard serves the cache under the same path.";
    };

    upstreamHost = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "attic.example.com";
      description = "Host header sent upstream (Attic checks it against allowed-hosts). Default: the upstream URL's host.";
    };

    tokenFile = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "/run/secrets/attic-token";
      description = ''
        A file holding the Attic token (a JWT), sent as a Bearer token for requests that bring no Authorization of
        their own. Given as a string path outside the Nix store (agenix, sops-nix, a file you place): systemd reads
        it with LoadCredential and hands it to the service user, which then reads
        `$CREDENTIALS_DIRECTORY/upstream-token` through `--upstream-token-file`.
      '';
    };

    upstreams = lib.mkOption {
      default = [ ];
      example = lib.literalExpression ''[ { name = "nixos"; url = "https://cache.nixos.org"; } ]'';
      description = ''
        Further upstreams, asked in this order after `upstream` (the settings key `Upstreams`). A narinfo comes from the
        first upstream that has the path; a NAR whose body fails verification is served from the next upstream whose
        narinfo has the same NarHash and compression. Per-upstream timeouts, redirect hosts and circuit settings go
        into `settings.Upstreams` (this option fills Name, Url, Host and TokenFile).
      '';
      type = lib.types.listOf (
        lib.types.submodule {
          options = {
            name = lib.mkOption {
              type = lib.types.strMatching "[a-z0-9][a-z0-9-]{0,31}";
              description = "Short unique name: a metric label and a path segment of this upstream's NAR URLs.";
            };
            url = lib.mkOption {
              type = lib.types.strMatching "https?://.+";
              description = "The cache URL, including the cache name for Attic.";
            };
            host = lib.mkOption {
              type = lib.types.nullOr lib.types.str;
              default = null;
              description = "Host header sent to this upstream. Default: the URL's host.";
            };
            tokenFile = lib.mkOption {
              type = lib.types.nullOr lib.types.str;
              default = null;
              description = "A file holding this upstream's Bearer token, read through LoadCredential like tokenFile.";
            };
          };
        }
      );
    };

    listen = {
      address = lib.mkOption {
        type = lib.types.str;
        default = "127.0.0.1";
        example = "0.0.0.0";
        description = "Address to listen on. Builders on other machines need a routable one (and openFirewall).";
      };
      port = lib.mkOption {
        type = lib.types.port;
        default = 5080;
        description = "Port to listen on.";
      };
    };

    spool = {
      path = lib.mkOption {
        type = lib.types.str;
        default = "/var/lib/narguard/spool";
        description = ''
          Directory of verified NARs. The default lives in the unit's StateDirectory (/var/lib/narguard): a warm
          spool survives reboots and is not wiped with /var/cache. Another path must be writable by the service
          (DynamicUser): prefer a path below /var/lib/narguard.
        '';
      };
      maxSize = lib.mkOption {
        type = lib.types.either lib.types.ints.positive (lib.types.strMatching "[0-9]+[KMGT]?");
        default = "10G";
        example = "200G";
        description = "Upper bound of the spool: bytes, or a number with K, M, G or T (powers of 1024). Least recently used NARs go first.";
      };
    };

    storage = {
      endpoint = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "http://rustfs.internal:9000";
        description = ''
          The S3-compatible storage behind Attic (scheme://host[:port]). When set, NarGuard probes that its buckets
          are still listed and reachable: the incident's lost bucket index, seen before builders pay for it.
        '';
      };
      buckets = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        example = [ "attic" ];
        description = "Buckets Attic stores into; required with storage.endpoint.";
      };
      credentialsFile = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "/run/secrets/narguard-s3.env";
        description = ''
          An environment file, outside the Nix store, with the probe's read-only keys:
          `AWS_ACCESS_KEY_ID=...` and `AWS_SECRET_ACCESS_KEY=...` lines (and `AWS_SESSION_TOKEN=` if needed).
          systemd reads it before dropping privileges.
        '';
      };
    };

    telemetry = {
      prometheus = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = "Serve Prometheus metrics at /metrics on the listen address.";
      };
      otlpEndpoint = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "http://otel-collector.internal:4317";
        description = "Export traces and metrics over OTLP to this collector (sets OTEL_EXPORTER_OTLP_ENDPOINT).";
      };
    };

    openFirewall = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Open listen.port in the firewall, for builders on other machines.";
    };

    configureLocalNix = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Make this machine's own Nix substitute through NarGuard: puts its URL first in nix.settings.substituters
        and adds cachePublicKeys to nix.settings.trusted-public-keys.
      '';
    };

    cachePublicKeys = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "main:mH3...=" ];
      description = "Public keys of the Attic cache (`attic cache info`), trusted when configureLocalNix is on.";
    };

    settings = lib.mkOption {
      type = lib.types.submodule { freeformType = json.type; };
      default = { };
      example = {
        Timeouts.Stall = "00:00:10";
        Redirects.AllowedHosts = [ "s3.internal" ];
      };
      description = ''
        Any other NarGuard setting, as in config/narguard.example.jsonc; written to a JSON file passed with
        --config. The options above fill in their keys. Never put UpstreamToken or Storage keys here: this file
        is world-readable in the Nix store (use tokenFile and storage.credentialsFile).
      '';
    };

    environment = lib.mkOption {
      type = lib.types.attrsOf lib.types.str;
      default = { };
      example = {
        OTEL_RESOURCE_ATTRIBUTES = "deployment.environment=ci";
      };
      description = "Extra environment variables for the service (NARGUARD_* settings, OTEL_* variables).";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion =
          !(inStore cfg.tokenFile) && !(inStore cfg.storage.credentialsFile) && !(lib.any (u: inStore u.tokenFile) cfg.upstreams);
        message = "services.narguard: tokenFile, upstreams.*.tokenFile and storage.credentialsFile must be paths outside the Nix store (it is world-readable).";
      }
      {
        assertion =
          !(cfg.settings ? UpstreamToken)
          && !(cfg.settings ? UpstreamTokenFile)
          && !((cfg.settings.Storage or { }) ? SecretKey)
          && !((cfg.settings.Storage or { }) ? AccessKey);
        message = "services.narguard.settings: no secrets in settings (they land in the Nix store); use tokenFile and storage.credentialsFile.";
      }
      {
        assertion = cfg.storage.endpoint == null || cfg.storage.buckets != [ ];
        message = "services.narguard.storage.buckets: list the bucket(s) Attic stores into when storage.endpoint is set.";
      }
    ];

    # mkDefault: a key set in `settings` wins over the typed option that fills it.
    services.narguard.settings = lib.mkDefault ({
      Upstream = cfg.upstream;
      Listen = listenUrl;
      Spool = {
        Path = cfg.spool.path;
        MaxBytes = toBytes cfg.spool.maxSize;
      };
      Telemetry.Prometheus = cfg.telemetry.prometheus;
    }
    // lib.optionalAttrs (cfg.upstreamHost != null) { UpstreamHost = cfg.upstreamHost; }
    // lib.optionalAttrs (cfg.upstreams != [ ]) {
      # Tokens are credentials of the unit, never in the store: the settings file only names where systemd puts them.
      Upstreams = map (
        u:
        {
          Name = u.name;
          Url = u.url;
        }
        // lib.optionalAttrs (u.host != null) { Host = u.host; }
        // lib.optionalAttrs (u.tokenFile != null) { TokenFile = "/run/credentials/narguard.service/upstream-token-${u.name}"; }
      ) cfg.upstreams;
    }
    // lib.optionalAttrs (cfg.storage.endpoint != null) {
      Storage = {
        Endpoint = cfg.storage.endpoint;
        Buckets = cfg.storage.buckets;
      };
    });

    systemd.services.narguard = {
      description = "NarGuard, a verifying Nix binary-cache proxy";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      environment =
        lib.optionalAttrs (cfg.telemetry.otlpEndpoint != null) {
          OTEL_EXPORTER_OTLP_ENDPOINT = cfg.telemetry.otlpEndpoint;
        }
        // cfg.environment;

      startLimitIntervalSec = 60;
      startLimitBurst = 5;

      serviceConfig = {
        # %d is the unit's credentials directory; the token never appears on a command line, only its path.
        ExecStart =
          "${lib.getExe cfg.package} serve --config ${configFile}"
          + lib.optionalString (cfg.tokenFile != null) " --upstream-token-file %d/upstream-token";
        LoadCredential =
          lib.optional (cfg.tokenFile != null) "upstream-token:${cfg.tokenFile}"
          ++ map (u: "upstream-token-${u.name}:${u.tokenFile}") (lib.filter (u: u.tokenFile != null) cfg.upstreams);
        EnvironmentFile = lib.optional (cfg.storage.credentialsFile != null) cfg.storage.credentialsFile;

        Restart = "on-failure";
        RestartSec = "2s";
        # A configuration error exits 2 at once, with a message naming the key; restarting cannot fix it.
        RestartPreventExitStatus = [ 2 ];
        # Kestrel drains requests in flight for up to 30 s on SIGTERM.
        TimeoutStopSec = "45s";

        DynamicUser = true;
        StateDirectory = "narguard";
        StateDirectoryMode = "0700";
        UMask = "0077";
        # Only listen.port < 1024 needs a capability; above it the service holds none.
        AmbientCapabilities = lib.optional (cfg.listen.port < 1024) "CAP_NET_BIND_SERVICE";
        CapabilityBoundingSet = if cfg.listen.port < 1024 then "CAP_NET_BIND_SERVICE" else "";

        ProtectSystem = "strict";
        ReadWritePaths = lib.optional (!lib.hasPrefix "/var/lib/narguard" cfg.spool.path) cfg.spool.path;
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        PrivateUsers = cfg.listen.port >= 1024;
        ProtectHostname = true;
        ProtectClock = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        # Not ProcSubset=pid: the .NET runtime reads /proc/meminfo and /proc/cpuinfo for its GC and thread pool.
        ProtectProc = "invisible";
        NoNewPrivileges = true;
        RestrictAddressFamilies = [
          "AF_INET"
          "AF_INET6"
          "AF_UNIX"
        ];
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        RemoveIPC = true;
        # Not MemoryDenyWriteExecute: the .NET JIT writes machine code into memory it then executes.
        SystemCallArchitectures = "native";
        SystemCallFilter = [
          "@system-service"
          "~@privileged"
        ];
      };
    };

    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [ cfg.listen.port ];

    nix.settings = lib.mkIf cfg.configureLocalNix {
      substituters = lib.mkBefore [ localSubstituter ];
      trusted-public-keys = cfg.cachePublicKeys;
    };
  };
}
