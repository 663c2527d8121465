using System.Text;
using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// The lexer is called again after every buffer refill, so on any prefix of the input it must either ask
/// for more or return exactly the token it returns on the whole input.
/// </summary>
public sealed class SqlLexerTests
{
    private static readonly string[] Corpus =
    [
        "INSERT INTO public.t VALUES (1, -2.5e+10, .5, 1., 3::int, $1, 'it''s', E'a\\'b', B'101', X'1F', N'n', \"Quo\"\"ted\", U&\"x\");",
        "SELECT $tag$ body ; $$ not end $tag$, $$x$$ , $ 1; -- comment\n/* nested /* c */ */ 'end'",
        "SET x = 'a'; SET y TO ''''; ü€ unquoted_wörd :: a::b - -1",
        "e'x' b'' x'' n'' ee 'e' e",
        "12.34.56 1..2 1e 1e+ 1e+5 0x1F",
    ];

    private static List<(LexStatus Status, Token Token)> LexAll(byte[] input, bool standardStrings)
    {
        var result = new List<(LexStatus, Token)>();
        var i = 0;
        while (true)
        {
            var status = SqlLexer.Next(input, i, final: true, standardStrings, out var token, out _);
            result.Add((status, token));
            if (status != LexStatus.Token)
            {
                return result;
            }

            i = token.End;
        }
    }

    [Test]
    public void Every_prefix_either_needs_more_or_agrees_with_the_whole_input([Values] bool standardStrings)
    {
        foreach (var text in Corpus)
        {
            var input = Encoding.UTF8.GetBytes(text);
            var whole = LexAll(input, standardStrings);
            var start = 0;
            foreach (var (status, token) in whole)
            {
                for (var end = start; end <= input.Length; end++)
                {
                    var prefixStatus = SqlLexer.Next(input.AsSpan(0, end), start, final: false, standardStrings, out var prefixToken, out _);
                    if (prefixStatus == LexStatus.NeedMore)
                    {
                        continue;
                    }

                    prefixStatus.ShouldBe(status, $"'{text}' at {start}, prefix {end}");
                    prefixToken.ShouldBe(token, $"'{text}' at {start}, prefix {end}");
                }

                start = token.End;
            }
        }
    }

    [TestCase("\"ends at the end\"", "QuotedIdentifier")]
    [TestCase("'ends at the end'", "String")]
    [TestCase("E'x\\''", "String")]
    [TestCase("42", "Number")]
    [TestCase("word", "Word")]
    public void A_token_that_ends_the_final_input_is_complete(string text, string kindName)
    {
        var kind = Enum.Parse<TokenKind>(kindName);
        var input = Encoding.UTF8.GetBytes(text);

        SqlLexer.Next(input, 0, final: true, standardStrings: true, out var token, out var error).ShouldBe(LexStatus.Token, error);
        token.Kind.ShouldBe(kind);
        token.Length.ShouldBe(input.Length);
    }

    [TestCase("'abc", "unterminated quoted string")]
    [TestCase("\"abc", "unterminated quoted identifier")]
    [TestCase("$q$ abc $", "unterminated dollar-quoted string")]
    [TestCase("/* /* */", "unterminated /* comment")]
    [TestCase("U&'x'", "U&'...' Unicode-escape literals are not supported")]
    public void Reports_unterminated_tokens_at_the_end_of_the_input(string text, string expected)
    {
        SqlLexer.Next(Encoding.UTF8.GetBytes(text), 0, final: true, standardStrings: true, out var token, out var error).ShouldBe(LexStatus.Error);
        error.ShouldBe(expected);
        token.Start.ShouldBe(0);
    }

    [Test]
    public void Backslashes_escape_quotes_only_without_standard_conforming_strings()
    {
        var input = "'a\\' b'"u8.ToArray();

        SqlLexer.Next(input, 0, final: true, standardStrings: true, out var standard, out _).ShouldBe(LexStatus.Token);
        standard.Length.ShouldBe(4);
        SqlLexer.Next(input, 0, final: true, standardStrings: false, out var escaped, out _).ShouldBe(LexStatus.Token);
        escaped.Length.ShouldBe(input.Length);
        escaped.Prefix.ShouldBe((byte)'e');
    }
}
