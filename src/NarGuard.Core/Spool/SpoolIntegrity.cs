namespace NarGuard.Core.Spool;

/// <summary>The cheap check of a spooled body: its size and mtime are still what they were at commit.</summary>
/// <remarks>
/// Chosen over hashing the body on every read (a full read and SHA-256 of the compressed bytes, doubling the disk
/// traffic of a spool hit): a stat catches every change made through the filesystem (rewrites, truncation, a file
/// swapped in), and <see cref="SpoolScrubber"/> covers what a stat cannot see, on a schedule.
/// </remarks>
public static class SpoolIntegrity
{
    /// <summary>Null when the body file by this name still matches the entry; otherwise what differs.</summary>
    public static string? Check(SpoolEntry entry)
    {
        var info = new FileInfo(entry.NarPath);
        if (!info.Exists)
        {
            // Gone is not damaged: OpenRead's caller already treats a vanished file as "fetch again".
            return null;
        }
        return Compare(entry, info.Length, info.LastWriteTimeUtc);
    }

    /// <summary>Null when the opened file still matches the entry; otherwise what differs.</summary>
    public static string? Check(SpoolEntry entry, FileStream opened) =>
        Compare(entry, opened.Length, File.GetLastWriteTimeUtc(opened.SafeFileHandle));

    private static string? Compare(SpoolEntry entry, long length, DateTime writtenUtc)
    {
        if (length != entry.Length)
        {
            return $"size changed on disk: committed {entry.Length} bytes, now {length}";
        }
        // An entry recorded without a time (constructed by hand) is only checked by size.
        if (entry.WrittenUtc != default && writtenUtc != entry.WrittenUtc)
        {
            return $"modified on disk after verification: mtime {entry.WrittenUtc:O}, now {writtenUtc:O}";
        }
        return null;
    }
}
