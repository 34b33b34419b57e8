using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using NarGuard.Configuration;
using Xunit;

namespace NarGuard.Tests.Deploy;

/// <summary>config/narguard.example.jsonc documents every setting at its default, and loads as it is.</summary>
public sealed class ExampleConfigTests
{
    private static readonly string File_ = RepoPaths.Of("config", "narguard.example.jsonc");

    // Config is the --config path itself; Logging is ASP.NET Core's own section (documented with one example key).
    private static readonly HashSet<string> NotSettings = ["Config"];

    /// <summary>Every leaf setting as "Section:Key", with its default, read from the options classes themselves.</summary>
    private static IEnumerable<(string Key, object? Default)> Leaves(object options, string prefix = "")
    {
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = prefix + property.Name;
            if (NotSettings.Contains(key))
            {
                continue;
            }
            var type = property.PropertyType;
            var value = property.GetValue(options);
            var isLeaf = type.IsValueType || type == typeof(string) || typeof(IEnumerable).IsAssignableFrom(type)
                || type == typeof(Microsoft.Extensions.Configuration.IConfigurationSection);
            if (isLeaf || value is null)
            {
                yield return (key, value);
            }
            else
            {
                foreach (var leaf in Leaves(value, key + ":"))
                {
                    yield return leaf;
                }
            }
        }
    }

    [Fact]
    public void Every_setting_is_in_the_example()
    {
        var text = File.ReadAllText(File_);
        var missing = Leaves(new NarGuardOptions())
            .Where(leaf => !Regex.IsMatch(text, $"\"{Regex.Escape(leaf.Key.Split(':')[^1])}\"\\s*:"))
            .Select(leaf => leaf.Key)
            .ToList();
        Assert.True(missing.Count == 0, $"config/narguard.example.jsonc does not mention: {string.Join(", ", missing)}");
    }

    [Fact]
    public void The_example_loads_and_holds_the_defaults()
    {
        var loaded = NarGuardConfiguration.Load(["--config", File_], new Dictionary<string, string?>());
        Assert.Empty(loaded.Errors);
        var defaults = Leaves(new NarGuardOptions()).ToDictionary(l => l.Key, l => l.Default);
        foreach (var (key, value) in Leaves(loaded.Options!))
        {
            if (key is "Upstream" or "Logging")
            {
                continue; // Upstream has no default (the example shows one); Logging is a section, compared by the loader
            }
            Assert.True(Same(defaults[key], value), $"{key}: the example says {Show(value)}, the default is {Show(defaults[key])}");
        }
    }

    [Fact]
    public void The_shipped_defaults_file_agrees_with_the_example()
    {
        var shipped = NarGuardConfiguration.Load(["--upstream", "http://127.0.0.1:8080/main", "--config", RepoPaths.Of("config", "narguard.json")], new Dictionary<string, string?>());
        var example = NarGuardConfiguration.Load(["--config", File_], new Dictionary<string, string?>());
        var exampleLeaves = Leaves(example.Options!).ToDictionary(l => l.Key, l => l.Default);
        foreach (var (key, value) in Leaves(shipped.Options!).Where(l => l.Key is not ("Logging" or "Upstream")))
        {
            Assert.True(Same(exampleLeaves[key], value), $"{key}: config/narguard.json says {Show(value)}, the example {Show(exampleLeaves[key])}");
        }
    }

    private static bool Same(object? a, object? b) => (a, b) switch
    {
        (IEnumerable x, IEnumerable y) when a is not string => x.Cast<object?>().SequenceEqual(y.Cast<object?>()),
        _ => Equals(a, b),
    };

    private static string Show(object? value) => value switch
    {
        null => "null",
        IEnumerable list when value is not string => "[" + string.Join(", ", list.Cast<object?>()) + "]",
        _ => value.ToString()!,
    };
}
