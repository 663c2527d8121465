using System.Globalization;
using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers.InMemory;

/// <summary>
/// The engine's target seam over an <see cref="InMemoryDatabase"/>: the engine-side diff path (live rows streamed out,
/// the delta staged and confirmed typed, set-based writes) without a server. Its staging is per session, as temp
/// tables are; its transactions roll back every write, the journal's too. The identity logic (collisions, relocation,
/// key maps, remaps, self-references) is the PostgreSQL target's SQL written in C# (<c>InMemoryTarget.Identity.cs</c>):
/// the contract suite runs both, which keeps them in step until the engine owns that logic.
/// </summary>
internal sealed partial class InMemoryTarget : IRestoreTarget
{
    private readonly InMemoryDatabase _database;
    private List<Action>? _undoLog; // the open transaction's compensations, newest last
    private bool _readOnly;
    private long _transactionId;
    private bool _connected;

    public InMemoryTarget(InMemoryDatabase database)
    {
        _database = database;
        database.Sessions.Add(this);
    }

    public string Description => $"memory://{_database.Name}";

    public int Session { get; private set; }

    public bool IsBroken => !_connected;

    public TimeSpan LockTimeout { get; set; }

    public IUndoDialect UndoDialect => throw new NotSupportedException("the in-memory database writes no undo script");

    public Task ConnectAsync(CancellationToken cancellationToken)
    {
        Operation("connect");
        _undoLog = null;
        _connected = true;
        Session++;
        return Task.CompletedTask;
    }

    /// <summary>The connection drops: the open transaction rolls back, the staging is gone.</summary>
    public void Break()
    {
        Rollback();
        _connected = false;
    }

    public bool IsTransient(Exception exception) => exception is InMemoryTransientException;

    public bool IsLockTimeout(Exception exception) => false;

    public Task<string> ExplainLockTimeoutAsync(TableName table, CancellationToken cancellationToken) => Task.FromResult($"waited for a lock on {table}");

    public string Describe(Exception exception) => exception.Message;

    public Task<LiveTable?> ReadTableAsync(TableName name, CancellationToken cancellationToken)
    {
        Operation("catalog");
        return Task.FromResult(_database.Find(name)?.Shape);
    }

    public Task<StagedTable> CreateStagingAsync(TableMapping mapping, DumpTable dump, int ordinal, CancellationToken cancellationToken)
    {
        Operation("stage");
        return Task.FromResult<StagedTable>(new InMemoryStaging(mapping, ordinal, Session));
    }

