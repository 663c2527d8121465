namespace Selective.Restore.Dump;

/// <summary>
/// A sequence position recorded by the dump (<c>SELECT pg_catalog.setval('seq', 42, true);</c>), kept for reseeding after a
/// restore. A SQLite dump's <c>INSERT INTO sqlite_sequence VALUES('t',42);</c> is one too: the sequence is named by its
/// table (<c>main.t</c>), the value is the largest key AUTOINCREMENT handed out, and it is called (the next key is 43).
/// </summary>
/// <param name="Sequence">The sequence's qualified name.</param>
/// <param name="Value">The value passed to <c>setval</c>.</param>
/// <param name="IsCalled">When true the next <c>nextval</c> returns <paramref name="Value"/> + increment; when false it returns <paramref name="Value"/>.</param>
/// <param name="Line">1-based line of the statement in the dump.</param>
public readonly record struct SequenceValue(TableName Sequence, long Value, bool IsCalled, long Line);
