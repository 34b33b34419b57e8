using System.Globalization;
using System.Text;

namespace NarGuard.Check;

/// <summary>
/// The human forms of a report: one key=value line per path for logs and pipes (greppable, one line each, written as
/// results arrive), and an aligned table for a terminal once the run is over.
/// </summary>
public static class CheckTextReport
{
    // The longest reason label is "unsupported_compression" (23); most are shorter, and a ragged column after a
    // long one still reads fine.
    private const int StatusWidth = 15;

    public static string PlainLine(PathCheckResult result)
    {
        var line = new StringBuilder();
        line.Append(result.Status.PadRight(StatusWidth)).Append(' ').Append(result.DisplayName);
        line.Append(" nar_size=").Append(result.NarSize?.ToString(CultureInfo.InvariantCulture) ?? "-");
        line.Append(" bytes=").Append(result.Bytes.ToString(CultureInfo.InvariantCulture));
        line.Append(" seconds=").Append(result.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture));
        line.Append(" mib_per_s=").Append(result.ThroughputMiBps?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-");
        line.Append(" upstream_status=").Append(result.UpstreamStatus?.ToString(CultureInfo.InvariantCulture) ?? "-");
        if (result.Redirects > 0)
        {
            line.Append(" redirects=").Append(result.Redirects.ToString(CultureInfo.InvariantCulture));
        }
        if (result.Detail is { } detail)
        {
            line.Append(" detail=\"").Append(detail.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }
        return line.ToString();
    }

    public static async Task WriteTableAsync(TextWriter writer, IReadOnlyList<PathCheckResult> results)
    {
        string[] header = ["STATUS", "NAR SIZE", "RECEIVED", "TIME", "MiB/s", "HTTP", "STORE PATH"];
        var rows = results.Select(r => new[]
        {
            r.Status,
            r.NarSize is { } size ? Bytes(size) : "-",
            Bytes(r.Bytes),
            r.Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s",
            r.ThroughputMiBps?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-",
            r.UpstreamStatus is { } status ? status.ToString(CultureInfo.InvariantCulture) + (r.Redirects > 0 ? "*" : "") : "-",
            r.DisplayName,
        }).ToList();
        var widths = header.Select((h, column) => rows.Select(row => row[column].Length).Append(h.Length).Max()).ToArray();
        // Numbers align right, text left; the last column is never padded (no trailing blanks).
        bool[] right = [false, true, true, true, true, true, false];

        await writer.WriteLineAsync(Row(header)).ConfigureAwait(false);
        for (var i = 0; i < rows.Count; i++)
        {
            await writer.WriteLineAsync(Row(rows[i])).ConfigureAwait(false);
            if (results[i].Detail is { } detail)
            {
                await writer.WriteLineAsync(new string(' ', widths[0] + 2) + "why: " + detail).ConfigureAwait(false);
            }
        }
        if (results.Any(r => r.Redirects > 0))
        {
            await writer.WriteLineAsync("* reached through a redirect").ConfigureAwait(false);
        }

        string Row(string[] cells) => string.Join("  ", cells.Select((cell, column) =>
            column == cells.Length - 1 ? cell : right[column] ? cell.PadLeft(widths[column]) : cell.PadRight(widths[column])));
    }

    public static string SummaryLine(CheckSummary summary)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"{summary.Total} {(summary.Total == 1 ? "path" : "paths")}: {summary.Ok} ok, {summary.Broken} broken");
        var reasons = summary.ByStatus.Where(s => s.Key != PathCheckResult.OkStatus).Select(s => $"{s.Key} {s.Value}").ToList();
        if (reasons.Count > 0)
        {
            line.Append(" (").Append(string.Join(", ", reasons)).Append(')');
        }
        var seconds = summary.Elapsed.TotalSeconds;
        line.Append(CultureInfo.InvariantCulture, $"; {Bytes(summary.Bytes)} received in {seconds:0.00} s");
        if (seconds > 0 && summary.Bytes > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $" ({summary.Bytes / seconds / (1024 * 1024):0.0} MiB/s)");
        }
        return line.ToString();
    }

    /// <summary>Binary units, one decimal: 0 B, 812 B, 1.5 KiB, 12.3 MiB.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
