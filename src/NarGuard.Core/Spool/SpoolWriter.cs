namespace NarGuard.Core.Spool;

/// <summary>A temp file in the spool that receives a NAR body while it is verified. Dispose abandons it unless committed.</summary>
public sealed class SpoolWriter : IDisposable
{
    internal SpoolWriter(string storeHash, string tempPath)
    {
        StoreHash = storeHash;
        TempPath = tempPath;
        // WriteThrough is not used: one fsync at commit is cheaper than one per write and gives the same guarantee.
        Stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
    }

    public string StoreHash { get; }
    internal string TempPath { get; }
    public FileStream Stream { get; }
    internal bool Committed { get; set; }

    public void Dispose()
    {
        Stream.Dispose();
        if (!Committed)
        {
            try
            {
                File.Delete(TempPath);
            }
            catch (IOException)
            {
                // Swept at the next start.
            }
        }
    }
}
