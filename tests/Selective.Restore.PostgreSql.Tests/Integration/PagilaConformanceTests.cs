using System.Text;
using Npgsql;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Integration;

/// <summary>
/// Conformance with a dump written by someone else's pg_dump: the Pagila sample database in
/// <c>../shared/fixtures</c> (relative to the repository root), when that folder exists.
/// </summary>
[NonParallelizable]
public sealed class PagilaConformanceTests
{
    private static string Fixtures()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Selective.Restore.sln")))
            {
                var fixtures = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "fixtures"));
                if (!File.Exists(Path.Combine(fixtures, "pagila-data.sql")))
                {
                    Assert.Ignore($"Third-party fixtures not found: {fixtures} (../shared/fixtures next to the repository root) has no pagila-data.sql, so the Pagila conformance test cannot run.");
                }

                return fixtures;
            }
        }

        Assert.Ignore($"Third-party fixtures not found: no Selective.Restore.sln above {TestContext.CurrentContext.TestDirectory}, so ../shared/fixtures cannot be located.");
        return string.Empty; // unreachable
    }

    /// <summary>The dump's COPY blocks as a plain line scanner sees them, independently of the reader.</summary>
    private static async Task<(List<(TableName Name, List<string> Lines)> Tables, int Setvals)> ScanAsync(string path)
    {
        var tables = new List<(TableName, List<string>)>();
        var setvals = 0;
        List<string>? current = null;
        using var file = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        while (await file.ReadLineAsync() is { } line)
        {
            if (current is not null)
            {
                if (line == "\\.")
                {
                    current = null;
                }
                else
                {
                    current.Add(line);
                }
            }
            else if (line.StartsWith("COPY ", StringComparison.Ordinal) && line.EndsWith(" FROM stdin;", StringComparison.Ordinal))
            {
                var qualified = line["COPY ".Length..line.IndexOf(' ', "COPY ".Length)].Split('.');
                current = [];
                tables.Add((new TableName(qualified[0], qualified[1]), current));
            }
            else if (line.StartsWith("SELECT pg_catalog.setval(", StringComparison.Ordinal))
            {
                setvals++;
            }
        }

        return (tables, setvals);
    }

    [Test]
    public async Task Reads_every_table_of_the_pagila_dump()
    {
        var path = Path.Combine(Fixtures(), "pagila-data.sql");
        var (expected, setvals) = await ScanAsync(path);
        expected.Count.ShouldBeGreaterThan(20);

        var bytes = await File.ReadAllBytesAsync(path);
        var dump = await DumpHarness.ReadAllModesAsync(bytes, modes: DumpHarness.LargeInputModes);
        dump.Error.ShouldBeNull();

        dump.Tables.Select(t => t.Name).ShouldBe(expected.Select(t => t.Name));
        foreach (var ((name, lines), table) in expected.Zip(dump.Tables))
        {
            table.Form.ShouldBe(DumpDataForm.Copy);
            table.RowsRead.ShouldBe(lines.Count, name.ToString());
            table.Lines.ShouldBe([.. lines], $"{name}: rows are the dump's lines, byte for byte");
            table.Rows.ShouldAllBe(r => r.FieldCount == table.Columns.Length);
        }

        dump.Sequences.Length.ShouldBe(setvals);
        dump.Encoding.ShouldBe("UTF8");
    }

    [Test]
    public async Task Reads_the_pagila_schema_script_as_a_dump_without_data()
    {
        var path = Path.Combine(Fixtures(), "pagila-schema.sql");

        var dump = await DumpHarness.ReadAllModesAsync(await File.ReadAllBytesAsync(path), modes: DumpHarness.LargeInputModes);

        dump.Error.ShouldBeNull();
        dump.Tables.ShouldBeEmpty();
    }

    [Test]
    public async Task Row_counts_match_the_server_after_loading_pagila_with_psql()
    {
        var fixtures = Fixtures();
        var connectionString = PostgresServer.ConnectionString; // ignored (or failed under CI) without a server
        var database = await PostgresServer.CreateDatabaseAsync("sr_pagila");
        try
        {
            // The schema has one view that needs PostgreSQL 17 (JSON_TABLE); psql reports it and goes on.
            await PostgresServer.RunToolAsync("psql", database, $"-X -q -f {Path.Combine(fixtures, "pagila-schema.sql")}");
            await PostgresServer.RunToolAsync("psql", database, $"-X -q -v ON_ERROR_STOP=1 -f {Path.Combine(fixtures, "pagila-data.sql")}");

            await using var reader = DumpReader.Open(Path.Combine(fixtures, "pagila-data.sql"));
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            var tables = 0;
            while (await reader.NextTableAsync() is { } table)
            {
                var rows = await table.SkipAsync();
                await using var command = new NpgsqlCommand($"SELECT count(*) FROM ONLY {table.Name}", connection);
                rows.ShouldBe((long)(await command.ExecuteScalarAsync())!, table.Name.ToString());
                tables++;
            }

            tables.ShouldBeGreaterThan(20);
            foreach (var sequence in reader.Sequences)
            {
                await using var command = new NpgsqlCommand($"SELECT last_value, is_called FROM {sequence.Sequence}", connection);
                await using var result = await command.ExecuteReaderAsync();
                (await result.ReadAsync()).ShouldBeTrue();
                (result.GetInt64(0), result.GetBoolean(1)).ShouldBe((sequence.Value, sequence.IsCalled), sequence.Sequence.ToString());
            }

            connectionString.ShouldNotBeEmpty();
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(database);
        }
    }

    [Test]
    public async Task A_customer_id_reused_after_a_partial_restore_is_remapped_and_no_rental_or_payment_lands_on_the_newcomer()
    {
        // The Day One incident on pagila: customer 5 was lost with its rentals and payments, and id 5 went to a newcomer.
        var fixtures = Fixtures();
        var database = await PostgresServer.CreateDatabaseAsync("sr_pagila");
        try
        {
            await PostgresServer.RunToolAsync("psql", database, $"-X -q -f {Path.Combine(fixtures, "pagila-schema.sql")}");
            await PostgresServer.RunToolAsync("psql", database, $"-X -q -v ON_ERROR_STOP=1 -f {Path.Combine(fixtures, "pagila-data.sql")}");
            using var dir = new TempDirectory();
            var dump = dir.File("pagila.sql");
            await PostgresServer.RunToolAsync("pg_dump", database, string.Empty, dump);
            await using var connection = new NpgsqlConnection(database);
            await connection.OpenAsync();
            async Task<long> CountAsync(string sql)
            {
                await using var command = new NpgsqlCommand(sql, connection);
                return (long)(await command.ExecuteScalarAsync())!;
            }

            var rentals = await CountAsync("SELECT count(*) FROM rental WHERE customer_id = 5");
            var payments = await CountAsync("SELECT count(*) FROM payment WHERE customer_id = 5");
            await using (var damage = new NpgsqlCommand(
                """
                DELETE FROM payment WHERE customer_id = 5 OR rental_id IN (SELECT rental_id FROM rental WHERE customer_id = 5);
                DELETE FROM rental WHERE customer_id = 5;
                DELETE FROM customer WHERE customer_id = 5;
                INSERT INTO customer (customer_id, store_id, first_name, last_name, email, address_id) VALUES (5, 1, 'NEW', 'COMER', 'newcomer@example.org', 5);
                """,
                connection))
            {
                await damage.ExecuteNonQueryAsync();
            }

            var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(database)
                .WithIdentityKey("public.customer", "email").OnCollision(CollisionHandling.Remap).Build().RunAsync();

            var customer = report.Tables.Single(t => t.Name.Name == "customer");
            customer.Remaps.ShouldHaveSingleItem().From.ShouldBe(["5"]);
            var moved = customer.Remaps[0].To[0];
            report.Tables.Single(t => t.Name.Name == "rental").Inserted.ShouldBe(rentals, report.ToSummary());
            (await CountAsync($"SELECT count(*) FROM rental WHERE customer_id = {moved}")).ShouldBe(rentals);

            // The payment partitions without a foreign key of their own follow their siblings' (old-style inheritance),
            // the two without a key too: no rental or payment of customer 5 lands on the newcomer.
            report.Succeeded.ShouldBeTrue(report.ToSummary());
            (await CountAsync("SELECT count(*) FROM rental WHERE customer_id = 5")).ShouldBe(0);
            (await CountAsync("SELECT count(*) FROM payment WHERE customer_id = 5")).ShouldBe(0);
            (await CountAsync($"SELECT count(*) FROM payment WHERE customer_id = {moved}")).ShouldBe(payments);
            var again = await SelectiveRestore.FromDump(dump).ToPostgreSql(database)
                .WithIdentityKey("public.customer", "email").OnCollision(CollisionHandling.Remap).Build().RunAsync();
            again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(database);
        }
    }
}
