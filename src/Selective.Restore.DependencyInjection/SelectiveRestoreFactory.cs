using Microsoft.Extensions.Logging;
using Npgsql;

namespace Selective.Restore;

/// <summary>
/// Starts restores and backup checks preconfigured from <see cref="SelectiveRestoreOptions"/>: the target, the policy,
/// the tables, the transaction mode, the parallel jobs, the lock timeout, and logging through the container's <see cref="ILoggerFactory"/>.
/// Registered as a singleton by <c>AddSelectiveRestore</c>; every builder it returns can still be changed before <c>Build()</c>.
/// </summary>
public sealed class SelectiveRestoreFactory
{
    private readonly SelectiveRestoreOptions _options;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly Kind _kind;

    /// <summary>Creates the factory; validates <paramref name="options"/> (an <see cref="ArgumentException"/> names the bad setting).</summary>
    public SelectiveRestoreFactory(SelectiveRestoreOptions options, ILoggerFactory? loggerFactory = null, NpgsqlDataSource? dataSource = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _kind = Validate(options, dataSource);
        _options = options;
        _loggerFactory = loggerFactory;
        _dataSource = dataSource;
    }

    /// <summary>A restore from the dump file at <paramref name="path"/>.</summary>
    public RestoreBuilder FromDump(string path) => Configure(SelectiveRestore.FromDump(path));

    /// <summary>A restore from a database source (a PITR clone, yesterday's file).</summary>
    public RestoreBuilder FromDatabase(DumpSource source) => Configure(SelectiveRestore.FromDatabase(source));

    /// <summary>A check of the dump file at <paramref name="path"/> against the live database.</summary>
    public VerifyBuilder VerifyDump(string path)
    {
        var builder = BackupVerification.FromDump(path).IncludeTables([.. _options.IncludeTables]).ExcludeTables([.. _options.ExcludeTables]);
        if (_loggerFactory is not null)
        {
            builder.WithLoggerFactory(_loggerFactory);
        }

        return _kind switch
        {
            Kind.PostgreSql when _options.ConnectionString is { } cs => builder.ToPostgreSql(cs),
            Kind.PostgreSql => builder.ToPostgreSql(_dataSource!),
            Kind.SqlServer => builder.ToSqlServer(_options.ConnectionString!),
            _ => builder.ToSqlite(_options.ConnectionString!),
        };
    }

    private RestoreBuilder Configure(RestoreBuilder builder)
    {
        // No patterns select every table, as in the builders themselves: the lists are passed as they are.
        builder.WithPolicy(MergePolicy.Parse(_options.Policy)).WithTransactionMode(_options.TransactionMode).WithLockTimeout(_options.LockTimeout)
            .WithJobs(_options.Jobs)
            .IncludeTables([.. _options.IncludeTables]).ExcludeTables([.. _options.ExcludeTables]);
        if (_loggerFactory is not null)
        {
            builder.WithLoggerFactory(_loggerFactory);
        }

        return _kind switch
        {
            Kind.PostgreSql when _options.ConnectionString is { } cs => builder.ToPostgreSql(cs),
            Kind.PostgreSql => builder.ToPostgreSql(_dataSource!),
            Kind.SqlServer => builder.ToSqlServer(_options.ConnectionString!),
            _ => builder.ToSqlite(_options.ConnectionString!),
        };
    }

    private static Kind Validate(SelectiveRestoreOptions options, NpgsqlDataSource? dataSource)
    {
        var kind = options.Provider?.Trim().ToLowerInvariant() switch
        {
            "postgresql" or "postgres" or "npgsql" => Kind.PostgreSql,
            "sqlserver" or "mssql" => Kind.SqlServer,
            "sqlite" => Kind.Sqlite,
            _ => throw new ArgumentException($"SelectiveRestore:Provider is '{options.Provider}'; expected postgresql, sqlserver or sqlite", nameof(options)),
        };

        if (string.IsNullOrWhiteSpace(options.ConnectionString) && !(kind == Kind.PostgreSql && dataSource is not null))
        {
            throw new ArgumentException(
                kind == Kind.PostgreSql
                    ? "SelectiveRestore:ConnectionString is missing, and no NpgsqlDataSource is registered"
                    : "SelectiveRestore:ConnectionString is missing",
                nameof(options));
        }

        try
        {
            MergePolicy.Parse(options.Policy);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"SelectiveRestore:Policy: {ex.Message}", nameof(options), ex);
        }

        if (options.LockTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException($"SelectiveRestore:LockTimeout is {options.LockTimeout}; it must be zero (wait forever) or positive", nameof(options));
        }

        if (options.Jobs is < 1 or > RestoreBuilder.MaxJobs)
        {
            throw new ArgumentException($"SelectiveRestore:Jobs is {options.Jobs}; it must be between 1 and {RestoreBuilder.MaxJobs}", nameof(options));
        }

        if (options.Jobs > 1 && options.TransactionMode == TransactionMode.SingleTransaction)
        {
            throw new ArgumentException(
                $"SelectiveRestore:Jobs is {options.Jobs} and SelectiveRestore:TransactionMode is SingleTransaction: one transaction cannot span connections",
                nameof(options));
        }

        return kind;
    }

    private enum Kind
    {
        PostgreSql,
        SqlServer,
        Sqlite,
    }
}
