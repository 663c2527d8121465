using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Identity;

/// <summary>The identity key's rules, from the facts a provider answers, for every combination that matters.</summary>
public sealed class IdentityClassifierTests
{
    private const string LiveKey = "7";

    [TestCase(false, false, false, 0, "Missing", TestName = "missing, entity not live: missing")]
    [TestCase(false, false, false, 1, "Relocated", TestName = "missing, entity live under one other key: relocated")]
    [TestCase(false, false, false, 2, "Undetermined", TestName = "missing, entity live under several keys: undetermined")]
    [TestCase(false, true, false, 0, "Missing", TestName = "missing, NULL identity: missing (nothing to look up)")]
    public void A_missing_row(bool keyLive, bool dumpNull, bool same, long liveCount, string expected) =>
        IdentityClassifier.Decide(new IdentityFacts(1, "1", keyLive, dumpNull, LiveNull: false, same, liveCount, liveCount == 1 ? LiveKey : null)).ShouldBe(Enum.Parse<DeltaClass>(expected));

    [TestCase(false, false, true, 1, "Conflicting", TestName = "same key, same entity: conflicting")]
    [TestCase(true, false, false, 0, "Undetermined", TestName = "same key, NULL identity in the dump: undetermined")]
    [TestCase(false, true, false, 1, "Undetermined", TestName = "same key, NULL identity live: undetermined, even with the entity live elsewhere")]
    [TestCase(false, false, false, 0, "Collision", TestName = "same key, other entity, not live elsewhere: collision")]
    [TestCase(false, false, false, 1, "Relocated", TestName = "same key, other entity, live under one other key: relocated")]
    [TestCase(false, false, false, 3, "Undetermined", TestName = "same key, other entity, live under several keys: undetermined")]
    public void A_row_whose_key_is_live(bool dumpNull, bool liveNull, bool same, long liveCount, string expected) =>
        IdentityClassifier.Decide(new IdentityFacts(1, "1", KeyLive: true, dumpNull, liveNull, same, liveCount, liveCount == 1 ? LiveKey : null)).ShouldBe(Enum.Parse<DeltaClass>(expected));

    [Test]
    public void Edits_come_back_in_order_with_awkward_values_intact()
    {
        using var rows = new DeltaEdits(Path.GetTempPath());
        string?[] awkward = ["tab\there", "back\\slash", "new\nline", "ünïcode ☃", string.Empty, null];
        var raw = KeyMap.Encode(awkward.Take(5).Select(v => v!)) + "\t\\N";
        rows.Add(5, DeltaClass.Collision, null);
        rows.Add(2, null, raw);
        for (var i = 0; i < 20_000; i++)
        {
            rows.Add(100 + i, DeltaClass.Undetermined, null); // past one block: the rows spill
        }

        var read = rows.Read().ToList();
        read.Count.ShouldBe(20_002);
        read[0].ShouldBe(new DeltaEdit(5L, DeltaClass.Collision, null));
        read[1].Position.ShouldBe(2);
        read[1].Class.ShouldBeNull();
        read[1].Values.ShouldBe(raw);
        DeltaEdits.Decode(read[1].Values!).ShouldBe(awkward);
        read[^1].Position.ShouldBe(100 + 19_999);
        rows.Count.ShouldBe(20_002);
    }
}
