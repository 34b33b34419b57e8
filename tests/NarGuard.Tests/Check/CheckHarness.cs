using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AtticEmulator;
using NarGuard.Check;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Check;

/// <summary>Runs <c>narguard check</c> in-process with captured output, an injected stdin and environment.</summary>
internal static class CheckHarness
{
    public sealed record Run(int ExitCode, string Out, string Error)
    {
        public string All => Out + Error;

        public JsonDocument Json() => JsonDocument.Parse(Out);

        /// <summary>storePath (or storeHash when there is no path) → the path's JSON object.</summary>
        public Dictionary<string, JsonElement> JsonPaths()
        {
            var paths = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var path in Json().RootElement.GetProperty("paths").EnumerateArray())
            {
                var key = path.GetProperty("storePath").ValueKind == JsonValueKind.Null ? path.GetProperty("storeHash").GetString()! : path.GetProperty("storePath").GetString()!;
                paths.Add(key, path.Clone());
            }
            return paths;
        }

        /// <summary>The plain line reporting <paramref name="storePath"/>.</summary>
        public string LineOf(string storePath) =>
            Assert.Single(Out.Split('\n'), l => l.Contains(" " + storePath + " ", StringComparison.Ordinal));
    }

    public static async Task<Run> RunAsync(IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null, bool terminal = false)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var console = new CheckConsole(stdout, stderr, new StringReader(stdin ?? ""), terminal, 160, name => environment?.GetValueOrDefault(name));
        var exit = await CheckCommand.RunAsync([.. args], console);
        return new Run(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A loopback URL nothing listens on: the port was bound, then released.</summary>
    public static string UnreachableUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/main";
    }

    /// <summary>
    /// The closure, reachable from <see cref="Closure.Root"/> only: root → empty, corrupt, redirected;
    /// redirected → truncated, missing (NAR 404). Two levels, so the walk must be transitive.
    /// </summary>
    public sealed record Closure(StoreObject Root, StoreObject Empty, StoreObject Truncated, StoreObject Corrupt, StoreObject Missing, StoreObject Redirected)
    {
        public IEnumerable<StoreObject> All => [Root, Empty, Truncated, Corrupt, Missing, Redirected];
    }

    public static Closure AddClosure(AtticEmulatorServer attic, bool broken = true)
    {
        StoreObject Add(string name, params StoreObject[] references) =>
            attic.Add(StorePaths.Make(name), Nar.OfText(name, 200_000), references.Select(r => r.StorePath));

        var empty = Add("empty");
        var truncated = Add("truncated");
        var corrupt = Add("corrupt");
        var missing = Add("missing");
        var redirected = Add("redirected", truncated, missing);
        var root = Add("root", empty, corrupt, redirected);
        attic.SetFault(redirected.StoreHash, Fault.Redirect);
        if (broken)
        {
            attic.SetFault(empty.StoreHash, Fault.Empty);
            attic.SetFault(truncated.StoreHash, Fault.Truncated);
            attic.SetFault(corrupt.StoreHash, Fault.Corrupt);
            attic.SetFault(missing.StoreHash, Fault.NarNotFound);
        }
        return new Closure(root, empty, truncated, corrupt, missing, redirected);
    }
}
