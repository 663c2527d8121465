using System.Data;
using System.Text;
using Microsoft.Data.SqlClient;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer.Tests.Integration;

/// <summary>
/// The provider's pieces against a real SQL Server (see <see cref="SqlServerServer"/> for which; not run where there is
/// none): the catalog as the server describes an awkward table, live values as the script reader reads the same SSMS
/// literals, and the typed classification of a bulk-copied delta.
/// </summary>
[NonParallelizable]
public sealed class ServerChecksTests
{
    private string _database = null!;

    [SetUp]
    public async Task CreateDatabase() => _database = await SqlServerServer.CreateDatabaseAsync();

    [TearDown]
    public async Task DropDatabase()
    {
        if (_database is not null)
        {
            await SqlServerServer.DropDatabaseAsync(_database);
        }
    }

    private async Task<SqlConnection> OpenAsync()
    {
        var connection = new SqlConnection(_database);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task ExecuteAsync(SqlConnection connection, string sql)
    {
        await using var command = new SqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Test]
    public async Task The_catalog_describes_an_awkward_table()
    {
        await using var connection = await OpenAsync();
        await ExecuteAsync(connection, "CREATE SCHEMA [we]]ird]");
        await ExecuteAsync(connection, "CREATE SEQUENCE [we]]ird].[numbers] AS bigint START WITH 1");
        await ExecuteAsync(connection, """
            CREATE TABLE [we]]ird].[parent] ([region] char(2) NOT NULL, [code] nvarchar(20) NOT NULL, CONSTRAINT [pk_parent] PRIMARY KEY ([region], [code]));
            CREATE TABLE [we]]ird].[x]]; DROP TABLE t; --] (
                [Id] int IDENTITY(1, 1) NOT NULL CONSTRAINT [pk_x] PRIMARY KEY,
                [region] char(2) NULL, [code] nvarchar(20) NULL,
                [total] decimal(18, 2) NULL, [note] nvarchar(max) NULL, [photo] varbinary(max) NULL, [at] datetime2(3) NULL,
                [number] bigint NOT NULL CONSTRAINT [df_number] DEFAULT (NEXT VALUE FOR [we]]ird].[numbers]),
                [with_tax] AS ([total] * 1.2), [version] rowversion,
                CONSTRAINT [uq_x_number] UNIQUE ([number]),
                CONSTRAINT [fk_x_parent] FOREIGN KEY ([region], [code]) REFERENCES [we]]ird].[parent] ([region], [code]));
            """);

        var shape = (await SqlServerCatalog.ReadAsync(connection, null, new TableName("we]ird", "x]; DROP TABLE t; --"))).ShouldNotBeNull();
        var table = shape.Table;

        table.Columns.Select(c => c.Name).ShouldBe(["Id", "region", "code", "total", "note", "photo", "at", "number", "with_tax", "version"]);
        table.Columns.Take(8).Select(c => c.DataType).ShouldBe(["int", "char(2)", "nvarchar(20)", "decimal(18, 2)", "nvarchar(max)", "varbinary(max)", "datetime2(3)", "bigint"]);
        table.Find("version")!.DataType.ShouldBe("timestamp");
        shape.Columns[1].Collation.ShouldNotBeNull();
        shape.Columns[0].Collation.ShouldBeNull();
        table.Find("Id")!.Identity.ShouldBe(IdentityColumn.Always);
        table.Find("number")!.Sequence.ShouldBe(new TableName("we]ird", "numbers"));
        table.Columns.Where(c => c.IsGenerated).Select(c => c.Name).ShouldBe(["with_tax", "version"]);
        table.PrimaryKey.ShouldBe(["Id"]);
        table.UniqueKeys.ShouldHaveSingleItem().ShouldBe(["number"]);
        var reference = table.ForeignKeys.ShouldHaveSingleItem();
        reference.Columns.ShouldBe(["region", "code"]);
        reference.ReferencedTable.ShouldBe(new TableName("we]ird", "parent"));
        (await SqlServerCatalog.ReadAsync(connection, null, new TableName("dbo", "absent"))).ShouldBeNull();
    }

    private static readonly (string Type, string Literal)[] Values =
    [
        ("int", "-2147483648"), ("bigint", "9223372036854775807"), ("smallint", "-7"), ("tinyint", "255"), ("bit", "1"),
        ("decimal(18, 2)", "CAST(1.50 AS Decimal(18, 2))"), ("numeric(38, 0)", "CAST(12345678901234567890 AS Numeric(38, 0))"),
        ("money", "CAST(12.5000 AS Money)"), ("smallmoney", "CAST(-0.0001 AS SmallMoney)"),
        ("nvarchar(max)", "N'Zoë Дмитрий 美咲 🐘 tab\there back\\slash'"), ("varchar(10)", "''"), ("nchar(4)", "N'ab'"),
        ("varbinary(max)", "0x0AFF00"), ("binary(3)", "0x0AFF"),
        ("date", "CAST(N'2026-07-20' AS Date)"), ("time(7)", "CAST(N'18:30:28.3330000' AS Time)"),
        ("datetime", "CAST(N'2026-07-20T18:30:28.337' AS DateTime)"), ("smalldatetime", "CAST(N'2026-07-20T18:30:00' AS SmallDateTime)"),
        ("datetime2(7)", "CAST(N'2026-07-20T18:30:28.3330001' AS DateTime2)"), ("datetime2(0)", "CAST(N'0001-01-01T00:00:00' AS DateTime2(0))"),
        ("datetimeoffset(7)", "CAST(N'2026-07-20T18:30:28.3330000+02:00' AS DateTimeOffset)"),
        ("uniqueidentifier", "CAST(N'6F9619FF-8B86-D011-B42D-00C04FC964FF' AS UniqueIdentifier)"),
        ("xml", "CAST(N'<a b=\"1\">x</a>' AS Xml)"), ("nvarchar(10)", "NULL"),
    ];

    [Test]
    public async Task Live_values_print_as_the_script_reader_reads_the_same_literals()
    {
        await using var connection = await OpenAsync();
        var columns = string.Join(", ", Values.Select((v, i) => $"[v{i}] {v.Type} NULL"));
        await ExecuteAsync(connection, $"CREATE TABLE [dbo].[t] ([id] int NOT NULL PRIMARY KEY, {columns})");
        var insert = $"INSERT [dbo].[t] ([id], {string.Join(", ", Values.Select((_, i) => $"[v{i}]"))}) VALUES (1, {string.Join(", ", Values.Select(v => v.Literal))})";
        await ExecuteAsync(connection, insert);

        var shape = (await SqlServerCatalog.ReadAsync(connection, null, new TableName("dbo", "t")))!;
        var types = shape.Columns.Skip(1).Select(c => c.Type!.Value).ToList();
        await using var command = new SqlCommand($"SELECT {string.Join(", ", Values.Select((_, i) => $"[v{i}]"))} FROM [dbo].[t]", connection);
        var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess);
        await using var stream = new SqlServerLiveRows(reader, types);
        var lines = new CopyLineReader(stream);
        (await lines.ReadAsync()).ShouldBeTrue();
        var liveFields = Encoding.UTF8.GetString(lines.Line).Split('\t');

        // The same INSERT, read as a script.
        await using var script = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes($"USE [db]\r\nGO\r\n{insert}\r\nGO\r\n")));
        var table = (await script.NextTableAsync())!;
        (await table.ReadAsync()).ShouldBeTrue();
        for (var i = 0; i < Values.Length; i++)
        {
            liveFields[i].ShouldBe(Encoding.UTF8.GetString(table.Current.GetRawField(i + 1)), $"{Values[i].Type} {Values[i].Literal}");
        }
    }

    [Test]
    public async Task The_delta_is_classified_typed_exactly_and_keys_follow_the_collation()
    {
        await using var connection = await OpenAsync();
        await ExecuteAsync(connection, """
            CREATE TABLE [dbo].[people] ([login] nvarchar(20) COLLATE SQL_Latin1_General_CP1_CI_AS NOT NULL PRIMARY KEY,
                                         [name] nvarchar(50) COLLATE SQL_Latin1_General_CP1_CI_AS NULL, [seen] datetimeoffset(0) NULL);
            INSERT [dbo].[people] VALUES (N'same', N'Zoë', '2026-01-01T10:00:00+00:00'), (N'case', N'zoë', NULL), (N'space', N'Zoë', NULL),
                                         (N'offset', NULL, '2026-01-01T10:00:00+00:00'), (N'empty', N'', NULL), (N'ABC', N'x', NULL);
            """);
        var shape = (await SqlServerCatalog.ReadAsync(connection, null, new TableName("dbo", "people")))!;
        var live = shape.Table;
        var mapping = new TableMapping(live, [.. live.Columns.Select((c, i) => new DumpColumn(c.Name, i + 1))], [.. live.Columns], live.PrimaryKey);
        var staging = new SqlServerStaging(mapping, 1, 1, shape);
        await ExecuteAsync(connection, SqlServerStatements.CreateStaging(staging));

        // Dump rows: identical; a case change; a trailing space; the same instant at another offset; NULL for ''; a
        // key that differs from a live one only in case (one key under CI); and a missing row.
        var rows = new RowLines(
            "same\tZoë\t2026-01-01 10:00:00+00:00",
            "case\tZoë\t\\N",
            "space\tZoë \t\\N",
            "offset\t\\N\t2026-01-01 12:00:00+02:00",
            "empty\t\\N\t\\N",
            "abc\tx\t\\N",
            "new\tnew\t\\N");
        using (var bulk = new SqlBulkCopy(connection) { DestinationTableName = staging.Text })
        {
            await bulk.WriteToServerAsync(new SqlServerDeltaReader(rows, staging.Columns));
        }

        await ExecuteAsync(connection, SqlServerStatements.FillDelta(staging, held: false));
        await ExecuteAsync(connection, SqlServerStatements.Classify(staging, countLive: true));
        var delta = staging.Delta;
        var classes = new Dictionary<string, string>();
        await using (var command = new SqlCommand($"SELECT c1, sr_class FROM {delta}", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                classes[reader.GetString(0)] = reader.GetString(1);
            }
        }

        classes.ShouldBe(new Dictionary<string, string>
        {
            ["same"] = "i", ["case"] = "c", ["space"] = "c", ["offset"] = "c", ["empty"] = "c", ["abc"] = "i", ["new"] = "m",
        });
    }

    [Test]
    public async Task The_journal_tells_a_committed_transaction_from_a_rolled_back_one()
    {
        await using var connection = await OpenAsync();
        var journal = new TableName("dbo", "journal]; --");
        await using (var create = new SqlCommand(SqlServerJournal.Create(journal), connection))
        {
            create.Parameters.AddWithValue("@journal", SqlServerStatements.Quote(journal));
            await create.ExecuteNonQueryAsync();
        }

        async Task<long> RecordAsync(string table, bool commit)
        {
            await using var transaction = (SqlTransaction)await connection.BeginTransactionAsync();
            await using var id = new SqlCommand(SqlServerJournal.TransactionId, connection, transaction);
            var transactionId = (long)(await id.ExecuteScalarAsync())!;
            await using var record = new SqlCommand(SqlServerJournal.Record(journal), connection, transaction);
            record.Parameters.AddWithValue("@fingerprint", "run-1");
            record.Parameters.AddWithValue("@schema", "dbo");
            record.Parameters.AddWithValue("@table", table);
            record.Parameters.AddWithValue("@entry", "{}");
            await record.ExecuteNonQueryAsync();
            if (commit)
            {
                await transaction.CommitAsync();
            }
            else
            {
                await transaction.RollbackAsync();
            }

            return transactionId;
        }

        async Task<bool?> IsCommittedAsync(long transactionId)
        {
            await using var check = new SqlCommand(SqlServerJournal.IsCommitted(journal), connection);
            check.Parameters.AddWithValue("@id", transactionId);
            check.Parameters.AddWithValue("@fingerprint", "run-1");
            return await check.ExecuteScalarAsync() is bool committed ? committed : null;
        }

        var committed = await RecordAsync("a", commit: true);
        var rolledBack = await RecordAsync("b", commit: false);
        (await IsCommittedAsync(committed)).ShouldBe(true);
        (await IsCommittedAsync(rolledBack)).ShouldNotBe(true); // false, or null without VIEW SERVER STATE
        await using var read = new SqlCommand(SqlServerJournal.Read(journal), connection);
        read.Parameters.AddWithValue("@fingerprint", "run-1");
        (await read.ExecuteScalarAsync()).ShouldBe("{}");
    }

    /// <summary>Row text lines for the bulk copy, with made-up dump lines.</summary>
    private sealed class RowLines(params string[] rows) : IRowLines
    {
        private int _next;

        public long Rows => rows.Length;

        public void Rewind() => _next = 0;

        public bool TryRead(out ReadOnlySpan<byte> line, out long lineNumber, out long byteOffset)
        {
            byteOffset = 0;
            if (_next == rows.Length)
            {
                line = default;
                lineNumber = 0;
                return false;
            }

            line = Encoding.UTF8.GetBytes(rows[_next]);
            lineNumber = ++_next;
            return true;
        }
    }
}
