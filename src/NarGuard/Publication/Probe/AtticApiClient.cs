using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace NarGuard.Publication.Probe;

/// <summary>
/// The two calls of <c>attic push</c>, as Attic's API defines them: POST get-missing-paths
/// (<c>{cache, store_path_hashes}</c> → <c>{missing_paths}</c>) and PUT upload-path (UploadPathNarInfo as the
/// <c>X-Attic-Nar-Info</c> header, the NAR as the body, streamed with its Content-Length).
/// </summary>
public sealed class AtticApiClient(HttpClient http, Uri apiBase, string cache, string? authorization)
{
    public async Task<(IReadOnlySet<string>? Missing, string? Error)> GetMissingAsync(IEnumerable<string> storeHashes, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["cache"] = cache, ["store_path_hashes"] = storeHashes.ToArray() });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(apiBase, "get-missing-paths")) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        Authorize(request);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var (error, message) = ErrorOf(text);
                return (null, $"get-missing-paths answered {(int)response.StatusCode} {error} {message}".TrimEnd());
            }
            using var document = JsonDocument.Parse(text);
            return (document.RootElement.GetProperty("missing_paths").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, "get-missing-paths failed: " + ex.GetType().Name);
        }
    }

    public async Task<PushOutcome> UploadAsync(PublishPath path, CancellationToken cancellationToken)
    {
        var info = new Dictionary<string, object?>
        {
            ["cache"] = cache,
            ["store_path_hash"] = path.StoreHash,
            ["store_path"] = path.StorePath,
            ["references"] = path.References.ToArray(),
            ["system"] = null,
            ["deriver"] = path.Deriver,
            ["sigs"] = Array.Empty<string>(),
            ["ca"] = null,
            ["nar_hash"] = "sha256:" + path.NarHashHex,
            ["nar_size"] = path.NarSize,
        };
        try
        {
            await using var nar = await path.OpenNar(cancellationToken).ConfigureAwait(false);
            using var content = new StreamContent(nar);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-nix-nar");
            content.Headers.ContentLength = path.NarSize;
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(apiBase, "upload-path")) { Content = content };
            request.Headers.TryAddWithoutValidation("X-Attic-Nar-Info", JsonSerializer.Serialize(info));
            Authorize(request);
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var kind = KindOf(text);
                return new PushOutcome(kind == "Deduplicated" ? PushOutcome.Deduplicated : PushOutcome.Uploaded, status, null, null);
            }
            var (error, message) = ErrorOf(text);
            var result = status >= 500 ? (error == "StorageUnhealthy" ? PushOutcome.Refused : PushOutcome.Failed) : PushOutcome.Rejected;
            return new PushOutcome(result, status, error, message);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return new PushOutcome(PushOutcome.Failed, null, ex.GetType().Name, ex is HttpRequestException h ? "connection: " + h.HttpRequestError : null);
        }
    }

    private void Authorize(HttpRequestMessage request)
    {
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
    }

    private static string? KindOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("kind", out var kind) ? kind.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Attic's errors are {"code":..,"error":"..","message":".."}; anything else is reported by status alone.
    private static (string? Error, string? Message) ErrorOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return (root.TryGetProperty("error", out var e) ? e.GetString() : null, root.TryGetProperty("message", out var m) ? m.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
