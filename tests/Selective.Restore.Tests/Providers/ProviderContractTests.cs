using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Providers;

/// <summary>
/// What every target provider must do for the engine, run the same way against each (a subclass per provider creates
/// its database): awkward values round trip byte for byte, NULL is not the empty string, equal values printed
/// differently are identical, writes are transactional, a lost connection is retried once and exactly, sequences are
/// moved past restored keys, the journal makes a re-run apply nothing, a plan writes nothing, parents come first,
/// a table without a key is matched copy for copy, identity keys tell entities apart (collisions, relocation, remaps
/// that children and self-references follow), and verify orders key ranges as the database does.
/// </summary>
public abstract class ProviderContractTests
{
    private static readonly ContractTable Accounts = new(
        "accounts",
        [
            new("id", ContractType.BigInt, NotNull: true), new("name", ContractType.Text), new("note", ContractType.Text),
            new("balance", ContractType.Numeric), new("ratio", ContractType.Double), new("active", ContractType.Boolean),
            new("seen", ContractType.TimestampTz), new("avatar", ContractType.Bytes),
        ],
        ["id"])
    { Serial = "id" };

    private static readonly ContractTable Orders = new(
        "orders",
        [new("id", ContractType.Integer, NotNull: true), new("account_id", ContractType.BigInt, NotNull: true), new("total", ContractType.Numeric)],
        ["id"])
    { References = [("account_id", "accounts")] };

    // An identity key (email) tells entities apart where ids were reused.
    private static readonly ContractTable People = new(
        "people", [new("id", ContractType.BigInt, NotNull: true), new("email", ContractType.Text), new("name", ContractType.Text)], ["id"])
    { Serial = "id" };

    private static readonly ContractTable Notes = new(
        "notes", [new("id", ContractType.Integer, NotNull: true), new("person_id", ContractType.BigInt), new("body", ContractType.Text)], ["id"])
    { References = [("person_id", "people")] };

    private static readonly ContractTable Visits = new("visits", [new("person_id", ContractType.Integer), new("place", ContractType.Text)], [])
    { References = [("person_id", "people")] };

    private static readonly ContractTable Staff = new(
        "staff", [new("id", ContractType.BigInt, NotNull: true), new("email", ContractType.Text), new("manager_id", ContractType.BigInt)], ["id"])
    { Serial = "id", References = [("manager_id", "staff")] };

    private static readonly ContractTable Events = new("events", [new("kind", ContractType.Text), new("at", ContractType.TimestampTz), new("size", ContractType.Integer)], []);

    // Values as the database prints them (pg_dump's output settings): awkward on purpose.
    private static readonly string?[][] AccountRows =
    [
        ["1", "ñandú 😀 Zoë", "tab\there", "12.50", "0.1", "t", "2026-03-01 00:00:00+00", "\\x00ff10"],
        ["2", "", null, "0", "-0", "f", "1999-12-31 23:59:59.5+00", "\\x"],
        ["3", "back\\slash \r\n new line", "Ünïcödé ✓ 中文", "-1.000", "1e+100", "t", "2026-03-01 05:30:00+00", null],
        ["4", null, "", null, "NaN", null, null, "\\x0a0d09"],
    ];

    /// <summary>Creates this provider's database with <paramref name="tables"/> (parents before children), empty.</summary>
    protected abstract Task<IContractDatabase> CreateAsync(params ContractTable[] tables);

