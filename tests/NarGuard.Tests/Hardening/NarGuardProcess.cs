using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NarGuard.Tests.Hardening;

/// <summary>
/// The real narguard program (narguard.dll beside the tests) as a child process, so a test can kill -9 it.
/// Only the process this class started is ever signalled, by its id.
/// </summary>
public sealed partial class NarGuardProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private NarGuardProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public int Pid => _process.Id;

    public IReadOnlyList<string> Output
    {
        get { lock (_output) { return [.. _output]; } }
    }

    public static async Task<NarGuardProcess> StartAsync(string upstream, string spool, params string[] extra)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "narguard.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "serve", "--upstream", upstream, "--spool", spool, "--listen", "http://127.0.0.1:0" }.Concat(extra))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (lines)
            {
                lines.Add(line);
            }
            if (ListeningLine().Match(line) is { Success: true } match)
            {
                listening.TrySetResult(match.Groups[1].Value);
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (started != listening.Task)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            throw new InvalidOperationException("narguard did not start: " + string.Join("\n", lines));
        }
        var result = new NarGuardProcess(process, listening.Task.Result.TrimEnd('/'));
        lock (lines)
        {
            result._output.AddRange(lines);
        }
        process.OutputDataReceived += (_, e) => { if (e.Data is { } l) { lock (result._output) { result._output.Add(l); } } };
        return result;
    }

    /// <summary>SIGKILL: no shutdown hook runs, open files stay as they are on disk.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill(entireProcessTree: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillHardAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"NarGuard listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
