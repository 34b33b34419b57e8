using System.Text.Json;
using System.Text.Json.Serialization;

namespace AtticEmulator;

/// <summary>
/// Attic's <c>UploadPathNarInfo</c>: what <c>attic push</c> says about the NAR it uploads, as JSON in the
/// <c>X-Attic-Nar-Info</c> header or at the start of the body (<c>X-Attic-Nar-Info-Preamble-Size</c> bytes).
/// <c>nar_hash</c> is <c>sha256:&lt;64 hex&gt;</c>; the server checks it and <c>nar_size</c> against the body.
/// </summary>
internal sealed record UploadInfo(
    [property: JsonPropertyName("cache")] string Cache,
    [property: JsonPropertyName("store_path_hash")] string StorePathHash,
    [property: JsonPropertyName("store_path")] string StorePath,
    [property: JsonPropertyName("references")] IReadOnlyList<string>? References,
    [property: JsonPropertyName("system")] string? System,
    [property: JsonPropertyName("deriver")] string? Deriver,
    [property: JsonPropertyName("sigs")] IReadOnlyList<string>? Sigs,
    [property: JsonPropertyName("ca")] string? Ca,
    [property: JsonPropertyName("nar_hash")] string NarHash,
    [property: JsonPropertyName("nar_size")] long NarSize)
{
    public const string Header = "X-Attic-Nar-Info";
    public const string PreambleSizeHeader = "X-Attic-Nar-Info-Preamble-Size";
    private const int MaxPreamble = 4 * 1024 * 1024;

    /// <summary>Reads the upload info from the header, else from the body's preamble; null and a reason when neither parses.</summary>
    public static async Task<(UploadInfo? Info, string? Error)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        byte[] json;
        if (request.Headers.TryGetValue(Header, out var header))
        {
            json = global::System.Text.Encoding.UTF8.GetBytes(header.ToString());
        }
        else if (long.TryParse(request.Headers[PreambleSizeHeader].ToString(), out var size) && size is > 0 and <= MaxPreamble)
        {
            json = new byte[size];
            if (await request.Body.ReadAtLeastAsync(json, json.Length, throwOnEndOfStream: false, ct) < json.Length)
            {
                return (null, "the body ended inside the NAR info preamble");
            }
        }
        else
        {
            return (null, $"{Header} must be set");
        }

        try
        {
            var info = JsonSerializer.Deserialize<UploadInfo>(json);
            return info is null || string.IsNullOrEmpty(info.StorePath) || string.IsNullOrEmpty(info.NarHash)
                ? (null, "incomplete NAR info")
                : (info, null);
        }
        catch (JsonException e)
        {
            return (null, "NAR info is not valid JSON: " + e.Message);
        }
    }

    /// <summary>The 64 hex characters of <see cref="NarHash"/>, lower case; null unless it is <c>sha256:&lt;hex&gt;</c>.</summary>
    public string? NarHashHex =>
        NarHash.StartsWith("sha256:", StringComparison.Ordinal) && NarHash.Length == 7 + 64 && NarHash[7..].All(Uri.IsHexDigit)
            ? NarHash[7..].ToLowerInvariant()
            : null;
}
