using Microsoft.Extensions.Logging;

namespace Selective.Restore;

/// <summary>
/// One logger for the engine that writes each event under its component's category (<see cref="RestoreLogCategory.Of"/>),
/// so the engine passes a single logger around and a factory's per-category filters still apply.
/// </summary>
internal sealed class CategoryLogger(ILoggerFactory factory) : ILogger
{
    private static readonly string[] Categories =
        [RestoreLogCategory.Run, RestoreLogCategory.Stage, RestoreLogCategory.Diff, RestoreLogCategory.Apply, RestoreLogCategory.Retry, RestoreLogCategory.Verify];

    private readonly Dictionary<string, ILogger> _loggers = Categories.ToDictionary(c => c, factory.CreateLogger, StringComparer.Ordinal);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _loggers[RestoreLogCategory.Of(eventId.Id)].Log(logLevel, eventId, state, exception, formatter);

    // The generated messages ask before formatting: enabled when any category is; the category's own logger decides after.
    public bool IsEnabled(LogLevel logLevel) => _loggers.Values.Any(l => l.IsEnabled(logLevel));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => _loggers[RestoreLogCategory.Run].BeginScope(state);
}
