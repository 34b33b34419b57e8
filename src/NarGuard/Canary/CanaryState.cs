using NarGuard.Check;

namespace NarGuard.Canary;

/// <summary>The canary's last run, read by /readyz and the metrics.</summary>
public sealed class CanaryState
{
    private volatile CanaryRun? _last;

    public CanaryState(IReadOnlyList<string> storeHashes) => StoreHashes = storeHashes;

    /// <summary>The store hashes the canary checks (empty: the canary is off).</summary>
    public IReadOnlyList<string> StoreHashes { get; }

    public bool IsConfigured => StoreHashes.Count > 0;

    public CanaryRun? Last => _last;

    public event Action<CanaryRun>? Completed;

    public void Record(CanaryRun run)
    {
        _last = run;
        Completed?.Invoke(run);
    }
}

/// <summary>One canary run: every path's verdict, as `narguard check` reports it.</summary>
public sealed record CanaryRun(IReadOnlyList<PathCheckResult> Results, DateTimeOffset FinishedAt)
{
    public int Broken => Results.Count(r => !r.IsOk);
}
