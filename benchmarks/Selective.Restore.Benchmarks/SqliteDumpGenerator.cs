using System.Globalization;
using System.Text;

namespace Selective.Restore.Benchmarks;

/// <summary>
/// Writes a deterministic sqlite3 <c>.dump</c> script in memory, as sqlite3 3.40 writes one: <c>PRAGMA</c>,
/// <c>BEGIN TRANSACTION</c>, each table's <c>CREATE TABLE</c> and one <c>INSERT INTO t VALUES(...)</c> per row, <c>COMMIT</c>.
/// Values as it prints them: integers, REALs with 20 significant digits (<c>0.010000000000000000208</c>, which the reader
/// parses and prints shortest), <c>'text'</c> with quotes doubled, text with a line break as
/// <c>replace('a\nb','\n',char(10))</c>, <c>X'hex'</c> blobs and NULL. Two tables: <c>events</c> (the row shape of
/// <c>benchmarks/scripts/compare-sqlite.sh</c>, 90% of the bytes) and <c>samples</c> (blobs, REALs, large integers).
/// </summary>
public static class SqliteDumpGenerator
{
    private static readonly string[] Kinds = ["click", "view", "buy", "refund"];

    /// <summary>Generates a dump of about <paramref name="targetBytes"/> bytes.</summary>
    public static byte[] Generate(long targetBytes)
    {
        using var stream = new MemoryStream((int)Math.Min(int.MaxValue, targetBytes + (targetBytes / 8)));
        using (var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" })
        {
            var random = new Random(20261130);
            w.Write("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n");
            w.Write("CREATE TABLE events (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, kind TEXT NOT NULL, amount REAL, note TEXT, created TEXT NOT NULL);\n");
            var epoch = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            for (long n = 1; stream.Length < targetBytes * 9 / 10; n++)
            {
                w.Write("INSERT INTO events VALUES(");
                w.Write(n.ToString(CultureInfo.InvariantCulture));
                w.Write(',');
                w.Write((n % 100000).ToString(CultureInfo.InvariantCulture));
                w.Write(",'");
                w.Write(Kinds[n % 4]);
                w.Write("',");
                w.Write((n % 10000 / 100.0).ToString("G20", CultureInfo.InvariantCulture) is var real && (real.Contains('.', StringComparison.Ordinal) || real.Contains('E', StringComparison.Ordinal)) ? real : real + ".0");
                w.Write(',');
                if (n % 7 == 0)
                {
                    w.Write("NULL");
                }
                else if (n % 50 == 3)
                {
                    w.Write("replace('note ");
                    w.Write(random.NextInt64().ToString("X16", CultureInfo.InvariantCulture));
                    w.Write("\\nit''s a second line','\\n',char(10))");
                }
                else
                {
                    w.Write("'note ");
                    w.Write(random.NextInt64().ToString("X16", CultureInfo.InvariantCulture));
                    w.Write('\'');
                }

                w.Write(",'");
                w.Write(epoch.AddSeconds(n).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
                w.Write("');\n");
                w.Flush();
            }

            w.Write("CREATE TABLE samples (id INTEGER PRIMARY KEY, payload BLOB, ratio REAL, big INTEGER);\n");
            var payload = new byte[24];
            for (long n = 1; stream.Length < targetBytes; n++)
            {
                random.NextBytes(payload);
                var ratio = random.NextDouble() * Math.Pow(10, random.Next(-8, 12)) * (random.Next(2) == 0 ? -1 : 1);
                w.Write("INSERT INTO samples VALUES(");
                w.Write(n.ToString(CultureInfo.InvariantCulture));
                w.Write(",X'");
                w.Write(Convert.ToHexStringLower(payload.AsSpan(0, 4 + (int)(n % 20))));
                w.Write("',");
                w.Write(ratio.ToString("G20", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal));
                w.Write(',');
                w.Write((random.NextInt64() - (long.MaxValue / 2)).ToString(CultureInfo.InvariantCulture));
                w.Write(");\n");
                w.Flush();
            }

            w.Write("COMMIT;\n");
        }

        return stream.ToArray();
    }
}
