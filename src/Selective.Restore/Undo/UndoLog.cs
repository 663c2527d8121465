using System.Globalization;
using System.Text;
using Selective.Restore.IO;
using Selective.Restore.Providers;

namespace Selective.Restore.Undo;

/// <summary>
/// Collects the undo script of a run. Each table's attempt writes its part to <c>SCRIPT.parts/NNNNNN.pending</c>; a
/// committed attempt's part becomes <c>NNNNNN.sql</c>, a rolled-back one is deleted. The script is assembled from the
/// committed parts, newest first (children are undone before their parents), at the end of every run — parts from an
/// interrupted earlier run included, so a resumed run's script undoes both.
/// </summary>
internal sealed class UndoLog
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly string _script;
    private readonly string _parts;
    private int _next;

    private UndoLog(string script, string parts, int next, IReadOnlyList<string> pending)
    {
        _script = script;
        _parts = parts;
        _next = next;
        Pending = pending;
    }

    /// <summary>
    /// Parts a killed run left pending (written, their table's commit unknown), until <see cref="ResolvePending"/>.
    /// </summary>
    public IReadOnlyList<string> Pending { get; private set; }

    public string ScriptPath => _script;

    /// <summary>
    /// Opens (or creates) the parts directory next to <paramref name="scriptPath"/>. Parts belong to one restore: the
    /// committed parts already there must be ones <paramref name="resumed"/> lists (the journal of the restore being
    /// resumed), and a script file with no parts next to it is not ours to overwrite.
    /// </summary>
    /// <exception cref="InvalidOperationException">The path holds another restore's undo script, or a file this tool did not write.</exception>
    /// <exception cref="IOException">The script path is not a regular file, or the parts path not a directory (a link, a FIFO, a device...).</exception>
    public static UndoLog Open(string scriptPath, IReadOnlySet<string> resumed)
    {
        var script = Path.GetFullPath(scriptPath);
        var parts = script + ".parts";
        CheckPaths(scriptPath);
        var foreign = Directory.Exists(parts)
            ? Directory.EnumerateFiles(parts, "*.sql").Select(Path.GetFileName).Where(p => !resumed.Contains(p!)).ToList()
            : [];
        if (foreign.Count > 0)
        {
            throw new InvalidOperationException(
                $"the undo script path {script} is taken: {parts}/ holds the undo of {foreign.Count} tables of an earlier restore that this run does not resume. " +
                $"Give the undo script a new path (a new restore starts clean there), or remove {script} and {parts}/ once that undo is no longer needed");
        }

        if (File.Exists(script) && !Directory.Exists(parts))
        {
            throw new InvalidOperationException($"{script} already exists and was not written as this restore's undo script; give the undo script a new path");
        }

        Directory.CreateDirectory(parts);
        var numbers = Directory.EnumerateFiles(parts).Select(f => int.TryParse(Path.GetFileName(f).Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0);
        var pending = Directory.EnumerateFiles(parts, "*.pending").Order(StringComparer.Ordinal).ToList();
        return new UndoLog(script, parts, numbers.DefaultIfEmpty(0).Max() + 1, pending);
    }

    /// <summary>
    /// Decides the pending parts: those <paramref name="committed"/> names (a journal's checkpoints) join the script, the
    /// others are deleted; with no such knowledge (no journal: null) or for <paramref name="uncertain"/> ones they are set
    /// aside as <c>.interrupted</c> and returned, for the report to mention.
    /// </summary>
    public IReadOnlyList<string> ResolvePending(ISet<string>? committed, IReadOnlyCollection<string> uncertain)
    {
        var interrupted = new List<string>();
        foreach (var file in Pending)
        {
            if (committed is null || uncertain.Contains(Path.GetFileName(file), StringComparer.Ordinal))
            {
                var aside = Path.ChangeExtension(file, ".interrupted");
                File.Move(file, aside, overwrite: true);
                interrupted.Add(aside);
            }
            else if (committed.Contains(Path.GetFileName(file)))
            {
                File.Move(file, Path.ChangeExtension(file, ".sql"), overwrite: true);
            }
            else
            {
                File.Delete(file);
            }
        }

        Pending = [];
        return interrupted;
    }

    /// <summary>Refuses an undo script path (or its parts directory) that is not a regular file (directory): see <see cref="OutputPath"/>.</summary>
    /// <exception cref="IOException">The path is a link, a FIFO, a device, a socket, or of the wrong kind.</exception>
    public static void CheckPaths(string scriptPath)
    {
        var script = Path.GetFullPath(scriptPath);
        OutputPath.CheckFile(script, "undo script");
        OutputPath.CheckDirectory(script + ".parts", "undo script parts directory");
    }

    /// <summary>Starts the part of one table's attempt.</summary>
    public UndoPart Begin(TableName table)
    {
        var path = Path.Combine(_parts, _next.ToString("D6", CultureInfo.InvariantCulture) + ".pending");
        _next++;
        var writer = new StreamWriter(OutputPath.CreateNew(path), Utf8) { NewLine = "\n" };
        writer.Write($"-- {ScriptText.Comment(table.ToString())}\n");
        return new UndoPart(path, writer);
    }

    /// <summary>Before the commit: the part is complete and on disk (still pending).</summary>
    public static async Task SealAsync(UndoPart part)
    {
        if (part.Sealed)
        {
            return;
        }

        await part.Writer.FlushAsync().ConfigureAwait(false);
        ((FileStream)part.Writer.BaseStream).Flush(flushToDisk: true);
        await part.Writer.DisposeAsync().ConfigureAwait(false);
        part.Sealed = true;
    }

    /// <summary>After the commit: the part joins the script.</summary>
    public static async Task CommitAsync(UndoPart part)
    {
        await SealAsync(part).ConfigureAwait(false);
        File.Move(part.Path, System.IO.Path.ChangeExtension(part.Path, ".sql"), overwrite: true);
    }

    /// <summary>After a rollback: nothing to undo.</summary>
    public static async Task DiscardAsync(UndoPart part)
    {
        await part.Writer.DisposeAsync().ConfigureAwait(false);
        File.Delete(part.Path);
        part.Sealed = true;
    }

    /// <summary>Writes the script from every committed part, newest first, as one transaction.</summary>
    /// <param name="header">Lines for people; each becomes a <c>--</c> comment line whatever it holds.</param>
    /// <param name="dialect">The target's framing: settings, and what opens and closes the transaction.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public async Task WriteScriptAsync(string header, IUndoDialect dialect, CancellationToken cancellationToken)
    {
        OutputPath.CheckFile(_script, "undo script");
        var temporary = _script + ".tmp";
        var output = OutputPath.CreateNew(temporary, 1 << 16, FileOptions.Asynchronous);
        await using (output.ConfigureAwait(false))
        {
            await output.WriteAsync(Utf8.GetBytes(dialect.Begin(CommentLines(header))), cancellationToken).ConfigureAwait(false);
            foreach (var part in Directory.EnumerateFiles(_parts, "*.sql").OrderDescending(StringComparer.Ordinal))
            {
                var input = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (input.ConfigureAwait(false))
                {
                    await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                }
            }

            await output.WriteAsync(Utf8.GetBytes(dialect.End), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        File.Move(temporary, _script, overwrite: true);
    }

    /// <summary>Every line of <paramref name="header"/> as one <c>--</c> comment line, so no value in it (a dump path with a newline) can become psql input.</summary>
    internal static string CommentLines(string header)
    {
        var builder = new StringBuilder();
        foreach (var line in header.Split('\n'))
        {
            builder.Append(line.StartsWith("--", StringComparison.Ordinal) ? "--" + ScriptText.Comment(line[2..]) : "-- " + ScriptText.Comment(line)).Append('\n');
        }

        return builder.ToString();
    }
}

/// <summary>One table attempt's undo part.</summary>
internal sealed class UndoPart(string path, StreamWriter writer)
{
    public string Path { get; } = path;

    /// <summary>The file name as journals record it.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    public StreamWriter Writer { get; } = writer;

    public bool Sealed { get; set; }
}
