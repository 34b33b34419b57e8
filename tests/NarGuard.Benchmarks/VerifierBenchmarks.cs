using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using NarGuard.Core.Hashing;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;
using ZstdSharp;

namespace NarGuard.Benchmarks;

/// <summary>
/// Issue #5, "verifier alone": NarVerifier.VerifyAsync (copyTo null) on a 512 MiB NAR in Attic's multi-frame zstd,
/// against the native pipeline <c>zstd -dc | sha256sum</c> on the same bytes (the baseline; BenchmarkDotNet's Ratio
/// column is time / baseline time, so throughput ratio = 1 / Ratio). The other rows split the verifier's time into
/// its two core-bound stages and show what a two-thread pipeline would gain. The body is read from memory, the
/// native tools read it from the page cache: neither measures the disk.
/// Data: NARGUARD_BENCH_DATA/verifier.nar and verifier.nar.zst (bench/run.sh writes them with make-nar).
/// </summary>
[MemoryDiagnoser]
public class VerifierBenchmarks
{
    private const int BufferSize = NarVerifier.BufferSize;
    private byte[] _body = [];
    private byte[] _nar = [];
    private NarExpectation _expected = null!;
    private string _narFile = "";
    private string _bodyFile = "";

    [GlobalSetup]
    public void Setup()
    {
        var dir = Environment.GetEnvironmentVariable("NARGUARD_BENCH_DATA")
            ?? throw new InvalidOperationException("set NARGUARD_BENCH_DATA to the directory holding verifier.nar and verifier.nar.zst");
        _narFile = Path.Combine(dir, "verifier.nar");
        _bodyFile = Path.Combine(dir, "verifier.nar.zst");
        _nar = File.ReadAllBytes(_narFile);
        _body = File.ReadAllBytes(_bodyFile);
        _expected = new NarExpectation(NarCompression.Zstd, new NixHash(SHA256.HashData(_nar)), _nar.LongLength);
    }

    [Benchmark(Baseline = true, Description = "native: zstd -dc | sha256sum")]
    public void NativePipeline() => Shell($"zstd -qdc '{_bodyFile}' | sha256sum >/dev/null");

    [Benchmark(Description = "NarVerifier.VerifyAsync (copyTo null)")]
    public async Task<long> Verifier()
    {
        using var body = new MemoryStream(_body, writable: false);
        var result = await NarVerifier.VerifyAsync(body, _expected, copyTo: null, CancellationToken.None);
        return result.IsValid ? result.NarBytes : throw new InvalidOperationException($"verification failed: {result.Reason} {result.Detail}");
    }

    [Benchmark(Description = "stage: ZstdSharp decompress only")]
    public long ZstdOnly()
    {
        using var body = new MemoryStream(_body, writable: false);
        using var zstd = new DecompressionStream(body, BufferSize, checkEndOfStream: true);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        long total = 0;
        int n;
        while ((n = zstd.Read(buffer, 0, BufferSize)) > 0)
        {
            total += n;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        return total;
    }

    [Benchmark(Description = "stage: SHA-256 only (IncrementalHash, 128 KiB)")]
    public byte[] Sha256Only()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int offset = 0; offset < _nar.Length; offset += BufferSize)
        {
            hash.AppendData(_nar, offset, Math.Min(BufferSize, _nar.Length - offset));
        }
        return hash.GetHashAndReset();
    }

    [Benchmark(Description = "stages in a row, one thread, no tap (sync Read)")]
    public byte[] StagesInARow()
    {
        // The verifier's loop without SourceTap, async reads and the size guard: Verifier minus this is their cost.
        using var body = new MemoryStream(_body, writable: false);
        using var zstd = new DecompressionStream(body, BufferSize, checkEndOfStream: true);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        int n;
        while ((n = zstd.Read(buffer, 0, BufferSize)) > 0)
        {
            hash.AppendData(buffer, 0, n);
        }
        ArrayPool<byte>.Shared.Return(buffer);
        return hash.GetHashAndReset();
    }

    [Benchmark(Description = "what-if: decompress and hash on two threads")]
    public async Task<byte[]> TwoThreadPipeline()
    {
        // Not NarGuard code: the upper bound of overlapping the two stages, for the lead's decision.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * BufferSize, resumeWriterThreshold: 2 * BufferSize, useSynchronizationContext: false));
        var producer = Task.Run(async () =>
        {
            using var body = new MemoryStream(_body, writable: false);
            using var zstd = new DecompressionStream(body, BufferSize, checkEndOfStream: true);
            while (true)
            {
                var memory = pipe.Writer.GetMemory(BufferSize);
                int n = zstd.Read(memory.Span);
                if (n == 0)
                {
                    break;
                }
                pipe.Writer.Advance(n);
                await pipe.Writer.FlushAsync();
            }
            await pipe.Writer.CompleteAsync();
        });
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        while (true)
        {
            var read = await pipe.Reader.ReadAsync();
            foreach (var segment in read.Buffer)
            {
                hash.AppendData(segment.Span);
            }
            pipe.Reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }
        await producer;
        return hash.GetHashAndReset();
    }

    [Benchmark(Description = "what-if: native libzstd decompress only")]
    public long NativeLibZstdOnly() => NativeZstd.Decompress(_body, BufferSize, consume: null);

    [Benchmark(Description = "what-if: native libzstd + SHA-256, one thread")]
    public byte[] NativeLibZstdAndSha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        NativeZstd.Decompress(_body, BufferSize, (buffer, n) => hash.AppendData(buffer, 0, n));
        return hash.GetHashAndReset();
    }

    [Benchmark(Description = "native stage: zstd -dc only")]
    public void NativeZstdOnly() => Shell($"zstd -qdc '{_bodyFile}' >/dev/null");

    [Benchmark(Description = "native stage: sha256sum only")]
    public void NativeSha256sumOnly() => Shell($"sha256sum '{_narFile}' >/dev/null");

    [Benchmark(Description = "native, SHA-NI: zstd -dc | openssl sha256")]
    public void NativePipelineOpenSsl() => Shell($"zstd -qdc '{_bodyFile}' | openssl dgst -sha256 >/dev/null");

    private static void Shell(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "set -e; " + command]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("cannot start /bin/sh");
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(command);
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' exited {process.ExitCode}");
        }
    }
}
