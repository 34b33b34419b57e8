using AtticEmulator;

namespace NarGuard.Demo;

/// <summary>One store path of the demo: the fault the bundled upstream injects for it, and what that fault stands for.</summary>
/// <param name="Name">Short name, also the store path's name suffix (<c>narguard-demo-NAME</c>).</param>
/// <param name="Fault">What the emulator does for this path.</param>
/// <param name="Description">What the upstream does, in the words of an incident report.</param>
public sealed record DemoCase(string Name, Fault Fault, string Description)
{
    /// <summary>
    /// The faults shown, in the order of the table. Chosen to cover every way a real Attic has failed a client
    /// (CONTEXT.md §2): the incident itself (200 with no byte) first after the healthy path, then the other body
    /// failures, the statuses Nix retries and then gives up on, and the narinfo failures that abort a whole command.
    /// </summary>
    public static IReadOnlyList<DemoCase> All { get; } =
    [
        new("healthy", Fault.Healthy, "serves the object intact"),
        new("empty", Fault.Empty, "200, then no byte (the incident)"),
        new("truncated", Fault.Truncated, "200, body cut in half"),
        new("corrupt", Fault.Corrupt, "full body, one byte flipped"),
        new("garbage", Fault.Garbage, "full body of random bytes"),
        new("nar-500", Fault.NarServerError, "NAR 500 InternalServerError"),
        new("incomplete", Fault.IncompleteNar, "NAR 503 IncompleteNar"),
        new("reset", Fault.Reset, "resets the connection"),
        new("stall", Fault.Stall, "first chunk, then silence"),
        new("redirect-broken", Fault.RedirectBroken, "307 to storage that sends nothing"),
        new("redirect-foreign", Fault.RedirectForeign, "307 to a host nobody allowed"),
        new("size-bomb", Fault.SizeBomb, "narinfo NarSize is wrong"),
        new("nar-404", Fault.NarNotFound, "NAR 404 (object gone)"),
        new("narinfo-500", Fault.NarInfoServerError, "narinfo 500"),
        new("narinfo-junk", Fault.NarInfoGarbage, "narinfo 200 with junk"),
    ];
}
