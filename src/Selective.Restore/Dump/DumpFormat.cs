namespace Selective.Restore;

/// <summary>The kind of dump, detected from its content rather than its file name.</summary>
public enum DumpFormat
{
    /// <summary>pg_dump plain SQL script (<c>-Fp</c>, the default): COPY blocks or INSERT statements.</summary>
    PlainSql,

    /// <summary>pg_dump custom archive (<c>-Fc</c>, starts with <c>PGDMP</c>).</summary>
    CustomArchive,

    /// <summary>pg_dump directory archive (<c>-Fd</c>: <c>toc.dat</c> plus one file per table).</summary>
    DirectoryArchive,

    /// <summary>pg_dump tar archive (<c>-Ft</c>).</summary>
    TarArchive,

    /// <summary>SQL Server data script (SSMS "Generate Scripts", mssql-scripter): T-SQL INSERT batches, UTF-8 or UTF-16.</summary>
    SqlServerScript,

    /// <summary>
    /// A sqlite3 <c>.dump</c> script (SQLite 3.7 and later): <c>INSERT INTO ... VALUES</c> statements, read as rows whose fields
    /// are SQLite literals (<see cref="Dump.SqliteText"/>); <c>sqlite_sequence</c> rows as <see cref="Dump.DumpReader.Sequences"/>.
    /// </summary>
    SqliteDump,
}

/// <summary>How the dump bytes are compressed as a whole.</summary>
public enum DumpCompression
{
    /// <summary>Not compressed.</summary>
    None,

    /// <summary>gzip (detected by the magic bytes 1F 8B); for a directory archive, gzip-compressed data files.</summary>
    Gzip,

    /// <summary>zlib-compressed data blocks inside a pg_dump custom archive (<c>-Fc</c>, the default).</summary>
    Zlib,
}

/// <summary>How a table's rows are written in the dump.</summary>
public enum DumpDataForm
{
    /// <summary><c>COPY ... FROM stdin;</c> followed by text-format rows and <c>\.</c>.</summary>
    Copy,

    /// <summary><c>INSERT INTO ... VALUES (...)</c> statements (<c>--inserts</c>, <c>--column-inserts</c>, <c>--rows-per-insert</c>).</summary>
    Insert,
}

/// <summary>Whether the dump is known to be whole, as far as its format can tell (see <see cref="Dump.DumpReader.Completeness"/>).</summary>
public enum DumpCompleteness
{
    /// <summary>
    /// Not known: the dump has not been read to its end yet, or its format has no end marker to check (a hand-written
    /// script without pg_dump's opening comment, a SQL Server script, a SQLite script without <c>BEGIN TRANSACTION</c>).
    /// </summary>
    Unknown,

    /// <summary>The dump was read to its end and ends as its format says it must (pg_dump's closing comment; an archive's last block; sqlite3's COMMIT).</summary>
    Complete,

    /// <summary>
    /// The dump was read to its end but lacks the end its format promises: a plain dump that starts with pg_dump's
    /// opening comment (<c>-- PostgreSQL database dump</c>) but not its closing one (<c>-- PostgreSQL database dump complete</c>),
    /// most likely cut short at a statement boundary; or a sqlite3 <c>.dump</c> that opens its transaction
    /// (<c>BEGIN TRANSACTION;</c>) and never commits it. The tables after the cut are missing.
    /// </summary>
    Incomplete,
}
