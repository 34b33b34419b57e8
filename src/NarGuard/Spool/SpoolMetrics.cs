using System.Diagnostics.Metrics;
using NarGuard.Core.Spool;

namespace NarGuard.Spool;

/// <summary>The spool integrity instrument on NarGuard's Meter.</summary>
public static class SpoolMetrics
{
    public static void Register(Meter meter, NarSpool spool) =>
        meter.CreateObservableCounter("narguard.spool.damaged", () => Measurements(spool), "{nar}",
            "Spool entries dropped as damaged, by the check that found them: stat (size or mtime changed), scrub (content no longer verifies) or commit (could not be made durable: disk full, I/O error).");

    private static IEnumerable<Measurement<long>> Measurements(NarSpool spool)
    {
        yield return new Measurement<long>(spool.DamagedOnLookup, new KeyValuePair<string, object?>("narguard.check", "stat"));
        yield return new Measurement<long>(spool.DamagedOnScrub, new KeyValuePair<string, object?>("narguard.check", "scrub"));
        yield return new Measurement<long>(spool.DurabilityFailures, new KeyValuePair<string, object?>("narguard.check", "commit"));
    }
}
