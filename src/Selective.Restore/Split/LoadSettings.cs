using System.Text;
using Selective.Restore.Providers;

namespace Selective.Restore;

/// <summary>
/// Which of a dump's session settings a split part replays. A part must load into every supported PostgreSQL version,
/// whichever pg_dump wrote the dump: pg_dump 17 writes <c>SET transaction_timeout = 0;</c>, which PostgreSQL 15
/// refuses, and the part then fails under <c>ON_ERROR_STOP</c>. So a part keeps what loading rows needs and every
/// PostgreSQL since 9.6 knows, runs other settings only where the server has them, and leaves out what only
/// concerns DDL or output.
/// </summary>
internal static class LoadSettings
{
    // Read by every supported server and able to change how rows load, or whether a long load is cut off (and the
    // harmless application_name, which monitoring shows).
    private static readonly HashSet<string> Kept = new(StringComparer.OrdinalIgnoreCase)
    {
        "client_encoding", "standard_conforming_strings", "xmloption", "row_security", "search_path", "datestyle",
        "intervalstyle", "timezone", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout", "application_name",
    };

    // Only DDL, notices or output depend on these: a data load has no use for them.
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "check_function_bodies", "client_min_messages", "default_tablespace", "default_table_access_method",
        "default_with_oids", "escape_string_warning", "default_toast_compression", "extra_float_digits", "bytea_output",
    };

    private const string Tag = "$sr_setting$";

    /// <summary>Tells what to do with one setting statement as <see cref="Dump.Plain.SettingStatement"/> renders it.</summary>
    /// <returns>The text to write: the statement itself, a guarded form, or null to leave it out.</returns>
    public static string? ForPart(string statement)
    {
        var name = NameOf(statement);
        if (name is null || name.Contains('.', StringComparison.Ordinal) || Kept.Contains(name))
        {
            // Custom settings (a.b) are accepted by every version; unparsable ones stay as the checked statement.
            return statement;
        }

        if (Dropped.Contains(name))
        {
            return null;
        }

        // Anything else (transaction_timeout, a setting a newer pg_dump adds): applied only where the server knows it.
        var literal = ScriptText.Literal(statement);
        return literal.Contains(Tag, StringComparison.Ordinal)
            ? null
            : $"DO {Tag}BEGIN IF EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = {ScriptText.Literal(name.ToLowerInvariant())}) THEN EXECUTE {literal}; END IF; END{Tag};";
    }

    /// <summary>The setting's name in <c>SET [LOCAL] name = ...</c>, <c>SET TIME ZONE ...</c> or <c>SELECT pg_catalog.set_config('name', ...)</c>.</summary>
    internal static string? NameOf(string statement)
    {
        const string SetConfig = "SELECT pg_catalog.set_config('";
        if (statement.StartsWith(SetConfig, StringComparison.Ordinal))
        {
            var end = statement.IndexOf("', ", SetConfig.Length, StringComparison.Ordinal);
            return end < 0 ? null : statement[SetConfig.Length..end].Replace("''", "'", StringComparison.Ordinal);
        }

        if (!statement.StartsWith("SET ", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = statement["SET ".Length..];
        if (rest.StartsWith("LOCAL ", StringComparison.Ordinal))
        {
            rest = rest["LOCAL ".Length..];
        }

        if (rest.StartsWith("TIME ZONE ", StringComparison.Ordinal))
        {
            return "timezone";
        }

        if (rest.StartsWith('"'))
        {
            var name = new StringBuilder();
            for (var i = 1; i < rest.Length; i++)
            {
                if (rest[i] == '"' && i + 1 < rest.Length && rest[i + 1] == '"')
                {
                    name.Append('"');
                    i++;
                }
                else if (rest[i] == '"')
                {
                    return name.ToString();
                }
                else
                {
                    name.Append(rest[i]);
                }
            }

            return null;
        }

        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        return space <= 0 ? null : rest[..space];
    }
}
