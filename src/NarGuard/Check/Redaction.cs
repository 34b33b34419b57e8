using System.Text.RegularExpressions;

namespace NarGuard.Check;

/// <summary>
/// Last line of defence for anything a check prints: the token is replaced, and URL queries (a presigned storage
/// URL's signature) are dropped. The upstream client already keeps URLs out of its details; this also covers
/// exception messages and pasted input, which nobody controls.
/// </summary>
public static partial class Redaction
{
    public const string Mask = "***";

    public static string? Clean(string? text, string? secret)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text;
        }
        if (!string.IsNullOrEmpty(secret))
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }
        return UrlQuery().Replace(text, "$1?" + Mask);
    }

    [GeneratedRegex(@"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#""'<>]+)\?[^\s""'<>]*")]
    private static partial Regex UrlQuery();
}
