using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Journal;

/// <summary>
/// A journal or an undo path from an earlier restore never makes a run claim what did not happen: after the undo script
/// ran, a resume refuses; an undo path holding another restore's parts is refused; summaries keep earlier runs' counts
/// apart (issue 10, points 14–15).
/// </summary>
public sealed class StaleJournalTests
{
    private const string Shop = """
        CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL);
        CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, total numeric(10,2));
        INSERT INTO customers (email) SELECT 'c' || g || '@x' FROM generate_series(1, 30) g;
        INSERT INTO orders (customer_id, total) SELECT 1 + g % 30, g FROM generate_series(1, 90) g;
        """;

    private const string Loss = "UPDATE orders SET total = 0 WHERE id = 7; DELETE FROM orders WHERE customer_id IN (3, 4); DELETE FROM customers WHERE id IN (3, 4)";

    [TestCase("--journal")]
    [TestCase("--journal-table")]
    public async Task After_the_undo_script_ran_the_same_journal_does_not_claim_the_restore_is_done(string journalOption)
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Loss);
        var lost = await db.ContentAsync("orders");
        using var dir = new TempDirectory();
        var journal = journalOption == "--journal" ? dir.File("j") : "public.sr_journal";

        var (first, firstOut, firstErr) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "--policy", "prefer-dump", "--undo", dir.File("u.sql"), journalOption, journal);
        first.ShouldBe(0, firstOut + firstErr);
        firstOut.ShouldContain("2 tables, 8 inserted, 1 updated");
        await db.PsqlAsync(dir.File("u.sql"));
        (await db.ContentAsync("orders")).ShouldBe(lost);

        // The reproduction: the same journal again, without --undo.
        var (exit, output, err) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "--policy", "prefer-dump", journalOption, journal);

        exit.ShouldBe(1, output + err);
        output.ShouldContain("none of the rows it saw written is there any more as written");
        output.ShouldContain("the undo script was probably run");
        output.ShouldNotContain(" inserted, 1 updated");
        (await db.ContentAsync("orders")).ShouldBe(lost);

        // A new restore (new journal, new undo path) restores again.
        var newJournal = journalOption == "--journal" ? dir.File("j2") : "public.sr_journal2";
        var (again, againOut, againErr) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "--policy", "prefer-dump", "--undo", dir.File("u2.sql"), journalOption, newJournal);
        again.ShouldBe(0, againOut + againErr);
        againOut.ShouldContain("2 tables, 8 inserted, 1 updated");
    }

    [Test]
    public async Task A_resumed_run_keeps_earlier_counts_out_of_its_totals()
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Loss);
        using var dir = new TempDirectory();
        string[] args = ["apply", dump, "--target", db.ConnectionString, "--journal", dir.File("j")];

        (await CliRunner.RunAsync(args)).Exit.ShouldBe(0);
        var (exit, output, _) = await CliRunner.RunAsync(args);

        exit.ShouldBe(0);
        output.ShouldContain("applied by an earlier run");
        output.ShouldContain("2 tables were applied by an earlier run of this restore (8 inserted, 0 updated then;");
        output.ShouldContain("0 tables, 0 inserted, 0 updated");
    }

    [Test]
    public async Task An_undo_path_holding_an_earlier_restores_parts_is_refused_before_anything_is_applied()
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Loss);
        var lost = await db.ContentAsync("orders");
        using var dir = new TempDirectory();
        var undo = dir.File("u.sql");

        (await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).WithUndoScript(undo).Build().RunAsync()).Succeeded.ShouldBeTrue();
        await db.PsqlAsync(undo);
        var firstScript = await File.ReadAllTextAsync(undo);

        // The reproduction: a second restore at the same path would have assembled the first one's parts too.
        var second = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).WithUndoScript(undo).Build().RunAsync();

        second.Succeeded.ShouldBeFalse();
        second.Errors.ShouldHaveSingleItem().ShouldContain("the undo script path " + undo + " is taken");
        (await db.ContentAsync("orders")).ShouldBe(lost);
        (await File.ReadAllTextAsync(undo)).ShouldBe(firstScript); // the earlier restore's undo script is kept

        // A new path starts clean: its script undoes only the second restore.
        var fresh = dir.File("u2.sql");
        (await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).WithUndoScript(fresh).Build().RunAsync()).Succeeded.ShouldBeTrue();
        await db.PsqlAsync(fresh);
        (await db.ContentAsync("orders")).ShouldBe(lost);
    }

    [Test]
    public async Task A_file_the_tool_did_not_write_is_never_overwritten_as_an_undo_script()
    {
        await using var db = await Scenario.CreateAsync(Shop);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Loss);
        using var dir = new TempDirectory();
        var precious = dir.Write("notes.sql", "-- my own notes\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithUndoScript(precious).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Errors.ShouldHaveSingleItem().ShouldContain("already exists and was not written as this restore's undo script");
        (await File.ReadAllTextAsync(precious)).ShouldBe("-- my own notes\n");
        (await db.ScalarAsync<long>("SELECT count(*) FROM customers")).ShouldBe(28);
    }
}
