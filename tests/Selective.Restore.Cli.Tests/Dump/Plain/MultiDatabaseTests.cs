using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// A pg_dumpall script holds several databases, each after its <c>\connect</c>: a table's name carries no database, so the
/// data of two databases is refused unless one is selected (<see cref="DumpReaderOptions.Database"/>, <c>--database</c>).
/// </summary>
public sealed class MultiDatabaseTests
{
    private const string Cluster = "--\n-- PostgreSQL database cluster dump\n--\n\nSET default_transaction_read_only = off;\n\n";
    private const string ClusterEnd = "--\n-- PostgreSQL database cluster dump complete\n--\n\n";

    /// <summary>A database's section as pg_dumpall 11+ writes it (pg_dump -C): CREATE DATABASE, \connect, settings, data.</summary>
    private static string Section(string name, string connect, string data, bool create = true) =>
        "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n" +
        (create ? $"CREATE DATABASE {name} WITH TEMPLATE = template0 ENCODING = 'UTF8';\nALTER DATABASE {name} OWNER TO postgres;\n" : string.Empty) +
        $"{connect}\n\nSET client_encoding = 'UTF8';\nSELECT pg_catalog.set_config('search_path', '', false);\n" +
        data + "--\n-- PostgreSQL database dump complete\n--\n\n";

    private static readonly string Empty = Section("template1", "\\connect template1", string.Empty, create: false);

    private static readonly string Shop = Section(
        "shop",
        "\\connect shop",
        "CREATE TABLE public.t (id integer, v text);\nCOPY public.t (id, v) FROM stdin;\n1\tshop one\n2\tshop two\n\\.\n" +
        "SELECT pg_catalog.setval('public.t_id_seq', 2, true);\n");

    private static readonly string Crm = Section(
        "\"Crm\"",
        "\\connect -reuse-previous=on \"dbname='Crm'\"",
        "INSERT INTO public.t VALUES (7, 'crm seven');\nSELECT pg_catalog.setval('public.t_id_seq', 7, true);\n");

    private static readonly string Postgres = Section("postgres", "\\connect postgres", "CREATE EXTENSION IF NOT EXISTS adminpack WITH SCHEMA pg_catalog;\n", create: false);

    private static Task<DumpResult> ReadAsync(string sql, string? database) =>
        DumpHarness.ReadAllModesAsync(DumpHarness.Utf8(sql), run: (bytes, mode, filter) => DumpHarness.RunWithDatabaseAsync(bytes, mode, filter, database));

    [Test]
    public async Task A_cluster_dump_with_one_database_holding_data_is_read_as_before()
    {
        var sql = Cluster + Empty + Shop + Postgres + ClusterEnd;
        var result = await DumpHarness.ReadAsync(sql);

        result.Single().Lines.ShouldBe(["1\tshop one", "2\tshop two"]);
        result.Sequences.ShouldHaveSingleItem().Value.ShouldBe(2);

        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var inventory = await DumpInspector.InspectAsync(reader);
        inventory.Database.ShouldBe("shop");
        reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        inventory.ToJson().ShouldContain("\"database\": \"shop\"");
    }

