using NarGuard.Configuration;
using Xunit;

namespace NarGuard.Tests;

public sealed class ConfigurationTests
{
    private static NarGuardConfiguration.Loaded Load(string[] args, Dictionary<string, string?>? env = null) =>
        NarGuardConfiguration.Load(args, env ?? new Dictionary<string, string?>());

    [Fact]
    public void Command_line_environment_and_file_combine_with_the_command_line_winning()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, """{ "Listen": "http://127.0.0.1:6000", "Quarantine": { "Ttl": "00:00:05" }, "Spool": { "MaxBytes": 1000 } }""");
        var loaded = Load(
            ["--upstream", "http://127.0.0.1:8080/main", "--config", file, "--listen", "http://127.0.0.1:7000"],
            new() { ["NARGUARD_Spool__MaxBytes"] = "2000", ["NARGUARD_Timeouts__Stall"] = "00:00:03", ["OTHER"] = "x" });

        Assert.Empty(loaded.Errors);
        var options = loaded.Options!;
        Assert.Equal("http://127.0.0.1:8080/main", options.Upstream);
        Assert.Equal("http://127.0.0.1:7000", options.Listen);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Quarantine.Ttl);
        Assert.Equal(2000, options.Spool.MaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(3), options.Timeouts.Stall);
    }

    [Theory]
    [InlineData(new string[0], "Upstream: required")]
    [InlineData(new[] { "--upstream", "ftp://host/main" }, "Upstream: 'ftp://host/main'")]
    [InlineData(new[] { "--upstream", "http://h/main", "--listen", "nonsense" }, "Listen: 'nonsense'")]
    [InlineData(new[] { "--upstream", "http://h/main", "--Timeouts:Stall", "00:06:00" }, "Timeouts:Stall")]
    [InlineData(new[] { "--upstream", "http://h/main", "--Timeouts:Stall", "soon" }, "Timeouts:Stall")]
    [InlineData(new[] { "--upstream", "http://h/main", "--Server:ResponseBufferBytes", "100" }, "Server:ResponseBufferBytes: must be between 4096 and 67108864, got 100")]
    [InlineData(new[] { "--upstream", "http://h/main", "--Spool:MaxBytes", "-1" }, "Spool:MaxBytes")]
    [InlineData(new[] { "--upstream", "http://h/main", "--Redirects:MaxHops", "99" }, "Redirects:MaxHops")]
    [InlineData(new[] { "--upstream", "http://h/main", "--Sppol:Path", "/tmp/x" }, "Sppol")]
    [InlineData(new[] { "--upstream", "http://h/main", "--config", "/nonexistent/narguard.json" }, "Config: file '/nonexistent/narguard.json' does not exist")]
    public void Bad_settings_fail_with_a_message_naming_the_key(string[] args, string expected)
    {
        var loaded = Load(args);
        Assert.Null(loaded.Options);
        Assert.Contains(loaded.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cli_exits_2_and_names_the_key()
    {
        var stderr = new StringWriter();
        var exit = await NarGuard.Hosting.Cli.RunAsync(["serve", "--listen", "http://127.0.0.1:0"], new StringWriter(), stderr);
        Assert.Equal(2, exit);
        Assert.Contains("Upstream: required", stderr.ToString());
    }

    [Fact]
    public void The_shipped_config_file_is_valid()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "config", "narguard.json");
        Assert.True(File.Exists(file), file);
        var loaded = Load(["--upstream", "http://127.0.0.1:8080/main", "--config", file]);
        Assert.Empty(loaded.Errors);
    }
}
