using System.Globalization;
using System.Text;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>A table of the sample database, with the rows every archive built from it holds.</summary>
internal sealed record LegacyTable(string Schema, string Name, (string Name, string Type)[] Columns, string?[][] Rows)
{
    public TableName TableName => new(Schema, Name);

    /// <summary>The rows as COPY text lines, as the reader yields them whatever the archive's form.</summary>
    public string[] CopyLines => [.. Rows.Select(row => string.Join('\t', row.Select(CopyValue)))];

    private static string CopyValue(string? value) => value is null
        ? "\\N"
        : value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
}

/// <summary>What a pg_dump of a given era writes for one table: how it names it, and its statements.</summary>
internal sealed record ArchiveEra(string PgDump, int Minor, bool EncodingEntry = true, bool StdStringsEntry = true, bool Inserts = false)
{
    /// <summary>From archive version 1.13 (the 2018-03-01 releases and pg_dump 11) statements name the schema and a SEARCHPATH entry empties search_path.</summary>
    public bool Qualified => Minor >= 13;

    /// <summary>pg_dump 12 on (ARCHIVE_OPTS) writes NULL for the strings an entry leaves out; earlier ones an empty string.</summary>
    public bool NullDefaults => Minor >= 14;

    /// <summary>Without a STDSTRINGS entry pg_restore sets standard_conforming_strings off, and pg_dump doubled backslashes in literals.</summary>
    public bool StandardStrings => StdStringsEntry;

    public override string ToString() => $"1.{Minor} (pg_dump {PgDump}{(Inserts ? ", --inserts" : string.Empty)}{(EncodingEntry ? string.Empty : ", no ENCODING")}{(StdStringsEntry ? string.Empty : ", no STDSTRINGS")})";
}

/// <summary>
/// The TOC entries and data a pg_dump of each era writes for a small Northwind-like database: a table in schema
/// northwind, one with a name that must be quoted, one in public, and a sequence. The statements follow pg_dump's
/// source for the era: before archive version 1.13 <c>COPY categories (...) FROM stdin;</c>, <c>CREATE TABLE categories</c>
/// and <c>setval('categories_category_id_seq', ...)</c> name no schema (pg_restore sets search_path per entry), from
/// 1.13 on they are qualified and a SEARCHPATH entry comes third.
/// </summary>
internal static class LegacyArchives
{
    public static readonly LegacyTable Categories = new(
        "northwind",
        "categories",
        [("category_id", "integer"), ("category_name", "character varying(15)"), ("description", "text")],
        [
            ["1", "Beverages", "Soft drinks, coffees, teas, beers, and ales"],
            ["2", "Condiments", "Sweet and savory sauces,\trelishes, spreads"],
            ["3", "Confections", "Desserts, candies – “ü”"],
            ["4", "Dairy Products", null],
            ["5", "Back\\slash", "line one\nline two"],
            ["6", "It's", "quote ' and \\N as text"],
        ]);

    public static readonly LegacyTable OrderDetails = new(
        "northwind",
        "order details",
        [("order_id", "integer"), ("unit price", "numeric(10,2)")],
        [["10248", "14.00"], ["10249", "9.80"], ["10250", "-0.50"]]);

    public static readonly LegacyTable Shippers = new(
        "public",
        "shippers",
        [("shipper_id", "integer"), ("company_name", "text")],
        [["1", "Speedy Express"], ["2", "United Package"]]);

    public static readonly LegacyTable[] Tables = [Categories, OrderDetails, Shippers];

    public const string Sequence = "categories_category_id_seq";

    public const long SequenceValue = 6;

