using NarGuard.Upstream;

namespace NarGuard.Check;

/// <summary>
/// One store path to check. <see cref="NarInfo"/> carries a narinfo that was already fetched (by the closure walk),
/// so the check does not ask the upstream twice for it.
/// </summary>
public sealed record CheckTarget(string StoreHash, string? StorePath = null, NarInfoFetch? NarInfo = null);
