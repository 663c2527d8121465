using Npgsql;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>Application-defined policies, self-references, generated and identity columns, and faults mid-apply.</summary>
public sealed class PolicyAndFaultTests
{
    private const string Schema = """
        CREATE TABLE employees (id int PRIMARY KEY, manager_id int REFERENCES employees, name text NOT NULL, email text, salary numeric(10,2),
                                name_upper text GENERATED ALWAYS AS (upper(name)) STORED);
        CREATE TABLE tickets (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner_id int NOT NULL REFERENCES employees, title text, body text,
                              tags text[], payload jsonb, blob bytea, created timestamptz NOT NULL);
        INSERT INTO employees (id, manager_id, name, email, salary)
            SELECT g, CASE WHEN g = 1 THEN NULL ELSE 1 + (g - 2) / 3 END, 'emp ' || g || CASE WHEN g % 5 = 0 THEN ' ñ 😀' ELSE '' END,
                   CASE WHEN g % 4 = 0 THEN NULL ELSE 'e' || g || '@corp.example' END, 1000 + g FROM generate_series(1, 40) g;
        INSERT INTO tickets (owner_id, title, body, tags, payload, blob, created)
            SELECT 1 + g % 40, 'ticket ' || g, CASE WHEN g % 3 = 0 THEN E'line1\nline2\ttab \\ back' WHEN g % 3 = 1 THEN '' ELSE NULL END,
                   ARRAY['a b', 'c"d', NULL], jsonb_build_object('n', g, 's', 'x\y'), decode(lpad(to_hex(g), 4, '0'), 'hex'),
                   timestamptz '2026-03-01 00:00+00' + g * interval '1 minute'
            FROM generate_series(1, 120) g;
        """;

