namespace Selective.Restore.Providers;

/// <summary>
/// How a database's undo script is framed and run: one transaction around the blocks the target wrote while applying
/// (the self-verifying rule is in those blocks). Comments are <c>--</c> lines, which every SQL dialect reads.
/// </summary>
public interface IUndoDialect
{
    /// <summary>The script's opening: <paramref name="commentLines"/> (already <c>--</c> lines), session settings, and what opens its transaction.</summary>
    string Begin(string commentLines);

    /// <summary>What closes the script's transaction.</summary>
    string End { get; }

    /// <summary>The command that runs the script <paramref name="fileName"/>, without connection options (the user adds them).</summary>
    string RunCommand(string fileName);
}
