using System.Globalization;
using NarGuard.Configuration;
using Xunit;

namespace NarGuard.Tests.Deploy;

/// <summary>config/kubernetes: every manifest parses, and the parts that must agree with each other and with NarGuard do.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Dir = RepoPaths.Of("config", "kubernetes");

    private static Dictionary<string, object?> Single(string kind) =>
        Assert.Single(Directory.GetFiles(Dir, "*.yaml").SelectMany(Yaml.LoadAll), d => d.Str("kind") == kind);

    private static Dictionary<string, object?> Container => (Dictionary<string, object?>)Single("Deployment").List("spec.template.spec.containers")[0]!;

    private static Dictionary<string, object?> Env => Single("ConfigMap").Map("data");

    [Fact]
    public void Every_manifest_parses_and_the_kustomization_lists_them_all()
    {
        var files = Directory.GetFiles(Dir, "*.yaml").Select(Path.GetFileName).ToHashSet();
        foreach (var file in files)
        {
            var documents = Yaml.LoadAll(Path.Combine(Dir, file!));
            Assert.NotEmpty(documents);
            foreach (var doc in documents)
            {
                Assert.False(string.IsNullOrEmpty(doc.Str("apiVersion")), $"{file}: apiVersion");
                Assert.False(string.IsNullOrEmpty(doc.Str("kind")), $"{file}: kind");
                Assert.True(doc.Str("kind") == "Kustomization" || !string.IsNullOrEmpty(doc.Str("metadata.name")), $"{file}: metadata.name");
            }
        }
        var resources = Yaml.LoadAll(Path.Combine(Dir, "kustomization.yaml"))[0].List("resources").Cast<string>().ToHashSet();
        files.Remove("kustomization.yaml");
        Assert.Equal(files.Order(), resources.Order());
    }

    [Fact]
    public void Probes_use_healthz_for_liveness_and_readyz_for_readiness()
    {
        var container = Container;
        Assert.Equal("/healthz", container.Str("livenessProbe.httpGet.path"));
        Assert.Equal("http", container.Str("livenessProbe.httpGet.port"));
        Assert.Equal("/healthz", container.Str("startupProbe.httpGet.path"));
        // Readiness reads /readyz through `narguard healthcheck --ready spool`: this pod's own check only (the comment
        // in deployment.yaml says why not the upstream's).
        var command = container.List("readinessProbe.exec.command").Cast<string>().ToList();
        Assert.Equal(new[] { "/app/narguard", "healthcheck", "--ready", "spool" }, command.Take(4));
        Assert.Contains("ENTRYPOINT [\"/app/narguard\"]", File.ReadAllText(RepoPaths.Of("Dockerfile")));
    }

    [Fact]
    public void Ports_agree_between_the_settings_the_container_the_service_and_the_ingress()
    {
        var listenPort = new Uri(Env.Str("NARGUARD_Listen")!.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        var port = (Dictionary<string, object?>)Assert.Single(Container.List("ports"))!;
        Assert.Equal(listenPort.ToString(CultureInfo.InvariantCulture), port.Str("containerPort"));
        Assert.Equal("http", port.Str("name"));

        var service = Single("Service");
        var servicePort = (Dictionary<string, object?>)Assert.Single(service.List("spec.ports"))!;
        Assert.Equal("http", servicePort.Str("targetPort"));
        var podLabels = Single("Deployment").Map("spec.template.metadata.labels");
        Assert.All(service.Map("spec.selector"), kv => Assert.Equal(kv.Value, podLabels[kv.Key]));

        var ingress = Single("Ingress");
        var backend = ((Dictionary<string, object?>)((Dictionary<string, object?>)ingress.List("spec.rules")[0]!).List("http.paths")[0]!).Map("backend.service");
        Assert.Equal(service.Str("metadata.name"), backend.Str("name"));
        Assert.Equal(servicePort.Str("name"), backend.Str("port.name"));

        var monitor = Single("ServiceMonitor");
        var endpoint = (Dictionary<string, object?>)Assert.Single(monitor.List("spec.endpoints"))!;
        Assert.Equal(servicePort.Str("name"), endpoint.Str("port"));
        Assert.Equal("/metrics", endpoint.Str("path"));
        Assert.All(monitor.Map("spec.selector.matchLabels"), kv => Assert.Equal(kv.Value, service.Map("metadata.labels")[kv.Key]));
        Assert.All(Single("PodDisruptionBudget").Map("spec.selector.matchLabels"), kv => Assert.Equal(kv.Value, podLabels[kv.Key]));
    }

    [Fact]
    public void The_ingress_hashes_by_uri_and_outwaits_a_verification()
    {
        var annotations = Single("Ingress").Map("metadata.annotations");
        Assert.Equal("$request_uri", annotations["nginx.ingress.kubernetes.io/upstream-hash-by"]);
        // The client hears nothing while NarGuard verifies (up to Timeouts:Nar); nginx must not give up first with a 504.
        var readTimeout = int.Parse((string)annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]!, CultureInfo.InvariantCulture);
        Assert.True(readTimeout > new NarGuardOptions().Timeouts.Nar.TotalSeconds, $"proxy-read-timeout {readTimeout}");
    }

    [Fact]
    public void Several_replicas_each_with_a_bounded_spool_at_the_configured_path()
    {
        var deployment = Single("Deployment");
        Assert.True(int.Parse(deployment.Str("spec.replicas")!, CultureInfo.InvariantCulture) >= 2);
        Assert.Equal("true", deployment.Str("spec.template.spec.securityContext.runAsNonRoot"));

        var mount = Container.List("volumeMounts").Cast<Dictionary<string, object?>>().Single(m => m.Str("name") == "spool");
        Assert.Equal(Env.Str("NARGUARD_Spool__Path"), mount.Str("mountPath"));
        var volume = deployment.List("spec.template.spec.volumes").Cast<Dictionary<string, object?>>().Single(v => v.Str("name") == "spool");
        var sizeLimit = Quantity(volume.Str("emptyDir.sizeLimit")!);
        Assert.True(sizeLimit > long.Parse(Env.Str("NARGUARD_Spool__MaxBytes")!, CultureInfo.InvariantCulture), "the emptyDir must hold the spool and NARs being verified");
    }

    [Fact]
    public void The_configmap_settings_are_valid_narguard_settings()
    {
        var environment = Env.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        var loaded = NarGuardConfiguration.Load(["--config", RepoPaths.Of("config", "narguard.json")], environment);
        Assert.Empty(loaded.Errors);
        Assert.Equal("/var/cache/narguard", loaded.Options!.Spool.Path);
    }

    private static long Quantity(string value)
    {
        var units = new Dictionary<string, long> { ["Ki"] = 1L << 10, ["Mi"] = 1L << 20, ["Gi"] = 1L << 30, ["Ti"] = 1L << 40 };
        var unit = units.Keys.FirstOrDefault(value.EndsWith);
        return unit is null ? long.Parse(value, CultureInfo.InvariantCulture) : long.Parse(value[..^2], CultureInfo.InvariantCulture) * units[unit];
    }
}
