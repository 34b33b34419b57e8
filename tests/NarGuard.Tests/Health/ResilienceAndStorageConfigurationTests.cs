using NarGuard.Configuration;
using NarGuard.Storage;
using Xunit;

namespace NarGuard.Tests.Health;

/// <summary>Every Resilience, Health and Storage setting is checked at start, and the message names its key.</summary>
public sealed class ResilienceAndStorageConfigurationTests
{
    private static NarGuardConfiguration.Loaded Load(params string[] args) =>
        NarGuardConfiguration.Load(["--upstream", "http://127.0.0.1:8080/main", .. args], new Dictionary<string, string?>());

    private const string S3 = "--Storage:Endpoint";

    [Theory]
    [InlineData("Resilience:NarInfoRetries", "--Resilience:NarInfoRetries", "-1")]
    [InlineData("Resilience:NarInfoRetries", "--Resilience:NarInfoRetries", "11")]
    [InlineData("Resilience:NarInfoRetryDelay", "--Resilience:NarInfoRetryDelay", "-00:00:01")]
    [InlineData("Resilience:NarInfoAttemptTimeout", "--Resilience:NarInfoAttemptTimeout", "00:00:00")]
    [InlineData("Resilience:NarInfoAttemptTimeout", "--Resilience:NarInfoAttemptTimeout", "00:01:00")]
    [InlineData("Resilience:Circuit:FailureRatio", "--Resilience:Circuit:FailureRatio", "0")]
    [InlineData("Resilience:Circuit:FailureRatio", "--Resilience:Circuit:FailureRatio", "1.5")]
    [InlineData("Resilience:Circuit:MinimumThroughput", "--Resilience:Circuit:MinimumThroughput", "1")]
    [InlineData("Resilience:Circuit:SamplingDuration", "--Resilience:Circuit:SamplingDuration", "00:00:00.1")]
    [InlineData("Resilience:Circuit:BreakDuration", "--Resilience:Circuit:BreakDuration", "00:00:00")]
    [InlineData("Resilience:Circuit:Enabled", "--Resilience:Circuit:Enabled", "maybe")]
    [InlineData("Health:CheckCacheTtl", "--Health:CheckCacheTtl", "-00:00:01")]
    [InlineData("Health:UpstreamTimeout", "--Health:UpstreamTimeout", "00:00:00")]
    [InlineData("Storage:Buckets", "--Storage:Buckets:0", "attic")]
    [InlineData("Storage:DegradedNarInfo404", "--Storage:DegradedNarInfo404", "sometimes")]
    public void A_bad_value_is_refused_naming_its_key(string key, string option, string value)
    {
        var loaded = Load(option, value);
        Assert.Null(loaded.Options);
        Assert.Contains(loaded.Errors, e => e.Contains(key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Storage:Endpoint", S3, "ftp://127.0.0.1:9000")]
    [InlineData("Storage:Endpoint", S3, "http://user:pw@127.0.0.1:9000")]
    [InlineData("Storage:Endpoint", S3, "http://127.0.0.1:9000/bucket")]
    public void A_bad_storage_endpoint_is_refused_without_echoing_credentials(string key, string option, string value)
    {
        var loaded = Load(option, value, "--Storage:Buckets:0", "attic", "--Storage:AccessKey", "a", "--Storage:SecretKey", "s3cr3t-value");
        Assert.Null(loaded.Options);
        var error = Assert.Single(loaded.Errors, e => e.StartsWith(key, StringComparison.Ordinal));
        Assert.DoesNotContain("s3cr3t-value", error, StringComparison.Ordinal);
        if (value.Contains('@', StringComparison.Ordinal))
        {
            Assert.DoesNotContain("pw@", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Storage_needs_buckets_valid_names_and_sane_intervals()
    {
        var loaded = Load(S3, "http://127.0.0.1:9000", "--Storage:AccessKey", "a", "--Storage:SecretKey", "b",
            "--Storage:ProbeInterval", "00:00:00.5", "--Storage:ProbeTimeout", "00:00:00", "--Storage:Region", " ");
        Assert.Null(loaded.Options);
        Assert.Contains(loaded.Errors, e => e.StartsWith("Storage:Buckets: list at least one", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.StartsWith("Storage:ProbeInterval", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.StartsWith("Storage:ProbeTimeout", StringComparison.Ordinal));
        Assert.Contains(loaded.Errors, e => e.StartsWith("Storage:Region", StringComparison.Ordinal));

        var badName = Load(S3, "http://127.0.0.1:9000", "--Storage:AccessKey", "a", "--Storage:SecretKey", "b", "--Storage:Buckets:0", "Attic_Bucket");
        Assert.Contains(badName.Errors, e => e.StartsWith("Storage:Buckets:0", StringComparison.Ordinal));
    }

    [Fact]
    public void Storage_credentials_come_from_the_settings_or_the_AWS_variables()
    {
        static List<string> Validate(Action<StorageOptions> configure, Dictionary<string, string> env)
        {
            var options = new NarGuardOptions { Upstream = "http://127.0.0.1:8080/main", Storage = { Endpoint = "http://127.0.0.1:9000", Buckets = ["attic"] } };
            configure(options.Storage);
            var errors = new List<string>();
            StorageOptionsValidator.Validate(options, errors, name => env.GetValueOrDefault(name));
            return errors;
        }

        Assert.Contains(Validate(_ => { }, []), e => e.StartsWith("Storage:AccessKey / Storage:SecretKey: required", StringComparison.Ordinal));
        Assert.Contains(Validate(s => s.AccessKey = "only-access", []), e => e.StartsWith("Storage:AccessKey / Storage:SecretKey: set both", StringComparison.Ordinal));
        Assert.Empty(Validate(s => (s.AccessKey, s.SecretKey) = ("a", "b"), []));
        Assert.Empty(Validate(_ => { }, new() { ["AWS_ACCESS_KEY_ID"] = "a", ["AWS_SECRET_ACCESS_KEY"] = "b" }));
        Assert.Contains(Validate(_ => { }, new() { ["AWS_ACCESS_KEY_ID"] = "a" }), e => e.Contains("AWS_SECRET_ACCESS_KEY", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_are_valid_and_storage_is_off_until_an_endpoint_is_set()
    {
        var loaded = Load();
        Assert.Empty(loaded.Errors);
        var options = loaded.Options!;
        Assert.Equal(2, options.Resilience.NarInfoRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.Resilience.NarInfoRetryDelay);
        Assert.True(options.Resilience.Circuit.Enabled);
        Assert.Null(options.Storage.Endpoint);
        Assert.True(options.Storage.DegradedNarInfo404);
    }

    [Fact]
    public void Settings_bind_from_the_environment_including_the_bucket_list()
    {
        var loaded = NarGuardConfiguration.Load(["--upstream", "http://127.0.0.1:8080/main"], new Dictionary<string, string?>
        {
            ["NARGUARD_Storage__Endpoint"] = "http://127.0.0.1:9000",
            ["NARGUARD_Storage__Buckets__0"] = "attic",
            ["NARGUARD_Storage__Buckets__1"] = "attic-chunks",
            ["NARGUARD_Storage__AccessKey"] = "key",
            ["NARGUARD_Storage__SecretKey"] = "secret",
            ["NARGUARD_Resilience__Circuit__BreakDuration"] = "00:01:00",
        });
        Assert.Empty(loaded.Errors);
        Assert.Equal(["attic", "attic-chunks"], loaded.Options!.Storage.Buckets);
        Assert.Equal(TimeSpan.FromMinutes(1), loaded.Options.Resilience.Circuit.BreakDuration);
    }
}
