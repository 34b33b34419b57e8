using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace NarGuard.Upstream;

/// <summary>
/// YARP transform for everything the guards do not handle (nix-cache-info, /_api/v1 pushes, log/, realisations/):
/// the request goes upstream untouched, plus the configured Host and, when the client sent none, the proxy's token.
/// </summary>
public sealed class PassThroughTransformer(UpstreamEndpoint endpoint) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        if (endpoint.HostHeader is { } host)
        {
            proxyRequest.Headers.Host = host;
        }
        if (!proxyRequest.Headers.Contains("Authorization") && endpoint.DefaultAuthorization is { } authorization)
        {
            proxyRequest.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
    }
}
