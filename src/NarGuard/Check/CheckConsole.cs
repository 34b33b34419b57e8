namespace NarGuard.Check;

/// <summary>
/// What <c>narguard check</c> talks to: streams, whether stdout is a terminal, and the environment. The real
/// console in production; writers, a reader and a dictionary in tests, which run in parallel and must not share
/// Console or process environment variables.
/// </summary>
public sealed record CheckConsole(TextWriter Out, TextWriter Error, TextReader In, bool IsTerminal, int Width, Func<string, string?> GetEnvironmentVariable)
{
    /// <summary>The process console. Not a terminal when stdout is redirected (a pipe, a file, CI).</summary>
    /// <summary>Runs a command against the process console; Ctrl+C cancels the token instead of killing the process.</summary>
    public static async Task<int> RunInterruptibleAsync(Func<CheckConsole, CancellationToken, Task<int>> run, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await run(FromProcess(stdout, stderr), cancel.Token).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    public static CheckConsole FromProcess(TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var realOut = stdout is null || ReferenceEquals(stdout, Console.Out);
        var terminal = realOut && !Console.IsOutputRedirected;
        return new CheckConsole(stdout ?? Console.Out, stderr ?? Console.Error, Console.In, terminal, terminal ? WindowWidth() : 0, Environment.GetEnvironmentVariable);
    }

    private static int WindowWidth()
    {
        try
        {
            return Console.WindowWidth is > 0 and var width ? width : 100;
        }
        catch (IOException)
        {
            return 100;
        }
    }
}
