using Selective.Restore.Dump;

namespace Selective.Restore.Providers;

/// <summary>Matches a dump table's columns to a live table's and picks the key rows are matched on.</summary>
internal static class ColumnMapper
{
    /// <summary>A table the dump has twice (e.g. once per partition with --load-via-partition-root) must have the same columns each time.</summary>
    public static TableMapping Reuse(TableMapping existing, DumpTable dump) =>
        existing.DumpColumns.SequenceEqual(dump.Columns)
            ? existing
            : throw new RestoreTableException($"the dump has {dump.Name} twice with different column lists");

    /// <summary>
    /// Matches dump columns to live columns by name (by position when the dump has no names) and, when the rows are to
    /// be written (<paramref name="forWriting"/>), checks the live table can take them: a live NOT NULL column without a
    /// default that the dump lacks is an incompatibility then, and only a warning otherwise (it is just not compared).
    /// Incompatibilities throw <see cref="RestoreTableException"/>; things worth knowing go to <paramref name="warn"/>.
    /// With <paramref name="wholeRows"/>, a table without a usable key maps with an empty key: its rows are matched on
    /// the whole row, as a multiset. Rows without their key because the database generates it (a script's INSERTs that
    /// leave the IDENTITY column out) are matched on <paramref name="identity"/> when it is a unique key of the live
    /// table, otherwise (with <paramref name="wholeRows"/>) on the whole row without the key; missing rows get new keys.
    /// </summary>
    public static TableMapping Map(LiveTable live, DumpTable dump, bool skipUnknownColumns, Action<string> warn, bool forWriting = true, bool wholeRows = false, IReadOnlyList<string>? identity = null)
    {
        CheckPositions(live, dump);
        var targets = new LiveColumn?[dump.Columns.Count];
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < dump.Columns.Count; i++)
        {
            var column = dump.Columns[i];
            var match = column.Name is { } name
                ? live.Find(name)
                : column.Position <= live.Columns.Count ? live.Columns[column.Position - 1] : null;
            var label = column.Name ?? $"#{column.Position}";
            if (match is null)
            {
                if (!skipUnknownColumns)
                {
                    throw RestoreTableException.Incompatible($"dump column {label} does not exist in the live table (skip unknown columns to ignore it)");
                }

                warn($"dump column {label} does not exist in the live table; its values are ignored");
                continue;
            }

            if (!used.Add(match.Name))
            {
                throw new RestoreTableException($"two dump columns map to live column {match.Name}");
            }

            if (match.IsGenerated)
            {
                warn($"column {match.Name} is generated in the live table; the dump's values are not written");
            }

            targets[i] = match;
        }

        foreach (var column in live.Columns.Where(c => !used.Contains(c.Name)))
        {
            if (!forWriting)
            {
                // A generated column is never in a dump (pg_dump leaves it out): its absence is nothing to report.
                if (!column.IsGenerated)
                {
                    warn($"live column {column.Name} is not in the dump; it is not compared");
                }
            }
            else if (column is { NotNull: true, HasDefault: false, IsGenerated: false, Identity: IdentityColumn.None })
            {
                if (string.Equals(column.Name, dump.OmittedIdentityColumn, StringComparison.Ordinal))
                {
                    throw RestoreTableException.Incompatible(OmittedIdentity(dump, column.Name));
                }

                throw RestoreTableException.Incompatible($"live column {column.Name} is NOT NULL without a default and the dump has no value for it");
            }
        }

        // Rows are matched on the primary key; without one, on a unique key whose columns are all NOT NULL
        // (a unique key with a nullable column cannot identify rows: NULL never matches).
        var key = live.PrimaryKey.Count > 0
            ? live.PrimaryKey
            : live.UniqueKeys.FirstOrDefault(u => u.All(c => live.Find(c)?.NotNull == true));
        if (key is null)
        {
            return wholeRows
                ? new TableMapping(live, dump.Columns, targets, [])
                : throw RestoreTableException.Incompatible("the live table has no primary key (nor a unique key on NOT NULL columns), so dump rows cannot be matched to live rows");
        }

