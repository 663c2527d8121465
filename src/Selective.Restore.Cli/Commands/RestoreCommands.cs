using System.CommandLine;
using Selective.Restore.Cli.Display;

namespace Selective.Restore.Cli.Commands;

/// <summary>
/// <c>plan</c> and <c>apply</c>: diff a dump against a live database by primary key and (for apply) write only
/// the missing or conflicting rows. The human summary goes to stdout; <c>--json FILE</c> writes the report.
/// Exit code 0 when every table succeeded, 1 when any table failed (the report says why), 2 for usage errors.
/// </summary>
internal static class RestoreCommands
{
    public static Command CreatePlan(TextWriter output, TextWriter error, ProgressOutput progress) => Create("plan", plan: true, output, error, progress);

    public static Command CreateApply(TextWriter output, TextWriter error, ProgressOutput progress) => Create("apply", plan: false, output, error, progress);

    private static Command Create(string name, bool plan, TextWriter output, TextWriter error, ProgressOutput progressOutput)
    {
        var common = new CommonOptions();
        var live = new LiveDatabaseOptions(
            "Connection string of the live database: PostgreSQL (Npgsql, e.g. \"Host=db;Database=shop;Username=restore\") or SQL Server (SqlClient, e.g. \"Server=db;Database=shop;User ID=restore;TrustServerCertificate=true\"; restores SQL Server scripts only); see --provider. PostgreSQL passwords are best given with PGPASSWORD or a .pgpass file; they are never printed.",
            "Also write the report as JSON to FILE: {\"tables\": [{\"schema\", \"table\", \"dumpRows\", \"missing\", ...}], ...}.");
        var skipIncompatible = new Option<bool>("--skip-incompatible-tables") { Description = "Skip (with a warning) tables the live database cannot take the dump's rows into (no such table, a NOT NULL column the dump lacks, no key) instead of failing them." };
        var identityKeys = new Option<string[]>("--identity-key")
        {
            Description = "Declare a table's identity (natural) key, TABLE=COLUMN[,COLUMN] (e.g. public.accounts=email). A dump row with a live key but a different identity is a collision (a different entity), never merged; a NULL identity column makes the row undetermined, never written. Repeatable.",
            HelpName = "TABLE=COLUMNS",
        };
        var onCollision = new Option<string>("--on-collision")
        {
            Description = "What to do with collisions: skip reports them and holds back their children (default), fail applies nothing to the table or the tables referencing it, remap inserts the row under a new key from the table's sequence and moves its children with it.",
            DefaultValueFactory = _ => "skip",
            HelpName = "MODE",
        };
        onCollision.AcceptOnlyFromAmong("skip", "fail", "remap");
        var lockTimeout = new Option<string>("--lock-timeout")
        {
            Description = "How long to wait for a lock on a live table held by another session before that table fails, naming the holder (e.g. 30s, 500ms, 5m; 0 waits forever). Statements themselves never time out. Default: 30s.",
            DefaultValueFactory = _ => "30s",
            HelpName = "DURATION",
        };
        lockTimeout.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && ParseDuration(result.Tokens[0].Value) is null)
            {
                result.AddError($"--lock-timeout '{result.Tokens[0].Value}': expected a duration such as 30s, 500ms, 5m or 0 (wait forever), at most 24h");
            }
        });
        identityKeys.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (ParseIdentityKey(token.Value) is null)
                {
                    result.AddError($"--identity-key '{token.Value}': expected TABLE=COLUMN[,COLUMN], e.g. public.accounts=email or public.accounts=username,domain");
                }
            }
        });
        var command = new Command(
            name,
            plan
                ? "Compare a dump with the live database by primary key: per table missing, identical, conflicting and live-only rows, what an apply would insert, update and skip (the first keys of each), " +
                  "and a warning where it would fail (rows whose parent row is neither live nor selected). Writes nothing (needs only SELECT and TEMP); to preview a policy, use apply --policy POLICY --dry-run. " +
                  "Exit codes: 0 compared; 1 bad input or a table that could not be compared; 2 usage error; 4 compared, but the --json report could not be written."
                : "Insert the dump's missing rows (and resolve conflicting ones by --policy), each table in a transaction, parents before children; sequences are moved past restored IDs. " +
                  "Exit codes: 0 applied; 1 bad input or a failed table (the others are applied: see the summary); 2 usage error; 4 applied, but the --json report could not be written; 130 cancelled.");
        common.AddTo(command, from: true);
        live.AddTo(command);

        // -l as pg_restore's: the dump's tables this command would select, and nothing else (no target needed).
        var list = new Option<bool>("--list", "-l") { Description = "List the dump's tables this command would select (after -t/-n/-T/-N), with row counts, as inspect does, and exit: nothing is connected to or applied." };
        command.Add(list);
        live.Target.Required = false;
        command.Validators.Add(result =>
        {
            if (result.GetResult(list) is not { Implicit: false } && result.GetResult(live.Target) is null)
            {
                result.AddError("Option '--target' is required.");
            }
        });
        command.Add(skipIncompatible);
        command.Add(identityKeys);
        command.Add(onCollision);
        command.Add(lockTimeout);
        var jobs = new Option<int>("--jobs", "-j")
        {
            Description = $"Apply tables in parallel over N connections to the target, as pg_restore -j does (1 to {RestoreBuilder.MaxJobs}; default 1). The dump is read once; a table is applied only after the tables it references are committed, so the result and the report are those of -j 1. Cannot be combined with --single-transaction. A SQLite target runs on one connection (with a warning): SQLite writes one transaction at a time.",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
        };
        jobs.Validators.Add(result =>
        {
            // Not a number at all is System.CommandLine's own parse error.
            if (result.Tokens.Count > 0 && int.TryParse(result.Tokens[0].Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is < 1 or > RestoreBuilder.MaxJobs)
            {
                result.AddError($"-j/--jobs '{result.Tokens[0].Value}': expected a number of connections from 1 to {RestoreBuilder.MaxJobs}");
            }
        });
        command.Add(jobs);
        var allowIncomplete = new Option<bool>("--allow-incomplete") { Description = "Restore from a pg_dump file that lacks pg_dump's closing '-- PostgreSQL database dump complete' line (cut short: tables after the cut are missing). Without it, such a dump stops the run before anything is applied." };
        command.Add(allowIncomplete);

        Option<string>? policy = null;
        Option<bool>? single = null;
        Option<bool>? dryRun = null;
        Option<string?>? undo = null, journal = null, journalTable = null;
        if (!plan)
        {
            policy = new Option<string>("--policy")
            {
                Description = "What to do with conflicting rows (same key, different values): prefer-live keeps live (default), prefer-dump overwrites with the dump, fail-on-conflict applies nothing to a table with conflicts.",
                DefaultValueFactory = _ => "prefer-live",
                HelpName = "POLICY",
            };
            policy.AcceptOnlyFromAmong("prefer-live", "insert-missing", "prefer-dump", "fail-on-conflict");
            single = new Option<bool>("--single-transaction") { Description = "One transaction for all tables: everything or nothing." };
            dryRun = new Option<bool>("--dry-run") { Description = "Same as plan, with this --policy: classify, decide as the apply would in a transaction that is rolled back, and report what would be inserted, updated and skipped; writes nothing." };
            undo = new Option<string?>("--undo") { Description = "Write an undo script to FILE: a psql script (one transaction) that deletes the rows this restore inserted and puts back the values it overwrote, refusing if any of them changed since. Parts are kept in FILE.parts/ as tables commit.", HelpName = "FILE" };
            journal = new Option<string?>("--journal") { Description = "Record a checkpoint per committed table in FILE; after a crash or kill, run the same command again to resume (tables already applied are skipped and reported).", HelpName = "FILE" };
            journalTable = new Option<string?>("--journal-table") { Description = "Like --journal, but in a table of the target (SCHEMA.TABLE, created if absent), written in each table's own transaction: exact whenever the run is killed.", HelpName = "SCHEMA.TABLE" };
            journalTable.Validators.Add(result =>
            {
                if (result.Tokens.Count > 0 && ParseTableName(result.Tokens[0].Value) is null)
                {
                    result.AddError($"--journal-table '{result.Tokens[0].Value}': expected SCHEMA.TABLE, e.g. public.selective_restore_journal");
                }
            });
            command.Add(policy);
            command.Add(single);
            command.Validators.Add(result =>
            {
                if (result.GetValue(jobs) > 1 && result.GetValue(single))
                {
                    result.AddError("-j/--jobs cannot be combined with --single-transaction: one transaction cannot span several connections");
                }
            });
            command.Add(dryRun);
            command.Add(undo);
            command.Add(journal);
            command.Add(journalTable);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(list))
            {
                // Only the dump is read: the display says so, not that a database is being connected to.
                using var listing = ProgressDisplay.Create(parse.GetValue(live.Quiet) ? ProgressOutput.None : progressOutput, error, QuietOption.Reading);
                return await InspectCommand.ListAsync(common, parse, output, listing, cancellationToken).ConfigureAwait(false);
            }

            live.CheckJsonPath(parse); // Build() checks the dump, --undo and --journal: all before anything is applied
            using var progress = live.Progress(parse, progressOutput, error);
            var logger = live.Logger(parse, progress.Log);
            var builder = common.Restore(parse)
                .To(live.ProviderOf(parse), parse.GetRequiredValue(live.Target))
                .IncludeTables(common.IncludePatterns(parse))
                .ExcludeTables(common.ExcludePatterns(parse))
                .SkipUnknownColumns(parse.GetValue(live.SkipUnknownColumns))
                .SkipIncompatibleTables(parse.GetValue(skipIncompatible))
                .WithLogger(logger)
                .WithProgress(progress)
                .WithLockTimeout(ParseDuration(parse.GetValue(lockTimeout)!)!.Value)
                .AllowIncompleteDump(parse.GetValue(allowIncomplete))
                .FromDatabase(CommonOptions.NonEmpty(parse.GetValue(common.Database)))
                .WithJobs(parse.GetValue(jobs))
                .OnCollision(parse.GetValue(onCollision) switch { "fail" => CollisionHandling.Fail, "remap" => CollisionHandling.Remap, _ => CollisionHandling.Skip });
            foreach (var declaration in parse.GetValue(identityKeys) ?? [])
            {
                var (table, columns) = ParseIdentityKey(declaration)!.Value;
                builder.WithIdentityKey(table, columns);
            }

            if (!plan)
            {
                builder.WithPolicy(MergePolicy.Parse(parse.GetValue(policy!)!));
                builder.WithTransactionMode(parse.GetValue(single!) ? TransactionMode.SingleTransaction : TransactionMode.PerTable);
                if (parse.GetValue(undo!) is { } undoPath)
                {
                    builder.WithUndoScript(undoPath);
                }

                if (parse.GetValue(journal!) is { } journalPath)
                {
                    builder.WithJournal(journalPath);
                }

                if (parse.GetValue(journalTable!) is { } journalName)
                {
                    builder.WithJournalTable(ParseTableName(journalName)!.Value);
                }
            }

            var planOnly = plan || parse.GetValue(dryRun!);
            builder.AsPlan(planOnly);
            RestoreReport report;
            try
            {
                var engine = builder.Build();
                report = await progress.ShowAsync(() => engine.RunAsync(cancellationToken)).ConfigureAwait(false);
            }
            catch (RestoreCanceledException cancelled)
            {
                // What committed before the cancel stays: say which, in the summary and the JSON report.
                await output.WriteAsync(cancelled.Report.ToSummary()).ConfigureAwait(false);
                return await live.WriteJsonAsync(parse, cancelled.Report.ToJson(), error, "the run was cancelled; the tables the summary lists as applied WERE committed", CliApp.Cancelled, CancellationToken.None)
                    .ConfigureAwait(false);
            }

            await output.WriteAsync(report.ToSummary()).ConfigureAwait(false);
            var done = planOnly
                ? "the plan ran (nothing was written to the database)"
                : report.Succeeded ? "the restore WAS applied and committed" : "the restore ran and committed what the summary says";
            var exitCode = report.InvalidOptions ? CliApp.UsageError : report.Succeeded ? CliApp.Success : CliApp.Failure;
            return await live.WriteJsonAsync(parse, report.ToJson(), error, done, exitCode, CancellationToken.None).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Parses <c>500ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c> or a number of seconds, from 0 to 24 hours.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var trimmed = text.Trim();
        var (number, unit) = trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (trimmed[..^2], 0.001)
            : trimmed.EndsWith('s') || trimmed.EndsWith('S') ? (trimmed[..^1], 1.0)
            : trimmed.EndsWith('m') || trimmed.EndsWith('M') ? (trimmed[..^1], 60.0)
            : trimmed.EndsWith('h') || trimmed.EndsWith('H') ? (trimmed[..^1], 3600.0)
            : (trimmed, 1.0);
        if (!double.TryParse(number, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var seconds = value * unit;
        return seconds is >= 0 and <= 24 * 3600 ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>Splits <c>SCHEMA.TABLE</c> (names as written, no quoting).</summary>
    private static TableName? ParseTableName(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 2 && parts.All(p => p.Length > 0) ? new TableName(parts[0], parts[1]) : null;
    }

    /// <summary>Splits <c>TABLE=COL[,COL]</c>; column names are taken as written (quote nothing, they are exact).</summary>
    private static (string Table, string[] Columns)? ParseIdentityKey(string declaration)
    {
        var equals = declaration.LastIndexOf('=');
        var columns = equals < 0 ? [] : declaration[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries);
        var table = equals < 0 ? string.Empty : declaration[..equals].Trim();
        return table.Length == 0 || columns.Length == 0 || columns.Any(c => c.Length == 0) ? null : (table, columns);
    }
}
