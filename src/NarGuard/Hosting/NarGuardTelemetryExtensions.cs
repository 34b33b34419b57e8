using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Configuration;
using NarGuard.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace NarGuard.Hosting;

public static class NarGuardTelemetryExtensions
{
    private static readonly string[] OtlpVariables =
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ];

    /// <summary>
    /// Traces (ASP.NET Core, HttpClient, NarGuard's own spans) and metrics (NarGuard's Meter plus the framework's
    /// HTTP metrics), exported to Prometheus at /metrics and, when an OTEL_EXPORTER_OTLP_*ENDPOINT variable is set,
    /// over OTLP. W3C trace context goes upstream with every HttpClient request (the .NET default propagator).
    /// </summary>
    public static IServiceCollection AddNarGuardTelemetry(this IServiceCollection services, TelemetryOptions options)
    {
        var builder = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceVersion: typeof(NarGuardTelemetry).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing => tracing
                .AddSource(NarGuardTelemetry.Name)
                .AddAspNetCoreInstrumentation(asp => asp.Filter = context => !IsOperational(context.Request.Path))
                .AddHttpClientInstrumentation())
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(NarGuardTelemetry.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (options.Prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        // The OTLP exporter would otherwise try localhost:4317 forever and log every failure.
        if (OtlpVariables.Any(name => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name))))
        {
            builder.UseOtlpExporter();
        }
        return services;
    }

    public static WebApplication MapNarGuardTelemetry(this WebApplication app, TelemetryOptions options)
    {
        if (options.Prometheus)
        {
            app.MapPrometheusScrapingEndpoint("/metrics");
        }
        return app;
    }

    private static bool IsOperational(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/metrics");
}
