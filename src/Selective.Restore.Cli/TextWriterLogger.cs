using Microsoft.Extensions.Logging;

namespace Selective.Restore.Cli;

/// <summary>Logs one line per message to a writer (the CLI's stderr), so tests and pipes see exactly what a user sees; control characters in a message are escaped.</summary>
internal sealed class TextWriterLogger(TextWriter writer, LogLevel minimum) : ILogger
{
    private readonly Lock _gate = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var level = logLevel switch
        {
            LogLevel.Critical or LogLevel.Error => "error",
            LogLevel.Warning => "warning",
            _ => "info",
        };
        lock (_gate)
        {
            writer.WriteLine($"selective-restore: {level}: {DisplayText.Escape(formatter(state, exception))}");
        }
    }
}
