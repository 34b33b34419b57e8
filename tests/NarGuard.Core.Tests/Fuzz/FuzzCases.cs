namespace NarGuard.Core.Tests.Fuzz;

/// <summary>
/// How many cases a fuzz property runs: NARGUARD_FUZZ_CASES, else a few thousand (the normal suite). The long run:
/// <c>NARGUARD_FUZZ_CASES=100000 dotnet test tests/NarGuard.Core.Tests --filter Category=Fuzz</c>.
/// NARGUARD_FUZZ_SEED replays a run; every failure message names the seed and the case that failed.
/// </summary>
/// <remarks>
/// A seeded generator of our own rather than FsCheck: every case is one seed, so a failure is replayed exactly by
/// NARGUARD_FUZZ_SEED and its case number, the allocation bound is measured around exactly one call, and the
/// mutations are byte-level edits of real compressed NARs, where FsCheck's shrinking has nothing to offer.
/// </remarks>
internal static class FuzzCases
{
    public static int Count(int normal) =>
        int.TryParse(Environment.GetEnvironmentVariable("NARGUARD_FUZZ_CASES"), out var n) && n > 0 ? n : normal;

    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("NARGUARD_FUZZ_SEED"), out var s) ? s : 20260701;

    /// <summary>The generator of one case: independent of how many cases ran before it.</summary>
    public static Random For(int caseNumber) => new(HashCode.Combine(Seed, caseNumber));
}

/// <summary>Byte-level mutations of a valid input; <see cref="Apply"/> says which one it made.</summary>
internal static class Mutations
{
    public static (byte[] Bytes, string Description) Apply(byte[] input, Random random)
    {
        var bytes = input.ToList();
        int At(int extra = 0) => random.Next(bytes.Count + extra);
        switch (random.Next(9))
        {
            case 0:
            {
                var i = At();
                var bit = 1 << random.Next(8);
                bytes[i] ^= (byte)bit;
                return ([.. bytes], $"flip bit {bit} at {i}");
            }
            case 1:
            {
                var i = At();
                var value = (byte)random.Next(256);
                bytes[i] = value;
                return ([.. bytes], $"set byte {i} to {value}");
            }
            case 2:
            {
                var length = At();
                return ([.. bytes.Take(length)], $"truncate to {length}");
            }
            case 3:
            {
                var i = At();
                var count = Math.Min(1 + random.Next(64), bytes.Count - i);
                bytes.RemoveRange(i, count);
                return ([.. bytes], $"delete {count} at {i}");
            }
            case 4:
            {
                var i = At(1);
                var extra = new byte[1 + random.Next(64)];
                random.NextBytes(extra);
                bytes.InsertRange(i, extra);
                return ([.. bytes], $"insert {extra.Length} random at {i}");
            }
            case 5:
            {
                var i = At();
                var count = Math.Min(1 + random.Next(4096), bytes.Count - i);
                bytes.InsertRange(i, bytes.GetRange(i, count));
                return ([.. bytes], $"duplicate {count} at {i}");
            }
            case 6:
            {
                var extra = new byte[1 + random.Next(256)];
                random.NextBytes(extra);
                return ([.. bytes, .. extra], $"append {extra.Length} random");
            }
            case 7:
            {
                var i = At();
                var count = Math.Min(1 + random.Next(512), bytes.Count - i);
                for (var k = i; k < i + count; k++)
                {
                    bytes[k] = 0;
                }
                return ([.. bytes], $"zero {count} at {i}");
            }
            default:
            {
                var i = At();
                var j = At();
                (bytes[i], bytes[j]) = (bytes[j], bytes[i]);
                return ([.. bytes], $"swap bytes {i} and {j}");
            }
        }
    }
}
