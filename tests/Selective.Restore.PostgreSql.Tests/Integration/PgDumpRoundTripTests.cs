using System.Text.Json;
using Npgsql;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Integration;

/// <summary>
/// Dumps a database full of awkward values with the real pg_dump in every plain-format flavour and reads
/// it back: every row must be byte-identical to what the server's own COPY TO writes for it.
/// </summary>
[NonParallelizable]
public sealed class PgDumpRoundTripTests
{
    // Output of timestamptz and friends depends on these: pg_dump's session and ours must agree.
    private const string DatabaseSettings = """
        DO $$ BEGIN
            EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'America/St_Johns');
            EXECUTE format('ALTER DATABASE %I SET datestyle TO %L', current_database(), 'ISO, MDY');
            EXECUTE format('ALTER DATABASE %I SET intervalstyle TO %L', current_database(), 'postgres');
        END $$;
        """;

    private const string Schema = """
        CREATE SCHEMA "Sales Dept";
        CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'it''s "odd"', 'ünï');

        CREATE TABLE public.everything (
            id integer PRIMARY KEY,
            t text,
            t_upper text GENERATED ALWAYS AS (upper(t)) STORED,
            b bytea,
            ta text[],
            ia integer[],
            j json,
            jb jsonb,
            n numeric,
            n_big numeric(60,30),
            f float8,
            r real,
            ts timestamptz,
            d date,
            iv interval,
            u uuid,
            bo boolean,
            bi bit(4),
            vb varbit(16),
            m public.mood,
            tv tsvector,
            ch char(5),
            i8 bigint,
            ip inet,
            pt point,
            rng int4range
        );

        INSERT INTO public.everything (id, t, b, ta, ia, j, jb, n, n_big, f, r, ts, d, iv, u, bo, bi, vb, m, tv, ch, i8, ip, pt, rng) VALUES
        (1, E'tab\there\nnew line\r\ncrlf \\ backslash ''single'' "double" 🐘 ünïcödé 表 \b\f\v \x01 end',
            '\x00ff5c0a09'::bytea, ARRAY['a"b', NULL, 'c,d', E'e\\f', '', 'NULL', '{x}', ' sp ', 'tab	in'], '{1,NULL,-3}',
            '{"a": "tab\tx",  "b": [1, null], "c": "\u00e9 \\ \""}', '{"a": "tab\tx", "b": [1, null], "c": "\u00e9 \\ \""}',
            'NaN', '123456789012345678901234567890.123456789012345678901234567890', 'Infinity', '-0',
            '2024-02-29 23:59:59.123456+00', '2024-02-29', '1 year 2 mons -3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
            true, B'1010', B'1', 'it''s "odd"', $$'it''s':1 fat:2 rat$$, 'ab', -9223372036854775808, '::1', '(1.5,-2)', '[1,10)'),
        (2, '', '\x', '{}', '{}', '""', '{}', '-0.000000001', '0', '-0', 'NaN',
            'infinity', '-infinity', '0', '00000000-0000-0000-0000-000000000000',
            false, B'0000', B'', 'ünï', '', '', 0, '192.168.0.1/24', '(0,0)', 'empty'),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (4, '\N', '\x5c4e', ARRAY['\N', 'NULL', NULL], '{2147483647}', '[]', '[]', '1e20', '-0.000000000000000000000000000001',
            '1e-300', '3.4e38', '1999-12-31 20:00:00-03:30', '4713-01-01 BC', '-178000000 years', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
            true, B'1111', B'0101010101010101', 'sad', 'a:1A,2B b:3C', 'abcde', 9223372036854775807, '::ffff:1.2.3.4', '(-1e-10,1e+10)', '(,5]'),
        (5, 'NULL', NULL, ARRAY[E'multi\nline', E'back\\slash'], NULL, 'null', 'null', '-1.5', '-99999999999999999999999999999.999999999999999999999999999999',
            '1.7976931348623157e308', '-1.5e-40', '2000-01-01 00:00:00+14', '2000-01-01', '1 day -00:00:01', NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, -1, NULL, NULL, NULL);

        CREATE TABLE "Sales Dept"."Order ""Lines"" É" (
            id integer PRIMARY KEY,
            "Qty" integer,
            "Ünï Note" text,
            ident bigint GENERATED ALWAYS AS IDENTITY
        );
        INSERT INTO "Sales Dept"."Order ""Lines"" É" (id, "Qty", "Ünï Note") VALUES (1, 10, 'first'), (2, -5, E'sec\tond'), (3, NULL, NULL), (4, 0, '');

        CREATE TABLE public.measurements (id integer, at date, v numeric, note text) PARTITION BY RANGE (at);
        CREATE TABLE public.measurements_2023 PARTITION OF public.measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
        CREATE TABLE "Sales Dept"."Meas 2024" PARTITION OF public.measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE public.measurements_default PARTITION OF public.measurements DEFAULT;
        INSERT INTO public.measurements VALUES (1, '2023-05-01', 1.5, 'a'), (2, '2024-05-01', 2.5, 'b'), (3, '2030-01-01', NULL, E'c\\'), (4, '2024-12-31', -0.1, 'd');

        CREATE TABLE public.nocols ();
        INSERT INTO public.nocols DEFAULT VALUES;
        INSERT INTO public.nocols DEFAULT VALUES;
        INSERT INTO public.nocols DEFAULT VALUES;

        CREATE TABLE public.empty (id integer);

        CREATE TABLE public.many (id serial PRIMARY KEY, v text);
        INSERT INTO public.many (v) SELECT 'row ' || i || E'\t' || repeat('x', i % 7) FROM generate_series(1, 1000) AS i;

        CREATE TABLE public.parent (id integer, p text, gone integer, pg text GENERATED ALWAYS AS (p || '!') STORED);
        CREATE TABLE public.child (c text) INHERITS (public.parent);
        CREATE TABLE "Sales Dept".grandchild (g numeric) INHERITS (public.child);
        ALTER TABLE public.parent DROP COLUMN gone;
        INSERT INTO public.parent (id, p) VALUES (1, 'parent');
        INSERT INTO public.child (id, p, c) VALUES (2, 'child', 'c');
        INSERT INTO "Sales Dept".grandchild (id, p, c, g) VALUES (3, 'grand', NULL, 1.5);

        CREATE TABLE public."exclude" (exclude integer, "Check" text);
        INSERT INTO public."exclude" VALUES (1, 'a');

        CREATE SEQUENCE public."Odd_seq";
        SELECT setval('public."Odd_seq"', 42, false);
        CREATE SEQUENCE public.down INCREMENT -1 MINVALUE -9223372036854775808 MAXVALUE -1 START -1;
        SELECT setval('public.down', -9223372036854775808);
        """;

