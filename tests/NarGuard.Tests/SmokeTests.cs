namespace NarGuard.Tests; public class SmokeTests { [Xunit.Fact] public void Ok() => Xunit.Assert.True(true); }
