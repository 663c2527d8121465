using Selective.Restore.Tests.Providers;
using Selective.Restore.Tests.Providers.InMemory;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Engine;

/// <summary>What an application's policy code can rely on (issue 15): typed values that convert exactly or say why, and its exceptions reported with the key.</summary>
public sealed class PolicyContractTests
{
    private static readonly ContractTable Items = new(
        "items", [new("id", ContractType.Integer, NotNull: true), new("name", ContractType.Text), new("price", ContractType.Numeric)], ["id"]);

    [Test]
    public void Values_convert_exactly_or_say_which_column_and_types()
    {
        var row = new RowValues(["id", "price", "half", "note", "gone"], [42, 12.00m, 1.5m, "x", null], ["42", "12.00", "1.5", "x", null]);

        row.Get<int>("id").ShouldBe(42);
        row.Get<long>("id").ShouldBe(42L);
        row.Get<int>("price").ShouldBe(12);
        row.Get<decimal>("half").ShouldBe(1.5m);
        row.Get<decimal?>("gone").ShouldBeNull();
        row.Get<string>("gone").ShouldBeNull();
        row.Get<string>("note").ShouldBe("x");

        var inexact = Should.Throw<InvalidCastException>(() => row.Get<int>("half"));
        inexact.Message.ShouldContain("'half'");
        inexact.Message.ShouldContain("Decimal");
        inexact.Message.ShouldContain("Int32");
        Should.Throw<InvalidCastException>(() => row.Get<decimal>("gone")).Message.ShouldContain("read it as Decimal?");
        Should.Throw<InvalidCastException>(() => row.Get<int>("note")).Message.ShouldContain("String");
    }

    [Test]
    public async Task A_policy_that_throws_fails_its_table_with_the_exception_type_message_and_key()
    {
        using var dir = new TempDirectory();
        var db = new InMemoryContractDatabase([Items]);
        await db.InsertAsync("items", ["1", "live", "1.00"]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Items, [["1", "dump", "2.00"], ["2", "new", "3.00"]]));

        // A lambda that only throws fits both Custom overloads: the synchronous one is chosen, so this compiles.
        var policy = MergePolicy.Custom("strict", a => throw new InvalidOperationException($"no rule for {a.Key.GetText("id")}"));
        var report = await db.Into(SelectiveRestore.FromDump(dump)).WithPolicy(policy).Build().RunAsync();

        var table = report.Tables.Single();
        table.Outcome.ShouldBe(TableOutcome.Failed);
        var error = table.Errors.ShouldHaveSingleItem();
        error.ShouldContain("policy strict's resolver threw System.InvalidOperationException at key (id=1): no rule for 1");
        (await db.ContentAsync("items")).Count.ShouldBe(1); // nothing applied
    }

    [Test]
    public async Task The_report_names_the_policy_each_table_was_applied_with()
    {
        using var dir = new TempDirectory();
        var tags = new ContractTable("tags", [new("id", ContractType.Integer, NotNull: true), new("label", ContractType.Text)], ["id"]);
        var db = new InMemoryContractDatabase([Items, tags]);
        await db.InsertAsync("items", ["1", "live", "1.00"]);
        var dump = ContractDump.Write(dir.File("dump.sql"), (Items, [["1", "dump", "2.00"]]), (tags, [["1", "a"]]));

        var report = await db.Into(SelectiveRestore.FromDump(dump))
            .WithPolicy("public.items", MergePolicy.Custom("keep-live-names", _ => ConflictDecision.KeepLive))
            .Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "items").Policy.ShouldBe("keep-live-names");
        report.Tables.Single(t => t.Name.Name == "tags").Policy.ShouldBe("prefer-live");
        report.ToSummary().ShouldStartWith($"Restore from {dump} into ");
        report.ToSummary().Split('\n')[0].ShouldEndWith("policy prefer-live; per table: public.items keep-live-names");
        report.ToJson().ShouldContain("\"policy\": \"keep-live-names\"");
    }
}
