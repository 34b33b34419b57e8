using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NarGuard.Core.Spool;
using NarGuard.Core.Verification;
using NarGuard.Guards;
using NarGuard.Health;
using NarGuard.Telemetry;
using NarGuard.Upstream;
using Yarp.ReverseProxy.Forwarder;

namespace NarGuard.Hosting;

public static class NarGuardApplicationBuilderExtensions
{
    /// <summary>
    /// Maps the health endpoint, then the guards, then the YARP pass-through for everything else.
    /// Requests are classified by path before any I/O (see <see cref="CacheRequest"/>).
    /// </summary>
    public static WebApplication MapNarGuard(this WebApplication app)
    {
        var endpoint = app.Services.GetRequiredService<UpstreamEndpoint>();
        var guard = app.Services.GetRequiredService<CacheGuard>();
        var spool = app.Services.GetRequiredService<NarSpool>();
        var telemetry = app.Services.GetRequiredService<NarGuardTelemetry>();
        var streaming = app.Services.GetRequiredService<NarGuard.Configuration.NarGuardOptions>().Streaming;
        var cacheInfo = app.Services.GetRequiredService<NarGuard.Configuration.NarGuardOptions>().CacheInfo;
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var transformer = app.Services.GetRequiredService<PassThroughTransformer>();
        var invoker = app.Services.GetRequiredService<HttpMessageInvoker>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NarGuard.Requests");
        var forwardConfig = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(5) };
        var pushes = app.Services.GetRequiredService<NarGuard.Publication.PushGuard>();

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapNarGuardHealth();

        // A catch-all endpoint: /healthz (and later /readyz, /metrics) are more specific and win.
        app.Map("{**path}", async context =>
        {
            var path = context.Request.Path.Value ?? "/";
            var request = CacheRequest.Classify(path, endpoint.CachePath);
            switch (request.Kind)
            {
                case CacheRouteKind.BadRequest:
                    telemetry.Request("invalid", "bad_request");
                    Log.BadRequest(logger, path, request.Error!);
                    await GuardEndpoints.BadRequestAsync(context, request.Error!);
                    return;
                case var _ when !HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && IsReadOnly(request, path, endpoint.CachePath):
                    telemetry.Request("invalid", "method_not_allowed");
                    await RequestScreen.RejectAsync(context, new RequestRejection(StatusCodes.Status405MethodNotAllowed, "method_not_allowed", "the cache is read-only: GET and HEAD"));
                    return;
                case CacheRouteKind.NarInfo or CacheRouteKind.Nar:
                    try
                    {
                        await (request.Kind == CacheRouteKind.NarInfo
                            ? GuardEndpoints.NarInfoAsync(context, guard, telemetry, request.StoreHash!)
                            : GuardEndpoints.NarAsync(context, guard, spool, telemetry, streaming, request.StoreHash!, request.Upstream, request.FileName!));
                    }
                    catch (Exception ex) when (!(ex is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
                    {
                        await GuardFailedAsync(context, telemetry, logger, request, ex);
                    }
                    return;
                case CacheRouteKind.CacheInfo:
                    await GuardEndpoints.CacheInfoAsync(context, cacheInfo, telemetry);
                    return;
                case CacheRouteKind.PassThrough when pushes.Handles(context):
                    // attic push: gated on the storage probe, recorded, and read back (docs/PUBLICATION.md).
                    await pushes.HandleAsync(context);
                    return;
                case CacheRouteKind.PassThrough:
                    if (path.EndsWith(NarGuard.Publication.PushGuard.UploadPathSuffix, StringComparison.Ordinal)
                        && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                    {
                        // Publication:Gate Off: a push still carries a whole NAR, which YARP streams; Kestrel's 30 MB
                        // default would cut real pushes.
                        limit.MaxRequestBodySize = null;
                    }
                    var error = await forwarder.SendAsync(context, endpoint.Origin, invoker, forwardConfig, transformer);
                    telemetry.Request("passthrough", error == ForwarderError.None ? "forwarded" : "upstream_error");
                    if (error != ForwarderError.None)
                    {
                        Activity.Current?.SetTag("narguard.forwarder_error", error.ToString());
                    }
                    return;
                default:
                    throw new UnreachableException();
            }
        });
        return app;
    }

    // Never a 5xx for a narinfo or a NAR (an I/O error reading the spool, EACCES, EMFILE, a bug): before the
    // response started, a 404 Nix builds after; once bytes went out, an aborted connection, never a clean end.
    private static async Task GuardFailedAsync(HttpContext context, NarGuardTelemetry telemetry, ILogger logger, CacheRequest request, Exception ex)
    {
        var reason = ex is IOException or UnauthorizedAccessException ? RejectReason.SpoolError : RejectReason.InternalError;
        var route = request.Kind == CacheRouteKind.NarInfo ? "narinfo" : "nar";
        var started = context.Response.HasStarted;
        Log.GuardFailed(logger, route, request.StoreHash!, reason.Label(), ex.GetType().Name + ": " + ex.Message, started);
        telemetry.Rejected(reason, 0, null, "none");
        Activity.Current?.AddEvent(new ActivityEvent("narguard.nar.rejected", tags: new ActivityTagsCollection { ["narguard.reason"] = reason.Label(), ["nix.store_hash"] = request.StoreHash }));
        if (started)
        {
            telemetry.Request(route, "aborted");
            context.Abort();
            return;
        }
        telemetry.Request(route, "not_found");
        context.Response.Clear();
        await GuardEndpoints.NotFoundAsync(context, reason, route == "nar" ? "the verified copy could not be read" : "the narinfo could not be answered");
    }

    // Nix only reads the cache's own path (nix-cache-info, narinfos, NARs, log/, realisations/); attic writes through
    // /_api/v1, outside it. A cache served at the root cannot tell the two apart, so only narinfos and NARs are guarded then.
    private static bool IsReadOnly(CacheRequest request, string path, string cachePath) =>
        request.Kind is CacheRouteKind.NarInfo or CacheRouteKind.Nar or CacheRouteKind.CacheInfo
        || (cachePath.Length > 0 && (path == cachePath || path.StartsWith(cachePath + "/", StringComparison.Ordinal)));
}