    [Test]
    public async Task The_data_of_a_second_database_is_refused_naming_the_databases_and_the_line()
    {
        var sql = Cluster + Empty + Shop + Crm + Postgres + ClusterEnd;
        var error = await DumpHarness.FailAsync(sql);

        var line = sql[..sql.IndexOf("INSERT INTO public.t", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        error.Line.ShouldBe(line);
        error.Reason!.ShouldContain("the dump holds the data of more than one database: 'shop' (from line ");
        error.Reason!.ShouldContain("and 'Crm' (here)");
        error.Reason!.ShouldContain("--database NAME (DumpReaderOptions.Database)");
        error.Reason!.ShouldContain("The databases in the dump so far: 'template1', 'shop', 'Crm'");
    }

    [TestCase("shop", new[] { "1\tshop one", "2\tshop two" }, 2L)]
    [TestCase("Crm", new[] { "7\tcrm seven" }, 7L)]
    public async Task A_selected_database_is_read_alone_with_its_sequences(string database, string[] rows, long sequence)
    {
        var sql = Cluster + Empty + Shop + Crm + Postgres + ClusterEnd;
        var result = await ReadAsync(sql, database);

        result.Error.ShouldBeNull();
        result.Single().Name.ShouldBe(new TableName("public", "t"));
        result.Single().Lines.ShouldBe(rows);
        result.Sequences.ShouldHaveSingleItem().Value.ShouldBe(sequence);
        result.TablesSkipped.ShouldBe(1, "the other database's table is read past, not yielded");
    }

    [Test]
    public async Task A_database_the_dump_has_no_section_for_is_an_error_naming_those_it_has()
    {
        var result = await ReadAsync(Cluster + Empty + Shop + Postgres + ClusterEnd, "shpo");

        result.Error.ShouldNotBeNull().Reason!.ShouldBe(
            "the dump has no section for database 'shpo' (no \\connect to it); the databases in the dump: 'template1', 'shop', 'postgres'");

        var plain = await ReadAsync("SET client_encoding = 'UTF8';\nCOPY public.t (id) FROM stdin;\n1\n\\.\n", "shop");
        plain.Error.ShouldNotBeNull().Reason!.ShouldContain("it names no database (no \\connect line)");
    }

    [Test]
    public async Task Data_before_the_first_connect_and_after_it_belong_to_two_databases()
    {
        const string Sql = "COPY public.t (id) FROM stdin;\n1\n\\.\n\\connect other\nCOPY public.t (id) FROM stdin;\n2\n\\.\n";
        var error = await DumpHarness.FailAsync(Sql);
        error.Reason!.ShouldStartWith("the dump holds the data of more than one database: the database psql starts in (before the first \\connect) (from line 1) and 'other' (here)");

        (await ReadAsync(Sql, "other")).Single().Lines.ShouldBe(["2"]);
    }

    [Test]
    public async Task Inserts_of_the_same_table_do_not_continue_across_a_connect()
    {
        const string Sql = "INSERT INTO public.t VALUES (1);\n\\connect b\nINSERT INTO public.t VALUES (2);\nINSERT INTO public.t VALUES (3);\n";
        (await DumpHarness.FailAsync(Sql)).Reason!.ShouldContain("'b' (here)");

        var result = await ReadAsync(Sql, "b");
        result.Single().Lines.ShouldBe(["2", "3"]);
    }

    [TestCase("\\connect - postgres", true)]
    [TestCase("\\c", true)]
    [TestCase("\\connect -reuse-previous=on \"host=elsewhere\"", true)]
    [TestCase("\\connect a", true)]
    [TestCase("\\connect \"a\" postgres", true)]
    [TestCase("\\connect -reuse-previous=on \"dbname='a'\"", true)]
    [TestCase("\\connect \"dbname=a host=x\"", true)]
    [TestCase("\\connect b", false)]
    [TestCase("\\connect A", false)]
    public async Task Connect_lines_that_stay_in_the_database_or_switch(string connect, bool same)
    {
        var sql = $"\\connect a\nCOPY public.t (id) FROM stdin;\n1\n\\.\n{connect}\nCOPY public.u (id) FROM stdin;\n2\n\\.\n";
        var result = await DumpHarness.ReadAllModesAsync(DumpHarness.Utf8(sql));

        if (same)
        {
            result.Error.ShouldBeNull();
            result.Tables.Count.ShouldBe(2);
        }
        else
        {
            result.Error.ShouldNotBeNull().Reason!.ShouldContain("more than one database");
        }
    }

    [TestCase("\\connect postgresql://host/db", "it connects with a URI")]
    [TestCase("\\connect \"host=x\"", "names no database and does not reuse the previous one")]
    public async Task A_connect_to_a_database_the_reader_cannot_name_is_refused(string connect, string reason)
    {
        var error = await DumpHarness.FailAsync($"SET client_encoding = 'UTF8';\n{connect}\nCOPY public.t (id) FROM stdin;\n1\n\\.\n");

        error.Line.ShouldBe(2);
        error.Reason!.ShouldContain(reason);
    }

    [Test]
    public async Task Column_lists_learnt_in_one_database_do_not_name_the_columns_of_another()
    {
        // Each database's CREATE TABLE gives its own --inserts table its column names.
        const string Sql = "\\connect a\nCREATE TABLE public.t (x int, y int);\n\\connect b\nINSERT INTO public.t VALUES (1, 2);\n";
        var result = await DumpHarness.ReadAsync(Sql);

        result.Single().ColumnNames.ShouldBe([null, null]);
    }

    [Test]
    public void An_empty_database_name_is_refused_as_an_option()
    {
        var options = new DumpReaderOptions { Database = string.Empty };
        Should.Throw<InvalidOperationException>(() => DumpReader.Open(new MemoryStream(DumpHarness.Utf8("SELECT 1;\n")), options))
            .Message.ShouldContain("must not be empty");
    }

    [Test]
    public async Task Concatenated_pg_dump_create_outputs_of_two_real_databases_are_refused_or_read_one_at_a_time()
    {
        // pg_dumpall 11+ is pg_dump -C per database; the second name needs quoting, so pg_dump writes
        // \connect -reuse-previous=on "dbname='...'" for it.
        await using var first = await Scenario.CreateAsync("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'first');");
        var secondConnection = await PostgresServer.CreateDatabaseAsync("sr multi Db");
        try
        {
            await PostgresServer.ExecuteAsync(secondConnection, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (2, 'second'), (3, 'third');");
            using var dir = new TempDirectory();
            var one = await first.DumpAsync("-C", "one.sql");
            var two = dir.File("two.sql");
            await PostgresServer.RunToolAsync("pg_dump", secondConnection, "-C", two);
            var secondName = new Npgsql.NpgsqlConnectionStringBuilder(secondConnection).Database!;
            (await File.ReadAllTextAsync(two)).ShouldContain($"\\connect -reuse-previous=on \"dbname='{secondName}'\"");
            var all = dir.File("all.sql");
            await File.WriteAllTextAsync(all, await File.ReadAllTextAsync(one) + await File.ReadAllTextAsync(two));

            await using (var reader = DumpReader.Open(all))
            {
                var error = await Should.ThrowAsync<DumpFormatException>(() => DumpInspector.InspectAsync(reader));
                error.Reason!.ShouldContain($"and '{secondName}' (here)");
            }

            await using (var reader = DumpReader.Open(all, new DumpReaderOptions { Database = secondName }))
            {
                var result = await DumpHarness.ReadAsync(reader);
                result.Single().Lines.ShouldBe(["2\tsecond", "3\tthird"]);
                reader.Database.ShouldBe(secondName);
            }

            var (exit, stdout, stderr) = await CliRunner.RunAsync("inspect", all, "--database", new Npgsql.NpgsqlConnectionStringBuilder(first.ConnectionString).Database!);
            exit.ShouldBe(0, stderr);
            stdout.ShouldContain(", database sr_apply_");
            stdout.ShouldContain("1 tables, 1 rows");

            (exit, _, stderr) = await CliRunner.RunAsync("inspect", all);
            exit.ShouldBe(1);
            stderr.ShouldContain("more than one database");

            // An archive holds one database: its header must name the selected one.
            var archive = await first.DumpAsync("-Fc", "one.dump");
            Should.Throw<DumpFormatException>(() => DumpReader.Open(archive, new DumpReaderOptions { Database = secondName }))
                .Message.ShouldContain($"the archive holds database 'sr_apply_");
            using (var matching = DumpReader.Open(archive, new DumpReaderOptions { Database = new Npgsql.NpgsqlConnectionStringBuilder(first.ConnectionString).Database }))
            {
                matching.Database.ShouldStartWith("sr_apply_");
            }
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(secondConnection);
        }
    }
}
