using Selective.Restore.Providers;

namespace Selective.Restore.SqlServer;

/// <summary>
/// An undo script for sqlcmd: one transaction that any error rolls back (<c>XACT_ABORT</c>, and <c>-b</c> stops
/// sqlcmd at the first error, which closes the connection and the open transaction with it).
/// </summary>
internal sealed class SqlServerUndoDialect : IUndoDialect
{
    public static SqlServerUndoDialect Instance { get; } = new();

    public string Begin(string commentLines) => $"""
        {commentLines}SET XACT_ABORT ON;
        SET NOCOUNT ON;
        BEGIN TRANSACTION;

        """;

    public string End => "COMMIT TRANSACTION;\n";

    // -f 65001: the script is UTF-8 (names and values in it may be any Unicode). -x: no $(variable) substitution, which
    // would rewrite values that contain "$(".
    public string RunCommand(string fileName) => $"sqlcmd -b -x -f 65001 -i {fileName}";
}
