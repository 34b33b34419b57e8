return await NarGuard.Hosting.Cli.RunAsync(args);
