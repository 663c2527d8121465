using Selective.Restore.Dump.Plain;

namespace Selective.Restore.Dump;

/// <summary>Signals that a synchronous parse ran past the buffer; preallocated, thrown at most once per refill (every parser's).</summary>
internal sealed class NeedMoreInputException : Exception
{
    public static readonly NeedMoreInputException Instance = new();
}

/// <summary>What the statement-script parsers (SQL Server scripts, sqlite3 dumps) do the same way over their input.</summary>
internal static class ScriptInput
{
    /// <summary>Index just past the line end that follows a statement (so a section keeps its newline).</summary>
    public static int LineEndAfter(InputBuffer input, int index)
    {
        var buffer = input.Buffer;
        var i = index;
        while (i < input.End && buffer[i] is (byte)' ' or (byte)'\t' or (byte)'\r')
        {
            i++;
        }

        if (i >= input.End)
        {
            return input.StreamExhausted ? index : throw NeedMoreInputException.Instance;
        }

        return buffer[i] == '\n' ? i + 1 : index;
    }

    /// <summary>
    /// Copies <paramref name="table"/>'s section byte for byte to <paramref name="destination"/>, reading (and so
    /// validating) every row on the way; only for the current table, before any of its rows are read.
    /// </summary>
    public static async ValueTask<long> CopyRawAsync(InputBuffer input, ITableSource source, DumpTable table, DumpTable? current, Stream destination, bool async, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(table, current) || table.Started || input.Mark < 0)
        {
            throw new InvalidOperationException($"CopyRawTo must be called on the current table before any of its rows are read ({table.Name}).");
        }

        input.BeginCapture(destination, input.Mark);
        input.Mark = -1;
        table.Started = true;
        while (await source.ReadRowAsync(table, materialize: false, async, cancellationToken).ConfigureAwait(false))
        {
        }

        if (input.IsCapturing)
        {
            await input.EndCaptureAsync(input.Position, async, cancellationToken).ConfigureAwait(false);
        }

        return table.RowsRead;
    }
}
