using System.Diagnostics;

namespace Selective.Restore.Tests.Support;

/// <summary>Paths that are not regular files, for the tests that every output path refuses them.</summary>
internal static class SpecialFiles
{
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
            default:
                Selective.Restore.IO.OutputPath.KindOf(path).ShouldNotBe(Selective.Restore.IO.OutputPath.EntryKind.RegularFile, path);
                info.Exists.ShouldBeTrue(path);
                break;
        }
    }

    private static void Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"{tool}: {error}");
    }
}