    private string? _database;
    private DirectoryInfo? _directory;
    private Dictionary<TableName, ExpectedTable> _expected = [];
    private List<SequenceValue> _expectedSequences = [];

    private sealed record ExpectedTable(TableName Name, string[] Columns, string[] CopyLines, string?[][] Values, string[] Generated, int[] DataPositions);

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync()
    {
        _database = await PostgresServer.CreateDatabaseAsync("sr_roundtrip");
        _directory = Directory.CreateTempSubdirectory("selective-restore-roundtrip-");
        await PostgresServer.ExecuteAsync(_database, DatabaseSettings);
        await PostgresServer.ExecuteAsync(_database, Schema);
        await using var connection = new NpgsqlConnection(_database);
        await connection.OpenAsync();
        _expected = await ReadExpectedTablesAsync(connection);
        _expectedSequences = await ReadExpectedSequencesAsync(connection);
    }

    [OneTimeTearDown]
    public async Task DropDatabaseAsync()
    {
        if (_database is not null)
        {
            await PostgresServer.DropDatabaseAsync(_database);
        }

        _directory?.Delete(recursive: true);
    }

    private static async Task<Dictionary<TableName, ExpectedTable>> ReadExpectedTablesAsync(NpgsqlConnection connection)
    {
        // Every table that holds data (leaf partitions, not their root), with the columns COPY writes (no generated ones).
        var tables = new List<(TableName Name, string Qualified, string[] Columns, string[] Generated, int[] DataPositions)>();
        await using (var command = new NpgsqlCommand(
            """
            SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname),
                   coalesce((SELECT array_agg(quote_ident(a.attname) ORDER BY a.attnum) FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''), '{}'),
                   coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''), '{}'),
                   coalesce((SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> ''), '{}'),
                   coalesce((SELECT array_agg(p.position::integer ORDER BY p.position) FROM (
                             SELECT row_number() OVER (ORDER BY a.attnum) AS position, a.attgenerated FROM pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) p WHERE p.attgenerated = ''), '{}')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname IN ('public', 'Sales Dept')
            """,
            connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var quoted = reader.GetFieldValue<string[]>(3);
                tables.Add((new TableName(reader.GetString(0), reader.GetString(1)), reader.GetString(2) + "|" + string.Join(", ", quoted), reader.GetFieldValue<string[]>(4),
                    reader.GetFieldValue<string[]>(5), reader.GetFieldValue<int[]>(6)));
            }
        }

        var expected = new Dictionary<TableName, ExpectedTable>();
        foreach (var (name, qualifiedAndColumns, columns, generated, dataPositions) in tables)
        {
            var parts = qualifiedAndColumns.Split('|');
            var (qualified, columnList) = (parts[0], parts[1]);

            // What the server's COPY TO writes for these rows: the reference the dump must match byte for byte.
            string copy;
            using (var export = await connection.BeginTextExportAsync($"COPY (SELECT {columnList} FROM ONLY {qualified}) TO STDOUT"))
            {
                copy = await export.ReadToEndAsync();
            }

            var lines = copy.Split('\n')[..^1];

            // And each value as the server's text output of it (the type's output function, as COPY uses:
            // format('%s', ...) rather than ::text, which writes booleans as 'true' and trims char(n)).
            var values = new List<string?[]>();
            var select = columns.Length == 0
                ? $"SELECT FROM ONLY {qualified}"
                : $"SELECT {string.Join(", ", columnList.Split(", ").Select(c => $"CASE WHEN {c} IS NULL THEN NULL ELSE format('%s', {c}) END"))} FROM ONLY {qualified}";
            await using (var command = new NpgsqlCommand(select, connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    var row = new string?[reader.FieldCount];
                    for (var i = 0; i < row.Length; i++)
                    {
                        row[i] = reader.IsDBNull(i) ? null : reader.GetString(i);
                    }

                    values.Add(row);
                }
            }

            expected[name] = new ExpectedTable(name, columns, lines, [.. values], generated, dataPositions);
        }

        return expected;
    }

