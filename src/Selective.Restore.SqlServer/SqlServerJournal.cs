
namespace Selective.Restore.SqlServer;

/// <summary>
/// The restore journal in a SQL Server target: one row per finished table of a run (its fingerprint), written in the
/// table's own transaction together with that transaction's id. SQL Server has no <c>txid_status</c>: whether a
/// transaction whose COMMIT got no answer (the connection dropped) committed is told by its journal row, which exists
/// exactly when the transaction committed. Values always travel as parameters.
/// </summary>
internal static class SqlServerJournal
{
    /// <summary>Creates the journal table when absent (@journal: its quoted name, for OBJECT_ID).</summary>
    public static string Create(TableName journal) => $"""
        IF OBJECT_ID(@journal, N'U') IS NULL
            CREATE TABLE {SqlServerStatements.Quote(journal)} (
                fingerprint nvarchar(128) NOT NULL,
                table_schema nvarchar(128) NOT NULL,
                table_name nvarchar(128) NOT NULL,
                entry nvarchar(max) NOT NULL,
                transaction_id bigint NOT NULL,
                recorded_at datetimeoffset(7) NOT NULL CONSTRAINT {SqlServerStatements.Quote("df_" + journal.Name + "_recorded_at")} DEFAULT SYSDATETIMEOFFSET(),
                CONSTRAINT {SqlServerStatements.Quote("pk_" + journal.Name)} PRIMARY KEY (fingerprint, table_schema, table_name));
        """;

    /// <summary>The entries recorded for a run (@fingerprint), oldest first.</summary>
    public static string Read(TableName journal) =>
        $"SELECT entry FROM {SqlServerStatements.Quote(journal)} WHERE fingerprint = @fingerprint ORDER BY recorded_at;";

    /// <summary>
    /// Records a table's entry in the current transaction (@fingerprint, @schema, @table, @entry), replacing an older
    /// one: the key is locked first, so two runs never both insert it.
    /// </summary>
    public static string Record(TableName journal)
    {
        var name = SqlServerStatements.Quote(journal);
        return $"""
            UPDATE {name} WITH (UPDLOCK, SERIALIZABLE)
            SET entry = @entry, transaction_id = CURRENT_TRANSACTION_ID(), recorded_at = SYSDATETIMEOFFSET()
            WHERE fingerprint = @fingerprint AND table_schema = @schema AND table_name = @table;
            IF @@ROWCOUNT = 0
                INSERT INTO {name} (fingerprint, table_schema, table_name, entry, transaction_id)
                VALUES (@fingerprint, @schema, @table, @entry, CURRENT_TRANSACTION_ID());
            """;
    }

    /// <summary>The current transaction's id (SQL Server 2016 and later).</summary>
    public const string TransactionId = "SELECT CONVERT(bigint, CURRENT_TRANSACTION_ID());";

    /// <summary>
    /// Whether transaction @id of run @fingerprint committed: 1 when a journal row of the run carries it (written in that
    /// transaction, so it exists exactly when it committed; the fingerprint keeps an id the server handed out again
    /// after a restart from matching another run's row); 0 when none does and the transaction is over; NULL while it
    /// may still be running (or the session may not see other transactions, which needs VIEW SERVER STATE: then it
    /// cannot tell).
    /// </summary>
    public static string IsCommitted(TableName journal) => $"""
        IF EXISTS (SELECT 1 FROM {SqlServerStatements.Quote(journal)} WHERE transaction_id = @id AND fingerprint = @fingerprint)
            SELECT CONVERT(bit, 1);
        ELSE IF HAS_PERMS_BY_NAME(NULL, NULL, N'VIEW SERVER STATE') = 1
            SELECT CASE WHEN EXISTS (SELECT 1 FROM sys.dm_tran_active_transactions WHERE transaction_id = @id)
                        THEN CONVERT(bit, NULL) ELSE CONVERT(bit, 0) END;
        ELSE
            SELECT CONVERT(bit, NULL);
        """;
}
