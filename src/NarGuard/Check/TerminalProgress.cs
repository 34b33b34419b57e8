using System.Collections.Concurrent;
using System.Globalization;

namespace NarGuard.Check;

/// <summary>
/// One status line on a terminal, redrawn in place a few times a second: paths done, ok and broken so far, bytes and
/// throughput, and one path in flight. It moves while a single large NAR streams (bytes are counted per read), and
/// is wiped before the final table so that nothing of it stays in the scrollback.
/// </summary>
internal sealed class TerminalProgress : ICheckObserver, IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly TextWriter _writer;
    private readonly int _width;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly ConcurrentDictionary<string, string> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private volatile int _total;
    private int _done;
    private int _ok;
    private int _walked;
    private long _bytes;
    private volatile bool _walking;

    public TerminalProgress(TextWriter writer, int width, TimeProvider? time = null)
    {
        _writer = writer;
        _width = Math.Max(width, 40);
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _loop = RedrawLoopAsync();
    }

    /// <summary>Shows the closure walk instead of the check until <see cref="BeginCheck"/>.</summary>
    public void BeginWalk() => _walking = true;

    public void BeginCheck(int total)
    {
        _walking = false;
        _total = total;
    }

    /// <summary>Prints a line above the status line (which the next redraw puts back), without racing the redraw.</summary>
    public void WriteAbove(string line)
    {
        lock (_gate)
        {
            _writer.WriteLine("\r\u001b[K" + line);
            _writer.Flush();
        }
    }

    public void NarInfoWalked(int fetched, int found) => Interlocked.Exchange(ref _walked, fetched);

    public void PathStarted(CheckTarget target) => _inFlight[target.StoreHash] = target.StorePath ?? target.StoreHash;

    public void BytesReceived(int count) => Interlocked.Add(ref _bytes, count);

    public void PathCompleted(PathCheckResult result)
    {
        _inFlight.TryRemove(result.StoreHash, out _);
        Interlocked.Increment(ref _done);
        if (result.IsOk)
        {
            Interlocked.Increment(ref _ok);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        lock (_gate)
        {
            _writer.Write("\r\u001b[K");
            _writer.Flush();
        }
        _stop.Dispose();
    }

    private async Task RedrawLoopAsync()
    {
        using var timer = new PeriodicTimer(Interval, _time);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            var line = Line();
            if (line.Length > _width - 1)
            {
                // A line that wraps cannot be redrawn with '\r'; cut it to the terminal's width.
                line = line[..(_width - 4)] + "...";
            }
            lock (_gate)
            {
                _writer.Write("\r\u001b[K" + line);
                _writer.Flush();
            }
        }
    }

    private string Line()
    {
        var seconds = _time.GetElapsedTime(_started).TotalSeconds;
        if (_walking)
        {
            return string.Create(CultureInfo.InvariantCulture, $"walking the closure: {Volatile.Read(ref _walked)} narinfos, {seconds:0.0} s");
        }
        var bytes = Interlocked.Read(ref _bytes);
        var done = Volatile.Read(ref _done);
        var ok = Volatile.Read(ref _ok);
        var rate = seconds > 0 ? bytes / seconds / (1024 * 1024) : 0;
        var current = _inFlight.Values.FirstOrDefault();
        return string.Create(CultureInfo.InvariantCulture,
            $"[{done}/{_total}] {ok} ok, {done - ok} broken | {CheckTextReport.Bytes(bytes)} at {rate:0.0} MiB/s | {seconds:0.0} s{(current is null ? "" : " | " + current)}");
    }
}
