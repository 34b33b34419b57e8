namespace NarGuard.Check;

/// <summary>Totals of one check run, and the exit code they mean.</summary>
public sealed record CheckSummary(int Total, int Ok, int Broken, IReadOnlyDictionary<string, int> ByStatus, long Bytes, TimeSpan Elapsed)
{
    /// <summary>0 when every path is intact, 1 when any is broken.</summary>
    public int ExitCode => Broken == 0 ? CheckCommand.ExitOk : CheckCommand.ExitBroken;

    public static CheckSummary Of(IReadOnlyList<PathCheckResult> results, TimeSpan elapsed)
    {
        var byStatus = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long bytes = 0;
        foreach (var result in results)
        {
            byStatus[result.Status] = byStatus.GetValueOrDefault(result.Status) + 1;
            bytes += result.Bytes;
        }
        var ok = byStatus.GetValueOrDefault(PathCheckResult.OkStatus);
        return new CheckSummary(results.Count, ok, results.Count - ok, byStatus, bytes, elapsed);
    }
}
