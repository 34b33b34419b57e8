using BenchmarkDotNet.Running;
using NarGuard.Benchmarks;

// narguard-bench: see NarGuard.Benchmarks.csproj and docs/BENCHMARKS.md. bench/run.sh drives every command.
const string usage = """
    usage: narguard-bench verifier [--quick] [--artifacts DIR] [--filter SUBSTRING]   (needs NARGUARD_BENCH_DATA)
           narguard-bench make-nar --name N --size 512MiB --nar FILE --body FILE
           narguard-bench host --object NAME=SIZE[xCOUNT]... --manifest FILE [--listen URL]
    """;
try
{
    switch (args.FirstOrDefault())
    {
        case "verifier":
        {
            var quick = args.Contains("--quick");
            var artifacts = Option(args, "--artifacts") ?? Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
            var config = BenchConfig.Create(quick, artifacts);
            if (Option(args, "--filter") is { } filter)
            {
                config = BenchmarkDotNet.Configs.ConfigExtensions.AddFilter(config,
                    new BenchmarkDotNet.Filters.SimpleFilter(b => b.Descriptor.WorkloadMethod.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)));
            }
            var summary = BenchmarkRunner.Run<VerifierBenchmarks>(config);
            return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
        }
        case "make-nar":
            return await MakeNar.RunAsync(args[1..]);
        case "host":
            return await EmulatorHost.RunAsync(args[1..]);
        default:
            Console.Error.WriteLine(usage);
            return 2;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"narguard-bench: {ex.Message}\n{usage}");
    return 2;
}

static string? Option(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
