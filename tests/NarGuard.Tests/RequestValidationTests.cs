using System.Net;
using NarGuard.Tests.Support;
using Xunit;

namespace NarGuard.Tests;

public sealed class RequestValidationTests
{
    [Theory]
    [InlineData("short.narinfo")]
    [InlineData("0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wjX.narinfo")]
    [InlineData("0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2we.narinfo")] // 'e' is not nix32
    [InlineData("0C7BA5ZQ2P7N6M6Z0VBW0ZF2L9SDN2WJ.narinfo")]
    [InlineData("nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2w.nar")]
    [InlineData("nar/notahash.nar")]
    [InlineData("nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj")]
    [InlineData("nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.nar%2f..%2fx")]
    [InlineData("nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.nar%5cx")]
    public async Task Malformed_names_get_400_that_says_why_and_never_reach_the_upstream(string path)
    {
        await using var proxy = await ProxyFixture.StartAsync();
        using var response = await proxy.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("400 bad request: ", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, proxy.Upstream.NarInfoRequests("0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj") + proxy.Upstream.NarRequests("0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj"));
    }

    [Theory]
    [InlineData("POST", "0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.narinfo")]
    [InlineData("PUT", "nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.nar")]
    [InlineData("DELETE", "nar/0c7ba5zq2p7n6m6z0vbw0zf2l9sdn2wj.nar")]
    public async Task Other_methods_on_cache_objects_get_405(string method, string path)
    {
        await using var proxy = await ProxyFixture.StartAsync();
        using var response = await proxy.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("GET", response.Content.Headers.Allow);
    }
}
