using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.PostgreSql;
using Selective.Restore.Providers;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>
/// Counts a report can be trusted with: what the server staged equals what the reader read, a key is restored from
/// one row only, no count is ever negative, and one transaction means all tables or none (issue 10, points 3–5).
/// </summary>
public sealed class RowAccountingTests
{
    /// <summary>Connects the target and reads table public.t.</summary>
    private static async Task<LiveTable> ConnectAsync(PostgreSqlTarget target)
    {
        await target.ConnectAsync(CancellationToken.None);
        return (await target.ReadTableAsync(new TableName("public", "t"), CancellationToken.None))!;
    }

    private const string Preamble = "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n";

    [Test]
    public async Task A_table_fails_when_the_server_stages_a_different_number_of_delta_rows_than_the_engine_sent()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        var target = new PostgreSqlTarget(db.ConnectionString);
        await using var targetScope = target;
        var live = await ConnectAsync(target);
        var dump = RawRows.Table("t", ["id", "v"]);
        var mapping = ColumnMapper.Map(live, dump, skipUnknownColumns: false, _ => { });
        var staged = await target.CreateStagingAsync(mapping, dump, 1, CancellationToken.None);

        // A row ending in an unescaped \. ends a server's COPY there (PostgreSQL before 18): the rows after it never arrive.
        // The reader refuses such a line; this delta plays an engine that did not, to prove the staging check holds.
        using var dir = new TempDirectory();
        using var delta = new Selective.Restore.Diff.SpillFile(dir.Path);
        foreach (var (line, number) in new[] { ("1\ta", 3L), ("2\tb\\.", 4L), ("3\tc", 5L) })
        {
            delta.Write(System.Text.Encoding.UTF8.GetBytes(line), number, number - 2);
        }

        await target.BeginAsync(readOnly: false, CancellationToken.None);
        var error = await Should.ThrowAsync<RestoreTableException>(() => target.StageDeltaAsync(staged, delta, held: null, CancellationToken.None));
        error.Message.ShouldContain("the server staged 2 rows of public.t where the engine sent 3");
        await target.RollbackAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_key_repeated_with_a_different_row_fails_the_table_even_when_one_copy_equals_live()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
        using var dir = new TempDirectory();
        var dump = dir.Write("dup.sql", Preamble + "COPY public.t (id, v) FROM stdin;\n1\ta\n2\tb\n2\tB\n3\tc\n\\.\n");

