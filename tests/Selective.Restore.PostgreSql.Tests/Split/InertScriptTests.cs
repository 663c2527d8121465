using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Providers;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Split;

/// <summary>
/// A dump can hold any name (anyone who can CREATE TABLE chooses it) and any text. Whatever it holds, the split files
/// must give psql nothing to run: the only backslash commands psql finds in them are the tool's own, and every line
/// outside COPY data that starts with a backslash is one the tool itself writes.
/// </summary>
public sealed class InertScriptTests
{
    private const string Pwn = "\\! touch PWNED";

    /// <summary>Names of every hostile kind, each carrying a backslash command.</summary>
    public static readonly object[] HostileNames =
    [
        new object[] { "newline", $"a\n{Pwn}\n--" },
        new object[] { "carriage return", $"b\r{Pwn}\r--" },
        new object[] { "CR LF", $"c\r\n{Pwn}\r\n--" },
        new object[] { "tab", $"d\t{Pwn}" },
        new object[] { "backslash command", $"e{Pwn}" },
        new object[] { "comment end and start", $"f*/{Pwn}/*" },
        new object[] { "quotes, backslashes, semicolon", $"g\"'\\\\;'{Pwn};\"" },
        new object[] { "line separator", $"h\u2028{Pwn}" },
        new object[] { "paragraph separator", $"i\u2029{Pwn}" },
        new object[] { "next line", $"j\u0085{Pwn}" },
        new object[] { "form feed and vertical tab", $"k\f{Pwn}\v{Pwn}" },
        new object[] { "escape sequence", $"l\u001b[2J{Pwn}" },
        new object[] { "long", new string('é', 20) + $"\n{Pwn}\n" + new string('x', 8) },
    ];

    private static readonly string[] OwnLines = ["\\set ON_ERROR_STOP on", "\\."];

