using System.Text.Json;

namespace AtticEmulator;

/// <summary>Routes a script uses to drive the emulator: <c>POST /_emulator/faults/&lt;storehash&gt;/&lt;fault&gt;</c>
/// and <c>GET /_emulator/stats</c>. Never behind the bearer token.</summary>
internal static class ControlEndpoints
{
    public static void Map(IEndpointRouteBuilder app, EmulatorState state)
    {
        app.MapPost("/_emulator/faults/{storeHash}/{faultName}", (HttpContext http, string storeHash, string faultName) => SetFaultAsync(http, state, storeHash, faultName));
        app.MapGet("/_emulator/stats", (HttpContext http) => StatsAsync(http, state));
    }

    private static Task SetFaultAsync(HttpContext http, EmulatorState state, string storeHash, string faultName)
    {
        if (!FaultNames.TryParse(faultName, out var fault))
        {
            return JsonAsync(http, StatusCodes.Status400BadRequest, json => json.WriteString("error", $"unknown fault '{faultName}'; one of: {string.Join(", ", Enum.GetNames<Fault>())}"));
        }

        if (!Nix32.IsStoreHash(storeHash))
        {
            return JsonAsync(http, StatusCodes.Status400BadRequest, json => json.WriteString("error", $"not a store hash: '{storeHash}'"));
        }

        state.Catalog.SetFault(storeHash, fault);
        return JsonAsync(http, StatusCodes.Status200OK, json =>
        {
            json.WriteString("storeHash", storeHash);
            json.WriteString("fault", fault.ToString());
        });
    }

    private static Task StatsAsync(HttpContext http, EmulatorState state) =>
        JsonAsync(http, StatusCodes.Status200OK, json =>
        {
            WriteCounts(json, "narinfo", state.Catalog.NarInfoRequests.Snapshot());
            WriteCounts(json, "nar", state.Catalog.NarRequests.Snapshot());
            WriteCounts(json, "storage", state.Catalog.StorageRequests.Snapshot());
            json.WriteStartObject("faults");
            foreach (var (hash, fault) in state.Catalog.Faults.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                json.WriteString(hash, fault.ToString());
            }

            json.WriteEndObject();
        });

    private static void WriteCounts(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, int> counts)
    {
        json.WriteStartObject(name);
        foreach (var (hash, count) in counts.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            json.WriteNumber(hash, count);
        }

        json.WriteEndObject();
    }

    private static async Task JsonAsync(HttpContext http, int status, Action<Utf8JsonWriter> writeProperties)
    {
        var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            writeProperties(json);
            json.WriteEndObject();
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body.GetBuffer().AsMemory(0, (int)body.Length), http.RequestAborted);
    }
}
