using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Selective.Restore.Tests.Support;

namespace Selective.Restore.Tests.Apply;

/// <summary>
/// A server that asks for a password the connection string does not have: the run fails at once (no retries), saying
/// where a password can be given. The server is a few lines of the PostgreSQL protocol, so no cluster with password
/// authentication is needed.
/// </summary>
public sealed class MissingPasswordTests
{
    [TestCase("restore")]
    [TestCase("verify")]
    public async Task A_missing_password_fails_at_once_with_a_hint_and_is_not_retried(string run)
    {
        using var server = new PasswordAskingServer();
        using var dir = new TempDirectory();
        var dump = dir.Write("d.sql", "SET client_encoding = 'UTF8';\nCOPY public.t (id) FROM stdin;\n1\n\\.\n");
        var previous = (Environment.GetEnvironmentVariable("PGPASSWORD"), Environment.GetEnvironmentVariable("PGPASSFILE"));
        Environment.SetEnvironmentVariable("PGPASSWORD", null);
        Environment.SetEnvironmentVariable("PGPASSFILE", dir.Write("empty.pgpass", string.Empty));
        try
        {
            var connectionString = $"Host=127.0.0.1;Port={server.Port};Username=restorer;Database=shop;SSL Mode=Disable;GSS Encryption Mode=Disable;Pooling=false";
            // GSS and TLS off: Npgsql would otherwise open a second socket of its own to negotiate without them.
            var failure = await Should.ThrowAsync<RestoreConnectionException>(async () =>
            {
                // A restore and a backup check connect by different paths; both throw the same exception.
                if (run == "restore")
                {
                    var report = await SelectiveRestore.FromDump(dump).ToPostgreSql(connectionString).Build().RunAsync();
                    throw new InvalidOperationException(report.ToSummary());
                }

                var verified = await BackupVerification.FromDump(dump).ToPostgreSql(connectionString).Build().RunAsync();
                throw new InvalidOperationException(verified.ToSummary());
            });

            var text = failure.ToString();
            failure.Message.ShouldContain($"127.0.0.1:{server.Port}", customMessage: "the target is named");
            text.ShouldContain("No password has been provided");
            text.ShouldContain("PGPASSWORD");
            text.ShouldContain(".pgpass");
            server.Connections.ShouldBe(1, "a missing password is not transient: it is asked for once, not retried");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGPASSWORD", previous.Item1);
            Environment.SetEnvironmentVariable("PGPASSFILE", previous.Item2);
        }
    }

    /// <summary>Answers every startup message with AuthenticationCleartextPassword, and counts the connections.</summary>
    private sealed class PasswordAskingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private int _connections;

        public PasswordAskingServer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    _ = ServeAsync(client);
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                var stream = client.GetStream();
                var header = new byte[8];
                while (true)
                {
                    await stream.ReadExactlyAsync(header, _stop.Token);
                    var length = BinaryPrimitives.ReadInt32BigEndian(header);
                    var code = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
                    await stream.ReadExactlyAsync(new byte[length - 8], _stop.Token);
                    if (code is 80877103 or 80877104)
                    {
                        await stream.WriteAsync("N"u8.ToArray(), _stop.Token); // no TLS, no GSS encryption
                        continue;
                    }

                    // 'R', length 8, 3 = AuthenticationCleartextPassword; then wait for the client to give up.
                    await stream.WriteAsync(new byte[] { (byte)'R', 0, 0, 0, 8, 0, 0, 0, 3 }, _stop.Token);
                    try
                    {
                        _ = await stream.ReadAsync(new byte[1], _stop.Token); // any byte or the end: the client has answered or gone
                    }
                    catch (IOException)
                    {
                    }

                    return;
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