    public Task<Stream> OpenLiveRowsAsync(TableMapping mapping, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        Operation("export");
        var table = Table(mapping.Live.Name);
        var indexes = columns.Select(table.IndexOf).ToList();
        var text = new StringBuilder();
        foreach (var row in table.Rows)
        {
            text.Append(table.Line([.. indexes.Select(i => row[i])])).Append('\n');
        }

        return Task.FromResult<Stream>(new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public Task<long> StageDeltaAsync(StagedTable staged, IRowLines delta, IRowLines? held, CancellationToken cancellationToken)
    {
        Operation("stage-delta");
        var staging = StagingOf(staged);
        staging.Rows.Clear();
        var mapping = staged.Mapping;
        foreach (var (lines, isHeld) in new[] { (held, true), (delta, false) })
        {
            if (lines is null)
            {
                continue;
            }

            lines.Rewind();
            while (lines.TryRead(out var line, out var lineNumber, out var position))
            {
                var fields = Fields(line);
                for (var i = 0; i < fields.Length; i++)
                {
                    // The database parses every value it stages: a bad one names its row, dump line and column.
                    if (fields[i] is { } text && mapping.Targets[i] is { } column)
                    {
                        try
                        {
                            InMemoryTypes.Validate(column.DataType, text);
                        }
                        catch (InMemoryDataException ex)
                        {
                            throw new InMemoryDataException(
                                $"{ex.Message} (staging {mapping.Live.Name}, row {position}, dump line {lineNumber}, column {mapping.DumpColumns[i].Name})");
                        }
                    }
                }

                staging.Rows.Add(new StagedRow(fields, lineNumber, position) { Hold = isHeld });
            }
        }

        return Task.FromResult((long)staging.Rows.Count);
    }

    public Task BeginAsync(bool readOnly, CancellationToken cancellationToken)
    {
        Operation("begin");
        _undoLog = [];
        _readOnly = readOnly;
        _transactionId = _database.NextTransactionId();
        return Task.CompletedTask;
    }

    public Task DeferConstraintsAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CommitAsync(CancellationToken cancellationToken)
    {
        Operation("commit");
        _undoLog = null;
        _database.MarkCommitted(_transactionId);
        return Task.CompletedTask;
    }

    public Task RollbackAsync(CancellationToken cancellationToken)
    {
        Rollback();
        return Task.CompletedTask;
    }

    private void Rollback()
    {
        if (_undoLog is { } log)
        {
            for (var i = log.Count - 1; i >= 0; i--)
            {
                log[i]();
            }
        }

        _undoLog = null;
    }

    public Task<WholeRowCounts> ClassifyWholeRowsAsync(StagedTable staged, IRowLines? liveOnly, CancellationToken cancellationToken)
    {
        Operation("classify");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        staging.Delta.Clear();

        // Copies the engine could not pair by text are paired here by value, copy for copy.
        var unpaired = new Dictionary<string, int>(StringComparer.Ordinal);
        if (liveOnly is not null)
        {
            liveOnly.Rewind();
            while (liveOnly.TryRead(out var line, out _, out _))
            {
                var image = SameImage(mapping, Fields(line));
                unpaired[image] = unpaired.GetValueOrDefault(image) + 1;
            }
        }

        long held = 0, pairedHeld = 0;
        foreach (var row in staging.Rows)
        {
            held += row.Hold ? 1 : 0;
            var image = SameImage(mapping, row.Values);
            if (unpaired.GetValueOrDefault(image) > 0)
            {
                unpaired[image]--;
                pairedHeld += row.Hold ? 1 : 0;
                continue;
            }

            staging.Delta.Add(new DeltaRow(staging.Delta.Count + 1, row.Hold ? 'h' : 'm', row, live: false));
        }

        return Task.FromResult(new WholeRowCounts(staging.Delta.Count(d => d.Class == 'm'), held, pairedHeld));
    }

    public Task<IReadOnlyList<RowPair>> ReadRowsAsync(StagedTable staged, RowClass rowClass, long after, int max, CancellationToken cancellationToken)
    {
        Operation("read");
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        var written = Enumerable.Range(0, mapping.DumpColumns.Count).Where(i => mapping.Targets[i] is not null).ToList();
        var names = written.Select(i => mapping.Targets[i]!.Name).ToList();
        var result = new List<RowPair>();
        foreach (var delta in staging.Delta.Where(d => d.Position > after && d.Class == (rowClass == RowClass.Missing ? 'm' : 'c')).Take(max))
        {
            var dumpTexts = written.Select(i => delta.Row.Values[i]).ToArray();
            var dump = Values(names, names.Select(n => table.Shape.Find(n)!.DataType).ToList(), dumpTexts);
            var keyIndexes = mapping.Key.Select(k => names.IndexOf(k)).ToList();
            var key = new RowValues(mapping.Key, [.. keyIndexes.Select(dump.ValueAt)], [.. keyIndexes.Select(dump.TextAt)]);
            RowValues? live = null;
            if (rowClass == RowClass.Conflicting)
            {
                var liveRow = table.FindByKey(DumpKey(mapping, delta.Row.Values)!)!;
                live = Values(names, names.Select(n => table.Shape.Find(n)!.DataType).ToList(), [.. names.Select(n => liveRow[table.IndexOf(n)])]);
            }

            result.Add(new RowPair(delta.Position, key, dump, live));
        }

        return Task.FromResult<IReadOnlyList<RowPair>>(result);
    }

    public Task<long> ApplyMergedAsync(StagedTable staged, IReadOnlyList<(RowValues Key, IReadOnlyDictionary<string, object?> Values, RowValues Live)> rows, TextWriter? undo, CancellationToken cancellationToken)
    {
        Operation("apply");
        NoUndo(undo);
        var table = Table(staged.Mapping.Live.Name);
        long updated = 0;
        foreach (var (key, values, _) in rows)
        {
            var row = table.FindByKey(InMemoryTable.KeyImage(staged.Mapping.Key.Select((k, i) => (table.Shape.Find(k)!.DataType, key.TextAt(i))))!);
            if (row is null || values.Count == 0)
            {
                continue;
            }

            var changed = (string?[])row.Clone();
            foreach (var (name, value) in values)
            {
                var column = table.Shape.Find(name) ?? throw new RestoreTableException($"a merged row sets column '{name}', which {table.Shape.Name} does not have");
                if (staged.Mapping.Key.Contains(name, StringComparer.Ordinal))
                {
                    throw new RestoreTableException($"a merged row may not change key column '{name}'");
                }

                changed[table.IndexOf(name)] = InMemoryTypes.Text(column, value);
            }

            Update(table, row, changed);
            updated++;
        }

        return Task.FromResult(updated);
    }

    public Task<ApplyCounts> ApplyAsync(StagedTable staged, ApplyInstructions instructions, TextWriter? undo, CancellationToken cancellationToken)
    {
        Operation("apply");
        NoUndo(undo);
        var staging = StagingOf(staged);
        var mapping = staged.Mapping;
        var table = Table(mapping.Live.Name);
        staging.Written.Clear();
        long inserted = 0, updated = 0, remapped = 0;
        if (instructions.InsertMissing)
        {
            // Missing rows and remapped rows (under their new key) together, in delta order.
            foreach (var delta in staging.Delta.Where(d => d.Class is 'm' or 'r'))
            {
                var values = delta.Row.Values;
                if (delta.Class == 'r')
                {
                    remapped++; // under the new key ReclassifyAsync gave it
                }
                else if (mapping.Key.Count > 0 && table.FindByKey(DumpKey(mapping, values)!) is not null)
                {
                    continue; // inserted concurrently (ON CONFLICT DO NOTHING)
                }

                var row = new string?[table.Shape.Columns.Count];
                var written = new bool[row.Length];
                for (var i = 0; i < mapping.DumpColumns.Count; i++)
                {
                    if (mapping.Targets[i] is { IsGenerated: false } column)
                    {
                        row[table.IndexOf(column.Name)] = values[i];
                        written[table.IndexOf(column.Name)] = true;
                    }
                }

                for (var i = 0; i < row.Length; i++)
                {
                    if (!written[i] && table.Shape.Columns[i].Sequence is { } sequence)
                    {
                        row[i] = _database.NextValue(sequence).ToString(CultureInfo.InvariantCulture);
                    }
                }

                Insert(table, row);
                staging.Written.Add(row);
                inserted++;
            }
        }

        var updatable = Enumerable.Range(0, mapping.DumpColumns.Count)
            .Where(i => mapping.Targets[i] is { IsGenerated: false, Identity: not IdentityColumn.Always } c && !mapping.Key.Contains(c.Name, StringComparer.Ordinal))
            .ToList();
        if (mapping.Key.Count > 0 && updatable.Count > 0 && (instructions.UpdateConflicting || instructions.UpdateChosen))
        {
            foreach (var delta in staging.Delta.Where(d => d.Class == 't' || (instructions.UpdateConflicting && d.Class == 'c')))
            {
                var key = DumpKey(mapping, delta.Row.Values)!;
                if (table.FindByKey(key) is not { } row)
                {
                    continue;
                }

                var changed = (string?[])row.Clone();
                foreach (var i in updatable)
                {
                    changed[table.IndexOf(mapping.Targets[i]!.Name)] = delta.Row.Values[i];
                }

                Update(table, row, changed);
                staging.Written.Add(changed);
                updated++;
            }
        }

        return Task.FromResult(new ApplyCounts(inserted, updated, remapped));
    }

    public Task<MissingParents?> FindMissingParentsAsync(StagedTable staged, LiveForeignKey foreignKey, LiveTable parent, ApplyInstructions instructions, Func<IReadOnlyList<string>, bool>? unwritten, CancellationToken cancellationToken)
    {
        Operation("parents");
        var mapping = staged.Mapping;
        var parentTable = Table(parent.Name);
        var references = foreignKey.Columns.Select(c => Enumerable.Range(0, mapping.Targets.Count).First(i => mapping.Targets[i]?.Name == c)).ToList();
        var keys = mapping.Key.Select(k => Enumerable.Range(0, mapping.Targets.Count).First(i => mapping.Targets[i]?.Name == k)).ToList();
        var written = StagingOf(staged).Delta.Where(d =>
            (instructions.InsertMissing && d.Class is 'm' or 'r') || (instructions.UpdateConflicting && d.Class == 'c') || ((instructions.UpdateConflicting || instructions.UpdateChosen) && d.Class == 't'));

        // A NULL in the reference checks nothing (MATCH SIMPLE); otherwise the parent's key must be there.
        var orphans = written.Where(d => references.TrueForAll(i => d.Row.Values[i] is not null) &&
            parentTable.FindByKey(InMemoryTable.KeyImage(foreignKey.ReferencedColumns.Select((c, n) => (parent.Find(c)!.DataType, d.Row.Values[references[n]])))!) is null &&
            (unwritten is null || unwritten([.. references.Select(i => d.Row.Values[i]!)]))).ToList();
        return Task.FromResult(orphans.Count == 0
            ? null
            : new MissingParents(orphans.Count, [.. keys.Select(i => orphans[0].Row.Values[i]!)], [.. references.Select(i => orphans[0].Row.Values[i]!)]));
    }

    public Task<IReadOnlyList<RowWitness>> ReadWitnessesAsync(StagedTable staged, ApplyInstructions instructions, int max, CancellationToken cancellationToken)
    {
        var table = Table(staged.Mapping.Live.Name);
        var keys = staged.Mapping.Key.Select(table.IndexOf).ToList();
        return Task.FromResult<IReadOnlyList<RowWitness>>(
            [.. StagingOf(staged).Written.Take(max).Select(row => new RowWitness([.. keys.Select(i => row[i]!)], table.Line(row)))]);
    }

    public async Task<int> CountWitnessesAsync(LiveTable live, IReadOnlyList<string> key, IReadOnlyList<RowWitness> witnesses, CancellationToken cancellationToken)
    {
        await ConnectIfBrokenAsync(cancellationToken).ConfigureAwait(false);
        var table = Table(live.Name);
        var count = witnesses.Count(w =>
            InMemoryTable.KeyImage(key.Select((k, i) => (table.Shape.Find(k)!.DataType, (string?)w.Key[i]))) is { } image &&
            table.FindByKey(image) is { } row && table.Line(row) == w.Row);
        return count;
    }

    public async Task<IReadOnlyList<string>> ReadJournalAsync(TableName journal, string fingerprint, CancellationToken cancellationToken)
    {
        await ConnectIfBrokenAsync(cancellationToken).ConfigureAwait(false);
        Operation("journal");
        var rows = _database.Journals.TryGetValue(journal, out var found) ? found : _database.Journals[journal] = [];
        return [.. rows.Where(r => r.Fingerprint == fingerprint).Select(r => r.Entry)];
    }

    public Task<long> TransactionIdAsync(CancellationToken cancellationToken) => Task.FromResult(_transactionId);

    public async Task<bool?> IsCommittedAsync(long transactionId, CancellationToken cancellationToken)
    {
        await ConnectIfBrokenAsync(cancellationToken).ConfigureAwait(false);
        return _database.IsCommitted(transactionId);
    }

    public Task RecordJournalAsync(TableName journal, string fingerprint, TableName table, string entry, CancellationToken cancellationToken)
    {
        Operation("journal");
        Write();
        // One checkpoint per fingerprint and table: a later one replaces it (the rollback puts it back).
        var rows = _database.Journals[journal];
        var index = rows.FindIndex(r => r.Fingerprint == fingerprint && r.Table == table);
        var record = (fingerprint, table, entry);
        if (index < 0)
        {
            rows.Add(record);
            _undoLog!.Add(() => rows.Remove(record));
        }
        else
        {
            var before = rows[index];
            rows[index] = record;
            _undoLog!.Add(() => rows[rows.IndexOf(record)] = before);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ReseedAsync(LiveTable live, CancellationToken cancellationToken)
    {
        Operation("reseed");
        var table = Table(live.Name);
        var changes = new List<string>();
        foreach (var column in live.Columns.Where(c => c.Sequence is not null))
        {
            var index = table.IndexOf(column.Name);
            var values = table.Rows.Where(r => r[index] is not null).Select(r => long.Parse(r[index]!, CultureInfo.InvariantCulture)).ToList();
            var sequence = column.Sequence!.Value;
            var (last, called) = _database.Sequences[sequence];
            var handedOut = called ? last : last - 1;
            if (values.Count == 0 || values.Max() <= handedOut)
            {
                continue;
            }

            var before = _database.Sequences[sequence];
            _database.Sequences[sequence] = (values.Max(), true);
            _undoLog?.Add(() => _database.Sequences[sequence] = before);
            changes.Add($"sequence {sequence} moved from {handedOut} to {values.Max()} (max {column.Name}) so new rows cannot reuse restored IDs");
        }

        return Task.FromResult<IReadOnlyList<string>>(changes);
    }

    public ValueTask DisposeAsync()
    {
        Rollback();
        _connected = false;
        _database.Sessions.Remove(this);
        return ValueTask.CompletedTask;
    }

    // ------------------------------------------------------------ helpers

    private async Task ConnectIfBrokenAsync(CancellationToken cancellationToken)
    {
        if (IsBroken)
        {
            await ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void NoUndo(TextWriter? undo)
    {
        if (undo is not null)
        {
            throw new NotSupportedException("the in-memory database writes no undo script");
        }
    }

    private void Operation(string name)
    {
        if (!_connected && name != "connect")
        {
            throw new InMemoryTransientException("the connection to the in-memory database is closed");
        }

        _database.BeforeOperation?.Invoke(name);
    }

    private void Write()
    {
        if (_undoLog is null)
        {
            throw new InvalidOperationException("a write outside a transaction");
        }

        if (_readOnly)
        {
            throw new InMemoryDataException("cannot execute a write in a read-only transaction");
        }
    }

    private void Insert(InMemoryTable table, string?[] row)
    {
        Write();
        CheckRow(table, row);
        table.Insert(row);
        _undoLog!.Add(() => table.Remove(row));
    }

    private void Update(InMemoryTable table, string?[] row, string?[] changed)
    {
        Write();
        CheckRow(table, changed);
        var before = (string?[])row.Clone();
        Array.Copy(changed, row, row.Length);
        _undoLog!.Add(() => Array.Copy(before, row, row.Length));
    }

    /// <summary>NOT NULL, types and foreign keys, checked on every write.</summary>
    private void CheckRow(InMemoryTable table, string?[] row)
    {
        for (var i = 0; i < row.Length; i++)
        {
            var column = table.Shape.Columns[i];
            if (row[i] is { } text)
            {
                InMemoryTypes.Validate(column.DataType, text);
            }
            else if (column.NotNull)
            {
                throw new InMemoryDataException($"null value in column \"{column.Name}\" of relation \"{table.Shape.Name.Name}\" violates not-null constraint");
            }
        }

        foreach (var fk in table.Shape.ForeignKeys)
        {
            var parent = Table(fk.ReferencedTable);
            var values = fk.Columns.Select(c => row[table.IndexOf(c)]).ToList();
            if (values.Any(v => v is null))
            {
                continue;
            }

            var image = InMemoryTable.KeyImage(fk.ReferencedColumns.Select((c, i) => (parent.Shape.Find(c)!.DataType, values[i])));
            if (parent.FindByKey(image!) is null)
            {
                throw new InMemoryDataException(
                    $"insert or update on table \"{table.Shape.Name.Name}\" violates foreign key constraint \"{fk.Name}\": key ({string.Join(", ", fk.Columns)})=({string.Join(", ", values)}) is not present in table \"{fk.ReferencedTable.Name}\"");
            }
        }
    }

    private InMemoryTable Table(TableName name) => _database.Find(name) ?? throw new InMemoryDataException($"relation {name} does not exist");

    // Session-scoped, like temp tables: a reconnect loses every staging.
    private Staging StagingOf(StagedTable staged) =>
        staged.Session == Session
            ? ((InMemoryStaging)staged).Data
            : throw new InMemoryDataException($"staging {((InMemoryStaging)staged).Name} does not exist (it went with an earlier session)");

    private static string? DumpKey(TableMapping mapping, string?[] values)
    {
        var keyValues = mapping.Key.Select(k =>
        {
            var i = Enumerable.Range(0, mapping.Targets.Count).First(i => mapping.Targets[i]?.Name == k);
            return (mapping.Targets[i]!.DataType, values[i]);
        });
        return InMemoryTable.KeyImage(keyValues);
    }

    private static IEnumerable<string> KeyTexts(TableMapping mapping, string?[] values) =>
        mapping.Key.Select(k => $"{k}={values[Enumerable.Range(0, mapping.Targets.Count).First(i => mapping.Targets[i]?.Name == k)] ?? "NULL"}");

    /// <summary>Whether the written, non-key columns print differently (NULL-safe: NULL equals only NULL).</summary>
    private static bool Differs(TableMapping mapping, InMemoryTable table, string?[] dump, string?[] live)
    {
        for (var i = 0; i < mapping.DumpColumns.Count; i++)
        {
            if (mapping.Targets[i] is not { IsGenerated: false } column || mapping.Key.Contains(column.Name, StringComparer.Ordinal))
            {
                continue;
            }

            var liveText = live[table.IndexOf(column.Name)];
            if (dump[i] is null || liveText is null
                    ? dump[i] is not null || liveText is not null
                    : InMemoryTypes.SameImage(column.DataType, dump[i]!) != InMemoryTypes.SameImage(column.DataType, liveText))
            {
                return true;
            }
        }

        return false;
    }

    private static string SameImage(TableMapping mapping, string?[] values) =>
        string.Join('\u0001', values.Select((v, i) => v is null ? "\u0002" : InMemoryTypes.SameImage(mapping.Targets[i]!.DataType, v)));

    private static RowValues Values(List<string> names, List<string> types, string?[] texts) =>
        new(names, [.. texts.Select((t, i) => t is null ? null : InMemoryTypes.Typed(types[i], t))], texts);

    private static string?[] Fields(ReadOnlySpan<byte> line)
    {
        var fields = new List<string?>();
        while (true)
        {
            var tab = line.IndexOf((byte)'\t');
            var field = tab < 0 ? line : line[..tab];
            fields.Add(CopyText.Decode(field));
            if (tab < 0)
            {
                return [.. fields];
            }

            line = line[(tab + 1)..];
        }
    }

    private sealed class StagedRow(string?[] values, long line, long position)
    {
        public string?[] Values { get; } = values;

        public long Line { get; } = line;

        public long Position { get; } = position;

        /// <summary>Staged as held back (it references a row that is not written): never written.</summary>
        public bool Hold { get; init; }
    }

    private sealed class DeltaRow(long position, char @class, StagedRow row, bool live)
    {
        public long Position { get; } = position;

        /// <summary>m missing, c conflicting, k collision, u undetermined, o relocated, h held back, r remapped, x excluded, s skipped, t overwrite.</summary>
        public char Class { get; set; } = @class;

        public StagedRow Row { get; } = row;

        /// <summary>Its key was live when classified.</summary>
        public bool Live { get; } = live;
    }

    private sealed class InMemoryStaging(TableMapping mapping, int ordinal, int session) : StagedTable(mapping, session)
    {
        public string Name { get; } = $"stage_{ordinal}";

        public Staging Data { get; } = new();
    }

    private sealed class Staging
    {

        public List<StagedRow> Rows { get; } = [];

        public List<DeltaRow> Delta { get; } = [];


        public List<string?[]> Written { get; } = [];

    }
}
