using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Telemetry;
using NarGuard.Upstream;
using Yarp.ReverseProxy.Forwarder;

namespace NarGuard.Publication;

/// <summary>
/// Handles <c>PUT …/_api/v1/upload-path</c> (one path of an <c>attic push</c>). Enforce refuses the push with 503
/// while the storage probe fails, before a byte of the body is read, so Attic cannot be left with part of an
/// object. Otherwise the push is streamed to Attic by YARP as any pass-through (never buffered), and then:
/// the storage state before and after is recorded (metric, span attributes); a 5xx runs an immediate storage probe
/// and writes one evidence line; a success queues the path for its read-back.
/// </summary>
public sealed class PushGuard
{
    public const string UploadPathSuffix = "/_api/v1/upload-path";

    private readonly PublicationGateMode _mode;
    private readonly UpstreamEndpoint _endpoint;
    private readonly IHttpForwarder _forwarder;
    private readonly HttpMessageInvoker _invoker;
    private readonly PushTransformer _transformer;
    private readonly StorageEvidence _evidence;
    private readonly ReadBackService _readBack;
    private readonly PublicationMetrics _metrics;
    private readonly NarGuardTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger<PushGuard> _logger;
    // Pushes of large NARs take long; YARP's idle-activity timeout is what bounds a stuck one.
    private readonly ForwarderRequestConfig _forwardConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(5) };

    public PushGuard(NarGuardOptions options, UpstreamEndpoint endpoint, IHttpForwarder forwarder, HttpMessageInvoker invoker, PassThroughTransformer passThrough,
        StorageEvidence evidence, ReadBackService readBack, PublicationMetrics metrics, NarGuardTelemetry telemetry, TimeProvider time, ILogger<PushGuard> logger)
    {
        _mode = options.Publication.Gate;
        _endpoint = endpoint;
        _forwarder = forwarder;
        _invoker = invoker;
        _transformer = new PushTransformer(passThrough);
        _evidence = evidence;
        _readBack = readBack;
        _metrics = metrics;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
    }

    /// <summary>A push this guard takes over: PUT upload-path, unless Publication:Gate is Off.</summary>
    public bool Handles(HttpContext context) =>
        _mode != PublicationGateMode.Off
        && HttpMethods.IsPut(context.Request.Method)
        && (context.Request.Path.Value?.EndsWith(UploadPathSuffix, StringComparison.Ordinal) ?? false);

    public async Task HandleAsync(HttpContext context)
    {
        var activity = Activity.Current;
        var startedAt = _time.GetUtcNow();
        var before = _evidence.Current();
        Tag(activity, "narguard.storage.before", before);
        activity?.SetTag("narguard.publication.gate", _mode.ToString().ToLowerInvariant());

        if (_mode == PublicationGateMode.Enforce && before.IsFailed)
        {
            // Decided on the header alone: the body stays unread, so nothing of it can reach Attic or its storage.
            var named = context.Request.Headers.TryGetValue(PushedPath.NarInfoHeader, out _) ? await PushedPath.ReadAsync(context.Request, context.RequestAborted) : null;
            activity?.SetTag("nix.store_path", named?.StorePath);
            Tag(activity, "narguard.storage.after", before);
            _metrics.Push(PublicationMetrics.PushRefused, before, before);
            _telemetry.Request("push", PublicationMetrics.PushRefused);
            Log.PushRefused(_logger, named?.StorePath, before.Check, before.Bucket, before.Detail, activity?.TraceId.ToString());
            await RefuseAsync(context, before);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // A NAR is as large as it is: Kestrel's 30 MB default would cut real pushes. The body is streamed, not held.
            // Set before the preamble is read: once reading has begun the limit can no longer change.
            limit.MaxRequestBodySize = null;
        }

        PushedPath? path;
        try
        {
            path = await PushedPath.ReadAsync(context.Request, context.RequestAborted);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or BadHttpRequestException)
        {
            // The pusher went away inside the preamble: nothing reached Attic.
            _metrics.Push(PublicationMetrics.PushError, before, before);
            _telemetry.Request("push", PublicationMetrics.PushError);
            context.Abort();
            return;
        }
        activity?.SetTag("nix.store_path", path?.StorePath);
        activity?.SetTag("nix.store_hash", path?.StoreHash);

        var error = await _forwarder.SendAsync(context, _endpoint.Origin, _invoker, _forwardConfig, _transformer);
        var answer = PushTransformer.AnswerOf(context);
        var result = Classify(answer, error);
        activity?.SetTag("narguard.publication.result", result);
        activity?.SetTag("http.upstream.status_code", answer.Status);
        if (error != ForwarderError.None)
        {
            activity?.SetTag("narguard.forwarder_error", error.ToString());
        }

        StorageSnapshot after;
        if (result == PublicationMetrics.PushUpstreamError)
        {
            // The client has its answer; the evidence is gathered after it, so the push is not held up by the probe.
            await CompleteResponseAsync(context);
            after = await _evidence.ProbeSinceAsync(startedAt, CancellationToken.None);
        }
        else
        {
            after = _evidence.Current();
        }
        // Metrics before the log line: whoever reads the line (an operator, a test) finds the counters already moved.
        Tag(activity, "narguard.storage.after", after);
        _metrics.Push(result, before, after);
        _telemetry.Request("push", result);
        if (result == PublicationMetrics.PushUpstreamError)
        {
            Log.PushFailed(_logger, path?.StorePath, answer.Status, answer.Error, answer.Message, error.ToString(), before.Describe(), after.Describe(), activity?.TraceId.ToString());
        }
        else
        {
            Log.PushForwarded(_logger, path?.StorePath, result, answer.Status, before.State, after.State);
        }

        if (path is not null && result is PublicationMetrics.PushUploaded or PublicationMetrics.PushDeduplicated)
        {
            _readBack.Enqueue(new ReadBackItem(path.StoreHash, path.StorePath, result, _time.GetUtcNow()));
        }
    }

    private static string Classify(UpstreamPushAnswer answer, ForwarderError error) => answer.Status switch
    {
        200 => string.Equals(answer.Kind, "Deduplicated", StringComparison.Ordinal) ? PublicationMetrics.PushDeduplicated : PublicationMetrics.PushUploaded,
        >= 500 => PublicationMetrics.PushUpstreamError,
        >= 400 => PublicationMetrics.PushRejected,
        null when error is ForwarderError.Request or ForwarderError.RequestTimedOut or ForwarderError.ResponseBodyDestination => PublicationMetrics.PushUpstreamError,
        // The pusher hung up, or an answer this guard does not know: forwarded as it was, not read back.
        _ => PublicationMetrics.PushError,
    };

    private static async Task CompleteResponseAsync(HttpContext context)
    {
        try
        {
            await context.Response.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            // Already aborted (a forwarder error): nothing left to send.
        }
    }

    private static async Task RefuseAsync(HttpContext context, StorageSnapshot storage)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["code"] = StatusCodes.Status503ServiceUnavailable,
            ["error"] = "StorageUnhealthy",
            ["message"] = $"NarGuard refused the push: the storage behind the cache fails its bucket-index probe (check={storage.Check}, bucket={storage.Bucket}: {storage.Detail}). Nothing was forwarded; push again once the storage recovers.",
        });
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        context.Response.Headers["X-NarGuard-Reason"] = "storage_unhealthy";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static void Tag(Activity? activity, string name, StorageSnapshot snapshot)
    {
        activity?.SetTag(name, snapshot.State);
        if (snapshot.Check is not null)
        {
            activity?.SetTag(name + ".check", snapshot.Check);
        }
    }
}
