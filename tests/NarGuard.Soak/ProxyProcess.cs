using System.Diagnostics;

namespace NarGuard.Soak;

/// <summary>The proxy under test as a child process, with /proc probes for its memory and file descriptors.</summary>
internal sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ProxyProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public int Pid => _process.Id;

    public static async Task<ProxyProcess> StartAsync(string dll, string upstream, string spool, IEnumerable<string> settings)
    {
        // Logging stays at Warning (one line per request would make the soak a logging benchmark), so the
        // "listening" line is not printed: pick a free port here and wait for /healthz instead.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var baseUrl = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "serve", "--upstream", upstream, "--spool", spool, "--listen", baseUrl }.Concat(settings))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["NARGUARD_Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, _) => { };
        // Rejections are logged at Warning, thousands of them: the metrics are what the soak checks.
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var health = await http.GetAsync(baseUrl + "/healthz");
                if (health.IsSuccessStatusCode)
                {
                    return new ProxyProcess(process, baseUrl);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            if (process.HasExited)
            {
                break;
            }
            await Task.Delay(200);
        }
        if (!process.HasExited)
        {
            process.Kill();
        }
        throw new InvalidOperationException("narguard did not answer /healthz within 60 s");
    }

    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return 0;
    }

    /// <summary>
    /// Open descriptors of files (spool bodies, temp files, narinfos, assemblies): what a missing Dispose leaks. Sockets,
    /// pipes and eventfds are left out: keep-alive pools (idle for up to 60 s) and a grown thread pool outlive the load.
    /// </summary>
    public int OpenFiles()
    {
        var count = 0;
        foreach (var fd in Directory.GetFileSystemEntries($"/proc/{Pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith('/'))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed between the listing and the read: not open any more.
            }
        }
        return count;
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token);
        }
        _process.Dispose();
    }
}
