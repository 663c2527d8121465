using Selective.Restore.Dump;

namespace Selective.Restore.Providers;

/// <summary>The session with the database: connecting, transactions, and what its errors mean.</summary>
public interface ITargetSession : IAsyncDisposable
{
    /// <summary>The target described for reports and logs, never with a password.</summary>
    string Description { get; }

    /// <summary>Increments on every (re)connect.</summary>
    int Session { get; }

    /// <summary>Connects, or reconnects after a broken connection.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>True when the connection is gone (staged tables with it).</summary>
    bool IsBroken { get; }

    /// <summary>Longest wait for a lock on a live table (zero waits forever); applies from the next <see cref="ConnectAsync"/>.</summary>
    TimeSpan LockTimeout { get; set; }

    /// <summary>
    /// True for failures worth retrying (serialization failure, deadlock, dropped connection). Only the database's:
    /// a local file error (the dump, a journal) is never transient.
    /// </summary>
    bool IsTransient(Exception exception);

    /// <summary>True when <paramref name="exception"/> is the database giving up waiting for a lock (<see cref="LockTimeout"/>).</summary>
    bool IsLockTimeout(Exception exception);

    /// <summary>
    /// After a lock timeout on <paramref name="table"/> (and the rollback): who holds locks on it now, as one line
    /// ("waited 30 s for a lock on public.t, held by PID 4242 (...)"); no query texts, which may carry secrets.
    /// </summary>
    Task<string> ExplainLockTimeoutAsync(TableName table, CancellationToken cancellationToken);

    /// <summary>A database error as one line: the server's message and detail (which key, which constraint), no stack or credentials.</summary>
    string Describe(Exception exception);

    /// <summary>Begins a transaction (<paramref name="readOnly"/>: a plan or a check, which writes nothing live).</summary>
    Task BeginAsync(bool readOnly, CancellationToken cancellationToken);

    /// <summary>Checks deferrable foreign keys at commit, not per statement (rows of one transaction may reference each other in any order).</summary>
    Task DeferConstraintsAsync(CancellationToken cancellationToken);

    /// <summary>Commits the current transaction.</summary>
    Task CommitAsync(CancellationToken cancellationToken);

    /// <summary>Rolls the current transaction back (session-scoped staging made in it goes with it).</summary>
    Task RollbackAsync(CancellationToken cancellationToken);
}

/// <summary>The live tables' shape.</summary>
public interface ICatalog
{
    /// <summary>Reads a live table's shape from the catalog, or null when it does not exist.</summary>
    Task<LiveTable?> ReadTableAsync(TableName name, CancellationToken cancellationToken);
}

/// <summary>The live side of the engine's diff: a table's rows, printed as the dump prints them.</summary>
public interface ILiveRows
{
    /// <summary>
    /// Streams the live table's <paramref name="columns"/> as COPY text lines (UTF-8), printed as the dump prints them
    /// (the output settings pg_dump uses), inside the current transaction. Dispose the stream to end it.
    /// </summary>
    Task<Stream> OpenLiveRowsAsync(TableMapping mapping, IReadOnlyList<string> columns, CancellationToken cancellationToken);
}

