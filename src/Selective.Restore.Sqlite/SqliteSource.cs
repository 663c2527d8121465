using System.Text;
using Microsoft.Data.Sqlite;
using Selective.Restore.Dump;
using Selective.Restore.Sqlite;

namespace Selective.Restore;

/// <summary>
/// A SQLite database file as a restore's source (yesterday's copy of <c>app.db</c>, <c>VACUUM INTO</c> or <c>.backup</c>
/// output): opened read-only, and read as the sqlite3 shell's <c>.dump</c> would write it, in one read transaction per
/// pass, streamed (<see cref="SqliteDump"/>): no dump file is written.
/// </summary>
public sealed class SqliteSource : DumpSource
{
    private readonly string _path;
    private readonly string _connectionString;

    /// <summary>The database file at <paramref name="pathOrConnectionString"/> (<c>backup.db</c>, or <c>Data Source=backup.db</c>).</summary>
    public SqliteSource(string pathOrConnectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrConnectionString);
        var builder = pathOrConnectionString.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(pathOrConnectionString)
            : new SqliteConnectionStringBuilder { DataSource = pathOrConnectionString };
        _path = builder.DataSource;
        builder.Mode = SqliteOpenMode.ReadOnly;
        builder.Pooling = false;
        _connectionString = builder.ConnectionString;
    }

    /// <inheritdoc/>
    public override string Description => "sqlite://" + _path;

    /// <inheritdoc/>
    public override string Fingerprint
    {
        get
        {
            var info = new FileInfo(_path);
            return $"sqlite {Path.GetFullPath(_path)}\nsize {(info.Exists ? info.Length : -1)}\ntime {(info.Exists ? info.LastWriteTimeUtc.Ticks : 0)}";
        }
    }

    /// <inheritdoc/>
    public override DumpFormat? Format => DumpFormat.SqliteDump;

    /// <inheritdoc/>
    public override void Check()
    {
        if (!System.IO.File.Exists(_path))
        {
            throw new InvalidOperationException($"{_path}: no such SQLite database file.");
        }
    }

    /// <inheritdoc/>
    public override bool IsSameDatabase(string targetDescription)
    {
        ArgumentNullException.ThrowIfNull(targetDescription);
        return targetDescription.StartsWith("sqlite://", StringComparison.Ordinal)
            && string.Equals(Path.GetFullPath(targetDescription["sqlite://".Length..]), Path.GetFullPath(_path), StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override DumpReader Open(DumpReaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return OpenProduced(
            async (stream, cancellationToken) =>
            {
                var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
                await using (writer.ConfigureAwait(false))
                {
                    await SqliteDump.WriteAsync(_connectionString, writer, options.Tables, cancellationToken).ConfigureAwait(false);
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            },
            new DumpReaderOptions { Tables = options.Tables, Database = options.Database, MaxBufferedBytes = options.MaxBufferedBytes, SourceName = Description });
    }
}
