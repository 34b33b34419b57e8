namespace NarGuard.Demo;

/// <summary>What a Nix client would do with the answers it got (CONTEXT.md §2, Nix 2.8 as Debian ships it).</summary>
public enum NixOutcome
{
    /// <summary>The narinfo and a NAR that verifies: the path is substituted.</summary>
    Substitutes,

    /// <summary>A 404/403/410 (or 401) somewhere: "not in this cache", so Nix builds the path itself. Clean.</summary>
    BuildsLocally,

    /// <summary>A 5xx, a cut-off or wrong body, a stall or a junk narinfo: without --fallback the build fails.</summary>
    Fails,
}

/// <summary>One HTTP answer as the demo's client saw it.</summary>
/// <param name="Status">The status code, or null when no response arrived (connection refused or reset).</param>
/// <param name="Bytes">Body bytes received before the body ended or broke.</param>
/// <param name="Failure">How the exchange broke: "reset", "cut off", "stalled"; null when it completed.</param>
/// <param name="Reason">NarGuard's X-NarGuard-Reason header, when it sent one.</param>
public sealed record Answer(int? Status, long Bytes, string? Failure, string? Reason)
{
    public bool Completed => Status is not null && Failure is null;

    /// <summary>"200", "404", "200 cut off", "reset".</summary>
    public string Describe() => (Status, Failure) switch
    {
        (null, { } failure) => failure,
        (null, null) => "-",
        ({ } status, null) => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ({ } status, { } failure) => $"{status} {failure}",
    };
}

/// <summary>What a client got for one store path from one base URL (the upstream or the proxy).</summary>
/// <param name="NarInfo">The narinfo answer.</param>
/// <param name="NarInfoParses">Whether the narinfo body was a narinfo at all.</param>
/// <param name="Nar">The NAR answer; null when the client would not have asked (narinfo not usable).</param>
/// <param name="Verifies">Whether the NAR body matches the narinfo's NarHash and NarSize; null when there was no full body.</param>
/// <param name="Outcome">What Nix would do.</param>
public sealed record RouteResult(Answer NarInfo, bool NarInfoParses, Answer? Nar, bool? Verifies, NixOutcome Outcome);

/// <summary>One line of the demo's table: the same store path straight from the upstream and through NarGuard.</summary>
public sealed record DemoRow(DemoCase Case, string StorePath, RouteResult Direct, RouteResult Guarded)
{
    public string StoreHash => StorePath["/nix/store/".Length..][..32];
}

/// <summary>The whole demo run: the rows, and where the two servers listen.</summary>
public sealed record DemoReport(string UpstreamCacheUrl, string ProxyCacheUrl, IReadOnlyList<DemoRow> Rows)
{
    /// <summary>
    /// The guarantee the demo shows: through NarGuard no row ends in a failed build, and the healthy path is still
    /// substituted (a proxy that answered 404 for everything would pass the first test and fail this one).
    /// </summary>
    public bool GuardHolds =>
        Rows.All(r => r.Guarded.Outcome != NixOutcome.Fails)
        && Rows.Where(r => r.Case.Fault == AtticEmulator.Fault.Healthy).All(r => r.Guarded.Outcome == NixOutcome.Substitutes);
}
