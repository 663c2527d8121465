using System.Globalization;
using System.Text.Json;
using Selective.Restore.Tests.Providers;
using Selective.Restore.Tests.Providers.InMemory;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Engine;

/// <summary>
/// A plan on the in-memory database: it decides as the apply would, lists only the first keys of what it would
/// write, says "would" in its summary, refuses what the apply would refuse, and never commits.
/// </summary>
public sealed class PlanTests
{
    private static readonly ContractTable Users = new(
        "users", [new("id", ContractType.Integer, NotNull: true), new("name", ContractType.Text), new("score", ContractType.Numeric)], ["id"]);

    private static string?[] User(int id, string? name = null) =>
        [id.ToString(CultureInfo.InvariantCulture), name ?? $"user {id}", (id * 1.5m).ToString("0.00", CultureInfo.InvariantCulture)];

    private static async Task<(InMemoryContractDatabase Db, string Dump)> IncidentAsync(TempDirectory dir)
    {
        // 25 users in the backup; live lost 20 of them and renamed the other 5.
        var db = new InMemoryContractDatabase([Users]);
        await db.InsertAsync("users", [.. Enumerable.Range(1, 5).Select(i => User(i, "renamed"))]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [.. Enumerable.Range(1, 25).Select(i => User(i))]));
        return (db, dump);
    }

    [Test]
    public async Task A_plan_lists_the_first_ten_keys_of_what_it_would_write_says_would_and_never_commits()
    {
        using var dir = new TempDirectory();
        var (db, dump) = await IncidentAsync(dir);
        var before = await db.ContentAsync("users");
        var operations = new List<string>();
        db.Database.BeforeOperation = operations.Add;

        var plan = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(MergePolicy.PreferDump).AsPlan().Build().RunAsync();

        plan.Succeeded.ShouldBeTrue(plan.ToSummary());
        var table = plan.Tables.Single();
        (table.Outcome, table.Missing, table.Conflicting, table.Inserted, table.Updated).ShouldBe((TableOutcome.Planned, 20, 5, 20, 5));
        table.InsertedKeys.Count.ShouldBe(10); // of 20: the list is bounded, the count is not
        table.InsertedKeys.ShouldAllBe(k => int.Parse(k.Single(), CultureInfo.InvariantCulture) > 5);
        table.UpdatedKeys.Select(k => k.Single()).ShouldBe(["1", "2", "3", "4", "5"], ignoreOrder: true);

        var summary = plan.ToSummary();
        summary.ShouldContain("Nothing was written: the policies ran in a transaction that was rolled back");
        summary.ShouldContain("would insert would update would skip  outcome");
        summary.ShouldMatch(@"would insert keys: (\(\d+\) ){9}\(\d+\) and 10 more\n");
        summary.ShouldContain("would update keys: (");
        summary.ShouldContain("1 tables, would insert 20, would update 5, would skip 0, 0 failed");
        using (var json = JsonDocument.Parse(plan.ToJson()))
        {
            var tableJson = json.RootElement.GetProperty("tables")[0];
            (tableJson.GetProperty("inserted").GetInt64(), tableJson.GetProperty("insertedKeys").GetArrayLength(), tableJson.GetProperty("updatedKeys").GetArrayLength()).ShouldBe((20, 10, 5));
        }

        // Begun, never committed; nothing written.
        operations.ShouldContain("begin");
        operations.ShouldNotContain("commit");
        (await db.ContentAsync("users")).ShouldBe(before);

        // Fewer when the report's key limit is lower; an apply's summary has no "would".
        var limited = await db.Into(SelectiveRestore.FromDump(dump)).AsPlan().WithReportedKeyLimit(3).Build().RunAsync();
        limited.Tables.Single().InsertedKeys.Count.ShouldBe(3);
        limited.ToSummary().ShouldMatch(@"would insert keys: (\(\d+\) ){2}\(\d+\) and 17 more\n");
        var apply = await db.Into(SelectiveRestore.FromDump(dump)).Build().RunAsync();
        apply.ToSummary().ShouldNotContain("would");
        (apply.Tables.Single().InsertedKeys.Count, apply.Tables.Single().Inserted).ShouldBe((0, 20));
    }

    [Test]
    public async Task A_plan_refuses_what_the_apply_would_refuse_and_fails_the_table_as_the_policy_says()
    {
        using var dir = new TempDirectory();
        var (db, dump) = await IncidentAsync(dir);

        // A merged row may not change the key: the apply's write refuses it, so the plan does too.
        var changesKey = MergePolicy.Custom("changes-key", _ => ConflictDecision.Merge(new Dictionary<string, object?> { ["id"] = 99 }));
        var plan = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(changesKey).AsPlan().Build().RunAsync();
        var apply = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(changesKey).Build().RunAsync();

        plan.Tables.Single().Outcome.ShouldBe(TableOutcome.Failed);
        plan.Tables.Single().Errors.ShouldHaveSingleItem().ShouldBe("a merged row may not change key column 'id'");
        apply.Tables.Single().Errors.ShouldHaveSingleItem().ShouldBe("a merged row may not change key column 'id'");

        // fail-on-conflict fails the table in a plan as in an apply, with the same words.
        var strict = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(MergePolicy.FailOnConflict).AsPlan().Build().RunAsync();
        strict.Tables.Single().Errors.ShouldHaveSingleItem().ShouldBe("5 rows conflict with live rows and the policy is fail-on-conflict");
        db.Database["users"].Rows.Count.ShouldBe(5);
    }

    [Test]
    public async Task A_cancelled_plan_says_it_wrote_nothing_rather_than_that_tables_stay_applied()
    {
        using var dir = new TempDirectory();
        var tags = new ContractTable("tags", [new("id", ContractType.Integer, NotNull: true), new("label", ContractType.Text)], ["id"]);
        var db = new InMemoryContractDatabase([Users, tags]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Users, [User(1), User(2)]), (tags, [["1", "a"]]));
        using var cancel = new CancellationTokenSource();
        var begun = 0;
        db.Database.BeforeOperation = operation =>
        {
            if (operation == "begin" && ++begun == 2)
            {
                cancel.Cancel(); // the first table is planned; the second begins
            }
        };

        // The task ends cancelled (the exception carries the token), so it is caught rather than asserted on the task.
        RestoreCanceledException? caught = null;
        try
        {
            await db.Into(SelectiveRestore.FromDump(dump)).AsPlan().Build().RunAsync(cancel.Token);
        }
        catch (RestoreCanceledException cancelled)
        {
            caught = cancelled;
        }

        var ex = caught.ShouldNotBeNull();
        ex.Report.Errors.ShouldBe(["cancelled: the plan stopped after planning 1 tables (nothing was written)"]);
        var (first, second) = (ex.Report.Tables[0], ex.Report.Tables[1]);
        (first.Outcome, first.Inserted, second.Outcome, second.InsertedKeys.Count).ShouldBe((TableOutcome.Planned, first.DumpRows, TableOutcome.Cancelled, 0));
        db.Database["users"].Rows.ShouldBeEmpty();
        db.Database["tags"].Rows.ShouldBeEmpty();
    }
}
