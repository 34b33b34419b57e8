using System.Security.Cryptography;
using System.Text.Json;
using Amazon.Runtime;
using Microsoft.AspNetCore.Http.Features;

namespace AtticEmulator;

/// <summary>
/// The two routes <c>attic push</c> uses: <c>POST /_api/v1/get-missing-paths</c> and <c>PUT /_api/v1/upload-path</c>.
/// An upload whose NAR hash is already stored is deduplicated (the body is hashed and dropped, storage is not
/// touched); any other is cut into chunks, each compressed and, in S3 mode, written to S3 before the object is
/// recorded. A storage failure is a 500 <c>InternalServerError</c>, as Attic's <c>upload_path</c> answers it.
/// </summary>
internal static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app, EmulatorState state)
    {
        app.MapPost("/_api/v1/get-missing-paths", (HttpContext http) => MissingPathsAsync(http, state));
        app.MapPut("/_api/v1/upload-path", (HttpContext http) => UploadPathAsync(http, state));
    }

    private static async Task MissingPathsAsync(HttpContext http, EmulatorState state)
    {
        MissingPathsRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<MissingPathsRequest>(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException e)
        {
            await AtticErrors.RequestError(http, "bad get-missing-paths request: " + e.Message);
            return;
        }

        if (request?.Cache is null || !await state.AdmitAsync(http, request.Cache))
        {
            if (request?.Cache is null)
            {
                await AtticErrors.RequestError(http, "cache must be set");
            }

            return;
        }

        var missing = (request.StorePathHashes ?? []).Where(h => !state.Catalog.TryGet(h, out _)).ToList();
        await WriteJsonAsync(http, new MissingPathsResponse(missing));
    }

    private static async Task UploadPathAsync(HttpContext http, EmulatorState state)
    {
        // NARs can be gigabytes; Kestrel's 30 MB default would cut real pushes.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var ct = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, state.Stopping).Token;
        var (info, error) = await UploadInfo.ReadAsync(http.Request, ct);
        if (info is null)
        {
            await AtticErrors.RequestError(http, error!);
            return;
        }

        if (!await state.AdmitAsync(http, info.Cache))
        {
            return;
        }

        string storeHash;
        try
        {
            storeHash = ObjectCatalog.StoreHashOf(info.StorePath);
        }
        catch (ArgumentException)
        {
            await AtticErrors.RequestError(http, "store_path is not a store path");
            return;
        }

        state.Catalog.UploadRequests.Hit(storeHash);
        if (storeHash != info.StorePathHash || info.NarHashHex is not { } narHashHex || info.NarSize < 0)
        {
            await AtticErrors.RequestError(http, "store_path_hash, nar_hash (sha256:<hex>) or nar_size is not valid");
            return;
        }

        try
        {
            if (state.Catalog.FindByNarHash(narHashHex) is { } existing)
            {
                await DeduplicateAsync(http, state, info, narHashHex, existing, ct);
            }
            else
            {
                await UploadNewAsync(http, state, info, narHashHex, ct);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The pusher went away mid-body: nothing was recorded, nothing left to answer.
            http.Abort();
        }
    }

    private static async Task DeduplicateAsync(HttpContext http, EmulatorState state, UploadInfo info, string narHashHex, StoreObject existing, CancellationToken ct)
    {
        // Proof of possession (Attic's default): the body is hashed and dropped; storage is not touched.
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long size = 0;
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, ct)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            size += read;
        }

        if (Convert.ToHexStringLower(sha.GetHashAndReset()) != narHashHex || size != info.NarSize || size != existing.NarSize)
        {
            await AtticErrors.RequestError(http, "Bad NAR Hash or Size");
            return;
        }

        state.Catalog.AddUploaded(Describe(info, existing.Nar, narHashHex, existing.Body) with { ChunkLengths = existing.ChunkLengths, ChunkKeys = existing.ChunkKeys });
        await WriteJsonAsync(http, new UploadResult("Deduplicated", existing.Body.LongLength));
    }

    private static async Task UploadNewAsync(HttpContext http, EmulatorState state, UploadInfo info, string narHashHex, CancellationToken ct)
    {
        var chunkSize = state.Options.ChunkSize;
        var prefix = Guid.NewGuid().ToString("N");
        var keys = new List<string>();
        var lengths = new List<int>();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Kept in memory too, for the faults that serve an altered body; healthy downloads come from S3.
        using var nar = new MemoryStream();
        using var body = new MemoryStream();
        var buffer = new byte[chunkSize];
        while (true)
        {
            var read = await http.Request.Body.ReadAtLeastAsync(buffer, chunkSize, throwOnEndOfStream: false, ct);
            if (read == 0 && nar.Length > 0)
            {
                break;
            }

            sha.AppendData(buffer, 0, read);
            nar.Write(buffer, 0, read);
            var (chunk, _) = ChunkedCompressor.Compress(buffer.AsSpan(0, read), state.Options.Compression, chunkSize);
            if (state.Chunks is { } store)
            {
                var key = $"{prefix}/{keys.Count:D6}.chunk";
                try
                {
                    await store.PutAsync(key, chunk, ct);
                }
                catch (Exception e) when (e is AmazonServiceException or HttpRequestException)
                {
                    LoggerOf(http).LogError("upload_path: storage error writing chunk {Index} of {StorePath}: {Error}", keys.Count, info.StorePath, Describe(e));
                    await store.TryDeleteAsync(keys);
                    await AtticErrors.InternalServerError(http);
                    return;
                }

                keys.Add(key);
            }

            body.Write(chunk);
            lengths.Add(chunk.Length);
            if (read < chunkSize)
            {
                break;
            }
        }

        if (Convert.ToHexStringLower(sha.GetHashAndReset()) != narHashHex || nar.Length != info.NarSize)
        {
            if (state.Chunks is { } store)
            {
                await store.TryDeleteAsync(keys);
            }

            await AtticErrors.RequestError(http, "Bad NAR Hash or Size");
            return;
        }

        var obj = Describe(info, nar.ToArray(), narHashHex, body.ToArray()) with
        {
            ChunkLengths = lengths,
            ChunkKeys = state.Chunks is null ? null : keys,
        };
        state.Catalog.AddUploaded(obj);
        await WriteJsonAsync(http, new UploadResult("Uploaded", obj.Body.LongLength));
    }

    private static StoreObject Describe(UploadInfo info, byte[] nar, string narHashHex, byte[] body) =>
        new(
            info.StorePath,
            info.StorePathHash,
            nar,
            narHashHex,
            body,
            (info.References ?? []).Select(r => r.StartsWith("/nix/store/", StringComparison.Ordinal) ? r["/nix/store/".Length..] : r)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            info.Deriver is { Length: > 0 } d ? (d.StartsWith("/nix/store/", StringComparison.Ordinal) ? d["/nix/store/".Length..] : d) : null,
            (info.Sigs ?? []).ToArray());

    /// <summary>The S3 error code (NoSuchBucket, ...) as Attic logs it, or the connection error's kind.</summary>
    internal static string Describe(Exception e) => e switch
    {
        AmazonServiceException s => $"{(string.IsNullOrEmpty(s.ErrorCode) ? s.GetType().Name : s.ErrorCode)} ({(int)s.StatusCode})",
        HttpRequestException h => "connection: " + h.HttpRequestError,
        _ => e.GetType().Name,
    };

    internal static ILogger LoggerOf(HttpContext http) =>
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("AtticEmulator.Storage");

    private static async Task WriteJsonAsync<T>(HttpContext http, T value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = bytes.Length;
        await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
    }
}
