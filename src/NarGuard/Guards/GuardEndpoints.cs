using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using NarGuard.Configuration;
using NarGuard.Core.NarInfos;
using NarGuard.Core.Spool;
using NarGuard.Core.Verification;
using NarGuard.Telemetry;

namespace NarGuard.Guards;

/// <summary>Writes the narinfo and NAR answers. Every failure is a 404 with the reason in X-NarGuard-Reason and a one-line body.</summary>
public static class GuardEndpoints
{
    public const string ReasonHeader = "X-NarGuard-Reason";
    public const string SourceHeader = "X-NarGuard-Source";
    /// <summary>The upstream whose narinfo or verified NAR bytes are served (the configured name).</summary>
    public const string UpstreamHeader = "X-NarGuard-Upstream";

    public static async Task NarInfoAsync(HttpContext context, CacheGuard guard, NarGuardTelemetry telemetry, string storeHash)
    {
        Activity.Current?.SetTag("nix.store_hash", storeHash);
        var answer = await guard.GetNarInfoAsync(storeHash, Authorization(context), context.RequestAborted);
        if (answer.Text is null)
        {
            telemetry.Request("narinfo", "not_found");
            await NotFoundAsync(context, answer.Reason!.Value, answer.Detail);
            return;
        }
        telemetry.Request("narinfo", answer.FromSpool ? "ok_spool" : "ok");
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/x-nix-narinfo";
        context.Response.Headers[SourceHeader] = answer.FromSpool ? "spool" : "upstream";
        if (answer.Upstream is { } upstream)
        {
            context.Response.Headers[UpstreamHeader] = upstream;
        }
        var bytes = System.Text.Encoding.UTF8.GetBytes(answer.Text);
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }

    public static async Task NarAsync(HttpContext context, CacheGuard guard, NarSpool spool, NarGuardTelemetry telemetry, StreamingOptions streaming, string storeHash, string? upstream, string fileName)
    {
        Activity.Current?.SetTag("nix.store_hash", storeHash);
        // Only a plain GET can stream: a HEAD wants no body, and a Range request is served from the spool.
        StreamingSink? sink = null;
        var isRange = context.Request.Headers.ContainsKey(HeaderNames.Range);
        Func<NarInfo, StreamingSink>? openSink = HttpMethods.IsGet(context.Request.Method) && !isRange
            ? info => sink = new StreamingSink(context, info.FileSize, streaming.HoldBackBytes)
            : null;
        try
        {
            // An entry can be evicted between the answer and the open; one more round fetches it again.
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var answer = await guard.GetNarAsync(storeHash, upstream, fileName, Authorization(context), openSink, isRange, context.RequestAborted);
                if (sink is { Started: true })
                {
                    await FinishStreamAsync(context, sink, answer, telemetry);
                    return;
                }
                if (answer.Entry is not { } entry)
                {
                    telemetry.Request("nar", "not_found");
                    await NotFoundAsync(context, answer.Reason!.Value, answer.Detail);
                    return;
                }
                var body = spool.OpenRead(entry);
                if (body is null)
                {
                    continue;
                }
                telemetry.Request("nar", answer.SpoolHit ? "ok_spool" : "ok");
                await using (body)
                {
                    await ServeAsync(context, body, answer.SpoolHit, answer.Upstream, telemetry);
                }
                return;
            }
        }
        finally
        {
            sink?.Dispose();
        }
        telemetry.Request("nar", "not_found");
        var vanished = guard.RejectVanished(storeHash);
        await NotFoundAsync(context, vanished.Reason!.Value, vanished.Detail);
    }

    private static async Task FinishStreamAsync(HttpContext context, StreamingSink sink, NarAnswer answer, NarGuardTelemetry telemetry)
    {
        // Completed: the NAR verified and the client has every byte, even when the spool then failed to keep it.
        if (answer.Entry is not null || sink.Completed)
        {
            await sink.CompleteAsync();
            telemetry.Request("nar", "ok_streamed");
            telemetry.Served(sink.Sent, fromSpool: false, answer.Upstream ?? sink.Upstream);
            return;
        }
        // Bytes are out and the NAR failed: end the connection without a clean end, so the client cannot take the
        // truncated body for a complete one (YARP's HttpForwarder does the same after a late failure).
        telemetry.Request("nar", "aborted");
        context.Abort();
    }

    private static async Task ServeAsync(HttpContext context, FileStream body, bool spoolHit, string? upstream, NarGuardTelemetry telemetry)
    {
        if (upstream is not null)
        {
            context.Response.Headers[UpstreamHeader] = upstream;
        }
        // The body is exactly what the upstream sent, still compressed as the narinfo says: no Content-Encoding.
        var sent = await SpoolFileResponse.SendAsync(context, body, spoolHit ? "spool" : "upstream");
        if (sent > 0)
        {
            telemetry.Served(sent, spoolHit, upstream);
        }
    }

    /// <summary>nix-cache-info, answered by the proxy: with several upstreams there is no single file to pass through.</summary>
    public static async Task CacheInfoAsync(HttpContext context, CacheInfoOptions cacheInfo, NarGuardTelemetry telemetry)
    {
        telemetry.Request("cache_info", "ok");
        var text = $"StoreDir: {cacheInfo.StoreDir}\nWantMassQuery: {(cacheInfo.WantMassQuery ? 1 : 0)}\nPriority: {cacheInfo.Priority}\n";
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/x-nix-cache-info";
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }

    public static Task NotFoundAsync(HttpContext context, RejectReason reason, string? detail)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.Headers[ReasonHeader] = reason.Label();
        context.Response.Headers[HeaderNames.CacheControl] = "no-store";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : context.Response.WriteAsync($"404 {reason.Label()}: {detail ?? "not available"}\n", context.RequestAborted);
    }

    public static Task BadRequestAsync(HttpContext context, string error)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("400 bad request: " + error + "\n", context.RequestAborted);
    }

    private static string? Authorization(HttpContext context) =>
        context.Request.Headers.Authorization is { Count: > 0 } value ? value.ToString() : null;
}
