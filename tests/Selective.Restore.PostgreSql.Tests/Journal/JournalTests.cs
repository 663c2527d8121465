using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Journal;

/// <summary>Journals: resuming only the same restore, reports of resumed runs, and options that cannot go together.</summary>
public sealed class JournalTests
{
    private const string Shop = """
        CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL);
        CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, total numeric(10,2));
        INSERT INTO customers (email) SELECT 'c' || g || '@x' FROM generate_series(1, 30) g;
        INSERT INTO orders (customer_id, total) SELECT 1 + g % 30, g FROM generate_series(1, 90) g;
        """;

    [TestCase("file")]
    [TestCase("table")]
    public async Task A_finished_journal_makes_a_rerun_apply_nothing_and_report_what_was_done(string kind)
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM orders WHERE customer_id IN (3, 4); DELETE FROM customers WHERE id IN (3, 4)");
        using var dir = new TempDirectory();
        RestoreBuilder Builder()
        {
            var builder = SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString);
            return kind == "file" ? builder.WithJournal(dir.File("journal.jsonl")) : builder.WithJournalTable(new TableName("public", "sr_journal"));
        }

        var first = await Builder().Build().RunAsync();
        first.Succeeded.ShouldBeTrue(first.ToSummary());
        (first.Tables.Sum(t => t.Inserted)).ShouldBe(8);

        // Someone deletes a row again: the journal says the restore is done, so it is not restored a second time.
        await db.ExecuteAsync("DELETE FROM orders WHERE id = 1");
        var again = await Builder().Build().RunAsync();

        again.Succeeded.ShouldBeTrue(again.ToSummary());
        again.Tables.Select(t => (t.Name.Name, t.Inserted, t.Outcome)).OrderBy(t => t.Name, StringComparer.Ordinal)
            .ShouldBe([("customers", 2L, TableOutcome.Applied), ("orders", 6L, TableOutcome.Applied)]);
        again.Tables.ShouldAllBe(t => t.Notes.Any(n => n.StartsWith("applied by an earlier run", StringComparison.Ordinal)));
        (await db.ScalarAsync<long>("SELECT count(*) FROM orders WHERE id = 1")).ShouldBe(0);
        again.Journal.ShouldNotBeNull().ShouldContain(kind == "file" ? "journal.jsonl" : "sr_journal");
    }

    [Test]
    public async Task A_journal_of_another_restore_is_refused_and_nothing_is_applied()
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync();
        using var dir = new TempDirectory();
        var journal = dir.File("journal.jsonl");
        (await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithJournal(journal).IncludeTables("customers").Build().RunAsync()).Succeeded.ShouldBeTrue();
        await db.ExecuteAsync("DELETE FROM orders WHERE id = 5");

        var other = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithJournal(journal).WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        other.Succeeded.ShouldBeFalse();
        other.Errors.ShouldHaveSingleItem().ShouldContain("was written by a different restore");
        (await db.ScalarAsync<long>("SELECT count(*) FROM orders WHERE id = 5")).ShouldBe(0);

        var notJournal = dir.Write("notes.txt", "hello\n");
        var refused = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithJournal(notJournal).Build().RunAsync();
        refused.Errors.ShouldHaveSingleItem().ShouldContain("is not a selective-restore journal");
    }

    [Test]
    public async Task A_journal_table_the_role_cannot_create_fails_the_run_before_anything_is_applied()
    {
        await using var db = await Scenario.CreateAsync(Shop + "CREATE SCHEMA locked; REVOKE ALL ON SCHEMA locked FROM PUBLIC;");
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM orders WHERE id = 5");
        var role = "sr_journal_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN PASSWORD 'secret-pw'; GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}; GRANT TEMP ON DATABASE \"{new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString).Database}\" TO {role}");
        try
        {
            var connection = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role, Password = "secret-pw" }.ConnectionString;
            var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(connection).WithJournalTable(new TableName("locked", "journal")).Build().RunAsync();

            report.Succeeded.ShouldBeFalse();
            report.Errors.ShouldHaveSingleItem().ShouldContain("permission denied for schema locked");
            report.ToJson().ShouldNotContain("secret-pw");
            (await db.ScalarAsync<long>("SELECT count(*) FROM orders WHERE id = 5")).ShouldBe(0);
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await db.ExecuteAsync($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    [Test]
    public void A_plan_has_no_journal_or_undo_and_one_journal_at_a_time()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("dump.sql", "SET client_encoding = 'UTF8';\n");
        Should.Throw<InvalidOperationException>(() => SelectiveRestore.FromDump(dump).ToPostgreSql("Host=x").AsPlan().WithUndoScript(dir.File("u.sql")).Build())
            .Message.ShouldContain("no undo script or journal");
        Should.Throw<InvalidOperationException>(() => SelectiveRestore.FromDump(dump).ToPostgreSql("Host=x").WithJournal(dir.File("j")).WithJournalTable(new TableName("public", "j")).Build())
            .Message.ShouldContain("Choose one journal");
    }
}
