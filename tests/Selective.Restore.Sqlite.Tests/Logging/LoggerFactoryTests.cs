using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Selective.Restore.Sqlite.Tests.Support;

namespace Selective.Restore.Sqlite.Tests.Logging;

/// <summary>WithLoggerFactory logs each component under its own category, with the documented event IDs.</summary>
public sealed class LoggerFactoryTests
{
    private const string Schema = """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace'), (3, 'Linus');
        """;

    [Test]
    public async Task A_restore_logs_each_component_under_its_category_with_its_event_id()
    {
        using var live = new SqliteFile(Schema);
        var dump = live.Dump();
        live.Execute("DELETE FROM customers WHERE id = 2; UPDATE customers SET name = 'Ada L.' WHERE id = 1;");
        var factory = new RecordingLoggerFactory(minimum: LogLevel.Information);

        var report = await SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString).WithLoggerFactory(factory).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var events = factory.Events.ToList();
        events.ShouldContain((RestoreLogCategory.Run, RestoreEventId.RunStarting));
        events.ShouldContain((RestoreLogCategory.Stage, RestoreEventId.TableStaged));
        events.ShouldContain((RestoreLogCategory.Diff, RestoreEventId.TableClassified));
        events.ShouldContain((RestoreLogCategory.Apply, RestoreEventId.TableApplied));
        events.ShouldAllBe(e => e.Category == RestoreLogCategory.Of(e.EventId));
    }

    [Test]
    public async Task A_plan_logs_what_it_would_write_under_its_own_event_id_and_never_that_it_applied()
    {
        using var live = new SqliteFile(Schema);
        var dump = live.Dump();
        live.Execute("DELETE FROM customers WHERE id = 2;");
        var factory = new RecordingLoggerFactory(minimum: LogLevel.Information);

        await SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString).WithLoggerFactory(factory).AsPlan().Build().RunAsync();

        factory.Events.ShouldContain((RestoreLogCategory.Apply, RestoreEventId.TablePlanned));
        factory.Events.ShouldNotContain(e => e.EventId == RestoreEventId.TableApplied);
    }

    [Test]
    public async Task A_category_filtered_out_by_the_factory_logs_nothing_while_the_others_still_do()
    {
        using var live = new SqliteFile(Schema);
        var dump = live.Dump();
        var factory = new RecordingLoggerFactory(minimum: LogLevel.Information, silenced: RestoreLogCategory.Stage);

        await SelectiveRestore.FromDump(dump).ToSqlite(live.ConnectionString).WithLoggerFactory(factory).Build().RunAsync();

        factory.Events.ShouldNotContain(e => e.Category == RestoreLogCategory.Stage);
        factory.Events.ShouldContain(e => e.Category == RestoreLogCategory.Diff);
    }

    [Test]
    public async Task A_backup_check_logs_under_the_verify_category()
    {
        using var live = new SqliteFile(Schema);
        var dump = live.Dump();
        var factory = new RecordingLoggerFactory(minimum: LogLevel.Information);

        await BackupVerification.FromDump(dump).ToSqlite(live.ConnectionString).WithLoggerFactory(factory).Build().RunAsync();

        factory.Events.ShouldContain((RestoreLogCategory.Verify, RestoreEventId.VerifyStarting));
        factory.Events.ShouldContain((RestoreLogCategory.Verify, RestoreEventId.VerifyTableCompared));
    }

    private sealed class RecordingLoggerFactory(LogLevel minimum, string? silenced = null) : ILoggerFactory
    {
        public ConcurrentQueue<(string Category, int EventId)> Events { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }

        private sealed class Recorder(RecordingLoggerFactory factory, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= factory._minimum && !string.Equals(category, factory._silenced, StringComparison.Ordinal);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    factory.Events.Enqueue((category, eventId.Id));
                }
            }
        }

        private readonly LogLevel _minimum = minimum;
        private readonly string? _silenced = silenced;
    }
}
