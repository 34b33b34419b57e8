using Microsoft.Extensions.Hosting;

namespace AtticEmulator;

/// <summary>
/// A host lifetime that does nothing. The default console lifetime would take SIGTERM and
/// Ctrl+C for itself, which an emulator running inside a test process must not do; the CLI
/// handles its own signals (Program.cs).
/// </summary>
internal sealed class PassiveHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
