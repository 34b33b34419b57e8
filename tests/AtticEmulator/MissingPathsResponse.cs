using System.Text.Json.Serialization;

namespace AtticEmulator;

/// <summary>Attic's GetMissingPathsResponse: the hashes the cache does not hold.</summary>
internal sealed record MissingPathsResponse([property: JsonPropertyName("missing_paths")] IReadOnlyList<string> MissingPaths);
