using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Dump;

/// <summary>Consecutive INSERTs are recognised as the same table from their raw header bytes; anything else must not be.</summary>
public sealed class InsertContinuationTests
{
    private static List<(string Table, string Columns, string[] Rows)> Read(string sql, int readSize)
    {
        var result = new List<(string, string, string[])>();
        using var reader = DumpReader.Open(new TrickleBytes(Encoding.UTF8.GetBytes(sql), readSize));
        while (reader.NextTable() is { } table)
        {
            var rows = new List<string>();
            while (table.Read())
            {
                rows.Add(Encoding.UTF8.GetString(table.Current.CopyLine));
            }

            result.Add((table.Name.ToString(), string.Join(",", table.Columns.Select(c => c.Name ?? "#" + c.Position)), [.. rows]));
        }

        return result;
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(4096)]
    public void A_table_whose_name_extends_another_is_a_new_table(int readSize)
    {
        var tables = Read("""
            INSERT INTO public.t VALUES (1, 'a');
            INSERT INTO public.t VALUES (2, 'b');
            INSERT INTO public.t2 VALUES (3, 'c');
            INSERT INTO public.t VALUES (4, 'd');
            INSERT INTO public.t (x, y) VALUES (5, 'e');
            INSERT INTO public.t (x, y) VALUES (6, 'f');
            INSERT INTO public.t  VALUES (7, 'g');
            """, readSize);

        tables.Select(t => (t.Table, t.Columns, t.Rows.Length)).ShouldBe([
            ("public.t", "#1,#2", 2),
            ("public.t2", "#1,#2", 1),
            ("public.t", "#1,#2", 1),
            ("public.t", "x,y", 2),
            ("public.t", "#1,#2", 1), // same table, different spacing: recognised by parsing, not by bytes
        ]);
        tables[0].Rows.ShouldBe(["1\ta", "2\tb"]);
        tables[3].Rows.ShouldBe(["5\te", "6\tf"]);
    }

    private sealed class TrickleBytes(byte[] bytes, int size) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, size));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, size)]);
    }
}
