using System.Globalization;
using Selective.Restore.Diff;
using Selective.Restore.Tests.Providers;
using Selective.Restore.Tests.Providers.InMemory;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Engine;

/// <summary>
/// The engine's logic on the in-memory database, without a server: classification at size in any physical order and
/// under a small memory budget, policies and filters, bad dumps, failure containment, retries, cancellation and resume.
/// </summary>
public sealed class InMemoryEngineTests
{
    private static readonly ContractTable Users = new(
        "users",
        [new("id", ContractType.Integer, NotNull: true), new("name", ContractType.Text), new("score", ContractType.Numeric), new("active", ContractType.Boolean)],
        ["id"]);

    private static readonly ContractTable Posts = new(
        "posts",
        [new("id", ContractType.BigInt, NotNull: true), new("user_id", ContractType.Integer), new("body", ContractType.Text)],
        ["id"])
    { References = [("user_id", "users")] };

    private static readonly ContractTable Tags = new("tags", [new("id", ContractType.Integer, NotNull: true), new("label", ContractType.Text)], ["id"]);

    private static string?[] User(int id, string? name = null) =>
        [id.ToString(CultureInfo.InvariantCulture), name ?? $"user {id}", (id * 1.5m).ToString("0.00", CultureInfo.InvariantCulture), id % 2 == 0 ? "t" : "f"];

    private static string?[] Post(int id, int user) =>
        [id.ToString(CultureInfo.InvariantCulture), user.ToString(CultureInfo.InvariantCulture), $"post {id} by {user}"];

