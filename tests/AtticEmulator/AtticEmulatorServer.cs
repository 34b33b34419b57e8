using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AtticEmulator;

/// <summary>
/// An Attic-shaped binary cache on real Kestrel, with per-path fault injection. Speaks Attic's
/// wire format (hex NarHash, no FileHash/FileSize, chunked NAR bodies with no Content-Length,
/// 307 to presigned storage, JSON errors); see tests/AtticEmulator/README.md.
/// </summary>
/// <example>
/// <code>
/// await using var attic = await AtticEmulatorServer.StartAsync(new EmulatorOptions());
/// var obj = attic.Add("/nix/store/0c1z...-hello", nar);
/// attic.SetFault(obj.StoreHash, Fault.Empty);
/// // point the proxy at attic.CacheUrl; afterwards: attic.NarRequests(obj.StoreHash)
/// </code>
/// </example>
public sealed class AtticEmulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectCatalog _catalog;
    private readonly CancellationTokenSource _stopping;
    private readonly ChunkStore? _chunks;

    private AtticEmulatorServer(WebApplication app, ObjectCatalog catalog, CancellationTokenSource stopping, EmulatorOptions options, string baseUrl, ChunkStore? chunks)
    {
        _app = app;
        _chunks = chunks;
        _catalog = catalog;
        _stopping = stopping;
        Options = options;
        BaseUrl = baseUrl;
    }

    /// <summary>The options the server runs with.</summary>
    public EmulatorOptions Options { get; }

    /// <summary><c>http://127.0.0.1:PORT</c>, no trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary><c>BaseUrl/&lt;cache&gt;</c>: what Nix (or a proxy) uses as the substituter URL.</summary>
    public string CacheUrl => BaseUrl + "/" + Options.CacheName;

    /// <summary>Starts Kestrel and returns once it accepts connections.</summary>
    public static async Task<AtticEmulatorServer> StartAsync(EmulatorOptions? options = null)
    {
        options ??= new EmulatorOptions();
        if (options.ChunkSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "ChunkSize must be positive");
        }

        if (options.S3 is not null && options.Compression == BodyCompression.Br)
        {
            // Brotli streams cannot be concatenated, and S3 mode stores (and serves) one compressed stream per chunk.
            throw new ArgumentException("S3 mode needs zstd, xz or none: Brotli chunks cannot be concatenated", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AtticEmulatorServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        if (options.ConsoleLogging)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        }

        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            Listen(kestrel, options.Listen);
        });

        var app = builder.Build();
        var catalog = new ObjectCatalog(options);
        var stopping = new CancellationTokenSource();
        var chunks = options.S3 is null ? null : new ChunkStore(options.S3);
        var state = new EmulatorState(options, catalog, stopping.Token, chunks);
        ControlEndpoints.Map(app, state);
        ApiEndpoints.Map(app, state);
        StorageEndpoint.Map(app, state);
        CacheEndpoints.Map(app, state);
        NarEndpoint.Map(app, state);

        await app.StartAsync();
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features
            .Get<IServerAddressesFeature>()!.Addresses.First());
        state.Port = address.Port;
        var host = address.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : address.Host;
        return new AtticEmulatorServer(app, catalog, stopping, options, $"{address.Scheme}://{host}:{address.Port}", chunks);
    }

    /// <summary>
    /// Adds (or replaces) a store path. <paramref name="references"/> and
    /// <paramref name="deriver"/> may be full store paths or base names. The body is
    /// compressed now, so the object returned carries exactly the bytes that will be served.
    /// </summary>
    public StoreObject Add(string storePath, byte[] nar, IEnumerable<string>? references = null, string? deriver = null, IEnumerable<string>? signatures = null) =>
        _catalog.Add(storePath, nar, references, deriver, signatures);

    /// <summary>Sets the fault for a store hash (the object need not exist yet);
    /// <see cref="Fault.Healthy"/> clears it.</summary>
    public void SetFault(string storeHash, Fault fault) => _catalog.SetFault(storeHash, fault);

    /// <summary>Requests for the NAR URL of this store hash so far (GET and HEAD).</summary>
    public int NarRequests(string storeHash) => _catalog.NarRequests.Of(storeHash);

    /// <summary>Requests for the narinfo of this store hash so far (GET and HEAD).</summary>
    public int NarInfoRequests(string storeHash) => _catalog.NarInfoRequests.Of(storeHash);

    /// <summary>Requests for the storage (redirect target) URL of this store hash so far,
    /// whichever host name they came in on.</summary>
    public int StorageRequests(string storeHash) => _catalog.StorageRequests.Of(storeHash);

    /// <summary><c>PUT /_api/v1/upload-path</c> requests for this store hash so far, whatever their outcome.</summary>
    public int UploadRequests(string storeHash) => _catalog.UploadRequests.Of(storeHash);

    /// <summary>The object now held for a store hash (added, or uploaded through <c>upload-path</c>), or null.</summary>
    public StoreObject? Find(string storeHash) => _catalog.TryGet(storeHash, out var obj) ? obj : null;

    /// <summary>
    /// Adds every path of a binary cache written by <c>nix copy --to file://DIR</c>
    /// (<c>compression=none</c>, <c>xz</c> or <c>zstd</c>), with its references, deriver and
    /// signatures. Each NAR is checked against its NarHash and NarSize first.
    /// </summary>
    public IReadOnlyList<StoreObject> LoadBinaryCache(string dir) =>
        BinaryCacheReader.Read(dir)
            .Select(e => _catalog.Add(e.StorePath, e.Nar, e.References, e.Deriver, e.Signatures))
            .ToList();

    /// <summary>Stops the server; stalled responses are cut at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
        _chunks?.Dispose();
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, Uri listen)
    {
        if (listen.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"only http:// is supported: {listen}");
        }

        switch (listen.Host)
        {
            case "localhost":
                kestrel.ListenLocalhost(listen.Port);
                break;
            case "*" or "+" or "0.0.0.0":
                kestrel.ListenAnyIP(listen.Port);
                break;
            default:
                kestrel.Listen(IPAddress.Parse(listen.Host.Trim('[', ']')), listen.Port);
                break;
        }
    }
}
