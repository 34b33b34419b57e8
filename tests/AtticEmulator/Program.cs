using System.Runtime.InteropServices;
using AtticEmulator;

// attic-emulator: the emulator as a process, for tests/e2e/run.sh and manual poking.
var commandLine = EmulatorCommandLine.Parse(args, out var error);
if (commandLine is null)
{
    Console.Error.WriteLine($"attic-emulator: {error}");
    Console.Error.WriteLine(EmulatorCommandLine.Usage);
    return 2;
}

await using var server = await AtticEmulatorServer.StartAsync(commandLine.Options);
foreach (var dir in commandLine.BinaryCaches)
{
    var loaded = server.LoadBinaryCache(dir);
    Console.Error.WriteLine($"attic-emulator: loaded {loaded.Count} paths from {dir}");
}

foreach (var (storeHash, fault) in commandLine.Faults)
{
    server.SetFault(storeHash, fault);
}

var stop = new TaskCompletionSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // we stop ourselves, cleanly
    stop.TrySetResult();
}

using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
Console.WriteLine($"listening on {server.BaseUrl}");
Console.Out.Flush();
await stop.Task;
return 0;
