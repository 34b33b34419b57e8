using NarGuard.Configuration;
using NarGuard.Core.Spool;

namespace NarGuard.Health;

/// <summary>
/// Readiness of the spool: a small file can be created, written, flushed and deleted in its tmp/ directory, the
/// same directory every verified NAR passes through. A full disk or a read-only mount fails here before a NAR
/// fetch has to discover it. Results are reused for Health:CheckCacheTtl.
/// </summary>
public sealed class SpoolReadiness
{
    private readonly NarSpool _spool;
    private readonly TimeProvider _time;
    private readonly CachedCheck _check;

    public SpoolReadiness(NarSpool spool, NarGuardOptions options, TimeProvider time)
    {
        _spool = spool;
        _time = time;
        _check = new CachedCheck(() => Task.FromResult(Evaluate()), options.Health.CheckCacheTtl, time);
    }

    public Task<CheckResult> CheckAsync() => _check.GetAsync();

    private CheckResult Evaluate()
    {
        // The spool sweeps tmp/ at start, so a probe file left by a crash here does not accumulate.
        var path = Path.Combine(_spool.Root, "tmp", $"readyz-{Guid.NewGuid():N}.probe");
        try
        {
            using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                stream.Write("narguard readiness probe\n"u8);
                stream.Flush(flushToDisk: true);
            }
            File.Delete(path);
            return new CheckResult(true, "spool tmp/ is writable", _time.GetUtcNow());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(path);
            return new CheckResult(false, $"spool tmp/ is not writable: {ex.GetType().Name}: {ex.Message}", _time.GetUtcNow(), "spool_write");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the next start sweeps tmp/.
        }
    }
}
