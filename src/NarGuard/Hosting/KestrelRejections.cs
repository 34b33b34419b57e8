using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Telemetry;

namespace NarGuard.Hosting;

/// <summary>
/// Counts the requests Kestrel refuses before NarGuard sees them (414 request line too long, 431 headers too large,
/// 400 malformed) as narguard.requests{route=invalid}, so one metric holds every refused request.
/// </summary>
/// <remarks>
/// Kestrel answers those itself and closes the connection; the only trace is the error.type of its
/// kestrel.connection.duration measurement. The listener only takes measurements of this host's meter factory:
/// tests run several hosts in one process, and a MeterListener otherwise hears all of them.
/// </remarks>
public static class KestrelRejections
{
    private const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";

    // Kestrel's ConnectionEndReason names for requests it refused (bounded: they become metric labels).
    private static readonly HashSet<string> RequestRejections = new(StringComparer.Ordinal)
    {
        "invalid_request_line",
        "invalid_request_headers",
        "invalid_http_version",
        "invalid_content_length",
        "invalid_chunked_data",
        "unexpected_end_of_request_content",
        "max_request_headers_total_size_exceeded",
        "max_request_header_count_exceeded",
        "max_request_line_size_exceeded",
        "max_request_body_size_exceeded",
        "request_headers_timeout",
        "min_request_body_data_rate",
    };

    public static void Count(WebApplication app)
    {
        var factory = app.Services.GetRequiredService<IMeterFactory>();
        var telemetry = app.Services.GetRequiredService<NarGuardTelemetry>();
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == KestrelMeter && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == "kestrel.connection.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "error.type" && tag.Value is string reason && RequestRejections.Contains(reason))
                {
                    telemetry.Request("invalid", reason);
                    return;
                }
            }
        });
        listener.Start();
        app.Lifetime.ApplicationStopped.Register(listener.Dispose);
    }
}
