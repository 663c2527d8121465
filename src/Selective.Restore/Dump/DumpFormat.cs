namespace Selective.Restore.Dump;

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
