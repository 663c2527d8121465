using Selective.Restore.Providers;

namespace Selective.Restore.PostgreSql;

/// <summary>An undo script for psql: one transaction, constraints deferred, read with the input styles the blocks were written in.</summary>
internal sealed class PostgreSqlUndoDialect : IUndoDialect
{
    public static PostgreSqlUndoDialect Instance { get; } = new();

    // The encoding first, in ASCII: psql then reads the names in the comments and parts as UTF-8, whatever
    // PGCLIENTENCODING says. Deferred constraints let rows of a foreign-key cycle restored together be deleted together.
    // The input styles match the COPY text the target session produced (see PostgreSqlTarget.ConnectAsync).
    public string Begin(string commentLines) => $"""
        SET client_encoding = 'UTF8';
        {commentLines}\set ON_ERROR_STOP on
        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;
        SET DateStyle = 'ISO, MDY';
        SET IntervalStyle = 'postgres';
        BEGIN;
        SET CONSTRAINTS ALL DEFERRED;

        """;

    public string End => "COMMIT;\n";

    public string RunCommand(string fileName) => $"psql -X -f {fileName}";
}
