using System.Runtime.InteropServices;

namespace NarGuard.Demo;

/// <summary>
/// <c>narguard demo</c>: with nothing but the .NET SDK, shows what NarGuard is for. Starts the bundled Attic-shaped
/// upstream with one healthy and many broken store paths, starts NarGuard in front of it, prints what a client gets
/// for each path straight and through the guard, and stays up for curl and nix until Ctrl-C.
/// Exit 0 when no path fails a build through NarGuard and the healthy one is still substituted, 1 otherwise.
/// </summary>
public static class DemoCommand
{
    public const int ExitOk = 0;
    public const int ExitGuardBroken = 1;
    public const int ExitUsage = 2;

    public const string Usage = """
        usage: narguard demo [--once] [--listen URL] [--upstream-listen URL] [--verbose]

        Starts a bundled Attic-shaped cache on loopback with a healthy store path and one broken path per failure
        Attic has shown (the incident's 200-with-no-bytes first), starts NarGuard in front of it, and prints side by
        side what a Nix client gets straight from the cache and through NarGuard. Then it stays up with the commands
        to try by hand, until Ctrl-C.

          --once                  print the table and exit (0 when no path fails a build through NarGuard)
          --listen URL            where NarGuard listens (default http://127.0.0.1:0, a free port)
          --upstream-listen URL   where the bundled upstream listens (default http://127.0.0.1:0)
          --verbose               show NarGuard's log lines, among them one "NAR rejected" line per broken path
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var once = false;
        var verbose = false;
        var listen = "http://127.0.0.1:0";
        var upstreamListen = "http://127.0.0.1:0";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--once":
                    once = true;
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--listen" when i + 1 < args.Length:
                    listen = args[++i];
                    break;
                case "--upstream-listen" when i + 1 < args.Length:
                    upstreamListen = args[++i];
                    break;
                case "-h" or "--help":
                    await stdout.WriteLineAsync(Usage);
                    return ExitOk;
                default:
                    await stderr.WriteLineAsync($"narguard demo: unknown or incomplete argument '{args[i]}'.\n\n{Usage}");
                    return ExitUsage;
            }
        }
        if (!IsLoopbackHttpUrl(upstreamListen))
        {
            // The emulator serves broken objects on purpose and has a fault-control API: never expose it.
            await stderr.WriteLineAsync($"narguard demo: --upstream-listen must be an http:// URL on a loopback address, got '{upstreamListen}'.");
            return ExitUsage;
        }

        await stdout.WriteLineAsync("narguard demo: starting the bundled Attic-shaped upstream and NarGuard in front of it...");
        DemoSession session;
        try
        {
            session = await DemoSession.StartAsync(listen, upstreamListen, verbose);
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UriFormatException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"narguard demo: cannot start: {ex.Message}");
            return ExitUsage;
        }

        await using (session)
        {
            await stdout.WriteLineAsync($"  upstream (Attic-shaped, faults injected): {session.UpstreamCacheUrl}");
            await stdout.WriteLineAsync($"  NarGuard:                                 {session.ProxyCacheUrl}");
            await stdout.WriteLineAsync($"  fetching {DemoCase.All.Count} store paths both ways (stalls take {DemoSession.ClientStall.TotalSeconds:0} s)...");
            await stdout.WriteLineAsync();

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromMinutes(2));
            var report = await session.RunAsync(deadline.Token);
            await stdout.WriteLineAsync(DemoTable.Render(report));
            var exit = report.GuardHolds ? ExitOk : ExitGuardBroken;
            if (once)
            {
                return exit;
            }

            await stdout.WriteLineAsync(DemoHints.Render(report, DemoHints.OnPath("nix-store")));
            await stdout.WriteLineAsync("Both servers stay up until Ctrl-C.");
            await stdout.FlushAsync(cancellationToken);
            await WaitForStopAsync(cancellationToken);
            await stdout.WriteLineAsync("narguard demo: stopping.");
            return exit;
        }
    }

    private static async Task WaitForStopAsync(CancellationToken cancellationToken)
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // stop ourselves, cleanly: the spool's temp directory is removed on the way out
            stop.TrySetResult();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        await using var registration = cancellationToken.Register(() => stop.TrySetResult());
        await stop.Task;
    }

    private static bool IsLoopbackHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
        && (uri.IsLoopback || uri.Host == "localhost");
}
