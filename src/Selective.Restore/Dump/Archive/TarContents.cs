using System.Formats.Tar;
using System.Text.RegularExpressions;

namespace Selective.Restore.Dump.Archive;

/// <summary>
/// A tar file is not read as a dump, but what it holds decides the advice: pg_dump's own tar format (<c>-Ft</c>, with
/// <c>toc.dat</c> at its top) extracts to a directory this reader reads as a directory archive (so does pg_restore),
/// a tar of a directory archive (<c>tar cf x.tar dumpdir/</c>) extracts to that directory, and anything else holds
/// no pg_dump archive at all. Only entry headers are read (data is skipped, by seeking when it can be).
/// </summary>
internal static partial class TarContents
{
    // Bounds on the look inside: a tar is refused either way, so an error message must not cost a full read.
    private const int MaxEntries = 10_000;
    private const long MaxForwardBytes = 64L * 1024 * 1024;

    /// <summary>The sentence (after the source name) that says what the tar holds and what to do with it.</summary>
    /// <param name="tar">The tar bytes from their start: seekable (headers only are read) or forward-only (read up to a bound).</param>
    /// <param name="source">The input's name, as given: it is put in the suggested commands.</param>
    public static string Describe(Stream tar, string source)
    {
        var file = ShellWord(source);
        var (toc, others, complete) = FindToc(tar);
        if (toc is not null)
        {
            var directory = toc.Length > "toc.dat".Length ? toc[..^"/toc.dat".Length] : null;
            if (directory is null)
            {
                return $"is a pg_dump tar archive (-Ft), which is not read as such: extract it (mkdir dump && tar xf {file} -C dump) " +
                    $"and pass the directory dump, which is read as a directory archive; or convert it with: pg_restore -f dump.sql {file}";
            }

            return $"is a tar file holding a pg_dump archive in its folder {directory}/ (its toc.dat is {toc}): " +
                $"extract it with tar xf {file} and pass the directory {ShellWord(directory)}";
        }

        var listed = others.Count == 0 ? string.Empty : $" (it holds {string.Join(", ", others.Take(3))}{(others.Count > 3 ? ", ..." : string.Empty)})";
        return complete
            ? $"is a tar archive without a pg_dump toc.dat in it{listed}, so neither pg_dump -Ft output nor a directory archive: extract it with tar xf {file} and pass the dump it holds"
            : $"is a tar archive whose first entries hold no pg_dump toc.dat{listed}: extract it with tar xf {file} and pass the dump (or the directory archive) it holds";
    }

    /// <summary>The path of the first <c>toc.dat</c> entry (without a leading <c>./</c>), the first other file names, and whether every entry was seen.</summary>
    private static (string? Toc, List<string> Others, bool Complete) FindToc(Stream tar)
    {
        var others = new List<string>();
        var input = tar.CanSeek ? tar : new BoundedStream(tar, MaxForwardBytes);
        try
        {
            using var reader = new TarReader(input, leaveOpen: true);
            for (var i = 0; i < MaxEntries; i++)
            {
                if (reader.GetNextEntry(copyData: false) is not { } entry)
                {
                    return (null, others, true);
                }

                var name = entry.Name.Replace('\\', '/');
                while (name.StartsWith("./", StringComparison.Ordinal))
                {
                    name = name[2..];
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue;
                }

                var slash = name.LastIndexOf('/');
                var leaf = name[(slash + 1)..];
                if (string.Equals(leaf, "toc.dat", StringComparison.Ordinal))
                {
                    return (name, others, true);
                }

                // macOS tar adds "._name" AppleDouble files: they are never the dump.
                if (!leaf.StartsWith("._", StringComparison.Ordinal) && others.Count < 4)
                {
                    others.Add(name);
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException or IOException or ArgumentException)
        {
            // A damaged or cut tar, or the forward-read bound: say what was seen so far.
        }

        return (null, others, false);
    }

    /// <summary>A name as one shell word, quoted only when it needs to be.</summary>
    private static string ShellWord(string text) =>
        PlainWord().IsMatch(text) ? text : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex("^[A-Za-z0-9_./:=+@%,-]+$", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex PlainWord();

    /// <summary>Ends a forward-only stream after a number of bytes (as if it ended there).</summary>
    private sealed class BoundedStream(Stream inner, long limit) : ReadOnlyStream
    {
        private long _position;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> buffer)
        {
            var left = limit - _position;
            if (left <= 0)
            {
                return 0;
            }

            var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            _position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var left = limit - _position;
            if (left <= 0)
            {
                return 0;
            }

            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, left)], cancellationToken).ConfigureAwait(false);
            _position += read;
            return read;
        }
    }
}
