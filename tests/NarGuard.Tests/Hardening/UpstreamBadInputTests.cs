using System.Net;
using System.Security.Cryptography;
using System.Text;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>
/// Bad input from the upstream (a WireMock server that says whatever the test wants): every narinfo and NAR answer
/// is a 404 with a reason, and the proxy keeps serving.
/// </summary>
public sealed class UpstreamBadInputTests
{
    private const string Hash = "0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj";
    private const string Other = "1d8cb6zq2p7n6m6z0vbw0zf2l9sdn2wj";
    private static readonly string GoodHash = "sha256:" + new string('a', 64);

    private static string NarInfo(string? storePath = "/nix/store/" + Hash + "-x", string? url = "nar/" + Hash + ".nar", string? narHash = null, string? narSize = "1000", string extra = "")
    {
        var text = new StringBuilder();
        if (storePath is not null) text.Append("StorePath: ").Append(storePath).Append('\n');
        if (url is not null) text.Append("URL: ").Append(url).Append('\n');
        text.Append("Compression: none\n");
        if (narHash is not null || storePath is not null) text.Append("NarHash: ").Append(narHash ?? GoodHash).Append('\n');
        if (narSize is not null) text.Append("NarSize: ").Append(narSize).Append('\n');
        return text.Append(extra).ToString();
    }

    private static readonly Dictionary<string, Func<byte[]>> Bodies = new()
    {
        ["no StorePath"] = () => Encoding.UTF8.GetBytes(NarInfo(storePath: null, narHash: GoodHash)),
        ["no URL"] = () => Encoding.UTF8.GetBytes(NarInfo(url: null)),
        ["no NarHash"] = () => Encoding.UTF8.GetBytes($"StorePath: /nix/store/{Hash}-x\nURL: nar/{Hash}.nar\nNarSize: 10\n"),
        ["no NarSize"] = () => Encoding.UTF8.GetBytes(NarInfo(narSize: null)),
        ["duplicate NarHash"] = () => Encoding.UTF8.GetBytes(NarInfo(extra: "NarHash: sha256:" + new string('b', 64) + "\n")),
        ["duplicate StorePath"] = () => Encoding.UTF8.GetBytes(NarInfo(extra: $"StorePath: /nix/store/{Other}-y\n")),
        ["duplicate NarSize"] = () => Encoding.UTF8.GetBytes(NarInfo(extra: "NarSize: 2000\n")),
        ["NarHash too short"] = () => Encoding.UTF8.GetBytes(NarInfo(narHash: "sha256:" + new string('a', 63))),
        ["NarHash not hex"] = () => Encoding.UTF8.GetBytes(NarInfo(narHash: "sha256:" + new string('g', 64))),
        ["NarHash md5"] = () => Encoding.UTF8.GetBytes(NarInfo(narHash: "md5:" + new string('a', 32))),
        ["NarHash bad SRI"] = () => Encoding.UTF8.GetBytes(NarInfo(narHash: "sha256-!!!!")),
        ["NarSize negative"] = () => Encoding.UTF8.GetBytes(NarInfo(narSize: "-1")),
        ["NarSize zero"] = () => Encoding.UTF8.GetBytes(NarInfo(narSize: "0")),
        ["NarSize beyond 64 bits"] = () => Encoding.UTF8.GetBytes(NarInfo(narSize: "99999999999999999999999")),
        ["NarSize not a number"] = () => Encoding.UTF8.GetBytes(NarInfo(narSize: "1e9")),
        ["another store path"] = () => Encoding.UTF8.GetBytes(NarInfo(storePath: $"/nix/store/{Other}-y")),
        ["non-UTF-8 bytes"] = () => [.. Encoding.UTF8.GetBytes(NarInfo()), 0xFF, 0xFE, 0xC3, 0x28, (byte)'\n'],
        ["NUL byte"] = () => Encoding.UTF8.GetBytes(NarInfo(extra: "System: x86_64\0linux\n")),
        ["a line without a colon"] = () => Encoding.UTF8.GetBytes(NarInfo(extra: "garbage\n")),
        ["HTML"] = () => Encoding.UTF8.GetBytes("<html><body>502 Bad Gateway</body></html>\n"),
        ["empty"] = () => [],
        ["a megabyte of junk"] = () => RandomNumberGenerator.GetBytes(1024 * 1024 + 1),
        ["eight megabytes of text"] = () => Encoding.ASCII.GetBytes(NarInfo() + new string('A', 8 * 1024 * 1024)),
    };

    // Names only in the theory: xunit would serialise megabytes of body into every test name otherwise.
    public static TheoryData<string> BadNarInfos() => new(Bodies.Keys);