    /// <summary>The era's TOC: special entries, schema, tables, sequence, then data and the sequence's value.</summary>
    public static List<WriterEntry> Entries(ArchiveEra era)
    {
        var empty = era.NullDefaults ? null : string.Empty;
        var entries = new List<WriterEntry>();
        if (era.EncodingEntry)
        {
            entries.Add(Special(100, "ENCODING", "SET client_encoding = 'UTF8';\n", empty));
        }

        if (era.StdStringsEntry)
        {
            entries.Add(Special(101, "STDSTRINGS", "SET standard_conforming_strings = 'on';\n", empty));
        }

        if (era.Qualified)
        {
            entries.Add(Special(102, "SEARCHPATH", "SELECT pg_catalog.set_config('search_path', '', false);\n", empty));
        }

        entries.Add(new WriterEntry(1, "northwind", "SCHEMA")
        {
            TableOid = "2615",
            Oid = "16385",
            Definition = "CREATE SCHEMA northwind;\n",
            DropStatement = "DROP SCHEMA northwind;\n",
            Owner = "postgres",
        });

        var id = 2;
        var tableIds = new Dictionary<LegacyTable, int>();
        foreach (var table in Tables)
        {
            tableIds[table] = id;
            entries.Add(new WriterEntry(id, table.Name, "TABLE")
            {
                TableOid = "1259",
                Oid = (16386 + id).ToString(CultureInfo.InvariantCulture),
                Definition = CreateTable(era, table),
                DropStatement = $"DROP TABLE {Qualified(table)};\n",
                Namespace = table.Schema,
                Tablespace = era.Minor >= 10 ? string.Empty : null,
                TableAccessMethod = era.Minor >= 14 ? "heap" : null,
                RelKind = era.Minor >= 16 ? 'r' : 0,
                Owner = "postgres",
                Dependencies = table.Schema == "northwind" ? [1] : [],
            });
            id++;
        }

        var sequenceId = id++;
        entries.Add(new WriterEntry(sequenceId, Sequence, "SEQUENCE")
        {
            TableOid = "1259",
            Oid = "16400",
            Definition = $"CREATE SEQUENCE {Name(era, "northwind", Sequence)}\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n",
            DropStatement = $"DROP SEQUENCE northwind.{Sequence};\n",
            Namespace = "northwind",
            Tablespace = era.Minor >= 10 ? string.Empty : null,
            RelKind = era.Minor >= 16 ? 'S' : 0,
            Owner = "postgres",
            Dependencies = [1],
        });

        foreach (var table in Tables)
        {
            // Before archive version 1.3 the COPY statement is not in the TOC: the data starts with it.
            var copy = $"COPY {Name(era, table.Schema, table.Name)} ({string.Join(", ", table.Columns.Select(c => Quote(c.Name)))}) FROM stdin;\n";
            entries.Add(new WriterEntry(id++, table.Name, "TABLE DATA")
            {
                Oid = (16386 + tableIds[table]).ToString(CultureInfo.InvariantCulture),
                Section = 3,
                Definition = empty,
                DropStatement = empty,
                CopyStatement = era.Inserts ? null : copy,
                Namespace = table.Schema,
                RelKind = era.Minor >= 16 ? 'r' : 0,
                Owner = "postgres",
                Dependencies = [tableIds[table]],
                Data = era.Inserts ? Inserts(era, table) : era.Minor < 3 ? [copy, .. Copy(table)] : Copy(table),
            });
        }

        entries.Add(new WriterEntry(id, Sequence, "SEQUENCE SET")
        {
            Oid = "16400",
            Section = 3,
            Definition = $"SELECT pg_catalog.setval('{Name(era, "northwind", Sequence)}', {SequenceValue}, true);\n",
            DropStatement = empty,
            Namespace = "northwind",
            Owner = "postgres",
            Dependencies = [sequenceId],
        });
        return entries;
    }

    private static WriterEntry Special(int id, string desc, string definition, string? empty) => new(id, desc, desc)
    {
        Definition = definition,
        DropStatement = empty,
        Owner = empty,
    };

    /// <summary>pg_dump's fmtId: quoted unless a lower-case identifier.</summary>
    public static string Quote(string name) =>
        name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_') && !char.IsDigit(name[0]) ? name : "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Qualified(LegacyTable table) => $"{Quote(table.Schema)}.{Quote(table.Name)}";

    /// <summary>How the era's statements name an object: qualified from 1.13 on, bare before.</summary>
    private static string Name(ArchiveEra era, string schema, string name) => era.Qualified ? $"{Quote(schema)}.{Quote(name)}" : Quote(name);

    private static string CreateTable(ArchiveEra era, LegacyTable table) =>
        $"CREATE TABLE {Name(era, table.Schema, table.Name)} (\n{string.Join(",\n", table.Columns.Select(c => $"    {Quote(c.Name)} {c.Type}"))}\n);\n";

    /// <summary>COPY data as pg_dump writes it: a WriteData per row, then <c>\.</c> and two blank lines.</summary>
    private static List<string> Copy(LegacyTable table) => [.. table.CopyLines.Select(line => line + "\n"), "\\.\n\n\n"];

    /// <summary>
    /// <c>--inserts</c> data: literals with quotes doubled, and backslashes doubled too when standard_conforming_strings is
    /// off (pg_dump's appendStringLiteral); numbers bare.
    /// </summary>
    private static List<string> Inserts(ArchiveEra era, LegacyTable table)
    {
        var pieces = new List<string>();
        foreach (var row in table.Rows)
        {
            var values = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                values.Append(i > 0 ? ", " : string.Empty);
                var value = row[i];
                if (value is null)
                {
                    values.Append("NULL");
                }
                else if (table.Columns[i].Type.StartsWith("integer", StringComparison.Ordinal) || table.Columns[i].Type.StartsWith("numeric", StringComparison.Ordinal))
                {
                    values.Append(value);
                }
                else
                {
                    var literal = value.Replace("'", "''", StringComparison.Ordinal);
                    values.Append('\'').Append(era.StandardStrings ? literal : literal.Replace("\\", "\\\\", StringComparison.Ordinal)).Append('\'');
                }
            }

            pieces.Add($"INSERT INTO {Name(era, table.Schema, table.Name)} VALUES ({values});\n");
        }

        pieces.Add("\n\n");
        return pieces;
    }
}
