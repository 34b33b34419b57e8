
namespace NarGuard.Tests.Support;

/// <summary>Waits (up to 20 s) for what the proxy does after it answered: read-backs and evidence run asynchronously.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 200; i++)
        {
            if (condition())
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("not within 20 s: " + what);
    }

    public static async Task<string> LogLineAsync(ProxyFixture proxy, string prefix)
    {
        string? line = null;
        await TrueAsync(() => (line = proxy.Logs.Lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))) is not null, "a log line starting " + prefix
            + "\n" + string.Join("\n", proxy.Logs.Lines.TakeLast(30)));
        return line!;
    }
}