    [Test]
    public async Task Missing_rows_come_back_byte_identical_and_a_rerun_applies_nothing()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        await db.InsertAsync("accounts", AccountRows[1]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, AccountRows));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var table = report.Tables.Single();
        (table.Missing, table.Identical, table.Conflicting, table.LiveOnly, table.Inserted).ShouldBe((3, 1, 0, 0, 3));
        (await db.ContentAsync("accounts")).ShouldBe(Lines(AccountRows));

        var again = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();
        (again.Tables.Single().Identical, again.Tables.Single().Inserted, again.Tables.Single().Updated).ShouldBe((4, 0, 0));
    }

    [Test]
    public async Task Rows_are_counted_missing_identical_conflicting_and_live_only_and_prefer_live_keeps_live()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        string?[] edited = ["2", "someone else", null, "0", "-0", "f", "1999-12-31 23:59:59.5+00", "\\x"];
        string?[] liveOnly = ["9", "new since the backup", null, null, null, null, null, null];
        await db.InsertAsync("accounts", AccountRows[0], edited, liveOnly);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, AccountRows[..3]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        var table = report.Tables.Single();
        (table.Missing, table.Identical, table.Conflicting, table.LiveOnly).ShouldBe((1, 1, 1, 1));
        (table.Inserted, table.Updated).ShouldBe((1, 0));
        (await db.ContentAsync("accounts")).ShouldBe(Lines([AccountRows[0], edited, AccountRows[2], liveOnly]));
    }

    [Test]
    public async Task Prefer_dump_overwrites_conflicts_and_null_is_not_the_empty_string()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        string?[] nullNote = ["1", "ñandú 😀 Zoë", null, "12.50", "0.1", "t", "2026-03-01 00:00:00+00", "\\x00ff10"];
        string?[] emptyName = ["4", "", "", null, "NaN", null, null, "\\x0a0d09"];
        await db.InsertAsync("accounts", nullNote, emptyName);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, [AccountRows[0], AccountRows[3]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        var table = report.Tables.Single();
        (table.Conflicting, table.Updated).ShouldBe((2, 2));
        (await db.ContentAsync("accounts")).ShouldBe(Lines([AccountRows[0], AccountRows[3]]));
    }

    [Test]
    public async Task Equal_values_printed_otherwise_are_identical_but_another_scale_is_not()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        await db.InsertAsync(
            "accounts",
            ["1", "a", null, "1.0", "0.1", "t", "2026-03-01 00:00:00+00", null],
            ["2", "b", null, "1.0", "0.1", "t", "2026-03-01 00:00:00+00", null]);

        // Row 1: the same double and instant in other spellings (an older pg_dump, another time zone): identical.
        // Row 2: 1.00 is not 1.0 (it prints differently), so it conflicts.
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, [
            ["1", "a", null, "1.0", "0.10000000000000001", "true", "2026-03-01 05:30:00+05:30", null],
            ["2", "b", null, "1.00", "0.1", "t", "2026-03-01 00:00:00+00", null],
        ]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).AsPlan().Build().RunAsync();

        var table = report.Tables.Single();
        (table.Identical, table.Conflicting).ShouldBe((1, 1), report.ToSummary());
    }

    [Test]
    public async Task A_policy_that_fails_the_table_leaves_it_as_it_was()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        string?[] first = ["1", "edited", null, null, null, null, null, null];
        string?[] second = ["2", "edited", null, null, null, null, null, null];
        await db.InsertAsync("accounts", first, second);
        var before = await db.ContentAsync("accounts");
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, AccountRows));
        var policy = MergePolicy.Custom("first-wins", args => args.Key.GetText("id") == "1" ? ConflictDecision.TakeDump : ConflictDecision.Fail("stop here"));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(policy).WithBatchSize(1).Build().RunAsync();

        report.Succeeded.ShouldBeFalse();
        var table = report.Tables.Single();
        table.Outcome.ShouldBe(TableOutcome.Failed);
        table.Errors.ShouldContain(e => e.Contains("stop here", StringComparison.Ordinal));
        (await db.ContentAsync("accounts")).ShouldBe(before);
    }

    [Test]
    public async Task A_value_the_database_rejects_fails_its_table_naming_the_dump_line_and_column_and_its_children_too()
    {
        await using var db = await CreateAsync(Accounts, Orders);
        using var dir = new TempDirectory();
        var dump = ContractDump.Write(
            dir.File("dump.sql"),
            (Accounts, [AccountRows[0], ["2", "x", null, "not a number", null, null, null, null]]),
            (Orders, [["1", "1", "5.00"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        var accounts = report.Tables.Single(t => t.Name.Name == "accounts");
        accounts.Outcome.ShouldBe(TableOutcome.Failed);
        accounts.Errors.ShouldContain(e => e.Contains("dump line 10", StringComparison.Ordinal) && e.Contains("balance", StringComparison.Ordinal), string.Join("\n", accounts.Errors));
        report.Tables.Single(t => t.Name.Name == "orders").Outcome.ShouldBe(TableOutcome.Failed);
        (await db.ContentAsync("accounts")).ShouldBeEmpty();
        (await db.ContentAsync("orders")).ShouldBeEmpty();
    }

    [Test]
    public async Task Parents_are_restored_before_their_children()
    {
        await using var db = await CreateAsync(Accounts, Orders);
        using var dir = new TempDirectory();
        string?[][] orders = [["1", "1", "5.00"], ["2", "3", "7.25"], ["3", "3", null]];

        // Children first in the dump: the engine orders by foreign key, and the database checks every reference.
        var dump = ContractDump.Write(dir.File("dump.sql"), (Orders, orders), (Accounts, AccountRows));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Select(t => t.Name.Name).ShouldBe(["accounts", "orders"]);
        (await db.ContentAsync("orders")).ShouldBe(Lines(orders));
    }

    [Test]
    public async Task A_lost_connection_is_retried_and_the_rows_are_applied_once()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        await db.InsertAsync("accounts", ["1", "edited", null, null, null, null, null, null]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, AccountRows));
        var policy = TakeDumpBreakingTheSessionOnce(db);

        var report = await db.Into(SelectiveRestore.FromDump(dump))
            .WithPolicy(policy)
            .WithRetry(QuickRetry)
            .Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var table = report.Tables.Single();
        (table.Attempts, table.Inserted, table.Updated).ShouldBe((2, 3, 1));
        report.Warnings.ShouldContain(w => w.Contains("reconnected", StringComparison.Ordinal));
        (await db.ContentAsync("accounts")).ShouldBe(Lines(AccountRows));
    }

    [Test]
    public async Task The_sequence_is_moved_past_restored_keys()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        await db.InsertAsync("accounts", AccountRows[0]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, [.. AccountRows, ["40", "late", null, null, null, null, null, null]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        report.Tables.Single().Notes.ShouldContain(n => n.Contains("sequence", StringComparison.Ordinal), report.ToSummary());
        (await db.NextValueAsync("accounts")).ShouldBe(41);
    }

    [Test]
    public async Task With_a_journal_in_the_target_a_rerun_applies_nothing_again()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, AccountRows));
        var journal = new TableName("public", "sr_journal");

        var first = await db.Into(SelectiveRestore.FromDump(dump)).WithJournalTable(journal).Build().RunAsync();
        var second = await db.Into(SelectiveRestore.FromDump(dump)).WithJournalTable(journal).Build().RunAsync();

        first.Succeeded.ShouldBeTrue(first.ToSummary());
        first.Tables.Single().Inserted.ShouldBe(4);
        second.Tables.Single().AppliedEarlier.ShouldBeTrue(second.ToSummary());
        (await db.ContentAsync("accounts")).ShouldBe(Lines(AccountRows));
    }

    [Test]
    public async Task A_plan_counts_and_writes_nothing()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        await db.InsertAsync("accounts", ["1", "edited", null, null, null, null, null, null]);
        var before = await db.ContentAsync("accounts");
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, AccountRows));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).AsPlan().WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        // What the apply would write, and which rows: the first keys of each.
        var table = report.Tables.Single();
        (table.Outcome, table.Missing, table.Conflicting, table.Inserted, table.Updated).ShouldBe((TableOutcome.Planned, 3, 1, 3, 1));
        table.InsertedKeys.Select(k => k.ShouldHaveSingleItem()).ShouldBe(["2", "3", "4"], ignoreOrder: true);
        table.UpdatedKeys.ShouldBe([["1"]]);
        (await db.ContentAsync("accounts")).ShouldBe(before);

        // Not reseeded either (an apply moves the sequence past id 4).
        (await db.NextValueAsync("accounts")).ShouldBe(1);
    }

    [Test]
    public async Task A_plan_runs_the_custom_policy_and_the_missing_row_filter_as_the_apply_does_and_writes_nothing()
    {
        await using var db = await CreateAsync(Accounts);
        using var dir = new TempDirectory();
        await db.InsertAsync("accounts", ["1", "edited", null, null, null, null, null, null], ["2", "edited", null, null, null, null, null, null]);
        var before = await db.ContentAsync("accounts");
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, AccountRows));
        var calls = new List<string>();
        var policy = MergePolicy.Custom("per-row", args =>
            {
                calls.Add("resolve " + args.Key.GetText("id"));
                return args.Key.GetText("id") == "1" ? ConflictDecision.TakeDump : ConflictDecision.Merge(new Dictionary<string, object?> { ["note"] = "merged" });
            })
            .WithMissingRowFilter(args =>
            {
                calls.Add("filter " + args.Key.GetText("id"));
                return args.Key.GetText("id") != "4";
            });

        var plan = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(policy).AsPlan().Build().RunAsync();

        plan.Succeeded.ShouldBeTrue(plan.ToSummary());
        calls.ShouldBe(["filter 3", "filter 4", "resolve 1", "resolve 2"]);
        var planned = plan.Tables.Single();
        (planned.Outcome, planned.Missing, planned.Conflicting, planned.Inserted, planned.Updated, planned.Skipped).ShouldBe((TableOutcome.Planned, 2, 2, 1, 2, 1));
        planned.InsertedKeys.ShouldBe([["3"]]);
        planned.UpdatedKeys.Select(k => k.ShouldHaveSingleItem()).ShouldBe(["1", "2"], ignoreOrder: true);
        (await db.ContentAsync("accounts")).ShouldBe(before);
        (await db.NextValueAsync("accounts")).ShouldBe(1);

        // The apply decides the same, and writes what the plan said it would.
        calls.Clear();
        var apply = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(policy).Build().RunAsync();
        apply.Succeeded.ShouldBeTrue(apply.ToSummary());
        calls.ShouldBe(["filter 3", "filter 4", "resolve 1", "resolve 2"]);
        var applied = apply.Tables.Single();
        (applied.Inserted, applied.Updated, applied.Skipped).ShouldBe((planned.Inserted, planned.Updated, planned.Skipped));
        (await db.ContentAsync("accounts")).ShouldBe(Lines([AccountRows[0], ["2", "edited", "merged", null, null, null, null, null], AccountRows[2]]));
    }

    [Test]
    public async Task A_child_only_plan_warns_that_parent_rows_are_missing_and_the_apply_fails_naming_them()
    {
        await using var db = await CreateAsync(Accounts, Orders);
        using var dir = new TempDirectory();
        await db.InsertAsync("accounts", AccountRows[0]);
        var dump = ContractDump.Write(
            dir.File("dump.sql"),
            (Accounts, [AccountRows[0], AccountRows[1]]),
            (Orders, [["10", "1", "5.00"], ["11", "2", "6.00"], ["12", "2", "7.00"]]));

        var plan = await db.Into(SelectiveRestore.FromDump(dump)).IncludeTables("public.orders").AsPlan().Build().RunAsync();

        // Orders 11 and 12 belong to account 2, which is not live, and accounts is not part of this restore.
        var planned = plan.Tables.Single();
        (planned.Outcome, planned.Inserted).ShouldBe((TableOutcome.Planned, 3));
        var warning = planned.Warnings.ShouldHaveSingleItem();
        warning.ShouldStartWith("the apply would fail this table: 2 rows to be written reference rows of public.accounts that are not there (foreign key ");
        warning.ShouldContain("e.g. account_id=2 in the row with key (id=11)), and public.accounts is not part of this restore");
        warning.ShouldEndWith("add public.accounts to the restore (-t public.accounts) so that its rows are restored first");
        plan.ToSummary().ShouldContain("warning: the apply would fail this table");

        var apply = await db.Into(SelectiveRestore.FromDump(dump)).IncludeTables("public.orders").Build().RunAsync();

        var failed = apply.Tables.Single();
        failed.Outcome.ShouldBe(TableOutcome.Failed);
        var error = failed.Errors.ShouldHaveSingleItem();
        error.ShouldStartWith("2 rows to be written reference rows of public.accounts that are not there (foreign key ");
        error.ShouldContain("nothing is applied to this table; add public.accounts to the restore (-t public.accounts)");
        (await db.ContentAsync("orders")).ShouldBeEmpty();

        // With the parent selected, its rows come first and the children follow.
        var both = await db.Into(SelectiveRestore.FromDump(dump)).IncludeTables("public.orders", "public.accounts").Build().RunAsync();
        both.Succeeded.ShouldBeTrue(both.ToSummary());
        both.Tables.Single(t => t.Name.Name == "orders").Inserted.ShouldBe(3);
    }

    [Test]
    public async Task A_table_without_a_key_is_matched_copy_for_copy()
    {
        await using var db = await CreateAsync(Events);
        using var dir = new TempDirectory();
        string?[] login = ["login", "2026-03-01 00:00:00+00", "1"];
        string?[] logout = ["logout", null, null];
        string?[] other = ["", "2026-03-02 00:00:00+00", "0"];
        await db.InsertAsync("events", login, other);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Events, [login, login, logout, login]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        var table = report.Tables.Single();
        table.MatchedOnWholeRows.ShouldBeTrue();
        (table.Missing, table.Identical, table.LiveOnly, table.Inserted).ShouldBe((3, 1, 1, 3), report.ToSummary());
        (await db.ContentAsync("events")).ShouldBe(Lines([login, login, login, logout, other]));
        var again = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();
        again.Tables.Single().Inserted.ShouldBe(0);
    }

    [Test]
    public async Task A_missing_row_filter_decides_copy_by_copy_in_a_table_without_a_key()
    {
        await using var db = await CreateAsync(Events);
        using var dir = new TempDirectory();
        string?[] login = ["login", "2026-03-01 00:00:00+00", "1"];
        string?[] logout = ["logout", null, null];
        var dump = ContractDump.Write(dir.File("dump.sql"), (Events, [login, logout, login, logout, login]));

        // The filter takes the first two copies of each row it is asked about, whatever their order.
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var policy = MergePolicy.PreferLive.WithMissingRowFilter(args =>
        {
            var kind = args.Dump.GetText("kind")!;
            seen[kind] = seen.GetValueOrDefault(kind) + 1;
            return seen[kind] <= 2;
        });
        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(policy).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var table = report.Tables.Single();
        (table.Missing, table.Inserted, table.Skipped).ShouldBe((5, 4, 1), report.ToSummary());
        (await db.ContentAsync("events")).ShouldBe(Lines([login, login, logout, logout]));
    }

    /// <summary>
    /// The backup: five people and a note each. Live since: person 2's id now belongs to someone else (a collision),
    /// person 3 lives under id 7 (relocated), person 4 has no email and was edited (undetermined), person 5 is gone.
    /// </summary>
    private async Task<(IContractDatabase Db, string Dump)> IdentityScenarioAsync(TempDirectory dir)
    {
        var db = await CreateAsync(People, Notes);
        await db.InsertAsync("people", ["1", "a@x", "Ann"], ["2", "z@x", "Zed"], ["4", null, "Dee (edited)"], ["7", "c@x", "Cy"]);
        var dump = ContractDump.Write(
            dir.File("dump.sql"),
            (People, [["1", "a@x", "Ann"], ["2", "b@x", "Bob"], ["3", "c@x", "Cy"], ["4", null, "Dee"], ["5", "e@x", "Eve"]]),
            (Notes, [.. Enumerable.Range(1, 5).Select(i => new string?[] { $"{i}", $"{i}", $"note of {i}" })]));
        return (db, dump);
    }

    [Test]
    public async Task With_an_identity_key_a_reused_id_is_a_collision_never_merged_and_rows_under_it_are_held_back()
    {
        using var dir = new TempDirectory();
        var (db, dump) = await IdentityScenarioAsync(dir);
        await using var scope = db;

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.people", "email").WithPolicy(MergePolicy.PreferDump).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var people = report.Tables.Single(t => t.Name.Name == "people");
        (people.Identical, people.Collisions, people.Relocated, people.Undetermined, people.Missing, people.Inserted, people.Updated).ShouldBe((1L, 1L, 1L, 1L, 1L, 1L, 0L));
        people.CollisionKeys.Select(k => string.Join(",", k)).ShouldBe(["2"]);
        people.UndeterminedKeys.Select(k => string.Join(",", k)).ShouldBe(["4"]);
        people.Remaps.ShouldBe([new KeyRemap(["3"], ["7"], RemapKind.LiveEntity)]);
        var notes = report.Tables.Single(t => t.Name.Name == "notes");
        (notes.Inserted, notes.HeldBack).ShouldBe((3L, 2L));
        notes.HeldBackKeys.Select(k => string.Join(",", k)).ShouldBe(["2", "4"]);
        (await db.ContentAsync("people")).ShouldBe(Lines([["1", "a@x", "Ann"], ["2", "z@x", "Zed"], ["4", null, "Dee (edited)"], ["5", "e@x", "Eve"], ["7", "c@x", "Cy"]]));
        (await db.ContentAsync("notes")).ShouldBe(Lines([["1", "1", "note of 1"], ["3", "7", "note of 3"], ["5", "5", "note of 5"]]));
    }

    [Test]
    public async Task A_table_without_a_key_follows_its_parents_key_map_copy_for_copy()
    {
        await using var db = await CreateAsync(People, Visits);
        using var dir = new TempDirectory();
        await db.InsertAsync("people", ["1", "a@x", "Ann"], ["2", "z@x", "Zed"], ["4", null, "Dee (edited)"], ["7", "c@x", "Cy"]);
        await db.InsertAsync("visits", ["1", "home"], ["2", "zed's place"]);
        var dump = ContractDump.Write(
            dir.File("dump.sql"),
            (People, [["1", "a@x", "Ann"], ["2", "b@x", "Bob"], ["3", "c@x", "Cy"], ["4", null, "Dee"], ["5", "e@x", "Eve"]]),
            (Visits, [["1", "home"], ["1", "home"], ["2", "bob's place"], ["3", "cy's place"], ["5", "eve's place"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.people", "email").Build().RunAsync();

        // Bob's id belongs to Zed now: his visit is held back, never given to Zed; Cy lives under 7, and his visit follows.
        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var visits = report.Tables.Single(t => t.Name.Name == "visits");
        (visits.Missing, visits.Identical, visits.HeldBack, visits.LiveOnly, visits.Inserted).ShouldBe((3L, 1L, 1L, 1L, 3L), report.ToSummary());
        (await db.ContentAsync("visits")).ShouldBe(Lines([["1", "home"], ["1", "home"], ["2", "zed's place"], ["5", "eve's place"], ["7", "cy's place"]]));
        var again = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.people", "email").Build().RunAsync();
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());
        again.Tables.Single(t => t.Name.Name == "visits").HeldBack.ShouldBe(1);
    }

    [Test]
    public async Task A_value_the_database_rejects_in_a_held_back_row_fails_its_table_naming_the_dump_line_and_applies_nothing()
    {
        // Held rows are staged (so that they count as held): their values are checked like any other, and a bad one
        // names its dump line even though the row would never be written.
        using var dir = new TempDirectory();
        var db = await CreateAsync(People, Notes);
        await using var scope = db;
        await db.InsertAsync("people", ["1", "a@x", "Ann"], ["2", "z@x", "Zed"]);
        var dump = ContractDump.Write(
            dir.File("dump.sql"),
            (People, [["1", "a@x", "Ann"], ["2", "b@x", "Bob"]]),
            (Notes, [["1", "1", "note of 1"], ["not a number", "2", "note of 2"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.people", "email").Build().RunAsync();

        var notes = report.Tables.Single(t => t.Name.Name == "notes");
        notes.Outcome.ShouldBe(TableOutcome.Failed, report.ToSummary());
        notes.Errors.ShouldContain(e => e.Contains("dump line", StringComparison.Ordinal) && e.Contains("column id", StringComparison.Ordinal), string.Join("\n", notes.Errors));
        (await db.ContentAsync("notes")).ShouldBeEmpty();
    }

    [Test]
    public async Task A_remapped_collision_gets_a_new_id_from_the_sequence_and_its_children_follow_it()
    {
        using var dir = new TempDirectory();
        var (db, dump) = await IdentityScenarioAsync(dir);
        await using var scope = db;

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.people", "email").OnCollision(CollisionHandling.Remap).Build().RunAsync();
        var again = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.people", "email").OnCollision(CollisionHandling.Remap).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var people = report.Tables.Single(t => t.Name.Name == "people");
        (people.Inserted, people.Remapped).ShouldBe((2L, 1L));
        people.Remaps.ShouldBe([new KeyRemap(["2"], ["8"], RemapKind.NewKey), new KeyRemap(["3"], ["7"], RemapKind.LiveEntity)], ignoreOrder: true);
        report.Tables.Single(t => t.Name.Name == "notes").Inserted.ShouldBe(4);
        (await db.ContentAsync("people")).ShouldContain(ContractDump.Line(["8", "b@x", "Bob"]));
        (await db.ContentAsync("notes")).ShouldBe(Lines([["1", "1", "note of 1"], ["2", "8", "note of 2"], ["3", "7", "note of 3"], ["5", "5", "note of 5"]]));

        // A re-run finds Bob under his new id (relocated) and his note identical: nothing is written again.
        again.Succeeded.ShouldBeTrue(again.ToSummary());
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());
        again.Tables.Single(t => t.Name.Name == "people").Remaps.ShouldContain(new KeyRemap(["2"], ["8"], RemapKind.LiveEntity));
    }

    [Test]
    public async Task After_a_lost_connection_the_children_of_a_remapped_parent_still_follow_its_new_keys()
    {
        using var dir = new TempDirectory();
        var (db, dump) = await IdentityScenarioAsync(dir);
        await using var scope = db;
        await db.InsertAsync("notes", ["1", "1", "edited"]);

        // The connection drops while the notes are applied, after people (and Bob's new key) committed: the retry must
        // still know people's key map (the engine's, so the lost session does not take it) for note 2 to follow him.
        var policy = TakeDumpBreakingTheSessionOnce(db);
        var report = await db.Into(SelectiveRestore.FromDump(dump))
            .WithIdentityKey("public.people", "email").OnCollision(CollisionHandling.Remap)
            .WithPolicy("public.notes", policy)
            .WithRetry(QuickRetry)
            .Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var notes = report.Tables.Single(t => t.Name.Name == "notes");
        (notes.Attempts, notes.Inserted, notes.Updated).ShouldBe((2, 3L, 1L));
        (await db.ContentAsync("notes")).ShouldBe(Lines([["1", "1", "note of 1"], ["2", "8", "note of 2"], ["3", "7", "note of 3"], ["5", "5", "note of 5"]]));
        (await db.ContentAsync("people")).ShouldContain(ContractDump.Line(["8", "b@x", "Bob"]));
    }

    [TestCase(CollisionHandling.Skip)]
    [TestCase(CollisionHandling.Remap)]
    public async Task Rows_that_reference_their_own_table_follow_a_remapped_row_or_are_held_back_under_a_skipped_one(CollisionHandling collisions)
    {
        await using var db = await CreateAsync(Staff);
        using var dir = new TempDirectory();
        await db.InsertAsync("staff", ["1", "boss@x", null], ["2", "other@x", "1"]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Staff, [["1", "boss@x", null], ["2", "mid@x", "1"], ["3", "low@x", "2"], ["5", "new@x", "3"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.staff", "email").OnCollision(collisions).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var staff = report.Tables.Single();
        if (collisions == CollisionHandling.Skip)
        {
            // mid@x collides with other@x; low@x reports to mid, new@x to low: both held back, to any depth.
            (staff.Collisions, staff.HeldBack, staff.Inserted).ShouldBe((1L, 2L, 0L));
            staff.HeldBackKeys.Select(k => string.Join(",", k)).ShouldBe(["3", "5"]);
            (await db.ContentAsync("staff")).ShouldBe(Lines([["1", "boss@x", null], ["2", "other@x", "1"]]));
        }
        else
        {
            // mid@x gets id 6 (above every key live and in the dump); low@x now reports to 6.
            (staff.Remapped, staff.Inserted, staff.HeldBack).ShouldBe((1L, 3L, 0L));
            (await db.ContentAsync("staff")).ShouldBe(Lines([["1", "boss@x", null], ["2", "other@x", "1"], ["3", "low@x", "6"], ["5", "new@x", "3"], ["6", "mid@x", "1"]]));
        }
    }

    [Test]
    public async Task Verify_counts_rows_and_orders_key_ranges_as_the_database_does()
    {
        var codes = new ContractTable("codes", [new("code", ContractType.Text, NotNull: true), new("v", ContractType.Integer)], ["code"]);
        await using var db = await CreateAsync(Accounts, codes);
        using var dir = new TempDirectory();
        string?[] edited = ["2", "edited", null, "0", "-0", "f", "1999-12-31 23:59:59.5+00", "\\x"];
        string?[] tenth = ["10", "ten", null, null, null, null, null, null];
        await db.InsertAsync("accounts", AccountRows[0], edited, AccountRows[2], ["5", "since", null, null, null, null, null, null], ["20", "far", null, null, null, null, null, null]);
        await db.InsertAsync("codes", ["a", "1"], ["b", "2"], ["z", "3"]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Accounts, [.. AccountRows, tenth]), (codes, [["a", "1"], ["c", "3"], ["e", "5"]]));

        var report = await db.Into(BackupVerification.FromDump(dump)).Build().RunAsync();

        // As text, "10" < "5" < "9": the integer key's range is numeric.
        var accounts = report.Tables.Single(t => t.Name.Name == "accounts");
        (accounts.Missing, accounts.Identical, accounts.Conflicting, accounts.LiveOnly, accounts.LiveOnlyInDumpRange).ShouldBe((2L, 2L, 1L, 2L, 1L), report.ToSummary());
        (accounts.DumpMinKey, accounts.DumpMaxKey, accounts.LiveMinKey, accounts.LiveMaxKey).ShouldBe(("1", "10", "1", "20"));
        var codesReport = report.Tables.Single(t => t.Name.Name == "codes");
        (codesReport.Missing, codesReport.Identical, codesReport.LiveOnly, codesReport.LiveOnlyInDumpRange).ShouldBe((2L, 1L, 2L, 1L));
        (codesReport.DumpMinKey, codesReport.DumpMaxKey, codesReport.LiveMinKey, codesReport.LiveMaxKey).ShouldBe(("a", "e", "a", "z"));
    }

    private static RestoreRetryOptions QuickRetry => new() { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(10) };

    /// <summary>Takes the dump's row for every conflict, and drops the restore's connection the first time it is asked.</summary>
    private static MergePolicy TakeDumpBreakingTheSessionOnce(IContractDatabase db)
    {
        var broken = 0;
        return MergePolicy.Custom("break-once", async _ =>
        {
            if (Interlocked.Increment(ref broken) == 1)
            {
                await db.BreakSessionAsync();
            }

            return ConflictDecision.TakeDump;
        });
    }

    private static List<string> Lines(IEnumerable<string?[]> rows) => [.. rows.Select(ContractDump.Line).Order(StringComparer.Ordinal)];
}