        foreach (var policy in new[] { MergePolicy.PreferDump, MergePolicy.PreferLive })
        {
            var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(policy).Build().RunAsync();

            report.Succeeded.ShouldBeFalse();
            var t = report.Tables.ShouldHaveSingleItem();
            t.Outcome.ShouldBe(TableOutcome.Failed);
            t.Errors.ShouldHaveSingleItem().ShouldContain("more than one different row, e.g. (id=2); cannot tell which to restore (dump lines 5 and 6)");
            (await db.ContentAsync("t")).ShouldBe("1\ta\n2\tb\n3\tc\n");
        }
    }

    [Test]
    public async Task A_row_repeated_exactly_counts_once_with_a_warning()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (9, 'z')");
        using var dir = new TempDirectory();

        // Two dumps in one file: the table appears twice; 3 is missing, 2 is repeated inside one block too.
        var block = "COPY public.t (id, v) FROM stdin;\n1\ta\n2\tb\n2\tb\n3\tc\n\\.\n";
        var dump = dir.Write("twice.sql", Preamble + block + Preamble + block);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var t = report.Tables.ShouldHaveSingleItem();
        (t.DumpRows, t.Missing, t.Identical, t.Conflicting, t.LiveOnly, t.Inserted, t.Updated).ShouldBe((8L, 1L, 2L, 0L, 1L, 1L, 0L));
        t.Warnings.ShouldHaveSingleItem().ShouldContain("5 dump rows repeat an earlier row");
        (await db.ContentAsync("t")).ShouldBe("1\ta\n2\tb\n3\tc\n9\tz\n");

        // A re-run applies nothing and still counts each key once.
        var again = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).Build().RunAsync();
        var second = again.Tables.ShouldHaveSingleItem();
        (second.Missing, second.Identical, second.LiveOnly, second.Inserted, second.Updated).ShouldBe((0L, 3L, 1L, 0L, 0L));
    }

    [Test]
    public async Task Two_dumps_in_one_file_that_disagree_on_a_row_name_both_lines()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        using var dir = new TempDirectory();

        // Yesterday's and today's dump concatenated: row 2 changed in between.
        var dump = dir.Write("two.sql", Preamble + "COPY public.t (id, v) FROM stdin;\n1\ta\n2\tb\n\\.\n" + Preamble + "COPY public.t (id, v) FROM stdin;\n1\ta\n2\tB\n3\tc\n\\.\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        var t = report.Tables.ShouldHaveSingleItem();
        t.Outcome.ShouldBe(TableOutcome.Failed);
        t.Errors.ShouldHaveSingleItem().ShouldEndWith("e.g. (id=2); cannot tell which to restore (dump lines 5 and 11)");
        (await db.ScalarAsync<long>("SELECT count(*) FROM t")).ShouldBe(0);
    }

    [Test]
    public async Task Single_transaction_applies_nothing_when_one_table_fails_while_staging()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text); CREATE TABLE u (id int PRIMARY KEY, n int)");
        using var dir = new TempDirectory();
        var dump = dir.Write("p4.sql", Preamble + "COPY public.t (id, v) FROM stdin;\n1\ta\n2\tb\n\\.\nCOPY public.u (id, n) FROM stdin;\n1\tnot-a-number\n\\.\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithTransactionMode(TransactionMode.SingleTransaction).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Tables.Single(x => x.Name.Name == "u").Errors.ShouldHaveSingleItem().ShouldContain("invalid input syntax for type integer");
        var t = report.Tables.Single(x => x.Name.Name == "t");
        t.Outcome.ShouldBe(TableOutcome.Failed);
        t.Inserted.ShouldBe(0);
        // u's bad value is found before the transaction (server-side diff) or inside it (engine diff: only rows that
        // differ from live reach the server): either way t is not applied, all or none.
        t.Errors.ShouldHaveSingleItem().ShouldContain("or none");
        (await db.ScalarAsync<long>("SELECT count(*) FROM t")).ShouldBe(0);

        // Per table (the default), t is restored and u fails alone.
        var perTable = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        perTable.Tables.Single(x => x.Name.Name == "t").Inserted.ShouldBe(2);
        (await db.ScalarAsync<long>("SELECT count(*) FROM t")).ShouldBe(2);
    }

    [Test]
    public async Task Single_transaction_applies_nothing_when_a_table_is_missing_live()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text)");
        using var dir = new TempDirectory();
        var dump = dir.Write("p4.sql", Preamble + "COPY public.t (id, v) FROM stdin;\n1\ta\n\\.\nCOPY public.gone (id) FROM stdin;\n1\n\\.\n");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithTransactionMode(TransactionMode.SingleTransaction).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Errors.ShouldContain(e => e.Contains("public.gone failed before it began", StringComparison.Ordinal));
        (await db.ScalarAsync<long>("SELECT count(*) FROM t")).ShouldBe(0);
    }

    [Test]
    public async Task A_pg_dump_file_cut_at_a_statement_boundary_is_not_applied_unless_allowed()
    {
        await using var db = await Scenario.CreateAsync("CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY); INSERT INTO a VALUES (1), (2); INSERT INTO b VALUES (1), (2)");
        var full = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM a WHERE id = 2; DELETE FROM b WHERE id = 2");

        // Cut right after a's data: b and pg_dump's closing comment are gone, every statement left is whole.
        var text = await File.ReadAllTextAsync(full);
        var cut = text[..(text.IndexOf("\\.\n", text.IndexOf("COPY public.a", StringComparison.Ordinal), StringComparison.Ordinal) + 3)];
        var dump = Path.Combine(Path.GetDirectoryName(full)!, "cut.sql");
        await File.WriteAllTextAsync(dump, cut);

        var (exit, output, _) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString);
        exit.ShouldBe(1);
        output.ShouldContain("is incomplete: the dump starts with pg_dump's opening comment ('-- PostgreSQL database dump') but lacks its closing one ('-- PostgreSQL database dump complete')");
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(1);

        var (verify, verifyOut, _) = await CliRunner.RunAsync("verify", dump, "--target", db.ConnectionString);
        verify.ShouldBe(0);
        verifyOut.ShouldContain("lacks its closing one");

        var (allowed, allowedOut, _) = await CliRunner.RunAsync("apply", dump, "--target", db.ConnectionString, "--allow-incomplete");
        allowed.ShouldBe(0, allowedOut);
        (await db.ScalarAsync<long>("SELECT count(*) FROM a")).ShouldBe(2);
    }

    /// <summary>A dump table over raw COPY lines, validated by nobody: stands in for a reader that misjudged a line.</summary>
    private sealed class RawRows : ITableSource
    {
        private readonly byte[][] _lines;
        private int _next;

        private RawRows(string[] lines) => _lines = [.. lines.Select(Encoding.UTF8.GetBytes)];

        public static DumpTable Table(string name, string[] columns, params string[] lines) =>
            new(new RawRows(lines), new TableName("public", name), [.. columns.Select((c, i) => new DumpColumn(c, i + 1))], DumpDataForm.Copy, 0, 1);

        public ValueTask<bool> ReadRowAsync(DumpTable table, bool materialize, bool async, CancellationToken cancellationToken)
        {
            if (_next == _lines.Length)
            {
                table.IsCompleted = true;
                return ValueTask.FromResult(false);
            }

            var line = _lines[_next++];
            table.Current.Set(line, 0, line.Length, _next + 1, 0);
            table.RowsRead++;
            return ValueTask.FromResult(true);
        }

        public ValueTask<long> CopyRawAsync(DumpTable table, Stream destination, bool async, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
