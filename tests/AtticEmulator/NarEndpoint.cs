using System.Security.Cryptography;
using System.Text;

namespace AtticEmulator;

/// <summary><c>GET|HEAD /&lt;cache&gt;/nar/&lt;storehash&gt;.nar</c>: the body as Attic streams it
/// (200 committed first, chunked, no Content-Length, no Range), or the injected fault.</summary>
internal static class NarEndpoint
{
    private const string NarContentType = "application/x-nix-nar";

    public static void Map(IEndpointRouteBuilder app, EmulatorState state) =>
        app.MapMethods("/{cache}/nar/{storeHash}.nar", ["GET", "HEAD"], (HttpContext http, string cache, string storeHash) => HandleAsync(http, state, cache, storeHash));

    private static async Task HandleAsync(HttpContext http, EmulatorState state, string cache, string storeHash)
    {
        if (!await state.AdmitAsync(http, cache))
        {
            return;
        }

        state.Catalog.NarRequests.Hit(storeHash);
        if (!state.Catalog.TryGet(storeHash, out var obj))
        {
            await AtticErrors.NoSuchObject(http);
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, state.Stopping);
        try
        {
            await RespondAsync(http, state, obj, state.Catalog.FaultOf(storeHash), cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away or the server is stopping: nothing left to answer.
            http.Abort();
        }
    }

    // Exhaustive on Fault: CS8509 (a named value not handled) is an error here, so a new fault
    // has to decide what the NAR route does with it. Only CS8524 (a cast integer) is off.
#pragma warning disable CS8524
    private static Task RespondAsync(HttpContext http, EmulatorState state, StoreObject obj, Fault fault, CancellationToken ct) => fault switch
    {
        Fault.Healthy or Fault.SizeBomb or Fault.NarInfoServerError or Fault.NarInfoGarbage
            => obj.ChunkKeys is { } keys && state.Chunks is { } store
                ? StorageBodyAsync(http, store, keys, ct)
                : BodyAsync(http, obj.Body, obj.ChunkLengths, obj.Body.Length, ct),
        Fault.NarNotFound => AtticErrors.NoSuchObject(http),
        Fault.NarServerError => AtticErrors.InternalServerError(http),
        Fault.IncompleteNar => AtticErrors.IncompleteNar(http),
        Fault.Unauthorized => AtticErrors.Unauthorized(http),
        Fault.Reset => ResetAsync(http),
        Fault.Empty => CutAsync(http, obj.Body, obj.ChunkLengths, 0, ct),
        Fault.Truncated => CutAsync(http, obj.Body, obj.ChunkLengths, obj.Body.Length / 2, ct),
        Fault.Corrupt => BodyAsync(http, state.Catalog.CorruptBody(obj), obj.ChunkLengths, long.MaxValue, ct),
        Fault.Garbage => BodyAsync(http, ObjectCatalog.GarbageBody(obj), obj.ChunkLengths, long.MaxValue, ct),
        Fault.Stall => StallAsync(http, state, obj, ct),
        Fault.Redirect or Fault.RedirectBroken
            => RedirectAsync(http, state.Options.AdvertiseStorageHost ?? http.Request.Host.Value ?? $"127.0.0.1:{state.Port}", obj),
        Fault.RedirectForeign => RedirectAsync(http, state.ForeignStorageHost, obj),
    };
#pragma warning restore CS8524

    private static async Task BodyAsync(HttpContext http, byte[] body, IReadOnlyList<int> chunkLengths, long limit, CancellationToken ct)
    {
        StartOk(http);
        await BodyWriter.StartAsync(http.Response, ct);
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await BodyWriter.WriteChunksAsync(http.Response, body, chunkLengths, limit, ct);
        }
    }

    /// <summary>
    /// An object uploaded in S3 mode, the way Attic streams it: 200 and the chunked headers go out first, then each
    /// chunk is fetched from S3 and copied. A storage failure can no longer change the status, so the body just ends
    /// early (FIN): with the bucket index gone, 200 and zero bytes, the incident.
    /// </summary>
    private static async Task StorageBodyAsync(HttpContext http, ChunkStore store, IReadOnlyList<string> keys, CancellationToken ct)
    {
        StartOk(http);
        await BodyWriter.StartAsync(http.Response, ct);
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        foreach (var key in keys)
        {
            try
            {
                await store.CopyToAsync(key, http.Response.Body, ct);
            }
            catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException)
            {
                ApiEndpoints.LoggerOf(http).LogError("binary_cache: storage error reading {Key}: {Error}", key, ApiEndpoints.Describe(e));
                await BodyWriter.AbortAsync(http);
                return;
            }
        }
    }

    private static async Task CutAsync(HttpContext http, byte[] body, IReadOnlyList<int> chunkLengths, long sent, CancellationToken ct)
    {
        await BodyAsync(http, body, chunkLengths, sent, ct);
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await BodyWriter.AbortAsync(http);
        }
    }

    private static async Task StallAsync(HttpContext http, EmulatorState state, StoreObject obj, CancellationToken ct)
    {
        // The first chunk, but never the whole body: a one-chunk NAR gets half of it.
        var first = Math.Min(obj.ChunkLengths.Count > 0 ? obj.ChunkLengths[0] : obj.Body.Length, obj.Body.Length / 2);
        await BodyAsync(http, obj.Body, obj.ChunkLengths, first, ct);
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        await Task.Delay(state.Options.StallDuration, ct);
        http.Abort();
    }

    private static Task ResetAsync(HttpContext http)
    {
        http.Abort();
        return Task.CompletedTask;
    }

    private static Task RedirectAsync(HttpContext http, string host, StoreObject obj)
    {
        http.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
        http.Response.Headers.Location = StorageUrl(host, obj.StoreHash);
        http.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    /// <summary>A URL shaped like an S3 presigned GET (600 s, as Attic signs them).</summary>
    internal static string StorageUrl(string host, string storeHash)
    {
        var signature = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("attic-emulator:" + storeHash)));
        return $"http://{host}/_storage/{storeHash}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=emulator%2F20260101%2Fauto%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Signature={signature}";
    }

    private static void StartOk(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = NarContentType;
    }
}
