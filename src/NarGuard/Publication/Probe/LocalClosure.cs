namespace NarGuard.Publication.Probe;

/// <summary>A closure read from the local Nix store: its paths, dependencies first, or why it could not be read.</summary>
public sealed record LocalClosure(IReadOnlyList<PublishPath>? Paths, string? Error);
