# syntax=docker/dockerfile:1
# NarGuard as a container image (docs/DEPLOY.md). From the repository root:
#   docker build -t narguard .
#   docker run -p 5080:5080 -v narguard-spool:/var/cache/narguard -e NARGUARD_Upstream=http://attic:8080/main narguard
# Settings come from NARGUARD_* variables (README.md, config/narguard.example.jsonc).
# scripts/check-deploy.sh replays the build stage's COPY and RUN lines without a Docker engine, lints this file,
# and runs the HEALTHCHECK command against the published binary; keep those lines plain enough for it.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project and lock files first: the restore layer is reused until a dependency changes, and --locked-mode fails the
# build instead of quietly resolving something the lock files (and nix/deps.json) do not name.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/NarGuard.Core/NarGuard.Core.csproj src/NarGuard.Core/packages.lock.json src/NarGuard.Core/
COPY src/NarGuard/NarGuard.csproj src/NarGuard/packages.lock.json src/NarGuard/
COPY tests/AtticEmulator/AtticEmulator.csproj tests/AtticEmulator/packages.lock.json tests/AtticEmulator/
RUN dotnet restore src/NarGuard/NarGuard.csproj --locked-mode
COPY config/narguard.json config/
COPY src/NarGuard.Core/ src/NarGuard.Core/
COPY src/NarGuard/ src/NarGuard/
COPY tests/AtticEmulator/ tests/AtticEmulator/
RUN dotnet publish src/NarGuard/NarGuard.csproj --configuration Release --no-restore --output /app
# An empty spool directory, copied below with the runtime user as owner (the runtime stage runs no shell command).
RUN mkdir -p /spool

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# 1654 is APP_UID, the non-root "app" user every .NET 8+ image defines.
COPY --from=build --chown=1654:1654 /spool /var/cache/narguard
# ASPNETCORE_HTTP_PORTS is set by the base image; NarGuard listens where NARGUARD_Listen says, and an empty value
# spares a "overriding HTTP_PORTS" warning at every start.
ENV ASPNETCORE_HTTP_PORTS= \
    NARGUARD_Listen=http://0.0.0.0:5080 \
    NARGUARD_Spool__Path=/var/cache/narguard
USER $APP_UID
EXPOSE 5080
# The verified spool: keep it on a volume so a new container starts warm. It is a cache, never the only copy.
VOLUME ["/var/cache/narguard"]
# The aspnet image has no curl or wget; `narguard healthcheck` asks /healthz on NARGUARD_Listen with the runtime that
# is already there (a second process of ~30 MB for a moment, every 30 s). No --start-period: NarGuard answers within
# a second of starting, and dockerfilelint 1.8 misreads that flag as an invalid option.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["/app/narguard", "healthcheck", "--timeout", "3"]
ENTRYPOINT ["/app/narguard"]
CMD ["serve"]
