using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;

namespace NarGuard.Hosting;

/// <summary>The narguard command line: <c>narguard serve --upstream URL [...]</c>.</summary>
public static class Cli
{
    public const int ExitOk = 0;
    public const int ExitUsage = 2;

    public const string Usage = """
        usage: narguard serve --upstream URL [--listen URL] [--spool DIR] [--config FILE]
               narguard check --upstream URL HASH|PATH... (audit the cache's NARs; narguard check --help)
               narguard probe-publish --upstream URL [--profile small|closure] [--closure PATH] (push through Attic's API and read back; --help)
               narguard demo [--once]   (a broken Attic-shaped cache, straight and through the guard; needs nothing else)
               narguard healthcheck [--url URL] [--ready]   (exit 0 when the local instance answers; for container probes)

        A Nix binary-cache proxy that verifies every NAR against its narinfo before it answers 200,
        and answers 404 for anything it cannot serve intact, so Nix builds the path instead of failing.

          --upstream [NAME=]URL   the Attic cache, including its name: http://127.0.0.1:8080/main (required);
                                  repeat it for several upstreams, asked in order: --upstream attic=http://attic:8080/main
                                  --upstream nixos=https://cache.nixos.org
          --listen URL            where to listen (default http://127.0.0.1:5080)
          --spool DIR             verified NAR spool (default $XDG_CACHE_HOME/narguard)
          --config FILE           JSON settings file (default config/narguard.json beside the program)
          --upstream-host HOST    Host header sent upstream (Attic's allowed-hosts)
          --upstream-token-file F bearer token for the upstream, used when the client sends none
          --Section:Key VALUE     any other setting, e.g. --Timeouts:Stall 00:00:10

        Every setting can also come from the environment: NARGUARD_Upstream, NARGUARD_Timeouts__Stall, ...
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        stdout ??= Console.Out;
        stderr ??= Console.Error;
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await stdout.WriteLineAsync(Usage);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }
        if (args[0] == "--version")
        {
            await stdout.WriteLineAsync("narguard " + typeof(Cli).Assembly.GetName().Version);
            return ExitOk;
        }
        if (args[0] == "check")
        {
            return await Check.CheckCommand.RunAsync(args[1..], stdout, stderr);
        }
        if (args[0] == "probe-publish")
        {
            return await Publication.Probe.ProbePublishCommand.RunAsync(args[1..], stdout, stderr);
        }
        if (args[0] == "demo")
        {
            return await Demo.DemoCommand.RunAsync(args[1..], stdout, stderr);
        }
        if (args[0] == "healthcheck")
        {
            return await HealthCheckCommand.RunAsync(args[1..], stdout, stderr);
        }
        if (args[0] != "serve")
        {
            await stderr.WriteLineAsync($"narguard: unknown command '{args[0]}'.\n\n{Usage}");
            return ExitUsage;
        }

        var loaded = NarGuardConfiguration.Load(args[1..]);
        if (loaded.Options is null)
        {
            await stderr.WriteLineAsync("narguard: configuration error:");
            foreach (var error in loaded.Errors)
            {
                await stderr.WriteLineAsync("  " + error);
            }
            return ExitUsage;
        }

        await using var app = NarGuardApp.Build(loaded.Options, loaded.Configuration);
        var conflicts = await CacheInfoStartupCheck.RunAsync(app.Services.GetRequiredService<Upstream.UpstreamSet>(), loaded.Options,
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NarGuard"));
        if (conflicts.Count > 0)
        {
            await stderr.WriteLineAsync("narguard: configuration error:");
            foreach (var conflict in conflicts)
            {
                await stderr.WriteLineAsync("  " + conflict);
            }
            return ExitUsage;
        }
        try
        {
            await app.RunAsync();
        }
        catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException || ex.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            await stderr.WriteLineAsync($"narguard: cannot listen on {loaded.Options.Listen} (Listen): {ex.Message}");
            return ExitUsage;
        }
        return ExitOk;
    }
}
