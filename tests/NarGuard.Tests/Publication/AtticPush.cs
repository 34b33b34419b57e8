using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace NarGuard.Tests.Publication;

/// <summary>What <c>attic push</c> sends for one path: PUT /_api/v1/upload-path with the X-Attic-Nar-Info header and the NAR as the body.</summary>
public static class AtticPush
{
    public static HttpRequestMessage UploadRequest(string baseUrl, string cache, string storePath, byte[] nar, IEnumerable<string>? references = null, string? narHashHex = null)
    {
        var info = new Dictionary<string, object?>
        {
            ["cache"] = cache,
            ["store_path_hash"] = storePath["/nix/store/".Length..][..32],
            ["store_path"] = storePath,
            ["references"] = (references ?? []).ToArray(),
            ["system"] = "x86_64-linux",
            ["deriver"] = null,
            ["sigs"] = Array.Empty<string>(),
            ["ca"] = null,
            ["nar_hash"] = "sha256:" + (narHashHex ?? Convert.ToHexStringLower(SHA256.HashData(nar))),
            ["nar_size"] = nar.LongLength,
        };
        var request = new HttpRequestMessage(HttpMethod.Put, baseUrl + "/_api/v1/upload-path")
        {
            Content = new ByteArrayContent(nar),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-nix-nar");
        request.Headers.TryAddWithoutValidation("X-Attic-Nar-Info", JsonSerializer.Serialize(info));
        return request;
    }

    public static async Task<(int Status, JsonElement Body)> PushAsync(HttpClient http, string baseUrl, string cache, string storePath, byte[] nar, IEnumerable<string>? references = null)
    {
        using var request = UploadRequest(baseUrl, cache, storePath, nar, references);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }
}
