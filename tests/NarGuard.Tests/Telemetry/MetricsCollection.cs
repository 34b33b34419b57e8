using Xunit;

namespace NarGuard.Tests.Telemetry;

/// <summary>
/// Tests that scrape /metrics run alone: OpenTelemetry's MeterProvider listens to every Meter named "NarGuard" in
/// the process, so another test host running in parallel would add its counts to the scrape.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics";
}
