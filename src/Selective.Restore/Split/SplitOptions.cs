namespace Selective.Restore;

/// <summary>The language of the files <see cref="DumpSplitter"/> writes.</summary>
public enum SplitDialect
{
    /// <summary>PostgreSQL: a COPY block per table (UTF-8), loaded with <c>psql -X -f FILE</c>.</summary>
    PostgreSql,

    /// <summary>T-SQL: INSERT batches per table (UTF-16 with a byte order mark, as SSMS writes), loaded with <c>sqlcmd -i FILE</c>. SQL Server scripts only.</summary>
    TSql,

    /// <summary>SQLite: INSERT statements per table in one transaction (UTF-8), loaded with <c>sqlite3 DATABASE &lt; FILE</c>. SQLite dumps only.</summary>
    Sqlite,
}

/// <summary>Options for <see cref="DumpSplitter"/>.</summary>
public sealed class SplitOptions
{
    /// <summary>
    /// Write into an output directory that already has files (files of the same name are replaced).
    /// Default: false, so an old split's files are never mixed with a new one's.
    /// </summary>
    public bool Overwrite { get; set; }

    /// <summary>
    /// The language of the files. Default (null): the dump's own, that is PostgreSQL for pg_dump files, T-SQL for SQL
    /// Server scripts and SQLite for sqlite3 dumps. A SQL Server script can also be split into PostgreSQL files; a pg_dump file
    /// only into PostgreSQL ones, a sqlite3 dump only into SQLite ones.
    /// </summary>
    public SplitDialect? Dialect { get; set; }

    /// <summary>
    /// Where the split is (<see cref="RestoreProgress"/>, phase <see cref="RestorePhase.Splitting"/>): the table and its
    /// number, its rows read, the dump's bytes read of its size. Called on the split's own flow when a table starts and
    /// ends, in between at most every <see cref="ProgressInterval"/>, and once more when the dump has been read (with the
    /// number of tables, which a script names only as it is read). Default: null, no reports.
    /// </summary>
    public IProgress<RestoreProgress>? Progress { get; set; }

    /// <summary>
    /// The least time between two <see cref="Progress"/> reports that mark no table boundary. Default: 100 ms;
    /// <see cref="TimeSpan.Zero"/> reports at every block written.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public TimeSpan ProgressInterval
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            field = value;
        }
    } = TimeSpan.FromMilliseconds(ProgressThrottle.Interval);
}
