using System.Security.Cryptography;
using AtticEmulator;

namespace NarGuard.Benchmarks;

/// <summary>
/// <c>narguard-bench make-nar --name N --size 512MiB --nar FILE --body FILE</c>: writes a generated NAR and the exact
/// body the Attic emulator serves for it (64 KiB chunks, each its own zstd frame, concatenated), and prints
/// <c>sha256:&lt;hex&gt; narSize bodyBytes</c>. The body comes from the emulator itself, so the verifier benchmark
/// and the whole-system runs decompress the same kind of bytes.
/// </summary>
public static class MakeNar
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? name = null, narFile = null, bodyFile = null;
        long size = -1;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--name": name = Value(); break;
                case "--size": size = NarGenerator.ParseSize(Value()); break;
                case "--nar": narFile = Value(); break;
                case "--body": bodyFile = Value(); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if (name is null || size < 0 || narFile is null || bodyFile is null)
        {
            throw new ArgumentException("make-nar needs --name, --size, --nar and --body");
        }

        var nar = NarGenerator.Create(name, size);
        await using var server = await AtticEmulatorServer.StartAsync(new EmulatorOptions());
        var obj = server.Add(BenchStorePaths.For(name, 0), nar);
        await File.WriteAllBytesAsync(narFile, nar);
        await File.WriteAllBytesAsync(bodyFile, obj.Body);
        Console.WriteLine($"sha256:{Convert.ToHexStringLower(SHA256.HashData(nar))} {nar.LongLength} {obj.Body.LongLength}");
        return 0;
    }
}
