using Selective.Restore.SqlServer.Tests.Support;

namespace Selective.Restore.SqlServer.Tests.Journal;

/// <summary>The journal's statements parse as T-SQL for any journal name, and say how a lost commit is told.</summary>
public sealed class JournalStatementTests
{
    private static readonly TableName[] Journals =
    [
        new("dbo", "selective_restore_journal"),
        new("ops]", "journal]; DROP TABLE t; --"),
        new("Zoë", "журнал"),
    ];

    private static IEnumerable<TestCaseData> Statements() =>
        Journals.SelectMany(journal => new[]
        {
            new TestCaseData(SqlServerJournal.Create(journal)).SetName($"Create {journal}"),
            new TestCaseData(SqlServerJournal.Read(journal)).SetName($"Read {journal}"),
            new TestCaseData(SqlServerJournal.Record(journal)).SetName($"Record {journal}"),
            new TestCaseData(SqlServerJournal.IsCommitted(journal)).SetName($"IsCommitted {journal}"),
        }).Append(new TestCaseData(SqlServerJournal.TransactionId).SetName("TransactionId"));

    [TestCaseSource(nameof(Statements))]
    public void Parses_with_no_error(string sql) => TSql.ShouldParse(sql).Batches.ShouldHaveSingleItem();

    [Test]
    public void The_journal_is_the_one_named_and_values_are_parameters()
    {
        var journal = Journals[1];
        foreach (var sql in new[] { SqlServerJournal.Read(journal), SqlServerJournal.Record(journal), SqlServerJournal.IsCommitted(journal) })
        {
            TSql.Names(TSql.ShouldParse(sql)).ShouldAllBe(name => name.Count == 2 && ((name[0] == journal.Schema && name[1] == journal.Name) || name[0] == "sys"));
            sql.ShouldContain("@fingerprint");
        }
    }

    [Test]
    public void A_commit_is_proven_by_the_journal_row_written_in_its_own_transaction()
    {
        SqlServerJournal.Record(Journals[0]).ShouldContain("CURRENT_TRANSACTION_ID()");
        var check = SqlServerJournal.IsCommitted(Journals[0]);
        check.ShouldContain("transaction_id = @id AND fingerprint = @fingerprint");
        check.ShouldContain("sys.dm_tran_active_transactions");
    }
}
