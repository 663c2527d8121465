using Selective.Restore.Dump;

namespace Selective.Restore.Schema;

/// <summary>
/// Orders tables so that referenced (parent) tables are restored before the tables that reference them.
/// Self-references need no order (each table is written by one statement, and the server checks the
/// constraint at the end of it). A cycle between tables is allowed only when every foreign key on it is
/// DEFERRABLE: those tables then form one group applied in one transaction with deferred checks.
/// </summary>
public static class ForeignKeyGraph
{
    /// <summary>Computes the restore order.</summary>
    /// <param name="tables">The tables to restore; foreign keys to tables outside this set are ignored.</param>
    /// <returns>Groups in order; a group has one table, or several that form a deferrable cycle.</returns>
    /// <exception cref="ForeignKeyCycleException">A cycle has a foreign key that is not deferrable.</exception>
    public static IReadOnlyList<IReadOnlyList<LiveTable>> Order(IReadOnlyList<LiveTable> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var byName = tables.ToDictionary(t => t.Name);
        var components = StronglyConnected(tables, byName);

        // Tarjan emits components children-first (a component after everything it references... reversed):
        // it returns a component only after all components reachable from it, i.e. parents first.
        var result = new List<IReadOnlyList<LiveTable>>();
        foreach (var component in components)
        {
            if (component.Count > 1)
            {
                var members = component.Select(t => t.Name).ToHashSet();
                var blocking = component
                    .SelectMany(t => t.ForeignKeys.Where(fk => members.Contains(fk.ReferencedTable) && fk.ReferencedTable != t.Name && !fk.Deferrable)
                        .Select(fk => $"{t.Name}.{fk.Name} -> {fk.ReferencedTable}"))
                    .ToList();
                if (blocking.Count > 0)
                {
                    throw new ForeignKeyCycleException([.. component.Select(t => t.Name)], blocking);
                }
            }

            result.Add([.. component.OrderBy(t => t.Name.ToString(), StringComparer.Ordinal)]);
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

/// <summary>Tables reference each other in a cycle through a foreign key that is not DEFERRABLE, so no insert order can satisfy it.</summary>
public sealed class ForeignKeyCycleException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ForeignKeyCycleException(IReadOnlyList<TableName> tables, IReadOnlyList<string> blockingKeys)
        : base($"Tables {string.Join(", ", tables)} reference each other in a cycle through foreign keys that are not DEFERRABLE ({string.Join("; ", blockingKeys)}). " +
               "Make one of them DEFERRABLE, or restore these tables with the constraint dropped.")
    {
        Tables = tables;
        BlockingKeys = blockingKeys;
    }

    /// <summary>The tables on the cycle.</summary>
    public IReadOnlyList<TableName> Tables { get; }

    /// <summary>The non-deferrable foreign keys on the cycle, as <c>table.constraint -> referenced</c>.</summary>
    public IReadOnlyList<string> BlockingKeys { get; }
}
