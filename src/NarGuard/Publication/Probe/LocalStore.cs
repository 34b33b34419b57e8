using System.Diagnostics;
using NarGuard.Core.Hashing;

namespace NarGuard.Publication.Probe;

/// <summary>
/// Reads a real closure from the local Nix store with the classic nix-store queries, which every Nix version has
/// without experimental features (Debian's Nix 2.8 included): --requisites for the closure, --hash, --size and
/// --deriver for all paths at once, --references per path, and --dump streamed as each path's NAR.
/// </summary>
public static class LocalStore
{
    public static async Task<LocalClosure> ClosureAsync(string root, CancellationToken cancellationToken)
    {
        var requisites = await QueryAsync(cancellationToken, "-q", "--requisites", root).ConfigureAwait(false);
        if (requisites.Error is not null)
        {
            return new LocalClosure(null, requisites.Error);
        }
        // nix-store prints the closure dependencies first; uploads go in that order, as attic push does.
        var paths = requisites.Lines;
        var hashes = await QueryAsync(cancellationToken, ["-q", "--hash", .. paths]).ConfigureAwait(false);
        var sizes = await QueryAsync(cancellationToken, ["-q", "--size", .. paths]).ConfigureAwait(false);
        var derivers = await QueryAsync(cancellationToken, ["-q", "--deriver", .. paths]).ConfigureAwait(false);
        if ((hashes.Error ?? sizes.Error ?? derivers.Error) is { } error)
        {
            return new LocalClosure(null, error);
        }
        if (hashes.Lines.Count != paths.Count || sizes.Lines.Count != paths.Count || derivers.Lines.Count != paths.Count)
        {
            return new LocalClosure(null, "nix-store printed a different number of hashes, sizes or derivers than paths");
        }

        var result = new List<PublishPath>();
        for (var i = 0; i < paths.Count; i++)
        {
            var path = paths[i];
            if (StoreHash.FromStorePath(path) is not { } storeHash || !NixHash.TryParse(hashes.Lines[i], out var narHash) || !long.TryParse(sizes.Lines[i], out var narSize))
            {
                return new LocalClosure(null, $"nix-store described '{path}' in a way this probe does not understand");
            }
            var references = await QueryAsync(cancellationToken, "-q", "--references", path).ConfigureAwait(false);
            if (references.Error is not null)
            {
                return new LocalClosure(null, references.Error);
            }
            var deriver = derivers.Lines[i] is "unknown-deriver" or "" ? null : derivers.Lines[i];
            result.Add(new PublishPath(path, storeHash, PublishPath.Store, narSize, Convert.ToHexStringLower(narHash!.Bytes), references.Lines, deriver,
                ct => Task.FromResult(DumpStream.Start(path))));
        }
        return new LocalClosure(result, null);
    }

    private static async Task<(IReadOnlyList<string> Lines, string? Error)> QueryAsync(CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo("nix-store") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("nix-store did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return ([], "nix-store is not on PATH (--closure reads the local Nix store)");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var message = (await stderr.ConfigureAwait(false)).Trim().Split('\n').LastOrDefault() ?? "";
                return ([], $"nix-store {string.Join(' ', args.Take(2))} failed ({process.ExitCode}): {message}");
            }
            var lines = (await stdout.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return (lines, null);
        }
    }
}
