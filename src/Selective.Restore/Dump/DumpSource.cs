using Selective.Restore.Dump;
using System.IO.Pipelines;

namespace Selective.Restore;

/// <summary>
/// Where a restore's rows come from, opened afresh for every pass: a dump file (<see cref="File"/>), or a database read
/// as a dump (a PITR clone, yesterday's copy of <c>app.db</c>: <c>PostgreSqlSource</c>, <c>SqliteSource</c>), which
/// streams its tables in one of the dump formats the reader reads, so the same filters, identity keys, policies,
/// reports, undo scripts and journals apply.
/// </summary>
public abstract class DumpSource
{
    /// <summary>The source for reports and logs (a path, or a database described without its password).</summary>
    public abstract string Description { get; }

    /// <summary>What makes two runs from this source the same (a journal resumes only the same run): a file's path, size and time; a database's identity.</summary>
    public abstract string Fingerprint { get; }

    /// <summary>The format the source is read in, when it is known without opening it (a database source knows); null to detect it.</summary>
    public virtual DumpFormat? Format => null;

    /// <summary>Opens one pass over the source's rows. Dispose the reader to end it.</summary>
    /// <exception cref="DumpFormatException">The source is not a dump this reader supports.</exception>
    public abstract DumpReader Open(DumpReaderOptions options);

    /// <summary>Fails before anything connects when the source cannot be read at all (a missing file).</summary>
    /// <exception cref="InvalidOperationException">The source does not exist.</exception>
    public virtual void Check()
    {
    }

    /// <summary>
    /// Whether the source is the database a target described as <paramref name="targetDescription"/>
    /// (<see cref="Providers.ITargetSession.Description"/>): a restore from a database into itself is refused.
    /// </summary>
    public virtual bool IsSameDatabase(string targetDescription) => false;

    /// <summary>A dump file or a pg_dump directory archive (every format, detected by content).</summary>
    public static DumpSource File(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileSource(path);
    }

    /// <summary>
    /// A reader over text that <paramref name="produce"/> writes (a database streaming its tables in a dump format) as
    /// it is read: the two meet in a bounded pipe, so memory does not grow with the source. An exception in
    /// <paramref name="produce"/> reaches the reader as an <see cref="IOException"/>; disposing the reader cancels <paramref name="produce"/>.
    /// </summary>
    protected static DumpReader OpenProduced(Func<Stream, CancellationToken, Task> produce, DumpReaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(produce);
        ArgumentNullException.ThrowIfNull(options);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
        var cancel = new CancellationTokenSource();
        var producer = Task.Run(
            async () =>
            {
                var writer = pipe.Writer.AsStream();
                try
                {
                    await produce(writer, cancel.Token).ConfigureAwait(false);
                    await writer.FlushAsync(cancel.Token).ConfigureAwait(false);
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancel.IsCancellationRequested)
                {
                    // A source that cannot be read (an unreachable server, a bad password) is the source's failure, not
                    // the target's: an IOException, which the engine reports as such and never retries as the target's.
                    await pipe.Writer.CompleteAsync(ex as IOException ?? new IOException($"the source could not be read: {ex.Message}", ex)).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                }
            },
            CancellationToken.None);
        var stream = new ProducedStream(pipe.Reader.AsStream(), producer, cancel);
        try
        {
            return DumpReader.Open(stream, options, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The reading end of a producer's pipe; disposing it stops the producer and waits for it.</summary>
    private sealed class ProducedStream(Stream inner, Task producer, CancellationTokenSource cancel) : ReadOnlyStream
    {
        private bool _disposed;

        public override int Read(Span<byte> buffer) => inner.Read(buffer);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                cancel.Cancel();
                inner.Dispose(); // the writer's next write fails: the producer ends
                producer.ConfigureAwait(false).GetAwaiter().GetResult();
                cancel.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            if (!_disposed)
            {
                _disposed = true;
                await cancel.CancelAsync().ConfigureAwait(false);
                await inner.DisposeAsync().ConfigureAwait(false);
                await producer.ConfigureAwait(false);
                cancel.Dispose();
            }

            await base.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A dump file or directory archive.</summary>
    private sealed class FileSource(string path) : DumpSource
    {
        public override string Description => path;

        public override string Fingerprint
        {
            get
            {
                var full = Path.GetFullPath(path);
                var file = Directory.Exists(full) ? Path.Combine(full, "toc.dat") : full;
                var info = new FileInfo(file);
                return string.Join(
                    '\n',
                    "dump " + full,
                    "size " + (info.Exists ? info.Length : -1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "time " + (info.Exists ? info.LastWriteTimeUtc.Ticks : 0).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        public override DumpReader Open(DumpReaderOptions options) => DumpReader.Open(path, options);

        public override void Check()
        {
            // Known before anything is read, so thrown at Build() like any usage error (docs/errors.md).
            if (Directory.Exists(path))
            {
                if (!System.IO.File.Exists(Path.Combine(path, "toc.dat")))
                {
                    throw new DumpFormatException($"{path}: is a directory without toc.dat, not a pg_dump directory archive (-Fd)");
                }
            }
            else if (!System.IO.File.Exists(path))
            {
                throw new FileNotFoundException($"{path}: no such dump file or archive directory", path);
            }
        }
    }
}
