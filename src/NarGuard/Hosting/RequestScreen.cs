using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NarGuard.Configuration;
using NarGuard.Telemetry;

namespace NarGuard.Hosting;

/// <summary>Why a request was refused before any routing or I/O: the status, the metric outcome and the one-line body.</summary>
public readonly record struct RequestRejection(int Status, string Outcome, string Message);

/// <summary>
/// Refuses requests NarGuard must never act on, before routing and before any upstream I/O: forward-proxy
/// requests (absolute-form targets, CONNECT), TRACE, path traversal in any spelling, and, when
/// <see cref="NarGuardOptions.AllowedHosts"/> is set, Host names that are not ours.
/// </summary>
/// <remarks>
/// Kestrel resolves "." and ".." segments and decodes %2e before the app sees the path, so "/main/../_api" and
/// "/main/%2e%2e/x" would otherwise reach the pass-through as a different path than the client wrote. The raw
/// request target is what is checked here. Nix and attic never send any of these, so refusing them costs nothing.
/// </remarks>
public static class RequestScreen
{
    /// <summary>Operational endpoints are exempt from the Host allow-list: probes and scrapers call them by IP.</summary>
    private static readonly string[] OperationalPaths = ["/healthz", "/readyz", "/metrics"];

    public static RequestRejection? Check(string method, string rawTarget, string? host, IReadOnlySet<string> allowedHosts)
    {
        if (HttpMethods.IsConnect(method) || HttpMethods.IsTrace(method))
        {
            return new RequestRejection(StatusCodes.Status405MethodNotAllowed, "method_not_allowed", $"{method} is not served: NarGuard is not a forward proxy");
        }
        if (rawTarget.Length == 0 || rawTarget[0] != '/')
        {
            return new RequestRejection(StatusCodes.Status400BadRequest, "absolute_form", "request targets are paths: NarGuard is not a forward proxy");
        }
        var query = rawTarget.IndexOf('?');
        var path = query < 0 ? rawTarget : rawTarget[..query];
        if (TraversalIn(path) is { } traversal)
        {
            return new RequestRejection(StatusCodes.Status400BadRequest, "path_traversal", traversal);
        }
        if (allowedHosts.Count > 0 && !IsOperational(path) && !allowedHosts.Contains(HostName(host)))
        {
            return new RequestRejection(StatusCodes.Status400BadRequest, "host_not_allowed", "this Host is not served here (AllowedHosts)");
        }
        return null;
    }

    /// <summary>Screens every request; a refused one is answered here, counted as route "invalid" and logged.</summary>
    public static WebApplication UseNarGuardRequestScreen(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<NarGuardOptions>();
        var allowed = new HashSet<string>(options.AllowedHosts, StringComparer.OrdinalIgnoreCase);
        var telemetry = app.Services.GetRequiredService<NarGuardTelemetry>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("NarGuard.Requests");
        app.Use(async (context, next) =>
        {
            var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
            if (Check(context.Request.Method, rawTarget, context.Request.Headers.Host.ToString(), allowed) is not { } rejection)
            {
                await next(context);
                return;
            }
            telemetry.Request("invalid", rejection.Outcome);
            // The target is the client's text: only a bounded prefix of the path goes to the log, never the query.
            Log.BadRequest(logger, Printable(rawTarget), rejection.Outcome);
            await RejectAsync(context, rejection);
        });
        return app;
    }

    public static Task RejectAsync(HttpContext context, RequestRejection rejection)
    {
        context.Response.StatusCode = rejection.Status;
        if (rejection.Status == StatusCodes.Status405MethodNotAllowed)
        {
            context.Response.Headers.Allow = "GET, HEAD";
        }
        context.Response.Headers[Guards.GuardEndpoints.ReasonHeader] = rejection.Outcome;
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentType = "text/plain; charset=utf-8";
        var phrase = rejection.Status == StatusCodes.Status405MethodNotAllowed ? "method not allowed" : "bad request";
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : context.Response.WriteAsync($"{rejection.Status} {phrase}: {rejection.Message}\n", context.RequestAborted);
    }

    private static string? TraversalIn(string path)
    {
        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return "a path never contains a backslash";
        }
        for (var i = path.IndexOf('%'); i >= 0; i = path.IndexOf('%', i + 1))
        {
            // Encoded '.', '/', '\', NUL and '%' (double encoding) have no use in a cache path; they only hide traversal.
            if (i + 2 >= path.Length || path.Substring(i + 1, 2).ToUpperInvariant() is "2E" or "2F" or "5C" or "00" or "25")
            {
                return "a path never contains an encoded '.', '/', '\\', NUL or '%'";
            }
        }
        var segments = path.Split('/');
        // segments[0] is the empty string before the leading '/'; an empty last segment is a trailing slash.
        for (var k = 1; k < segments.Length; k++)
        {
            if (segments[k] is "." or "..")
            {
                return "a path never contains '.' or '..' segments";
            }
            if (segments[k].Length == 0 && k < segments.Length - 1)
            {
                return "a path never contains an empty segment ('//')";
            }
        }
        return null;
    }

    private static bool IsOperational(string path)
    {
        foreach (var operational in OperationalPaths)
        {
            if (path.Equals(operational, StringComparison.Ordinal) || path.StartsWith(operational + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    private static string HostName(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return "";
        }
        // "[::1]:5080" → "[::1]", "name:5080" → "name"; a port never decides whether a name is ours.
        var end = host[0] == '[' ? host.IndexOf(']') + 1 : host.LastIndexOf(':');
        return end > 0 ? host[..end] : host;
    }

    private static string Printable(string target)
    {
        var query = target.IndexOf('?');
        var path = query < 0 ? target : target[..query];
        return path.Length <= 200 ? path : path[..200] + "…";
    }
}
