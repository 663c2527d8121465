using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Split;

/// <summary>Every file <c>split</c> writes loads with psql into a database that has the schema, and gives back the exact data.</summary>
public sealed class SplitRoundTripTests
{
    private const string Schema = """"
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE SCHEMA "Sales Dept";
        CREATE TABLE "Sales Dept"."Order ""Lines""" (id int PRIMARY KEY, note text, tags text[], payload jsonb, blob bytea, m mood, amount numeric, at timestamptz);
        CREATE TABLE public.parent (id serial PRIMARY KEY, name text NOT NULL);
        CREATE TABLE public.child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, parent_id int REFERENCES public.parent, total numeric(10,2),
                                   doubled numeric GENERATED ALWAYS AS (total * 2) STORED);
        CREATE TABLE public.events (id int, at date NOT NULL, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
        CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO "Sales Dept"."Order ""Lines""" SELECT g, CASE g % 4 WHEN 0 THEN E'tab\there\nnew \\ line\r' WHEN 1 THEN 'ünï 😀' WHEN 2 THEN '' END,
            ARRAY['a "q"', NULL, E'b\\c'], jsonb_build_object('k', g, 's', E'x\ty'), decode(lpad(to_hex(g * 7919), 8, '0'), 'hex'),
            (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::mood, g / 7.0, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour 1 second'
            FROM generate_series(1, 300) g;
        INSERT INTO public.parent (name) SELECT 'p' || g FROM generate_series(1, 20) g;
        INSERT INTO public.child (parent_id, total) SELECT 1 + g % 20, g * 1.25 FROM generate_series(1, 100) g;
        INSERT INTO public.events SELECT g, date '2025-06-01' + g * 2, 'v' || g FROM generate_series(1, 200) g;
        """";

    private static readonly string[] Tables = ["\"Sales Dept\".\"Order \"\"Lines\"\"\"", "public.parent", "public.child", "public.events_2025", "public.events_2026"];

    [TestCase("")]
    [TestCase("--inserts")]
    [TestCase("--column-inserts --rows-per-insert=7")]
    public async Task Split_files_load_with_psql_and_give_back_the_same_data(string dumpArguments)
    {
        await using var source = await Scenario.CreateAsync(Schema);
        var dump = await source.DumpAsync(dumpArguments);
        var preData = await source.DumpAsync("--section=pre-data", "pre.sql");
        var postData = await source.DumpAsync("--section=post-data", "post.sql");
        using var dir = new TempDirectory();

        SplitResult result;
        await using (var reader = DumpReader.Open(dump))
        {
            result = await DumpSplitter.SplitAsync(reader, dir.File("out"));
        }

        result.Tables.Select(t => t.Name.ToString()).Order(StringComparer.Ordinal).ShouldBe(Tables.Order(StringComparer.Ordinal));
        result.Tables.Sum(t => t.Rows).ShouldBe(300 + 20 + 100 + 200);
        await using var target = await Scenario.CreateEmptyAsync();
        await target.PsqlAsync(preData);
        foreach (var table in result.Tables)
        {
            await target.PsqlAsync(Path.Combine(dir.File("out"), table.File));
        }

        await target.PsqlAsync(Path.Combine(dir.File("out"), result.SequencesFile!));
        await target.PsqlAsync(postData);
        foreach (var table in Tables)
        {
            (await target.ContentAsync(table)).ShouldBe(await source.ContentAsync(table), table);
        }

        (await target.ScalarAsync<long>("SELECT last_value FROM public.parent_id_seq")).ShouldBe(20);
        (await target.ScalarAsync<long>("SELECT last_value FROM public.child_id_seq")).ShouldBe(100);
    }
}
