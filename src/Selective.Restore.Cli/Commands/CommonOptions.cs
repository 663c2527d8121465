using System.CommandLine;
using Microsoft.Extensions.Logging;
using Selective.Restore.Dump;
using Selective.Restore.IO;

namespace Selective.Restore.Cli.Commands;

/// <summary>Arguments shared by the commands that read a dump.</summary>
internal sealed class CommonOptions
{
    public Argument<string?> Dump { get; } = new("dump")
    {
        Description = "The dump: pg_dump plain SQL (optionally gzip), custom (-Fc) or directory (-Fd) archive, a SQL Server script (SSMS, mssql-scripter; UTF-8 or UTF-16) or a sqlite3 .dump; the format is detected from the content.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>--from: a database as the source, in place of the dump (not on every command: <see cref="AddTo"/>).</summary>
    public Option<string?> From { get; } = new("--from")
    {
        Description = "Read the rows from a database instead of a dump: a copy of the live one (a PITR clone, a replica out of rotation, yesterday's app.db), never the target itself. A PostgreSQL connection string (read from one REPEATABLE READ snapshot, as pg_dump prints it) or a SQLite database file (opened read-only).",
        HelpName = "CONNECTION",
    };

    public Option<string[]> Tables { get; } = new("--table", "-t")
    {
        Description = "Only tables matching PATTERN (schema.table, * and ? wildcards, \"quoted\" for exact case). Repeatable.",
        HelpName = "PATTERN",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> ExcludeTables { get; } = new("--exclude-table", "-T")
    {
        Description = "Leave out tables matching PATTERN (wins over --table). Repeatable.",
        HelpName = "PATTERN",
    };

    public Option<string[]> Schemas { get; } = new("--schema", "-n")
    {
        Description = "Only tables in schemas matching PATTERN (as pg_restore's -n; * and ? wildcards, \"quoted\" for exact case). Repeatable; combines with --table.",
        HelpName = "PATTERN",
    };

    public Option<string[]> ExcludeSchemas { get; } = new("--exclude-schema", "-N")
    {
        Description = "Leave out tables in schemas matching PATTERN (as pg_restore's -N; wins over --table and --schema). Repeatable.",
        HelpName = "PATTERN",
    };

    /// <summary>The tables to include: --table patterns and, for each --schema pattern S, <c>S.*</c>.</summary>
    public string[] IncludePatterns(ParseResult parse) => [.. parse.GetValue(Tables) ?? [], .. (parse.GetValue(Schemas) ?? []).Select(SchemaPattern)];

    /// <summary>The tables to leave out: --exclude-table patterns and, for each --exclude-schema pattern S, <c>S.*</c>.</summary>
    public string[] ExcludePatterns(ParseResult parse) => [.. parse.GetValue(ExcludeTables) ?? [], .. (parse.GetValue(ExcludeSchemas) ?? []).Select(SchemaPattern)];

    private static string SchemaPattern(string schema) => schema + ".*";

    /// <summary>Refuses a malformed schema pattern as a usage error (a dot outside quotes would make it a table pattern).</summary>
    private static void ValidateSchemaPatterns(System.CommandLine.Parsing.OptionResult result)
    {
        foreach (var token in result.Tokens)
        {
            try
            {
                TableFilter.Create([SchemaPattern(token.Value)]);
            }
            catch (ArgumentException)
            {
                result.AddError($"Schema pattern '{token.Value}' is not a valid pattern: a schema name, * and ? wildcards, \"quoted\" for exact case or a name with dots.");
            }
        }
    }

    /// <summary>Refuses a malformed table pattern as a usage error, in the pattern's own terms.</summary>
    internal static void ValidatePatterns(System.CommandLine.Parsing.OptionResult result)
    {
        foreach (var token in result.Tokens)
        {
            try
            {
                TableFilter.Create([token.Value]);
            }
            catch (ArgumentException ex)
            {
                result.AddError(ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message);
            }
        }
    }

    public Option<string?> Database { get; } = new("--database")
    {
        Description = "For a dump of several databases (pg_dumpall): read only this database's section (after its \\connect). Without it, such a dump is refused when more than one of its databases holds table data.",
        HelpName = "NAME",
    };

    /// <summary>Adds the dump argument (with <paramref name="from"/>, --from too: exactly one of them is needed) and the table options.</summary>
    public void AddTo(Command command, bool from = false)
    {
        Tables.Validators.Add(ValidatePatterns);
        ExcludeTables.Validators.Add(ValidatePatterns);
        Schemas.Validators.Add(ValidateSchemaPatterns);
        ExcludeSchemas.Validators.Add(ValidateSchemaPatterns);
        command.Add(Dump);
        if (from)
        {
            command.Add(From);
        }

        command.Validators.Add(result =>
        {
            var hasDump = result.GetResult(Dump) is { Tokens.Count: > 0 };
            var hasFrom = from && result.GetResult(From) is { Tokens.Count: > 0 };
            if (hasDump == hasFrom)
            {
                result.AddError(from ? "give the dump, or a database with --from (one of them)" : "the dump is required");
            }
        });
        command.Add(Tables);
        command.Add(Schemas);
        command.Add(ExcludeSchemas);
        command.Add(ExcludeTables);
        command.Add(Database);
    }

    /// <summary>Opens the dump with the table filter; <paramref name="seen"/> collects every table the dump has, for <see cref="CheckPatterns"/>.</summary>
    public DumpReader OpenReader(ParseResult parse, ISet<TableName> seen)
    {
        var source = Source(parse);
        if (parse.GetValue(Dump) is { } path && !File.Exists(path) && !Directory.Exists(path))
        {
            throw new IOException($"{DisplayText.Escape(path)}: no such file");
        }

        source.Check();
        var filter = TableFilter.Create(IncludePatterns(parse), ExcludePatterns(parse));
        return source.Open(new DumpReaderOptions { Tables = filter.Observing(name => seen.Add(name)), Database = NonEmpty(parse.GetValue(Database)) });
    }

    /// <summary>The dump file, or the --from database (its kind told as --target's is).</summary>
    /// <exception cref="CliUsageException">--from names a database that cannot be a source.</exception>
    public DumpSource Source(ParseResult parse)
    {
        if (parse.GetValue(Dump) is { } path)
        {
            return DumpSource.File(path);
        }

        var from = parse.GetValue(From)!;
        return TargetProvider.Resolve(null, from) switch
        {
            TargetProvider.PostgreSql => new PostgreSqlSource(TargetProvider.NpgsqlConnectionString(from)),
            TargetProvider.Sqlite => new SqliteSource(from),
            _ => throw new CliUsageException("--from: a SQL Server database cannot be a source yet; script its data (SSMS Generate Scripts, mssql-scripter) and give the script as the dump"),
        };
    }

    /// <summary>A restore from the dump or the --from database.</summary>
    public RestoreBuilder Restore(ParseResult parse) =>
        parse.GetValue(Dump) is { } path ? SelectiveRestore.FromDump(path) : SelectiveRestore.FromDatabase(Source(parse));

    /// <summary>A check of the dump or the --from database.</summary>
    public Selective.Restore.VerifyBuilder Check(ParseResult parse) =>
        parse.GetValue(Dump) is { } path ? Selective.Restore.BackupVerification.FromDump(path) : Selective.Restore.BackupVerification.FromDatabase(Source(parse));

    /// <summary>An empty --database is no selection (as an unset one), not a database named ''.</summary>
    public static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>After reading the whole dump: a --table or --exclude-table pattern that matched none of its tables is a usage error.</summary>
    /// <exception cref="CliUsageException">A pattern matched nothing.</exception>
    public void CheckPatterns(ParseResult parse, IReadOnlyCollection<TableName> seen)
    {
        var unmatched = TableFilter.Create(IncludePatterns(parse), ExcludePatterns(parse)).PatternsMatchingNone(seen);
        if (unmatched.Count > 0)
        {
            throw new CliUsageException(string.Join("; ", unmatched.Select(p => $"the table pattern '{p}' matches no table in the dump{TableFilter.Hint(p, seen)}")));
        }
    }
}

/// <summary>Options shared by the commands that compare a dump with a live database (plan, apply, verify), and what they do with them.</summary>
internal sealed class LiveDatabaseOptions(string targetDescription, string jsonDescription)
{
    public Option<string> Target { get; } = new("--target") { Description = targetDescription, Required = true, HelpName = "CONNECTION" };

    public Option<string?> Provider { get; } = CreateProvider();

    private static Option<string?> CreateProvider()
    {
        var provider = new Option<string?>("--provider")
        {
            Description = "The live database's kind: postgresql, sqlserver or sqlite. Default: told from --target (Host=/Port=/Username= PostgreSQL; Server=/Data Source=/Initial Catalog=/TrustServerCertificate= SQL Server; a database file, or Data Source= naming one, SQLite); a string that could be more than one is an error.",
            HelpName = "postgresql|sqlserver|sqlite",
        };
        provider.AcceptOnlyFromAmong(TargetProvider.Names);
        return provider;
    }

    /// <summary>The --target's provider, given or told from the string (a usage error when it cannot be told).</summary>
    public string ProviderOf(ParseResult parse) => TargetProvider.Resolve(parse.GetValue(Provider), parse.GetRequiredValue(Target));

    public Option<string?> Json { get; } = new("--json") { Description = jsonDescription, HelpName = "FILE" };

    public Option<bool> Verbose { get; } = new("--verbose", "-v") { Description = "Also log each step to stderr (tables staged, classified, applied). Not with --quiet." };

    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print nothing on stderr but errors: no progress, no warnings (the summary on stdout and the --json report still have them). Not with --verbose." };

    public Option<bool> SkipUnknownColumns { get; } = new("--skip-unknown-columns") { Description = "Ignore dump columns the live table lacks (with a warning) instead of failing the table." };

    public void AddTo(Command command)
    {
        command.Add(Target);
        command.Add(Provider);
        command.Add(Json);
        command.Add(SkipUnknownColumns);
        command.Add(Verbose);
        command.Add(Quiet);
        command.Validators.Add(result =>
        {
            if (result.GetResult(Verbose) is { Implicit: false } && result.GetResult(Quiet) is { Implicit: false })
            {
                result.AddError("--quiet and --verbose cannot be used together: --quiet prints only errors on stderr, --verbose logs every step");
            }
        });
    }

    /// <summary>Warnings (with --verbose, every step; with --quiet, errors only) to <paramref name="error"/>.</summary>
    public TextWriterLogger Logger(ParseResult parse, TextWriter error) =>
        new(error, parse.GetValue(Verbose) ? LogLevel.Information : parse.GetValue(Quiet) ? LogLevel.Error : LogLevel.Warning);

    /// <summary>The progress display: none with --quiet, otherwise as stderr allows (<paramref name="output"/>).</summary>
    public Display.ProgressDisplay Progress(ParseResult parse, Display.ProgressOutput output, TextWriter error) =>
        Display.ProgressDisplay.Create(parse.GetValue(Quiet) ? Display.ProgressOutput.None : output, error);

    /// <summary>Refuses a --json path that is a link, FIFO, device or directory, before the command does anything (exit code 2).</summary>
    public void CheckJsonPath(ParseResult parse)
    {
        if (parse.GetValue(Json) is { } path)
        {
            OutputPath.CheckFile(path, "--json report");
        }
    }

    /// <summary>
    /// Writes the report to the --json file, if one was given (UTF-8, no byte order mark). The command's work is done by
    /// then, so a failure says so (<paramref name="done"/>: what happened) and returns <see cref="CliApp.ReportNotWritten"/>
    /// instead of <paramref name="exitCode"/> when that was success; otherwise <paramref name="exitCode"/>.
    /// </summary>
    public async Task<int> WriteJsonAsync(ParseResult parse, string json, TextWriter error, string done, int exitCode, CancellationToken cancellationToken)
    {
        if (parse.GetValue(Json) is not { } path)
        {
            return exitCode;
        }

        try
        {
            await OutputPath.WriteAllTextAsync(path, json + "\n", "--json report", cancellationToken).ConfigureAwait(false);
            return exitCode;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync(CliApp.OneLine($"selective-restore: {done} (see the summary above), but the --json report could not be written: {ex.Message}"))
                .ConfigureAwait(false);
            return exitCode == CliApp.Success ? CliApp.ReportNotWritten : exitCode;
        }
    }
}

/// <summary>A usage error found only after reading the input (exit code 2).</summary>
internal sealed class CliUsageException(string message) : Exception(message);
