namespace NarGuard.Core.Verification;

/// <summary>
/// A read-only wrapper that throws <see cref="TimeoutException"/> when one read returns no byte within the stall
/// timeout (the upstream went silent), so a stalled body fails well inside Nix's own stalled-download-timeout.
/// </summary>
public sealed class StallGuardStream : Stream
{
    public StallGuardStream(Stream inner, TimeSpan stallTimeout, TimeProvider? timeProvider = null) => throw new NotImplementedException();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotImplementedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
