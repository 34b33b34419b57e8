using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace NarGuard.Tests.Deploy;

/// <summary>
/// The Dockerfile's essentials. No Docker engine runs here: scripts/check-deploy.sh replays its build stage with the
/// local SDK and lints it; these tests pin what the image promises.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly string[] Lines = JoinContinuations(File.ReadAllLines(RepoPaths.Of("Dockerfile")));

    private static string[] Instructions(string name) =>
        Lines.Where(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Select(l => l[(name.Length + 1)..].Trim()).ToArray();

    private static string Env(string key) =>
        Instructions("ENV").SelectMany(e => Regex.Matches(e, @"(\w+)=(\S*)")).Single(m => m.Groups[1].Value == key).Groups[2].Value;

    [Fact]
    public void Builds_with_the_sdk_and_runs_on_the_aspnet_runtime_of_the_target_framework()
    {
        var framework = XDocument.Load(RepoPaths.Of("Directory.Build.props")).Descendants("TargetFramework").Single().Value; // net10.0
        var version = framework["net".Length..];
        var from = Instructions("FROM");
        Assert.Equal(2, from.Length);
        Assert.Equal($"mcr.microsoft.com/dotnet/sdk:{version} AS build", from[0]);
        Assert.StartsWith($"mcr.microsoft.com/dotnet/aspnet:{version}", from[1]);
    }

    [Fact]
    public void Runs_as_a_non_root_user_with_a_healthcheck_a_spool_volume_and_environment_settings()
    {
        var user = Assert.Single(Instructions("USER"));
        Assert.DoesNotMatch("^(root|0)(:|$)", user);

        Assert.Contains("\"healthcheck\"", Assert.Single(Instructions("HEALTHCHECK")));
        Assert.Equal($"[\"{Env("NARGUARD_Spool__Path")}\"]", Assert.Single(Instructions("VOLUME")));
        var port = new Uri(Env("NARGUARD_Listen").Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(Instructions("EXPOSE")));
        Assert.Equal("[\"/app/narguard\"]", Assert.Single(Instructions("ENTRYPOINT")));
    }

    [Fact]
    public void The_restore_layer_copies_every_project_and_lock_file_it_needs_and_restores_locked()
    {
        var copied = Instructions("COPY").Where(c => !c.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]).ToHashSet();
        foreach (var project in ProjectClosure(RepoPaths.Of("src", "NarGuard", "NarGuard.csproj")))
        {
            var relative = Path.GetRelativePath(RepoPaths.Root, project).Replace('\\', '/');
            Assert.Contains(relative, copied);
            Assert.Contains(Path.GetDirectoryName(relative)!.Replace('\\', '/') + "/packages.lock.json", copied);
            Assert.Contains(Path.GetDirectoryName(relative)!.Replace('\\', '/') + "/", copied);
        }
        Assert.Contains(Instructions("RUN"), r => r.StartsWith("dotnet restore ", StringComparison.Ordinal) && r.Contains("--locked-mode"));
        Assert.Contains(Instructions("RUN"), r => r.StartsWith("dotnet publish ", StringComparison.Ordinal) && r.Contains("--no-restore"));
        var ignored = File.ReadAllLines(RepoPaths.Of(".dockerignore"));
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    /// <summary>The project and every project it references, transitively.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>();
        var queue = new Queue<string>([Path.GetFullPath(project)]);
        while (queue.TryDequeue(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }
            foreach (var reference in XDocument.Load(next).Descendants("ProjectReference"))
            {
                var path = reference.Attribute("Include")!.Value.Replace('\\', Path.DirectorySeparatorChar);
                queue.Enqueue(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, path)));
            }
        }
        return seen;
    }

    private static string[] JoinContinuations(string[] lines)
    {
        var joined = new List<string>();
        var current = "";
        foreach (var line in lines.Where(l => !l.TrimStart().StartsWith('#')))
        {
            current += line.TrimEnd().TrimEnd('\\') + " ";
            if (!line.TrimEnd().EndsWith('\\'))
            {
                joined.Add(Regex.Replace(current.Trim(), @"\s+", " "));
                current = "";
            }
        }
        return joined.Where(l => l.Length > 0).ToArray();
    }
}
