using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Undo;

/// <summary>Undo scripts: apply, run the script with psql, and every table is back to its exact pre-apply content.</summary>
public sealed class UndoScriptTests
{
    // Awkward values in every column type the engine compares differently; a generated column; identity ALWAYS; a
    // self-reference; a composite key.
    private const string Schema = """
        CREATE TABLE people (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, boss_id int REFERENCES people, email text NOT NULL UNIQUE,
                             name text, note text, photo bytea, tags text[], prefs jsonb, raw json, score numeric(8,3), ratio double precision,
                             seen timestamptz, wait interval, name_upper text GENERATED ALWAYS AS (upper(name)) STORED);
        CREATE TABLE visits (person_id int REFERENCES people, day date, hits int, PRIMARY KEY (person_id, day));
        INSERT INTO people (boss_id, email, name, note, photo, tags, prefs, raw, score, ratio, seen, wait)
        OVERRIDING SYSTEM VALUE
        SELECT CASE WHEN g > 1 THEN 1 + (g - 2) / 4 END, 'p' || g || '@x.org',
               CASE g % 4 WHEN 0 THEN 'ünïcødé ✓ 😀' WHEN 1 THEN E'tab\there' WHEN 2 THEN '' ELSE NULL END,
               CASE WHEN g % 3 = 0 THEN E'back\\slash \\N not null\nnewline' WHEN g % 3 = 1 THEN '\.' END,
               CASE WHEN g % 2 = 0 THEN decode('00ff5c0a', 'hex') ELSE ''::bytea END,
               ARRAY['a b', 'c"d', NULL, E'e\\f'], jsonb_build_object('n', g, 's', E'x\ty'), ('{"k": ' || g || ', "k": 2}')::json,
               g * 1.5, CASE WHEN g % 5 = 0 THEN -0.0::float8 ELSE 1.0 / g END, timestamptz '2026-01-01 00:00+00' + g * interval '1 day 3 hours',
               g * interval '1 minute 2.5 seconds'
        FROM generate_series(1, 40) g;
        INSERT INTO visits SELECT 1 + g % 40, date '2026-02-01' + g / 40, g FROM generate_series(0, 199) g;
        """;

    // After the backup: rows deleted (with their visits), rows edited in every awkward column, rows added.
    private const string Drift = """
        DELETE FROM visits WHERE person_id IN (30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40) OR (person_id = 3 AND day = date '2026-02-02');
        DELETE FROM people WHERE id > 29;
        UPDATE people SET name = 'renamed', note = NULL, photo = NULL, tags = '{}', prefs = '{}', raw = '[]', score = 0, ratio = 0, seen = NULL, wait = '0'
        WHERE id IN (2, 3, 4, 5, 6);
        UPDATE visits SET hits = hits + 1000 WHERE day = date '2026-02-03';
        INSERT INTO people (email, name) VALUES ('new@x.org', 'newcomer');
        """;

