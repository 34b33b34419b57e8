using System.Text;

namespace AtticEmulator;

/// <summary>What every route handler needs: options, objects, the bound port and a token
/// cancelled when the server stops (so stalled responses do not hold up shutdown).</summary>
internal sealed class EmulatorState(EmulatorOptions options, ObjectCatalog catalog, CancellationToken stopping, ChunkStore? chunks = null)
{
    /// <summary>The S3 backend in S3 mode, else null.</summary>
    public ChunkStore? Chunks { get; } = chunks;

    public EmulatorOptions Options { get; } = options;

    public ObjectCatalog Catalog { get; } = catalog;

    public CancellationToken Stopping { get; } = stopping;

    /// <summary>Set once Kestrel has bound; read only by requests, which come after.</summary>
    public int Port { get; set; }

    public string ForeignStorageHost => Options.ForeignStorageHost ?? $"localhost:{Port}";

    /// <summary>Answers 404 NoSuchCache or 401 and returns false when the request may not
    /// reach the cache; Attic checks the cache before the token.</summary>
    public async Task<bool> AdmitAsync(HttpContext http, string cache)
    {
        if (!string.Equals(cache, Options.CacheName, StringComparison.Ordinal))
        {
            await AtticErrors.NoSuchCache(http);
            return false;
        }

        if (Options.BearerToken is { } token && !HasToken(http, token))
        {
            await AtticErrors.Unauthorized(http);
            return false;
        }

        return true;
    }

    private static bool HasToken(HttpContext http, string token)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return string.Equals(header["Bearer ".Length..].Trim(), token, StringComparison.Ordinal);
        }

        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                return colon >= 0 && string.Equals(pair[(colon + 1)..], token, StringComparison.Ordinal);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        return false;
    }
}
