using System.Text.Json;
using Microsoft.AspNetCore.Http;
using NarGuard.Core.Hashing;

namespace NarGuard.Publication;

/// <summary>
/// Which path an <c>upload-path</c> request pushes, read from Attic's UploadPathNarInfo: the <c>X-Attic-Nar-Info</c>
/// header, or the JSON preamble at the start of the body (<c>X-Attic-Nar-Info-Preamble-Size</c>), which
/// <c>attic push</c> uses when the JSON is large. Only the fields the guard needs; the request goes upstream as it came.
/// </summary>
public sealed record PushedPath(string StoreHash, string StorePath, long? NarSize)
{
    public const string NarInfoHeader = "X-Attic-Nar-Info";
    public const string PreambleSizeHeader = "X-Attic-Nar-Info-Preamble-Size";

    // Attic's client moves the JSON into the body above 4 KiB; references make it grow, never to megabytes.
    private const int MaxPreamble = 1024 * 1024;

    /// <summary>
    /// The pushed path, or null when the request does not say (or says it in a shape this guard does not know): such
    /// a push is still gated and forwarded, only its read-back is skipped. A preamble read here is put back in front
    /// of the body, so the upstream receives every byte.
    /// </summary>
    public static async Task<PushedPath?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.Headers.TryGetValue(NarInfoHeader, out var header))
        {
            return Parse(System.Text.Encoding.UTF8.GetBytes(header.ToString()));
        }
        if (!long.TryParse(request.Headers[PreambleSizeHeader].ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
            || size is < 1 or > MaxPreamble)
        {
            return null;
        }
        var preamble = new byte[size];
        var read = await request.Body.ReadAtLeastAsync(preamble, preamble.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        request.Body = new PrefixedStream(preamble.AsMemory(0, read), request.Body);
        return read == preamble.Length ? Parse(preamble) : null;
    }

    private static PushedPath? Parse(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("store_path", out var path) || path.ValueKind != JsonValueKind.String
                || NarGuard.Core.Hashing.StoreHash.FromStorePath(path.GetString()!) is not { } hash)
            {
                return null;
            }
            long? narSize = root.TryGetProperty("nar_size", out var size) && size.TryGetInt64(out var n) ? n : null;
            return new PushedPath(hash, path.GetString()!, narSize);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
