using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers;

/// <summary>The one rule every provider's missing-parent check follows: which staged delta classes an apply writes.</summary>
public sealed class ApplyInstructionsTests
{
    [TestCase(false, false, false, "")]
    [TestCase(true, false, false, "mr")]
    [TestCase(false, true, false, "ct")]
    [TestCase(false, false, true, "t")]
    [TestCase(true, false, true, "mrt")]
    [TestCase(true, true, true, "mrct")]
    public void Written_classes_are_the_inserted_and_overwritten_rows(bool insert, bool updateConflicting, bool updateChosen, string expected) =>
        new string([.. new ApplyInstructions(insert, updateConflicting, updateChosen, Remapped: false).WrittenClasses]).ShouldBe(expected);
}
