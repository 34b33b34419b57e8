using System.Collections.Concurrent;

namespace NarGuard.Core.Concurrency;

/// <summary>
/// Runs one piece of work per key at a time and lets every concurrent caller for that key share its result,
/// including callers that arrive while it is in flight. The work runs detached from any caller: one client
/// hanging up must not cancel the fetch the others (and the spool) are waiting for.
/// </summary>
/// <remarks>
/// NarGuard keeps one instance per kind of job (narinfo, NAR), never a shared key space: ncps #543/#776 hung
/// when a narinfo job and a NAR job waited on each other's lock.
/// </remarks>
public sealed class SingleFlight<TKey, TValue> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Task<TValue>> _inFlight = new();

    /// <summary>Number of keys with work in flight.</summary>
    public int Count => _inFlight.Count;

    /// <summary>
    /// Joins the work in flight for <paramref name="key"/>, or starts <paramref name="work"/>. The caller's
    /// <paramref name="cancellationToken"/> only stops this caller's wait, never the shared work.
    /// </summary>
    /// <param name="joined">True when this caller shared work another caller started.</param>
    public Task<TValue> RunAsync(TKey key, Func<TKey, Task<TValue>> work, out bool joined, CancellationToken cancellationToken = default)
    {
        if (_inFlight.TryGetValue(key, out var existing))
        {
            joined = true;
            return existing.WaitAsync(cancellationToken);
        }

        var started = new TaskCompletionSource<TValue>(TaskCreationOptions.RunContinuationsAsynchronously);
        var winner = _inFlight.GetOrAdd(key, started.Task);
        if (!ReferenceEquals(winner, started.Task))
        {
            joined = true;
            return winner.WaitAsync(cancellationToken);
        }

        joined = false;
        _ = RunDetachedAsync(key, work, started);
        return started.Task.WaitAsync(cancellationToken);
    }

    private async Task RunDetachedAsync(TKey key, Func<TKey, Task<TValue>> work, TaskCompletionSource<TValue> completion)
    {
        try
        {
            // Yield first so the work never runs on the caller's stack (or under its locks).
            await Task.Yield();
            completion.TrySetResult(await work(key).ConfigureAwait(false));
        }
        catch (Exception ex)
        {
            completion.TrySetException(ex);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<TKey, Task<TValue>>(key, completion.Task));
        }
    }
}
