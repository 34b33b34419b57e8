using System.Globalization;

namespace NarGuard.Soak;

/// <summary>The soak's command line. Defaults are the long form (128 clients, 150 s); tests/soak/run.sh --short shrinks it.</summary>
internal sealed record SoakOptions
{
    public required string NarGuardDll { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(150);
    public int Clients { get; init; } = 128;
    public int Paths { get; init; } = 300;
    public double BrokenShare { get; init; } = 0.10;
    public TimeSpan RotateEvery { get; init; } = TimeSpan.FromSeconds(5);
    public long MaxRssBytes { get; init; } = 1024L * 1024 * 1024;
    public int FdSlack { get; init; } = 16;
    /// <summary>The proxy's Timeouts:Nar; a client request taking longer than this plus a margin counts as hanging.</summary>
    public TimeSpan NarTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public const string Usage = "usage: narguard-soak --narguard PATH/narguard.dll [--seconds 150] [--clients 128] [--paths 300] [--broken 0.10] [--max-rss-mb 1024]";

    public static SoakOptions Parse(string[] args)
    {
        string? dll = null;
        var options = new SoakOptions { NarGuardDll = "" };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            double Number() => double.Parse(Value(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--narguard": dll = Value(); break;
                case "--seconds": options = options with { Duration = TimeSpan.FromSeconds(Number()) }; break;
                case "--clients": options = options with { Clients = (int)Number() }; break;
                case "--paths": options = options with { Paths = (int)Number() }; break;
                case "--broken": options = options with { BrokenShare = Number() }; break;
                case "--max-rss-mb": options = options with { MaxRssBytes = (long)(Number() * 1024 * 1024) }; break;
                default: throw new FormatException($"unknown argument '{args[i]}'");
            }
        }
        return options with { NarGuardDll = dll ?? throw new FormatException("--narguard is required") };
    }
}
