using System.Globalization;
using System.Text;

namespace Selective.Restore.Benchmarks;

/// <summary>How the generated dump writes table data.</summary>
public enum DumpStyle
{
    /// <summary>COPY ... FROM stdin blocks (pg_dump's default).</summary>
    Copy,

    /// <summary>One INSERT statement per row (pg_dump --inserts).</summary>
    Inserts,

    /// <summary>A sqlite3 <c>.dump</c> script (<see cref="SqliteDumpGenerator"/>).</summary>
    SqliteDump,
}

/// <summary>
/// Writes a deterministic pg_dump-style plain SQL dump in memory, shaped like the one
/// <c>benchmarks/scripts/generate-dump.sh</c> makes with a real server: the same five tables (a narrow one,
/// a wide one), ints, Unicode text with tabs/newlines/backslashes, timestamps, numerics, arrays, jsonb,
/// bytea and NULLs, in the byte format pg_dump 15 writes.
/// </summary>
public static class DumpGenerator
{
    private static readonly string[] Words =
    [
        "lorem", "ipsum", "dolor", "sit", "amet", "Zoë", "Ångström", "naïve café", "東京", "Łódź",
        "tab\there", "two\nlines", "C:\\Temp\\file.txt", "emoji 🚀", "quote's", "Ελληνικά", "Привет",
        "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore",
        "et", "dolore", "magna", "aliqua", "enim", "ad", "minim", "veniam", "quis", "nostrud", "exercitation",
        "ullamco", "laboris",
    ];

    private static readonly string[] FirstNames = ["Anna", "Björn", "Zoë", "José", "François", "Søren", "Ελένη", "Дмитрий", "美咲", "Olúwaseun"];
    private static readonly string[] LastNames = ["Smith", "Müller", "O'Brien", "Núñez", "Łukasiewicz", "van der Berg", "李", "Иванов"];
    private static readonly string[] Countries = ["US", "DE", "FR", "JP", "BR", "PL", "GR", "RU"];
    private static readonly string[] Statuses = ["new", "paid", "shipped", "delivered", "cancelled", "refunded"];
    private static readonly string[] Currencies = ["USD", "EUR", "JPY", "PLN"];

