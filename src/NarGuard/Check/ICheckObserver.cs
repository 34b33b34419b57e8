namespace NarGuard.Check;

/// <summary>
/// Hears a check as it runs. Called from several tasks at once; implementations synchronise themselves.
/// Every member has an empty default, so an observer implements only what it shows.
/// </summary>
public interface ICheckObserver
{
    /// <summary>The closure walk fetched another narinfo; <paramref name="found"/> paths are known so far.</summary>
    void NarInfoWalked(int fetched, int found)
    {
    }

    void PathStarted(CheckTarget target)
    {
    }

    /// <summary>Compressed NAR bytes arrived (any path); called once per read, so keep it cheap.</summary>
    void BytesReceived(int count)
    {
    }

    void PathCompleted(PathCheckResult result)
    {
    }
}
