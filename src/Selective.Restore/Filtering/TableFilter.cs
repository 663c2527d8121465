using System.Text;
using System.Text.RegularExpressions;
using Selective.Restore.Dump;

namespace Selective.Restore;

/// <summary>
/// Which tables to take from a dump, with pg_dump/pg_restore-style patterns: <c>public.orders</c>,
/// <c>public.*</c>, <c>*.audit_*</c>, <c>orders</c> (any schema), <c>payment_p2007_0[1-3]</c>. As in psql:
/// <c>*</c> matches any run of characters, <c>?</c> one character, <c>.</c> separates schema and table, other
/// regular-expression syntax (<c>[...]</c>, <c>(a|b)</c>, <c>+</c>) works as in a regex; unquoted letters are
/// folded to lower case like SQL identifiers, double-quoted parts are taken literally
/// (<c>"Sales"."Order Lines"</c>). Exclusions win over inclusions; no inclusion means all tables.
/// </summary>
public sealed class TableFilter
{
    private readonly TablePattern[] _include;
    private readonly TablePattern[] _exclude;
    private readonly Action<TableName>? _observe;
    private readonly Action<TableName, bool>? _decided;

    private TableFilter(TablePattern[] include, TablePattern[] exclude, Action<TableName>? observe = null, Action<TableName, bool>? decided = null)
    {
        _include = include;
        _exclude = exclude;
        _observe = observe;
        _decided = decided;
    }

    /// <summary>A filter that takes every table.</summary>
    public static TableFilter All { get; } = new([], []);

    /// <summary>Builds a filter from include and exclude patterns.</summary>
    /// <exception cref="ArgumentException">A pattern is malformed (unbalanced quotes, more than one dot outside quotes, empty part).</exception>
    public static TableFilter Create(IEnumerable<string>? include, IEnumerable<string>? exclude = null) =>
        new([.. (include ?? []).Select(TablePattern.Parse)], [.. (exclude ?? []).Select(TablePattern.Parse)]);

    /// <summary>True when the filter takes every table.</summary>
    public bool IsAll => _include.Length == 0 && _exclude.Length == 0;

    /// <summary>True when <paramref name="table"/> is selected.</summary>
    public bool Matches(TableName table)
    {
        _observe?.Invoke(table);
        var selected = (_include.Length == 0 || Array.Exists(_include, p => p.Matches(table))) && !Array.Exists(_exclude, p => p.Matches(table));
        _decided?.Invoke(table, selected);
        return selected;
    }

    /// <summary>
    /// The patterns, as given (include patterns first), that match none of <paramref name="tables"/>: for the tables of
    /// a dump, almost certainly a typo that would otherwise select or leave out nothing, silently.
    /// </summary>
    public IReadOnlyList<string> PatternsMatchingNone(IEnumerable<TableName> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var names = tables as IReadOnlyCollection<TableName> ?? [.. tables];
        return [.. _include.Concat(_exclude).Where(p => !names.Any(p.Matches)).Select(p => p.Text)];
    }

