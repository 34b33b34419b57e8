using System.Text.Json.Serialization;

namespace AtticEmulator;

/// <summary>Attic's GetMissingPathsRequest: the cache and the store hashes a pusher is about to upload.</summary>
internal sealed record MissingPathsRequest(
    [property: JsonPropertyName("cache")] string? Cache,
    [property: JsonPropertyName("store_path_hashes")] IReadOnlyList<string>? StorePathHashes);
