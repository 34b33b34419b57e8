using System.Text;

namespace AtticEmulator;

/// <summary><c>GET|HEAD /_storage/&lt;storehash&gt;?X-Amz-Signature=...</c>: stands in for the
/// presigned S3 URL of a redirected NAR. Serves the compressed body with Content-Length, as S3
/// does; for <see cref="Fault.RedirectBroken"/> it commits 200 + the full Content-Length and
/// then aborts with zero body bytes.</summary>
internal static class StorageEndpoint
{
    public static void Map(IEndpointRouteBuilder app, EmulatorState state) =>
        app.MapMethods("/_storage/{storeHash}", ["GET", "HEAD"], (HttpContext http, string storeHash) => HandleAsync(http, state, storeHash));

    private static async Task HandleAsync(HttpContext http, EmulatorState state, string storeHash)
    {
        state.Catalog.StorageRequests.Hit(storeHash);
        if (string.IsNullOrEmpty(http.Request.Query["X-Amz-Signature"]))
        {
            await S3ErrorAsync(http, StatusCodes.Status403Forbidden, "AccessDenied");
            return;
        }

        if (!state.Catalog.TryGet(storeHash, out var obj))
        {
            await S3ErrorAsync(http, StatusCodes.Status404NotFound, "NoSuchKey");
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, state.Stopping);
        try
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/octet-stream";
            http.Response.ContentLength = obj.Body.Length;
            if (HttpMethods.IsHead(http.Request.Method))
            {
                return;
            }

            await BodyWriter.StartAsync(http.Response, cts.Token);
            if (state.Catalog.FaultOf(storeHash) == Fault.RedirectBroken)
            {
                await BodyWriter.AbortAsync(http);
                return;
            }

            await BodyWriter.WriteChunksAsync(http.Response, obj.Body, obj.ChunkLengths, obj.Body.Length, cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            http.Abort();
        }
    }

    private static async Task S3ErrorAsync(HttpContext http, int status, string code)
    {
        var body = Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{code}</Message></Error>");
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/xml";
        http.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(body, http.RequestAborted);
        }
    }
}
