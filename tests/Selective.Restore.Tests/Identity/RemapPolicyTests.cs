using Selective.Restore.Identity;
using Selective.Restore.Merge;
using Selective.Restore.PostgreSql;
using Selective.Restore.Report;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Identity;

/// <summary>Remapping decided by the application's merge policy, and tables whose key cannot be remapped.</summary>
public sealed class RemapPolicyTests
{
    private const string Forum = """
        CREATE TABLE topics (id serial PRIMARY KEY, parent_id int REFERENCES topics, author text NOT NULL, title text NOT NULL);
        CREATE TABLE replies (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, topic_id int NOT NULL REFERENCES topics, body text);
        INSERT INTO topics (parent_id, author, title) VALUES (NULL, 'ann', 't1'), (1, 'ann', 't2'), (NULL, 'ann', 't3'), (3, 'cy', 't4'), (4, 'cy', 't5');
        INSERT INTO replies (topic_id, body) SELECT 1 + g % 5, 'reply ' || g FROM generate_series(1, 20) g;
        """;

    [Test]
    public async Task A_policy_that_returns_remap_inserts_the_row_under_a_new_key_and_its_children_follow()
    {
        await using var db = await Scenario.CreateAsync(Forum);
        var dump = await db.DumpAsync("-Fc", "forum.dump");

        // Live lost topics 4 and 5 (and their replies); topic 3 was deleted and its ID reused by someone else's topic.
        await db.ExecuteAsync("""
            DELETE FROM replies WHERE topic_id IN (3, 4, 5); DELETE FROM topics WHERE id IN (5); DELETE FROM topics WHERE id IN (4); DELETE FROM topics WHERE id = 3;
            INSERT INTO topics (id, author, title) VALUES (3, 'bob', 'bob''s topic');
            INSERT INTO replies (topic_id, body) VALUES (3, 'bob replies to himself');
            """);
        var asked = new List<int>();

        // The application knows a topic by its author: a different author is a different topic.
        var policy = MergePolicy.Custom("by-author", args =>
        {
            asked.Add(args.Key.Get<int>("id"));
            return string.Equals(args.Dump.GetText("author"), args.Live.GetText("author"), StringComparison.Ordinal) ? ConflictDecision.TakeDump : ConflictDecision.Remap;
        });
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithPolicy("topics", policy).Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        asked.ShouldBe([3]);
        var topics = report.Tables.Single(t => t.Name.Name == "topics");
        (topics.Conflicting, topics.Remapped, topics.Inserted, topics.Updated, topics.Collisions).ShouldBe((1L, 1L, 3L, 0L, 0L));
        topics.Remaps.ShouldBe([new KeyRemap(["3"], ["6"], RemapKind.NewKey)]); // above the dump's and live's highest id (5)

        // t4's parent and the replies of t3 follow ann's topic to its new ID; bob's topic and reply are untouched.
        (await db.ScalarAsync<string>("""
            SELECT string_agg(t.id || ':' || t.author || ':' || t.title || ':' || coalesce(t.parent_id::text, '-'), ' ' ORDER BY t.id) FROM topics t
            """)).ShouldBe("1:ann:t1:- 2:ann:t2:1 3:bob:bob's topic:- 4:cy:t4:6 5:cy:t5:4 6:ann:t3:-");
        (await db.ScalarAsync<string>("SELECT string_agg(body, ',' ORDER BY id) FROM replies WHERE topic_id = 3")).ShouldBe("bob replies to himself");
        (await db.ScalarAsync<long>("SELECT count(*) FROM replies WHERE topic_id = 6")).ShouldBe(4);
        (await db.ScalarAsync<int>("INSERT INTO topics (author, title) VALUES ('new', 'n') RETURNING id")).ShouldBe(7);
    }

    [Test]
    public async Task A_key_without_a_sequence_cannot_be_remapped_and_the_table_is_left_as_it_was()
    {
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE people (code text PRIMARY KEY, email text NOT NULL, name text);
            CREATE TABLE badges (code text REFERENCES people, badge text, PRIMARY KEY (code, badge));
            INSERT INTO people VALUES ('p1', 'a@x', 'A'), ('p2', 'b@x', 'B');
            INSERT INTO badges VALUES ('p1', 'gold'), ('p2', 'silver');
            """);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("DELETE FROM badges WHERE code = 'p2'; UPDATE people SET email = 'c@x', name = 'C' WHERE code = 'p2'; DELETE FROM badges WHERE code = 'p1'");
        var before = await db.ContentAsync("people");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("people", "email").OnCollision(CollisionHandling.Remap).Build().RunAsync();

        var people = report.Tables.Single(t => t.Name.Name == "people");
        people.Outcome.ShouldBe(TableOutcome.Failed);
        people.Errors.ShouldHaveSingleItem().ShouldContain("1 rows must be remapped to new keys, but the key (code) is not a single integer column fed by a sequence");
        var badges = report.Tables.Single(t => t.Name.Name == "badges");
        badges.Outcome.ShouldBe(TableOutcome.Failed); // p1's badge is innocent, but the map its rows follow was never made
        (await db.ContentAsync("people")).ShouldBe(before);
        (await db.ScalarAsync<long>("SELECT count(*) FROM badges")).ShouldBe(0);

        // Skipping instead: p2's badge is held back (it belongs to the dump's p2, not to C), p1's comes back.
        var skip = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("people", "email").Build().RunAsync();
        skip.Succeeded.ShouldBeTrue(skip.ToSummary());
        var skipped = skip.Tables.Single(t => t.Name.Name == "badges");
        (skipped.Inserted, skipped.HeldBack).ShouldBe((1L, 1L));
        skipped.HeldBackKeys.ShouldBe([["p2", "silver"]]);
    }
}
