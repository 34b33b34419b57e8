using NarGuard.Core.Verification;

namespace NarGuard.Upstream;

/// <summary>An opened NAR response (headers received, body not yet read), or why it could not be opened.</summary>
public sealed class NarDownload : IDisposable
{
    private NarDownload(HttpResponseMessage? response, RejectReason? reason, int? status, string? detail, int redirects)
    {
        Response = response;
        Reason = reason;
        Status = status;
        Detail = detail;
        Redirects = redirects;
    }

    public HttpResponseMessage? Response { get; }
    public RejectReason? Reason { get; }
    public int? Status { get; }
    public string? Detail { get; }
    public int Redirects { get; }

    public static NarDownload Opened(HttpResponseMessage response, int redirects) => new(response, null, (int)response.StatusCode, null, redirects);
    public static NarDownload Failed(RejectReason reason, int? status, string detail, int redirects) => new(null, reason, status, detail, redirects);

    public void Dispose() => Response?.Dispose();
}
