using Microsoft.Extensions.Logging;
using NarGuard.Check;
using NarGuard.Configuration;
using NarGuard.Telemetry;
using NarGuard.Upstream;

namespace NarGuard.Hosting;

/// <summary>
/// At start, asks every upstream's nix-cache-info (Health:UpstreamTimeout each, all at once). NarGuard answers
/// nix-cache-info itself with CacheInfo:StoreDir, so an upstream serving another store directory would hand out
/// paths Nix cannot use: that stops the program (exit 2, naming the upstream and both values). An upstream that
/// does not answer only gets a warning: one upstream being down must not keep the proxy from starting.
/// </summary>
public static class CacheInfoStartupCheck
{
    /// <summary>One message per conflicting upstream; empty when every reachable upstream agrees.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(UpstreamSet upstreams, NarGuardOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        var storeDir = options.CacheInfo.StoreDir;
        var results = await Task.WhenAll(upstreams.Members.Select(async member =>
        {
            using var http = new HttpClient(UpstreamClient.CreateHandler(member.Options)) { Timeout = Timeout.InfiniteTimeSpan };
            return (member, await CacheInfoProbe.FetchAsync(http, member.Endpoint, options.Health.UpstreamTimeout, cancellationToken).ConfigureAwait(false));
        })).ConfigureAwait(false);

        var errors = new List<string>();
        foreach (var (member, result) in results)
        {
            if (!result.Reachable)
            {
                Log.CacheInfoUnchecked(logger, member.Name, result.Detail ?? "unreachable");
            }
            else if (!string.Equals(result.StoreDir, storeDir, StringComparison.Ordinal))
            {
                Log.StoreDirConflict(logger, member.Name, result.StoreDir, storeDir);
                errors.Add($"{KeyOf(member, options)}: upstream '{member.Name}' serves StoreDir {result.StoreDir}, but CacheInfo:StoreDir is {storeDir}; every upstream must serve the same store directory.");
            }
        }
        return errors;
    }

    private static string KeyOf(UpstreamMember member, NarGuardOptions options) =>
        member.IsFirst && !string.IsNullOrWhiteSpace(options.Upstream) ? "Upstream" : $"Upstreams:{member.Index - (string.IsNullOrWhiteSpace(options.Upstream) ? 0 : 1)}:Url";
}
