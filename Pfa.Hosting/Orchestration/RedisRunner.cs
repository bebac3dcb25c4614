using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting.Orchestration;

/// <summary>
/// Redis from <c>redis-server</c>, loopback only, password in a 0600 config file (never on the command line,
/// where <c>ps</c> would show it), snapshots in the data directory like Aspire's <c>--save 60 1</c>.
/// </summary>
internal sealed class RedisRunner(RedisResource redis, RunContext context) : ResourceRunner(redis, context)
{
    private string Directory_ => Path.Combine(Context.DataDirectory, redis.Name);

    public override IReadOnlyList<string> Urls => [$"redis://localhost:{redis.PrimaryEndpoint.RequirePort()}"];

    public override string LikelyFix => $"See {Log.FilePath}.";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var server = FindOnPath("redis-server") ?? throw new DistributedApplicationException(
            "redis-server was not found on PATH. Install it: " + (Context.IsRoot ? "apt-get install -y redis-server" : "sudo apt-get install -y redis-server") + ".");
        Directory.CreateDirectory(Directory_);
        EnsurePortFree(redis.PrimaryEndpoint);

        var config = Path.Combine(Directory_, "redis.conf");
        var lines = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"port {redis.PrimaryEndpoint.RequirePort()}")
            .AppendLine("bind 127.0.0.1 -::1")
            .AppendLine("protected-mode yes")
            .AppendLine("daemonize no")
            .AppendLine("logfile \"\"")
            .AppendLine(CultureInfo.InvariantCulture, $"dir \"{Directory_}\"")
            .AppendLine(Context.FastUnsafeStorage ? "save \"\"" : "save 60 1")
            .AppendLine("appendonly no")
            .AppendLine(CultureInfo.InvariantCulture, $"requirepass \"{redis.PasswordParameter.Value}\"");
        using (var stream = new FileStream(config, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(lines.ToString());
        }

        Launch(new ProcessLaunch(server, [config], Directory_)
        {
            Environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin" },
            StopSequence = [(Native.SIGTERM, TimeSpan.FromSeconds(15)), (Native.SIGKILL, TimeSpan.FromSeconds(5))],
        });
        return Task.CompletedTask;
    }

    /// <summary>AUTH + PING over RESP: the check Aspire's Redis health check performs, without a multiplexer.</summary>
    public override async Task<string?> CheckHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await client.ConnectAsync("127.0.0.1", redis.PrimaryEndpoint.RequirePort(), timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            var password = redis.PasswordParameter.Value;
            var request = $"*2\r\n$4\r\nAUTH\r\n${Encoding.UTF8.GetByteCount(password)}\r\n{password}\r\n*1\r\n$4\r\nPING\r\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request), timeout.Token).ConfigureAwait(false);
            var buffer = new byte[256];
            var received = new StringBuilder();
            while (!received.ToString().Contains("\r\n+PONG", StringComparison.Ordinal) && !received.ToString().StartsWith('-'))
            {
                var n = await stream.ReadAsync(buffer, timeout.Token).ConfigureAwait(false);
                if (n == 0) break;
                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            var reply = received.ToString();
            return reply.StartsWith("+OK\r\n+PONG", StringComparison.Ordinal) ? null : $"Unexpected reply: {reply.Split('\r')[0]}";
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return e.Message;
        }
    }
}
