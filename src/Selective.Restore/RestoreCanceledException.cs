
namespace Selective.Restore;

/// <summary>
/// A restore was cancelled. The table in flight was rolled back; tables committed before stay applied. <see cref="Report"/>
/// says which (their outcome is <see cref="TableOutcome.Applied"/>, the others <see cref="TableOutcome.Cancelled"/>), and
/// the undo script and journal were written for them, so the same command resumes the restore.
/// </summary>
public sealed class RestoreCanceledException : OperationCanceledException
{
    internal RestoreCanceledException(RestoreReport report, Exception innerException, CancellationToken token)
        : base(report.Errors.Count > 0 ? report.Errors[^1] : "The restore was cancelled.", innerException, token) => Report = report;

    /// <summary>What the run did before it was cancelled.</summary>
    public RestoreReport Report { get; }
}
