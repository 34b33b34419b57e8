using System.Buffers.Binary;
using System.Text;

namespace AtticEmulator;

/// <summary>
/// Makes the NAR of <see cref="Fault.Corrupt"/>: same length, still a well-formed NAR, one
/// content byte different. Nix then parses and unpacks it completely and only fails on the
/// NarHash, which is the failure a proxy can only catch by hashing.
/// </summary>
internal static class NarCorrupter
{
    public static byte[] Corrupt(byte[] nar)
    {
        var copy = (byte[])nar.Clone();
        // A regular file's contents, else a symlink's target; a NAR with neither (only empty
        // files and directories) has no byte to flip without breaking the format, so the last
        // byte is flipped and the body fails to parse instead.
        var offset = FindPayload(nar) ?? nar.Length - 1;
        if (offset >= 0)
        {
            copy[offset] ^= 0x01;
        }

        return copy;
    }

    /// <summary>Offset of the first byte of the first non-empty file contents or symlink
    /// target, or null. Walks the NAR grammar so that file names or contents that happen to
    /// spell "contents" are never mistaken for tokens.</summary>
    internal static long? FindPayload(byte[] nar)
    {
        try
        {
            var reader = new Reader(nar);
            if (reader.ReadString() != "nix-archive-1")
            {
                return null;
            }

            return reader.FindInNode();
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private sealed class Reader(byte[] nar)
    {
        private long _position;

        public long? FindInNode()
        {
            Expect("(");
            Expect("type");
            switch (ReadString())
            {
                case "regular":
                    var token = ReadString();
                    if (token == "executable")
                    {
                        Expect("");
                        token = ReadString();
                    }

                    if (token != "contents")
                    {
                        throw new InvalidDataException("expected contents");
                    }

                    var (start, length) = ReadRaw();
                    return length > 0 ? start : SkipClose();
                case "symlink":
                    Expect("target");
                    var (targetStart, targetLength) = ReadRaw();
                    return targetLength > 0 ? targetStart : SkipClose();
                case "directory":
                    while (true)
                    {
                        var next = ReadString();
                        if (next == ")")
                        {
                            return null;
                        }

                        if (next != "entry")
                        {
                            throw new InvalidDataException("expected entry");
                        }

                        Expect("(");
                        Expect("name");
                        ReadString();
                        Expect("node");
                        var found = FindInNode();
                        if (found is not null)
                        {
                            return found;
                        }

                        Expect(")");
                    }

                default:
                    throw new InvalidDataException("unknown node type");
            }
        }

        public string ReadString()
        {
            var (start, length) = ReadRaw();
            return Encoding.UTF8.GetString(nar, (int)start, (int)length);
        }

        private long? SkipClose()
        {
            Expect(")");
            return null;
        }

        private void Expect(string token)
        {
            if (ReadString() != token)
            {
                throw new InvalidDataException($"expected '{token}'");
            }
        }

        private (long Start, long Length) ReadRaw()
        {
            var length = (long)BinaryPrimitives.ReadUInt64LittleEndian(nar.AsSpan((int)_position, 8));
            var start = _position + 8;
            if (length < 0 || start + length > nar.Length)
            {
                throw new InvalidDataException("string runs past the end");
            }

            _position = start + ((length + 7) & ~7L);
            return (start, length);
        }
    }
}
