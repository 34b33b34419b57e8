using System.Text.Json;

namespace NarGuard.Publication;

/// <summary>
/// What Attic answered a push, read from the forwarded response without changing it: the status, and from its small
/// JSON body either the result kind (Uploaded, Deduplicated) or the error (InternalServerError and its message).
/// </summary>
internal sealed class UpstreamPushAnswer
{
    // Attic's answers to upload-path are a few hundred bytes; anything larger is not read, only forwarded.
    internal const int MaxBody = 64 * 1024;

    public int? Status { get; private set; }
    public string? Kind { get; private set; }
    public string? Error { get; private set; }
    public string? Message { get; private set; }

    public async Task ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Status = (int)response.StatusCode;
        if (response.Content.Headers.ContentLength is not (> 0 and <= MaxBody)
            || response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return;
        }
        try
        {
            // Buffered, so the forwarder then copies the same bytes to the client from memory.
            await response.Content.LoadIntoBufferAsync(MaxBody, cancellationToken).ConfigureAwait(false);
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            Kind = Text(root, "kind");
            Error = Text(root, "error");
            Message = Text(root, "message");
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException)
        {
            // Not JSON after all, or the body broke: the status is still known, and the client gets what YARP can copy.
        }
    }

    // Bounded: an error message ends up in a log line.
    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() is { Length: > 300 } long_ ? long_[..300] + "..." : value.GetString()
            : null;
}
