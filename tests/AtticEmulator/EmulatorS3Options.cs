namespace AtticEmulator;

/// <summary>
/// Where an emulator in S3 mode keeps the chunks of uploaded NARs: a real S3-compatible server (s3rver, RustFS,
/// MinIO), addressed path-style as Attic's S3 backend is configured for them.
/// </summary>
/// <param name="Endpoint">scheme://host:port of the S3 server.</param>
/// <param name="Bucket">The bucket chunks go into; it must exist (Attic does not create it either).</param>
/// <param name="AccessKey">Access key (s3rver's built-in one is S3RVER).</param>
/// <param name="SecretKey">Secret key (s3rver: S3RVER).</param>
/// <param name="Region">Signing region; S3-compatible servers accept any.</param>
public sealed record EmulatorS3Options(string Endpoint, string Bucket, string AccessKey, string SecretKey, string Region = "us-east-1");
