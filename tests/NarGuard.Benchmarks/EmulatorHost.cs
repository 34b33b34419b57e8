using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using AtticEmulator;

namespace NarGuard.Benchmarks;

/// <summary>
/// <c>narguard-bench host --object NAME=SIZE[xCOUNT]... --manifest FILE [--listen URL]</c>: the Attic emulator
/// (tests/AtticEmulator, its public API only) in this process, serving generated NARs of any size. COUNT store
/// paths share one NAR array: the emulator keeps a NAR and its compressed body per path, so 8 distinct 1 GiB NARs
/// would need about 12 GiB, while 8 paths of one 1 GiB NAR need the NAR once plus 8 compressed bodies.
/// Every path is served cold exactly like a distinct NAR (its own narinfo, its own URL, its own single-flight key).
/// Writes one manifest line per path: <c>name index storeHash storePath narSize bodyBytes</c>, then prints
/// <c>listening on URL</c>; SIGTERM or Ctrl+C stops it.
/// </summary>
public static class EmulatorHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var listen = "http://127.0.0.1:0";
        string? manifest = null;
        var objects = new List<(string Name, long Size, int Count)>();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--listen": listen = Value(); break;
                case "--manifest": manifest = Value(); break;
                case "--object": objects.Add(ParseObject(Value())); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if (manifest is null || objects.Count == 0)
        {
            throw new ArgumentException("host needs --manifest FILE and at least one --object NAME=SIZE[xCOUNT]");
        }

        await using var server = await AtticEmulatorServer.StartAsync(new EmulatorOptions { Listen = new Uri(listen) });
        var lines = new List<string>();
        foreach (var (name, size, count) in objects)
        {
            var nar = NarGenerator.Create(name, size);
            var added = new StoreObject[count];
            // Compressing is the slow part of start-up (managed zstd, about 100-200 MB/s a core): one path per core.
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                index => added[index] = server.Add(BenchStorePaths.For(name, index), nar));
            for (int index = 0; index < count; index++)
            {
                var obj = added[index];
                lines.Add(string.Join(' ', name, index.ToString(CultureInfo.InvariantCulture), obj.StoreHash, obj.StorePath,
                    obj.NarSize.ToString(CultureInfo.InvariantCulture), obj.Body.LongLength.ToString(CultureInfo.InvariantCulture)));
            }
            Console.Error.WriteLine($"narguard-bench host: {count} x {name} ({nar.LongLength} NAR bytes, {added[0].Body.LongLength} body bytes)");
        }
        await File.WriteAllLinesAsync(manifest, lines);

        // The compressor's growing MemoryStreams leave large garbage behind: give it back before anyone measures.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        var stop = new TaskCompletionSource();
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        Console.WriteLine($"listening on {server.BaseUrl}");
        Console.Out.Flush();
        await stop.Task;
        return 0;
    }

    private static (string, long, int) ParseObject(string spec)
    {
        // NAME=SIZE or NAME=SIZExCOUNT, e.g. cold=256MiBx10
        var eq = spec.IndexOf('=');
        if (eq <= 0)
        {
            throw new ArgumentException($"--object must be NAME=SIZE[xCOUNT], not '{spec}'");
        }
        var name = spec[..eq];
        var rest = spec[(eq + 1)..];
        var x = rest.LastIndexOf('x');
        var count = x > 0 ? int.Parse(rest[(x + 1)..], CultureInfo.InvariantCulture) : 1;
        var size = NarGenerator.ParseSize(x > 0 ? rest[..x] : rest);
        if (count <= 0 || size < 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"--object '{spec}': NAME is [A-Za-z0-9_-]+, SIZE >= 0, COUNT > 0");
        }
        return (name, size, count);
    }
}
