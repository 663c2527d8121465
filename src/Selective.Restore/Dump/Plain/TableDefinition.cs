namespace Selective.Restore.Dump.Plain;

/// <summary>
/// The column list of a <c>CREATE TABLE</c> in the dump, kept so that INSERT statements written
/// without a column list (<c>pg_dump --inserts</c>) can still name their values.
/// </summary>
internal sealed class TableDefinition
{
    private TableDefinition(TableName name, List<string> allColumns, List<string> dataColumns, List<TableName> parents)
    {
        Name = name;
        AllColumns = allColumns;
        DataColumns = dataColumns;
        Parents = parents;
    }

    public TableName Name { get; }

    /// <summary>Every locally declared column in order, generated ones included.</summary>
    public List<string> AllColumns { get; }

    /// <summary>The columns that carry data (generated columns left out), as COPY lists them.</summary>
    public List<string> DataColumns { get; }

    /// <summary>INHERITS parents or the PARTITION OF parent, whose columns come first.</summary>
    public List<TableName> Parents { get; }

    private static readonly byte[][] ConstraintWords =
        ["CONSTRAINT"u8.ToArray(), "PRIMARY"u8.ToArray(), "UNIQUE"u8.ToArray(), "CHECK"u8.ToArray(), "FOREIGN"u8.ToArray(), "EXCLUDE"u8.ToArray(), "LIKE"u8.ToArray()];

    public static TableDefinition? TryParse(ReadOnlySpan<byte> span, List<Token> tokens, string defaultSchema)
    {
        // CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] name ( ... ) | PARTITION OF parent | OF type
        var i = 1;
        while (i < tokens.Count && (tokens[i].IsWord(span, "GLOBAL"u8) || tokens[i].IsWord(span, "LOCAL"u8) || tokens[i].IsWord(span, "TEMP"u8) ||
                                    tokens[i].IsWord(span, "TEMPORARY"u8) || tokens[i].IsWord(span, "UNLOGGED"u8)))
        {
            i++;
        }

        if (i >= tokens.Count || !tokens[i].IsWord(span, "TABLE"u8))
        {
            return null;
        }

        i++;
        if (i + 2 < tokens.Count && tokens[i].IsWord(span, "IF"u8))
        {
            i += 3;
        }

        if (!TryName(span, tokens, ref i, defaultSchema, out var name))
        {
            return null;
        }

        var all = new List<string>();
        var data = new List<string>();
        var parents = new List<TableName>();
        if (i < tokens.Count && tokens[i].IsWord(span, "PARTITION"u8) && i + 1 < tokens.Count && tokens[i + 1].IsWord(span, "OF"u8))
        {
            i += 2;
            if (TryName(span, tokens, ref i, defaultSchema, out var parent))
            {
                parents.Add(parent);
            }

            return new TableDefinition(name, all, data, parents);
        }

        if (i >= tokens.Count || !tokens[i].IsPunct(span, (byte)'('))
        {
            return null; // CREATE TABLE ... OF type, AS query: column order unknown here
        }

        i++;
        var depth = 0;
        var elementStart = i;
        for (; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.IsPunct(span, (byte)'('))
            {
                depth++;
            }
            else if ((t.IsPunct(span, (byte)',') || t.IsPunct(span, (byte)')')) && depth == 0)
            {
                AddElement(span, tokens, elementStart, i, all, data);
                elementStart = i + 1;
                if (t.IsPunct(span, (byte)')'))
                {
                    i++;
                    break;
                }
            }
            else if (t.IsPunct(span, (byte)')'))
            {
                depth--;
            }
        }

        if (i + 1 < tokens.Count && tokens[i].IsWord(span, "INHERITS"u8) && tokens[i + 1].IsPunct(span, (byte)'('))
        {
            i += 2;
            while (i < tokens.Count && TryName(span, tokens, ref i, defaultSchema, out var parent))
            {
                parents.Add(parent);
                if (i < tokens.Count && tokens[i].IsPunct(span, (byte)','))
                {
                    i++;
                }
            }
        }

        return new TableDefinition(name, all, data, parents);
    }

    private static void AddElement(ReadOnlySpan<byte> span, List<Token> tokens, int start, int end, List<string> all, List<string> data)
    {
        if (start >= end)
        {
            return;
        }

        var first = tokens[start];
        if (first.Kind == TokenKind.Word)
        {
            foreach (var word in ConstraintWords)
            {
                // EXCLUDE is an unreserved keyword, so pg_dump writes a column of that name unquoted:
                // only EXCLUDE USING ... / EXCLUDE ( ... ) is a constraint.
                if (first.IsWord(span, word) &&
                    (!first.IsWord(span, "EXCLUDE"u8) || (start + 1 < end && (tokens[start + 1].IsPunct(span, (byte)'(') || tokens[start + 1].IsWord(span, "USING"u8)))))
                {
                    return;
                }
            }
        }

        if (first.Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
        {
            return;
        }

        var name = SqlLiteral.Identifier(first.Text(span), first.Kind);
        all.Add(name);

        // GENERATED ALWAYS AS ( expr ) STORED carries no data; GENERATED ... AS IDENTITY does.
        for (var k = start + 1; k + 3 < end + 1 && k + 3 <= tokens.Count; k++)
        {
            if (tokens[k].IsWord(span, "GENERATED"u8) && tokens[k + 1].IsWord(span, "ALWAYS"u8) && tokens[k + 2].IsWord(span, "AS"u8) &&
                tokens[k + 3].IsPunct(span, (byte)'('))
            {
                return;
            }
        }

        data.Add(name);
    }

    private static bool TryName(ReadOnlySpan<byte> span, List<Token> tokens, ref int i, string defaultSchema, out TableName name)
    {
        name = default;
        if (i >= tokens.Count || tokens[i].Kind is not (TokenKind.Word or TokenKind.QuotedIdentifier))
        {
            return false;
        }

        var first = SqlLiteral.Identifier(tokens[i].Text(span), tokens[i].Kind);
        i++;
        if (i + 1 < tokens.Count && tokens[i].IsPunct(span, (byte)'.') && tokens[i + 1].Kind is TokenKind.Word or TokenKind.QuotedIdentifier)
        {
            name = new TableName(first, SqlLiteral.Identifier(tokens[i + 1].Text(span), tokens[i + 1].Kind));
            i += 2;
            return true;
        }

        name = new TableName(defaultSchema, first);
        return true;
    }
}
