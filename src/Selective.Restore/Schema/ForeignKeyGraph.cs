
namespace Selective.Restore.Providers;

/// <summary>
/// Tables restored together: one table, or the tables of a foreign-key cycle, which are written in one
/// transaction (with DEFERRABLE constraints deferred) so that whatever order the rows need is possible.
/// </summary>
/// <param name="Tables">The tables, in the order they are written.</param>
/// <param name="BlockingKeys">For a cycle, its foreign keys that are not DEFERRABLE (as <c>table.constraint -> referenced</c>): if the restored rows depend on each other through these, no order works.</param>
internal sealed record ForeignKeyGroup(IReadOnlyList<LiveTable> Tables, IReadOnlyList<string> BlockingKeys)
{
    /// <summary>True when the group is a cycle of several tables.</summary>
    public bool IsCycle => Tables.Count > 1;

    /// <inheritdoc />
    public override string ToString() => IsCycle ? $"cycle {string.Join(" <-> ", Tables.Select(t => t.Name))}" : Tables[0].Name.ToString();
}

/// <summary>
/// Orders tables so that referenced (parent) tables are restored before the tables that reference them.
/// Self-references need no order (each table is written by one statement, and the server checks the
/// constraint at the end of it). Tables that reference each other in a cycle form one group.
/// </summary>
internal static class ForeignKeyGraph
{
    /// <summary>Computes the restore order.</summary>
    /// <param name="tables">The tables to restore; foreign keys to tables outside this set are ignored.</param>
    /// <returns>Groups, parents first.</returns>
    public static IReadOnlyList<ForeignKeyGroup> Order(IReadOnlyList<LiveTable> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var byName = tables.ToDictionary(t => t.Name);

        // Tarjan returns a component only after every component it references: parents first.
        var result = new List<ForeignKeyGroup>();
        foreach (var component in StronglyConnected(tables, byName))
        {
            var members = component.Select(t => t.Name).ToHashSet();
            var blocking = component.Count == 1
                ? []
                : component
                    .SelectMany(t => t.ForeignKeys.Where(fk => members.Contains(fk.ReferencedTable) && fk.ReferencedTable != t.Name && !fk.Deferrable)
                        .Select(fk => $"{t.Name}.{fk.Name} -> {fk.ReferencedTable}"))
                    .ToList();
            result.Add(new ForeignKeyGroup([.. component.OrderBy(t => t.Name.ToString(), StringComparer.Ordinal)], blocking));
        }

        return result;
    }

    private static List<List<LiveTable>> StronglyConnected(IReadOnlyList<LiveTable> tables, Dictionary<TableName, LiveTable> byName)
    {
        // Tarjan's algorithm, iterative so deep FK chains cannot overflow the stack.
        var index = new Dictionary<TableName, int>();
        var low = new Dictionary<TableName, int>();
        var onStack = new HashSet<TableName>();
        var stack = new Stack<LiveTable>();
        var result = new List<List<LiveTable>>();
        var counter = 0;

        IEnumerable<LiveTable> Parents(LiveTable t) => t.ForeignKeys
            .Select(fk => fk.ReferencedTable)
            .Where(p => p != t.Name && byName.ContainsKey(p))
            .Distinct()
            .Select(p => byName[p]);

        foreach (var root in tables.OrderBy(t => t.Name.ToString(), StringComparer.Ordinal))
        {
            if (index.ContainsKey(root.Name))
            {
                continue;
            }

            var work = new Stack<(LiveTable Table, IEnumerator<LiveTable> Parents)>();
            Visit(root);
            while (work.Count > 0)
            {
                var (table, parents) = work.Peek();
                if (parents.MoveNext())
                {
                    var parent = parents.Current;
                    if (!index.TryGetValue(parent.Name, out var parentIndex))
                    {
                        Visit(parent);
                    }
                    else if (onStack.Contains(parent.Name))
                    {
                        low[table.Name] = Math.Min(low[table.Name], parentIndex);
                    }

                    continue;
                }

                work.Pop();
                parents.Dispose();
                if (work.Count > 0)
                {
                    var caller = work.Peek().Table.Name;
                    low[caller] = Math.Min(low[caller], low[table.Name]);
                }

                if (low[table.Name] == index[table.Name])
                {
                    var component = new List<LiveTable>();
                    LiveTable member;
                    do
                    {
                        member = stack.Pop();
                        onStack.Remove(member.Name);
                        component.Add(member);
                    }
                    while (member.Name != table.Name);
                    result.Add(component);
                }
            }

            void Visit(LiveTable t)
            {
                index[t.Name] = low[t.Name] = counter++;
                stack.Push(t);
                onStack.Add(t.Name);
                work.Push((t, Parents(t).GetEnumerator()));
            }
        }

        return result;
    }
}
