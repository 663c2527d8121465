using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Plain;

/// <summary>
/// The session settings a split file replays are rebuilt from their parsed names and values, never copied from the dump
/// (issue 10, point 1): psql runs any backslash outside quotes as a meta-command, so a SET carrying one must not reach
/// a generated script. A statement that does not fit is not kept, and a notice says so.
/// </summary>
public sealed class SettingStatementTests
{
    private const string Data = "COPY public.t (id) FROM stdin;\n1\n\\.\n";

    [Test]
    public async Task A_set_statement_carrying_a_meta_command_is_refused_not_replayed()
    {
        var sql = "SET client_encoding = 'UTF8';\nSET xmloption = content\n\\! touch /tmp/X\n;\n" + Data;
        var error = await DumpHarness.FailAsync(sql);

        error.Line.ShouldBe(3);
        error.ByteOffset.ShouldBe(Sql.OffsetOf(sql, "\\!"));
        error.Reason.ShouldNotBeNull().ShouldStartWith("a psql meta-command (a backslash outside quotes) is inside the SET statement that starts at line 2");
    }

    [Test]
    public async Task Settings_are_rebuilt_from_their_values()
    {
        var sql = "SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n" +
                  "SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\nSET xmloption = content;\n" +
                  "SET client_min_messages = warning;\nSET row_security = off;\nSET default_tablespace = '';\nSET default_table_access_method = heap;\n" +
                  "set  Application_Name\tTO  'it''s \\ mine' ;\nSET LOCAL lock_timeout TO -1;\nSET search_path = \"My Schema\", public;\n" +
                  "SET extra_float_digits = 3, 2;\nSET myapp.flag = E'a\\\\b';\nSET TIME ZONE 'UTC';\n" + Data;
        var dump = await DumpHarness.ReadAsync(sql);

        dump.Settings.ShouldBe([
            "SET statement_timeout = 0;",
            "SET client_encoding = 'UTF8';",
            "SET standard_conforming_strings = on;",
            "SET search_path = \"My Schema\", public;",
            "SET check_function_bodies = false;",
            "SET xmloption = content;",
            "SET client_min_messages = warning;",
            "SET row_security = off;",
            "SET default_tablespace = '';",
            "SET default_table_access_method = heap;",
            "SET Application_Name = E'it''s \\\\ mine';",
            "SET LOCAL lock_timeout = -1;",
            "SET extra_float_digits = 3, 2;",
            "SET myapp.flag = E'a\\\\b';",
            "SET TIME ZONE 'UTC';",
        ]);
    }

    [Test]
    public async Task A_setting_that_does_not_fit_is_not_kept_and_a_notice_says_so()
    {
        var sql = "SET client_encoding = 'UTF8';\nSET application_name = E'two\\nlines';\nSET SCHEMA 'public';\n" +
                  "SELECT pg_catalog.set_config('search_path', 'public', false), pg_catalog.now();\n" + Data;
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)));
        var dump = await DumpHarness.ReadAsync(reader);

        dump.Settings.ShouldBe(["SET client_encoding = 'UTF8';"]);
        reader.Notices.ShouldBe([
            "line 2: the SET statement for application_name is not replayed in generated scripts: a value holds a control character",
            "line 3: the SET statement for schema is not replayed in generated scripts: it is not of the form SET name = value",
            "line 4: the set_config call for search_path is not replayed in generated scripts: it is not of the form set_config('name', 'value', false)",
        ]);
    }

    [Test]
    public async Task Split_files_hold_no_backslash_line_but_the_copy_terminator_whatever_the_dump_says()
    {
        var sql = "SET client_encoding = 'UTF8';\nSET application_name = 'x\\! touch /tmp/pwned';\nSET search_path = \"a\\\", public;\n" +
                  "SELECT pg_catalog.set_config('x.y', '\\! rm -rf /', false);\n" + Data;
        await using var reader = DumpReader.Open(new MemoryStream(DumpHarness.Utf8(sql)), new DumpReaderOptions { SourceName = "evil.sql" });
        using var dir = new TempDirectory();

        var result = await DumpSplitter.SplitAsync(reader, dir.Path);

        var file = File.ReadAllLines(Path.Combine(dir.Path, result.Tables.ShouldHaveSingleItem().File));
        file.Where(line => line.StartsWith('\\')).ShouldBe(["\\set ON_ERROR_STOP on", "\\."]); // the split's own lines only
        file.ShouldContain("SET application_name = E'x\\\\! touch /tmp/pwned';");
        file.ShouldContain("SELECT pg_catalog.set_config('x.y', E'\\\\! rm -rf /', false);");
    }
}
