using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Selective.Restore.Cli.Display;

/// <summary>
/// Progress as a bar redrawn in place on a terminal (Spectre.Console): one line for the pass that reads the dump
/// (staging, splitting, inspecting: by the dump's bytes), one for the apply pass (by its tables), each with its percentage, time left and a spinner that shows the run is alive
/// while one statement takes long; under them, the counts and the rate of the table at work. Cleared when the run
/// ends; what the run logs meanwhile is printed above it (<see cref="Log"/>).
/// </summary>
internal sealed class BarDisplay : ProgressDisplay
{
    private const double Steps = 10_000;

    private readonly TextWriter _error;
    private readonly ProgressState _state;
    private readonly Lock _gate = new();
    private readonly ConsoleLines _log;
    private readonly int _width;
    private readonly TimeSpan _showAfter;
    private readonly int _titleWidth;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private bool _taskIsApplyPass;

    public BarDisplay(TextWriter error, int width, TimeSpan showAfter, string waiting)
    {
        _state = new ProgressState(waiting);
        _error = error;
        _showAfter = showAfter;
        _width = width;
        _titleWidth = Math.Clamp(width / 3, 16, 40);
        _log = new ConsoleLines(error);
    }

    public override TextWriter Log => _log;

    public override async Task<T> ShowAsync<T>(Func<Task<T>> work)
    {
        // A run that ends within the delay shows no bar at all (nothing flashes); a longer one has tiered up its hot
        // code before the bar's own code competes for the JIT.
        // On the pool: a run on local files may not yield for a long time, and the delay must still end.
        var running = Task.Run(work);
        if (_showAfter > TimeSpan.Zero && await Task.WhenAny(running, Task.Delay(_showAfter)).ConfigureAwait(false) == running)
        {
            return await running.ConfigureAwait(false);
        }

        // Made only now: a short run never loads (nor compiles) the console library.
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Detect,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(_error),
        });
        console.Profile.Width = _width;
        var progress = console.Progress()
            .AutoClear(true)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn { Width = Math.Clamp(_width - _titleWidth - 24, 10, 40) },
                new PercentageColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn())
            .UseRenderHook((bars, _) => new Rows(bars, new Text(DetailLine(), new Style(Color.Grey))));

        // Four frames a second are smooth enough, and leave the run's own threads the CPU (and the JIT).
        progress.RefreshRate = TimeSpan.FromMilliseconds(250);
        return await progress.StartAsync(async context =>
        {
            lock (_gate)
            {
                _context = context;
                Sync();
            }

            _log.Console = console;
            try
            {
                return await running.ConfigureAwait(false);
            }
            finally
            {
                _log.Console = null;
                lock (_gate)
                {
                    _context = null;
                }
            }
        }).ConfigureAwait(false);
    }

    public override void Report(RestoreProgress value)
    {
        lock (_gate)
        {
            _state.Update(value);
            if (_context is not null)
            {
                Sync();
            }
        }
    }

    /// <summary>Makes the bars say what <see cref="_state"/> says (under <see cref="_gate"/>, while shown).</summary>
    private void Sync()
    {
        if (_task is null)
        {
            _task = _context!.AddTask(Title(_state.Title), autoStart: true, maxValue: Steps);
            _task.IsIndeterminate = true;
        }

        if (_state.InApplyPass && !_taskIsApplyPass)
        {
            // Staging is done: its line stays, full, and the apply pass gets its own.
            _task.Description = Title(string.Create(CultureInfo.InvariantCulture, $"staged {_state.Latest!.Value.Bytes / 1e6:0.0} MB"));
            _task.IsIndeterminate = false;
            _task.Value = _task.MaxValue;
            _task.StopTask();
            _task = _context!.AddTask(Title(_state.Title), autoStart: true, maxValue: Steps);
            _taskIsApplyPass = true;
        }

        _task.Description = Title(_state.Title);
        if (_state.Fraction is { } fraction)
        {
            // Spectre's time left follows the pace of the fraction: bytes while staging, dump rows while applying.
            _task.IsIndeterminate = false;
            _task.MaxValue = Steps;
            _task.Value = fraction * Steps;
        }
        else
        {
            _task.IsIndeterminate = true;
        }
    }

    /// <summary>A line's title at a fixed width (the bars stay put from table to table), as markup.</summary>
    private string Title(string text)
    {
        var fitted = text.Length <= _titleWidth ? text.PadRight(_titleWidth) : string.Concat(text.AsSpan(0, _titleWidth - 1), "…");
        return Markup.Escape(fitted);
    }

    /// <summary>The line under the bars: the counts and rate of the table at work, cut to the terminal's width.</summary>
    private string DetailLine()
    {
        string detail;
        lock (_gate)
        {
            detail = "  " + _state.Detail;
        }

        return detail.Length < _width ? detail : string.Concat(detail.AsSpan(0, _width - 2), "…");
    }

    /// <summary>
    /// Lines written while the bar is shown are printed through the console, above the bar (writing them to stderr
    /// directly would tear it); before and after, straight to stderr.
    /// </summary>
    private sealed class ConsoleLines(TextWriter error) : TextWriter
    {
        private readonly StringBuilder _line = new();
        private volatile IAnsiConsole? _console;

        /// <summary>The console showing the bar, or null while none is.</summary>
        public IAnsiConsole? Console
        {
            get => _console;
            set => _console = value;
        }

        public override Encoding Encoding => error.Encoding;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value != '\n')
                {
                    _line.Append(value);
                    return;
                }

                var line = _line.ToString().TrimEnd('\r');
                _line.Clear();
                WriteWholeLine(line);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_line)
            {
                WriteWholeLine(_line.Append(value).ToString());
                _line.Clear();
            }
        }

        private void WriteWholeLine(string line)
        {
            if (Console is { } console)
            {
                console.WriteLine(line);
            }
            else
            {
                error.WriteLine(line);
            }
        }
    }
}
