using System.Buffers;
using System.Text;
using Npgsql;
using Selective.Restore.Dump.Plain;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump;

/// <summary>
/// Every encoding the reader converts is proven against the server (issue 11, point 5): each byte (each byte pair for
/// GBK) decodes to exactly what <c>convert_from(bytes, encoding)</c> gives, and what the server refuses is refused.
/// The refused encodings are refused for a reason the server shows too: .NET reads some sequence differently.
/// </summary>
[NonParallelizable]
public sealed class EncodingTableTests
{
    private const string DecodeFunction = """
        CREATE FUNCTION pg_temp.dec(b bytea, enc text) RETURNS text LANGUAGE plpgsql AS $$
        BEGIN
            RETURN encode(convert_to(convert_from(b, enc), 'UTF8'), 'hex');
        EXCEPTION WHEN others THEN
            RETURN 'ERR';
        END $$;
        CREATE FUNCTION pg_temp.enc(t text, enc text) RETURNS text LANGUAGE plpgsql AS $$
        BEGIN
            RETURN encode(convert_to(t, enc), 'hex');
        EXCEPTION WHEN others THEN
            RETURN 'ERR';
        END $$;
        """;

    public static IEnumerable<string> SingleByteEncodings => ClientEncoding.Supported.Where(e => e != "GBK");

    /// <summary>A connection (to the server's UTF8 maintenance database) with the helper functions.</summary>
    private static async Task<NpgsqlConnection> ConnectAsync()
    {
        var connection = new NpgsqlConnection(PostgresServer.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(DecodeFunction, connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    /// <summary>The server's UTF-8 (hex) for each byte sequence, or ERR where it refuses it.</summary>
    private static async Task<string[]> ServerDecodeAsync(string encoding, byte[][] sequences)
    {
        await using var connection = await ConnectAsync();
        await using var command = new NpgsqlCommand("SELECT pg_temp.dec(x, $2) FROM unnest($1::bytea[]) WITH ORDINALITY AS u(x, i) ORDER BY i", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = sequences });
        command.Parameters.Add(new NpgsqlParameter { Value = encoding });
        var result = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(reader.GetString(0));
        }

        return [.. result];
    }

    /// <summary>Our UTF-8 (hex) for a whole byte sequence, or ERR.</summary>
    private static string OurDecode(ClientEncoding encoding, byte[] sequence)
    {
        var output = new byte[sequence.Length * 3];
        var status = encoding.Decode(sequence, output, out var consumed, out var written);
        return status == OperationStatus.Done && consumed == sequence.Length ? Convert.ToHexStringLower(output, 0, written) : "ERR";
    }

    [TestCaseSource(nameof(SingleByteEncodings))]
    public async Task Every_byte_decodes_exactly_as_the_server_converts_it_and_encodes_back(string name)
    {
        var encoding = ClientEncoding.Find(name).ShouldNotBeNull();
        var bytes = Enumerable.Range(1, 255).Select(b => new[] { (byte)b }).ToArray();
        var server = await ServerDecodeAsync(name, bytes);

        var differences = bytes.Select((b, i) => (Byte: b[0], Server: server[i], Ours: OurDecode(encoding, b)))
            .Where(x => x.Server != x.Ours).Select(x => $"0x{x.Byte:X2}: server {x.Server}, reader {x.Ours}").ToList();
        differences.ShouldBeEmpty();
        server.Count(s => s == "ERR").ShouldBeLessThan(50); // (the table is not empty)

        // Both ways: the character encodes back to its byte, in the reader and on the server.
        foreach (var b in bytes.Where((_, i) => server[i] != "ERR"))
        {
            var utf8 = new byte[3];
            encoding.Decode(b, utf8, out _, out var written);
            encoding.Encode(utf8.AsSpan(0, written)).ShouldBe(b);
            encoding.EncodedLength(utf8.AsSpan(0, written)).ShouldBe(1);
        }

        await using var connection = await ConnectAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM unnest($1::bytea[]) AS u(x) WHERE pg_temp.dec(x, $2) <> 'ERR' AND pg_temp.enc(convert_from(x, $2), $2) <> encode(x, 'hex')", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = bytes });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        ((long)(await command.ExecuteScalarAsync())!).ShouldBe(0);
    }

    [Test]
    public async Task Every_gbk_byte_pair_decodes_exactly_as_the_server_converts_it()
    {
        var encoding = ClientEncoding.Find("GBK").ShouldNotBeNull();
        encoding.EmbedsAscii.ShouldBeTrue();
        var sequences = new List<byte[]>();
        for (var lead = 0x80; lead <= 0xFF; lead++)
        {
            sequences.Add([(byte)lead]);
            for (var trail = 0; trail <= 0xFF; trail++)
            {
                if (trail != 0)
                {
                    sequences.Add([(byte)lead, (byte)trail]);
                }
            }
        }

        var all = sequences.ToArray();
        var server = await ServerDecodeAsync("GBK", all);

        var differences = all.Select((s, i) => (Bytes: Convert.ToHexString(s), Server: server[i], Ours: OurDecode(encoding, s)))
            .Where(x => x.Server != x.Ours).Select(x => $"{x.Bytes}: server {x.Server}, reader {x.Ours}").Take(20).ToList();
        differences.ShouldBeEmpty();
        server.Count(s => s != "ERR").ShouldBeGreaterThan(21_000);
    }

    [Test]
    public async Task Names_resolve_to_the_encodings_the_server_resolves_them_to()
    {
        string[] names =
        [
            "abc", "alt", "big5", "euccn", "eucjis2004", "eucjp", "euckr", "euctw", "gb18030", "gbk", "iso88591", "iso885910",
            "iso885913", "iso885914", "iso885915", "iso885916", "iso88592", "iso88593", "iso88594", "iso88595", "iso88596",
            "iso88597", "iso88598", "iso88599", "johab", "koi8", "koi8r", "koi8u", "latin1", "latin10", "latin2", "latin3",
            "latin4", "latin5", "latin6", "latin7", "latin8", "latin9", "mskanji", "muleinternal", "shiftjis", "shiftjis2004",
            "sjis", "sqlascii", "tcvn", "tcvn5712", "uhc", "unicode", "utf8", "vscii", "win", "win1250", "win1251", "win1252",
            "win1253", "win1254", "win1255", "win1256", "win1257", "win1258", "win866", "win874", "win932", "win936", "win949",
            "win950", "windows1250", "windows1251", "windows1252", "windows1253", "windows1254", "windows1255", "windows1256",
            "windows1257", "windows1258", "windows866", "windows874", "windows932", "windows936", "windows949", "windows950",
            "UTF-8", "Latin-1", "ISO_8859-15", "SQL_ASCII", "EUC_JIS_2004", "SHIFT_JIS_2004", "ISO_8859_5", "KOI8-U",
            "latin 9", "latin11", "utf16", "", "klingon", "default",
        ];
        await using var connection = await ConnectAsync();
        await using var command = new NpgsqlCommand("SELECT pg_encoding_to_char(pg_char_to_encoding(n)) FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = names });
        var server = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                server.Add(reader.GetString(0));
            }
        }

        names.Select(n => ClientEncoding.Find(n)?.Name ?? string.Empty).ShouldBe(server);
    }