    [TestCase("same", 64 * 1024 * 1024)]
    [TestCase("reversed", 64 * 1024 * 1024)]
    [TestCase("shuffled", 64 * 1024 * 1024)]
    [TestCase("shuffled", 64 * 1024)]
    public async Task Every_row_is_classified_exactly_whatever_the_live_order_and_memory_budget(string order, long budget)
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users]);
        var backup = Enumerable.Range(1, 20_000).Select(i => User(i)).ToArray();

        // Live: every 10th row deleted, every 25th edited, 300 rows added since; in the chosen physical order.
        var live = backup.Where(r => int.Parse(r[0]!, CultureInfo.InvariantCulture) % 10 != 0)
            .Select(r => int.Parse(r[0]!, CultureInfo.InvariantCulture) % 25 == 1 ? User(int.Parse(r[0]!, CultureInfo.InvariantCulture), "edited") : r)
            .Concat(Enumerable.Range(30_001, 300).Select(i => User(i)))
            .ToList();
        live = order switch
        {
            "reversed" => [.. Enumerable.Reverse(live)],
            "shuffled" => [.. live.OrderBy(r => (r[0]!.GetHashCode(StringComparison.Ordinal) * 7919) ^ 0x5bd1e995)],
            _ => live,
        };
        await db.InsertAsync("users", [.. live]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, backup));

        var report = await db.Into(SelectiveRestore.FromDump(dump))
            .WithDiffOptions(new DiffOptions { MemoryBudget = budget, TempDirectory = dir.Path })
            .Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var table = report.Tables.Single();
        var edited = Enumerable.Range(1, 20_000).Count(i => i % 10 != 0 && i % 25 == 1);
        (table.Missing, table.Identical, table.Conflicting, table.LiveOnly).ShouldBe((2_000, 18_000 - edited, edited, 300));
        (table.Inserted, table.Updated).ShouldBe((2_000, 0));
        db.Database["users"].Rows.Count.ShouldBe(20_300);
    }

    [Test]
    public async Task A_thousand_remapped_collisions_under_a_64_KiB_budget_spill_their_key_map_and_every_child_follows()
    {
        // An old backup restored over reused ids: every account id now names someone else. Identity by name.
        using var dir = new TempDirectory();
        var accounts = new ContractTable("accounts", [new("id", ContractType.Integer, NotNull: true), new("name", ContractType.Text)], ["id"]) { Serial = "id" };
        var notes = new ContractTable("notes", [new("id", ContractType.Integer, NotNull: true), new("account_id", ContractType.Integer), new("body", ContractType.Text)], ["id"])
        { References = [("account_id", "accounts")] };
        var db = new InMemoryContractDatabase([accounts, notes]);
        const int Count = 1_000;
        string?[] Account(int id, string who) => [id.ToString(CultureInfo.InvariantCulture), $"{who} {id}"];
        await db.InsertAsync("accounts", [.. Enumerable.Range(1, Count).Select(i => Account(i, "newcomer"))]);
        var dump = ContractDump.Write(
            dir.File("dump.sql"),
            (accounts, [.. Enumerable.Range(1, Count).Select(i => Account(i, "original"))]),
            (notes, [.. Enumerable.Range(1, Count).Select(i => new string?[] { $"{i}", $"{i}", $"note of original {i}" })]));

        var reclassified = 0;
        db.Database.BeforeOperation = operation => reclassified += operation == "reclassify" ? 1 : 0;
        var report = await db.Into(SelectiveRestore.FromDump(dump))
            .WithDiffOptions(new DiffOptions { MemoryBudget = DiffOptions.MinimumBudget, TempDirectory = dir.Path })
            .WithIdentityKey("accounts", "name").OnCollision(CollisionHandling.Remap).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        var restored = report.Tables.Single(t => t.Name.Name == "accounts");
        (restored.Collisions, restored.Remapped, restored.Inserted).ShouldBe((Count, Count, Count));

        // The collisions go to the target once, as remapped rows with their new keys (not first as collisions).
        reclassified.ShouldBe(1);
        db.Database.BeforeOperation = null;
        report.Tables.Single(t => t.Name.Name == "notes").Inserted.ShouldBe(Count);

        // Every note is attached to its original author under the author's new id, none to a newcomer.
        var owners = (await db.ContentAsync("accounts")).Select(line => line.Split('\t')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        (await db.ContentAsync("notes")).Select(line => line.Split('\t')).ShouldAllBe(f => owners[f[1]] == "original " + f[0]);
        var again = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("accounts", "name").OnCollision(CollisionHandling.Remap).Build().RunAsync();
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());
    }

    [Test]
    public async Task A_custom_policy_decides_each_conflict_and_merged_values_are_written_typed()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users]);
        await db.InsertAsync("users", User(1, "live 1"), User(2, "live 2"), User(3, "live 3"), User(4, "live 4"), ["5", "live 5", null, "f"]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [.. Enumerable.Range(1, 6).Select(i => User(i))]));
        var seen = new List<string>();
        var policy = MergePolicy.Custom("per-row", args =>
        {
            seen.Add(args.Key.GetText("id")!);
            args.Dump.Get<decimal>("score").ShouldBe(int.Parse(args.Key.GetText("id")!, CultureInfo.InvariantCulture) * 1.5m);
            return args.Key.Get<int>("id") switch
            {
                1 => ConflictDecision.TakeDump,
                2 => ConflictDecision.KeepLive,
                3 => ConflictDecision.Skip,
                4 => ConflictDecision.Merge(new Dictionary<string, object?> { ["score"] = 99.5m, ["active"] = true }),
                _ => ConflictDecision.Merge(new Dictionary<string, object?> { ["score"] = args.Dump["score"], ["name"] = null }),
            };
        });

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(policy).WithBatchSize(2).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        seen.Order(StringComparer.Ordinal).ShouldBe(["1", "2", "3", "4", "5"]);
        var table = report.Tables.Single();
        (table.Conflicting, table.Inserted, table.Updated, table.Skipped).ShouldBe((5, 1, 3, 1));
        (await db.ContentAsync("users")).ShouldBe(Lines([User(1), User(2, "live 2"), User(3, "live 3"), ["4", "live 4", "99.5", "t"], ["5", null, "7.50", "f"], User(6)]));
    }

    [Test]
    public async Task A_missing_row_filter_leaves_rows_out_and_counts_them_skipped()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [.. Enumerable.Range(1, 10).Select(i => User(i))]));
        var policy = MergePolicy.PreferLive.WithMissingRowFilter(args => args.Dump.Get<bool>("active"));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(policy).WithBatchSize(3).Build().RunAsync();

        var table = report.Tables.Single();
        (table.Missing, table.Inserted, table.Skipped).ShouldBe((10, 5, 5), report.ToSummary());
        (await db.ContentAsync("users")).ShouldBe(Lines(Enumerable.Range(1, 10).Where(i => i % 2 == 0).Select(i => User(i))));
    }

    [Test]
    public async Task Two_different_rows_under_one_key_fail_the_table_naming_both_dump_lines_and_an_exact_repeat_is_kept_once()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        var dump = ContractDump.Write(
            dir.File("dump.sql"),
            (Users, [User(1), User(2), User(3), User(2, "someone else")]),
            (Tags, [["1", "a"], ["2", "b"], ["1", "a"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        var users = report.Tables.Single(t => t.Name.Name == "users");
        users.Outcome.ShouldBe(TableOutcome.Failed);
        users.Errors.ShouldContain(e => e.Contains("dump lines 10 and 12", StringComparison.Ordinal), string.Join("\n", users.Errors));
        db.Database["users"].Rows.ShouldBeEmpty();
        var tags = report.Tables.Single(t => t.Name.Name == "tags");
        (tags.Outcome, tags.Inserted).ShouldBe((TableOutcome.Applied, 2));
        tags.Warnings.ShouldContain(w => w.Contains("repeat", StringComparison.OrdinalIgnoreCase), string.Join("\n", tags.Warnings));
    }

    [Test]
    public async Task A_null_key_in_the_dump_never_matches_and_fails_its_table()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users]);
        await db.InsertAsync("users", User(1));
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), [null, "no key", null, null], User(2)]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();

        var table = report.Tables.Single();
        table.Outcome.ShouldBe(TableOutcome.Failed);
        table.Errors.ShouldContain(e => e.Contains("NULL", StringComparison.Ordinal), string.Join("\n", table.Errors));
        db.Database["users"].Rows.Count.ShouldBe(1);
    }

    [Test]
    public async Task A_parent_whose_policy_decides_per_row_fails_its_children_with_it_while_unrelated_tables_are_applied()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Posts, Tags]);
        await db.InsertAsync("users", User(1, "changed"));
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), User(2)]), (Posts, [Post(1, 1), Post(2, 2)]), (Tags, [["1", "a"]]));

        // A per-row policy may remap rows, so the children cannot be restored without the parent's decisions.
        var report = await db.Into(SelectiveRestore.FromDump(dump))
            .WithPolicy("public.users", MergePolicy.Custom("refuse", _ => ConflictDecision.Fail("not today")))
            .Build().RunAsync();

        report.Tables.Single(t => t.Name.Name == "users").Outcome.ShouldBe(TableOutcome.Failed);
        var posts = report.Tables.Single(t => t.Name.Name == "posts");
        posts.Outcome.ShouldBe(TableOutcome.Failed);
        // The child's error names the parent's own error and the real reason (a per-row policy), not an identity key nobody declared.
        var error = posts.Errors.ShouldHaveSingleItem();
        error.ShouldContain("it references public.users, which failed (policy refuse failed the table at key (id=1): not today)");
        error.ShouldContain("public.users's policy refuse decides its conflicts row by row");
        error.ShouldNotContain("identity");
        report.Tables.Single(t => t.Name.Name == "tags").Inserted.ShouldBe(1);
        db.Database["users"].Rows.Count.ShouldBe(1);
        db.Database["posts"].Rows.ShouldBeEmpty();
    }

    [Test]
    public async Task A_parent_with_an_identity_key_that_fails_names_its_error_and_the_identity_key_in_every_descendant()
    {
        using var dir = new TempDirectory();
        var comments = new ContractTable("comments", [new("id", ContractType.Integer, NotNull: true), new("post_id", ContractType.BigInt), new("body", ContractType.Text)], ["id"])
        { References = [("post_id", "posts")] };
        var db = new InMemoryContractDatabase([Users, Posts, comments, Tags]);
        await db.InsertAsync("users", User(1, "someone else"));
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), User(2)]), (Posts, [Post(1, 2)]), (comments, [["1", "1", "hi"]]), (Tags, [["1", "a"]]));

        // Same id, another name: a collision, which this restore fails on.
        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithIdentityKey("public.users", "name").OnCollision(CollisionHandling.Fail).Build().RunAsync();

        var users = report.Tables.Single(t => t.Name.Name == "users");
        users.Outcome.ShouldBe(TableOutcome.Failed);
        var posts = report.Tables.Single(t => t.Name.Name == "posts").Errors.ShouldHaveSingleItem();
        posts.ShouldStartWith($"not restored: it references public.users, which failed ({users.Errors[0]}); public.users's identity key (name) decides");
        var child = report.Tables.Single(t => t.Name.Name == "comments").Errors.ShouldHaveSingleItem();
        child.ShouldStartWith("not restored: it references public.posts, which is not restored because public.users failed (");
        child.ShouldContain("public.users's identity key (name)");
        report.Tables.Single(t => t.Name.Name == "tags").Outcome.ShouldBe(TableOutcome.Applied);
        db.Database["posts"].Rows.ShouldBeEmpty();
    }

    [Test]
    public async Task In_one_transaction_a_failing_table_rolls_back_the_tables_applied_before_it()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        await db.InsertAsync("tags", ["1", "changed"]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), User(2)]), (Tags, [["1", "a"], ["2", "b"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump))
            .WithPolicy("public.tags", MergePolicy.FailOnConflict)
            .WithTransactionMode(TransactionMode.SingleTransaction)
            .Build().RunAsync();

        report.Tables.ShouldAllBe(t => t.Outcome == TableOutcome.Failed, report.ToSummary());
        db.Database["users"].Rows.ShouldBeEmpty();
        (await db.ContentAsync("tags")).ShouldBe(Lines([["1", "changed"]]));
    }

    [Test]
    public async Task A_transient_failure_is_retried_and_a_permanent_one_is_not()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), User(2)]), (Tags, [["1", "a"]]));
        var applies = 0;
        db.Database.BeforeOperation = operation =>
        {
            if (operation == "apply" && ++applies == 1)
            {
                throw new InMemoryTransientException("could not serialize access due to concurrent update");
            }
        };

        var retried = await db.Into(SelectiveRestore.FromDump(dump))
            .WithRetry(new RestoreRetryOptions { MaxRetryAttempts = 3, Delay = TimeSpan.FromMilliseconds(1) })
            .Build().RunAsync();

        retried.Succeeded.ShouldBeTrue(retried.ToSummary());
        retried.Tables.Select(t => t.Attempts).Order().ShouldBe([1, 2]); // the first table applied was retried once
        (db.Database["users"].Rows.Count, db.Database["tags"].Rows.Count).ShouldBe((2, 1));

        var other = new InMemoryContractDatabase([Users, Tags]);
        other.Database.BeforeOperation = operation =>
        {
            if (operation == "apply")
            {
                throw new InMemoryDataException("permission denied for table users");
            }
        };
        var failed = await other.Into(SelectiveRestore.FromDump(dump))
            .WithRetry(new RestoreRetryOptions { MaxRetryAttempts = 3, Delay = TimeSpan.FromMilliseconds(1) })
            .Build().RunAsync();

        var users = failed.Tables.Single(t => t.Name.Name == "users");
        (users.Outcome, users.Attempts).ShouldBe((TableOutcome.Failed, 1));
        users.Errors.ShouldContain("permission denied for table users");
    }

    [Test]
    public async Task A_cancel_keeps_the_tables_committed_before_it_and_reports_the_rest_cancelled()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), User(2)]), (Tags, [["1", "a"]]));
        using var cancel = new CancellationTokenSource();
        var begun = 0;
        db.Database.BeforeOperation = operation =>
        {
            if (operation == "begin" && ++begun == 2)
            {
                cancel.Cancel(); // the first table committed; the second begins
            }
        };

        RestoreCanceledException? ex = null;
        try
        {
            await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync(cancel.Token);
        }
        catch (RestoreCanceledException caught)
        {
            ex = caught;
        }

        ex.ShouldNotBeNull();
        ex.Report.Cancelled.ShouldBeTrue();
        var (first, second) = (ex.Report.Tables[0], ex.Report.Tables[1]);
        (first.Outcome, second.Outcome).ShouldBe((TableOutcome.Applied, TableOutcome.Cancelled), ex.Report.ToSummary());
        db.Database[first.Name.Name].Rows.Count.ShouldBe((int)first.DumpRows);
        db.Database[second.Name.Name].Rows.ShouldBeEmpty();
    }

    [Test]
    public async Task A_resumed_run_applies_only_the_tables_the_journal_does_not_list()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Users, Tags]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), User(2)]), (Tags, [["1", "a"]]));
        var journal = dir.File("journal.jsonl");
        var applies = 0;
        db.Database.BeforeOperation = operation =>
        {
            if (operation == "apply" && ++applies == 2)
            {
                throw new InMemoryDataException("disk full"); // the second table fails, the first stays committed
            }
        };

        var first = await db.Into(SelectiveRestore.FromDump(dump)).WithJournal(journal).Build().RunAsync();
        db.Database.BeforeOperation = null;
        var second = await db.Into(SelectiveRestore.FromDump(dump)).WithJournal(journal).Build().RunAsync();

        (first.Tables[0].Outcome, first.Tables[1].Outcome).ShouldBe((TableOutcome.Applied, TableOutcome.Failed), first.ToSummary());
        second.Succeeded.ShouldBeTrue(second.ToSummary());
        var (earlier, now) = (second.Tables.Single(t => t.Name == first.Tables[0].Name), second.Tables.Single(t => t.Name == first.Tables[1].Name));
        (earlier.AppliedEarlier, now.AppliedEarlier, now.Inserted).ShouldBe((true, false, first.Tables[1].DumpRows));
        (db.Database["users"].Rows.Count, db.Database["tags"].Rows.Count).ShouldBe((2, 1));
    }

    [Test]
    public async Task A_dump_table_the_target_lacks_or_a_column_it_lacks_fails_only_that_table()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Tags]);
        var wider = Tags with { Columns = [.. Tags.Columns, new("color", ContractType.Text)] };
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1)]), (wider, [["1", "a", "red"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();
        var skipping = await db.Into(SelectiveRestore.FromDump(dump)).SkipUnknownColumns().ExcludeTables("public.users").Build().RunAsync();

        report.Tables.Single(t => t.Name.Name == "users").Errors.ShouldContain(e => e.Contains("no table public.users", StringComparison.Ordinal));
        report.Tables.Single(t => t.Name.Name == "tags").Errors.ShouldContain(e => e.Contains("color", StringComparison.Ordinal));
        skipping.Succeeded.ShouldBeTrue(skipping.ToSummary());
        (await db.ContentAsync("tags")).ShouldBe(Lines([["1", "a"]]));
    }

    private static List<string> Lines(IEnumerable<string?[]> rows) => [.. rows.Select(ContractDump.Line).Order(StringComparer.Ordinal)];

    [Test]
    public async Task What_the_catalog_says_about_a_table_is_reported_as_its_warnings()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryDatabase();
        db.Create(InMemoryContractDatabase.Shape(Tags) with { Notes = ["trigger trg_audit fires for the rows written (it may change or add rows)"] });
        var dump = ContractDump.Write(dir.File("dump.sql"), (Tags, [["1", "a"]]));

        var report = await SelectiveRestore.FromDump(dump).WithTarget(() => new InMemoryTarget(db)).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single().Warnings.ShouldContain("trigger trg_audit fires for the rows written (it may change or add rows)");
    }
}