    /// <summary>
    /// For a pattern that matched nothing: the tables it would match if case did not matter (unquoted names fold to lower
    /// case, so <c>dbo.Employees</c> misses <c>dbo."Employees"</c>), as a hint ending the error, or empty.
    /// </summary>
    public static string Hint(string pattern, IEnumerable<TableName> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        TablePattern parsed;
        try
        {
            parsed = TablePattern.Parse(pattern);
        }
        catch (ArgumentException)
        {
            return string.Empty;
        }

        var near = tables.Where(parsed.MatchesIgnoringCase).Distinct().Take(3).ToList();
        return near.Count == 0
            ? string.Empty
            : $"; did you mean {string.Join(", ", near.Select(t => Quoted(t.Schema) + "." + Quoted(t.Name)))}? (unquoted names fold to lower case: quote them for exact case)";

        static string Quoted(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary>This filter, also leaving out the given patterns.</summary>
    internal TableFilter Except(IEnumerable<string> patterns) => new(_include, [.. _exclude, .. patterns.Select(TablePattern.Parse)], _observe, _decided);

    /// <summary>
    /// A copy of this filter (its observer too) that also tells <paramref name="decided"/> each answer: how a reader
    /// knows which table it is skipping, for progress.
    /// </summary>
    internal TableFilter Deciding(Action<TableName, bool> decided) => new(_include, _exclude, _observe, _decided + decided);

    /// <summary>
    /// A copy of this filter that tells <paramref name="observe"/> every table it is asked about. Given to
    /// <see cref="DumpReaderOptions.Tables"/>, it learns every table of a dump while only the selected ones are read,
    /// e.g. for <see cref="PatternsMatchingNone"/>.
    /// </summary>
    public TableFilter Observing(Action<TableName> observe)
    {
        ArgumentNullException.ThrowIfNull(observe);
        return new(_include, _exclude, observe, _decided);
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsAll ? "all tables" : $"include [{string.Join(", ", _include.Select(p => p.Text))}] exclude [{string.Join(", ", _exclude.Select(p => p.Text))}]";

    private sealed class TablePattern
    {
        private readonly Regex? _schema;
        private readonly Regex _name;

        private TablePattern(string text, Regex? schema, Regex name)
        {
            Text = text;
            _schema = schema;
            _name = name;
        }

        public string Text { get; }

        public bool Matches(TableName table) => (_schema is null || _schema.IsMatch(table.Schema)) && _name.IsMatch(table.Name);

        /// <summary>As <see cref="Matches"/>, with every letter of the pattern taken in either case.</summary>
        public bool MatchesIgnoringCase(TableName table) =>
            (_schema is null || IgnoringCase(_schema).IsMatch(table.Schema)) && IgnoringCase(_name).IsMatch(table.Name);

        private static Regex IgnoringCase(Regex regex) =>
            new(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking | RegexOptions.IgnoreCase);

        public static TablePattern Parse(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new ArgumentException($"Table pattern '{text}' is empty.", nameof(text));
            }

            var parts = new List<StringBuilder> { new() };
            var inQuotes = false;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (c == '"')
                {
                    if (inQuotes && i + 1 < text.Length && text[i + 1] == '"')
                    {
                        parts[^1].Append(Regex.Escape("\""));
                        i++;
                    }
                    else
                    {
                        inQuotes = !inQuotes;
                    }
                }
                else if (c == '.' && !inQuotes)
                {
                    parts.Add(new StringBuilder());
                }
                else if (c is '*' && !inQuotes)
                {
                    parts[^1].Append(".*");
                }
                else if (c is '?' && !inQuotes)
                {
                    parts[^1].Append('.');
                }
                else if (inQuotes)
                {
                    parts[^1].Append(Regex.Escape(c.ToString()));
                }
                else if (c == '$')
                {
                    parts[^1].Append(@"\$");
                }
                else
                {
                    // Regex syntax passes through, as psql's patterns allow.
                    parts[^1].Append(char.ToLowerInvariant(c));
                }
            }

            if (inQuotes)
            {
                throw new ArgumentException($"Table pattern '{text}' has an unbalanced double quote.", nameof(text));
            }

            if (parts.Count > 2 || parts.Exists(p => p.Length == 0))
            {
                throw new ArgumentException($"Table pattern '{text}' must be TABLE or SCHEMA.TABLE (quote names that contain dots).", nameof(text));
            }

            Regex Compile(StringBuilder pattern)
            {
                try
                {
                    return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking);
                }
                catch (RegexParseException ex)
                {
                    // Said in the pattern's terms, never the regular expression it became.
                    var error = System.Text.RegularExpressions.Regex.Replace(ex.Error.ToString(), "(?<=[a-z])(?=[A-Z])", " ", RegexOptions.None, TimeSpan.FromSeconds(1)).ToLowerInvariant();
                    throw new ArgumentException(
                        $"Table pattern '{text}' is not a valid pattern ({error}): patterns take * and ? wildcards and, as psql's do, regular-expression syntax; put a name with [ ( {{ | or + in double quotes.",
                        nameof(text),
                        ex);
                }
            }

            return parts.Count == 1
                ? new TablePattern(text, null, Compile(parts[0]))
                : new TablePattern(text, Compile(parts[0]), Compile(parts[1]));
        }
    }
}
