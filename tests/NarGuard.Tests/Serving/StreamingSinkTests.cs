using Microsoft.AspNetCore.Http;
using NarGuard.Guards;
using Xunit;

namespace NarGuard.Tests.Serving;

/// <summary>The hold-back rule of StreamingSink, driven with writes of every size against its ring.</summary>
public sealed class StreamingSinkTests
{
    private static (DefaultHttpContext Context, MemoryStream Client) NewContext()
    {
        var client = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Response.Body = client;
        return (context, client);
    }

    [Theory]
    [InlineData(64 * 1024, 1)]
    [InlineData(64 * 1024, 1000)]
    [InlineData(64 * 1024, 16 * 1024)]
    [InlineData(64 * 1024, 64 * 1024 - 1)]
    [InlineData(64 * 1024, 200 * 1024)]
    [InlineData(1, 7)]
    [InlineData(1000, 333)]
    public async Task The_client_never_holds_the_last_hold_back_bytes_before_completion_and_gets_every_byte_in_order_after(int holdBack, int maxWrite)
    {
        var (context, client) = NewContext();
        var data = new byte[600_000];
        new Random(holdBack ^ maxWrite).NextBytes(data);
        var random = new Random(maxWrite);
        using var sink = new StreamingSink(context, data.Length, holdBack);

        var written = 0;
        while (written < data.Length)
        {
            var size = Math.Min(data.Length - written, random.Next(1, maxWrite + 1));
            await sink.WriteAsync(data.AsMemory(written, size), CancellationToken.None);
            written += size;
            // Whatever reached the client is a prefix of the data, and never reaches into the held window.
            Assert.True(client.Length <= written - Math.Min(written, holdBack), $"client has {client.Length} of {written} written");
            Assert.True(data.AsSpan(0, (int)client.Length).SequenceEqual(client.GetBuffer().AsSpan(0, (int)client.Length)));
        }
        Assert.True(sink.Started);
        Assert.False(sink.Completed);

        await sink.CompleteAsync();

        Assert.True(sink.Completed);
        Assert.Equal(data, client.ToArray());
        Assert.Equal(data.Length, sink.Sent);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal(data.Length, context.Response.ContentLength);
    }

    [Fact]
    public async Task A_body_shorter_than_the_window_sends_nothing_until_verified()
    {
        var (context, client) = NewContext();
        using var sink = new StreamingSink(context, null, 64 * 1024);

        await sink.WriteAsync(new byte[40_000], CancellationToken.None);

        Assert.False(sink.Started);
        Assert.Equal(0, client.Length);
        await sink.CompleteAsync();
        Assert.Equal(40_000, client.Length);
    }

    [Fact]
    public async Task Completing_twice_sends_the_held_bytes_once()
    {
        var (context, client) = NewContext();
        using var sink = new StreamingSink(context, null, 100);
        await sink.WriteAsync(new byte[1000], CancellationToken.None);

        await sink.CompleteAsync();
        await sink.CompleteAsync();

        Assert.Equal(1000, client.Length);
        Assert.Equal(1000, sink.Sent);
    }
}
