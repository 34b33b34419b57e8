using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using AtticEmulator;
using NarGuard.Tests.Support;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using Xunit;

namespace NarGuard.Tests.Hardening;

/// <summary>Upstream tokens and presigned signatures stay out of logs, traces and metrics; credentials go to the upstream only.</summary>
[Collection(Telemetry.MetricsCollection.Name)]
public sealed class SecretsTests
{
    private const string Token = "tok-Very-Secret-4711";

    // The emulator signs its presigned-style URLs this way (tests/AtticEmulator/NarEndpoint.cs).
    private static string SignatureOf(string storeHash) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("attic-emulator:" + storeHash)));

    [Fact]
    public async Task Tokens_and_presigned_signatures_never_appear_in_logs_traces_or_metrics()
    {
        var traces = new StringBuilder();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "NarGuard" or "System.Net.Http" || source.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (traces)
                {
                    traces.Append(activity.DisplayName).Append(' ').Append(activity.OperationName).Append('\n');
                    foreach (var tag in activity.TagObjects) traces.Append(tag.Key).Append('=').Append(tag.Value).Append('\n');
                    foreach (var e in activity.Events)
                    {
                        traces.Append(e.Name).Append('\n');
                        foreach (var tag in e.Tags) traces.Append(tag.Key).Append('=').Append(tag.Value).Append('\n');
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var proxy = await ProxyFixture.StartAsync(
            o => { o.UpstreamToken = Token; o.NarInfoCache.Ttl = TimeSpan.Zero; },
            emulator: new EmulatorOptions { BearerToken = Token, StallDuration = TimeSpan.FromSeconds(5) });
        var objects = new[] { Fault.Redirect, Fault.RedirectBroken, Fault.Healthy, Fault.Corrupt, Fault.NarServerError, Fault.Unauthorized }
            .Select(fault => (Fault: fault, Obj: proxy.Upstream.Add(StorePaths.Make("secret-" + fault), Nar.OfText(fault.ToString(), 80_000))))
            .ToList();
        objects.ForEach(o => proxy.Upstream.SetFault(o.Obj.StoreHash, o.Fault));

        foreach (var (fault, obj) in objects)
        {
            using var narInfo = await proxy.Client.GetAsync(obj.StoreHash + ".narinfo");
            using var nar = await proxy.Client.GetAsync($"nar/{obj.StoreHash}.nar");
            Assert.Equal(fault is Fault.Redirect or Fault.Healthy ? HttpStatusCode.OK : HttpStatusCode.NotFound, nar.StatusCode);
        }
        using (var withClientToken = new HttpRequestMessage(HttpMethod.Get, "nix-cache-info"))
        {
            withClientToken.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
            using var _ = await proxy.Client.SendAsync(withClientToken);
        }
        var metrics = await proxy.Client.GetStringAsync(proxy.BaseUrl + "/metrics");

        var haystacks = new Dictionary<string, string>
        {
            ["logs"] = string.Join('\n', proxy.Logs.Lines),
            ["traces"] = traces.ToString(),
            ["metrics"] = metrics,
        };
        Assert.Contains("narguard.upstream.fetch_nar", haystacks["traces"]); // the listener did hear the spans
        Assert.Contains("redirect", haystacks["logs"], StringComparison.OrdinalIgnoreCase);
        foreach (var (where, text) in haystacks)
        {
            Assert.False(text.Contains(Token, StringComparison.Ordinal), $"the token is in the {where}");
            foreach (var (_, obj) in objects)
            {
                Assert.False(text.Contains(SignatureOf(obj.StoreHash), StringComparison.Ordinal), $"a presigned signature is in the {where}");
            }
        }
    }

    [Fact]
    public async Task The_clients_Authorization_goes_to_the_upstream_and_never_to_a_redirect_target()
    {
        using var storage = WireMockServer.Start();
        var storagePort = new Uri(storage.Url!).Port;
        await using var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions { BearerToken = Token, AdvertiseStorageHost = $"localhost:{storagePort}" });
        var obj = attic.Add(StorePaths.Make("redirected"), Nar.OfText("redirected", 120_000));
        attic.SetFault(obj.StoreHash, Fault.Redirect);
        storage.Given(Request.Create().WithPath($"/_storage/{obj.StoreHash}").UsingGet()).RespondWith(Response.Create().WithStatusCode(200).WithBody(obj.Body));
        await using var proxy = await ProxyFixture.StartAsync(o => o.Redirects.AllowedHosts = ["localhost"], upstream: attic);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"nar/{obj.StoreHash}.nar");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        using var nar = await proxy.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, nar.StatusCode);
        Assert.Equal(obj.Body, await nar.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, attic.NarRequests(obj.StoreHash)); // the upstream accepted the client's token
        var atStorage = Assert.Single(storage.LogEntries).RequestMessage;
        Assert.False(atStorage.Headers!.ContainsKey("Authorization"), "the storage host got the client's Authorization");
        Assert.Contains("X-Amz-Signature", atStorage.RawQuery ?? atStorage.Url);
    }
}
