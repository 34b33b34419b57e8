using NarGuard.Configuration;

namespace NarGuard.Resilience;

/// <summary>Checks the Resilience section; messages name the key. Bounds follow Polly's own limits, so a value that passes here builds.</summary>
public static class ResilienceOptionsValidator
{
    public static void Validate(NarGuardOptions options, List<string> errors)
    {
        var resilience = options.Resilience;
        if (resilience.NarInfoRetries is < 0 or > 10)
        {
            errors.Add($"Resilience:NarInfoRetries: must be between 0 and 10, got {resilience.NarInfoRetries}.");
        }
        if (resilience.NarInfoRetryDelay < TimeSpan.Zero || resilience.NarInfoRetryDelay > TimeSpan.FromSeconds(10))
        {
            errors.Add($"Resilience:NarInfoRetryDelay: must be between 00:00:00 and 00:00:10, got {resilience.NarInfoRetryDelay}.");
        }
        if (resilience.NarInfoAttemptTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Resilience:NarInfoAttemptTimeout: must be a positive duration like 00:00:05, got {resilience.NarInfoAttemptTimeout}.");
        }
        else if (resilience.NarInfoAttemptTimeout > options.Timeouts.NarInfo)
        {
            errors.Add($"Resilience:NarInfoAttemptTimeout: {resilience.NarInfoAttemptTimeout} exceeds Timeouts:NarInfo ({options.Timeouts.NarInfo}), which bounds every attempt together.");
        }

        ValidateCircuit(resilience.Circuit, "Resilience:Circuit", errors);
    }

    /// <summary>Checks one circuit's settings; <paramref name="key"/> prefixes every message (Resilience:Circuit, Upstreams:1:Circuit).</summary>
    public static void ValidateCircuit(CircuitOptions circuit, string key, List<string> errors)
    {
        if (!(circuit.FailureRatio > 0 && circuit.FailureRatio <= 1))
        {
            errors.Add($"{key}:FailureRatio: must be above 0 and at most 1, got {circuit.FailureRatio}.");
        }
        if (circuit.MinimumThroughput < 2)
        {
            errors.Add($"{key}:MinimumThroughput: must be at least 2, got {circuit.MinimumThroughput}.");
        }
        AtLeastHalfASecond(errors, key + ":SamplingDuration", circuit.SamplingDuration);
        AtLeastHalfASecond(errors, key + ":BreakDuration", circuit.BreakDuration);
        if (circuit.BreakDuration > TimeSpan.FromDays(1))
        {
            errors.Add($"{key}:BreakDuration: must be at most one day, got {circuit.BreakDuration}.");
        }
    }

    private static void AtLeastHalfASecond(List<string> errors, string key, TimeSpan value)
    {
        if (value < TimeSpan.FromMilliseconds(500))
        {
            errors.Add($"{key}: must be at least 00:00:00.5, got {value}.");
        }
    }
}