        if (GeneratedKeyLeftOut(live, dump, key, used) is { } generated)
        {
            var why = string.Equals(generated, dump.OmittedIdentityColumn, StringComparison.Ordinal)
                ? $"the script's INSERTs leave the IDENTITY column {generated} out"
                : $"the dump has no column {generated}, which the database generates";
            if (identity is { Count: > 0 } && identity.All(used.Contains) && identity.All(c => live.Find(c)?.NotNull == true)
                && live.UniqueKeys.Any(u => u.Count == identity.Count && u.All(c => identity.Contains(c, StringComparer.Ordinal))))
            {
                warn($"{why}: rows are matched on the identity key ({string.Join(", ", identity)}), a unique key of the live table, and a missing row gets a new {generated}");
                return new TableMapping(live, dump.Columns, targets, identity);
            }

            if (wholeRows && forWriting)
            {
                warn($"{why}: rows are matched on the whole row without it (copy for copy), and a missing row gets a new {generated}; declare an identity key that is a unique key of the table to match on it instead");
                return new TableMapping(live, dump.Columns, targets, []);
            }
        }

        if (live.PrimaryKey.Count == 0)
        {
            warn($"no primary key: rows are matched on unique key ({string.Join(", ", key)})");
        }

        foreach (var column in key)
        {
            if (!used.Contains(column))
            {
                throw RestoreTableException.Incompatible(
                    string.Equals(column, dump.OmittedIdentityColumn, StringComparison.Ordinal) ? OmittedIdentity(dump, column) : $"the dump has no values for key column {column}");
            }
        }

        return new TableMapping(live, dump.Columns, targets, key);
    }

    /// <summary>The single key column the dump has no values for because the database generates it (IDENTITY, serial, a sequence default), or null.</summary>
    private static string? GeneratedKeyLeftOut(LiveTable live, DumpTable dump, IReadOnlyList<string> key, HashSet<string> used) =>
        key.Count == 1 && !used.Contains(key[0]) && live.Find(key[0]) is { } column
            && (column.Identity != IdentityColumn.None || column.Sequence is not null || string.Equals(column.Name, dump.OmittedIdentityColumn, StringComparison.Ordinal))
            ? column.Name
            : null;

    /// <summary>SQL Server INSERTs without a column list leave the table's IDENTITY column out: the rows have no key value.</summary>
    private static string OmittedIdentity(DumpTable dump, string column) =>
        $"the dump's rows have no value for key column {column}: the script's INSERTs into {dump.Name} have no column list, and SQL Server " +
        $"leaves the IDENTITY column {column} out of them, but the live column {column} does not generate values (no identity, serial or default), " +
        "so rows restored from them could not get a key";

    /// <summary>
    /// Unnamed columns of SQL Server INSERTs without a column list fill the source table's insertable columns, which leave
    /// out IDENTITY, computed and rowversion columns: by position they match only a live table without such columns
    /// (a serial column counts: it is what an IDENTITY column usually becomes).
    /// </summary>
    private static void CheckPositions(LiveTable live, DumpTable dump)
    {
        if (!dump.InsertableColumnsOnly || dump.Columns.All(c => c.Name is not null))
        {
            return;
        }

        if (live.Columns.FirstOrDefault(c => c.Identity != IdentityColumn.None || c.IsGenerated || c.Sequence is not null) is { } generated)
        {
            var kind = generated.Identity != IdentityColumn.None ? "identity" : generated.IsGenerated ? "generated" : "fed by a sequence";
            throw RestoreTableException.Incompatible(
                $"the script's INSERTs into {dump.Name} have no column list and the script has no CREATE TABLE for it: SQL Server leaves IDENTITY, " +
                $"computed and rowversion columns out of such INSERTs, and the live table has column {generated.Name} ({kind}), so the values cannot " +
                "be matched to live columns by position (script the data with column names, or with the CREATE TABLE)");
        }
    }
}
