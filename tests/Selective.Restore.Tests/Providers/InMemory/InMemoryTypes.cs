using System.Globalization;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers.InMemory;

/// <summary>
/// The in-memory database's types, spelled as PostgreSQL spells them (the contract suite creates the same tables in
/// both). Values are stored as the text the database prints; each type says when two texts are the same key, when
/// they print the same (the "identical" rule), whether a text is valid input, and what a policy sees typed.
/// </summary>
internal static class InMemoryTypes
{
    public static IReadOnlyList<string> Names { get; } =
        ["integer", "bigint", "text", "numeric", "double precision", "boolean", "timestamp with time zone", "bytea"];

    /// <summary>Throws <see cref="InMemoryDataException"/> unless <paramref name="text"/> is valid input for <paramref name="type"/>.</summary>
    public static void Validate(string type, string text)
    {
        var ok = type switch
        {
            "integer" => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            "bigint" => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            "numeric" => decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
            "double precision" => TryDouble(text, out _),
            "boolean" => TryBoolean(text, out _),
            "timestamp with time zone" => TryTimestamp(text, out _),
            "bytea" => TryBytes(text, out _),
            _ => true,
        };
        if (!ok)
        {
            throw new InMemoryDataException($"invalid input syntax for type {type}: \"{text}\"");
        }
    }

    /// <summary>The key equality of the type (numeric 1.0 = 1.00, timestamps equal as instants), as a string.</summary>
    public static string KeyImage(string type, string text) => type switch
    {
        "integer" or "bigint" => long.Parse(text, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        "numeric" => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture).ToString("G29", CultureInfo.InvariantCulture).TrimEnd('0').TrimEnd('.'),
        _ => SameImage(type, text),
    };

    /// <summary>Equal when the values print the same (1.0 and 1.00 do not; 0.1 and 0.10000000000000001 do).</summary>
    public static string SameImage(string type, string text) => type switch
    {
        "integer" or "bigint" => long.Parse(text, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        "double precision" => TryDouble(text, out var d) ? d.ToString("R", CultureInfo.InvariantCulture) : text,
        "boolean" => TryBoolean(text, out var b) ? (b ? "t" : "f") : text,
        "timestamp with time zone" => TryTimestamp(text, out var t) ? t.UtcTicks.ToString(CultureInfo.InvariantCulture) : text,
        "bytea" => TryBytes(text, out var bytes) ? Convert.ToHexStringLower(bytes) : text,
        _ => text, // text and numeric: the text itself
    };

    /// <summary>What a policy sees for a value, as Npgsql would hand it out.</summary>
    public static object Typed(string type, string text) => type switch
    {
        "integer" => int.Parse(text, CultureInfo.InvariantCulture),
        "bigint" => long.Parse(text, CultureInfo.InvariantCulture),
        "numeric" => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture),
        "double precision" => TryDouble(text, out var d) ? d : text,
        "boolean" => TryBoolean(text, out var b) ? b : text,
        "timestamp with time zone" => TryTimestamp(text, out var t) ? t.UtcDateTime : text,
        "bytea" => TryBytes(text, out var bytes) ? bytes : text,
        _ => text,
    };

    /// <summary>A value a policy merged in, as the text the database stores (and checks, as input).</summary>
    public static string? Text(LiveColumn column, object? value)
    {
        var text = value switch
        {
            null or DBNull => null,
            string s => s,
            bool b => b ? "t" : "f",
            byte[] bytes => "\\x" + Convert.ToHexStringLower(bytes),
            DateTime t => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture) + "+00",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
        if (text is not null)
        {
            Validate(column.DataType, text);
        }

        return text;
    }

    private static bool TryDouble(string text, out double value)
    {
        switch (text)
        {
            case "NaN":
                value = double.NaN;
                return true;
            case "Infinity":
                value = double.PositiveInfinity;
                return true;
            case "-Infinity":
                value = double.NegativeInfinity;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    private static bool TryBoolean(string text, out bool value)
    {
        switch (text.ToLowerInvariant())
        {
            case "t" or "true" or "yes" or "on" or "1":
                value = true;
                return true;
            case "f" or "false" or "no" or "off" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static bool TryTimestamp(string text, out DateTimeOffset value)
    {
        // PostgreSQL prints "+00" and "+05:30"; .NET wants "+00:00".
        var normalized = text.Length > 3 && (text[^3] is '+' or '-') ? text + ":00" : text;
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    private static bool TryBytes(string text, out byte[] value)
    {
        value = [];
        if (!text.StartsWith("\\x", StringComparison.Ordinal) || text.Length % 2 != 0)
        {
            return false;
        }

        try
        {
            value = Convert.FromHexString(text.AsSpan(2));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>The in-memory database refused a value or a write (as a server would, with its message).</summary>
internal sealed class InMemoryDataException(string message) : Exception(message);

/// <summary>A failure worth retrying (a dropped connection, a serialization failure).</summary>
internal sealed class InMemoryTransientException(string message) : Exception(message);