/// <summary>The rows that differ (the delta), staged in the session: the engine sends them, edits them by position, and reads them back.</summary>
public interface IDeltaStaging
{
    /// <summary>Creates the table's session-scoped staging, without rows: the engine diffs the dump rows itself and stages the delta (<see cref="StageDeltaAsync"/>).</summary>
    Task<StagedTable> CreateStagingAsync(TableMapping mapping, DumpTable dump, int ordinal, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the staged rows with the engine's delta (COPY lines of every dump column: the rows whose key is not live
    /// or whose text differs), inside the current transaction; <see cref="ITypedComparison.ClassifyAsync"/> then confirms them typed.
    /// <paramref name="held"/>: rows held back (they reference a row that is not written), staged so that they are
    /// classified as held whatever their values. Returns the rows staged.
    /// </summary>
    Task<long> StageDeltaAsync(StagedTable staged, IRowLines delta, IRowLines? held, CancellationToken cancellationToken);

    /// <summary>
    /// Gives delta rows (by position) the classes the engine decided (<see cref="DeltaEdits"/> entries with a
    /// class): collisions, undetermined, relocated, held-back, excluded and skipped rows are never written; a remapped
    /// row is inserted under the new key its entry carries (the values of the key columns); a row to overwrite is
    /// written over its live row. Works for a table without a key too (by position: one copy of a row).
    /// </summary>
    Task ReclassifyAsync(StagedTable staged, DeltaEdits rows, CancellationToken cancellationToken);

    /// <summary>
    /// Streams the delta rows that are to be written (missing, conflicting, remapped) as COPY text lines (UTF-8): the
    /// row's position, then <paramref name="columns"/>, printed as the dump prints them. Dispose the stream to end it.
    /// </summary>
    Task<Stream> ReadDeltaAsync(StagedTable staged, IReadOnlyList<string> columns, CancellationToken cancellationToken);

    /// <summary>Sets <paramref name="columns"/> of delta rows (by position) to the values of each entry of <paramref name="rows"/>.</summary>
    Task RewriteAsync(StagedTable staged, IReadOnlyList<string> columns, DeltaEdits rows, CancellationToken cancellationToken);

    /// <summary>Reads up to <paramref name="max"/> classified rows whose <see cref="RowPair.Position"/> is above <paramref name="after"/>.</summary>
    Task<IReadOnlyList<RowPair>> ReadRowsAsync(StagedTable staged, RowClass rowClass, long after, int max, CancellationToken cancellationToken);
}

/// <summary>The database's typed comparison of the staged delta with live: questions, answered with facts, never rules.</summary>
public interface ITypedComparison
{
    /// <summary>
    /// Compares staged rows with live by key, NULL-safely and typed, inside the current transaction; keeps the missing
    /// and conflicting rows server-side for the apply step (rows staged as held are held). Fails on NULL or duplicate keys in the dump. <paramref name="liveRows"/>: the live rows not
    /// accounted for by the staged ones, when the caller counted them (the engine diff read them all already; the
    /// live-only count is then derived from it instead of a scan). An identity key is the engine's business: it asks
    /// <see cref="ReadIdentityFactsAsync"/> and answers with <see cref="IDeltaStaging.ReclassifyAsync"/>.
    /// </summary>
    Task<Classification> ClassifyAsync(StagedTable staged, long? liveRows, CancellationToken cancellationToken);

    /// <summary>
    /// Classifies a table without a key (matched on whole rows, as a multiset), inside the current transaction: the
    /// staged delta holds the dump copies no live row matched by its text; each is paired, copy for copy, with a row of
    /// <paramref name="liveOnly"/> (the live rows no dump row matched by text) that the database's typed comparison
    /// finds equal. The copies left are missing. Copies staged as held pair the same way (their live rows are accounted
    /// for) and are never written. Such a table has no conflicts.
    /// </summary>
    Task<WholeRowCounts> ClassifyWholeRowsAsync(StagedTable staged, IRowLines? liveOnly, CancellationToken cancellationToken);

    /// <summary>
    /// For every missing and conflicting row of the classified delta, in position order: what the typed comparison says
    /// about its <paramref name="identity"/> columns (see <see cref="IdentityFacts"/>). Questions, not rules:
    /// what the answers mean is decided by the engine (the engine's identity rules).
    /// </summary>
    IAsyncEnumerable<IdentityFacts> ReadIdentityFactsAsync(StagedTable staged, IReadOnlyList<string> identity, CancellationToken cancellationToken);

    /// <summary>Drops the conflicting rows that now equal their live row, typed (after a rewrite); returns how many.</summary>
    Task<long> DropIdenticalConflictsAsync(StagedTable staged, CancellationToken cancellationToken);

    /// <summary>
    /// The delta rows <paramref name="instructions"/> would write (missing and remapped rows when inserting; the
    /// conflicting rows they overwrite) whose <paramref name="foreignKey"/> columns are all non-NULL and name no row of
    /// <paramref name="parent"/>, compared as the database checks that foreign key: the rows it would refuse with a
    /// foreign key violation because their parent row is not live. Null when there are none, or when the session may
    /// not read <paramref name="parent"/> (the check is advice, and must not fail what it checks). Read-only, in the
    /// current transaction.
    /// </summary>
    /// <param name="staged">The table whose delta rows are checked.</param>
    /// <param name="foreignKey">One of its foreign keys.</param>
    /// <param name="parent">The table the foreign key references.</param>
    /// <param name="instructions">What the apply writes (<see cref="ApplyInstructions.WrittenClasses"/>).</param>
    /// <param name="unwritten">
    /// Null to count every such row. Otherwise the parent is restored in the same run, and only the rows whose reference
    /// (as text in the foreign key's column order, as <see cref="MissingParents.Reference"/>) it accepts are counted: a
    /// parent row the restore writes is not missing even where the database cannot see it yet (a plan writes none), and
    /// which rows the parent leaves out is the engine's knowledge. The rows that name no live parent row are then read
    /// one by one, in position order.
    /// </param>
    /// <param name="cancellationToken">Cancels the query.</param>
    Task<MissingParents?> FindMissingParentsAsync(StagedTable staged, LiveForeignKey foreignKey, LiveTable parent, ApplyInstructions instructions, Func<IReadOnlyList<string>, bool>? unwritten, CancellationToken cancellationToken);
}

/// <summary>Writes the staged delta by class, set-based, with what the undo script needs.</summary>
public interface IDeltaWriter
{
    /// <summary>
    /// Inserts the missing (and remapped) rows and overwrites the conflicting rows the instructions name (all, or those
    /// reclassified <see cref="DeltaClass.Overwrite"/>), set-based. With
    /// <paramref name="undo"/>, the rows written stream back as the SQL that reverts them: deletes by key for inserted rows,
    /// the previous values for overwritten ones.
    /// </summary>
    Task<ApplyCounts> ApplyAsync(StagedTable staged, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken);