    private static async Task<(WireMockServer Upstream, ProxyFixture Proxy)> StartAsync(Action<NarGuard.Configuration.NarGuardOptions>? configure = null)
    {
        var upstream = WireMockServer.Start();
        var proxy = await ProxyFixture.StartAsync(o =>
        {
            o.Upstream = upstream.Url + "/main";
            o.Resilience.NarInfoRetries = 0;
            // Generous: the point is the answer to bad bytes, not a slow test machine timing out first.
            o.Timeouts.NarInfo = TimeSpan.FromSeconds(60);
            o.Resilience.NarInfoAttemptTimeout = TimeSpan.FromSeconds(60);
            configure?.Invoke(o);
        });
        return (upstream, proxy);
    }

    private static string Reason(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-NarGuard-Reason", out var values) ? values.Single() : "";

    [Theory]
    [MemberData(nameof(BadNarInfos))]
    public async Task A_bad_narinfo_is_a_404_for_the_narinfo_and_its_nar_and_the_proxy_keeps_serving(string name)
    {
        var body = Bodies[name]();
        var (upstream, proxy) = await StartAsync();
        using var _ = upstream;
        await using var __ = proxy;
        upstream.Given(Request.Create().WithPath($"/main/{Hash}.narinfo").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/x-nix-narinfo").WithBody(body));

        using var narInfo = await proxy.Client.GetAsync(Hash + ".narinfo");
        using var nar = await proxy.Client.GetAsync($"nar/{Hash}.nar");
        using var health = await proxy.Client.GetAsync("/healthz");

        Assert.True(narInfo.StatusCode == HttpStatusCode.NotFound, $"{name}: narinfo answered {narInfo.StatusCode}");
        Assert.Equal("narinfo_invalid", Reason(narInfo));
        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_real_zstd_bomb_stops_one_byte_past_NarSize_and_nothing_is_spooled()
    {
        var (upstream, proxy) = await StartAsync();
        using var _ = upstream;
        await using var __ = proxy;
        // 1 GiB of zeros as 16 concatenated zstd frames of 64 MiB each: a few kilobytes on the wire.
        byte[] frame;
        using (var compressor = new ZstdSharp.Compressor(19))
        {
            frame = compressor.Wrap(new byte[64 * 1024 * 1024]).ToArray();
        }
        var bomb = Enumerable.Repeat(frame, 16).SelectMany(f => f).ToArray();
        const int narSize = 1024 * 1024;
        var narInfo = $"StorePath: /nix/store/{Hash}-bomb\nURL: nar/{Hash}.nar\nCompression: zstd\nNarHash: sha256:{Convert.ToHexStringLower(SHA256.HashData(new byte[narSize]))}\nNarSize: {narSize}\n";
        upstream.Given(Request.Create().WithPath($"/main/{Hash}.narinfo").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(narInfo));
        upstream.Given(Request.Create().WithPath($"/main/nar/{Hash}.nar").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(bomb));

        using var nar = await proxy.Client.GetAsync($"nar/{Hash}.nar");

        Assert.True(bomb.Length < 64 * 1024, $"the bomb is {bomb.Length} bytes");
        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("size_mismatch", Reason(nar));
        Assert.Contains(proxy.Logs.Lines, l => l.Contains("reason=size_mismatch", StringComparison.Ordinal) && l.Contains($"nar_bytes={narSize + 1} ", StringComparison.Ordinal));
        Assert.Empty(proxy.SpoolNarFiles());
        Assert.Empty(proxy.SpoolTempFiles());
    }

    private static void ServeNarInfo(WireMockServer upstream, string url = "nar/" + Hash + ".nar") =>
        upstream.Given(Request.Create().WithPath($"/main/{Hash}.narinfo").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBody(NarInfo(url: url)));

    [Fact]
    public async Task A_redirect_loop_is_cut_after_the_hop_limit()
    {
        var (upstream, proxy) = await StartAsync();
        using var _ = upstream;
        await using var __ = proxy;
        ServeNarInfo(upstream);
        upstream.Given(Request.Create().WithPath($"/main/nar/{Hash}.nar").UsingGet()).RespondWith(Response.Create().WithStatusCode(307).WithHeader("Location", "/loop/a"));
        upstream.Given(Request.Create().WithPath("/loop/a").UsingGet()).RespondWith(Response.Create().WithStatusCode(302).WithHeader("Location", "/loop/b"));
        upstream.Given(Request.Create().WithPath("/loop/b").UsingGet()).RespondWith(Response.Create().WithStatusCode(301).WithHeader("Location", "/loop/a"));

        using var nar = await proxy.Client.GetAsync($"nar/{Hash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("redirect_denied", Reason(nar));
        // The NAR URL and Redirects:MaxHops (3) followed hops, no more.
        Assert.Equal(4, upstream.LogEntries.Count(e => !e.RequestMessage.Path.EndsWith(".narinfo", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://127.0.0.1:70/_GET%20/")]
    [InlineData("ftp://127.0.0.1/nar")]
    [InlineData("http://169.254.169.254/latest/meta-data/iam/security-credentials/")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("https://evil.example/nar")]
    [InlineData("http://localhost:1/nar")] // the upstream's own host name, another port
    [InlineData("http://127.0.0.1:1/nar")]
    [InlineData("dict://127.0.0.1:11211/stat")]
    public async Task A_redirect_to_a_host_or_scheme_not_allowed_is_refused_without_following_it(string location)
    {
        var (upstream, proxy) = await StartAsync();
        using var _ = upstream;
        await using var __ = proxy;
        ServeNarInfo(upstream);
        upstream.Given(Request.Create().WithPath($"/main/nar/{Hash}.nar").UsingGet()).RespondWith(Response.Create().WithStatusCode(307).WithHeader("Location", location));

        using var nar = await proxy.Client.GetAsync($"nar/{Hash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.Equal("redirect_denied", Reason(nar));
        Assert.Single(upstream.LogEntries, e => e.RequestMessage.Path.Contains("/nar/", StringComparison.Ordinal));
        // The refusal names the host, never the path or query of the Location.
        Assert.DoesNotContain(proxy.Logs.Lines, l => l.Contains("security-credentials", StringComparison.Ordinal) || l.Contains("_GET", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://169.254.169.254/nar/" + Hash + ".nar")]
    [InlineData("file:///etc/passwd")]
    [InlineData("../../_api/v1/cache-config/main")]
    [InlineData("/nar/" + Hash + ".nar")]
    [InlineData("http://localhost:1/main/nar/" + Hash + ".nar")]
    public async Task A_narinfo_URL_that_leaves_the_upstream_is_refused_before_any_fetch(string url)
    {
        var (upstream, proxy) = await StartAsync();
        using var _ = upstream;
        await using var __ = proxy;
        ServeNarInfo(upstream, url);

        using var nar = await proxy.Client.GetAsync($"nar/{Hash}.nar");

        Assert.Equal(HttpStatusCode.NotFound, nar.StatusCode);
        Assert.DoesNotContain(upstream.LogEntries, e => !e.RequestMessage.Path.EndsWith(".narinfo", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("narinfo", 5000, 16)]
    [InlineData("narinfo", 1, 200_000)]
    [InlineData("nar", 5000, 16)]
    [InlineData("nar", 1, 200_000)]
    public async Task A_header_flood_from_the_upstream_is_a_404_and_the_proxy_keeps_serving(string what, int count, int valueLength)
    {
        var (upstream, proxy) = await StartAsync();
        using var _ = upstream;
        await using var __ = proxy;
        var flood = Response.Create().WithStatusCode(200);
        for (var i = 0; i < count; i++)
        {
            flood = flood.WithHeader($"X-Flood-{i}", new string('f', valueLength));
        }
        if (what == "narinfo")
        {
            upstream.Given(Request.Create().WithPath($"/main/{Hash}.narinfo").UsingGet()).RespondWith(flood.WithBody(NarInfo()));
        }
        else
        {
            ServeNarInfo(upstream);
            upstream.Given(Request.Create().WithPath($"/main/nar/{Hash}.nar").UsingGet()).RespondWith(flood.WithBody(new byte[1000]));
        }

        using var answer = await proxy.Client.GetAsync(what == "narinfo" ? Hash + ".narinfo" : $"nar/{Hash}.nar");
        using var health = await proxy.Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        Assert.Equal(what == "narinfo" ? "upstream_error" : "upstream_error", Reason(answer));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Upstream_5xx_and_odd_statuses_are_404_never_passed_on()
    {
        var (upstream, proxy) = await StartAsync();
        using var _ = upstream;
        await using var __ = proxy;
        foreach (var status in new[] { 500, 502, 503, 504, 418, 401, 407, 429, 304, 204, 206 })
        {
            upstream.Reset();
            upstream.Given(Request.Create().WithPath($"/main/{Hash}.narinfo").UsingGet()).RespondWith(Response.Create().WithStatusCode(status).WithBody("x"));
            using var narInfo = await proxy.Client.GetAsync(Hash + ".narinfo");
            Assert.True(narInfo.StatusCode == HttpStatusCode.NotFound, $"upstream {status}: narinfo answered {narInfo.StatusCode}");
        }
    }
}
