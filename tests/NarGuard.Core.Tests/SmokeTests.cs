namespace NarGuard.Core.Tests; public class SmokeTests { [Xunit.Fact] public void Ok() => Xunit.Assert.True(true); }
