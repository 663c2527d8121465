using System.CommandLine;
using Selective.Restore.Cli.Display;

namespace Selective.Restore.Cli.Commands;

/// <summary>
/// <c>selective-restore verify DUMP --target CONNECTION</c>: checks a backup against the live database (rows per table
/// by key, key ranges, sequences, tables on one side only). The summary goes to stdout; <c>--json FILE</c> writes the report.
/// Exit codes: 0 checked and no gated problem, 1 could not check (bad dump, unusable target, a table that cannot be
/// compared), 2 usage error, 3 a problem named in <c>--fail-on</c> was found.
/// </summary>
internal static class VerifyCommand
{
    /// <summary>Exit code when the check ran and found a problem the user gated on with <c>--fail-on</c>.</summary>
    public const int GateTripped = 3;

    public static Command Create(TextWriter output, TextWriter error, ProgressOutput progressOutput)
    {
        var common = new CommonOptions();
        var live = new LiveDatabaseOptions(
            "Connection string of the live database: PostgreSQL (Npgsql, e.g. \"Host=db;Database=shop;Username=readonly\") or SQL Server (SqlClient, e.g. \"Server=db;Database=shop;User ID=readonly;TrustServerCertificate=true\"); see --provider. Needs only SELECT (and TEMP on PostgreSQL). PostgreSQL passwords are best given with PGPASSWORD or a .pgpass file; they are never printed.",
            "Also write the report as JSON to FILE: {\"problems\": [{\"kind\", ...}], \"tables\": [{\"schema\", \"table\", \"dumpRows\", \"liveRows\", \"missing\", ...}], \"sequences\": [...], ...}.");
        var failOn = new Option<string[]>("--fail-on")
        {
            Description = "Exit with 3 when any of these problems is found (comma-separated or repeated; 'all' for every kind): " +
                          string.Join(", ", VerifyProblems.All.Select(VerifyProblems.Name)) + ". Without it problems are reported and the exit code is 0.",
            HelpName = "KIND[,KIND...]|all",
        };
        failOn.Validators.Add(result =>
        {
            if (result.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value.Replace(',', ' '))))
            {
                result.AddError("--fail-on: name at least one problem kind, or all.");
            }

            foreach (var token in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (!string.Equals(token, "all", StringComparison.OrdinalIgnoreCase) && !VerifyProblems.TryParse(token, out _))
                {
                    result.AddError($"--fail-on: unknown problem '{token}'; use all or {string.Join(", ", VerifyProblems.All.Select(VerifyProblems.Name))}.");
                }
            }
        });
        var command = new Command(
            "verify",
            "Check a backup against the live database before trusting it: per table dump vs live rows by key (missing, live-only, conflicting), " +
            "key ranges on both sides, live-only rows inside the dump's key range (reused IDs or a backup missing rows), sequences behind the dump or " +
            "behind their column's max, and tables present on one side only. Read-only (needs SELECT and TEMP). " +
            "Exit codes: 0 checked, no gated problem; 1 could not check; 2 usage error; 3 a problem named in --fail-on was found.");
        common.AddTo(command, from: true);
        live.AddTo(command);
        command.Add(failOn);
        command.SetAction(async (parse, cancellationToken) =>
        {
            live.CheckJsonPath(parse); // Build() reports a missing dump
            using var progress = live.Progress(parse, progressOutput, error);
            var logger = live.Logger(parse, progress.Log);
            var builder = common.Check(parse)
                .To(live.ProviderOf(parse), parse.GetRequiredValue(live.Target))
                .IncludeTables(common.IncludePatterns(parse))
                .ExcludeTables(common.ExcludePatterns(parse))
                .SkipUnknownColumns(parse.GetValue(live.SkipUnknownColumns))
                .FromDatabase(CommonOptions.NonEmpty(parse.GetValue(common.Database)))
                .FailOn([.. ParseKinds(parse.GetValue(failOn) ?? [])])
                .WithLogger(logger)
                .WithProgress(progress);
            var verifier = builder.Build();
            var report = await progress.ShowAsync(() => verifier.RunAsync(cancellationToken)).ConfigureAwait(false);
            await output.WriteAsync(report.ToSummary()).ConfigureAwait(false);
            var exitCode = report.InvalidOptions ? CliApp.UsageError : !report.Completed ? CliApp.Failure : report.GateTripped ? GateTripped : CliApp.Success;
            return await live.WriteJsonAsync(parse, report.ToJson(), error, "the check ran (it writes nothing to the database)", exitCode, cancellationToken)
                .ConfigureAwait(false);
        });
        return command;
    }

    private static IEnumerable<VerifyProblem> ParseKinds(string[] values)
    {
        foreach (var token in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (string.Equals(token, "all", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var kind in VerifyProblems.All)
                {
                    yield return kind;
                }
            }
            else if (VerifyProblems.TryParse(token, out var kind))
            {
                yield return kind;
            }
        }
    }
}
