using System.Text;

namespace AtticEmulator;

/// <summary>The binary-cache routes Nix reads: <c>nix-cache-info</c> and <c>.narinfo</c>.</summary>
internal static class CacheEndpoints
{
    private const string CacheInfo = "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 41\n";

    private const string JunkNarInfo = "<html><body>this is not a narinfo\x01\x02</body></html>\nStorePath\n: :\n";

    public static void Map(IEndpointRouteBuilder app, EmulatorState state)
    {
        app.MapGet("/{cache}/nix-cache-info", (HttpContext http, string cache) => CacheInfoAsync(http, state, cache));
        app.MapMethods("/{cache}/{storeHash}.narinfo", ["GET", "HEAD"], (HttpContext http, string cache, string storeHash) => NarInfoAsync(http, state, cache, storeHash));
    }

    private static async Task CacheInfoAsync(HttpContext http, EmulatorState state, string cache)
    {
        if (await state.AdmitAsync(http, cache))
        {
            await WriteTextAsync(http, "text/x-nix-cache-info", CacheInfo);
        }
    }

    private static async Task NarInfoAsync(HttpContext http, EmulatorState state, string cache, string storeHash)
    {
        if (!await state.AdmitAsync(http, cache))
        {
            return;
        }

        state.Catalog.NarInfoRequests.Hit(storeHash);
        if (!state.Catalog.TryGet(storeHash, out var obj))
        {
            await AtticErrors.NoSuchObject(http);
            return;
        }

        switch (state.Catalog.FaultOf(storeHash))
        {
            case Fault.NarInfoServerError:
                await AtticErrors.InternalServerError(http);
                break;
            case Fault.NarInfoGarbage:
                await WriteTextAsync(http, "text/x-nix-narinfo", JunkNarInfo);
                break;
            case Fault.SizeBomb:
                await WriteTextAsync(http, "text/x-nix-narinfo", NarInfoText.Format(obj, state.Options.Compression, obj.NarSize / 2));
                break;
            default:
                // Every NAR fault keeps the narinfo intact: Attic answers it from its database.
                await WriteTextAsync(http, "text/x-nix-narinfo", NarInfoText.Format(obj, state.Options.Compression, obj.NarSize));
                break;
        }
    }

    private static async Task WriteTextAsync(HttpContext http, string contentType, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = contentType;
        http.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        }
    }
}
