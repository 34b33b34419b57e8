using System.Globalization;

namespace NarGuard.Soak;

/// <summary>A /metrics scrape reduced to the sums the soak compares (sample name plus a label filter).</summary>
internal sealed class Metrics(List<(string Name, Dictionary<string, string> Labels, double Value)> samples)
{
    public static async Task<Metrics> ScrapeAsync(HttpClient http, string baseUrl)
    {
        var text = await http.GetStringAsync(baseUrl + "/metrics");
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var brace = line.IndexOf('{');
            var space = line.LastIndexOf(' ');
            var labels = new Dictionary<string, string>();
            if (brace >= 0)
            {
                foreach (var pair in line[(brace + 1)..line.LastIndexOf('}')].Split("\","))
                {
                    var eq = pair.IndexOf('=');
                    if (eq > 0)
                    {
                        labels[pair[..eq].Trim(',')] = pair[(eq + 1)..].Trim('"');
                    }
                }
            }
            var value = line[(space + 1)..];
            samples.Add((brace >= 0 ? line[..brace] : line[..space], labels, value == "+Inf" ? double.PositiveInfinity : double.Parse(value, CultureInfo.InvariantCulture)));
        }
        return new Metrics(samples);
    }

    public long Sum(string name, params (string Key, string Value)[] labels) =>
        (long)samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    public IEnumerable<string> LabelValues(string name, string label) =>
        samples.Where(s => s.Name == name && s.Labels.ContainsKey(label)).Select(s => s.Labels[label]).Distinct();
}
