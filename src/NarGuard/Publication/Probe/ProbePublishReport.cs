using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NarGuard.Publication.Probe;

/// <summary>The result of one probe-publish run, as a table for people or one JSON document for scripts.</summary>
public sealed record ProbePublishReport(string Upstream, string Cache, string Profile, StorageSnapshot? StorageBefore, StorageSnapshot? StorageAfter,
    int Missing, IReadOnlyList<ProbePublishRow> Rows, TimeSpan Elapsed)
{
    public bool Ok => Rows.Count > 0 && Rows.All(r => r.IsOk);

    public int Count(string push) => Rows.Count(r => r.Push.Result == push);

    public int ReadBackOk => Rows.Count(r => r.ReadBack is { IsOk: true });

    public int ReadBackFailed => Rows.Count(r => r.ReadBack is { IsOk: false });

    public string SummaryLine() => string.Create(CultureInfo.InvariantCulture,
        $"result: {(Ok ? "OK" : "FAILED")}: {Rows.Count} path(s), {Missing} missing upstream; pushed {Count(PushOutcome.Uploaded)} uploaded, {Count(PushOutcome.Deduplicated)} deduplicated, "
        + $"{Count(PushOutcome.Present)} already present, {Count(PushOutcome.Failed)} failed, {Count(PushOutcome.Refused)} refused, {Count(PushOutcome.Rejected)} rejected; "
        + $"read back {ReadBackOk} ok, {ReadBackFailed} failed ({Elapsed.TotalSeconds:0.0} s)");

    public string ToText()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"narguard probe-publish: profile {Profile}, {Rows.Count} path(s) to {Upstream} (cache {Cache})\n");
        text.Append("storage before: ").Append(StorageBefore?.Describe() ?? "not probed (no --storage-endpoint)").Append('\n');
        var width = Math.Max(20, Rows.Count == 0 ? 0 : Rows.Max(r => r.Path.StorePath.Length));
        text.Append("PATH".PadRight(width)).Append("  ORIGIN  NAR SIZE  PUSH                              READ-BACK\n");
        foreach (var row in Rows)
        {
            var push = row.Push.Result + (row.Push.Status is { } s && !row.Push.IsOk ? $" {s}" : "") + (row.Push.Error is { } e ? " " + e : "");
            text.Append(row.Path.StorePath.PadRight(width)).Append("  ")
                .Append(row.Path.Origin.PadRight(6)).Append("  ")
                .Append(row.Path.NarSize.ToString(CultureInfo.InvariantCulture).PadLeft(8)).Append("  ")
                .Append(push.PadRight(32)).Append("  ")
                .Append(row.ReadBackStatus)
                .Append(row.ReadBack is { IsOk: false, Detail: { } detail } ? $" ({detail})" : "")
                .Append('\n');
        }
        text.Append("storage after: ").Append(StorageAfter?.Describe() ?? "not probed (no --storage-endpoint)").Append('\n');
        text.Append(SummaryLine()).Append('\n');
        return text.ToString();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("upstream", Upstream);
            json.WriteString("cache", Cache);
            json.WriteString("profile", Profile);
            json.WriteBoolean("ok", Ok);
            Storage(json, "storageBefore", StorageBefore);
            Storage(json, "storageAfter", StorageAfter);
            json.WriteNumber("missing", Missing);
            json.WriteStartArray("paths");
            foreach (var row in Rows)
            {
                json.WriteStartObject();
                json.WriteString("storePath", row.Path.StorePath);
                json.WriteString("storeHash", row.Path.StoreHash);
                json.WriteString("origin", row.Path.Origin);
                json.WriteNumber("narSize", row.Path.NarSize);
                json.WriteStartObject("push");
                json.WriteString("result", row.Push.Result);
                WriteOptional(json, "status", row.Push.Status);
                json.WriteString("error", row.Push.Error);
                json.WriteString("message", row.Push.Message);
                json.WriteEndObject();
                json.WriteStartObject("readBack");
                json.WriteString("status", row.ReadBackStatus);
                if (row.ReadBack is { } check)
                {
                    WriteOptional(json, "upstreamStatus", check.UpstreamStatus);
                    json.WriteNumber("bytes", check.Bytes);
                    json.WriteString("detail", check.Detail);
                }
                json.WriteEndObject();
                json.WriteBoolean("ok", row.IsOk);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartObject("summary");
            foreach (var result in new[] { PushOutcome.Uploaded, PushOutcome.Deduplicated, PushOutcome.Present, PushOutcome.Failed, PushOutcome.Refused, PushOutcome.Rejected })
            {
                json.WriteNumber(result, Count(result));
            }
            json.WriteNumber("readBackOk", ReadBackOk);
            json.WriteNumber("readBackFailed", ReadBackFailed);
            json.WriteNumber("seconds", Math.Round(Elapsed.TotalSeconds, 3));
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Storage(Utf8JsonWriter json, string name, StorageSnapshot? snapshot)
    {
        if (snapshot is null)
        {
            json.WriteNull(name);
            return;
        }
        json.WriteStartObject(name);
        json.WriteString("state", snapshot.State);
        json.WriteString("check", snapshot.Check);
        json.WriteString("bucket", snapshot.Bucket);
        json.WriteString("detail", snapshot.Detail);
        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
