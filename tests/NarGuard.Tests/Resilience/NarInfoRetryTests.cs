using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NarGuard.Configuration;
using NarGuard.Resilience;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.Resilience;

/// <summary>
/// Narinfo retries against a WireMock upstream: transient failures (5xx but 501, timeouts) are retried within
/// Timeouts:NarInfo; answers (404, 403, 401, 410, 501) are not.
/// </summary>
public sealed class NarInfoRetryTests
{
    private static string NarInfoFor(string storePath) =>
        $"StorePath: {storePath}\nURL: nar/{StorePaths.HashOf(storePath)}.nar\nCompression: none\n" +
        $"NarHash: sha256:{new string('a', 64)}\nNarSize: 120\nReferences: \n";

    private static Task<ProxyFixture> ProxyAsync(WireMockServer upstream, Action<NarGuardOptions>? configure = null) =>
        ProxyFixture.StartAsync(o =>
        {
            o.Upstream = upstream.Url + "/";
            o.Resilience.NarInfoRetryDelay = TimeSpan.FromMilliseconds(10);
            configure?.Invoke(o);
        });

    private static int Requests(WireMockServer upstream, string path) => upstream.LogEntries.Count(e => e.RequestMessage.Path == path);

    [Fact]
    public async Task Two_503s_then_a_narinfo_is_served_after_three_attempts()
    {
        using var upstream = WireMockServer.Start();
        var storePath = StorePaths.Make("flaky");
        var path = $"/{StorePaths.HashOf(storePath)}.narinfo";
        upstream.Given(Request.Create().WithPath(path).UsingGet()).InScenario("flaky").WillSetStateTo("once")
            .RespondWith(Response.Create().WithStatusCode(503));
        upstream.Given(Request.Create().WithPath(path).UsingGet()).InScenario("flaky").WhenStateIs("once").WillSetStateTo("twice")
            .RespondWith(Response.Create().WithStatusCode(503));
        upstream.Given(Request.Create().WithPath(path).UsingGet()).InScenario("flaky").WhenStateIs("twice")
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(NarInfoFor(storePath)));
        await using var proxy = await ProxyAsync(upstream);
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, Requests(upstream, path));
    }

    [Theory]
    [InlineData(404, "upstream_status")]
    [InlineData(403, "upstream_status")]
    [InlineData(401, "upstream_status")]
    [InlineData(410, "upstream_status")]
    [InlineData(501, "upstream_status")]
    public async Task Answers_that_are_not_transient_are_asked_once(int status, string reason)
    {
        using var upstream = WireMockServer.Start();
        var path = $"/{StorePaths.HashOf(StorePaths.Make("answer"))}.narinfo";
        upstream.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(Response.Create().WithStatusCode(status));
        await using var proxy = await ProxyAsync(upstream);
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(reason, response.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(1, Requests(upstream, path));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    [InlineData(4, 5)]
    public async Task A_persistent_500_is_tried_NarInfoRetries_plus_one_times_then_404(int retries, int attempts)
    {
        using var upstream = WireMockServer.Start();
        var path = $"/{StorePaths.HashOf(StorePaths.Make("down"))}.narinfo";
        upstream.Given(Request.Create().WithPath(path).UsingGet()).RespondWith(Response.Create().WithStatusCode(500));
        await using var proxy = await ProxyAsync(upstream, o => o.Resilience.NarInfoRetries = retries);
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("upstream_status", response.Headers.GetValues("X-NarGuard-Reason").Single());
        Assert.Equal(attempts, Requests(upstream, path));
    }

    [Fact]
    public async Task Hung_attempts_time_out_and_are_retried_all_within_the_narinfo_timeout()
    {
        // An upstream that accepts connections and never answers; each attempt is one connection.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    var client = await listener.AcceptTcpClientAsync();
                    lock (accepted)
                    {
                        accepted.Add(client);
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
        await using var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/";
            o.Timeouts.NarInfo = TimeSpan.FromSeconds(1);
            o.Resilience.NarInfoAttemptTimeout = TimeSpan.FromMilliseconds(300);
            o.Resilience.NarInfoRetryDelay = TimeSpan.FromMilliseconds(10);
            o.Resilience.NarInfoRetries = 10;
        });
        using var http = new HttpClient { BaseAddress = new Uri(proxy.BaseUrl) };

        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync($"/{StorePaths.HashOf(StorePaths.Make("hung"))}.narinfo");
        clock.Stop();
        listener.Stop();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("timeout", response.Headers.GetValues("X-NarGuard-Reason").Single());
        // Ten retries were allowed, but the whole fetch is bounded by Timeouts:NarInfo (1 s), with room for a slow machine.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(5));
        lock (accepted)
        {
            Assert.InRange(accepted.Count, 2, 4);
            accepted.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void Transient_means_connection_errors_timeouts_and_5xx_but_501()
    {
        Assert.True(UpstreamFailures.IsTransient(Core.Verification.RejectReason.UpstreamError, null));
        Assert.True(UpstreamFailures.IsTransient(Core.Verification.RejectReason.Timeout, null));
        Assert.True(UpstreamFailures.IsTransient(Core.Verification.RejectReason.UpstreamStatus, 500));
        Assert.True(UpstreamFailures.IsTransient(Core.Verification.RejectReason.UpstreamStatus, 503));
        Assert.False(UpstreamFailures.IsTransient(Core.Verification.RejectReason.UpstreamStatus, 501));
        Assert.False(UpstreamFailures.IsTransient(Core.Verification.RejectReason.UpstreamStatus, 404));
        Assert.False(UpstreamFailures.IsTransient(Core.Verification.RejectReason.UpstreamStatus, 429));
        Assert.False(UpstreamFailures.IsTransient(Core.Verification.RejectReason.NarInfoInvalid, 200));
        Assert.False(UpstreamFailures.IsTransient(Core.Verification.RejectReason.CircuitOpen, null));
    }
}
