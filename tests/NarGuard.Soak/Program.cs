using System.Diagnostics;
using AtticEmulator;
using NarGuard.Soak;

// narguard-soak: the proxy (a child process) in front of the fault-injecting Attic emulator (in this process),
// hammered by concurrent clients that verify every 200. Exit 0 only when nothing bad got through.
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (FormatException ex)
{
    Console.Error.WriteLine($"narguard-soak: {ex.Message}\n{SoakOptions.Usage}");
    return 2;
}

var spool = Path.Combine(Path.GetTempPath(), "narguard-soak-" + Guid.NewGuid().ToString("N"));
// Stalls outlast the proxy's Timeouts:Stall, so a stalled NAR is the proxy's timeout to take, not the emulator's.
await using var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions { StallDuration = TimeSpan.FromSeconds(60), ChunkSize = 32 * 1024 });
var random = new Random(4711);
var objects = Enumerable.Range(0, options.Paths)
    .Select(i => attic.Add(SoakPaths.Make(random, i), SoakPaths.Nar(random, 20_000 + random.Next(400_000))))
    .ToList();
var settings = new[]
{
    // Small spool, short caches and quarantine: the upstream (and its faults) stay in the path all the time.
    "--Spool:MaxBytes", (16 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
    "--NarInfoCache:Ttl", "00:00:01",
    "--Quarantine:Ttl", "00:00:02",
    "--Timeouts:Stall", "00:00:02",
    "--Timeouts:Nar", $"00:00:{(int)options.NarTimeout.TotalSeconds:00}",
};
await using var proxy = await ProxyProcess.StartAsync(options.NarGuardDll, attic.CacheUrl, spool, settings);
var cacheUrl = proxy.BaseUrl + "/main";
Console.WriteLine($"soak: narguard pid {proxy.Pid} at {proxy.BaseUrl}, {options.Clients} clients, {options.Duration.TotalSeconds:0} s, {options.Paths} paths, {options.BrokenShare:P0} broken at any time");

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients * 2, UseProxy = false, AutomaticDecompression = System.Net.DecompressionMethods.None })
{
    // The proxy answers within Timeouts:Nar; past that plus a margin, the request was left hanging.
    Timeout = options.NarTimeout + TimeSpan.FromSeconds(15),
};
var before = await Metrics.ScrapeAsync(http, proxy.BaseUrl);
var tally = new SoakTally();
// Warm up before the first descriptor count: .NET keeps every loaded assembly open, and the first NARs load more.
var warmup = new SoakTally();
foreach (var obj in objects.Take(20))
{
    await new SoakClient(http, cacheUrl, [obj], warmup).RunAsync(0, DateTime.UtcNow);
    using var _ = await http.GetAsync($"{cacheUrl}/nar/{obj.StoreHash}.nar");
}
before = await Metrics.ScrapeAsync(http, proxy.BaseUrl);
var fdStart = proxy.OpenFiles();
long maxRss = proxy.RssBytes();
var clock = Stopwatch.StartNew();
var deadline = DateTime.UtcNow + options.Duration;

using var stop = new CancellationTokenSource();
var rotation = Task.Run(async () =>
{
    Fault[] faults = [Fault.Empty, Fault.Truncated, Fault.Corrupt, Fault.Stall, Fault.Reset, Fault.NarServerError];
    var round = 0;
    // Bounded by the soak's deadline (stop is cancelled when the clients finish).
    while (!stop.IsCancellationRequested)
    {
        var broken = new HashSet<int>(Enumerable.Range(0, objects.Count).OrderBy(_ => random.Next()).Take((int)(objects.Count * options.BrokenShare)));
        for (var i = 0; i < objects.Count; i++)
        {
            // Rotating: each broken path gets the next fault in turn, and a different set is broken every round.
            attic.SetFault(objects[i].StoreHash, broken.Contains(i) ? faults[(i + round) % faults.Length] : Fault.Healthy);
        }
        round++;
        maxRss = Math.Max(maxRss, proxy.RssBytes());
        try
        {
            await Task.Delay(options.RotateEvery, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
    return round;
});
var sampler = Task.Run(async () =>
{
    while (!stop.IsCancellationRequested)
    {
        maxRss = Math.Max(maxRss, proxy.RssBytes());
        try
        {
            await Task.Delay(500, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
});

await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(c => new SoakClient(http, cacheUrl, objects, tally).RunAsync(c, deadline)));
await stop.CancelAsync();
var rounds = await rotation;
await sampler;
var elapsed = clock.Elapsed;

// Let connections and in-flight fetches wind down before counting descriptors again (bounded).
http.Dispose();
var fdEnd = proxy.OpenFiles();
for (var i = 0; i < 40 && fdEnd > fdStart + options.FdSlack; i++)
{
    await Task.Delay(250);
    fdEnd = proxy.OpenFiles();
}
using var scrapeClient = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
var after = await Metrics.ScrapeAsync(scrapeClient, proxy.BaseUrl);

var report = new SoakReport(options, tally, before, after, rounds, elapsed, maxRss, fdStart, fdEnd);
report.Print(Console.Out);
await proxy.DisposeAsync();
try
{
    Directory.Delete(spool, recursive: true);
}
catch (IOException)
{
}
return report.Violations.Count == 0 ? 0 : 1;
