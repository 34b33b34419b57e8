using System.Text.Json.Serialization;

namespace AtticEmulator;

/// <summary>Attic's UploadPathResult: <c>Uploaded</c> or <c>Deduplicated</c>, and the compressed size.</summary>
internal sealed record UploadResult(
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("file_size")] long FileSize);
