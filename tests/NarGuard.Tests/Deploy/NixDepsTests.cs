using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace NarGuard.Tests.Deploy;

/// <summary>
/// nix/deps.json (buildDotnetModule's nugetDeps) must name exactly the packages the restore locked for the proxy's
/// closure, with the SHA-256 of the very .nupkg files the lock names. When this fails after a package was added or
/// upgraded: run nix/update-deps.sh.
/// </summary>
/// <remarks>
/// The lock's contentHash is NuGet's content hash: for a signed package (all of nuget.org) a SHA-512 of the package
/// without its repository signature, so it cannot be compared with a digest of the file. The link from lock to file
/// is the restore's own record beside the cached package (.nupkg.metadata), and .nupkg.sha512 is the file's digest.
/// </remarks>
public sealed partial class NixDepsTests
{
    private const string Fix = "run nix/update-deps.sh (after dotnet restore) and commit nix/deps.json";

    private sealed record Locked(string Name, string Version, string ContentHash);
    private sealed record NixDep(string PName, string Version, string Hash);

    private static IReadOnlyList<Locked> LockedPackages()
    {
        using var lockFile = JsonDocument.Parse(File.ReadAllText(RepoPaths.Of("src", "NarGuard", "packages.lock.json")));
        return lockFile.RootElement.GetProperty("dependencies").EnumerateObject()
            .SelectMany(target => target.Value.EnumerateObject())
            .Where(p => p.Value.GetProperty("type").GetString() != "Project")
            .Select(p => new Locked(p.Name, p.Value.GetProperty("resolved").GetString()!, p.Value.GetProperty("contentHash").GetString()!))
            .DistinctBy(p => (p.Name.ToLowerInvariant(), p.Version.ToLowerInvariant()))
            .ToList();
    }

    private static IReadOnlyList<NixDep> NixDeps() =>
        JsonSerializer.Deserialize<List<NixDep>>(File.ReadAllText(RepoPaths.Of("nix", "deps.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    [Fact]
    public void Every_project_writes_a_lock_file()
    {
        var props = XDocument.Load(RepoPaths.Of("Directory.Build.props"));
        Assert.Equal("true", props.Descendants("RestorePackagesWithLockFile").Single().Value.Trim());
        foreach (var project in Directory.GetFiles(RepoPaths.Root, "*.csproj", SearchOption.AllDirectories).Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(project)!, "packages.lock.json")), $"{project}: no packages.lock.json; run dotnet restore Proxy.sln");
        }
    }

    [Fact]
    public void Deps_json_names_exactly_the_locked_packages()
    {
        var locked = LockedPackages().Select(p => $"{p.Name}/{p.Version}".ToLowerInvariant()).Order().ToList();
        var nix = NixDeps().Select(d => $"{d.PName}/{d.Version}".ToLowerInvariant()).Order().ToList();
        Assert.True(locked.Count > 0, "src/NarGuard/packages.lock.json locks no package");
        var missing = locked.Except(nix).ToList();
        var stale = nix.Except(locked).ToList();
        Assert.True(missing.Count == 0 && stale.Count == 0,
            $"nix/deps.json and src/NarGuard/packages.lock.json differ. Missing: [{string.Join(", ", missing)}]; not locked: [{string.Join(", ", stale)}]. {Fix}.");
        Assert.Equal(nix.Count, nix.Distinct().Count());
    }

    [Fact]
    public void Hashes_are_sri_sha256_of_the_locked_nupkg()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var locked = LockedPackages().ToDictionary(p => $"{p.Name}/{p.Version}".ToLowerInvariant());
        var checkedFiles = 0;
        foreach (var dep in NixDeps())
        {
            Assert.Matches(SriSha256(), dep.Hash);
            if (!locked.TryGetValue($"{dep.PName}/{dep.Version}".ToLowerInvariant(), out var lockEntry))
            {
                continue; // reported by Deps_json_names_exactly_the_locked_packages
            }
            var id = dep.PName.ToLowerInvariant();
            var version = dep.Version.ToLowerInvariant();
            var file = Path.Combine(packages, id, version, $"{id}.{version}.nupkg");
            if (!File.Exists(file))
            {
                continue; // a machine that restored from elsewhere; the names are still checked above
            }
            var bytes = File.ReadAllBytes(file);
            using (var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(packages, id, version, ".nupkg.metadata"))))
            {
                Assert.True(metadata.RootElement.GetProperty("contentHash").GetString() == lockEntry.ContentHash, $"{file} is not the package the lock names");
            }
            Assert.Equal(File.ReadAllText(file + ".sha512").Trim(), Convert.ToBase64String(SHA512.HashData(bytes)));
            Assert.True("sha256-" + Convert.ToBase64String(SHA256.HashData(bytes)) == dep.Hash, $"{dep.PName} {dep.Version}: hash is not the nupkg's SHA-256. {Fix}.");
            checkedFiles++;
        }
        // The restore that built these tests put the packages there: the hashes must have been checked, not skipped.
        Assert.True(checkedFiles > 0, $"no .nupkg of nix/deps.json found under {packages}");
    }

    [GeneratedRegex("^sha256-[A-Za-z0-9+/]{43}=$")]
    private static partial Regex SriSha256();
}