    /// <summary>
    /// Writes merged rows (only the named columns) in one round trip per batch. With <paramref name="undo"/>, first writes
    /// the SQL that puts the live rows' values back.
    /// </summary>
    Task<long> ApplyMergedAsync(StagedTable staged, IReadOnlyList<(RowValues Key, IReadOnlyDictionary<string, object?> Values, RowValues Live)> rows, TextWriter? undo, CancellationToken cancellationToken);

    /// <summary>
    /// Up to <paramref name="max"/> rows the apply just wrote (inserted under their key, or overwritten), as they are now:
    /// a journal keeps them to tell, on resume, whether the restore's rows are still there (an undo script run since).
    /// </summary>
    Task<IReadOnlyList<RowWitness>> ReadWitnessesAsync(StagedTable staged, ApplyInstructions instructions, int max, CancellationToken cancellationToken);

    /// <summary>How many of <paramref name="witnesses"/> (keys on <paramref name="key"/>) are still in <paramref name="live"/> exactly as written (connects if needed).</summary>
    Task<int> CountWitnessesAsync(LiveTable live, IReadOnlyList<string> key, IReadOnlyList<RowWitness> witnesses, CancellationToken cancellationToken);
}

/// <summary>Keys from sequences: new keys for remapped rows, and sequences moved past restored keys.</summary>
public interface ISequences
{
    /// <summary>
    /// <paramref name="count"/> new values of the table's key (as text, in the order handed out) for rows the engine
    /// remaps, from the key's sequence, first moved above every key live and staged so that neither a live row nor a dump
    /// row restored later can ever get the same key. Throws a <see cref="RestoreTableException"/> when the key is not a
    /// single integer column fed by a sequence, or the sequence counts down.
    /// </summary>
    /// <param name="staged">The table whose rows are remapped.</param>
    /// <param name="count">How many keys.</param>
    /// <param name="preview">
    /// A plan's: the keys as they would be handed out now, above every key live and staged (remapped rows' new keys
    /// included), read-only: nothing is reserved and the sequence is not moved, so an apply may get others.
    /// </param>
    /// <param name="cancellationToken">Cancels the reservation.</param>
    IAsyncEnumerable<string> ReserveKeysAsync(StagedTable staged, long count, bool preview, CancellationToken cancellationToken);

    /// <summary>Moves the table's sequences past the highest value present; returns what was changed.</summary>
    Task<IReadOnlyList<string>> ReseedAsync(LiveTable live, CancellationToken cancellationToken);
}

/// <summary>A journal of finished tables kept in the target, and what the database can tell about a transaction later.</summary>
public interface IJournalStore
{
    /// <summary>Creates the journal table if absent (in its own transaction) and returns the checkpoints recorded for <paramref name="fingerprint"/>.</summary>
    Task<IReadOnlyList<string>> ReadJournalAsync(TableName journal, string fingerprint, CancellationToken cancellationToken);

    /// <summary>The current transaction's ID, which <see cref="IsCommittedAsync"/> can ask about from another session later.</summary>
    Task<long> TransactionIdAsync(CancellationToken cancellationToken);

    /// <summary>Whether transaction <paramref name="transactionId"/> committed: true, false (rolled back), or null when the database cannot tell any more (or it is still running).</summary>
    Task<bool?> IsCommittedAsync(long transactionId, CancellationToken cancellationToken);

    /// <summary>Records a table's checkpoint in the current transaction.</summary>
    Task RecordJournalAsync(TableName journal, string fingerprint, TableName table, string entry, CancellationToken cancellationToken);
}

/// <summary>
/// The seam between the engine and one database, as the roles above: everything that speaks a dialect lives behind it
/// (PostgreSQL now; SQLite and SQL Server next). One instance owns one session (connection); staging
/// tables are session-scoped, so after a reconnect <see cref="ITargetSession.Session"/> changes and tables must be staged again.
/// </summary>
public interface IRestoreTarget : ITargetSession, ICatalog, ILiveRows, IDeltaStaging, ITypedComparison, IDeltaWriter, ISequences, IJournalStore
{
    /// <summary>How this database's undo script is framed and run.</summary>
    IUndoDialect UndoDialect { get; }
}
