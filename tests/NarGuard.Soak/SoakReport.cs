namespace NarGuard.Soak;

/// <summary>The pass/fail rules of the soak, and the summary it prints.</summary>
internal sealed class SoakReport
{
    private readonly List<string> _lines = [];
    private readonly List<string> _examples = [];

    public SoakReport(SoakOptions options, SoakTally tally, Metrics before, Metrics after, int rounds, TimeSpan elapsed, long maxRss, int fdStart, int fdEnd)
    {
        long Delta(string name, params (string, string)[] labels) => after.Sum(name, labels) - before.Sum(name, labels);

        _lines.Add($"soak: {elapsed.TotalSeconds:0} s, {options.Clients} clients, {rounds} fault rotations");
        _lines.Add($"  requests {tally.Requests} ({tally.Requests / elapsed.TotalSeconds:0}/s), slowest {tally.MaxLatencyMs} ms (hang limit {(options.NarTimeout + TimeSpan.FromSeconds(15)).TotalMilliseconds:0} ms)");
        _lines.Add($"  narinfo: {tally.NarInfoOk} ok, {tally.NarInfoNotFound} 404");
        _lines.Add($"  NAR: {tally.NarOk} verified 200s ({tally.BytesVerified / 1048576.0:0} MiB checked by the client), {tally.NarNotFound} 404s, {tally.Aborted200} 200s aborted mid-body");
        _lines.Add("  NAR 404s by reason (client / metric): " + string.Join(", ",
            tally.NarNotFoundByReason.Keys.Union(after.LabelValues("narguard_nar_rejections_total", "narguard_reason")).Order()
                .Select(r => $"{r} {tally.NarNotFoundByReason.GetValueOrDefault(r)}/{Delta("narguard_nar_rejections_total", ("narguard_reason", r))}")));
        _lines.Add($"  proxy: max RSS {maxRss / 1048576.0:0} MiB (limit {options.MaxRssBytes / 1048576} MiB), open file descriptors {fdStart} before, {fdEnd} after");

        _examples.AddRange(tally.Examples);
        foreach (var (kind, count) in tally.Violations)
        {
            Violations.Add($"{count} × {kind}");
        }
        if (maxRss > options.MaxRssBytes)
        {
            Violations.Add($"RSS {maxRss / 1048576} MiB over the limit");
        }
        if (fdEnd > fdStart + options.FdSlack)
        {
            Violations.Add($"file descriptors grew from {fdStart} to {fdEnd}");
        }
        // Every NAR 404 the clients got is a counted answer, and every reason they saw was recorded as a rejection.
        var counted404 = Delta("narguard_requests_total", ("narguard_route", "nar"), ("narguard_outcome", "not_found"));
        if (counted404 != tally.NarNotFound)
        {
            Violations.Add($"clients got {tally.NarNotFound} NAR 404s, narguard_requests_total counted {counted404}");
        }
        var countedNarInfo404 = Delta("narguard_requests_total", ("narguard_route", "narinfo"), ("narguard_outcome", "not_found"));
        if (countedNarInfo404 != tally.NarInfoNotFound)
        {
            Violations.Add($"clients got {tally.NarInfoNotFound} narinfo 404s, narguard_requests_total counted {countedNarInfo404}");
        }
        foreach (var (reason, seen) in tally.NarNotFoundByReason)
        {
            // Concurrent requests for one failing NAR share one fetch and one rejection (single-flight), so the metric
            // may be lower than the responses, never zero and never higher.
            var metric = Delta("narguard_nar_rejections_total", ("narguard_reason", reason));
            if (metric == 0 || metric > seen)
            {
                Violations.Add($"reason {reason}: clients saw {seen}, narguard_nar_rejections_total says {metric}");
            }
        }
        if (tally.NarOk == 0 || tally.NarNotFound == 0)
        {
            Violations.Add("the soak exercised nothing: no verified NAR or no rejection");
        }
    }

    public List<string> Violations { get; } = [];

    public void Print(TextWriter output)
    {
        foreach (var line in _lines)
        {
            output.WriteLine(line);
        }
        foreach (var line in Violations)
        {
            output.WriteLine("  VIOLATION: " + line);
        }
        foreach (var example in _examples)
        {
            output.WriteLine("    e.g. " + example);
        }
        output.WriteLine(Violations.Count == 0 ? "soak: PASS" : $"soak: FAIL ({Violations.Count} violations)");
    }
}
