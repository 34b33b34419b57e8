using YamlDotNet.RepresentationModel;

namespace NarGuard.Tests.Deploy;

/// <summary>YAML documents as plain dictionaries, lists and strings, navigated by dotted paths in the tests.</summary>
public static class Yaml
{
    public static IReadOnlyList<Dictionary<string, object?>> LoadAll(string file)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(file))
        {
            stream.Load(reader);
        }
        return stream.Documents
            .Select(d => ToObject(d.RootNode))
            .OfType<Dictionary<string, object?>>()
            .ToList();
    }

    /// <summary>The value at a dotted path ("spec.template.spec.containers"), or null.</summary>
    public static object? At(this Dictionary<string, object?> node, string path)
    {
        object? current = node;
        foreach (var part in path.Split('.'))
        {
            current = current is Dictionary<string, object?> map && map.TryGetValue(part, out var next) ? next : null;
        }
        return current;
    }

    public static Dictionary<string, object?> Map(this Dictionary<string, object?> node, string path) =>
        node.At(path) as Dictionary<string, object?> ?? throw new Xunit.Sdk.XunitException($"no mapping at {path}");

    public static List<object?> List(this Dictionary<string, object?> node, string path) =>
        node.At(path) as List<object?> ?? throw new Xunit.Sdk.XunitException($"no list at {path}");

    public static string? Str(this Dictionary<string, object?> node, string path) => node.At(path) as string;

    private static object? ToObject(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => ToObject(e.Value)),
        YamlSequenceNode list => list.Children.Select(ToObject).ToList(),
        YamlScalarNode scalar => scalar.Value,
        _ => null,
    };
}
