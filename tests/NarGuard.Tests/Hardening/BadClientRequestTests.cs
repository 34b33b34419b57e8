using NarGuard.Tests.Support;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>One proxy in front of a WireMock upstream that logs every request it gets, shared by the table.</summary>
public sealed class RecordingUpstreamProxy : IAsyncLifetime
{
    public WireMockServer Upstream { get; private set; } = null!;
    public ProxyFixture Proxy { get; private set; } = null!;
    public Uri Server => new(Proxy.BaseUrl);

    public async Task InitializeAsync()
    {
        Upstream = WireMockServer.Start();
        Proxy = await ProxyFixture.StartAsync(o => o.Upstream = Upstream.Url + "/main");
    }

    public async Task DisposeAsync()
    {
        await Proxy.DisposeAsync();
        Upstream.Stop();
        Upstream.Dispose();
    }
}

/// <summary>
/// Bad input from clients, written byte for byte on a socket: every request gets a 4xx, is counted as
/// narguard_requests_total{route="invalid"}, and never reaches the upstream.
/// </summary>
public sealed class BadClientRequestTests(RecordingUpstreamProxy fixture) : IClassFixture<RecordingUpstreamProxy>
{
    private const string Hash = "0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj";

    private static string Get(string target, string host = "127.0.0.1") => $"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";

    private static string Method(string method, string target) => $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

