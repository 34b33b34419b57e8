using System.Globalization;
using System.Text;

namespace NarGuard.Demo;

/// <summary>Renders the demo's side-by-side table: what a client gets straight from the upstream, and through NarGuard.</summary>
public static class DemoTable
{
    private const int FaultWidth = 17;
    private const string Separator = " │ ";

    public static string Render(DemoReport report)
    {
        var text = new StringBuilder();
        text.AppendLine("What the upstream does for each store path:");
        var cases = report.Rows.Select(r => $"{Pad(r.Case.Name, FaultWidth)} {r.Case.Description}").ToList();
        var half = (cases.Count + 1) / 2;
        for (var i = 0; i < half; i++)
        {
            text.Append("  ").Append(Pad(cases[i], 56)).Append(i + half < cases.Count ? cases[i + half] : "").AppendLine();
        }
        text.AppendLine();
        text.Append(Pad("", FaultWidth)).Append(Separator).Append(Pad("straight from the upstream", DirectWidth))
            .Append(Separator).Append("through NarGuard").AppendLine();
        text.Append(Pad("path", FaultWidth)).Append(Separator).Append(DirectCells("narinfo", "NAR", "bytes", "body", "Nix would"))
            .Append(Separator).Append(GuardCells("narinfo", "NAR", "bytes", "body", "reason", "Nix would")).AppendLine();
        text.Append(new string('─', FaultWidth)).Append("─┼─").Append(new string('─', DirectWidth)).Append("─┼─")
            .Append(new string('─', GuardWidth)).AppendLine();
        foreach (var row in report.Rows)
        {
            var direct = row.Direct;
            var guarded = row.Guarded;
            text.Append(Pad(row.Case.Name, FaultWidth)).Append(Separator)
                .Append(DirectCells(NarInfo(direct), Nar(direct), Bytes(direct), Body(direct), Outcome(direct.Outcome)))
                .Append(Separator)
                .Append(GuardCells(NarInfo(guarded), Nar(guarded), Bytes(guarded), Body(guarded), guarded.Nar?.Reason ?? guarded.NarInfo.Reason ?? "", Outcome(guarded.Outcome)))
                .AppendLine();
        }
        text.AppendLine();
        text.AppendLine("bytes: compressed body bytes received. body: whether they match the narinfo's NarHash and NarSize, the check");
        text.AppendLine("Nix makes only after unpacking everything. NAR \"-\": not asked, the narinfo was unusable.");
        text.AppendLine().Append(Summary(report)).AppendLine();
        // Padding is for the columns in between; trailing blanks only make copied output noisy.
        return string.Join('\n', text.ToString().Split('\n').Select(line => line.TrimEnd()));
    }

    /// <summary>One sentence per side: how many paths substitute, build locally, or fail.</summary>
    public static string Summary(DemoReport report)
    {
        string Count(Func<DemoRow, RouteResult> side) =>
            string.Join(", ", Enum.GetValues<NixOutcome>().Select(o => $"{report.Rows.Count(r => side(r).Outcome == o)} {Words(o)}"));
        var verdict = report.GuardHolds
            ? "no build fails through NarGuard: a broken cache costs a rebuild, never a red build."
            : "NarGuard let a failure through: this is a bug, please report it.";
        return $"straight from the upstream: {Count(r => r.Direct)}\n" +
               $"through NarGuard:           {Count(r => r.Guarded)}\n" +
               verdict;
    }

    private static string Words(NixOutcome outcome) => outcome switch
    {
        NixOutcome.Substitutes => "substituted",
        NixOutcome.BuildsLocally => "built locally",
        NixOutcome.Fails => "failed builds",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    private static int DirectWidth => DirectCells("", "", "", "", "").Length;
    private static int GuardWidth => GuardCells("", "", "", "", "", "").Length;

    private static string DirectCells(string narInfo, string nar, string bytes, string body, string nix) =>
        $"{Pad(narInfo, 12)} {Pad(nar, 12)} {bytes,7} {Pad(body, 8)} {Pad(nix, 11)}";

    private static string GuardCells(string narInfo, string nar, string bytes, string body, string reason, string nix) =>
        $"{Pad(narInfo, 7)} {Pad(nar, 4)} {bytes,7} {Pad(body, 8)} {Pad(reason, 16)} {Pad(nix, 11)}";

    private static string NarInfo(RouteResult route) =>
        route.NarInfo is { Completed: true, Status: 200 } && !route.NarInfoParses ? "200 junk" : route.NarInfo.Describe();

    // "-": the narinfo was not usable, so a client would not ask for the NAR at all.
    private static string Nar(RouteResult route) => route.Nar?.Describe() ?? "-";

    private static string Bytes(RouteResult route) => route.Nar is { } nar && (nar.Status is not null || nar.Bytes > 0)
        ? nar.Bytes.ToString(CultureInfo.InvariantCulture)
        : "-";

    private static string Body(RouteResult route) => route.Verifies switch
    {
        true => "verifies",
        false => "WRONG",
        null => "-",
    };

    private static string Outcome(NixOutcome outcome) => outcome switch
    {
        NixOutcome.Substitutes => "substitutes",
        NixOutcome.BuildsLocally => "builds it",
        NixOutcome.Fails => "FAILS",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    private static string Pad(string value, int width) => value.Length >= width ? value : value.PadRight(width);
}
