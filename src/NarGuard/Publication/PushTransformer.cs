using Microsoft.AspNetCore.Http;
using NarGuard.Upstream;
using Yarp.ReverseProxy.Forwarder;

namespace NarGuard.Publication;

/// <summary>
/// The pass-through transform for pushes (the same request rewrite as every pass-through), plus a look at Attic's
/// answer before YARP copies it: <see cref="UpstreamPushAnswer"/> is kept in the request's items.
/// </summary>
internal sealed class PushTransformer(PassThroughTransformer passThrough) : HttpTransformer
{
    private static readonly object AnswerKey = new();

    public static UpstreamPushAnswer AnswerOf(HttpContext context)
    {
        if (context.Items[AnswerKey] is not UpstreamPushAnswer answer)
        {
            answer = new UpstreamPushAnswer();
            context.Items[AnswerKey] = answer;
        }
        return answer;
    }

    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken) =>
        passThrough.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null)
        {
            await AnswerOf(httpContext).ReadAsync(proxyResponse, cancellationToken).ConfigureAwait(false);
        }
        return await passThrough.TransformResponseAsync(httpContext, proxyResponse, cancellationToken).ConfigureAwait(false);
    }

    public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken) =>
        passThrough.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
}
