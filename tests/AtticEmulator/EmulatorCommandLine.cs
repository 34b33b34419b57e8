using System.Globalization;

namespace AtticEmulator;

/// <summary>The parsed command line of the <c>attic-emulator</c> executable.</summary>
internal sealed record EmulatorCommandLine(EmulatorOptions Options, IReadOnlyList<string> BinaryCaches, IReadOnlyList<(string StoreHash, Fault Fault)> Faults)
{
    public const string Usage = """
        usage: attic-emulator [--listen http://127.0.0.1:8080] [--cache main] [--binary-cache DIR]...
                              [--compression zstd|xz|none|br] [--chunk-size 65536] [--stall-seconds 30]
                              [--fault STOREHASH=FAULT]... [--token TOKEN]
                              [--storage-host HOST:PORT] [--foreign-host HOST:PORT]
                              [--s3-endpoint URL [--s3-bucket attic]]
          --listen         address to listen on (port 0: any free port; the real URL is printed)
          --binary-cache   a directory written by `nix copy --to file://DIR` (repeatable)
          --fault          a store hash (or store path) and a fault name, e.g. Empty, nar-not-found (repeatable)
          --token          require `Authorization: Bearer TOKEN` on the cache routes
          --storage-host   host in the Location of Redirect/RedirectBroken (default: request Host)
          --foreign-host   host in the Location of RedirectForeign (default: localhost:PORT)
          --s3-endpoint    S3 mode: chunks of pushed NARs (PUT /_api/v1/upload-path) go to this S3 server and are
                           streamed back from it; keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (default S3RVER)
          --s3-bucket      the bucket for --s3-endpoint (default attic; it must exist)
        prints "listening on URL" when ready; SIGTERM or Ctrl+C stops it.
        push: POST /_api/v1/get-missing-paths, PUT /_api/v1/upload-path (X-Attic-Nar-Info)
        control: POST /_emulator/faults/STOREHASH/FAULT, GET /_emulator/stats
        """;

    /// <summary>Parses <paramref name="args"/>; on an error returns null and a message.</summary>
    public static EmulatorCommandLine? Parse(string[] args, out string? error)
    {
        var options = new EmulatorOptions { Listen = new Uri("http://127.0.0.1:8080"), ConsoleLogging = true };
        var caches = new List<string>();
        var faults = new List<(string, Fault)>();
        string? s3Endpoint = null;
        var s3Bucket = "attic";
        error = null;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--listen": options = options with { Listen = new Uri(Value()) }; break;
                    case "--cache": options = options with { CacheName = Value() }; break;
                    case "--binary-cache": caches.Add(Value()); break;
                    case "--compression": options = options with { Compression = ParseCompression(Value()) }; break;
                    case "--chunk-size": options = options with { ChunkSize = ParsePositive(args[i], Value()) }; break;
                    case "--stall-seconds": options = options with { StallDuration = TimeSpan.FromSeconds(ParsePositive(args[i], Value())) }; break;
                    case "--fault": faults.Add(ParseFault(Value())); break;
                    case "--token": options = options with { BearerToken = Value() }; break;
                    case "--storage-host": options = options with { AdvertiseStorageHost = Value() }; break;
                    case "--foreign-host": options = options with { ForeignStorageHost = Value() }; break;
                    case "--quiet": options = options with { ConsoleLogging = false }; break;
                    case "--s3-endpoint": s3Endpoint = new Uri(Value()).GetLeftPart(UriPartial.Authority); break;
                    case "--s3-bucket": s3Bucket = Value(); break;
                    default: throw new FormatException($"unknown argument '{args[i]}'");
                }
            }
        }
        catch (Exception e) when (e is FormatException or UriFormatException or ArgumentException)
        {
            error = e.Message;
            return null;
        }

        if (s3Endpoint is not null)
        {
            options = options with
            {
                S3 = new EmulatorS3Options(
                    s3Endpoint,
                    s3Bucket,
                    Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID") is { Length: > 0 } key ? key : "S3RVER",
                    Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY") is { Length: > 0 } secret ? secret : "S3RVER"),
            };
        }

        return new EmulatorCommandLine(options, caches, faults);
    }

    private static BodyCompression ParseCompression(string value) =>
        Enum.TryParse<BodyCompression>(value, ignoreCase: true, out var c) && Enum.IsDefined(c) && !char.IsDigit(value[0])
            ? c
            : throw new FormatException($"--compression must be zstd, xz, none or br, not '{value}'");

    private static int ParsePositive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new FormatException($"{name} must be a positive integer, not '{value}'");

    private static (string, Fault) ParseFault(string value)
    {
        var eq = value.LastIndexOf('=');
        if (eq <= 0 || !FaultNames.TryParse(value[(eq + 1)..], out var fault))
        {
            throw new FormatException($"--fault must be STOREHASH=FAULT with FAULT one of {string.Join(", ", Enum.GetNames<Fault>())}, not '{value}'");
        }

        return (ObjectCatalog.StoreHashOf(value[..eq]), fault);
    }
}
