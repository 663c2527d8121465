
namespace Selective.Restore;

/// <summary>
/// Where a restore is, for <see cref="IProgress{T}"/> (<see cref="RestoreBuilder.WithProgress(IProgress{RestoreProgress})"/>). A run has two passes:
/// staging reads the dump once and keeps the selected tables' rows; then each table, parents first, is diffed with its
/// live table and applied (a plan only diffs). Reported when a table starts and ends each pass, and in between at most
/// every 100 ms, on the run's own flow: a handler that blocks holds up the run. With parallel jobs
/// (<see cref="RestoreBuilder.WithJobs"/>) each job reports on its own flow, so reports may come from several threads at once.
/// A split (<see cref="SplitOptions.Progress"/>) and an inspection (<see cref="InspectOptions.Progress"/>) have one pass,
/// <see cref="RestorePhase.Splitting"/> or <see cref="RestorePhase.Inspecting"/>, reported as staging is: tables
/// numbered as the dump brings them, an event when each starts and ends, and a last one once the dump has been read.
/// </summary>
/// <param name="Phase">What is being done now.</param>
/// <param name="Table">The table being worked on.</param>
/// <param name="TableNumber">
/// The table's position (1-based) among the tables of this pass, in the order they are worked on; 0 while the dump is
/// read past a table the pass leaves out (not selected), which <see cref="Table"/> then names: reported at most once per
/// interval, so a long skip is not silent.
/// </param>
/// <param name="TablesDone">Tables finished in this pass (staged, applied, planned, split, inspected or failed): <see cref="TableNumber"/> once <see cref="Table"/> is.</param>
/// <param name="TablesTotal">
/// Tables in this pass, or -1 while unknown. Staging a pg_dump archive (custom or directory) knows it from the archive's
/// table of contents; a script (plain SQL, SQL Server, SQLite) or a database source names its tables only as it is
/// read, so staging it reports -1 until its last event, when every table has been seen. Diffing and applying know it.
/// Splitting and inspecting count as staging does.
/// </param>
/// <param name="Rows">
/// Rows of <see cref="Table"/> handled so far in this phase: dump rows read (<see cref="RestorePhase.Staging"/>,
/// <see cref="RestorePhase.Splitting"/>, <see cref="RestorePhase.Inspecting"/>), live
/// rows compared (<see cref="RestorePhase.Diffing"/>), rows written (<see cref="RestorePhase.Applying"/>; the database
/// writes a table's rows in one statement, so this moves when it returns).
/// </param>
/// <param name="TableRows">
/// The rows the dump has for <see cref="Table"/>, once staged (<see cref="RestorePhase.Diffing"/>,
/// <see cref="RestorePhase.Applying"/>); -1 while staging, splitting or inspecting, which count them. The live table
/// may have more or fewer.
/// </param>
/// <param name="Bytes">
/// Bytes of the dump read so far, as stored: a compressed file's compressed bytes, so that they compare with
/// <see cref="BytesTotal"/>. After staging, what staging read.
/// </param>
/// <param name="BytesTotal">
/// The dump's size in bytes as stored (a file's length; a directory archive's data files of the selected tables), or
/// -1 when unknown (a pipe, a database source). Staging (splitting, inspecting) may end before <see cref="Bytes"/> reaches it: an archive's
/// unselected tables are skipped by seeking.
/// </param>
public readonly record struct RestoreProgress(
    RestorePhase Phase,
    TableName Table,
    int TableNumber,
    int TablesDone,
    int TablesTotal,
    long Rows,
    long TableRows,
    long Bytes,
    long BytesTotal);

/// <summary>What a restore is doing (<see cref="RestoreProgress.Phase"/>).</summary>
public enum RestorePhase
{
    /// <summary>Reading the dump: the selected tables' rows are kept (in memory and spill files) for the diff.</summary>
    Staging,

    /// <summary>Comparing a table's dump rows with its live rows as they stream out, and classifying those that differ.</summary>
    Diffing,

    /// <summary>Writing a table's rows as the policy decided, in its transaction (a plan writes nothing and skips this phase).</summary>
    Applying,

    /// <summary>
    /// Splitting the dump (<see cref="DumpSplitter"/>): a table's rows are read and written to its file. The only phase
    /// of a split; no database is involved.
    /// </summary>
    Splitting,

    /// <summary>
    /// Inspecting the dump (<see cref="DumpInspector"/>): a table's rows are read, checked and counted. The only phase
    /// of an inspection; no database is involved.
    /// </summary>
    Inspecting,
}
