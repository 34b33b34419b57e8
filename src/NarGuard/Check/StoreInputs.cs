using NarGuard.Core.Hashing;

namespace NarGuard.Check;

/// <summary>
/// Turns what an operator pastes into store hashes: a bare hash, a base name ("hash-name"), a full store path, or a
/// path inside one (/nix/store/hash-name/bin/hello, as `which` prints). Everything is validated before any I/O.
/// </summary>
public static class StoreInputs
{
    /// <summary>Parses one input; false (with a reason) when it names no store path.</summary>
    public static bool TryParse(string input, out CheckTarget target, out string? error)
    {
        target = null!;
        var text = input.Trim();
        if (text.Length == 0)
        {
            error = "empty store path";
            return false;
        }
        if (StoreHash.IsValid(text))
        {
            target = new CheckTarget(text);
            error = null;
            return true;
        }

        // The first segment that is a valid "hash-name" is the store object; what follows it is a file inside.
        var segments = text.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            if (StoreHash.FromStorePath("/" + segments[i]) is { } hash)
            {
                // Without a leading '/', the input was a base name and its store directory is unknown.
                var storePath = text.StartsWith('/') ? string.Join('/', segments[..(i + 1)]) : null;
                target = new CheckTarget(hash, storePath);
                error = null;
                return true;
            }
        }
        error = $"'{Shorten(text)}' is neither a store hash (32 nix32 characters) nor a store path (/nix/store/<hash>-<name>)";
        return false;
    }

    /// <summary>
    /// Reads one input per line; blank lines and lines starting with '#' are skipped. Errors name the line number.
    /// </summary>
    public static async Task<(List<CheckTarget> Targets, List<string> Errors)> ReadAsync(TextReader reader, string source, CancellationToken cancellationToken)
    {
        var targets = new List<CheckTarget>();
        var errors = new List<string>();
        var number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }
            if (TryParse(text, out var target, out var error))
            {
                targets.Add(target);
            }
            else
            {
                errors.Add($"{source}:{number}: {error}");
            }
        }
        return (targets, errors);
    }

    /// <summary>Keeps the first occurrence of each store hash, filling in a full path or narinfo a later one knows.</summary>
    public static List<CheckTarget> Distinct(IEnumerable<CheckTarget> targets)
    {
        var order = new List<string>();
        var byHash = new Dictionary<string, CheckTarget>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            if (!byHash.TryGetValue(target.StoreHash, out var known))
            {
                order.Add(target.StoreHash);
                byHash[target.StoreHash] = target;
            }
            else
            {
                byHash[target.StoreHash] = known with { StorePath = known.StorePath ?? target.StorePath, NarInfo = known.NarInfo ?? target.NarInfo };
            }
        }
        return order.ConvertAll(hash => byHash[hash]);
    }

    // A pasted line can be anything, a token included by mistake: echo only a prefix of it.
    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
