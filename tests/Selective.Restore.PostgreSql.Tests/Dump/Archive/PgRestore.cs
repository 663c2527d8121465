using System.Diagnostics;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Dump.Archive;

/// <summary>What a dump holds, as read: tables with their rows as COPY text lines, sequences and the main settings.</summary>
internal sealed record ReadDump(List<(TableName Name, string[] Lines)> Tables, List<(TableName Sequence, long Value, bool IsCalled)> Sequences, string? Encoding, bool StandardConformingStrings)
{
    public static async Task<ReadDump> ReadAsync(DumpReader reader)
    {
        var tables = new List<(TableName, string[])>();
        while (await reader.NextTableAsync() is { } table)
        {
            var lines = new List<string>();
            while (await table.ReadAsync())
            {
                lines.Add(System.Text.Encoding.UTF8.GetString(table.Current.CopyLine));
            }

            tables.Add((table.Name, [.. lines]));
        }

        return new ReadDump(tables, [.. reader.Sequences.Select(s => (s.Sequence, s.Value, s.IsCalled))], reader.Encoding, reader.StandardConformingStrings);
    }

    /// <summary>Everything compared, as text, for a readable diff.</summary>
    public string Render() =>
        $"encoding={Encoding} scs={StandardConformingStrings}\n" +
        string.Concat(Tables.Select(t => $"table {t.Name}\n{string.Concat(t.Lines.Select(l => "  " + l + "\n"))}")) +
        string.Concat(Sequences.Select(s => $"sequence {s.Sequence} {s.Value} {s.IsCalled}\n"));
}

/// <summary>The real pg_restore installed here (15), run on archives the tests build.</summary>
internal static class PgRestore
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] arguments)
    {
        _ = PostgresServer.ConnectionString; // the PostgreSQL client tools come with the test server: skipped without it
        var start = new ProcessStartInfo("pg_restore") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = ProcessOutput.Drain(process.StandardOutput);
        var stderr = ProcessOutput.Drain(process.StandardError);
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>pg_restore's SQL script for the archive (<c>pg_restore -f -</c>), read back as a plain dump: what psql would load.</summary>
    public static async Task<ReadDump> ScriptAsync(string archive)
    {
        var (exit, script, error) = await RunAsync("-f", "-", archive);
        exit.ShouldBe(0, error);
        await using var reader = DumpReader.Open(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(script)), new DumpReaderOptions { SourceName = "pg_restore output" });
        return await ReadDump.ReadAsync(reader);
    }
}
