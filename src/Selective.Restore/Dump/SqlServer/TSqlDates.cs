using System.Globalization;

namespace Selective.Restore.Dump.SqlServer;

/// <summary>SQL Server's date and time types, the ones the reader converts values into.</summary>
internal enum TSqlDateKind : byte
{
    Date,
    Time,
    DateTime,
    SmallDateTime,
    DateTime2,
    DateTimeOffset,
}

/// <summary><c>SET DATEFORMAT</c>: the order in which a numeric date string gives month, day and year.</summary>
internal enum TSqlDateOrder : byte
{
    Mdy,
    Dmy,
    Ymd,
    Ydm,
    Myd,
    Dym,
}

/// <summary>How a conversion went.</summary>
internal enum TSqlDateStatus : byte
{
    Ok,

    /// <summary>SQL Server rejects the value (a bad month, day or time, out of the type's range): TRY_CAST gives NULL.</summary>
    Invalid,

    /// <summary>A form the reader does not convert (SQL Server may accept it): always an error, never a guess.</summary>
    Unsupported,
}

/// <summary>A date/time type with its fractional-second scale (3 for datetime, 0 for date and smalldatetime).</summary>
internal readonly record struct TSqlDateType(TSqlDateKind Kind, byte Scale)
{
    public static TSqlDateType Of(TSqlDateKind kind) => new(kind, kind switch
    {
        TSqlDateKind.DateTime => 3,
        TSqlDateKind.Time or TSqlDateKind.DateTime2 or TSqlDateKind.DateTimeOffset => 7,
        _ => 0,
    });

    /// <summary>Whether the type takes a <c>(scale)</c>: time, datetime2 and datetimeoffset.</summary>
    public bool HasScale => Kind is TSqlDateKind.Time or TSqlDateKind.DateTime2 or TSqlDateKind.DateTimeOffset;

    /// <summary>The "new" types of SQL Server 2008, whose string conversion differs from datetime's.</summary>
    public bool IsNewType => Kind is TSqlDateKind.Date or TSqlDateKind.Time or TSqlDateKind.DateTime2 or TSqlDateKind.DateTimeOffset;

    /// <summary>The type's name by SQL Server's built-in type name (without a schema), case-insensitive.</summary>
    public static bool TryKind(ReadOnlySpan<char> name, out TSqlDateKind kind)
    {
        kind = default;
        if (name.Equals("date", StringComparison.OrdinalIgnoreCase))
        {
            kind = TSqlDateKind.Date;
        }
        else if (name.Equals("time", StringComparison.OrdinalIgnoreCase))
        {
            kind = TSqlDateKind.Time;
        }
        else if (name.Equals("datetime", StringComparison.OrdinalIgnoreCase))
        {
            kind = TSqlDateKind.DateTime;
        }
        else if (name.Equals("smalldatetime", StringComparison.OrdinalIgnoreCase))
        {
            kind = TSqlDateKind.SmallDateTime;
        }
        else if (name.Equals("datetime2", StringComparison.OrdinalIgnoreCase))
        {
            kind = TSqlDateKind.DateTime2;
        }
        else if (name.Equals("datetimeoffset", StringComparison.OrdinalIgnoreCase))
        {
            kind = TSqlDateKind.DateTimeOffset;
        }
        else
        {
            return false;
        }

        return true;
    }

    public override string ToString() => Kind switch
    {
        TSqlDateKind.Date => "date",
        TSqlDateKind.Time => $"time({Scale})",
        TSqlDateKind.DateTime => "datetime",
        TSqlDateKind.SmallDateTime => "smalldatetime",
        TSqlDateKind.DateTime2 => $"datetime2({Scale})",
        _ => $"datetimeoffset({Scale})",
    };
}

/// <summary>
/// A date/time value: the local date (days since 0001-01-01), the local time of day in 100 ns ticks (already rounded
/// to the type's precision) and, for datetimeoffset, the offset from UTC in minutes.
/// </summary>
internal readonly record struct TSqlDateValue(int DayNumber, long Ticks, int OffsetMinutes);

/// <summary>
/// SQL Server's conversions into the date and time types, as the reader needs them: the binary form a
/// <c>CAST(0x... AS DateTime)</c> holds (SSMS 2005/2008 "Generate Scripts"), and character strings under the session's
/// <c>SET DATEFORMAT</c>. The result is written in one neutral ISO form per type (<see cref="Format"/>). The rules and
/// their sources are in docs/sqlserver-scripts.md ("Dates and times"); anything else is refused, never guessed.
/// </summary>
internal static class TSqlDates
{
    public const long TicksPerSecond = 10_000_000;
    public const long TicksPerDay = 86_400 * TicksPerSecond;

    // Longest Format output: "yyyy-MM-dd HH:mm:ss.fffffff+hh:mm".
    public const int MaxFormattedLength = 33;

    // 1900-01-01 and 1753-01-01 as days since 0001-01-01; SQL Server's datetime and smalldatetime count from 1900-01-01.
    private static readonly int Day1900 = new DateOnly(1900, 1, 1).DayNumber;
    private static readonly int Day1753 = new DateOnly(1753, 1, 1).DayNumber;
    private static readonly int MaxDay = DateOnly.MaxValue.DayNumber; // 9999-12-31
    private static readonly int MaxSmallDay = new DateOnly(2079, 6, 6).DayNumber;

    // ---------------------------------------------------------------- binary constants

