using Microsoft.Extensions.Logging;

namespace NarGuard.Spool;

/// <summary>The spool integrity log lines (event ids 140–149).</summary>
internal static partial class Log
{
    [LoggerMessage(140, LogLevel.Warning, "spool entry damaged, dropped: reason=spool_damaged store_hash={StoreHash} file={File} detail={Detail}")]
    public static partial void SpoolDamaged(ILogger logger, string storeHash, string file, string detail);

    [LoggerMessage(141, LogLevel.Information, "spool scrub pass: verified={Verified} damaged={Damaged} skipped={Skipped} duration_s={DurationSeconds:F1}")]
    public static partial void ScrubPass(ILogger logger, int verified, int damaged, int skipped, double durationSeconds);

    [LoggerMessage(142, LogLevel.Error, "spool scrub pass failed: {Error}")]
    public static partial void ScrubFailed(ILogger logger, string error);
}