    private static string Quoted(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Asserts that psql would run nothing from <paramref name="script"/> but the tool's own commands.</summary>
    internal static void ShouldBeInert(string script, string what)
    {
        var reading = PsqlScript.Read(script);
        reading.MetaCommands.ShouldAllBe(c => c == "\\set ON_ERROR_STOP on", $"{what}:\n{script}");
        reading.LinesOutsideCopyData.Where(l => l.StartsWith('\\')).ShouldAllBe(l => OwnLines.Contains(l), $"{what}:\n{script}");
    }

    private static async Task<(SplitResult Result, string Dir)> SplitAsync(TempDirectory dir, string dump, string fileName = "dump.sql")
    {
        var path = dir.Write(fileName, dump);
        var output = dir.File("out");
        await using var reader = DumpReader.Open(path);
        return (await DumpSplitter.SplitAsync(reader, output), output);
    }

    private static void AllFilesShouldBeInert(string output)
    {
        var scripts = Directory.GetFiles(output, "*.sql");
        scripts.ShouldNotBeEmpty();
        foreach (var file in scripts)
        {
            ShouldBeInert(File.ReadAllText(file), Path.GetFileName(file));
        }
    }

    [TestCaseSource(nameof(HostileNames))]
    public async Task Split_files_of_a_copy_dump_run_nothing_from_a_hostile_name(string kind, string name)
    {
        _ = kind;
        using var dir = new TempDirectory();
        var dump = $"""
            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            COPY public.{Quoted(name)} (id, {Quoted(name)}) FROM stdin;
            1	x
            2	\\x5c21
            \.

            COPY {Quoted(name)}.plain (id) FROM stdin;
            1
            \.

            SELECT pg_catalog.setval('public.{Quoted(name).Replace("'", "''", StringComparison.Ordinal)}', 7, true);

            """;
        var (result, output) = await SplitAsync(dir, dump);

        result.Tables.Select(t => t.Name).ShouldBe([new TableName("public", name), new TableName(name, "plain")]);
        AllFilesShouldBeInert(output);
        var first = File.ReadAllText(Path.Combine(output, result.Tables[0].File));
        first.ShouldEndWith("FROM stdin;\n1\tx\n2\t\\\\x5c21\n\\.\n\n"); // the data lines byte for byte
    }

    [TestCaseSource(nameof(HostileNames))]
    public async Task Split_files_of_an_insert_dump_run_nothing_from_a_hostile_name(string kind, string name)
    {
        _ = kind;
        using var dir = new TempDirectory();
        var dump = $"""
            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;

            INSERT INTO public.{Quoted(name)} (id, {Quoted(name)}) VALUES (1, '{name.Replace("'", "''", StringComparison.Ordinal)}');
            INSERT INTO public.{Quoted(name)} (id, {Quoted(name)}) VALUES (2, E'\\! touch PWNED\n\\.');

            """;
        var (result, output) = await SplitAsync(dir, dump);

        result.Tables.Single().Rows.ShouldBe(2);
        AllFilesShouldBeInert(output);
        var text = File.ReadAllText(Path.Combine(output, result.Tables[0].File));
        text.ShouldContain("\n2\t\\\\! touch PWNED\\n\\\\.\n\\.\n"); // the value as COPY text: data, never a command
    }

    [Test]
    public async Task The_issue_reproduction_yields_an_inert_file()
    {
        using var dir = new TempDirectory();
        var (_, output) = await SplitAsync(dir, "SET client_encoding = 'UTF8';\nCOPY public.\"a\n\\! touch /tmp/PWNED\n--\" (id) FROM stdin;\n1\n\\.\n");

        var text = File.ReadAllText(Directory.GetFiles(output, "0001-*.sql").Single());
        PsqlScript.Read(text).MetaCommands.ShouldBe(["\\set ON_ERROR_STOP on"], text);
        text.ShouldContain("COPY \"public\".U&\"a\\000A\\\\! touch /tmp/PWNED\\000A--\" (\"id\") FROM stdin;\n1\n\\.\n");
        text.ShouldContain("-- Data for public.\"a\\n\\! touch /tmp/PWNED\\n--\", split from dump.sql");
    }

    [Test]
    public async Task A_hostile_dump_file_name_stays_in_its_comment()
    {
        using var dir = new TempDirectory();
        var (_, output) = await SplitAsync(dir, "SET client_encoding = 'UTF8';\nCOPY public.t (id) FROM stdin;\n1\n\\.\n", $"x\n{Pwn}\r{Pwn}.sql");

        AllFilesShouldBeInert(output);
    }

    [TestCase("COPY public.t -- note\r\\! touch PWNED\n(id) FROM stdin;\n1\n\\.\n", TestName = "A comment psql ends at CR")]
    [TestCase("COPY public.t (id) FROM stdin; \\! touch PWNED\n1\n\\.\n", TestName = "Text after the semicolon")]
    [TestCase("COPY public.t (id) FROM stdin;\t\\! touch PWNED\n1\n\\.\n", TestName = "Text after a tab")]
    public async Task Text_the_reader_skips_in_a_copy_statement_never_reaches_psql(string copy)
    {
        // psql ends a -- comment at CR, and lexes what follows the ';' after the COPY data: neither may be copied.
        // The reader may refuse such a statement; if it reads it, the split file must not carry it.
        using var dir = new TempDirectory();
        try
        {
            var (result, output) = await SplitAsync(dir, "SET client_encoding = 'UTF8';\n" + copy);
            AllFilesShouldBeInert(output);
            File.ReadAllText(Path.Combine(output, result.Tables.Single().File)).ShouldEndWith("COPY \"public\".\"t\" (\"id\") FROM stdin;\n1\n\\.\n\n");
        }
        catch (DumpFormatException error)
        {
            error.Table.ShouldBe(new TableName("public", "t"));
            Directory.GetFiles(dir.File("out"), "*.sql").ShouldBeEmpty();
        }
    }

    [Test]
    public async Task Copy_data_psql_would_end_early_is_refused()
    {
        // The reader (like the server) joins "a\" and the next line; psql ends the data at the "\." line alone and
        // would then run the line after it.
        using var dir = new TempDirectory();
        var error = await Should.ThrowAsync<DumpFormatException>(() =>
            SplitAsync(dir, $"SET client_encoding = 'UTF8';\nCOPY public.t (v) FROM stdin;\na\\\n\\.\n{Pwn}\n\\.\n"));

        error.Message.ShouldContain("public.t");
        Directory.GetFiles(dir.File("out"), "*.sql").ShouldBeEmpty();
    }

    [Test]
    public async Task A_session_setting_carrying_a_backslash_command_is_not_copied()
    {
        using var dir = new TempDirectory();
        var dump = $"SET client_encoding = 'UTF8';\nSET xmloption = content\n{Pwn}\n;\nCOPY public.t (id) FROM stdin;\n1\n\\.\n";
        try
        {
            var (_, output) = await SplitAsync(dir, dump);
            AllFilesShouldBeInert(output);
        }
        catch (DumpFormatException)
        {
            // Refused: also fine, as long as nothing was written that would run it.
            foreach (var file in Directory.Exists(dir.File("out")) ? Directory.GetFiles(dir.File("out"), "*.sql") : [])
            {
                ShouldBeInert(File.ReadAllText(file), file);
            }
        }
    }

    [Test]
    public async Task Settings_and_sequences_keep_their_pg_dump_spelling()
    {
        using var dir = new TempDirectory();
        var (_, output) = await SplitAsync(
            dir,
            "SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nSELECT pg_catalog.set_config('search_path', '', false);\n" +
            "COPY public.t (id) FROM stdin;\n1\n\\.\nSELECT pg_catalog.setval('public.t_id_seq', 2, true);\nSELECT pg_catalog.setval('public.\"q'' s\"', 3, false);\n");

        var table = File.ReadAllText(Path.Combine(output, "0001-public.t.sql"));
        table.ShouldStartWith(
            "SET client_encoding = 'UTF8';\n\\set ON_ERROR_STOP on\n--\n-- Data for public.t, split from dump.sql (line 4) by selective-restore\n" +
            "-- PostgreSQL: load with psql -X -f FILE into a database that has the table; it stops at its first error\n--\n\n");
        table.ShouldContain("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCOPY \"public\".\"t\" (\"id\") FROM stdin;\n1\n\\.\n");
        var sequences = File.ReadAllText(Path.Combine(output, "sequences.sql"));
        sequences.ShouldContain("SET standard_conforming_strings = on;");
        sequences.ShouldContain("SELECT pg_catalog.setval('public.t_id_seq', 2, true);\nSELECT pg_catalog.setval('public.\"q'' s\"', 3, false);\n");
        ShouldBeInert(sequences, "sequences.sql");
    }

    [Test]
    public void Comments_identifiers_and_literals_stay_on_one_line()
    {
        foreach (var row in HostileNames)
        {
            var name = (string)((object[])row)[1];
            var quoted = ScriptText.QuoteIdentifier(name);
            var literal = ScriptText.Literal(name);
            var comment = ScriptText.Comment(name);
            foreach (var text in new[] { quoted, literal, comment })
            {
                text.IndexOfAny(['\n', '\r', '\v', '\f', '\u001b']).ShouldBe(-1, text);
            }
        }

        ScriptText.QuoteIdentifier("a\"b").ShouldBe("\"a\"\"b\"");
        ScriptText.QuoteIdentifier("a\nb\\c\"").ShouldBe("U&\"a\\000Ab\\\\c\"\"\"");
        ScriptText.Literal("it's").ShouldBe("'it''s'");
        ScriptText.Literal("a\nb\\c'").ShouldBe("E'a\\u000Ab\\\\c'''");
        ScriptText.Comment("a\r\n\\b\u2028\u202Ec").ShouldBe("a\\r\\n\\b\\u2028\\u202Ec");
        ScriptText.QuoteIdentifier("a\u2028b").ShouldBe("\"a\u2028b\""); // inert in quotes, and valid in a SQL_ASCII database
        Should.Throw<ArgumentException>(() => ScriptText.QuoteIdentifier("a\0b"));
        Encoding.UTF8.GetByteCount(ScriptText.Comment("ünï 😀")).ShouldBe(Encoding.UTF8.GetByteCount("ünï 😀"));
    }
}