    /// <summary>
    /// The value of <c>CAST(0x... AS type)</c>: SQL Server's binary form of the type. datetime: big-endian int32 days since
    /// 1900-01-01, then int32 ticks of 1/300 s; smalldatetime: big-endian uint16 days, uint16 minutes; date: 3 bytes
    /// little-endian days since 0001-01-01; time(n), datetime2(n), datetimeoffset(n): a scale byte, then the time as a
    /// little-endian count of 10^-n s in 3 to 5 bytes (by scale), the 3-byte date, and for datetimeoffset the UTC offset in
    /// minutes as a little-endian int16 (the date and time are UTC then). SSMS 2008 padded date to 4 bytes, time to 8,
    /// datetime2 to 9 and datetimeoffset to 11 with zero bytes, which are accepted.
    /// </summary>
    public static TSqlDateStatus Decode(ReadOnlySpan<byte> bytes, TSqlDateType type, out TSqlDateValue value, out string problem)
    {
        value = default;
        problem = string.Empty;
        switch (type.Kind)
        {
            case TSqlDateKind.DateTime:
                {
                    if (bytes.Length != 8)
                    {
                        problem = $"a datetime binary constant has 8 bytes, this one has {bytes.Length}";
                        return TSqlDateStatus.Invalid;
                    }

                    var days = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes);
                    var ticks300 = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes[4..]);
                    var day = (long)Day1900 + days;
                    if (day < Day1753 || day > MaxDay || ticks300 is < 0 or >= 25_920_000)
                    {
                        problem = "the bytes are not a datetime between 1753-01-01 and 9999-12-31";
                        return TSqlDateStatus.Invalid;
                    }

                    value = new TSqlDateValue((int)day, DateTimeTicks(ticks300), 0);
                    return TSqlDateStatus.Ok;
                }

            case TSqlDateKind.SmallDateTime:
                {
                    if (bytes.Length != 4)
                    {
                        problem = $"a smalldatetime binary constant has 4 bytes, this one has {bytes.Length}";
                        return TSqlDateStatus.Invalid;
                    }

                    var days = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes);
                    var minutes = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
                    if (minutes >= 1440)
                    {
                        problem = "the bytes are not a smalldatetime (more than 1439 minutes)";
                        return TSqlDateStatus.Invalid;
                    }

