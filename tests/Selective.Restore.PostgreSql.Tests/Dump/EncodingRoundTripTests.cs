using System.Text;
using Npgsql;
using Selective.Restore.Dump;
using Selective.Restore.Dump.Plain;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// Real round trips (issue 11, point 5): a database in a single-byte encoding (or a UTF8 one dumped with
/// <c>pg_dump --encoding</c>) holding every character the encoding has is dumped with pg_dump (plain, -Fc, -Fd,
/// --inserts), restored with this tool into a UTF-8 database, and compared byte for byte with what the server's own
/// conversion gives: the same dump loaded by psql or pg_restore into another UTF-8 database.
/// </summary>
[NonParallelizable]
public sealed class EncodingRoundTripTests
{
    public static IEnumerable<string> SingleByteEncodings => ClientEncoding.Supported.Where(e => e != "GBK");

    /// <summary>The schema in UTF-8 (for the restore targets); <paramref name="letter"/> is a non-ASCII letter the encoding has, for names.</summary>
    private static string Schema(char letter) => $"""
        CREATE TABLE public.chars (id integer PRIMARY KEY, c text, note text);
        CREATE TABLE public."t_{letter}" (id integer PRIMARY KEY, "c_{letter}" text);
        """;

    /// <summary>
    /// Fills the tables in a database of <paramref name="encoding"/> (or a UTF8 one): a row per character the encoding
    /// has (bytes 0x01-0xFF that the server converts to UTF8), one with all of them, one with COPY's special characters.
    /// </summary>
    private static string Fill(string encoding) => $$"""
        CREATE FUNCTION pg_temp.ok(b bytea) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN PERFORM convert(b, '{{encoding}}', 'UTF8'); RETURN true; EXCEPTION WHEN others THEN RETURN false; END $$;
        INSERT INTO public.chars
            SELECT b, convert_from(convert(decode(lpad(to_hex(b), 2, '0'), 'hex'), '{{encoding}}', current_setting('server_encoding')), current_setting('server_encoding')), 'byte ' || b
            FROM generate_series(1, 255) AS b WHERE pg_temp.ok(decode(lpad(to_hex(b), 2, '0'), 'hex'));
        INSERT INTO public.chars SELECT 1000, string_agg(c, '' ORDER BY id), 'all' FROM public.chars;
        INSERT INTO public.chars VALUES (1001, E'tab\there\nnew line\r\\ back \\. ''quoted'' "double"', NULL), (1002, '', '\N');
        INSERT INTO public.{{Quoted("t_" + Letter(encoding))}} SELECT id, c FROM public.chars WHERE id > 200;
        """;

    private static string Quoted(string name) => "\"" + name + "\"";

    /// <summary>A letter for table and column names: the character of the encoding's byte 0xE0 (or 0xC0, 0xA0...), as .NET and the server read it.</summary>
    private static char Letter(string encoding)
    {
        var clientEncoding = ClientEncoding.Find(encoding)!;
        foreach (var b in new byte[] { 0xE0, 0xC0, 0xE9, 0xD0, 0xA0 })
        {
            var output = new byte[3];
            if (clientEncoding.Decode([b], output, out _, out var written) == System.Buffers.OperationStatus.Done)
            {
                var text = Encoding.UTF8.GetString(output, 0, written);
                if (char.IsLetter(text[0]))
                {
                    return text[0];
                }
            }
        }

        throw new InvalidOperationException($"no letter in {encoding}");
    }

    private static async Task<string> CreateDatabaseAsync(string encoding)
    {
        var name = $"sr_enc_{encoding.ToLowerInvariant()}_{Guid.NewGuid():N}"[..40];
        await PostgresServer.ExecuteAsync(PostgresServer.ConnectionString, $"CREATE DATABASE \"{name}\" ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
        return new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString) { Database = name, Pooling = false }.ConnectionString;
    }

