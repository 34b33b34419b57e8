using NarGuard.Core.NarInfos;
using NarGuard.Core.Verification;

namespace NarGuard.Core.Spool;

/// <summary>One scrub pass's counts: entries verified intact, entries dropped as damaged, entries gone meanwhile.</summary>
public readonly record struct ScrubReport(int Verified, int Damaged, int Skipped);

/// <summary>
/// Re-verifies spooled bodies against the narinfo stored beside them (decompress, count NarSize, hash NarHash: the
/// same verifier as the first fetch) and drops every entry that no longer verifies. This is what catches damage a
/// stat cannot see: bit rot that leaves size and mtime alone, and changes made while NarGuard was stopped (the index
/// is rebuilt from the files at start, so their size and mtime are taken as found).
/// </summary>
public sealed class SpoolScrubber(NarSpool spool)
{
    /// <summary>Checks every entry once, one at a time (bounded: the entries at the start of the pass).</summary>
    public async Task<ScrubReport> ScrubAsync(CancellationToken cancellationToken)
    {
        int verified = 0, damaged = 0, skipped = 0;
        foreach (var entry in spool.Snapshot())
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (await CheckAsync(entry, cancellationToken).ConfigureAwait(false))
            {
                case true: verified++; break;
                case false: damaged++; break;
                default: skipped++; break;
            }
        }
        return new ScrubReport(verified, damaged, skipped);
    }

    /// <summary>True: intact. False: damaged, and dropped from the spool. Null: evicted or replaced meanwhile.</summary>
    public async Task<bool?> CheckAsync(SpoolEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = spool.ReadNarInfo(entry);
        if (text is null)
        {
            return null;
        }
        if (!NarInfo.TryParse(text, out var info, out var error))
        {
            return Drop(entry, "stored narinfo no longer parses: " + error);
        }
        if (!string.Equals(info!.StoreHash, entry.StoreHash, StringComparison.Ordinal) || !string.Equals(info.NarHash.ToNix32(), entry.NarHashNix32, StringComparison.Ordinal))
        {
            return Drop(entry, "stored narinfo describes another NAR");
        }
        var body = spool.OpenRead(entry);
        if (body is null)
        {
            // Gone, or already dropped by the size/mtime check on open.
            return null;
        }
        VerificationResult result;
        await using (body.ConfigureAwait(false))
        {
            result = await NarVerifier.VerifyAsync(body, NarExpectation.From(info), copyTo: null, cancellationToken).ConfigureAwait(false);
        }
        return result.IsValid ? true : Drop(entry, $"content no longer verifies: {result.Reason!.Value.Label()}: {result.Detail}");
    }

    private bool Drop(SpoolEntry entry, string damage)
    {
        spool.DropDamaged(entry, damage, scrub: true);
        return false;
    }
}
