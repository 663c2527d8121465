namespace Selective.Restore.SqlServer;

/// <summary>How a SQL Server column's values are read and printed (one kind per group of system types).</summary>
internal enum SqlServerTypeKind
{
    /// <summary>tinyint, smallint, int, bigint.</summary>
    Integer,

    /// <summary>bit: printed 1 / 0, as scripts write it.</summary>
    Bit,

    /// <summary>decimal, numeric: printed with the column's scale.</summary>
    Decimal,

    /// <summary>money, smallmoney: printed with four decimals, as SSMS scripts them.</summary>
    Money,

    /// <summary>float (8 bytes).</summary>
    Float,

    /// <summary>real (4 bytes).</summary>
    Real,

    /// <summary>char, varchar, nchar, nvarchar (max too), text, ntext, sysname.</summary>
    String,

    /// <summary>xml: compared as its text (SQL Server cannot compare xml values).</summary>
    Xml,

    /// <summary>binary, varbinary (max too), image: printed as hex bytea text.</summary>
    Binary,

    /// <summary>date.</summary>
    Date,

    /// <summary>time(n).</summary>
    Time,

    /// <summary>datetime (1/300 s, printed to the millisecond).</summary>
    DateTime,

    /// <summary>smalldatetime (to the minute).</summary>
    SmallDateTime,

    /// <summary>datetime2(n).</summary>
    DateTime2,

    /// <summary>datetimeoffset(n): the local time and its offset.</summary>
    DateTimeOffset,

    /// <summary>uniqueidentifier: upper case, as SQL Server converts it to text.</summary>
    UniqueIdentifier,

    /// <summary>rowversion/timestamp: never written (the server sets it), read as binary.</summary>
    RowVersion,
}

/// <summary>A column's system type as the catalog names it (<c>sys.types</c> of its <c>system_type_id</c>), with its scale.</summary>
/// <param name="Name">The system type's name, lower case (<c>nvarchar</c>, <c>datetime2</c>).</param>
/// <param name="Kind">How its values are printed.</param>
/// <param name="Scale">Decimal places (decimal, numeric) or fractional-second digits (time, datetime2, datetimeoffset).</param>
internal readonly record struct SqlServerType(string Name, SqlServerTypeKind Kind, byte Scale)
{
    /// <summary>
    /// The type of a column from its system type name and scale, or null for types the provider refuses
    /// (hierarchyid, geography, geometry, sql_variant, and anything unknown): their values have no text that round trips.
    /// </summary>
    public static SqlServerType? From(string systemTypeName, byte scale)
    {
        ArgumentNullException.ThrowIfNull(systemTypeName);
        var name = systemTypeName.ToLowerInvariant();
        SqlServerTypeKind? kind = name switch
        {
            "tinyint" or "smallint" or "int" or "bigint" => SqlServerTypeKind.Integer,
            "bit" => SqlServerTypeKind.Bit,
            "decimal" or "numeric" => SqlServerTypeKind.Decimal,
            "money" or "smallmoney" => SqlServerTypeKind.Money,
            "float" => SqlServerTypeKind.Float,
            "real" => SqlServerTypeKind.Real,
            "char" or "varchar" or "nchar" or "nvarchar" or "text" or "ntext" or "sysname" => SqlServerTypeKind.String,
            "xml" => SqlServerTypeKind.Xml,
            "binary" or "varbinary" or "image" => SqlServerTypeKind.Binary,
            "date" => SqlServerTypeKind.Date,
            "time" => SqlServerTypeKind.Time,
            "datetime" => SqlServerTypeKind.DateTime,
            "smalldatetime" => SqlServerTypeKind.SmallDateTime,
            "datetime2" => SqlServerTypeKind.DateTime2,
            "datetimeoffset" => SqlServerTypeKind.DateTimeOffset,
            "uniqueidentifier" => SqlServerTypeKind.UniqueIdentifier,
            "timestamp" or "rowversion" => SqlServerTypeKind.RowVersion,
            _ => null,
        };
        if (kind is null)
        {
            return null;
        }

        // The catalog's scale is 0 for types without one; datetime's is 3 but it prints its own way.
        return new SqlServerType(name, kind.Value, kind is SqlServerTypeKind.Decimal or SqlServerTypeKind.Time or SqlServerTypeKind.DateTime2 or SqlServerTypeKind.DateTimeOffset ? scale : (byte)0);
    }

    /// <summary>Why a column of <paramref name="systemTypeName"/> cannot be restored, for the error that names it.</summary>
    public static string Unsupported(string systemTypeName) => systemTypeName.ToLowerInvariant() switch
    {
        "hierarchyid" or "geography" or "geometry" => $"{systemTypeName} is a CLR type whose values have no text form that round trips",
        "sql_variant" => "sql_variant values carry their own type, which a text form loses",
        _ => $"the type {systemTypeName} is not supported",
    };
}
