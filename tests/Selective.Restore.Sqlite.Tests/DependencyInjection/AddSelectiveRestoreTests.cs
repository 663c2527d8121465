using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.DependencyInjection;

/// <summary>AddSelectiveRestore: options bound from configuration, the factory resolved from a ServiceProvider and used.</summary>
public sealed class AddSelectiveRestoreTests
{
    private const string Schema = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
        INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three');
        INSERT INTO audit VALUES (1, 'a'), (2, 'b');
        """;

    private static ServiceProvider Services(Dictionary<string, string?> settings, ILoggerFactory? loggerFactory = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        if (loggerFactory is not null)
        {
            services.AddSingleton(loggerFactory);
        }

        services.AddSelectiveRestore(configuration.GetSection("SelectiveRestore"));
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Test]
    public async Task The_factory_resolved_from_the_container_restores_with_the_configured_target_policy_and_tables()
    {
        using var live = new SqliteFile(Schema);
        var dump = live.Dump();
        live.Execute("DELETE FROM items WHERE id = 3; UPDATE items SET name = 'edited' WHERE id = 1; DELETE FROM audit;");
        var logged = new CountingLoggerFactory();
        await using var provider = Services(
            new()
            {
                ["SelectiveRestore:Provider"] = "sqlite",
                ["SelectiveRestore:ConnectionString"] = live.ConnectionString,
                ["SelectiveRestore:Policy"] = "prefer-dump",
                ["SelectiveRestore:IncludeTables:0"] = "*.items",
                ["SelectiveRestore:LockTimeout"] = "00:00:05",
            },
            logged);

        var factory = provider.GetRequiredService<SelectiveRestoreFactory>();
        provider.GetRequiredService<SelectiveRestoreFactory>().ShouldBeSameAs(factory);
        var report = await factory.FromDump(dump).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var items = report.Tables.ShouldHaveSingleItem("only the configured tables");
        (items.Inserted, items.Updated, items.Policy).ShouldBe((1L, 1L, "prefer-dump"));
        live.Content("items").ShouldBe(["1\t'one'", "2\t'two'", "3\t'three'"]);
        live.Content("audit").ShouldBeEmpty();
        logged.Categories.ShouldContain(RestoreLogCategory.Apply, "logging goes to the container's factory");
    }

    [Test]
    public void A_bad_setting_fails_resolution_naming_the_key()
    {
        using var provider = Services(new() { ["SelectiveRestore:Provider"] = "oracle", ["SelectiveRestore:ConnectionString"] = "Data Source=x.db" });
        Should.Throw<ArgumentException>(() => provider.GetRequiredService<SelectiveRestoreFactory>()).Message.ShouldContain("SelectiveRestore:Provider is 'oracle'");

        using var missing = Services(new() { ["SelectiveRestore:Provider"] = "sqlite" });
        Should.Throw<ArgumentException>(() => missing.GetRequiredService<SelectiveRestoreFactory>()).Message.ShouldContain("SelectiveRestore:ConnectionString is missing");

        using var policy = Services(new() { ["SelectiveRestore:Provider"] = "sqlite", ["SelectiveRestore:ConnectionString"] = "Data Source=x.db", ["SelectiveRestore:Policy"] = "newest" });
        Should.Throw<ArgumentException>(() => policy.GetRequiredService<SelectiveRestoreFactory>()).Message.ShouldContain("SelectiveRestore:Policy");

        using var timeout = Services(new() { ["SelectiveRestore:Provider"] = "sqlite", ["SelectiveRestore:ConnectionString"] = "Data Source=x.db", ["SelectiveRestore:LockTimeout"] = "-00:00:01" });
        Should.Throw<ArgumentException>(() => timeout.GetRequiredService<SelectiveRestoreFactory>()).Message.ShouldContain("SelectiveRestore:LockTimeout");

        using var jobs = Services(new() { ["SelectiveRestore:Provider"] = "sqlite", ["SelectiveRestore:ConnectionString"] = "Data Source=x.db", ["SelectiveRestore:Jobs"] = "0" });
        Should.Throw<ArgumentException>(() => jobs.GetRequiredService<SelectiveRestoreFactory>()).Message.ShouldContain("SelectiveRestore:Jobs is 0");

        using var single = Services(new()
        {
            ["SelectiveRestore:Provider"] = "sqlite",
            ["SelectiveRestore:ConnectionString"] = "Data Source=x.db",
            ["SelectiveRestore:Jobs"] = "2",
            ["SelectiveRestore:TransactionMode"] = "SingleTransaction",
        });
        Should.Throw<ArgumentException>(() => single.GetRequiredService<SelectiveRestoreFactory>()).Message.ShouldContain("SelectiveRestore:TransactionMode is SingleTransaction");
    }

    [Test]
    public async Task The_configured_jobs_reach_the_restore()
    {
        using var live = new SqliteFile(Schema);
        var dump = live.Dump();
        live.Execute("DELETE FROM items WHERE id = 2;");
        await using var provider = Services(new() { ["SelectiveRestore:Provider"] = "sqlite", ["SelectiveRestore:ConnectionString"] = live.ConnectionString, ["SelectiveRestore:Jobs"] = "3" });

        var report = await provider.GetRequiredService<SelectiveRestoreFactory>().FromDump(dump).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Sum(t => t.Inserted).ShouldBe(1);
        // SQLite has one writer: the 3 jobs asked for are reported as run over one connection.
        report.Warnings.ShouldContain(w => w.StartsWith("3 parallel jobs were asked for", StringComparison.Ordinal));
    }

    private sealed class CountingLoggerFactory : ILoggerFactory
    {
        public HashSet<string> Categories { get; } = new(StringComparer.Ordinal);

        public ILogger CreateLogger(string categoryName)
        {
            lock (Categories)
            {
                Categories.Add(categoryName);
            }

            return NullLogger.Instance;
        }

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
