using System.Globalization;

namespace NarGuard.Tests.Telemetry;

/// <summary>A parsed Prometheus text exposition: sample name + labels → value.</summary>
public sealed class PrometheusScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

    public PrometheusScrape(string text)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var labelsStart = line.IndexOf('{');
            var valueStart = line.LastIndexOf(' ');
            var name = labelsStart >= 0 ? line[..labelsStart] : line[..valueStart];
            var labels = new Dictionary<string, string>();
            if (labelsStart >= 0)
            {
                var body = line[(labelsStart + 1)..line.LastIndexOf('}')];
                foreach (var pair in body.Split("\","))
                {
                    var eq = pair.IndexOf('=');
                    if (eq > 0)
                    {
                        labels[pair[..eq].Trim(',')] = pair[(eq + 1)..].Trim('"');
                    }
                }
            }
            var valueText = line[(valueStart + 1)..];
            _samples.Add((name, labels, valueText == "+Inf" ? double.PositiveInfinity : double.Parse(valueText, CultureInfo.InvariantCulture)));
        }
    }

    public IEnumerable<string> Names => _samples.Select(s => s.Name).Distinct();

    public IEnumerable<string> LabelNames => _samples.SelectMany(s => s.Labels.Keys).Distinct();

    /// <summary>Sum of every sample named <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        _samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);
}
