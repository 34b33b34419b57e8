using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NarGuard.Configuration;

namespace NarGuard.Health;

public static class HealthExtensions
{
    public static IServiceCollection AddNarGuardHealth(this IServiceCollection services, NarGuardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton<UpstreamReadiness>();
        services.AddSingleton<SpoolReadiness>();
        services.AddSingleton<Readiness>();
        return services;
    }

    /// <summary>Maps /readyz (GET and HEAD). It is more specific than the cache's catch-all route, so it wins.</summary>
    public static WebApplication MapNarGuardHealth(this WebApplication app)
    {
        var readiness = app.Services.GetRequiredService<Readiness>();
        app.MapMethods("/readyz", [HttpMethods.Get, HttpMethods.Head], context => ReadinessEndpoint.HandleAsync(context, readiness));
        return app;
    }
}
