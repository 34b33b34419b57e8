namespace NarGuard.Health;

/// <summary>
/// A readiness check whose result is reused for a while, and which runs at most once at a time: a burst of probes
/// shares one evaluation. The evaluation is detached from any one caller, so a prober that hangs up does not cancel
/// it for the others.
/// </summary>
public sealed class CachedCheck
{
    private readonly Func<Task<CheckResult>> _evaluate;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private CheckResult? _last;
    private Task<CheckResult>? _running;

    public CachedCheck(Func<Task<CheckResult>> evaluate, TimeSpan ttl, TimeProvider time)
    {
        _evaluate = evaluate;
        _ttl = ttl;
        _time = time;
    }

    /// <summary>The last result, without evaluating.</summary>
    public CheckResult? Last
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    public Task<CheckResult> GetAsync()
    {
        lock (_gate)
        {
            if (_last is { } last && _time.GetUtcNow() - last.CheckedAt < _ttl)
            {
                return Task.FromResult(last);
            }
            return _running ??= RunAsync();
        }
    }

    private async Task<CheckResult> RunAsync()
    {
        // Leave the caller's lock before evaluating; the result is published under the lock below.
        await Task.Yield();
        CheckResult result;
        try
        {
            result = await _evaluate().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            result = new CheckResult(false, "check failed: " + ex.GetType().Name, _time.GetUtcNow());
        }
        lock (_gate)
        {
            _last = result;
            _running = null;
        }
        return result;
    }
}
