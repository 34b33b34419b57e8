namespace NarGuard.Tests.Deploy;

/// <summary>The repository the tests run from: deploy files are checked where they are, not copies of them.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Proxy.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Proxy.sln above {AppContext.BaseDirectory}");
    }
}
