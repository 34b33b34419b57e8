namespace NarGuard.Check;

/// <summary>When the output is not a terminal: one line per path as soon as its verdict is in, nothing redrawn.</summary>
internal sealed class PlainLineObserver(TextWriter writer) : ICheckObserver
{
    private readonly Lock _gate = new();

    public void PathCompleted(PathCheckResult result)
    {
        var line = CheckTextReport.PlainLine(result);
        lock (_gate)
        {
            writer.WriteLine(line);
            // A pipe into `tee` or a CI log should show each verdict as it lands, not at exit.
            writer.Flush();
        }
    }
}
