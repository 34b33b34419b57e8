using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using NarGuard.Configuration;
using NarGuard.Storage;

namespace NarGuard.Tests.Health;

/// <summary>
/// A real S3-compatible server (s3rver 3.7.1 from tests/s3rver, installed by <c>npm ci --prefix tests/s3rver</c>) on a
/// free loopback port, with its own data directory. Stopped by the process id it was started with.
/// </summary>
public sealed class S3rverServer : IAsyncDisposable
{
    /// <summary>s3rver's built-in credentials; requests signed with anything else get InvalidAccessKeyId.</summary>
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private S3rverServer(Process process, ConcurrentQueue<string> output, string endpoint, string dataDir)
    {
        _process = process;
        _output = output;
        Endpoint = endpoint;
        DataDir = dataDir;
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string Endpoint { get; }

    public string DataDir { get; }

    /// <summary>Starts s3rver with <paramref name="buckets"/> created at startup (--configure-bucket).</summary>
    public static async Task<S3rverServer> StartAsync(params string[] buckets)
    {
        var executable = await EnsureInstalledAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), "narguard-s3rver-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var start = new ProcessStartInfo(executable)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var arg in new[] { "-d", dataDir, "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-a", "127.0.0.1" })
            {
                start.ArgumentList.Add(arg);
            }
            foreach (var bucket in buckets)
            {
                start.ArgumentList.Add("--configure-bucket");
                start.ArgumentList.Add(bucket);
            }
            var output = new ConcurrentQueue<string>();
            var process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start");
            process.OutputDataReceived += (_, e) => Keep(output, e.Data);
            process.ErrorDataReceived += (_, e) => Keep(output, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new S3rverServer(process, output, $"http://127.0.0.1:{port}", dataDir);
            if (await server.WaitListeningAsync(port, TimeSpan.FromSeconds(30)))
            {
                return server;
            }
            var log = string.Join("\n", output);
            await server.StopAsync();
            if (attempt == 2)
            {
                Directory.Delete(dataDir, recursive: true);
                throw new InvalidOperationException("s3rver did not start listening:\n" + log);
            }
        }
    }

    /// <summary>A client with the probe's own settings (path style, s3rver's credentials).</summary>
    public AmazonS3Client CreateClient()
    {
        var options = new NarGuardOptions { Storage = { Endpoint = Endpoint, AccessKey = AccessKey, SecretKey = SecretKey } };
        return StorageClientFactory.Create(options, StorageCredentials.Resolve(options.Storage, _ => null)!);
    }

    /// <summary>Points the proxy's Storage settings at this server; the schedule is an hour so tests drive the probe.</summary>
    public void Configure(NarGuardOptions options, params string[] buckets)
    {
        options.Storage.Endpoint = Endpoint;
        options.Storage.Buckets = [.. buckets];
        options.Storage.AccessKey = AccessKey;
        options.Storage.SecretKey = SecretKey;
        options.Storage.ProbeInterval = TimeSpan.FromHours(1);
    }

    public string Output => string.Join("\n", _output);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Only the process this fixture started, and whatever it started itself.
                _process.Kill(entireProcessTree: true);
            }
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(exited.Token);
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _process.Dispose();
        }
    }

    private async Task<bool> WaitListeningAsync(int port, TimeSpan limit)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                return false;
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        return false;
    }

    private static void Keep(ConcurrentQueue<string> output, string? line)
    {
        if (line is null)
        {
            return;
        }
        output.Enqueue(line);
        while (output.Count > 200 && output.TryDequeue(out _))
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>tests/s3rver/node_modules/.bin/s3rver, running <c>npm ci</c> once when it is missing.</summary>
    private static async Task<string> EnsureInstalledAsync()
    {
        var dir = Path.Combine(RepositoryRoot(), "tests", "s3rver");
        var executable = Path.Combine(dir, "node_modules", ".bin", "s3rver");
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(executable))
            {
                return executable;
            }
            var npm = new ProcessStartInfo("npm") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "ci", "--prefix", dir, "--no-audit", "--no-fund" })
            {
                npm.ArgumentList.Add(arg);
            }
            using var process = Process.Start(npm) ?? throw new InvalidOperationException("npm did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0 || !File.Exists(executable))
            {
                throw new InvalidOperationException($"s3rver is not installed and 'npm ci --prefix {dir}' failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
            }
            return executable;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"s3rver is not installed ({executable}) and npm is not on PATH; run: npm ci --prefix tests/s3rver", ex);
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Proxy.sln not found above " + AppContext.BaseDirectory);
    }
}
