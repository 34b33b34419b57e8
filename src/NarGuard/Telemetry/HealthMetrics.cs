using System.Diagnostics.Metrics;
using NarGuard.Resilience;
using NarGuard.Storage;

namespace NarGuard.Telemetry;

/// <summary>
/// The health instruments on NarGuard's Meter: the upstream circuit's state and the storage bucket-index probe.
/// Kept apart from <see cref="NarGuardTelemetry"/> so the request-path instruments do not depend on them.
/// </summary>
public static class HealthMetrics
{
    private static readonly (UpstreamCircuitState State, string Label)[] CircuitStates =
    [
        (UpstreamCircuitState.Closed, "closed"),
        (UpstreamCircuitState.HalfOpen, "half_open"),
        (UpstreamCircuitState.Open, "open"),
    ];

    public static void Register(NarGuardTelemetry telemetry, IReadOnlyList<UpstreamCircuit> circuits, StorageHealth storage, Canary.CanaryState canary)
    {
        var meter = telemetry.Meter;
        if (canary.IsConfigured)
        {
            meter.CreateObservableGauge("narguard.canary.paths", () => CanaryMeasurements(canary), "{path}",
                "Canary paths by the last run's verdict (narguard.result = ok or the rejection reason).");
            var runs = meter.CreateCounter<long>("narguard.canary.runs", "{run}", "Canary runs, by whether every path was intact.");
            canary.Completed += run => runs.Add(1, new KeyValuePair<string, object?>("narguard.result", run.Broken == 0 ? "ok" : "broken"));
        }
        // One series per state, 1 for the current one: "is it open?" is then a plain comparison in an alert.
        meter.CreateObservableGauge("narguard.upstream.circuit.state", () => circuits.SelectMany(CircuitMeasurements), "{state}",
            "1 for each upstream circuit's current state (closed, half_open, open), 0 for the others; one set per upstream (narguard.upstream).");

        if (!storage.IsConfigured)
        {
            return;
        }
        // No value before the first probe: "unknown" must not read as healthy or as failing.
        meter.CreateObservableGauge("narguard.storage.probe.status", () => ProbeMeasurements(storage), "1",
            "1 while the storage bucket-index probe passes, 0 while it fails (label narguard.check names the failing check).");
        var probes = meter.CreateCounter<long>("narguard.storage.probes", "{probe}", "Storage probe runs, by result and failing check.");
        storage.Probed += result => probes.Add(1,
            new KeyValuePair<string, object?>("narguard.result", result.Ok ? "ok" : "failed"),
            new KeyValuePair<string, object?>("narguard.check", result.FailedCheck ?? "none"));
    }

    private static IEnumerable<Measurement<int>> CircuitMeasurements(UpstreamCircuit circuit)
    {
        var current = circuit.State;
        foreach (var (state, label) in CircuitStates)
        {
            yield return new Measurement<int>(state == current ? 1 : 0, new KeyValuePair<string, object?>("state", label), new KeyValuePair<string, object?>("narguard.upstream", circuit.Name));
        }
    }

    private static IEnumerable<Measurement<int>> CanaryMeasurements(Canary.CanaryState canary)
    {
        if (canary.Last is not { } last)
        {
            yield break;
        }
        foreach (var group in last.Results.GroupBy(r => r.Status))
        {
            yield return new Measurement<int>(group.Count(), new KeyValuePair<string, object?>("narguard.result", group.Key));
        }
    }

    private static IEnumerable<Measurement<int>> ProbeMeasurements(StorageHealth storage)
    {
        if (storage.Last is { } last)
        {
            yield return new Measurement<int>(last.Ok ? 1 : 0, new KeyValuePair<string, object?>("narguard.check", last.FailedCheck ?? "none"));
        }
    }
}
