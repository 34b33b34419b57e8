using System.Text.RegularExpressions;

namespace NarGuard.Configuration;

/// <summary>
/// Turns a repeated <c>--upstream</c> into the ordered list before binding: Microsoft's command-line provider keeps
/// only the last value of a repeated key. The first value becomes Upstream, the next ones Upstreams:0:Url,
/// Upstreams:1:Url, ... (the rule of <see cref="UpstreamList"/>: Upstream is the first upstream). A value may name
/// its upstream: <c>--upstream attic=http://attic:8080/main</c>.
/// </summary>
public static partial class UpstreamArguments
{
    [GeneratedRegex("^([a-z0-9][a-z0-9-]{0,31})=(.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex NamedValue();

    /// <summary>The rewritten arguments, and how many --upstream values there were.</summary>
    public static (string[] Args, int Count) Expand(string[] args)
    {
        var values = new List<string>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (string.Equals(args[i], "--upstream", StringComparison.Ordinal) && i + 1 < args.Length)
            {
                values.Add(args[++i]);
            }
            else if (args[i].StartsWith("--upstream=", StringComparison.Ordinal))
            {
                values.Add(args[i]["--upstream=".Length..]);
            }
            else
            {
                rest.Add(args[i]);
            }
        }
        if (values.Count == 0 || (values.Count == 1 && !NamedValue().IsMatch(values[0])))
        {
            return (args, values.Count);
        }
        for (var n = 0; n < values.Count; n++)
        {
            var (name, url) = NamedValue().Match(values[n]) is { Success: true } m ? (m.Groups[1].Value, m.Groups[2].Value) : ((string?)null, values[n]);
            var prefix = n == 0 ? "--Upstream" : $"--Upstreams:{n - 1}:";
            rest.Add(n == 0 ? prefix : prefix + "Url");
            rest.Add(url);
            if (name is not null)
            {
                rest.Add(n == 0 ? "--UpstreamName" : prefix + "Name");
                rest.Add(name);
            }
        }
        return (rest.ToArray(), values.Count);
    }
}
