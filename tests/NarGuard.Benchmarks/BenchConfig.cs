using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace NarGuard.Benchmarks;

/// <summary>
/// One operation is a whole 512 MiB NAR (about a second), so every iteration is one invocation and the run is short
/// and bounded: --quick is 1 warm-up + 3 measured iterations per row, the default 2 + 7. In-process: no generated
/// project to build, and the benchmarks run in this Release build of NarGuard.Core exactly as the host links it.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create(bool quick, string artifacts)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 1 : 2)
            .WithIterationCount(quick ? 3 : 7)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId(quick ? "quick" : "full");
        return ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddColumn(StatisticColumn.Median, StatisticColumn.Min, StatisticColumn.Max)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(JsonExporter.Full, MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.JoinSummary);
    }
}
