
namespace Selective.Restore;

/// <summary>Where a restore is, for <see cref="IProgress{T}"/>.</summary>
/// <param name="Phase">"stage" while dump rows go to the server, "apply" while tables are classified and written.</param>
/// <param name="Table">The table being worked on.</param>
/// <param name="Rows">Rows staged (stage) or written (apply) for that table so far.</param>
/// <param name="Bytes">Bytes of the dump read so far (stage); 0 while applying.</param>
/// <param name="TablesDone">Tables finished in this phase.</param>
/// <param name="TablesTotal">Tables in this phase, or -1 while still unknown (staging streams the dump).</param>
public readonly record struct RestoreProgress(string Phase, TableName Table, long Rows, long Bytes, int TablesDone, int TablesTotal);
