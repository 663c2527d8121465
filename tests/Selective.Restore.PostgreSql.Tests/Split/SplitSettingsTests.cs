using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Split;

/// <summary>
/// Split parts load into every supported server whichever pg_dump wrote the dump: settings a server may not have run
/// only where it has them, settings loading does not need are left out (issue 11, point 4).
/// </summary>
public sealed class SplitSettingsTests
{
    // The preamble pg_dump 17 and 18 write (transaction_timeout is new in 17), then one synchronous_commit setting of
    // the kind a hand edit adds: known to PostgreSQL 15 but not on the kept list, so guarded too.
    private const string Pg17Dump = """
        --
        -- PostgreSQL database dump
        --

        -- Dumped from database version 17.2
        -- Dumped by pg_dump version 17.2

        SET statement_timeout = 0;
        SET lock_timeout = 0;
        SET idle_in_transaction_session_timeout = 0;
        SET transaction_timeout = 0;
        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;
        SELECT pg_catalog.set_config('search_path', '', false);
        SET check_function_bodies = false;
        SET xmloption = content;
        SET client_min_messages = warning;
        SET row_security = off;
        SET synchronous_commit = off;

        SET default_tablespace = '';

        SET default_table_access_method = heap;

        COPY public.t (id, v) FROM stdin;
        1	a
        2	b
        \.


        --
        -- PostgreSQL database dump complete
        --


        """;

    [Test]
    public async Task A_pg_dump_17_part_loads_into_postgresql_15_with_the_settings_it_has()
    {
        using var dir = new TempDirectory();
        var dump = dir.Write("pg17.sql", Pg17Dump);
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE t (id int PRIMARY KEY, v text);
            -- What the session had when the row was loaded: proves a guarded setting ran where the server knows it.
            CREATE FUNCTION seen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v || ' ' || current_setting('synchronous_commit') || ' ' || current_setting('xmloption'); RETURN NEW; END $$;
            CREATE TRIGGER seen BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION seen();
            """);

        await using (var reader = DumpReader.Open(dump))
        {
            await DumpSplitter.SplitAsync(reader, dir.File("out"));
        }

        var part = Directory.GetFiles(dir.File("out"), "0001-*.sql").ShouldHaveSingleItem();
        var text = await File.ReadAllTextAsync(part);
        text.ShouldContain("DO $sr_setting$BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'transaction_timeout') THEN EXECUTE 'SET transaction_timeout = 0;'; END IF; END$sr_setting$;");
        text.ShouldContain("SET xmloption = content;");
        text.ShouldContain("-- settings of the dump left out (loading rows does not need them): check_function_bodies, client_min_messages, default_tablespace, default_table_access_method");
        text.ShouldNotContain("\nSET transaction_timeout");

        // psql 15 with ON_ERROR_STOP: a bare SET transaction_timeout would stop the part here.
        await db.PsqlAsync(part);
        (await db.ContentAsync("t")).ShouldBe("1\ta off content\n2\tb off content\n");
        PsqlScript.Read(text).MetaCommands.ShouldBe([@"\set ON_ERROR_STOP on"]);
    }

    [TestCase("SET transaction_timeout = 0;", "transaction_timeout")]
    [TestCase("SET LOCAL lock_timeout = '1s';", "lock_timeout")]
    [TestCase("SET TIME ZONE 'UTC';", "timezone")]
    [TestCase("SET \"Odd\"\"Name\" = 1;", "Odd\"Name")]
    [TestCase("SELECT pg_catalog.set_config('search_path', '', false);", "search_path")]
    [TestCase("SELECT pg_catalog.set_config('it''s', 'x', false);", "it's")]
    public void The_setting_name_is_read_from_each_rendered_form(string statement, string name) =>
        LoadSettings.NameOf(statement).ShouldBe(name);

    [Test]
    public void Custom_and_needed_settings_stay_as_they_are_and_output_settings_go()
    {
        LoadSettings.ForPart("SET app.tenant = 'a';").ShouldBe("SET app.tenant = 'a';");
        LoadSettings.ForPart("SET row_security = off;").ShouldBe("SET row_security = off;");
        LoadSettings.ForPart("SET extra_float_digits = 3;").ShouldBeNull();
        LoadSettings.ForPart("SET future_setting = 'x$sr_setting$y';").ShouldBeNull(); // cannot be guarded safely: left out
    }
}
