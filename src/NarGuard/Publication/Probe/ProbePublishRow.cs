using NarGuard.Check;

namespace NarGuard.Publication.Probe;

/// <summary>One path of a probe-publish run: its push and its read-back (null when the push failed and nothing was read).</summary>
public sealed record ProbePublishRow(PublishPath Path, PushOutcome Push, PathCheckResult? ReadBack)
{
    public bool IsOk => Push.IsOk && ReadBack is { IsOk: true };

    /// <summary>"ok", the read-back's rejection reason, or "-" when nothing was read back.</summary>
    public string ReadBackStatus => ReadBack?.Status ?? "-";
}
