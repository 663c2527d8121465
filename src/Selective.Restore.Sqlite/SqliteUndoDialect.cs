using Selective.Restore.Providers;

namespace Selective.Restore.Sqlite;

/// <summary>An undo script for the sqlite3 shell: <c>.bail on</c> stops at the first error, and the shell closing the database rolls back the open transaction.</summary>
internal sealed class SqliteUndoDialect : IUndoDialect
{
    public static SqliteUndoDialect Instance { get; } = new();

    // Foreign keys on, as the restore had them; deferred, so rows of a cycle restored together go together.
    public string Begin(string commentLines) => $"""
        {commentLines}.bail on
        PRAGMA foreign_keys = ON;
        BEGIN IMMEDIATE;
        PRAGMA defer_foreign_keys = ON;

        """;

    public string End => "COMMIT;\n";

    public string RunCommand(string fileName) => $"sqlite3 DATABASE \".read {fileName}\"";
}
