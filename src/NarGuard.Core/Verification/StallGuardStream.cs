namespace NarGuard.Core.Verification;

/// <summary>
/// A read-only wrapper that throws <see cref="TimeoutException"/> when one read returns no byte within the stall
/// timeout (the upstream went silent), so a stalled body fails well inside Nix's own stalled-download-timeout.
/// </summary>
/// <remarks>
/// The timer cancels the token handed to the inner read, so the inner stream must honour cancellation (HttpClient
/// response streams do). One timer source is reused across reads (<see cref="CancellationTokenSource.TryReset"/>):
/// a body of a few GB is tens of thousands of reads, and none of them allocates a timer.
/// </remarks>
public sealed class StallGuardStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeProvider _timeProvider;
    private CancellationTokenSource? _timer;

    public StallGuardStream(Stream inner, TimeSpan stallTimeout, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (stallTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(stallTimeout), stallTimeout, "The stall timeout must be positive.");
        }
        _inner = inner;
        _stallTimeout = stallTimeout;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }


    // Sync reads take the async path so that the same timer applies; nothing in NarGuard reads a body synchronously
    // except SharpCompress's bzip2 decoder when the verifier's prefetch ran dry.
    public override int Read(byte[] buffer, int offset, int count)
        => ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var timer = _timer ??= new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
        timer.CancelAfter(_stallTimeout);
        var link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timer)
            : default;
        try
        {
            return await _inner.ReadAsync(buffer, timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timer.IsCancellationRequested)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(ex.Message, ex, cancellationToken);
            }
            throw new TimeoutException($"no byte for {_stallTimeout.TotalSeconds:0.###}s");
        }
        finally
        {
            link.Dispose();
            if (!timer.TryReset())
            {
                timer.Dispose();
                _timer = null;
            }
        }
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timer?.Dispose();
            _timer = null;
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
