using System.Collections.Concurrent;
using System.Diagnostics;

namespace Selective.Restore.Tests.Support;

/// <summary>Paths that are not regular files, for the tests that every output path refuses them.</summary>
internal static class SpecialFiles
{
    // A reader on each FIFO, so a tool that wrongly writes to it does not hang the test run (the bytes are counted).
    private static readonly ConcurrentDictionary<string, Task<long>> Drains = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, bool> Released = new(StringComparer.Ordinal);

    /// <summary>The kinds every output option is tested with.</summary>
    public static readonly string[] Kinds = ["symlink", "dangling symlink", "fifo", "directory", "full device"];

    /// <summary>
    /// Creates an entry of <paramref name="kind"/> at <paramref name="path"/>. The "full device" is /dev/full itself
    /// when not root; as root it is a fresh node of the same device (mknod c 1 7) in the test's directory, so a tool
    /// that wrongly replaced it could not break the machine's /dev/full. Returns the path to pass to the tool.
    /// </summary>
    public static string Create(string kind, string path, string linkTarget)
    {
        switch (kind)
        {
            case "symlink":
                File.WriteAllText(linkTarget, "precious\n");
                File.CreateSymbolicLink(path, linkTarget);
                return path;
            case "dangling symlink":
                File.CreateSymbolicLink(path, linkTarget + ".missing");
                return path;
            case "fifo":
                Run("mkfifo", path);
                Drains[path] = Task.Run(() =>
                {
                    // Every time a writer opens the FIFO (a tool may open it again and again), read until it closes.
                    long total = 0;
                    while (!Released.ContainsKey(path))
                    {
                        using var reader = new FileStream(path, FileMode.Open, FileAccess.Read); // blocks until a writer opens it
                        var buffer = new byte[4096];
                        int n;
                        while ((n = reader.Read(buffer)) > 0)
                        {
                            total += n;
                        }
                    }

                    return total;
                });
                return path;
            case "directory":
                Directory.CreateDirectory(path);
                return path;
            case "full device":
                if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
                {
                    return "/dev/full";
                }

                Run("mknod", path, "c", "1", "7");
                return path;
            case "socket":
                // Not with .NET's Socket: it removes the file when disposed.
                Run("python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path);
                return path;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>Asserts the entry is still what <see cref="Create"/> made (not replaced by a regular file, nothing written through it).</summary>
    public static void ShouldBeUntouched(string kind, string path, string linkTarget)
    {
        var info = new FileInfo(path);
        switch (kind)
        {
            case "symlink":
                info.LinkTarget.ShouldBe(linkTarget);
                File.ReadAllText(linkTarget).ShouldBe("precious\n");
                break;
            case "dangling symlink":
                info.LinkTarget.ShouldBe(linkTarget + ".missing");
                File.Exists(linkTarget + ".missing").ShouldBeFalse();
                break;
            case "directory":
                Directory.Exists(path).ShouldBeTrue();
                Directory.EnumerateFileSystemEntries(path).ShouldBeEmpty();
                break;
            case "fifo":
                FileType(path).ShouldBe("fifo", path);
                BytesWrittenThrough(path).ShouldBe(0, path);
                break;
            default:
                FileType(path).ShouldNotBe("regular file", path);
                FileType(path).ShouldNotBe("regular empty file", path);
                break;
        }
    }

    /// <summary>What stat(1) calls the entry (lstat: a link is reported as a link).</summary>
    private static string FileType(string path) => Run("stat", "-c", "%F", path).Trim();

    /// <summary>Bytes a tool wrote into the FIFO at <paramref name="path"/>; releases the test's reader.</summary>
    private static long BytesWrittenThrough(string path)
    {
        if (!Drains.TryRemove(path, out var drain))
        {
            return 0;
        }

        // Stop the reader, which may be waiting for a writer: open the FIFO read-write (on Linux that never blocks, and
        // it counts as a writer) and close it, so the reader sees end of file and then the release.
        Released[path] = true;
        using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
        }

        return drain.GetAwaiter().GetResult();
    }

    private static string Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"{tool}: {error}");
        return output.GetAwaiter().GetResult();
    }
}
