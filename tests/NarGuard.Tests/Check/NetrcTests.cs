using NarGuard.Check;
using Xunit;

namespace NarGuard.Tests.Check;

public sealed class NetrcTests
{
    [Fact]
    public void Machines_login_password_and_default_are_read_in_order()
    {
        var entries = Netrc.Parse("""
            # Nix's netrc-file
            machine cache.example.org login ci password tok-one
            machine other.example.org
                login   someone
                password "with space \"quoted\""
            default login anonymous password tok-default
            """);

        Assert.Equal(3, entries.Count);
        Assert.Equal(new Netrc.Entry("cache.example.org", "ci", "tok-one"), entries[0]);
        Assert.Equal(new Netrc.Entry("other.example.org", "someone", "with space \"quoted\""), entries[1]);
        Assert.Equal(new Netrc.Entry(null, "anonymous", "tok-default"), entries[2]);
    }

    [Fact]
    public void Find_matches_the_host_case_insensitively_and_falls_back_to_default()
    {
        var entries = Netrc.Parse("machine Cache.Example.org password a\ndefault password d\nmachine later.example.org password l\n");

        Assert.Equal("a", Netrc.Find(entries, "cache.example.org")?.Password);
        Assert.Equal("l", Netrc.Find(entries, "later.example.org")?.Password);
        Assert.Equal("d", Netrc.Find(entries, "unknown.example.org")?.Password);
        Assert.Null(Netrc.Find(Netrc.Parse("machine a password b"), "c"));
    }

    [Fact]
    public void Everything_may_sit_on_one_line_and_account_is_skipped()
    {
        var entries = Netrc.Parse("machine a login x account acct password p machine b password q");

        Assert.Equal("p", Netrc.Find(entries, "a")?.Password);
        Assert.Equal("x", Netrc.Find(entries, "a")?.Login);
        Assert.Equal("q", Netrc.Find(entries, "b")?.Password);
    }

    [Fact]
    public void A_macro_body_is_not_read_as_keywords()
    {
        var entries = Netrc.Parse("""
            machine a password p
            macdef init
            machine evil password stolen
            cd /pub

            machine b password q
            """);

        Assert.Equal(["a", "b"], entries.Select(e => e.Machine));
        Assert.Null(Netrc.Find(entries, "evil"));
    }

    [Fact]
    public void Crlf_files_and_a_missing_password_parse()
    {
        var entries = Netrc.Parse("machine a\r\nlogin x\r\n");

        var entry = Assert.Single(entries);
        Assert.Equal("x", entry.Login);
        Assert.Null(entry.Password);
    }
}
