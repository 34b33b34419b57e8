using System.Threading.Channels;

namespace NarGuard.Publication;

/// <summary>
/// Paths waiting for their read-back, bounded by Publication:ReadBackQueueSize. Adding never waits: a push must not
/// be slowed down by verification, so a full queue drops the path and the caller counts the drop.
/// </summary>
public sealed class ReadBackQueue
{
    private readonly Channel<ReadBackItem> _channel;

    public ReadBackQueue(PublicationOptions options)
    {
        Capacity = options.ReadBackQueueSize;
        _channel = Channel.CreateBounded<ReadBackItem>(new BoundedChannelOptions(Capacity)
        {
            // With Wait, TryWrite fails at once when full instead of evicting a queued path.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    public int Capacity { get; }

    /// <summary>Paths queued and not yet taken by a worker.</summary>
    public int Count => _channel.Reader.Count;

    public ChannelReader<ReadBackItem> Reader => _channel.Reader;

    /// <summary>False when the queue is full: the path is not read back.</summary>
    public bool TryEnqueue(ReadBackItem item) => _channel.Writer.TryWrite(item);
}
