using Microsoft.Extensions.Configuration;

namespace NarGuard.Configuration;

/// <summary>
/// Loads settings from, lowest precedence first: the config file (--config FILE, NARGUARD_Config, else
/// config/narguard.json beside the program), NARGUARD_* environment variables, then the command line.
/// </summary>
public static class NarGuardConfiguration
{
    public const string EnvironmentPrefix = "NARGUARD_";

    /// <summary>Short command-line switches; any key can also be given as --Section:Key value.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--upstream"] = "Upstream",
        ["--listen"] = "Listen",
        ["--spool"] = "Spool:Path",
        ["--config"] = "Config",
        ["--upstream-host"] = "UpstreamHost",
        ["--upstream-token-file"] = "UpstreamTokenFile",
        ["--spool-max-bytes"] = "Spool:MaxBytes",
    };

    public sealed record Loaded(NarGuardOptions? Options, IConfiguration Configuration, IReadOnlyList<string> Errors);

    public static Loaded Load(string[] args, IDictionary<string, string?>? environment = null)
    {
        var errors = new List<string>();
        (args, var upstreamCount) = UpstreamArguments.Expand(args);
        // First pass without the file, only to learn which file to read.
        var early = Sources(new ConfigurationBuilder(), args, environment).Build();
        var explicitFile = early["Config"];
        var file = explicitFile ?? Path.Combine(AppContext.BaseDirectory, "config", "narguard.json");

        var builder = new ConfigurationBuilder();
        if (explicitFile is not null && !File.Exists(explicitFile))
        {
            errors.Add($"Config: file '{explicitFile}' does not exist.");
        }
        else if (File.Exists(file))
        {
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        IConfiguration configuration;
        try
        {
            configuration = Sources(builder, args, environment).Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
        {
            errors.Add($"Config: '{file}' could not be read: {ex.Message}");
            return new Loaded(null, early, errors);
        }
        if (errors.Count > 0)
        {
            return new Loaded(null, configuration, errors);
        }
        if (upstreamCount > 1 && HasUpstreamsOutsideCommandLine(file, environment))
        {
            // Merging would pair a command-line URL with another entry's token from the file: refuse instead.
            errors.Add($"Upstreams: set in the config file or environment, and --upstream given {upstreamCount} times on the command line; configure the list in one place.");
            return new Loaded(null, configuration, errors);
        }

        // The binder names only the type for an unknown key inside a list entry; say which entry.
        var entryKeys = typeof(UpstreamOptions).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in configuration.GetSection("Upstreams").GetChildren())
        {
            errors.AddRange(entry.GetChildren().Where(c => !entryKeys.Contains(c.Key)).Select(c => $"{c.Path}: unknown setting (an upstream has {string.Join(", ", entryKeys)})."));
        }
        if (errors.Count > 0)
        {
            return new Loaded(null, configuration, errors);
        }

        var options = new NarGuardOptions();
        try
        {
            // Unknown keys are errors: a misspelt setting must not be silently ignored.
            configuration.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException ex)
        {
            errors.Add(Describe(ex));
            return new Loaded(null, configuration, errors);
        }
        errors.AddRange(NarGuardOptionsValidator.Validate(options));
        return new Loaded(errors.Count == 0 ? options : null, configuration, errors);
    }

    private static bool HasUpstreamsOutsideCommandLine(string file, IDictionary<string, string?>? environment)
    {
        var builder = new ConfigurationBuilder();
        if (File.Exists(file))
        {
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }
        return Sources(builder, [], environment).Build().GetSection("Upstreams").GetChildren().Any();
    }

    private static IConfigurationBuilder Sources(IConfigurationBuilder builder, string[] args, IDictionary<string, string?>? environment)
    {
        if (environment is null)
        {
            builder.AddEnvironmentVariables(EnvironmentPrefix);
        }
        else
        {
            var prefixed = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in environment)
            {
                if (key.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase))
                {
                    prefixed[key[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
                }
            }
            builder.AddInMemoryCollection(prefixed);
        }
        return builder.AddCommandLine(args, new Dictionary<string, string>(Switches));
    }

    // The binder's messages name the key ("... at 'Timeouts:Stall' to type 'System.TimeSpan'"); keep them, drop the stack.
    private static string Describe(InvalidOperationException ex)
    {
        var message = ex.Message;
        if (ex.InnerException is { } inner && !message.Contains(inner.Message, StringComparison.Ordinal))
        {
            message += " " + inner.Message;
        }
        return "configuration: " + message;
    }
}
