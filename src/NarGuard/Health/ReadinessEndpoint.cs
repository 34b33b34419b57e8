using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace NarGuard.Health;

/// <summary>
/// GET/HEAD /readyz: 200 when every check passes, else 503, with a JSON body naming each check, whether it passed,
/// why not, and when it was evaluated. (The never-5xx rule is for narinfos and NARs, which Nix reads; /readyz is read
/// by load balancers and orchestrators, for which 503 is the contract.)
/// </summary>
public static class ReadinessEndpoint
{
    public static async Task HandleAsync(HttpContext context, Readiness readiness)
    {
        var report = await readiness.EvaluateAsync().ConfigureAwait(false);
        var body = Write(report);
        context.Response.StatusCode = report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        context.Response.Headers[HeaderNames.CacheControl] = "no-store";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    public static byte[] Write(ReadinessReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Ready ? "ready" : "not_ready");
            json.WriteStartArray("failed");
            foreach (var name in report.Failed)
            {
                json.WriteStringValue(name);
            }
            json.WriteEndArray();
            json.WriteString("circuit", report.Circuit.ToString());
            if (report.Upstreams is { Count: > 1 } upstreams)
            {
                json.WriteStartArray("upstreams");
                foreach (var (name, circuit) in upstreams)
                {
                    json.WriteStartObject();
                    json.WriteString("name", name);
                    json.WriteString("circuit", circuit.ToString());
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteStartObject("checks");
            foreach (var (name, check) in report.Checks)
            {
                json.WriteStartObject(name);
                json.WriteBoolean("ok", check.Ok);
                if (check.FailedCheck is { } failed)
                {
                    json.WriteString("check", failed);
                }
                json.WriteString("detail", check.Detail);
                json.WriteString("checkedAt", check.CheckedAt);
                if (name == Readiness.Storage && report.Storage is { } storage)
                {
                    json.WriteNumber("consecutiveFailures", storage.ConsecutiveFailures);
                    json.WriteNumber("durationMs", Math.Round(storage.Duration.TotalMilliseconds));
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
