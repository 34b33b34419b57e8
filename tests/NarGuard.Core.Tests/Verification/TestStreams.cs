namespace NarGuard.Core.Tests.Verification;

/// <summary>
/// An upstream body that fails on purpose, as YARP's forwarder tests do: it can hand out bytes in small pieces,
/// yield so reads are truly asynchronous, throw at a chosen offset, or stall there until cancelled.
/// </summary>
internal sealed class ScriptedBody(byte[] data) : Stream
{
    private long _position;

    public int MaxChunk { get; init; } = int.MaxValue;
    public bool YieldEachRead { get; init; }
    /// <summary>Throw <see cref="Failure"/> once this many bytes were handed out.</summary>
    public long FailAt { get; init; } = -1;
    public Exception Failure { get; init; } = new IOException("Connection reset by peer");
    /// <summary>Stop answering (until cancelled) once this many bytes were handed out.</summary>
    public long StallAt { get; init; } = -1;
    /// <summary>Called once this many bytes were handed out (e.g. to cancel the caller's token).</summary>
    public long CallbackAt { get; init; } = -1;
    public Action? Callback { get; init; }

    public int Reads { get; private set; }
    public long Delivered => _position;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (YieldEachRead)
        {
            await Task.Yield();
        }
        return await ReadCoreAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
        => ReadCoreAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        Reads++;
        cancellationToken.ThrowIfCancellationRequested();
        if (CallbackAt >= 0 && _position >= CallbackAt && Callback is not null)
        {
            Callback();
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (FailAt >= 0 && _position >= FailAt)
        {
            throw Failure;
        }
        if (StallAt >= 0 && _position >= StallAt)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        long limit = data.Length;
        foreach (var mark in (ReadOnlySpan<long>)[FailAt, StallAt, CallbackAt])
        {
            if (mark > _position)
            {
                limit = Math.Min(limit, mark);
            }
        }
        int n = (int)Math.Min(Math.Min(buffer.Length, MaxChunk), limit - _position);
        data.AsSpan((int)_position, n).CopyTo(buffer.Span);
        _position += n;
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A spool file that fills up: writes fail once <paramref name="capacity"/> bytes were written.</summary>
internal sealed class FullDiskStream(long capacity) : MemoryStream
{
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Check(buffer.Length);
        base.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        Check(count);
        base.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Check(buffer.Length);
        return base.WriteAsync(buffer, cancellationToken);
    }

    private void Check(int count)
    {
        if (Length + count > capacity)
        {
            throw new IOException("No space left on device");
        }
    }
}

/// <summary>A <see cref="TimeProvider"/> whose clock only moves when a test calls <see cref="Advance"/>.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public int ActiveTimers
    {
        get
        {
            lock (_lock)
            {
                return _timers.Count(t => t.Due is not null);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_lock)
        {
            _timers.Add(timer);
        }
        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_lock)
        {
            _now += by;
            due = _timers.Where(t => t.Due is { } d && d <= _now).ToList();
            foreach (var t in due)
            {
                t.Due = null;
            }
        }
        foreach (var t in due)
        {
            t.Fire();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
            }
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._lock)
            {
                Due = null;
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
