using NarGuard.Core.Hashing;
using Xunit;

namespace NarGuard.Core.Tests.Hashing;

public class StoreHashTests
{
    [Theory]
    [InlineData("8iv5j0f2difw6wg9vwj9r2raacb08fkv", true)] // the incident's store hash
    [InlineData("0123456789abcdfghijklmnpqrsvwxyz", true)]
    [InlineData("8iv5j0f2difw6wg9vwj9r2raacb08fk", false)] // 31
    [InlineData("8iv5j0f2difw6wg9vwj9r2raacb08fkvv", false)] // 33
    [InlineData("8iv5j0f2difw6wg9vwj9r2raacb08fke", false)] // 'e'
    [InlineData("8IV5J0F2DIFW6WG9VWJ9R2RAACB08FKV", false)]
    [InlineData("8iv5j0f2difw6wg9vwj9r2raacb08fk/", false)]
    [InlineData("", false)]
    public void IsValid_means_32_nix32_characters(string text, bool expected)
    {
        Assert.Equal(expected, StoreHash.IsValid(text));
    }

    [Theory]
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner-dashboard-0.1.0", "8iv5j0f2difw6wg9vwj9r2raacb08fkv")]
    [InlineData("/nix/store/g169c7cv3p535sj7an3lycnvjhfnn87r-ngtest", "g169c7cv3p535sj7an3lycnvjhfnn87r")]
    [InlineData("/nix/store/mkfk9d96b2p8bsl1am5n79h1vqcw72i7-ngtest.drv", "mkfk9d96b2p8bsl1am5n79h1vqcw72i7")]
    [InlineData("/gnu/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-x", "8iv5j0f2difw6wg9vwj9r2raacb08fkv")] // any store dir
    [InlineData("/home/ci/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-a+b_c.d?e=f", "8iv5j0f2difw6wg9vwj9r2raacb08fkv")]
    [InlineData("/8iv5j0f2difw6wg9vwj9r2raacb08fkv-x", "8iv5j0f2difw6wg9vwj9r2raacb08fkv")]
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-.x", "8iv5j0f2difw6wg9vwj9r2raacb08fkv")]
    public void FromStorePath_takes_the_hash_of_the_last_segment(string path, string expected)
    {
        Assert.Equal(expected, StoreHash.FromStorePath(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner-dashboard-0.1.0")] // a base name, not a path
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv")] // no name
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-")] // empty name
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv_runner")] // no dash after the hash
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fke-runner")] // 'e' in the hash
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fk-runner")] // 31-char hash
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner/")] // trailing slash
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner/bin/dashboard")] // a file inside a path
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner dashboard")] // names Nix refuses
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-runner\n")]
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-r\u00e9sum\u00e9")]
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-.")]
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-..")]
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-..-x")]
    [InlineData("/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-.-x")]
    public void FromStorePath_returns_null_for_anything_else(string path)
    {
        Assert.Null(StoreHash.FromStorePath(path));
    }

    [Fact]
    public void FromStorePath_limits_the_name_to_nix_211_characters()
    {
        const string prefix = "/nix/store/8iv5j0f2difw6wg9vwj9r2raacb08fkv-";
        Assert.NotNull(StoreHash.FromStorePath(prefix + new string('a', 211)));
        Assert.Null(StoreHash.FromStorePath(prefix + new string('a', 212)));
    }
}
