using System.Text.Json;

namespace NarGuard.Hosting;

/// <summary>
/// <c>narguard healthcheck</c>: asks a running NarGuard for /healthz (or /readyz) and exits 0 or 1.
/// It exists for container HEALTHCHECKs and exec probes: the aspnet runtime image has neither curl nor wget, and
/// installing one only for this would add a package (and its CVEs) to an image that otherwise needs none.
/// </summary>
public static class HealthCheckCommand
{
    public const int ExitHealthy = 0;
    public const int ExitUnhealthy = 1;
    public const int ExitUsage = 2;

    public const string Usage = """
        usage: narguard healthcheck [--url URL] [--ready [CHECK,...]] [--timeout SECONDS]

        Exits 0 when the local NarGuard answers, 1 when it does not (2 on bad usage).

          --url URL        base URL of the instance (default: NARGUARD_Listen, else http://127.0.0.1:5080;
                           a wildcard host such as 0.0.0.0 or [::] is asked on 127.0.0.1)
          --ready          ask /readyz instead of /healthz: healthy when it answers 200
          --ready CHECKS   ask /readyz, healthy when each named check passes (comma-separated, e.g. spool), whatever
                           the others say: for readiness probes that must not follow a dependency every replica shares
          --timeout S      give up after S seconds (default 3)
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? url = null;
        var ready = false;
        string[] required = [];
        var timeout = TimeSpan.FromSeconds(3);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--url" when i + 1 < args.Length:
                    url = args[++i];
                    break;
                case "--ready":
                    ready = true;
                    if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        required = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    }
                    break;
                case "--timeout" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
                    timeout = TimeSpan.FromSeconds(seconds);
                    i++;
                    break;
                case "-h" or "--help":
                    await stdout.WriteLineAsync(Usage);
                    return ExitHealthy;
                default:
                    await stderr.WriteLineAsync($"narguard healthcheck: unknown or incomplete argument '{args[i]}'.\n\n{Usage}");
                    return ExitUsage;
            }
        }

        var baseUrl = LocalBaseUrl(url ?? environment("NARGUARD_Listen") ?? "http://127.0.0.1:5080");
        if (baseUrl is null)
        {
            await stderr.WriteLineAsync($"narguard healthcheck: '{url ?? environment("NARGUARD_Listen")}' is not an http(s) URL.");
            return ExitUsage;
        }
        var target = new Uri(baseUrl, ready ? "/readyz" : "/healthz");

        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = timeout };
        try
        {
            using var response = await http.GetAsync(target);
            var body = await response.Content.ReadAsStringAsync();
            if (required.Length == 0)
            {
                var ok = (int)response.StatusCode == 200;
                await (ok ? stdout : stderr).WriteLineAsync($"{target}: {(int)response.StatusCode}");
                return ok ? ExitHealthy : ExitUnhealthy;
            }
            return await CheckNamedAsync(target, body, required, stdout, stderr);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"{target}: no answer ({ex.Message})");
            return ExitUnhealthy;
        }
    }

    // /readyz's JSON: {"status": ..., "checks": {"spool": {"ok": true, ...}, ...}} (Health/ReadinessEndpoint.cs).
    private static async Task<int> CheckNamedAsync(Uri target, string body, string[] required, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var failed = new List<string>();
            foreach (var name in required)
            {
                var passed = json.RootElement.TryGetProperty("checks", out var checks)
                    && checks.TryGetProperty(name, out var check)
                    && check.TryGetProperty("ok", out var ok)
                    && ok.ValueKind == JsonValueKind.True;
                if (!passed)
                {
                    failed.Add(name);
                }
            }
            if (failed.Count == 0)
            {
                await stdout.WriteLineAsync($"{target}: {string.Join(", ", required)} ok");
                return ExitHealthy;
            }
            await stderr.WriteLineAsync($"{target}: failing or missing: {string.Join(", ", failed)}");
            return ExitUnhealthy;
        }
        catch (JsonException)
        {
            await stderr.WriteLineAsync($"{target}: not the readiness JSON");
            return ExitUnhealthy;
        }
    }

    /// <summary>The listen URL turned into one this machine can call: a wildcard host becomes 127.0.0.1.</summary>
    public static Uri? LocalBaseUrl(string listen)
    {
        // Kestrel accepts http://*:5080 and http://+:5080, which Uri does not parse.
        var normalized = listen.Replace("://*", "://127.0.0.1", StringComparison.Ordinal).Replace("://+", "://127.0.0.1", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return null;
        }
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : uri.Host;
        return new UriBuilder(uri.Scheme, host, uri.Port).Uri;
    }
}
