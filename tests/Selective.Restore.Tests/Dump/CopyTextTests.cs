using System.Buffers;
using System.Text;
using Selective.Restore.Dump;

namespace Selective.Restore.Tests.Dump;

public sealed class CopyTextTests
{
    private static string Escape(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        CopyText.Escape(value, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [TestCase("", "")]
    [TestCase("plain", "plain")]
    [TestCase("a\\b", "a\\\\b")]
    [TestCase("\t\n\r\b\f\v", "\\t\\n\\r\\b\\f\\v")]
    [TestCase("\\N", "\\\\N")]
    [TestCase("\u0001\u001f\u007f", "\u0001\u001f\u007f")]
    [TestCase("é🐘", "é🐘")]
    [TestCase("'\"", "'\"")]
    public void Escapes_like_the_servers_copy_to(string value, string expected) => Escape(value).ShouldBe(expected);

    [TestCase("\\N", true)]
    [TestCase("\\\\N", false)]
    [TestCase("N", false)]
    [TestCase("", false)]
    [TestCase("\\Nx", false)]
    public void Recognises_only_the_whole_field_null_marker(string field, bool isNull) =>
        CopyText.IsNull(Encoding.UTF8.GetBytes(field)).ShouldBe(isNull);

    [Test]
    public void Unescape_decodes_to_bytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        CopyText.TryUnescape("a\\377\\x00\\0\\\\"u8, buffer).ShouldBeNull();
        buffer.WrittenSpan.ToArray().ShouldBe([(byte)'a', 0xFF, 0x00, 0x00, (byte)'\\']);
    }

    [Test]
    public void A_backslash_at_the_end_of_a_field_is_a_bad_escape()
    {
        CopyText.TryUnescape("abc\\"u8, new ArrayBufferWriter<byte>()).ShouldNotBeNull().ShouldContain("backslash at the end");
        Should.Throw<FormatException>(() => CopyText.Decode("abc\\"u8));
    }

    [Test]
    public void Decode_rejects_bytes_that_are_not_utf8()
    {
        Should.Throw<FormatException>(() => CopyText.Decode([0xC3]));
        Should.Throw<FormatException>(() => CopyText.Decode("\\303"u8));
        CopyText.Decode("\\303\\251"u8).ShouldBe("é");
        CopyText.Decode("\\N"u8).ShouldBeNull();
    }

    [Test]
    public void Escape_then_decode_round_trips_any_text()
    {
        var random = new Random(1234);
        char[] alphabet = ['a', 'Z', '0', ' ', '\\', '\t', '\n', '\r', '\b', '\f', '\v', '\u0001', 'N', '.', 'é', '表', '\'', '"'];
        for (var i = 0; i < 2000; i++)
        {
            var length = random.Next(0, 12);
            var sb = new StringBuilder();
            for (var j = 0; j < length; j++)
            {
                sb.Append(random.Next(10) == 0 ? "🐘" : alphabet[random.Next(alphabet.Length)].ToString());
            }

            var value = sb.ToString();
            var escaped = Escape(value);
            escaped.ShouldNotContain('\t');
            escaped.ShouldNotContain('\n');
            escaped.ShouldNotContain('\r');
            CopyText.Decode(Encoding.UTF8.GetBytes(escaped)).ShouldBe(value);
            CopyText.IsNull(Encoding.UTF8.GetBytes(escaped)).ShouldBeFalse();
        }
    }
}
