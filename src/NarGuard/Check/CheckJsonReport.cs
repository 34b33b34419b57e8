using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NarGuard.Check;

/// <summary>
/// The machine form of a report: one JSON document on stdout. Written with <see cref="Utf8JsonWriter"/> rather than
/// the reflection serializer, so field names and null handling are fixed here and not by attributes elsewhere.
/// </summary>
public static class CheckJsonReport
{
    /// <summary>How a sample was drawn, so that a run can be repeated with --seed.</summary>
    public sealed record SampleInfo(int Size, int Of, int Seed);

    public static string Write(string upstream, IReadOnlyList<PathCheckResult> results, CheckSummary summary, SampleInfo? sample, DateTimeOffset finishedAt)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("upstream", upstream);
            json.WriteString("finishedAt", finishedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            if (sample is not null)
            {
                json.WriteStartObject("sample");
                json.WriteNumber("size", sample.Size);
                json.WriteNumber("of", sample.Of);
                json.WriteNumber("seed", sample.Seed);
                json.WriteEndObject();
            }
            json.WriteStartArray("paths");
            foreach (var result in results)
            {
                WritePath(json, result);
            }
            json.WriteEndArray();
            WriteSummary(json, summary);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The document for a run that could not start (upstream unreachable): no paths, the error, exit code 2.</summary>
    public static string WriteError(string upstream, string error)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("upstream", upstream);
            json.WriteString("error", error);
            json.WriteStartArray("paths");
            json.WriteEndArray();
            json.WriteStartObject("summary");
            json.WriteNumber("total", 0);
            json.WriteNumber("exitCode", CheckCommand.ExitUsage);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WritePath(Utf8JsonWriter json, PathCheckResult result)
    {
        json.WriteStartObject();
        NullableString(json, "storePath", result.StorePath);
        json.WriteString("storeHash", result.StoreHash);
        json.WriteString("status", result.Status);
        NullableNumber(json, "narSize", result.NarSize);
        json.WriteNumber("bytes", result.Bytes);
        json.WriteNumber("seconds", Math.Round(result.Elapsed.TotalSeconds, 3));
        if (result.ThroughputMiBps is { } throughput)
        {
            json.WriteNumber("throughputMiBps", Math.Round(throughput, 3));
        }
        else
        {
            json.WriteNull("throughputMiBps");
        }
        NullableNumber(json, "upstreamStatus", result.UpstreamStatus);
        json.WriteNumber("redirects", result.Redirects);
        NullableString(json, "detail", result.Detail);
        json.WriteEndObject();
    }

    private static void WriteSummary(Utf8JsonWriter json, CheckSummary summary)
    {
        json.WriteStartObject("summary");
        json.WriteNumber("total", summary.Total);
        json.WriteNumber("ok", summary.Ok);
        json.WriteNumber("broken", summary.Broken);
        json.WriteStartObject("byStatus");
        foreach (var (status, count) in summary.ByStatus)
        {
            json.WriteNumber(status, count);
        }
        json.WriteEndObject();
        json.WriteNumber("bytes", summary.Bytes);
        json.WriteNumber("seconds", Math.Round(summary.Elapsed.TotalSeconds, 3));
        json.WriteNumber("exitCode", summary.ExitCode);
        json.WriteEndObject();
    }

    private static void NullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void NullableNumber(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
