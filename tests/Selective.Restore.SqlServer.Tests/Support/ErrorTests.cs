namespace Selective.Restore.SqlServer.Tests.Support;

/// <summary>The error-number table: what is retried, what fails the table, and the lock timeout apart from both.</summary>
public sealed class ErrorTests
{
    [TestCase(1205, 13, "Transient")] // deadlock victim
    [TestCase(40613, 17, "Transient")] // Azure SQL: database not currently available
    [TestCase(40501, 20, "Transient")] // Azure SQL: service busy
    [TestCase(49918, 16, "Transient")]
    [TestCase(10054, 20, "Transient")] // connection reset
    [TestCase(-2, 11, "Transient")] // SqlClient timeout (statements run without one)
    [TestCase(0, 20, "Transient")] // any fatal error ends the connection
    [TestCase(1222, 16, "LockTimeout")]
    [TestCase(18456, 14, "Permanent")] // login failed
    [TestCase(18456, 20, "Permanent")] // even at a fatal severity
    [TestCase(229, 14, "Permanent")] // permission denied
    [TestCase(547, 16, "Permanent")] // foreign key / check
    [TestCase(2627, 14, "Permanent")] // unique key
    [TestCase(2601, 14, "Permanent")]
    [TestCase(515, 16, "Permanent")] // NULL into NOT NULL
    [TestCase(8152, 16, "Permanent")] // truncation
    [TestCase(208, 16, "Permanent")] // invalid object name
    public void An_error_number_means_one_thing(int number, int severity, string expected)
    {
        SqlServerErrors.Classify(number, (byte)severity).ToString().ShouldBe(expected);
    }

    [Test]
    public void No_error_a_user_must_fix_is_ever_retried()
    {
        foreach (var number in SqlServerErrors.NeverTransient)
        {
            SqlServerErrors.Classify(number, 20).ShouldBe(SqlServerErrorKind.Permanent, $"error {number}");
        }
    }
}