    private static async Task<List<SequenceValue>> ReadExpectedSequencesAsync(NpgsqlConnection connection)
    {
        var names = new List<(TableName Name, string Qualified)>();
        await using (var command = new NpgsqlCommand(
            "SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S'",
            connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                names.Add((new TableName(reader.GetString(0), reader.GetString(1)), reader.GetString(2)));
            }
        }

        var sequences = new List<SequenceValue>();
        foreach (var (name, qualified) in names)
        {
            await using var command = new NpgsqlCommand($"SELECT last_value, is_called FROM {qualified}", connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            sequences.Add(new SequenceValue(name, reader.GetInt64(0), reader.GetBoolean(1), Line: 0));
        }

        return sequences;
    }

    private async Task<string> DumpAsync(string name, string arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var path = Path.Combine(_directory!.FullName, name);
        await PostgresServer.RunToolAsync("pg_dump", _database!, arguments, path, environment);
        return path;
    }

    private static string Canonical(string?[] values) => JsonSerializer.Serialize(values);

    /// <summary>The neutral form is the COPY line the server writes (raw bytes, row by row), and each decoded field its text output.</summary>
    private static void ShouldMatchServer(TableResult table, ExpectedTable expected)
    {
        table.Lines.Order(StringComparer.Ordinal).ShouldBe(expected.CopyLines.Order(StringComparer.Ordinal), $"{table.Name} COPY lines");
        table.Values.Select(Canonical).Order(StringComparer.Ordinal)
            .ShouldBe(expected.Values.Select(Canonical).Order(StringComparer.Ordinal), $"{table.Name} values");
    }

    private void ShouldMatchServer(IEnumerable<SequenceValue> sequences) =>
        sequences.Select(s => s with { Line = 0 }).OrderBy(s => s.Sequence.ToString(), StringComparer.Ordinal)
            .ShouldBe(_expectedSequences.OrderBy(s => s.Sequence.ToString(), StringComparer.Ordinal));

    [TestCase("plain.sql", "", false, DumpDataForm.Copy)]
    [TestCase("inserts.sql", "--inserts", false, DumpDataForm.Insert)]
    [TestCase("column-inserts.sql", "--column-inserts", false, DumpDataForm.Insert)]
    [TestCase("rows-per-insert.sql", "--rows-per-insert=3", false, DumpDataForm.Insert)]
    [TestCase("inserts-non-standard-strings.sql", "--inserts", true, DumpDataForm.Insert)]
    [TestCase("rows-per-insert-non-standard-strings.sql", "--rows-per-insert=2", true, DumpDataForm.Insert)]
    [TestCase("column-inserts-on-conflict.sql", "--column-inserts --rows-per-insert=4 --on-conflict-do-nothing", false, DumpDataForm.Insert)]
    [TestCase("plain-quote-all.sql", "--quote-all-identifiers", false, DumpDataForm.Copy)]
    [TestCase("inserts-quote-all.sql", "--inserts --quote-all-identifiers", false, DumpDataForm.Insert)]
    [TestCase("data-only.sql", "--data-only --disable-triggers", false, DumpDataForm.Copy)]
    [TestCase("data-only-inserts.sql", "--data-only --inserts", false, DumpDataForm.Insert)]
    [TestCase("data-only-column-inserts.sql", "--data-only --column-inserts --disable-triggers", false, DumpDataForm.Insert)]
    public async Task Reads_back_every_value_exactly_as_the_server_writes_it(string file, string arguments, bool standardStringsOff, DumpDataForm form)
    {
        // A data-only dump has no CREATE TABLE: plain --inserts then give positions only.
        var namesKnown = !(arguments.Contains("--data-only", StringComparison.Ordinal) && arguments.Contains("--inserts", StringComparison.Ordinal));
        var environment = standardStringsOff ? new Dictionary<string, string> { ["PGOPTIONS"] = "-c standard_conforming_strings=off" } : null;
        var path = await DumpAsync(file, arguments, environment);
        var bytes = await File.ReadAllBytesAsync(path);
        if (standardStringsOff)
        {
            System.Text.Encoding.UTF8.GetString(bytes).ShouldContain("SET standard_conforming_strings = off;");
        }

        // Same result whatever the read sizes, sync or async; then check it against the server.
        var dump = await DumpHarness.ReadAllModesAsync(bytes, modes: DumpHarness.Modes);
        dump.Error.ShouldBeNull();
        dump.Encoding.ShouldBe("UTF8");

        // INSERT dumps have nothing for an empty table; COPY dumps have an empty block.
        var expectedTables = _expected.Values.Where(t => form == DumpDataForm.Copy || t.CopyLines.Length > 0).Select(t => t.Name).ToList();
        dump.Tables.Select(t => t.Name).OrderBy(n => n.ToString(), StringComparer.Ordinal)
            .ShouldBe(expectedTables.OrderBy(n => n.ToString(), StringComparer.Ordinal));

        foreach (var table in dump.Tables)
        {
            var expected = _expected[table.Name];
            table.Form.ShouldBe(form);
            table.RowsRead.ShouldBe(expected.CopyLines.Length, $"{table.Name} row count");
            table.ColumnNames.ShouldBe(namesKnown ? expected.Columns : new string?[expected.Columns.Length], $"{table.Name} columns");
            if (form == DumpDataForm.Copy || arguments.Contains("column-inserts", StringComparison.Ordinal) || expected.Generated.Length == 0)
            {
                table.Columns.Select(c => c.Position).ShouldBe(Enumerable.Range(1, expected.Columns.Length), $"{table.Name} positions");
            }
            else
            {
                // Without a column list, positions are in the declared order, generated columns (written as DEFAULT) included.
                table.Columns.Select(c => c.Position).ShouldBe(expected.DataPositions, $"{table.Name} positions");
            }
            table.Rows.ShouldAllBe(r => r.FieldCount == expected.Columns.Length);

            ShouldMatchServer(table, expected);
        }

        // Every sequence position is recorded.
        ShouldMatchServer(dump.Sequences);
        dump.Sequences.ShouldAllBe(s => s.Line > 0);
    }

    [TestCase("raw-plain.sql", "")]
    [TestCase("raw-rows-per-insert.sql", "--rows-per-insert=7")]
    public async Task Copies_each_table_section_byte_for_byte(string file, string arguments)
    {
        var path = await DumpAsync(file, arguments);
        var bytes = await File.ReadAllBytesAsync(path);

        await using var reader = DumpReader.Open(path);
        var sections = 0;
        while (await reader.NextTableAsync() is { } table)
        {
            using var output = new MemoryStream();
            var rows = await table.CopyRawToAsync(output);
            output.ToArray().ShouldBe(bytes[(int)table.StartOffset..(int)table.EndOffset], table.Name.ToString());
            rows.ShouldBe(_expected[table.Name].CopyLines.Length);
            sections++;
        }

        sections.ShouldBeGreaterThan(5);
    }

    [Test]
    public async Task Reads_a_gzip_compressed_plain_dump_like_the_uncompressed_one()
    {
        var plain = await File.ReadAllBytesAsync(await DumpAsync("for-gzip.sql", "--inserts"));
        var compressed = await DumpAsync("compressed.sql.gz", "--inserts -Z 6");

        (await File.ReadAllBytesAsync(compressed))[..2].ShouldBe(new byte[] { 0x1F, 0x8B });
        var expected = (await DumpHarness.ReadAsync(plain)).Render();
        foreach (var mode in DumpHarness.Modes.Where(m => m.ViaReader))
        {
            var result = await DumpHarness.RunAsync(await File.ReadAllBytesAsync(compressed), mode, TableFilter.All);
            result.Render().ShouldBe(expected, $"mode {mode}");
        }
    }

    [TestCase("filtered.sql", "")]
    [TestCase("filtered.dump", "-Fc")]
    [TestCase("filtered-dir", "-Fd")]
    public async Task Reads_only_the_selected_tables_of_a_real_dump(string file, string arguments)
    {
        var path = Path.Combine(_directory!.FullName, file);
        await PostgresServer.RunToolAsync("pg_dump", _database!, arguments, path);
        var filter = TableFilter.Create(["\"Sales Dept\".*", "public.many"], ["*.\"Meas 2024\""]);

        await using var reader = DumpReader.Open(path, new DumpReaderOptions { Tables = filter });
        var names = new List<TableName>();
        while (await reader.NextTableAsync() is { } table)
        {
            names.Add(table.Name);
            (await table.SkipAsync()).ShouldBe(_expected[table.Name].CopyLines.Length);
        }

        names.OrderBy(n => n.ToString(), StringComparer.Ordinal)
            .ShouldBe([new TableName("Sales Dept", "Order \"Lines\" É"), new TableName("Sales Dept", "grandchild"), new TableName("public", "many")]);
        reader.TablesSkipped.ShouldBe(_expected.Count - 3);
        reader.Sequences.Count.ShouldBe(_expectedSequences.Count);
    }

    [TestCase("custom.dump", "-Fc", false, DumpDataForm.Copy)]
    [TestCase("custom-z0.dump", "-Fc -Z0", false, DumpDataForm.Copy)]
    [TestCase("custom-z9.dump", "-Fc -Z9", false, DumpDataForm.Copy)]
    [TestCase("custom-pipe.dump", "-Fc", true, DumpDataForm.Copy)]
    [TestCase("custom-z0-pipe.dump", "-Fc -Z0", true, DumpDataForm.Copy)]
    [TestCase("custom-inserts.dump", "-Fc --inserts", false, DumpDataForm.Insert)]
    [TestCase("custom-column-inserts.dump", "-Fc --column-inserts --rows-per-insert=3", true, DumpDataForm.Insert)]
    [TestCase("directory", "-Fd", false, DumpDataForm.Copy)]
    [TestCase("directory-z0", "-Fd -Z0", false, DumpDataForm.Copy)]
    [TestCase("directory-inserts", "-Fd --inserts", false, DumpDataForm.Insert)]
    public async Task Reads_back_every_value_from_a_pg_dump_archive(string name, string arguments, bool toPipe, DumpDataForm form)
    {
        var path = Path.Combine(_directory!.FullName, name);
        if (toPipe)
        {
            // pg_dump writing to a pipe cannot go back to fill in the TOC's data offsets.
            await PostgresServer.RunToolToPipeAsync("pg_dump", _database!, arguments, path);
        }
        else
        {
            await PostgresServer.RunToolAsync("pg_dump", _database!, arguments, path);
        }

        var directory = arguments.StartsWith("-Fd", StringComparison.Ordinal);
        var results = new List<(string Mode, DumpResult Result)>();
        results.Add(("path", await ReadPathAsync(path)));
        if (!directory)
        {
            // A seekable stream (TOC offsets when present), a trickling non-seekable one (sequential scan), sync and async.
            foreach (var mode in DumpHarness.Modes.Where(m => m.ViaReader))
            {
                results.Add((mode.Name, await DumpHarness.RunAsync(await File.ReadAllBytesAsync(path), mode, TableFilter.All)));
            }
        }

        var expectedRender = results[0].Result.Render();
        foreach (var (mode, result) in results)
        {
            result.Error.ShouldBeNull($"mode {mode}");
            result.Render().ShouldBe(expectedRender, $"mode {mode} differs from reading the path");
        }

        var dump = results[0].Result;
        dump.Encoding.ShouldBe("UTF8");
        var expectedTables = _expected.Values.Select(t => t.Name).ToList();
        dump.Tables.Select(t => t.Name).OrderBy(n => n.ToString(), StringComparer.Ordinal)
            .ShouldBe(expectedTables.OrderBy(n => n.ToString(), StringComparer.Ordinal));
        foreach (var table in dump.Tables)
        {
            var expected = _expected[table.Name];
            table.Form.ShouldBe(expected.CopyLines.Length == 0 ? table.Form : form, table.Name.ToString());
            table.RowsRead.ShouldBe(expected.CopyLines.Length, $"{table.Name} row count");
            if (expected.Columns.Length > 0 && expected.CopyLines.Length > 0)
            {
                // Archives carry the CREATE TABLE, so even column-less INSERTs get names.
                table.ColumnNames.ShouldBe(expected.Columns, $"{table.Name} columns");
            }

            ShouldMatchServer(table, expected);
        }

        ShouldMatchServer(dump.Sequences);
    }

    private static async Task<DumpResult> ReadPathAsync(string path)
    {
        await using var reader = DumpReader.Open(path);
        reader.Format.ShouldBe(Directory.Exists(path) ? DumpFormat.DirectoryArchive : DumpFormat.CustomArchive);
        return await DumpHarness.ReadAsync(reader);
    }

    [Test]
    public async Task A_dump_loads_back_into_an_empty_database_with_the_same_counts()
    {
        // Sanity check of the fixture itself: the plain dump restores to the same data.
        var path = await DumpAsync("restore.sql", "");
        var copy = await PostgresServer.CreateDatabaseAsync("sr_restore");
        try
        {
            await PostgresServer.ExecuteAsync(copy, DatabaseSettings);
            await PostgresServer.RunToolAsync("psql", copy, $"-X -q -v ON_ERROR_STOP=1 -f {path}");
            await using var connection = new NpgsqlConnection(copy);
            await connection.OpenAsync();
            var restored = await ReadExpectedTablesAsync(connection);
            restored.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal).ShouldBe(_expected.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
            foreach (var (name, table) in _expected)
            {
                restored[name].CopyLines.Order(StringComparer.Ordinal).ShouldBe(table.CopyLines.Order(StringComparer.Ordinal), name.ToString());
            }
        }
        finally
        {
            await PostgresServer.DropDatabaseAsync(copy);
        }
    }
}