    [Test]
    public async Task Self_referencing_rows_are_restored_in_one_statement_whatever_their_order()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync("--column-inserts");
        var before = await db.ContentAsync("employees");
        // A manager and everyone under them (a subtree), deleted children-first as FKs require.
        await db.ExecuteAsync("""
            DELETE FROM tickets WHERE owner_id IN (2, 5, 6, 7, 14, 15, 16, 17, 18, 19, 20, 21, 22);
            DELETE FROM employees WHERE id IN (14, 15, 16, 17, 18, 19, 20, 21, 22);
            DELETE FROM employees WHERE id IN (5, 6, 7);
            DELETE FROM employees WHERE id = 2;
            """);

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "employees").Inserted.ShouldBe(13);
        (await db.ContentAsync("employees")).ShouldBe(before); // generated column recomputed identically
        report.Tables.Single(t => t.Name.Name == "employees").Warnings.ShouldBeEmpty();
    }

    [Test]
    public async Task Custom_policy_sees_typed_and_text_values_and_its_decisions_are_applied()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("""
            UPDATE employees SET salary = 1 WHERE id IN (3, 4, 5, 6);
            UPDATE employees SET email = NULL WHERE id = 7;
            UPDATE tickets SET title = 'changed' WHERE id IN (1, 2);
            """);
        var seen = new List<string>();

        // employees: 3 -> take dump, 4 -> keep live, 5 -> skip, 6 -> merged salary, 7 -> merged email from dump.
        var employees = MergePolicy.Custom("hr", args =>
        {
            var id = args.Key.Get<int>("id");
            args.Dump.Get<decimal>("salary").ShouldBe(1000m + id);
            args.Live.GetText("salary").ShouldBe(id == 7 ? (1000 + id).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".00" : "1.00");
            seen.Add($"{args.Table.Name}:{id}");
            return id switch
            {
                3 => ConflictDecision.TakeDump,
                4 => ConflictDecision.KeepLive,
                5 => ConflictDecision.Skip,
                6 => ConflictDecision.Merge(new Dictionary<string, object?> { ["salary"] = args.Dump["salary"]! }),
                _ => ConflictDecision.Merge(new Dictionary<string, object?> { ["email"] = args.Dump.GetText("email") }),
            };
        });
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithPolicy("public.employees", employees)
            .WithBatchSize(2)
            .Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        seen.ShouldBe(["employees:3", "employees:4", "employees:5", "employees:6", "employees:7"]);
        var e = report.Tables.Single(t => t.Name.Name == "employees");
        (e.Conflicting, e.Updated, e.Skipped).ShouldBe((5L, 3L, 1L));
        (await db.ScalarAsync<decimal>("SELECT sum(salary) FROM employees WHERE id IN (3, 4, 5, 6)")).ShouldBe(1003m + 1 + 1 + 1006m);
        (await db.ScalarAsync<string>("SELECT email FROM employees WHERE id = 7")).ShouldBe("e7@corp.example");
        report.Tables.Single(t => t.Name.Name == "tickets").Updated.ShouldBe(0); // default policy prefer-live
    }

    [Test]
    public async Task Missing_row_filter_inserts_only_rows_it_accepts()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync("--inserts");
        await db.ExecuteAsync("DELETE FROM tickets WHERE id BETWEEN 50 AND 69");
        var cutoff = new DateTime(2026, 3, 1, 1, 0, 0, DateTimeKind.Utc); // tickets 1..60 were created before

        var policy = MergePolicy.PreferLive.WithMissingRowFilter(args => args.Dump.Get<DateTime>("created") < cutoff);
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy(policy).WithBatchSize(7).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var tickets = report.Tables.Single(t => t.Name.Name == "tickets");
        (tickets.Missing, tickets.Inserted, tickets.Skipped).ShouldBe((20L, 10L, 10L));
        (await db.ScalarAsync<long>("SELECT count(*) FROM tickets WHERE id BETWEEN 50 AND 59")).ShouldBe(10);
        (await db.ScalarAsync<long>("SELECT count(*) FROM tickets WHERE id BETWEEN 60 AND 69")).ShouldBe(0);
        // Identity: the next generated id is above every restored one.
        (await db.ScalarAsync<int>("INSERT INTO tickets (owner_id, created) VALUES (1, now()) RETURNING id")).ShouldBe(121);
    }

    [Test]
    public async Task A_failure_in_the_middle_of_a_table_leaves_that_table_untouched()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("UPDATE tickets SET title = 'live' WHERE id <= 10; DELETE FROM tickets WHERE id > 100");
        var before = await db.ContentAsync("tickets");

        // Earlier batches are decided (and merged rows written) before the policy fails on ticket 9.
        var policy = MergePolicy.Custom("picky", args => args.Key.Get<int>("id") == 9
            ? ConflictDecision.Fail("ticket 9 needs a human")
            : ConflictDecision.Merge(new Dictionary<string, object?> { ["title"] = "merged" }));
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy("tickets", policy).WithBatchSize(3).Build().RunAsync();

        var tickets = report.Tables.Single(t => t.Name.Name == "tickets");
        tickets.Outcome.ShouldBe(TableOutcome.Failed);
        tickets.Errors.ShouldHaveSingleItem().ShouldContain("ticket 9 needs a human");
        tickets.Errors[0].ShouldContain("id=9");
        (tickets.Inserted, tickets.Updated).ShouldBe((0L, 0L));
        (await db.ContentAsync("tickets")).ShouldBe(before);
        report.Tables.Single(t => t.Name.Name == "employees").Outcome.ShouldBe(TableOutcome.Applied);
    }

    [Test]
    public async Task A_connection_killed_mid_apply_is_retried_to_the_exact_result()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        var before = await db.ContentAsync("tickets");
        await db.ExecuteAsync("UPDATE tickets SET title = 'live' WHERE id <= 4; DELETE FROM tickets WHERE id > 100");
        var target = new NpgsqlConnectionStringBuilder(db.ConnectionString) { ApplicationName = "sr-kill-test" }.ConnectionString;
        var kills = 0;

        // The first time the policy runs, the restore's own server session is terminated under it.
        var policy = MergePolicy.Custom("killer", async args =>
        {
            if (Interlocked.Increment(ref kills) == 1)
            {
                await db.ScalarAsync<bool>("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sr-kill-test'");
            }

            return ConflictDecision.TakeDump;
        });
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(target).WithPolicy("tickets", policy)
            .WithRetry(new RestoreRetryOptions { Delay = TimeSpan.FromMilliseconds(50) })
            .Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var tickets = report.Tables.Single(t => t.Name.Name == "tickets");
        tickets.Attempts.ShouldBe(2);
        (tickets.Inserted, tickets.Updated).ShouldBe((20L, 4L));
        (await db.ContentAsync("tickets")).ShouldBe(before);

        // The reconnect is on record, in the report and its JSON.
        report.Warnings.ShouldHaveSingleItem().ShouldContain("was lost while applying public.tickets; reconnected and staged 1 tables again");
        report.ToJson().ShouldContain("reconnected and staged");

        var again = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy("tickets", policy).Build().RunAsync();
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0);
    }

    [Test]
    public async Task Incompatible_tables_fail_by_default_and_are_skipped_with_a_warning_when_asked()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM tickets WHERE id > 100; ALTER TABLE employees ADD COLUMN badge text; UPDATE employees SET badge = 'b'; ALTER TABLE employees ALTER badge SET NOT NULL; DELETE FROM employees WHERE id = 40 AND NOT EXISTS (SELECT 1 FROM tickets WHERE owner_id = 40)");

        var strict = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        strict.Succeeded.ShouldBeFalse();
        var employees = strict.Tables.Single(t => t.Name.Name == "employees");
        employees.Outcome.ShouldBe(TableOutcome.Failed);
        employees.Errors.ShouldHaveSingleItem().ShouldContain("live column badge is NOT NULL without a default");
        strict.Tables.Single(t => t.Name.Name == "tickets").Inserted.ShouldBe(20); // the other tables are still restored
        await db.ExecuteAsync("DELETE FROM tickets WHERE id > 100");

        var lenient = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).SkipIncompatibleTables().Build().RunAsync();
        lenient.Succeeded.ShouldBeTrue(lenient.ToSummary());
        var skipped = lenient.Tables.Single(t => t.Name.Name == "employees");
        skipped.Outcome.ShouldBe(TableOutcome.Skipped);
        skipped.DumpRows.ShouldBe(40);
        skipped.Warnings.ShouldHaveSingleItem().ShouldStartWith("skipped: live column badge");
        lenient.Tables.Single(t => t.Name.Name == "tickets").Inserted.ShouldBe(20);
        lenient.ToSummary().ShouldContain("1 tables skipped");
    }

    [Test]
    public async Task Mapping_problems_fail_the_table_with_a_clear_error_and_apply_nothing()
    {
        await using var db = await Scenario.CreateAsync(Schema);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM tickets; ALTER TABLE tickets DROP COLUMN body; ALTER TABLE employees ADD COLUMN badge text NOT NULL DEFAULT 'x'");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).Build().RunAsync();
        var tickets = report.Tables.Single(t => t.Name.Name == "tickets");
        tickets.Outcome.ShouldBe(TableOutcome.Failed);
        tickets.Errors.ShouldHaveSingleItem().ShouldContain("dump column body does not exist");
        tickets.DumpRows.ShouldBe(120);
        (await db.ScalarAsync<long>("SELECT count(*) FROM tickets")).ShouldBe(0);

        var skipping = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).SkipUnknownColumns().Build().RunAsync();
        skipping.Succeeded.ShouldBeTrue(skipping.ToSummary());
        skipping.Tables.Single(t => t.Name.Name == "tickets").Inserted.ShouldBe(120);
        skipping.Tables.Single(t => t.Name.Name == "tickets").Warnings.ShouldContain(w => w.Contains("body", StringComparison.Ordinal));
    }
}
