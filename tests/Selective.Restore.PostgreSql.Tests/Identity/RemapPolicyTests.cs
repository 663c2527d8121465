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
    public async Task Children_follow_a_remapped_parent_through_a_foreign_key_of_another_integer_type()
    {
        // Key maps hold keys as COPY prints them: an int foreign key prints a bigint key's value the same.
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE shops (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE);
            CREATE TABLE orders (id serial PRIMARY KEY, shop_id int NOT NULL REFERENCES shops, total int);
            INSERT INTO shops (name) VALUES ('Ann''s'), ('Cy''s');
            INSERT INTO orders (shop_id, total) VALUES (1, 10), (2, 20), (2, 30);
            """);
        var dump = await db.DumpAsync();

        // Shop 2 is gone and someone else's shop took its id; its orders were lost.
        await db.ExecuteAsync("DELETE FROM orders WHERE shop_id = 2; DELETE FROM shops WHERE id = 2; INSERT INTO shops (id, name) VALUES (2, 'Zed''s')");
        RestoreBuilder Restore() => SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("shops", "name").OnCollision(CollisionHandling.Remap);

        var report = await Restore().Build().RunAsync();
        var again = await Restore().Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "shops").Remaps.ShouldBe([new KeyRemap(["2"], ["3"], RemapKind.NewKey)]);
        (await db.ScalarAsync<string>("SELECT string_agg(o.id || ':' || s.name, ' ' ORDER BY o.id) FROM orders o JOIN shops s ON s.id = o.shop_id"))
            .ShouldBe("1:Ann's 2:Cy's 3:Cy's");
        again.Tables.Sum(t => t.Inserted + t.Updated).ShouldBe(0, again.ToSummary());
    }

    [Test]
    public async Task An_inheritance_child_without_the_foreign_key_its_siblings_have_follows_the_remap_too_with_a_key_or_without()
    {
        // pagila's payment_p2007_07 has no foreign key to customer while payment_p2007_01 has one: old-style inheritance
        // does not copy them. Its rows must not keep a remapped customer's old id, which now names someone else, with a
        // key or without one.
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
            CREATE TABLE payments (id int NOT NULL, customer_id int NOT NULL, amount int);
            CREATE TABLE payments_2024 (PRIMARY KEY (id), FOREIGN KEY (customer_id) REFERENCES customers) INHERITS (payments);
            CREATE TABLE payments_2025 (PRIMARY KEY (id)) INHERITS (payments);
            CREATE TABLE payments_old () INHERITS (payments);
            INSERT INTO customers (email) VALUES ('ann@x'), ('bob@x'), ('cy@x');
            INSERT INTO payments_2024 VALUES (1, 2, 10); INSERT INTO payments_2025 VALUES (2, 2, 20), (3, 1, 30); INSERT INTO payments_old VALUES (4, 2, 40);
            """);
        var dump = await db.DumpAsync();

        // Bob and his payments are gone, and his id was handed to a newcomer.
        await db.ExecuteAsync("DELETE FROM payments WHERE customer_id = 2; DELETE FROM customers WHERE id = 2; INSERT INTO customers VALUES (2, 'newcomer@x')");
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("customers", "email").OnCollision(CollisionHandling.Remap).Build().RunAsync();

        report.Tables.Single(t => t.Name.Name == "customers").Remaps.ShouldBe([new KeyRemap(["2"], ["4"], RemapKind.NewKey)]);
        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "payments_2025").Inserted.ShouldBe(1, report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "payments_old").Inserted.ShouldBe(1, report.ToSummary());
        (await db.ScalarAsync<string>("SELECT string_agg(id || ':' || customer_id, ' ' ORDER BY id) FROM payments")).ShouldBe("1:4 2:4 3:1 4:4");
    }

    [Test]
    public async Task Children_of_a_colliding_row_under_a_padded_char_key_are_held_back()
    {
        // A char(4) key prints padded, in the dump and from the server's COPY alike; its ::text cast would drop the
        // padding, and the children would not find their parent's key map entry.
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE regions (code char(4) PRIMARY KEY, name text NOT NULL UNIQUE);
            CREATE TABLE orders (id serial PRIMARY KEY, region char(4) NOT NULL REFERENCES regions, total int);
            INSERT INTO regions VALUES ('n', 'North'), ('s', 'South');
            INSERT INTO orders (region, total) VALUES ('n', 10), ('s', 20), ('n', 30), ('s', 40);
            """);
        var dump = await db.DumpAsync();

        // Region n now names another region; the orders were lost.
        await db.ExecuteAsync("DELETE FROM orders; UPDATE regions SET name = 'Nowhere' WHERE code = 'n'");
        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString).WithIdentityKey("regions", "name").Build().RunAsync();

        report.Succeeded.ShouldBeTrue(report.ToSummary());
        report.Tables.Single(t => t.Name.Name == "regions").CollisionKeys.ShouldBe([["n   "]]);
        var orders = report.Tables.Single(t => t.Name.Name == "orders");
        (orders.Inserted, orders.HeldBack).ShouldBe((2L, 2L));
        orders.HeldBackKeys.ShouldBe([["1"], ["3"]]);
        (await db.ScalarAsync<string>("SELECT string_agg(id::text, ',' ORDER BY id) FROM orders")).ShouldBe("2,4");
    }

    [Test]
    public async Task A_sequence_counting_down_is_not_touched_and_the_table_is_left_as_it_was()
    {
        await using var db = await Scenario.CreateAsync("""
            CREATE TABLE tickets (id int GENERATED BY DEFAULT AS IDENTITY (INCREMENT BY -1 MINVALUE -1000 MAXVALUE -1 START WITH -1) PRIMARY KEY, code text NOT NULL);
            INSERT INTO tickets (code) VALUES ('a'), ('b'), ('c');
            """);
        var dump = await db.DumpAsync();
        await db.ExecuteAsync("UPDATE tickets SET code = 'someone else' WHERE id = -2");
        var before = await db.ContentAsync("tickets");
        var sequence = await db.ScalarAsync<long>("SELECT last_value FROM tickets_id_seq");

        var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(db.ConnectionString)
            .WithIdentityKey("tickets", "code").OnCollision(CollisionHandling.Remap).Build().RunAsync();

        var tickets = report.Tables.ShouldHaveSingleItem();
        tickets.Outcome.ShouldBe(TableOutcome.Failed);
        tickets.Errors.ShouldHaveSingleItem().ShouldContain("its sequence public.tickets_id_seq counts down");
        (await db.ContentAsync("tickets")).ShouldBe(before);
        (await db.ScalarAsync<long>("SELECT last_value FROM tickets_id_seq")).ShouldBe(sequence);
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
