using System.Runtime.InteropServices;
using System.Text;

namespace Selective.Restore.IO;

/// <summary>
/// Every file or directory the tool writes at a path someone gave it (undo script and its parts directory, journal,
/// <c>--json</c> reports, split output) goes through here. The rule: such a path must not exist yet, or be a regular
/// file (a directory, for directories). Symbolic links, FIFOs, devices and sockets are refused before anything is
/// written or applied, never replaced and never written through. Files are written to a new temporary file created
/// exclusively and renamed into place, so a link planted at the temporary name is not followed either.
/// </summary>
internal static class OutputPath
{
    /// <summary>Refuses <paramref name="path"/> unless it does not exist or is a regular file.</summary>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="role">What the file is for, e.g. "--json report", for the message.</param>
    /// <exception cref="OutputPathException">The path is a link, a directory, a FIFO, a device or a socket.</exception>
    public static void CheckFile(string path, string role)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var kind = KindOf(path);
        if (kind is not (EntryKind.None or EntryKind.RegularFile))
        {
            throw new OutputPathException(path, role, $"is {Describe(kind)}, not a regular file");
        }
    }

    /// <summary>Refuses <paramref name="path"/> unless it does not exist or is a directory (not a link to one).</summary>
    /// <exception cref="OutputPathException">The path is a link, a file, a FIFO, a device or a socket.</exception>
    public static void CheckDirectory(string path, string role)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var kind = KindOf(path);
        if (kind is not (EntryKind.None or EntryKind.Directory))
        {
            throw new OutputPathException(path, role, $"is {Describe(kind)}, not a directory");
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> as a new, empty regular file for writing. Whatever entry has that name (a
    /// leftover temporary file, or a link someone planted) is removed first, not followed; the create is exclusive.
    /// </summary>
    public static FileStream CreateNew(string path, int bufferSize = 4096, FileOptions options = FileOptions.None)
    {
        if (KindOf(path) is not EntryKind.None and not EntryKind.Directory)
        {
            File.Delete(path); // removes a link itself, never its target
        }

        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize, options);
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no byte order mark) to a checked path, through a temporary file renamed into place.</summary>
    /// <exception cref="OutputPathException">The path is not a regular file.</exception>
    public static async Task WriteAllTextAsync(string path, string text, string role, CancellationToken cancellationToken = default)
    {
        CheckFile(path, role);
        await ReplaceAsync(path, text, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="text"/> to a file of the tool's own naming inside a checked directory: whatever entry has
    /// that name is replaced by the rename, never written through.
    /// </summary>
    public static async Task ReplaceAsync(string path, string text, CancellationToken cancellationToken = default)
    {
        var temporary = path + ".tmp";
        try
        {
            var stream = CreateNew(temporary, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (KindOf(path) is EntryKind.RegularFile)
            {
                File.Delete(path);
            }
        }
        catch (IOException)
        {
            // The original error is the one to report.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>What is at <paramref name="path"/>, without following a link there.</summary>
    internal static EntryKind KindOf(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return EntryKind.SymbolicLink;
        }

        if (Directory.Exists(path))
        {
            return EntryKind.Directory;
        }

        if (!info.Exists)
        {
            return EntryKind.None;
        }

        return OperatingSystem.IsWindows() ? EntryKind.RegularFile : UnixKindOf(path);
    }

    /// <summary>
    /// The file type from lstat, through the runtime's own native shim (the managed file APIs do not tell a FIFO or a
    /// device from an empty file). Its FileStatus layout has had Flags then Mode as the first two int32 fields since
    /// .NET Core 1.0; the buffer is generously larger than the struct.
    /// </summary>
    private static EntryKind UnixKindOf(string path)
    {
        var status = new byte[512];
        int result;
        try
        {
            result = NativeLStat(path, status);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return EntryKind.RegularFile; // no way to tell here; the managed checks above still caught links and directories
        }

        if (result != 0)
        {
            return EntryKind.None; // gone since, or unreadable: the create that follows reports it
        }

        return (BitConverter.ToInt32(status, 4) & 0xF000) switch
        {
            0x8000 => EntryKind.RegularFile,
            0x4000 => EntryKind.Directory,
            0xA000 => EntryKind.SymbolicLink,
            0x1000 => EntryKind.Fifo,
            0x2000 => EntryKind.CharacterDevice,
            0x6000 => EntryKind.BlockDevice,
            0xC000 => EntryKind.Socket,
            _ => EntryKind.Other,
        };
    }

    private static string Describe(EntryKind kind) => kind switch
    {
        EntryKind.SymbolicLink => "a symbolic link",
        EntryKind.Directory => "a directory",
        EntryKind.RegularFile => "a regular file",
        EntryKind.Fifo => "a FIFO (named pipe)",
        EntryKind.CharacterDevice => "a character device",
        EntryKind.BlockDevice => "a block device",
        EntryKind.Socket => "a socket",
        _ => "a special file",
    };

    [DllImport("libSystem.Native", EntryPoint = "SystemNative_LStat", BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeLStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);

    internal enum EntryKind
    {
        None,
        RegularFile,
        Directory,
        SymbolicLink,
        Fifo,
        CharacterDevice,
        BlockDevice,
        Socket,
        Other,
    }
}

/// <summary>An output path that is not a regular file (or, for directories, not a directory): refused, nothing written.</summary>
internal sealed class OutputPathException(string path, string role, string problem)
    : IOException($"{role} {DisplayText.Escape(path)}: {problem}; give a regular file or a path that does not exist yet (links, FIFOs, devices and sockets are never written to)")
{
    /// <summary>The refused path.</summary>
    public string Path { get; } = path;
}