    public static TheoryData<string, string, int> Requests() => new()
    {
        // Path traversal, in every spelling Kestrel would otherwise resolve or decode before the app saw it.
        { "dot-dot", Get("/main/../main/nix-cache-info"), 400 },
        { "dot", Get("/main/./nix-cache-info"), 400 },
        { "dot-dot at the root", Get("/../etc/passwd"), 400 },
        { "dot-dot out of nar/", Get($"/main/nar/../../_api/v1/cache-config/main"), 400 },
        { "encoded dot-dot", Get("/main/%2e%2e/x"), 400 },
        { "encoded dot-dot upper case", Get("/main/%2E%2E/x"), 400 },
        { "encoded dot-dot to the root", Get("/%2e%2e/_api/v1/x"), 400 },
        { "half-encoded dot-dot", Get("/main/.%2e/x"), 400 },
        { "half-encoded dot-dot, other half", Get("/main/%2e./x"), 400 },
        { "encoded slash", Get("/main/nar%2f..%2fx"), 400 },
        { "encoded slash after a NAR name", Get($"/main/nar/{Hash}.nar%2f..%2fx"), 400 },
        { "encoded absolute path", Get("/main/%2fetc%2fpasswd"), 400 },
        { "backslash dot-dot", Get("/main\\..\\x"), 400 },
        { "backslash after a NAR name", Get($"/main/nar/{Hash}.nar\\..\\x"), 400 },
        { "encoded backslash", Get("/main/%5c..%5cx"), 400 },
        { "double-encoded dot-dot", Get("/main/%252e%252e/x"), 400 },
        { "empty segment", Get("/main//etc/passwd"), 400 },
        { "scheme-relative target", Get("//evil.example/x"), 400 },
        { "encoded NUL", Get($"/main/{Hash}.narinfo%00"), 400 },
        { "truncated escape", Get("/main/nix-cache-info%2"), 400 },
        // Hashes of the wrong length or alphabet.
        { "short narinfo name", Get("/main/short.narinfo"), 400 },
        { "31-character hash", Get($"/main/{Hash[..31]}.narinfo"), 400 },
        { "33-character hash", Get($"/main/{Hash}a.narinfo"), 400 },
        { "upper-case hash", Get($"/main/{Hash.ToUpperInvariant()}.narinfo"), 400 },
        { "hash with e", Get($"/main/{Hash[..31]}e.narinfo"), 400 },
        { "hash with o", Get($"/main/{Hash[..31]}o.narinfo"), 400 },
        { "hash with u", Get($"/main/{Hash[..31]}u.narinfo"), 400 },
        { "hash with t", Get($"/main/{Hash[..31]}t.narinfo"), 400 },
        { "hash with a dash", Get($"/main/{Hash[..31]}-.narinfo"), 400 },
        { "narinfo in a subdirectory", Get($"/main/x/{Hash}.narinfo"), 400 },
        { "empty narinfo name", Get("/main/.narinfo"), 400 },
        { "NAR name not a hash", Get("/main/nar/notahash.nar"), 400 },
        { "NAR name 31 characters", Get($"/main/nar/{Hash[..31]}.nar"), 400 },
        { "NAR name without .nar", Get($"/main/nar/{Hash}"), 400 },
        { "NAR name with another extension", Get($"/main/nar/{Hash}.zip"), 400 },
        { "NAR name with a subpath", Get($"/main/nar/{Hash}.nar/extra"), 400 },
        { "empty NAR name", Get("/main/nar/.nar"), 400 },
        // Methods other than GET and HEAD on the cache.
        { "POST narinfo", Method("POST", $"/main/{Hash}.narinfo"), 405 },
        { "PUT narinfo", Method("PUT", $"/main/{Hash}.narinfo"), 405 },
        { "DELETE NAR", Method("DELETE", $"/main/nar/{Hash}.nar"), 405 },
        { "PATCH NAR", Method("PATCH", $"/main/nar/{Hash}.nar"), 405 },
        { "OPTIONS narinfo", Method("OPTIONS", $"/main/{Hash}.narinfo"), 405 },
        { "PUT nix-cache-info", Method("PUT", "/main/nix-cache-info"), 405 },
        { "POST into nar/ (an empty NAR name is refused first)", Method("POST", "/main/nar/"), 400 },
        { "PROPFIND the cache", Method("PROPFIND", "/main/"), 405 },
        { "DELETE a log", Method("DELETE", "/main/log/x.drv"), 405 },
        { "TRACE the cache", Method("TRACE", "/main/nix-cache-info"), 405 },
        { "TRACE the API", Method("TRACE", "/_api/v1/cache-config/main"), 405 },
        // Forward-proxy requests: absolute-form targets and CONNECT. Only the configured upstream is ever contacted.
        { "absolute-form to another host", Get("http://evil.example/", "evil.example"), 400 },
        { "absolute-form for the cache path", Get("http://evil.example/main/nix-cache-info", "evil.example"), 400 },
        { "absolute-form to cloud metadata", Get("http://169.254.169.254/latest/meta-data/", "169.254.169.254"), 400 },
        { "absolute-form https", Get("https://evil.example/x", "evil.example"), 400 },
        { "absolute-form ftp", Get("ftp://evil.example/x", "evil.example"), 400 },
        { "absolute-form naming ourselves", Get("http://127.0.0.1/main/nix-cache-info"), 400 },
        { "asterisk-form OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400 },
        { "CONNECT to another host", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nConnection: close\r\n\r\n", 405 },
        { "CONNECT to cloud metadata", "CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: 169.254.169.254:80\r\nConnection: close\r\n\r\n", 405 },
        // What Kestrel refuses itself (limits set in NarGuardApp), counted through its connection metric.
        { "request line over 8 KiB", Get("/main/" + new string('a', 9000)), 414 },
        { "one header over 32 KiB", $"GET /main/nix-cache-info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {new string('a', 40_000)}\r\nConnection: close\r\n\r\n", 431 },
        { "five thousand headers", "GET /main/nix-cache-info HTTP/1.1\r\nHost: 127.0.0.1\r\n" + string.Concat(Enumerable.Range(0, 5000).Select(i => $"X-H{i}: v\r\n")) + "Connection: close\r\n\r\n", 431 },
        { "two Host headers", "GET /main/nix-cache-info HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", 400 },
        { "no Host in HTTP/1.1", "GET /main/nix-cache-info HTTP/1.1\r\nConnection: close\r\n\r\n", 400 },
        { "absolute-form whose Host differs", Get("http://evil.example/main/nix-cache-info"), 400 },
        { "NUL in the request line", "GET /main/nix-cache-info\0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400 },
        { "space in a header name", "GET /main/nix-cache-info HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\nConnection: close\r\n\r\n", 400 },
        { "folded header line", "GET /main/nix-cache-info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n", 400 },
        { "garbage request line", "HELLO\r\n\r\n", 400 },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Bad_request_gets_a_4xx_is_counted_as_invalid_and_never_reaches_the_upstream(string name, string request, int expected)
    {
        var before = fixture.Upstream.LogEntries.Count();
        var invalidBefore = fixture.Proxy.Metrics.Sum("narguard.requests", "narguard.route", "invalid");

        var response = await RawHttp.SendAsync(fixture.Server, request);

        Assert.True(response.Status == expected, $"{name}: expected {expected}, got {response.Status}: {response.Head}");
        Assert.Equal(before, fixture.Upstream.LogEntries.Count());
        // Kestrel's own refusals are counted when their connection ends, a moment after the answer: poll, bounded.
        for (var i = 0; i < 50 && fixture.Proxy.Metrics.Sum("narguard.requests", "narguard.route", "invalid") == invalidBefore; i++)
        {
            await Task.Delay(20);
        }
        Assert.True(fixture.Proxy.Metrics.Sum("narguard.requests", "narguard.route", "invalid") > invalidBefore, $"{name}: not counted as route=invalid");
    }

    [Fact]
    public async Task The_table_has_at_least_fifty_requests_and_a_good_request_does_reach_the_upstream()
    {
        Assert.True(Requests().Count() >= 50);
        // The control: the same socket code with a well-formed request is forwarded, so "0 upstream requests" above means something.
        var before = fixture.Upstream.LogEntries.Count();
        // (nix-cache-info is answered by the proxy itself, so a log path is the pass-through control.)
        var response = await RawHttp.SendAsync(fixture.Server, Get("/main/log/control.drv"));
        Assert.Equal(404, response.Status); // WireMock has no mapping: its own 404, forwarded
        Assert.Equal(before + 1, fixture.Upstream.LogEntries.Count());
    }
}
