namespace NarGuard.Health;

/// <summary>One line of the readiness report: whether a check passed, why not, and when it was last evaluated.</summary>
public sealed record CheckResult(bool Ok, string Detail, DateTimeOffset CheckedAt, string? FailedCheck = null);