    [Test]
    public async Task Every_server_encoding_is_either_converted_or_refused_with_a_reason()
    {
        await using var connection = await ConnectAsync();
        await using var command = new NpgsqlCommand("SELECT pg_encoding_to_char(i) FROM generate_series(0, 100) i WHERE pg_encoding_to_char(i) <> ''", connection);
        var all = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                all.Add(reader.GetString(0));
            }
        }

        all.Order(StringComparer.Ordinal).ShouldBe(ClientEncoding.Supported.Concat(ClientEncoding.Refused).Append("UTF8").Append("SQL_ASCII").Order(StringComparer.Ordinal));
        foreach (var name in ClientEncoding.Refused)
        {
            ClientEncoding.Find(name)!.Refusal.ShouldNotBeNullOrWhiteSpace();
        }
    }

    /// <summary>The refusals' reasons, shown on the server: .NET reads these sequences differently (or has no code page).</summary>
    [TestCase("KOI8U", 21866, "AE")]
    [TestCase("KOI8U", 21866, "BE")]
    [TestCase("ISO_8859_7", 28597, "A1")]
    [TestCase("ISO_8859_8", 28598, "AF")]
    [TestCase("EUC_JP", 51932, "ADF0")]
    [TestCase("EUC_CN", 20936, "A1AC")]
    [TestCase("EUC_KR", 51949, "B4D3")]
    [TestCase("SJIS", 932, "ED40")]
    [TestCase("BIG5", 950, "A145")]
    [TestCase("UHC", 949, "A2E8")]
    [TestCase("JOHAB", 1361, "84A1")]
    public async Task Refused_encodings_differ_from_the_server_where_their_reason_says(string name, int codePage, string hex)
    {
        ClientEncoding.Find(name)!.Refusal.ShouldNotBeNull();
        var bytes = Convert.FromHexString(hex);
        var server = (await ServerDecodeAsync(name, [bytes]))[0];
        var net = CodePagesEncodingProvider.Instance.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback)!;
        string dotnet;
        try
        {
            dotnet = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(net.GetString(bytes)));
        }
        catch (DecoderFallbackException)
        {
            dotnet = "ERR";
        }

        server.ShouldNotBe("ERR");
        dotnet.ShouldNotBe(server);
    }

    [TestCase(28600)] // LATIN6, ISO-8859-10
    [TestCase(28604)] // LATIN8, ISO-8859-14
    [TestCase(28606)] // LATIN10, ISO-8859-16
    public void Refused_encodings_without_a_dotnet_code_page_have_none(int codePage) =>
        CodePagesEncodingProvider.Instance.GetEncoding(codePage).ShouldBeNull();

    [Test]
    public async Task The_server_itself_cannot_convert_mule_internal() =>
        (await ServerDecodeAsync("MULE_INTERNAL", [[0x41]]))[0].ShouldBe("ERR");
}