    private static async Task<string> ContentAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        using var reader = await connection.BeginTextExportAsync($"COPY (SELECT * FROM {table} ORDER BY 1) TO STDOUT");
        return await reader.ReadToEndAsync();
    }

    /// <summary>
    /// Dumps <paramref name="source"/> with <paramref name="arguments"/>, loads the dump with the server's tools into one
    /// UTF-8 database and with this tool into another, and checks every table is byte-identical in both.
    /// </summary>
    private static async Task RoundTripAsync(string source, string arguments, char letter, string expectedEncoding, bool archive)
    {
        using var directory = new TempDirectory();
        var dump = directory.File("dump");
        await PostgresServer.RunToolAsync("pg_dump", source, arguments, dump);
        var reference = await PostgresServer.CreateDatabaseAsync("sr_enc_ref");
        var restored = await PostgresServer.CreateDatabaseAsync("sr_enc_ours");
        try
        {
            // The server's own conversion: psql (plain) or pg_restore, which send the dump's bytes with its client_encoding.
            await (archive
                ? PostgresServer.RunToolAsync("pg_restore", reference, $"--no-owner -d {new NpgsqlConnectionStringBuilder(reference).Database} {dump}")
                : PostgresServer.RunToolAsync("psql", reference, $"-X -q -v ON_ERROR_STOP=1 -f {dump}"));

            using (var reader = DumpReader.Open(dump))
            {
                while (reader.NextTable() is { } table)
                {
                    table.Skip();
                }

                reader.Encoding.ShouldBe(expectedEncoding);
            }

            await PostgresServer.ExecuteAsync(restored, Schema(letter));
            var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(restored).Build().RunAsync();
            report.Succeeded.ShouldBeTrue(report.ToSummary());
            report.Tables.Sum(t => t.Inserted).ShouldBeGreaterThan(100);

            foreach (var table in new[] { "public.chars", $"public.{Quoted("t_" + letter)}" })
            {
                var expected = await ContentAsync(reference, table);
                expected.Length.ShouldBeGreaterThan(100);
                (await ContentAsync(restored, table)).ShouldBe(expected, $"{table} restored from pg_dump {arguments}");
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(reference);
            await PostgresServer.DropDatabaseAsync(restored);
        }
    }

    [TestCaseSource(nameof(SingleByteEncodings))]
    public async Task A_plain_dump_of_a_database_in_each_single_byte_encoding_restores_exactly(string encoding)
    {
        var source = await CreateDatabaseAsync(encoding);
        try
        {
            var letter = Letter(encoding);
            await PostgresServer.ExecuteAsync(source, Schema(letter));
            await PostgresServer.ExecuteAsync(source, Fill(encoding));
            await RoundTripAsync(source, string.Empty, letter, encoding, archive: false);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
        }
    }

    [TestCase("LATIN1", "-Fc")]
    [TestCase("LATIN1", "-Fd")]
    [TestCase("LATIN1", "--inserts")]
    [TestCase("WIN1252", "-Fc")]
    [TestCase("WIN1252", "-Fd --compress=0")]
    [TestCase("WIN1252", "--column-inserts")]
    [TestCase("WIN1251", "-Fc")]
    public async Task Archives_and_insert_dumps_of_a_non_utf8_database_restore_exactly(string encoding, string arguments)
    {
        var source = await CreateDatabaseAsync(encoding);
        try
        {
            var letter = Letter(encoding);
            await PostgresServer.ExecuteAsync(source, Schema(letter));
            await PostgresServer.ExecuteAsync(source, Fill(encoding));
            await RoundTripAsync(source, arguments, letter, encoding, archive: arguments.StartsWith("-F", StringComparison.Ordinal));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
        }
    }

    [TestCase("WIN1252", "")]
    [TestCase("WIN1252", "-Fc")]
    [TestCase("LATIN9", "--inserts")]
    public async Task A_utf8_database_dumped_with_another_encoding_restores_exactly(string encoding, string format)
    {
        var source = await CreateDatabaseAsync("UTF8");
        try
        {
            var letter = Letter(encoding);
            await PostgresServer.ExecuteAsync(source, Schema(letter));
            await PostgresServer.ExecuteAsync(source, Fill(encoding));
            await RoundTripAsync(source, $"--encoding={encoding} {format}", letter, encoding, archive: format.StartsWith("-F", StringComparison.Ordinal));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
        }
    }

    [TestCase("")]
    [TestCase("-Fc")]
    [TestCase("-Fd")]
    [TestCase("--inserts")]
    public async Task A_gbk_dump_with_every_gbk_character_restores_exactly(string format)
    {
        // GBK is a client-only encoding whose second bytes can be a backslash: transcoded before it is lexed.
        var source = await CreateDatabaseAsync("UTF8");
        try
        {
            await PostgresServer.ExecuteAsync(source, Schema('中') + """
                CREATE FUNCTION pg_temp.gbk(b bytea) RETURNS text LANGUAGE plpgsql AS $$
                BEGIN RETURN convert_from(b, 'GBK'); EXCEPTION WHEN others THEN RETURN NULL; END $$;
                INSERT INTO public.chars SELECT id, c, 'pair ' || to_hex(id) FROM (
                    SELECT lead * 256 + trail AS id, pg_temp.gbk(decode(to_hex(lead) || to_hex(trail), 'hex')) AS c
                    FROM generate_series(129, 254) AS lead, generate_series(64, 254) AS trail) x WHERE c IS NOT NULL;
                INSERT INTO public.chars SELECT 1, string_agg(c, '' ORDER BY id), 'all' FROM public.chars;
                INSERT INTO public."t_中" SELECT id, c || E'\\\t' FROM public.chars WHERE get_byte(convert_to(c, 'GBK'), 1) = 92;
                """);
            await RoundTripAsync(source, $"--encoding=GBK {format}", '中', "GBK", archive: format.StartsWith("-F", StringComparison.Ordinal));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
        }
    }

    [Test]
    public async Task A_byte_without_a_character_fails_in_the_reader_as_it_fails_on_the_server()
    {
        // A WIN1252 database stores any byte, 0x81 too; converting it to UTF8 is what fails: psql's load, and the reader.
        var source = await CreateDatabaseAsync("WIN1252");
        using var directory = new TempDirectory();
        var reference = await PostgresServer.CreateDatabaseAsync("sr_enc_ref");
        try
        {
            await PostgresServer.ExecuteAsync(source, "CREATE TABLE public.t (id integer PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'ok'), (2, 'bad ' || convert_from('\\x81', 'WIN1252'));");
            var dump = directory.File("dump.sql");
            await PostgresServer.RunToolAsync("pg_dump", source, string.Empty, dump);

            var server = await Should.ThrowAsync<InvalidOperationException>(() => PostgresServer.RunToolAsync("psql", reference, $"-X -q -v ON_ERROR_STOP=1 -f {dump}"));
            server.Message.ShouldContain("character with byte sequence 0x81 in encoding \"WIN1252\" has no equivalent in encoding \"UTF8\"");

            var bytes = await File.ReadAllBytesAsync(dump);
            using var reader = DumpReader.Open(dump);
            var error = Should.Throw<DumpFormatException>(() =>
            {
                while (reader.NextTable() is { } table)
                {
                    table.Skip();
                }
            });
            error.Reason.ShouldNotBeNull().ShouldContain("character with byte sequence 0x81 in encoding \"WIN1252\" has no equivalent in encoding \"UTF8\"");
            error.ByteOffset.ShouldBe(Array.IndexOf(bytes, (byte)0x81));
            error.Table.ShouldBe(new TableName("public", "t"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
            await PostgresServer.DropDatabaseAsync(reference);
        }
    }

    [Test]
    public async Task A_split_file_of_a_latin1_dump_is_utf8_and_loads_exactly()
    {
        var source = await CreateDatabaseAsync("LATIN1");
        using var directory = new TempDirectory();
        var target = await PostgresServer.CreateDatabaseAsync("sr_enc_split");
        try
        {
            var letter = Letter("LATIN1");
            await PostgresServer.ExecuteAsync(source, Schema(letter));
            await PostgresServer.ExecuteAsync(source, Fill("LATIN1"));
            var dump = directory.File("dump.sql");
            await PostgresServer.RunToolAsync("pg_dump", source, string.Empty, dump);
            var split = directory.File("split");
            using (var reader = DumpReader.Open(dump))
            {
                await DumpSplitter.SplitAsync(reader, split);
            }

            await PostgresServer.ExecuteAsync(target, Schema(letter));
            foreach (var file in Directory.GetFiles(split, "*.sql").Order(StringComparer.Ordinal))
            {
                Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)).ShouldNotContain("LATIN1");
                await PostgresServer.RunToolAsync("psql", target, $"-X -q -v ON_ERROR_STOP=1 -f {file}");
            }

            (await ContentAsync(target, "public.chars")).ShouldBe(await ContentAsync(source, "public.chars"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
            await PostgresServer.DropDatabaseAsync(target);
        }
    }

    [Test]
    public async Task A_sjis_dump_is_refused_naming_the_encoding()
    {
        var source = await CreateDatabaseAsync("UTF8");
        using var directory = new TempDirectory();
        try
        {
            await PostgresServer.ExecuteAsync(source, "CREATE TABLE public.t (id integer PRIMARY KEY, v text); INSERT INTO public.t VALUES (1, 'ソ表');");
            var dump = directory.File("dump.sql");
            await PostgresServer.RunToolAsync("pg_dump", source, "--encoding=SJIS", dump);

            using var reader = DumpReader.Open(dump);
            var error = Should.Throw<DumpFormatException>(() => reader.NextTable());
            error.Reason.ShouldNotBeNull().ShouldContain("client_encoding is 'SJIS', which the reader cannot convert to UTF-8 exactly");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
        }
    }

    [Test]
    public async Task An_archive_of_a_database_in_a_refused_encoding_is_refused_naming_it()
    {
        var source = await CreateDatabaseAsync("EUC_JP");
        using var directory = new TempDirectory();
        try
        {
            await PostgresServer.ExecuteAsync(source, "CREATE TABLE public.\"表\" (id integer PRIMARY KEY, \"名前\" text); INSERT INTO public.\"表\" VALUES (1, 'ソ表');");
            var dump = directory.File("dump");
            await PostgresServer.RunToolAsync("pg_dump", source, "-Fc", dump);

            var error = Should.Throw<DumpFormatException>(() =>
            {
                using var reader = DumpReader.Open(dump);
                while (reader.NextTable() is { } table)
                {
                    table.Skip();
                }
            });
            error.Message.ShouldContain("EUC_JP");
            error.Message.ShouldContain("cannot convert to UTF-8 exactly");
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(source);
        }
    }
}
