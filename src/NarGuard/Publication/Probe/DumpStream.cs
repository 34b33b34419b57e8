using System.Diagnostics;

namespace NarGuard.Publication.Probe;

/// <summary><c>nix-store --dump PATH</c> as a stream: the NAR is read as the process writes it, never held in memory.</summary>
internal sealed class DumpStream : Stream
{
    private readonly Process _process;
    private readonly Stream _stdout;

    private DumpStream(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.BaseStream;
    }

    public static Stream Start(string storePath)
    {
        var start = new ProcessStartInfo("nix-store") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--dump");
        start.ArgumentList.Add(storePath);
        var process = Process.Start(start) ?? throw new IOException("nix-store --dump did not start");
        // Drained so a chatty nix-store cannot block on a full stderr pipe.
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new DumpStream(process);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _stdout.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _stdout.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _stdout.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                if (!_process.HasExited)
                {
                    // The upload stopped early: only this process, started by this stream.
                    _process.Kill();
                }
                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }
            _stdout.Dispose();
            _process.Dispose();
        }
        base.Dispose(disposing);
    }
}
