using System.Text;

namespace NarGuard.Check;

/// <summary>
/// Reads a netrc file the way Nix's `netrc-file` is read (by curl): whitespace-separated tokens, `machine NAME`,
/// `default`, `login`, `password`, `account`, `macdef` (its body runs to the next blank line), '#' comment lines,
/// and double-quoted values with backslash escapes. Attic takes the password as the token.
/// </summary>
public static class Netrc
{
    public sealed record Entry(string? Machine, string? Login, string? Password);

    /// <summary>Every machine entry in file order; the <c>default</c> entry has a null <see cref="Entry.Machine"/>.</summary>
    public static IReadOnlyList<Entry> Parse(string text)
    {
        var entries = new List<Entry>();
        var tokens = Tokenize(text);
        Entry? current = null;
        for (var i = 0; i < tokens.Count; i++)
        {
            switch (tokens[i].Text)
            {
                case "machine":
                    Flush();
                    current = new Entry(Next(ref i) ?? "", null, null);
                    break;
                case "default":
                    Flush();
                    current = new Entry(null, null, null);
                    break;
                case "login" when current is not null:
                    current = current with { Login = Next(ref i) };
                    break;
                case "password" when current is not null:
                    current = current with { Password = Next(ref i) };
                    break;
                case "account" when current is not null:
                    Next(ref i);
                    break;
                case "macdef":
                    // A macro body is free text up to a blank line; its words are not netrc keywords.
                    Next(ref i);
                    var line = tokens[i].Line;
                    while (i + 1 < tokens.Count && tokens[i + 1].Line == line)
                    {
                        i++;
                    }
                    while (i + 1 < tokens.Count && !tokens[i + 1].AfterBlankLine)
                    {
                        i++;
                    }
                    break;
            }
        }
        Flush();
        return entries;

        string? Next(ref int index) => ++index < tokens.Count ? tokens[index].Text : null;

        void Flush()
        {
            if (current is not null)
            {
                entries.Add(current);
            }
            current = null;
        }
    }

    /// <summary>The entry for <paramref name="host"/> (case-insensitive, port ignored as curl does), else <c>default</c>.</summary>
    public static Entry? Find(IReadOnlyList<Entry> entries, string host) =>
        entries.FirstOrDefault(e => e.Machine is not null && string.Equals(e.Machine, host, StringComparison.OrdinalIgnoreCase))
        ?? entries.FirstOrDefault(e => e.Machine is null);

    private readonly record struct Token(string Text, int Line, bool AfterBlankLine);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var blankSeen = false;
        for (var number = 0; number < lines.Length; number++)
        {
            var line = lines[number];
            if (line.Trim().Length == 0)
            {
                blankSeen = true;
                continue;
            }
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            var i = 0;
            while (i < line.Length)
            {
                if (char.IsWhiteSpace(line[i]))
                {
                    i++;
                    continue;
                }
                var word = new StringBuilder();
                if (line[i] == '"')
                {
                    for (i++; i < line.Length && line[i] != '"'; i++)
                    {
                        if (line[i] == '\\' && i + 1 < line.Length)
                        {
                            i++;
                            word.Append(line[i] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var c => c });
                        }
                        else
                        {
                            word.Append(line[i]);
                        }
                    }
                    i++;
                }
                else
                {
                    while (i < line.Length && !char.IsWhiteSpace(line[i]))
                    {
                        word.Append(line[i++]);
                    }
                }
                tokens.Add(new Token(word.ToString(), number, blankSeen));
                blankSeen = false;
            }
        }
        return tokens;
    }
}
