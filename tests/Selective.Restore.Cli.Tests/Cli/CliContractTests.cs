using System.Text.Json;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Cli;

/// <summary>The command line is a contract other tools script against: output shapes and exit codes.</summary>
public sealed class CliContractTests
{
    private const string Dump = """
        --
        -- PostgreSQL database dump
        --
        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;
        SELECT pg_catalog.set_config('search_path', '', false);

        COPY public.album (id, title) FROM stdin;
        1	Kind of Blue
        2	Blue Train
        \.

        COPY sales."Order Lines" (id, note) FROM stdin;
        1	\N
        \.

        SELECT pg_catalog.setval('public.album_id_seq', 2, true);
        """;

    private static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliRunner.RunAsync(args);

    [Test]
    public async Task Inspect_json_lists_format_and_tables_with_row_counts()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("dump.sql", Dump + "\n");
        var (exit, stdout, stderr) = await RunAsync("inspect", path, "--json");

        exit.ShouldBe(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        json.RootElement.GetProperty("format").GetString().ShouldBe("plain");
        json.RootElement.GetProperty("encoding").GetString().ShouldBe("UTF8");
        var tables = json.RootElement.GetProperty("tables").EnumerateArray().ToList();
        tables.Count.ShouldBe(2);
        tables[0].GetProperty("schema").GetString().ShouldBe("public");
        tables[0].GetProperty("table").GetString().ShouldBe("album");
        tables[0].GetProperty("rows").GetInt64().ShouldBe(2);
        tables[1].GetProperty("schema").GetString().ShouldBe("sales");
        tables[1].GetProperty("table").GetString().ShouldBe("Order Lines");
        tables[1].GetProperty("rows").GetInt64().ShouldBe(1);
        tables[0].GetProperty("startOffset").GetInt64().ShouldBeLessThan(tables[0].GetProperty("endOffset").GetInt64());
        json.RootElement.GetProperty("sequences")[0].GetProperty("value").GetInt64().ShouldBe(2);
    }

    [Test]
    public async Task Inspect_human_summary_names_tables_and_totals()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("dump.sql", Dump + "\n");
        var (exit, stdout, _) = await RunAsync("inspect", path, "--table", "public.*");

        exit.ShouldBe(0);
        stdout.ShouldContain("public.album");
        stdout.ShouldNotContain("Order Lines");
        stdout.ShouldContain("1 tables, 2 rows");
    }

    [Test]
    public async Task Bad_input_exits_1_with_one_line_naming_file_table_line_and_offset()
    {
        using var dir = new TempDirectory();
        var truncated = Dump[..Dump.IndexOf("2\tBlue", StringComparison.Ordinal)];
        var path = dir.Write("truncated.sql", truncated);
        var (exit, stdout, stderr) = await RunAsync("inspect", path);

        exit.ShouldBe(1);
        stdout.ShouldBeEmpty();
        stderr.TrimEnd().ShouldNotContain('\n');
        stderr.ShouldContain(path);
        stderr.ShouldContain("public.album");
        stderr.ShouldContain("line 10");
        stderr.ShouldContain("byte offset " + truncated.Length);
        stderr.ShouldContain("truncated");
    }

    [Test]
    public async Task Missing_file_exits_1()
    {
        var (exit, _, stderr) = await RunAsync("inspect", "/nonexistent/dump.sql");
        exit.ShouldBe(1);
        stderr.ShouldContain("/nonexistent/dump.sql");
    }

    [TestCase("split", "x.sql")]
    [TestCase("inspect")]
    [TestCase("inspect", "x.sql", "--no-such-option")]
    [TestCase("frobnicate")]
    public async Task Usage_errors_exit_2_and_say_what_is_wrong(params string[] args)
    {
        var (exit, _, stderr) = await RunAsync(args);
        exit.ShouldBe(2);
        stderr.ShouldStartWith("selective-restore: ");
    }

    [Test]
    public async Task Split_writes_one_file_per_table_and_a_manifest()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("dump.sql", Dump + "\n");
        var outDir = dir.File("out");
        var (exit, stdout, stderr) = await RunAsync("split", path, "--out", outDir);

        exit.ShouldBe(0, stderr);
        stdout.ShouldContain("Wrote 2 table files");
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json")));
        var tables = manifest.RootElement.GetProperty("tables").EnumerateArray().ToList();
        tables.Select(t => t.GetProperty("table").GetString()).ShouldBe(["album", "Order Lines"]);
        foreach (var table in tables)
        {
            var file = Path.Combine(outDir, table.GetProperty("file").GetString()!);
            new FileInfo(file).Length.ShouldBe(table.GetProperty("bytes").GetInt64());
        }

        var album = File.ReadAllText(Path.Combine(outDir, tables[0].GetProperty("file").GetString()!));
        album.ShouldContain("SET client_encoding = 'UTF8';");
        album.ShouldContain("SELECT pg_catalog.set_config('search_path', '', false);");
        album.ShouldContain("COPY \"public\".\"album\" (\"id\", \"title\") FROM stdin;\n1\tKind of Blue\n2\tBlue Train\n\\.\n");
        File.ReadAllText(Path.Combine(outDir, "sequences.sql")).ShouldContain("SELECT pg_catalog.setval('public.album_id_seq', 2, true);");
        Directory.GetFiles(outDir, "*.partial").ShouldBeEmpty();
    }

    [Test]
    public async Task Split_refuses_a_non_empty_directory_unless_forced()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("dump.sql", Dump + "\n");
        var outDir = dir.File("out");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "old.sql"), "old");

        (await RunAsync("split", path, "--out", outDir)).Exit.ShouldBe(1);
        (await RunAsync("split", path, "--out", outDir, "--force")).Exit.ShouldBe(0);
    }

    [Test]
    public async Task Split_leaves_no_file_for_a_table_with_bad_data()
    {
        using var dir = new TempDirectory();
        var bad = Dump.Replace("1\t\\N\n", "1\t\\N\textra\n", StringComparison.Ordinal);
        var path = dir.Write("dump.sql", bad + "\n");
        var outDir = dir.File("out");
        var (exit, _, stderr) = await RunAsync("split", path, "--out", outDir);

        exit.ShouldBe(1);
        stderr.ShouldContain("sales.\"Order Lines\"");
        stderr.ShouldContain("3 fields");
        Directory.GetFiles(outDir).Select(Path.GetFileName).ShouldBe(["0001-public.album.sql"]);
    }
}