                    value = new TSqlDateValue(Day1900 + days, minutes * 60 * TicksPerSecond, 0);
                    return TSqlDateStatus.Ok;
                }

            case TSqlDateKind.Date:
                {
                    if (!(bytes.Length == 3 || (bytes.Length == 4 && bytes[3] == 0)))
                    {
                        problem = $"a date binary constant has 3 bytes (4 with a zero byte after them, as SSMS 2008 wrote them), this one is {Hex(bytes)}";
                        return TSqlDateStatus.Unsupported;
                    }

                    var day = ReadDate(bytes);
                    if (day > MaxDay)
                    {
                        problem = "the bytes are not a date up to 9999-12-31";
                        return TSqlDateStatus.Invalid;
                    }

                    value = new TSqlDateValue(day, 0, 0);
                    return TSqlDateStatus.Ok;
                }

            default:
                return DecodeScaled(bytes, type, out value, out problem);
        }
    }

    private static TSqlDateStatus DecodeScaled(ReadOnlySpan<byte> bytes, TSqlDateType type, out TSqlDateValue value, out string problem)
    {
        value = default;
        problem = string.Empty;
        var name = type.Kind switch
        {
            TSqlDateKind.Time => "time",
            TSqlDateKind.DateTime2 => "datetime2",
            _ => "datetimeoffset",
        };
        if (bytes.Length == 0 || bytes[0] > 7)
        {
            problem = $"a {name} binary constant starts with its scale (0 to 7), this one is {Hex(bytes)}";
            return TSqlDateStatus.Unsupported;
        }

        var scale = bytes[0];
        var timeLength = scale <= 2 ? 3 : scale <= 4 ? 4 : 5;
        var length = 1 + timeLength + (type.Kind == TSqlDateKind.Time ? 0 : 3) + (type.Kind == TSqlDateKind.DateTimeOffset ? 2 : 0);
        var padded = type.Kind switch
        {
            TSqlDateKind.Time => 8,
            TSqlDateKind.DateTime2 => 9,
            _ => 11,
        };
        if (bytes.Length < length || bytes.Length > Math.Max(length, padded) || bytes[length..].IndexOfAnyExcept((byte)0) >= 0)
        {
            problem = $"a {name} binary constant of scale {scale} has {length} bytes (zero bytes after them up to {padded}, as SSMS 2008 wrote them), this one is {Hex(bytes)}";
            return TSqlDateStatus.Unsupported;
        }

        long units = 0;
        for (var i = timeLength; i >= 1; i--)
        {
            units = (units << 8) | bytes[i];
        }

        var unitTicks = Pow10(7 - scale);
        if (units >= TicksPerDay / unitTicks)
        {
            problem = $"the bytes are not a {name}: the time of day is past 23:59:59";
            return TSqlDateStatus.Invalid;
        }

        var ticks = units * unitTicks;
        if (type.Kind == TSqlDateKind.Time)
        {
            value = new TSqlDateValue(Day1900, ticks, 0);
            return Rescale(ref value, type, scale, ref problem);
        }

        var day = ReadDate(bytes[(1 + timeLength)..]);
        if (day > MaxDay)
        {
            problem = $"the bytes are not a {name} up to 9999-12-31";
            return TSqlDateStatus.Invalid;
        }

        var offset = 0;
        if (type.Kind == TSqlDateKind.DateTimeOffset)
        {
            offset = System.Buffers.Binary.BinaryPrimitives.ReadInt16LittleEndian(bytes[(1 + timeLength + 3)..]);
            if (offset is < -840 or > 840)
            {
                problem = "the bytes are not a datetimeoffset: the offset is not between -14:00 and +14:00";
                return TSqlDateStatus.Invalid;
            }

            // The stored date and time are UTC: the value shown is the local time at that offset.
            var local = (day * TicksPerDay) + ticks + (offset * 60 * TicksPerSecond);
            if (local < 0 || local >= (MaxDay + 1L) * TicksPerDay)
            {
                problem = "the bytes are not a datetimeoffset: the local time is outside 0001-01-01 to 9999-12-31";
                return TSqlDateStatus.Invalid;
            }

            day = (int)(local / TicksPerDay);
            ticks = local % TicksPerDay;
        }

        value = new TSqlDateValue(day, ticks, offset);
        return Rescale(ref value, type, scale, ref problem);
    }

    /// <summary>A value of scale <paramref name="scale"/> converted to the type's scale: rounded when that is smaller, as SQL Server rounds between scales.</summary>
    private static TSqlDateStatus Rescale(ref TSqlDateValue value, TSqlDateType type, int scale, ref string problem)
    {
        if (type.Scale >= scale)
        {
            return TSqlDateStatus.Ok;
        }

        return RoundToScale(ref value, type, ref problem);
    }

    private static int ReadDate(ReadOnlySpan<byte> bytes) => bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);

    /// <summary>datetime's 1/300 s ticks as 100 ns ticks of the milliseconds SQL Server shows: .000, .003 or .007 (rounded to the nearest millisecond).</summary>
    private static long DateTimeTicks(long ticks300) => ((ticks300 * 10) + 1) / 3 * 10_000;

    // ---------------------------------------------------------------- character strings

    /// <summary>
    /// A character string converted to <paramref name="type"/> as SQL Server converts it under <paramref name="order"/>
    /// (<c>SET DATEFORMAT</c>, or a CONVERT style's order). <paramref name="englishMonths"/>: the session language is an
    /// English one, so month names (<c>'Apr 15 1996'</c>) are read.
    /// </summary>
    public static TSqlDateStatus Parse(ReadOnlySpan<byte> text, TSqlDateType type, TSqlDateOrder order, bool englishMonths, out TSqlDateValue value, out string problem)
    {
        value = default;
        var parts = new Parts();
        var status = new Scanner(text, type, order, englishMonths).Scan(ref parts, out problem);
        if (status != TSqlDateStatus.Ok)
        {
            return status;
        }

        return Assemble(parts, type, out value, ref problem);
    }

    /// <summary>The fields a string gives, before the type's rounding and range.</summary>
    private struct Parts
    {
        public bool HasDate;
        public int Year;
        public int Month;
        public int Day;
        public bool HasTime;
        public long TimeTicks; // hours, minutes, seconds and the fraction, in 100 ns (fraction exact up to 7 digits)
        public int FractionDigits; // of a '.' fraction; for datetime, at most 3
        public bool HasOffset;
        public int OffsetMinutes;
    }

    private static TSqlDateStatus Assemble(in Parts parts, TSqlDateType type, out TSqlDateValue value, ref string problem)
    {
        value = default;
        var day = Day1900;
        if (parts.HasDate)
        {
            day = new DateOnly(parts.Year, parts.Month, parts.Day).DayNumber;
        }

        switch (type.Kind)
        {
            case TSqlDateKind.Date:
                value = new TSqlDateValue(day, 0, 0);
                return TSqlDateStatus.Ok;

            case TSqlDateKind.DateTime:
            case TSqlDateKind.SmallDateTime:
                {
                    if (parts.FractionDigits > 3)
                    {
                        problem = $"{TypeName(type)} takes at most 3 fractional digits of a second";
                        return TSqlDateStatus.Invalid;
                    }

                    // datetime rounds to 1/300 s (.999 goes to the next second, SQL Server's datetime rounding table); smalldatetime
                    // rounds that to the minute, 29.998 s and less down, 29.999 s and more up (smalldatetime's documentation).
                    var ms = parts.TimeTicks / 10_000;
                    var ticks300 = (ms / 1000 * 300) + (((ms % 1000) * 3) + 5) / 10;
                    long ticks;
                    if (type.Kind == TSqlDateKind.DateTime)
                    {
                        if (ticks300 >= 25_920_000)
                        {
                            ticks300 -= 25_920_000;
                            day++;
                        }

                        ticks = DateTimeTicks(ticks300);
                    }
                    else
                    {
                        var minutes = (ticks300 + 9_000) / 18_000;
                        if (minutes >= 1440)
                        {
                            minutes -= 1440;
                            day++;
                        }

                        ticks = minutes * 60 * TicksPerSecond;
                    }

                    var min = type.Kind == TSqlDateKind.DateTime ? Day1753 : Day1900;
                    var max = type.Kind == TSqlDateKind.DateTime ? MaxDay : MaxSmallDay;
                    if (day < min || day > max)
                    {
                        problem = type.Kind == TSqlDateKind.DateTime
                            ? "datetime holds 1753-01-01 through 9999-12-31 23:59:59.997"
                            : "smalldatetime holds 1900-01-01 through 2079-06-06 23:59";
                        return TSqlDateStatus.Invalid;
                    }

                    value = new TSqlDateValue(day, ticks, 0);
                    return TSqlDateStatus.Ok;
                }

            case TSqlDateKind.Time:
                value = new TSqlDateValue(Day1900, parts.TimeTicks, 0);
                return RoundToScale(ref value, type, ref problem);

            case TSqlDateKind.DateTime2:
                value = new TSqlDateValue(day, parts.TimeTicks, 0);
                return RoundToScale(ref value, type, ref problem);

            default:
                {
                    value = new TSqlDateValue(day, parts.TimeTicks, parts.HasOffset ? parts.OffsetMinutes : 0);
                    var status = RoundToScale(ref value, type, ref problem);
                    if (status != TSqlDateStatus.Ok)
                    {
                        return status;
                    }

                    // Both the local time and UTC must be in range (datetimeoffset's documentation).
                    var utc = (value.DayNumber * TicksPerDay) + value.Ticks - (value.OffsetMinutes * 60 * TicksPerSecond);
                    if (utc < 0 || utc >= (MaxDay + 1L) * TicksPerDay)
                    {
                        problem = "the value in UTC is outside 0001-01-01 through 9999-12-31";
                        return TSqlDateStatus.Invalid;
                    }

                    return TSqlDateStatus.Ok;
                }
        }
    }

    /// <summary>Rounds the time to the type's scale, half up (SQL Server rounds fractional seconds to fit a smaller scale); datetime2 and datetimeoffset carry into the next day.</summary>
    private static TSqlDateStatus RoundToScale(ref TSqlDateValue value, TSqlDateType type, ref string problem)
    {
        var unit = Pow10(7 - type.Scale);
        var ticks = (value.Ticks + (unit / 2)) / unit * unit;
        var day = value.DayNumber;
        if (ticks >= TicksPerDay)
        {
            if (type.Kind == TSqlDateKind.Time)
            {
                problem = $"the time rounds up to 24:00:00 at {TypeName(type)}'s scale, which the reader does not carry over";
                return TSqlDateStatus.Unsupported;
            }

            ticks -= TicksPerDay;
            day++;
            if (day > MaxDay)
            {
                problem = $"the value rounds up past 9999-12-31 at {TypeName(type)}'s scale";
                return TSqlDateStatus.Invalid;
            }
        }

        value = value with { DayNumber = day, Ticks = ticks };
        return TSqlDateStatus.Ok;
    }

    private static string TypeName(TSqlDateType type) => type.ToString();

    private static long Pow10(int n)
    {
        long result = 1;
        for (var i = 0; i < n; i++)
        {
            result *= 10;
        }

        return result;
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexString(bytes);

    /// <summary>Reads a date/time string's fields by SQL Server's string literal formats (see <see cref="Parse"/>).</summary>
    private ref struct Scanner
    {
        private readonly ReadOnlySpan<byte> _s;
        private readonly TSqlDateType _type;
        private readonly TSqlDateOrder _order;
        private readonly bool _englishMonths;
        private int _i;

        public Scanner(ReadOnlySpan<byte> text, TSqlDateType type, TSqlDateOrder order, bool englishMonths)
        {
            _s = text.Trim((byte)' ');
            _type = type;
            _order = order;
            _englishMonths = englishMonths;
            _i = 0;
        }

        public TSqlDateStatus Scan(ref Parts parts, out string problem)
        {
            problem = string.Empty;
            if (_s.IsEmpty)
            {
                problem = "an empty string is not a date or time";
                return TSqlDateStatus.Invalid;
            }

            // ISO 8601 with a T: 'YYYY-MM-DDThh:mm:ss[.n][Z|+hh:mm]', the same under every DATEFORMAT and language.
            if (_s.Length >= 11 && _s[10] is (byte)'T' or (byte)'t' && IsDigits(0, 4) && _s[4] == '-' && IsDigits(5, 2) && _s[7] == '-' && IsDigits(8, 2))
            {
                if (!SetDate(ref parts, Number(0, 4), Number(5, 2), Number(8, 2), out problem))
                {
                    return TSqlDateStatus.Invalid;
                }

                _i = 11;
                var start = _i;
                var status = ScanTime(ref parts, iso: true, out problem);
                if (status != TSqlDateStatus.Ok)
                {
                    return status;
                }

                if (_i - start < 8)
                {
                    problem = "an ISO 8601 value with a T needs hh:mm:ss after it";
                    return TSqlDateStatus.Unsupported;
                }

                if (_i < _s.Length && _s[_i] is (byte)'Z' or (byte)'z')
                {
                    parts.HasOffset = true;
                    _i++;
                }
                else if (_i < _s.Length && _s[_i] is (byte)'+' or (byte)'-')
                {
                    status = ScanOffset(ref parts, out problem);
                    if (status != TSqlDateStatus.Ok)
                    {
                        return status;
                    }
                }

                return Finish(ref parts, out problem);
            }

            var run = DigitRun(0);
            if ((run > 0 && run < _s.Length && _s[run] == ':') || (run is > 0 and <= 2 && AmPmAt(SkipBlanks(run)) > 0))
            {
                // Time only ('10:30', '4 PM'): the date is 1900-01-01, the default for every type.
                var status = ScanTime(ref parts, iso: false, out problem);
                return status != TSqlDateStatus.Ok ? status : ScanTrailingOffset(ref parts, out problem);
            }

            TSqlDateStatus dateStatus;
            if (HasMonthWord())
            {
                dateStatus = ScanAlphabeticDate(ref parts, out problem);
            }
            else if (run > 0 && run < _s.Length && _s[run] is (byte)'/' or (byte)'-' or (byte)'.')
            {
                dateStatus = ScanNumericDate(ref parts, out problem);
            }
            else if (run is 8 or 6 or 4 && (run == _s.Length || _s[run] == ' '))
            {
                dateStatus = ScanUnseparatedDate(ref parts, run, out problem);
            }
            else
            {
                problem = "not a date or time form the reader recognises";
                return TSqlDateStatus.Unsupported;
            }

            if (dateStatus != TSqlDateStatus.Ok)
            {
                return dateStatus;
            }

            if (_i == _s.Length)
            {
                return Finish(ref parts, out problem);
            }

            if (_s[_i] != ' ')
            {
                problem = $"unexpected '{Rest(_i)}' after the date";
                return TSqlDateStatus.Unsupported;
            }

            _i = SkipBlanks(_i);
            if (_s[_i] is (byte)'+' or (byte)'-')
            {
                problem = "a time zone offset needs a time before it (DATE + TIMEZONE is not allowed)";
                return TSqlDateStatus.Invalid;
            }

            var timeStatus = ScanTime(ref parts, iso: false, out problem);
            return timeStatus != TSqlDateStatus.Ok ? timeStatus : ScanTrailingOffset(ref parts, out problem);
        }

        /// <summary>Whether a run of letters other than AM or PM appears: a month name, so an alphabetical date.</summary>
        private readonly bool HasMonthWord()
        {
            for (var j = 0; j < _s.Length; j++)
            {
                if (!IsLetter(_s[j]))
                {
                    continue;
                }

                var end = j;
                while (end < _s.Length && IsLetter(_s[end]))
                {
                    end++;
                }

                if (!(end - j == 2 && AmPmAt(j) > 0))
                {
                    return true;
                }

                j = end;
            }

            return false;
        }


        private TSqlDateStatus ScanTrailingOffset(ref Parts parts, out string problem)
        {
            problem = string.Empty;
            var j = SkipBlanks(_i);
            if (j < _s.Length && _s[j] is (byte)'+' or (byte)'-')
            {
                _i = j;
                var status = ScanOffset(ref parts, out problem);
                if (status != TSqlDateStatus.Ok)
                {
                    return status;
                }
            }

            return Finish(ref parts, out problem);
        }

        private readonly TSqlDateStatus Finish(ref Parts parts, out string problem)
        {
            problem = string.Empty;
            if (_i != _s.Length)
            {
                problem = $"unexpected '{Rest(_i)}' at the end";
                return TSqlDateStatus.Unsupported;
            }

            if (parts.HasOffset && _type.Kind is TSqlDateKind.DateTime or TSqlDateKind.SmallDateTime)
            {
                problem = $"the reader does not convert a value with a time zone offset to {_type}";
                return TSqlDateStatus.Unsupported;
            }

            return TSqlDateStatus.Ok;
        }

        /// <summary>
        /// <c>number sep number sep number</c> with '/', '-' or '.': the order comes from DATEFORMAT. A four-digit number
        /// is the year wherever it stands, and the other two are month and day in DATEFORMAT's order of month and day
        /// (Microsoft's example: under ymd, '12-09-2018' is 2018-12-09; under dmy, datetime reads '2008-12-01' as
        /// 2008-01-12). For date, datetime2 and datetimeoffset, 'YYYY-MM-DD' is ISO 8601 and is read as ymd under every
        /// DATEFORMAT.
        /// </summary>
        private TSqlDateStatus ScanNumericDate(ref Parts parts, out string problem)
        {
            problem = string.Empty;
            Span<int> values = stackalloc int[3];
            Span<int> lengths = stackalloc int[3];
            var separator = _s[DigitRun(0)];
            for (var k = 0; k < 3; k++)
            {
                var run = DigitRun(_i);
                if (run == _i || run - _i > 4)
                {
                    problem = "a numeric date is three numbers (of 1, 2 or 4 digits) separated by '/', '-' or '.'";
                    return TSqlDateStatus.Invalid;
                }

                values[k] = Number(_i, run - _i);
                lengths[k] = run - _i;
                _i = run;
                if (k < 2)
                {
                    if (_i >= _s.Length || _s[_i] != separator)
                    {
                        problem = "a numeric date is three numbers separated by the same '/', '-' or '.'";
                        return TSqlDateStatus.Invalid;
                    }

                    _i++;
                }
            }

            var yearAt = -1;
            for (var k = 0; k < 3; k++)
            {
                if (lengths[k] == 3)
                {
                    problem = "only four- or two-digit years are supported";
                    return TSqlDateStatus.Invalid;
                }

                if (lengths[k] == 4)
                {
                    if (yearAt >= 0)
                    {
                        problem = "a numeric date has one four-digit year";
                        return TSqlDateStatus.Invalid;
                    }

                    yearAt = k;
                }
            }

            var format = OrderText(_order);
            if (_type.IsNewType && !(yearAt == 0 && separator == '-'))
            {
                if (_order == TSqlDateOrder.Ydm)
                {
                    problem = "DATEFORMAT ydm is not supported for date, time, datetime2 and datetimeoffset (SET DATEFORMAT's documentation)";
                    return TSqlDateStatus.Invalid;
                }

                if (yearAt == 0 && format.IndexOf('d') < format.IndexOf('m'))
                {
                    problem = $"Microsoft does not document how SQL Server reads a year-first date with '{(char)separator}' into {_type} under DATEFORMAT {format}";
                    return TSqlDateStatus.Unsupported;
                }
            }

            int year;
            int month;
            int day;
            if (yearAt < 0)
            {
                // Month, day and year in DATEFORMAT's order; the year has two digits.
                var y = format.IndexOf('y');
                if (lengths[y] != 2)
                {
                    problem = $"under DATEFORMAT {format} the year is number {y + 1}, which needs two or four digits";
                    return TSqlDateStatus.Invalid;
                }

                year = TwoDigitYear(values[y]);
                month = values[format.IndexOf('m')];
                day = values[format.IndexOf('d')];
            }
            else
            {
                year = values[yearAt];
                var first = yearAt == 0 ? 1 : 0;
                var second = yearAt == 2 ? 1 : 2;
                var monthFirst = (_type.IsNewType && yearAt == 0 && separator == '-') || format.IndexOf('m') < format.IndexOf('d');
                month = values[monthFirst ? first : second];
                day = values[monthFirst ? second : first];
            }

            return SetDate(ref parts, year, month, day, out problem) ? TSqlDateStatus.Ok : TSqlDateStatus.Invalid;
        }

        /// <summary>'YYYYMMDD', 'YYMMDD' (always ymd) or 'YYYY' (January 1): DATEFORMAT does not apply.</summary>
        private TSqlDateStatus ScanUnseparatedDate(ref Parts parts, int run, out string problem)
        {
            var ok = run switch
            {
                8 => SetDate(ref parts, Number(0, 4), Number(4, 2), Number(6, 2), out problem),
                6 => SetDate(ref parts, TwoDigitYear(Number(0, 2)), Number(2, 2), Number(4, 2), out problem),
                _ => SetDate(ref parts, Number(0, 4), 1, 1, out problem),
            };
            _i = run;
            return ok ? TSqlDateStatus.Ok : TSqlDateStatus.Invalid;
        }

        /// <summary>
        /// A month given by its English name or abbreviation ('Apr[il] 15[,] 1996', '15 Apr 1996', '1996 APR 15'...):
        /// DATEFORMAT does not apply. A four-digit number is the year; of two shorter numbers, the first is the day; a
        /// missing day is the 1st (the datetime and date documentation's alphabetical formats).
        /// </summary>
        private TSqlDateStatus ScanAlphabeticDate(ref Parts parts, out string problem)
        {
            problem = string.Empty;
            if (!_englishMonths)
            {
                problem = "month names are read only when the session language is us_english or British";
                return TSqlDateStatus.Unsupported;
            }

            var month = 0;
            Span<int> numbers = stackalloc int[2];
            Span<int> lengths = stackalloc int[2];
            var count = 0;
            var j = 0;
            _i = 0;
            for (var items = 0; items < 3; items++)
            {
                if (items > 0)
                {
                    // Items are separated by blanks, a comma, or both ("commas are optional").
                    var k = SkipBlanks(_i);
                    if (k < _s.Length && _s[k] == ',')
                    {
                        k = SkipBlanks(k + 1);
                    }

                    if (k == _i || k >= _s.Length)
                    {
                        break;
                    }

                    j = k;
                }

                var run = DigitRun(j);
                if (run > j)
                {
                    if ((run < _s.Length && _s[run] == ':') || AmPmAt(SkipBlanks(run)) > 0)
                    {
                        break; // the time starts
                    }

                    if (count == 2 || run - j > 4)
                    {
                        problem = "an alphabetical date has a month name, a year (four or two digits) and an optional day";
                        return TSqlDateStatus.Invalid;
                    }

                    numbers[count] = Number(j, run - j);
                    lengths[count++] = run - j;
                    _i = run;
                    continue;
                }

                var end = j;
                while (end < _s.Length && IsLetter(_s[end]))
                {
                    end++;
                }

                if (end == j || month != 0)
                {
                    break;
                }

                month = MonthNumber(_s[j..end]);
                if (month == 0)
                {
                    problem = $"'{System.Text.Encoding.UTF8.GetString(_s[j..end])}' is not an English month name or abbreviation";
                    return TSqlDateStatus.Invalid;
                }

                _i = end;
            }

            if (month == 0)
            {
                problem = "not a date or time form the reader recognises";
                return TSqlDateStatus.Unsupported;
            }

            int year;
            int day;
            var fourAt = lengths[..count].IndexOf(4);
            if (count == 1 && lengths[0] == 4)
            {
                year = numbers[0];
                day = 1;
            }
            else if (count == 2 && fourAt >= 0 && lengths[1 - fourAt] <= 2)
            {
                year = numbers[fourAt];
                day = numbers[1 - fourAt];
            }
            else if (count == 2 && lengths[0] <= 2 && lengths[1] == 2)
            {
                day = numbers[0];
                year = TwoDigitYear(numbers[1]);
            }
            else
            {
                problem = "an alphabetical date has a month name, a year (four or two digits) and an optional day";
                return TSqlDateStatus.Invalid;
            }

            return SetDate(ref parts, year, month, day, out problem) ? TSqlDateStatus.Ok : TSqlDateStatus.Invalid;
        }

        /// <summary>
        /// <c>h[h]:mm[:ss[.fffffff | :fff]] [AM|PM]</c> or <c>h[h] AM|PM</c> (the time documentation's formats): a fraction
        /// after '.' is a decimal fraction of a second, after ':' a number of milliseconds. <paramref name="iso"/>: only
        /// the ISO 8601 form (two-digit fields, '.' fraction, no AM/PM).
        /// </summary>
        private TSqlDateStatus ScanTime(ref Parts parts, bool iso, out string problem)
        {
            problem = string.Empty;
            var run = DigitRun(_i);
            if (run == _i || run - _i > 2 || (iso && run - _i != 2))
            {
                problem = "the time starts with the hour (one or two digits)";
                return TSqlDateStatus.Invalid;
            }

            var hour = Number(_i, run - _i);
            _i = run;
            var minute = 0;
            var second = 0;
            long fraction = 0;
            if (_i < _s.Length && _s[_i] == ':')
            {
                _i++;
                if (!Field(iso, out minute))
                {
                    problem = "the minutes are one or two digits after the hour's ':'";
                    return TSqlDateStatus.Invalid;
                }

                if (_i < _s.Length && _s[_i] == ':')
                {
                    _i++;
                    if (!Field(iso, out second))
                    {
                        problem = "the seconds are one or two digits after the minutes' ':'";
                        return TSqlDateStatus.Invalid;
                    }

                    if (_i < _s.Length && _s[_i] == '.')
                    {
                        _i++;
                        run = DigitRun(_i);
                        var digits = run - _i;
                        if (digits == 0 || digits > 7)
                        {
                            problem = digits == 0 ? "a '.' after the seconds needs digits" : "fractional seconds have at most 7 digits";
                            return TSqlDateStatus.Invalid;
                        }

                        fraction = Number(_i, digits) * Pow10(7 - digits);
                        parts.FractionDigits = digits;
                        _i = run;
                    }
                    else if (!iso && _i < _s.Length && _s[_i] == ':')
                    {
                        // '12:30:20:1' is one millisecond past 12:30:20; at most three digits (the time documentation).
                        _i++;
                        run = DigitRun(_i);
                        var digits = run - _i;
                        if (digits is 0 or > 3)
                        {
                            problem = "milliseconds after a ':' have one to three digits";
                            return TSqlDateStatus.Invalid;
                        }

                        fraction = Number(_i, digits) * 10_000;
                        parts.FractionDigits = 3;
                        _i = run;
                    }
                }
            }
            else if (iso || AmPmAt(SkipBlanks(_i)) == 0)
            {
                problem = "the time needs ':' and the minutes after the hour";
                return TSqlDateStatus.Invalid;
            }

            if (!iso)
            {
                var j = SkipBlanks(_i);
                var ampm = AmPmAt(j);
                if (ampm != 0)
                {
                    // 12 AM is midnight, 12 PM noon; AM after 13-23 and PM after 0 are errors (the time documentation).
                    if ((ampm == 1 && hour > 12) || (ampm == 2 && hour == 0))
                    {
                        problem = ampm == 1 ? "AM cannot follow an hour from 13 to 23" : "PM cannot follow hour 0";
                        return TSqlDateStatus.Invalid;
                    }

                    if (hour == 12)
                    {
                        hour = 0;
                    }

                    if (ampm == 2)
                    {
                        hour += 12;
                    }

                    _i = j + 2;
                }
            }

            if (hour > 23 || minute > 59 || second > 59)
            {
                problem = hour > 23 ? "the hour is not from 0 to 23" : minute > 59 ? "the minutes are not from 0 to 59" : "the seconds are not from 0 to 59";
                return TSqlDateStatus.Invalid;
            }

            parts.HasTime = true;
            parts.TimeTicks = (((hour * 60L) + minute) * 60 + second) * TicksPerSecond + fraction;
            return TSqlDateStatus.Ok;
        }

        private bool Field(bool iso, out int value)
        {
            var run = DigitRun(_i);
            var digits = run - _i;
            value = 0;
            if (digits == 0 || digits > 2 || (iso && digits != 2))
            {
                return false;
            }

            value = Number(_i, digits);
            _i = run;
            return true;
        }

        /// <summary><c>+hh:mm</c> / <c>-hh:mm</c>, from -14:00 to +14:00.</summary>
        private TSqlDateStatus ScanOffset(ref Parts parts, out string problem)
        {
            problem = string.Empty;
            var negative = _s[_i] == '-';
            _i++;
            if (!(IsDigits(_i, 2) && _i + 2 < _s.Length && _s[_i + 2] == ':' && IsDigits(_i + 3, 2)))
            {
                problem = "a time zone offset is +hh:mm or -hh:mm";
                return TSqlDateStatus.Invalid;
            }

            var hours = Number(_i, 2);
            var minutes = Number(_i + 3, 2);
            _i += 5;
            if (minutes > 59 || (hours * 60) + minutes > 840)
            {
                problem = "a time zone offset is from -14:00 to +14:00";
                return TSqlDateStatus.Invalid;
            }

            parts.HasOffset = true;
            parts.OffsetMinutes = (negative ? -1 : 1) * ((hours * 60) + minutes);
            return TSqlDateStatus.Ok;
        }

        private static bool SetDate(ref Parts parts, int year, int month, int day, out string problem)
        {
            problem = string.Empty;
            if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            {
                problem = string.Create(CultureInfo.InvariantCulture, $"year {year}, month {month}, day {day} is not a date");
                return false;
            }

            parts.HasDate = true;
            parts.Year = year;
            parts.Month = month;
            parts.Day = day;
            return true;
        }

        /// <summary>1 for AM, 2 for PM at <paramref name="j"/> (case-insensitive, not followed by a letter), else 0.</summary>
        private readonly int AmPmAt(int j)
        {
            if (j + 2 > _s.Length || (_s[j + 1] | 0x20) != 'm' || (j + 2 < _s.Length && IsLetter(_s[j + 2])))
            {
                return 0;
            }

            return (_s[j] | 0x20) switch
            {
                'a' => 1,
                'p' => 2,
                _ => 0,
            };
        }

        private readonly int SkipBlanks(int j)
        {
            while (j < _s.Length && _s[j] == ' ')
            {
                j++;
            }

            return j;
        }

        private readonly int DigitRun(int j)
        {
            while (j < _s.Length && _s[j] is >= (byte)'0' and <= (byte)'9')
            {
                j++;
            }

            return j;
        }

        private readonly bool IsDigits(int start, int count)
        {
            if (start + count > _s.Length)
            {
                return false;
            }

            return _s.Slice(start, count).IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;
        }

        private readonly int Number(int start, int count)
        {
            var n = 0;
            for (var k = start; k < start + count; k++)
            {
                n = (n * 10) + (_s[k] - '0');
            }

            return n;
        }

        private readonly string Rest(int j) => System.Text.Encoding.UTF8.GetString(_s[j..]);

        private static bool IsLetter(byte b) => (b | 0x20) is >= (byte)'a' and <= (byte)'z';
    }

    /// <summary>A two-digit year under the default "two digit year cutoff" of 2049: 00-49 are 2000-2049, 50-99 are 1950-1999.</summary>
    private static int TwoDigitYear(int yy) => yy <= 49 ? 2000 + yy : 1900 + yy;

    private static string OrderText(TSqlDateOrder order) => order switch
    {
        TSqlDateOrder.Mdy => "mdy",
        TSqlDateOrder.Dmy => "dmy",
        TSqlDateOrder.Ymd => "ymd",
        TSqlDateOrder.Ydm => "ydm",
        TSqlDateOrder.Myd => "myd",
        _ => "dym",
    };

    private static readonly string[] Months =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    /// <summary>1-12 for an English month name or its three-letter abbreviation (us_english's months and shortmonths), else 0.</summary>
    private static int MonthNumber(ReadOnlySpan<byte> word)
    {
        Span<char> lower = stackalloc char[16];
        if (word.Length < 3 || word.Length > lower.Length)
        {
            return 0;
        }

        for (var k = 0; k < word.Length; k++)
        {
            lower[k] = (char)(word[k] | 0x20);
        }

        var w = lower[..word.Length];
        for (var m = 0; m < 12; m++)
        {
            if (w.SequenceEqual(Months[m]) || (w.Length == 3 && Months[m].AsSpan().StartsWith(w)))
            {
                return m + 1;
            }
        }

        return 0;
    }

    /// <summary>The DATEFORMAT named by <paramref name="name"/> (mdy, dmy, ymd, ydm, myd, dym), case-insensitive.</summary>
    public static bool TryOrder(ReadOnlySpan<char> name, out TSqlDateOrder order)
    {
        order = default;
        Span<char> lower = stackalloc char[3];
        if (name.Length != 3 || name.ToLowerInvariant(lower) != 3)
        {
            return false;
        }

        switch (lower)
        {
            case "mdy": order = TSqlDateOrder.Mdy; return true;
            case "dmy": order = TSqlDateOrder.Dmy; return true;
            case "ymd": order = TSqlDateOrder.Ymd; return true;
            case "ydm": order = TSqlDateOrder.Ydm; return true;
            case "myd": order = TSqlDateOrder.Myd; return true;
            case "dym": order = TSqlDateOrder.Dym; return true;
            default: return false;
        }
    }

    public static string Name(TSqlDateOrder order) => OrderText(order);

    // ---------------------------------------------------------------- output

    /// <summary>
    /// The neutral text of a value: ISO 8601 with a space, as SQL Server's CONVERT style 121 writes each type and
    /// PostgreSQL reads it under any DateStyle. date: <c>yyyy-MM-dd</c>; time(n): <c>HH:mm:ss[.n digits]</c>; datetime:
    /// <c>yyyy-MM-dd HH:mm:ss.fff</c>; smalldatetime: <c>yyyy-MM-dd HH:mm:00</c>; datetime2(n): <c>yyyy-MM-dd
    /// HH:mm:ss[.n digits]</c>; datetimeoffset(n): that with <c>+hh:mm</c> (the local time and its offset).
    /// </summary>
    public static int Format(TSqlDateValue value, TSqlDateType type, Span<byte> destination)
    {
        var n = 0;
        if (type.Kind != TSqlDateKind.Time)
        {
            var date = DateOnly.FromDayNumber(value.DayNumber);
            Digits(destination, ref n, date.Year, 4);
            destination[n++] = (byte)'-';
            Digits(destination, ref n, date.Month, 2);
            destination[n++] = (byte)'-';
            Digits(destination, ref n, date.Day, 2);
            if (type.Kind == TSqlDateKind.Date)
            {
                return n;
            }

            destination[n++] = (byte)' ';
        }

        var seconds = value.Ticks / TicksPerSecond;
        Digits(destination, ref n, (int)(seconds / 3600), 2);
        destination[n++] = (byte)':';
        Digits(destination, ref n, (int)(seconds / 60 % 60), 2);
        destination[n++] = (byte)':';
        Digits(destination, ref n, (int)(seconds % 60), 2);
        var scale = type.Kind == TSqlDateKind.SmallDateTime ? 0 : type.Scale;
        if (scale > 0)
        {
            destination[n++] = (byte)'.';
            Digits(destination, ref n, (int)(value.Ticks % TicksPerSecond / Pow10(7 - scale)), scale);
        }

        if (type.Kind == TSqlDateKind.DateTimeOffset)
        {
            var offset = value.OffsetMinutes;
            destination[n++] = offset < 0 ? (byte)'-' : (byte)'+';
            offset = Math.Abs(offset);
            Digits(destination, ref n, offset / 60, 2);
            destination[n++] = (byte)':';
            Digits(destination, ref n, offset % 60, 2);
        }

        return n;
    }

    private static void Digits(Span<byte> destination, ref int n, int value, int width)
    {
        for (var k = width - 1; k >= 0; k--)
        {
            destination[n + k] = (byte)('0' + (value % 10));
            value /= 10;
        }

        n += width;
    }
}