    private static readonly DateTime CustomersEpoch = new(2015, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime OrdersEpoch = new(2018, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime DocumentsEpoch = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private enum Kind
    {
        Number,
        Text,
        Bool,
    }

    private sealed record Column(string Name, string Type, Kind Kind);

    private sealed record Table(string Schema, string Name, int Share, Column[] Columns, Func<long, Random, string?[]> Row, long FirstRow = 1);

    /// <summary>Generates a dump of about <paramref name="targetBytes"/> bytes (a little more: every table ends on a whole row).</summary>
    public static byte[] Generate(long targetBytes, DumpStyle style)
    {
        using var stream = new MemoryStream((int)Math.Min(int.MaxValue, targetBytes + (targetBytes / 8)));
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" })
        {
            Write(writer, targetBytes, style);
        }

        return stream.ToArray();
    }

    private static void Write(StreamWriter w, long targetBytes, DumpStyle style)
    {
        var tables = Tables();
        w.Write("--\n-- PostgreSQL database dump\n--\n\n\\restrict 0123456789abcdefBenchmarkRestrictKey\n\n");
        w.Write("-- Dumped from database version 15.18\n-- Dumped by pg_dump version 15.18\n\n");
        w.Write("SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n");
        w.Write("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n");
        w.Write("SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\n");
        w.Write("SET xmloption = content;\nSET client_min_messages = warning;\nSET row_security = off;\n\n");
        w.Write("--\n-- Name: audit; Type: SCHEMA; Schema: -; Owner: -\n--\n\nCREATE SCHEMA audit;\n\n\n");
        w.Write("SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n\n");
        foreach (var table in tables)
        {
            w.Write($"--\n-- Name: {table.Name}; Type: TABLE; Schema: {table.Schema}; Owner: -\n--\n\n");
            w.Write($"CREATE TABLE {table.Schema}.{table.Name} (\n");
            w.Write(string.Join(",\n", table.Columns.Select(c => $"    {c.Name} {c.Type}")));
            w.Write("\n);\n\n\n");
        }

        w.Write("--\n-- Name: orders_id_seq; Type: SEQUENCE; Schema: public; Owner: -\n--\n\n");
        w.Write("CREATE SEQUENCE public.orders_id_seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\n\n\n");
        w.Write("ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;\n\n\n");

        var columnList = new StringBuilder();
        var line = new StringBuilder();
        foreach (var table in tables)
        {
            w.Write($"--\n-- Data for Name: {table.Name}; Type: TABLE DATA; Schema: {table.Schema}; Owner: -\n--\n\n");
            columnList.Clear().AppendJoin(", ", table.Columns.Select(c => c.Name));
            if (style == DumpStyle.Copy)
            {
                w.Write($"COPY {table.Schema}.{table.Name} ({columnList}) FROM stdin;\n");
            }

            // A fixed seed per table keeps every run (and the host and child processes of BenchmarkDotNet) identical.
            var random = new Random(table.Name.Length * 7919);
            var budget = targetBytes * table.Share / 100;
            var start = w.BaseStream.Position;
            for (var g = table.FirstRow; ; g++)
            {
                var values = table.Row(g, random);
                line.Clear();
                if (style == DumpStyle.Copy)
                {
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (i > 0)
                        {
                            line.Append('\t');
                        }

                        AppendCopyField(line, values[i]);
                    }
                }
                else
                {
                    line.Append("INSERT INTO ").Append(table.Schema).Append('.').Append(table.Name).Append(" VALUES (");
                    for (var i = 0; i < values.Length; i++)
                    {
                        if (i > 0)
                        {
                            line.Append(", ");
                        }

                        AppendLiteral(line, values[i], table.Columns[i].Kind);
                    }

                    line.Append(");");
                }

                line.Append('\n');
                w.Write(line);
                if ((g & 255) == 0)
                {
                    w.Flush();
                    if (w.BaseStream.Position - start >= budget)
                    {
                        break;
                    }
                }
            }

            w.Write(style == DumpStyle.Copy ? "\\.\n\n\n" : "\n\n");
        }

        w.Write("--\n-- Name: orders_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -\n--\n\n");
        w.Write("SELECT pg_catalog.setval('public.orders_id_seq', 1000000, true);\n\n\n");
        foreach (var table in tables.Where(t => t.Columns[0].Name == "id"))
        {
            w.Write($"--\n-- Name: {table.Name} {table.Name}_pkey; Type: CONSTRAINT; Schema: {table.Schema}; Owner: -\n--\n\n");
            w.Write($"ALTER TABLE ONLY {table.Schema}.{table.Name}\n    ADD CONSTRAINT {table.Name}_pkey PRIMARY KEY (id);\n\n\n");
        }

        w.Write("--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict 0123456789abcdefBenchmarkRestrictKey\n\n");
    }

    private static Table[] Tables() =>
    [
        new("audit", "events", 10, [new("id", "bigint NOT NULL", Kind.Number), new("kind", "smallint NOT NULL", Kind.Number)], (g, _) => [Int(g), Int(g % 17)]),
        new(
            "public",
            "customers",
            10,
            [
                new("id", "integer NOT NULL", Kind.Number), new("name", "text NOT NULL", Kind.Text), new("email", "text", Kind.Text),
                new("country", "character(2)", Kind.Text), new("created_at", "timestamp with time zone NOT NULL", Kind.Text),
                new("balance", "numeric(12,2)", Kind.Number), new("notes", "text", Kind.Text),
            ],
            (g, r) =>
            [
                Int(g),
                FirstNames[g % FirstNames.Length] + " " + LastNames[g / 10 % LastNames.Length],
                g % 23 == 0 ? null : "user" + Int(g) + "@example.com",
                Countries[g % Countries.Length],
                TimestampTz(CustomersEpoch.AddSeconds(g * 37)),
                g % 11 == 0 ? null : Money(r, 100000),
                g % 3 == 0 ? null : Phrase(g, 2 + (int)(g % 9)),
            ]),
        new(
            "public",
            "documents",
            25,
            [
                new("id", "integer NOT NULL", Kind.Number), new("title", "text NOT NULL", Kind.Text), new("body", "text", Kind.Text),
                new("tags", "text[]", Kind.Text), new("attrs", "jsonb", Kind.Text), new("blob", "bytea", Kind.Text),
                new("i1", "integer", Kind.Number), new("i2", "integer", Kind.Number), new("i3", "integer", Kind.Number), new("i4", "integer", Kind.Number),
                new("i5", "bigint", Kind.Number), new("i6", "bigint", Kind.Number), new("i7", "smallint", Kind.Number), new("i8", "smallint", Kind.Number),
                new("n1", "numeric(14,4)", Kind.Number), new("n2", "numeric(14,4)", Kind.Number), new("n3", "numeric", Kind.Number),
                new("n4", "double precision", Kind.Number), new("n5", "real", Kind.Number),
                new("t1", "timestamp with time zone", Kind.Text), new("t2", "timestamp with time zone", Kind.Text), new("t3", "date", Kind.Text),
                new("t4", "time without time zone", Kind.Text),
                new("b1", "boolean", Kind.Bool), new("b2", "boolean", Kind.Bool), new("b3", "boolean", Kind.Bool),
                new("s1", "text", Kind.Text), new("s2", "text", Kind.Text), new("s3", "text", Kind.Text), new("s4", "text", Kind.Text),
                new("s5", "text", Kind.Text), new("s6", "text", Kind.Text), new("s7", "text", Kind.Text), new("s8", "text", Kind.Text),
                new("s9", "text", Kind.Text), new("s10", "text", Kind.Text),
                new("u1", "uuid", Kind.Text), new("ip", "inet", Kind.Text), new("d1", "interval", Kind.Text), new("c1", "character varying(40)", Kind.Text),
            ],
            DocumentRow),
        new(
            "public",
            "order_lines",
            25,
            [
                new("order_id", "bigint NOT NULL", Kind.Number), new("line_no", "smallint NOT NULL", Kind.Number), new("sku", "text NOT NULL", Kind.Text),
                new("quantity", "integer NOT NULL", Kind.Number), new("unit_price", "numeric(10,2) NOT NULL", Kind.Number),
                new("discount", "numeric(5,2)", Kind.Number),
            ],
            (g, r) =>
            [
                Int(1 + (g / 3)),
                Int(1 + (g % 3)),
                "SKU-" + (g * 2654435761 % 100000).ToString("D6", CultureInfo.InvariantCulture),
                Int(1 + (g % 9)),
                Money(r, 300),
                g % 4 == 0 ? Money(r, 50) : null,
            ],
            FirstRow: 0),
        new(
            "public",
            "orders",
            30,
            [
                new("id", "bigint NOT NULL", Kind.Number), new("customer_id", "integer NOT NULL", Kind.Number), new("status", "text NOT NULL", Kind.Text),
                new("total", "numeric(10,2) NOT NULL", Kind.Number), new("currency", "character(3) NOT NULL", Kind.Text),
                new("ordered_at", "timestamp without time zone NOT NULL", Kind.Text), new("shipped_at", "timestamp without time zone", Kind.Text),
                new("comment", "text", Kind.Text),
            ],
            (g, r) =>
            [
                Int(g),
                Int(1 + (g * 7 % 100000)),
                Statuses[g % Statuses.Length],
                Money(r, 5000),
                Currencies[g % Currencies.Length],
                Timestamp(OrdersEpoch.AddSeconds(g * 13)),
                g % 10 < 3 ? null : Timestamp(OrdersEpoch.AddDays(1).AddSeconds(g * 13)),
                g % 10 == 0 ? Phrase(g, 3 + (int)(g % 5)) : null,
            ]),
    ];

    private static string?[] DocumentRow(long g, Random r)
    {
        var blob = new byte[16];
        r.NextBytes(blob);
        var uuid = new byte[16];
        r.NextBytes(uuid);
        return
        [
            Int(g),
            Phrase(g, 4),
            g % 50 == 0 ? null : Phrase(g, 40 + (int)(g % 120)),
            "{" + ArrayElement(Phrase(g, 1)) + "," + ArrayElement(Phrase(g + 1, 1)) + "," + ArrayElement("tag\"" + Int(g % 13)) + "}",
            $"{{\"id\": {Int(g)}, \"name\": {Json(Phrase(g, 2))}, \"path\": {Json("C:\\data\\" + Int(g))}, \"nested\": {{\"ok\": {(g % 2 == 0 ? "true" : "false")}, \"score\": {(g % 1000 / 7.0).ToString("R", CultureInfo.InvariantCulture)}}}}}",
            g % 5 == 0 ? "\\x" + Convert.ToHexStringLower(blob) : null,
            Int(g % 1000), Int(g * 3), Int(-g), Int(g % 7), Int(g * 100003), null, Int(g % 300), null,
            (r.NextDouble() * 1e6).ToString("F4", CultureInfo.InvariantCulture),
            g % 2 == 0 ? null : (g / 3.0m).ToString("F4", CultureInfo.InvariantCulture),
            Int(g % 97),
            (r.NextDouble() * 1e3).ToString("R", CultureInfo.InvariantCulture),
            ((float)(r.NextDouble() * 100)).ToString("R", CultureInfo.InvariantCulture),
            TimestampTz(DocumentsEpoch.AddMinutes(g)),
            g % 4 == 0 ? null : "2025-11-22 07:31:12.123456+00",
            new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(g % 9000).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(g % 86400).ToString("hh\\:mm\\:ss", CultureInfo.InvariantCulture),
            g % 2 == 0 ? "t" : "f",
            g % 3 == 0 ? null : (g % 3 == 1 ? "t" : "f"),
            "t",
            Phrase(g, 3), Phrase(g + 5, 2), g % 2 == 0 ? Phrase(g, 6) : null, null, null,
            g % 10 == 0 ? "x\ty" : null, null, null, null, "const",
            new Guid(uuid).ToString("D"),
            $"10.{Int(g % 256)}.{Int(g / 256 % 256)}.1",
            Int(g * 17 / 60) + ":" + (g * 17 % 60).ToString("00", CultureInfo.InvariantCulture) + ":00",
            "code-" + Int(g),
        ];
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Money(Random random, int max) => (random.NextDouble() * max).ToString("F2", CultureInfo.InvariantCulture);

    private static string Timestamp(DateTime value) => value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string TimestampTz(DateTime value) => Timestamp(value) + "+00";

    /// <summary>Space-separated words chosen from the seed, as the SQL generator's phrase(seed, n).</summary>
    private static string Phrase(long seed, int count)
    {
        var builder = new StringBuilder();
        for (var k = 1; k <= count; k++)
        {
            if (k > 1)
            {
                builder.Append(' ');
            }

            builder.Append(Words[(((seed * 7919) + (k * 104729L)) % 101 + 101) % 101 % Words.Length]);
        }

        return builder.ToString();
    }

    /// <summary>An element of a PostgreSQL array literal as array_out writes it.</summary>
    private static string ArrayElement(string value)
    {
        var quote = value.Length == 0 || value.Any(c => c is ' ' or ',' or '{' or '}' or '"' or '\\' or '\t' or '\n');
        return quote ? "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"" : value;
    }

    private static string Json(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal) + "\"";

    private static void AppendCopyField(StringBuilder line, string? value)
    {
        if (value is null)
        {
            line.Append("\\N");
            return;
        }

        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => line.Append("\\\\"),
                '\t' => line.Append("\\t"),
                '\n' => line.Append("\\n"),
                '\r' => line.Append("\\r"),
                _ => line.Append(c),
            };
        }
    }

    /// <summary>A value as pg_dump --inserts writes it (standard_conforming_strings on: only quotes are doubled).</summary>
    private static void AppendLiteral(StringBuilder line, string? value, Kind kind)
    {
        if (value is null)
        {
            line.Append("NULL");
        }
        else if (kind == Kind.Number)
        {
            line.Append(value);
        }
        else if (kind == Kind.Bool)
        {
            line.Append(value == "t" ? "true" : "false");
        }
        else
        {
            line.Append('\'').Append(value.Replace("'", "''", StringComparison.Ordinal)).Append('\'');
        }
    }
}
