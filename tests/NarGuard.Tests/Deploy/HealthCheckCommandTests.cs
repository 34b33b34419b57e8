using NarGuard.Hosting;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests.Deploy;

/// <summary>`narguard healthcheck`, the Dockerfile's HEALTHCHECK and the Kubernetes readiness probe.</summary>
public sealed class HealthCheckCommandTests
{
    [Fact]
    public async Task Healthz_of_a_running_instance_exits_0_and_of_nothing_exits_1()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        Assert.Equal(HealthCheckCommand.ExitHealthy, await Run("--url", proxy.BaseUrl));

        await proxy.StopProxyAsync();
        Assert.Equal(HealthCheckCommand.ExitUnhealthy, await Run("--url", proxy.BaseUrl, "--timeout", "2"));
    }

    [Fact]
    public async Task Ready_with_a_named_check_ignores_the_shared_upstream()
    {
        // Our own upstream, stopped halfway; no reuse of readiness results, so the probe sees that at once.
        var upstream = await AtticEmulator.AtticEmulatorServer.StartAsync();
        await using var proxy = await ProxyFixture.StartAsync(o => o.Health.CheckCacheTtl = TimeSpan.Zero, upstream: upstream);
        Assert.Equal(HealthCheckCommand.ExitHealthy, await Run("--url", proxy.BaseUrl, "--ready"));

        // Attic goes down: /readyz says so, but a replica whose own spool works stays in the Service. It answers 404
        // or serves its spool, where an ingress left without backends would answer 503 and fail the builds.
        await upstream.DisposeAsync();
        Assert.Equal(HealthCheckCommand.ExitUnhealthy, await Run("--url", proxy.BaseUrl, "--ready"));
        Assert.Equal(HealthCheckCommand.ExitHealthy, await Run("--url", proxy.BaseUrl, "--ready", "spool"));
        Assert.Equal(HealthCheckCommand.ExitUnhealthy, await Run("--url", proxy.BaseUrl, "--ready", "spool,nonexistent"));
    }

    [Theory]
    [InlineData("http://0.0.0.0:5080", "http://127.0.0.1:5080/")]
    [InlineData("http://[::]:6000", "http://127.0.0.1:6000/")]
    [InlineData("http://*:7000", "http://127.0.0.1:7000/")]
    [InlineData("http://+:7001", "http://127.0.0.1:7001/")]
    [InlineData("http://10.1.2.3:5080", "http://10.1.2.3:5080/")]
    public void Wildcard_listen_addresses_are_asked_on_loopback(string listen, string expected) =>
        Assert.Equal(expected, HealthCheckCommand.LocalBaseUrl(listen)!.ToString());

    [Fact]
    public async Task The_url_defaults_to_NARGUARD_Listen()
    {
        await using var proxy = await ProxyFixture.StartAsync();
        var port = new Uri(proxy.BaseUrl).Port;
        var exit = await HealthCheckCommand.RunAsync([], new StringWriter(), new StringWriter(),
            name => name == "NARGUARD_Listen" ? $"http://0.0.0.0:{port}" : null);
        Assert.Equal(HealthCheckCommand.ExitHealthy, exit);
    }

    private static Task<int> Run(params string[] args) => HealthCheckCommand.RunAsync(args, new StringWriter(), new StringWriter());
}
