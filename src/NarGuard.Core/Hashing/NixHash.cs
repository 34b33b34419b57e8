namespace NarGuard.Core.Hashing;

/// <summary>A SHA-256 digest as Nix writes it. Parses "sha256:&lt;nix32|hex|base64&gt;" and SRI "sha256-&lt;base64&gt;"; formats in any of them.</summary>
public sealed class NixHash : IEquatable<NixHash>
{
    public const int Sha256Bytes = 32;

    private readonly byte[] _bytes;

    public NixHash(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != Sha256Bytes)
        {
            throw new ArgumentException($"A SHA-256 digest has {Sha256Bytes} bytes, not {sha256.Length}.", nameof(sha256));
        }
        _bytes = sha256.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Parses a hash in any encoding Nix or Attic writes. Only sha256 is accepted; everything else returns false.</summary>
    public static bool TryParse(string? text, out NixHash? hash) => throw new NotImplementedException();

    /// <summary>"sha256:" + 52 nix32 characters, as cache.nixos.org writes it.</summary>
    public string ToNix32String() => throw new NotImplementedException();
    /// <summary>"sha256:" + 64 lower-case hex characters, as Attic writes it.</summary>
    public string ToHexString() => throw new NotImplementedException();
    /// <summary>"sha256-" + base64, SRI form.</summary>
    public string ToSriString() => throw new NotImplementedException();
    /// <summary>52 nix32 characters without prefix (safe in file names).</summary>
    public string ToNix32() => throw new NotImplementedException();

    public override string ToString() => ToNix32String();
    public bool Equals(NixHash? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);
    public override bool Equals(object? obj) => obj is NixHash h && Equals(h);
    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);
}
