using System.Text;

namespace NarGuard.Demo;

/// <summary>The commands to try by hand while the demo stays up: curl always, nix when it is installed.</summary>
public static class DemoHints
{
    private const string CurlFormat = "'%{http_code} %{size_download} bytes\\n'";

    public static string Render(DemoReport report, bool nixInstalled)
    {
        var text = new StringBuilder();
        text.AppendLine("Try it by hand:");
        text.AppendLine($"  UP={report.UpstreamCacheUrl}    # the bundled Attic-shaped upstream");
        text.AppendLine($"  NG={report.ProxyCacheUrl}    # NarGuard in front of it");
        text.AppendLine();
        text.AppendLine("  # the narinfo, then the NAR straight and through the guard (-D - shows X-NarGuard-Reason):");
        text.AppendLine($"  curl -s $NG/{First(report, "healthy").StoreHash}.narinfo");
        foreach (var row in report.Rows)
        {
            text.AppendLine($"  # {row.Case.Name}: {row.Case.Description}");
            // The narinfo faults break the narinfo; the NAR behind it is intact, so show the narinfo.
            var path = row.Case.Fault is AtticEmulator.Fault.NarInfoServerError or AtticEmulator.Fault.NarInfoGarbage
                ? $"{row.StoreHash}.narinfo"
                : $"nar/{row.StoreHash}.nar";
            text.AppendLine($"  curl -s -o /dev/null -w {CurlFormat} $UP/{path}; curl -s -o /dev/null -D - -w {CurlFormat} $NG/{path} | grep -Ei '^(HTTP|x-narguard|[0-9])'");
        }

        text.AppendLine();
        var healthy = First(report, "healthy").StorePath;
        var incident = First(report, "empty").StorePath;
        const string Options = "--option require-sigs false --option narinfo-cache-negative-ttl 0";
        if (nixInstalled)
        {
            // nix-store --realise substitutes a path it has no derivation for. The broken paths have none either, so
            // through the guard Nix ends with "don't know how to build": with a derivation it would build it instead.
            text.AppendLine("  # with Nix (as root or a trusted user; the demo paths are made up and no root keeps them):");
            text.AppendLine($"  nix-store --realise {healthy} --option substituters $NG {Options}   # substituted through the guard");
            text.AppendLine($"  nix-store --realise {incident} --option substituters $UP {Options}   # the incident: fails, 'Transferred a partial file'");
            text.AppendLine($"  nix-store --realise {incident} --option substituters $NG {Options}   # a clean 404: 'don't know how to build' here, a local build with a real derivation");
        }
        else
        {
            text.AppendLine("  (nix is not on PATH here; where it is, the demo also prints nix-store --realise commands for these paths)");
        }
        return text.ToString();
    }

    private static DemoRow First(DemoReport report, string name) => report.Rows.First(r => r.Case.Name == name);

    /// <summary>Whether an executable named <paramref name="name"/> is on PATH.</summary>
    public static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, name)));
}
