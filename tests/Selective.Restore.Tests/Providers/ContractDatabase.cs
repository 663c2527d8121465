using System.Buffers;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Providers;

/// <summary>Column types the contract suite uses; each provider creates them in its own spelling.</summary>
public enum ContractType
{
    Integer,
    BigInt,
    Text,
    Numeric,
    Double,
    Boolean,
    TimestampTz,
    Bytes,
}

/// <summary>A column of a contract table.</summary>
public sealed record ContractColumn(string Name, ContractType Type, bool NotNull = false);

/// <summary>
/// A table the contract suite creates (in schema <c>public</c>): columns, a key (empty for none), an optional key
/// column fed by a sequence, and single-column references to other tables' keys.
/// </summary>
public sealed record ContractTable(string Name, IReadOnlyList<ContractColumn> Columns, IReadOnlyList<string> Key)
{
    /// <summary>A key column whose values come from a sequence when not given.</summary>
    public string? Serial { get; init; }

    /// <summary>Foreign keys: (column, referenced table); the referenced column is that table's one key column.</summary>
    public IReadOnlyList<(string Column, string Parent)> References { get; init; } = [];
}

/// <summary>
/// One provider's database for the contract suite: created with the tables, filled and read back in the neutral
/// row format (values as text as the database prints them, null for NULL).
/// </summary>
public interface IContractDatabase : IAsyncDisposable
{
    /// <summary>Adds live rows (values as text, null for NULL), in this order.</summary>
    Task InsertAsync(string table, params string?[][] rows);

    /// <summary>The table's rows as COPY text lines, ordered (a byte-exact fingerprint).</summary>
    Task<IReadOnlyList<string>> ContentAsync(string table);

    /// <summary>The value the serial column's sequence hands out next (and takes it).</summary>
    Task<long> NextValueAsync(string table);

    /// <summary>Drops the restore's connection, as a server restart or a network failure would.</summary>
    Task BreakSessionAsync();

    /// <summary>Points the restore at this database.</summary>
    RestoreBuilder Into(RestoreBuilder builder);

    /// <summary>Points the backup check at this database.</summary>
    Selective.Restore.VerifyBuilder Into(Selective.Restore.VerifyBuilder builder);
}

/// <summary>Writes a plain dump (pg_dump's layout: header, COPY blocks, closing comment) of rows given as text.</summary>
public static class ContractDump
{
    public static string Write(string path, params (ContractTable Table, string?[][] Rows)[] tables)
    {
        var text = new StringBuilder("--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n");
        foreach (var (table, rows) in tables)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"COPY public.{table.Name} ({string.Join(", ", table.Columns.Select(c => c.Name))}) FROM stdin;\n");
            foreach (var row in rows)
            {
                text.Append(Line(row)).Append('\n');
            }

            text.Append("\\.\n\n");
        }

        text.Append("--\n-- PostgreSQL database dump complete\n--\n\n");
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
        return path;
    }

    /// <summary>Values as one COPY text line.</summary>
    public static string Line(IEnumerable<string?> values) => string.Join('\t', values.Select(v =>
    {
        if (v is null)
        {
            return "\\N";
        }

        var buffer = new ArrayBufferWriter<byte>();
        CopyText.Escape(v, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }));
}