    [Test]
    public async Task Undo_returns_every_table_to_its_exact_content_before_the_apply([Values] bool preferDump)
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Drift);
        var before = (await db.ContentAsync("people"), await db.ContentAsync("visits"));
        using var dir = new TempDirectory();
        var undo = dir.File("undo.sql");

        // visits: an application policy merges some conflicts (keeping the higher count) and takes others whole.
        var visits = MergePolicy.Custom("max-hits", args => args.Key.Get<int>("person_id") % 2 == 0
            ? ConflictDecision.Merge(new Dictionary<string, object?> { ["hits"] = Math.Max(args.Dump.Get<int>("hits"), args.Live.Get<int>("hits")) + 1 })
            : ConflictDecision.TakeDump);
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithPolicy(preferDump ? MergePolicy.PreferDump : MergePolicy.PreferLive).WithPolicy("visits", visits)
            .WithUndoScript(undo).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.UndoScript.ShouldBe(undo);
        var people = report.Tables.Single(t => t.Name.Name == "people");
        (people.Inserted, people.Updated).ShouldBe((11L, preferDump ? 5L : 0L));
        report.Tables.Single(t => t.Name.Name == "visits").Updated.ShouldBe(29);
        (await db.ContentAsync("people")).ShouldNotBe(before.Item1);

        await db.PsqlAsync(undo);

        var script = await File.ReadAllTextAsync(undo);
        Differences(await db.ContentAsync("people"), before.Item1).ShouldBeEmpty(script);
        Differences(await db.ContentAsync("visits"), before.Item2).ShouldBeEmpty(script);
        script.ShouldContain("BEGIN;");
        script.ShouldContain($"Run it with: psql -X -f {Path.GetFileName(undo)} (add your connection options)");
        script.ShouldEndWith("COMMIT;\n");
        script.IndexOf("-- public.visits", StringComparison.Ordinal).ShouldBeLessThan(script.IndexOf("-- public.people", StringComparison.Ordinal)); // children first
        script.ShouldNotContain(db.ConnectionString);
    }

    /// <summary>Lines on one side only, marked + (now) and - (expected), so a failure shows which rows differ.</summary>
    private static List<string> Differences(string now, string expected)
    {
        var a = now.Split('\n');
        var b = expected.Split('\n');
        return [.. a.Except(b).Select(l => "+ " + l).Concat(b.Except(a).Select(l => "- " + l))];
    }

    [Test]
    public async Task Undo_refuses_and_changes_nothing_when_a_restored_row_was_edited_since()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Drift);
        using var dir = new TempDirectory();
        var undo = dir.File("undo.sql");
        (await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(MergePolicy.PreferDump).WithUndoScript(undo).Build().RunAsync())
            .Succeeded.ShouldBeTrue();
        await db.ExecuteAsync("UPDATE people SET note = 'edited after the restore' WHERE id = 35");
        var after = (await db.ContentAsync("people"), await db.ContentAsync("visits"));

        var error = await Should.ThrowAsync<Exception>(() => db.PsqlAsync(undo));

        error.Message.ShouldContain("1 of the 11 rows the restore inserted in public.people were changed or deleted since; nothing was undone");
        (await db.ContentAsync("people"), await db.ContentAsync("visits")).ShouldBe(after);
    }

    [Test]
    public async Task An_undo_script_that_cannot_be_written_stops_the_run_before_anything_is_applied()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync(Drift);
        var before = await db.ContentAsync("people");
        using var dir = new TempDirectory();
        var notADirectory = dir.Write("file.txt", "x");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithUndoScript(Path.Combine(notADirectory, "undo.sql")).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        report.Errors.ShouldHaveSingleItem().ShouldContain("file.txt");
        report.Tables.ShouldAllBe(t => t.Inserted == 0 && t.Updated == 0);
        (await db.ContentAsync("people")).ShouldBe(before);
    }

    [Test]
    public async Task Undo_of_a_remapping_restore_removes_the_remapped_rows_and_their_children()
    {
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
            CREATE TABLE posts (id serial PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, body text);
            INSERT INTO accounts (email) VALUES ('a@x'), ('b@x'), ('c@x');
            INSERT INTO posts (account_id, body) VALUES (1, 'a1'), (2, 'b1'), (3, 'c1'), (3, 'c2');
            """);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("""
            DELETE FROM posts WHERE account_id = 3; DELETE FROM accounts WHERE id = 3;
            INSERT INTO accounts (id, email) VALUES (3, 'someone-else@x');
            """);
        var before = (await db.ContentAsync("accounts"), await db.ContentAsync("posts"));
        using var dir = new TempDirectory();
        var undo = dir.File("undo.sql");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("accounts", "email").OnCollision(CollisionHandling.Remap).WithUndoScript(undo).Build().RunAsync();
        report.Succeeded.ShouldBeTrue(report.ToSummary());
        (await db.ScalarAsync<long>("SELECT count(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE a.email = 'c@x'")).ShouldBe(2);

        await db.PsqlAsync(undo);

        (await db.ContentAsync("accounts"), await db.ContentAsync("posts")).ShouldBe(before);
    }
}
