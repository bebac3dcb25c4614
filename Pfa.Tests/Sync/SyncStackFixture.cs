using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Pfa.Pems;
using Pfa.ServiceDefaults;
using Pfa.Tests.Api;
using Pfa.Tests.Infrastructure;

namespace Pfa.Tests.Sync;

/// <summary>
/// The whole stack through the AppHost test entry point, with the worker as its own process and sync settings made for
/// end-to-end tests: a short poll interval, small pages (so a sync spans many batches), the simulator in memory with two
/// extra organizations (<see cref="KillOrg"/>, <see cref="TwinOrg"/>) that the database does not know until a test adds them.
/// Extra worker processes (a restarted or second replica) are started from the AppHost worker's own command line and
/// environment, and killed on dispose.
/// </summary>
public sealed class SyncStackFixture : IAsyncLifetime
{
    public const int PageSize = 100;
    public const int RecordsPerOrganization = 2000;
    public const string KillOrg = "KILLSYNC";
    public const string TwinOrg = "TWINSYNC";
    public const string DemoPassword = "Vanguard-demo-2026!";

    private readonly List<WorkerProcess> _extraWorkers = [];
    private readonly Dictionary<string, string> _tokens = [];
    private Dictionary<string, string> _workerEnvironment = [];
    private string _workerCommand = "", _workerAssembly = "", _workerDirectory = "";

    public DistributedApplication App { get; private set; } = null!;
    public NpgsqlDataSource Db { get; private set; } = null!;

    public string DataDirectory { get; } = PfaApp.NewDataDirectory();

    public async ValueTask InitializeAsync()
    {
        var builder = (await PfaApp.CreateBuilderAsync(DataDirectory))
            .WithEnvironment(PfaResources.SyncWorker, ("Sync__PollInterval", "00:00:00.300"), ("Sync__PageSize", PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .WithEnvironment(PfaResources.Api, ("RateLimit__PermitsPerMinute", "100000"))
            // In memory: edits made by one run must not leak into the next through the simulator's journal.
            .WithEnvironment(PfaResources.PemsSimulator, ("PemsSimulator__DataDirectory", ""),
                ("PemsSimulator__Organizations__0", "RIO"), ("PemsSimulator__Organizations__1", "PORTARTHUR"),
                ("PemsSimulator__Organizations__2", KillOrg), ("PemsSimulator__Organizations__3", TwinOrg));
        App = await PfaApp.StartAsync(builder);
        Db = NpgsqlDataSource.Create((await App.GetConnectionStringAsync(PfaResources.Database, TestContext.Current.CancellationToken))!);
        var pid = App.GetProcessId(PfaResources.SyncWorker)!.Value;
        _workerEnvironment = ProcessInspector.Environment(pid);
        var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        (_workerCommand, _workerAssembly) = (cmdline[0], cmdline[^1]);
        _workerDirectory = new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(true)!.FullName;
    }

    /// <summary>The AppHost's worker process, while it lives.</summary>
    public int? AppHostWorkerPid => App.GetProcessId(PfaResources.SyncWorker);

    /// <summary>Every worker process alive now: the AppHost's and the extra ones.</summary>
    public IReadOnlyList<int> LiveWorkerPids() =>
        [.. new[] { AppHostWorkerPid }.Concat(_extraWorkers.Select(w => (int?)w.Pid)).OfType<int>().Where(ProcessInspector.IsAlive)];

    /// <summary>Another replica of the worker: the same program, configuration and database, its health endpoint on a free port.</summary>
    public WorkerProcess StartExtraWorker()
    {
        var info = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _workerDirectory };
        // Dies with the test run if the fixture never gets to dispose it.
        foreach (var a in new[] { "--pdeathsig=KILL", "--", _workerCommand, _workerAssembly }) info.ArgumentList.Add(a);
        info.Environment.Clear();
        foreach (var (k, v) in _workerEnvironment) info.Environment[k] = v;
        info.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        var worker = new WorkerProcess(Process.Start(info)!);
        lock (_extraWorkers) _extraWorkers.Add(worker);
        return worker;
    }

    /// <summary>Log text of every worker so far: the AppHost worker's log file and the extra processes' output.</summary>
    public string WorkerLogs()
    {
        var text = new StringBuilder(App.ConsoleLog(PfaResources.SyncWorker));
        lock (_extraWorkers) foreach (var w in _extraWorkers) text.AppendLine(w.Output);
        return text.ToString();
    }

    /// <summary>An API client signed in as a demo user.</summary>
    public async Task<HttpClient> ApiAsUserAsync(string user)
    {
        var client = App.CreateHttpClient(PfaResources.Api);
        if (!_tokens.TryGetValue(user, out var token))
        {
            using var login = await client.PostAsJsonAsync("/api/auth/login", new { username = user, password = DemoPassword }, Http.Ct);
            login.EnsureSuccessStatusCode();
            token = (await login.Content.ReadFromJsonAsync<JsonObject>(Http.Ct))!["accessToken"]!.GetValue<string>();
            _tokens[user] = token;
        }
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A PEMS client on the simulator's wire API, with the credentials the worker uses.</summary>
    public PemsClient Pems()
    {
        var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        return new PemsClient(http, new PemsClientOptions
        {
            BaseAddress = new Uri(App.GetEndpoint(PfaResources.PemsSimulator), "axis/restservices/"),
            Tenant = "BECHTEL_DEV", UserName = "PFA_SERVICE", Password = "simulator",
            BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(100),
        });
    }

    /// <summary>The simulator's admin endpoints (mutate, delete, faults).</summary>
    public HttpClient SimulatorAdmin() => App.CreateHttpClient(PfaResources.PemsSimulator);

    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var cmd = Db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.AddWithValue(a);
        return (T)(await cmd.ExecuteScalarAsync(Http.Ct))!;
    }

    public async Task<List<T>> ListAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] args)
    {
        await using var cmd = Db.CreateCommand(sql);
        foreach (var a in args) cmd.Parameters.AddWithValue(a);
        await using var r = await cmd.ExecuteReaderAsync(Http.Ct);
        var list = new List<T>();
        while (await r.ReadAsync(Http.Ct)) list.Add(read(r));
        return list;
    }

    /// <summary>Polls until the condition holds; bounded, never asserting how long it took.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null, Func<string>? explain = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromMinutes(3));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Gave up waiting for {what}.{(explain is null ? "" : "\n" + explain())}");
            await Task.Delay(100, Http.Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _extraWorkers) await w.DisposeAsync();
        if (Db is not null) await Db.DisposeAsync();
        if (App is not null) await App.DisposeAsync();
        PfaApp.DeleteDataDirectory(DataDirectory);
    }
}

/// <summary>A worker process started by a test; output captured, SIGTERM then SIGKILL on dispose.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public WorkerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Until the host has started (and so its scheduler polls); a worker starting slowly on a loaded box would miss what a test does next.</summary>
    public Task WaitUntilStartedAsync() => SyncStackFixture.WaitUntilAsync(
        () => Task.FromResult(_process.HasExited ? throw new InvalidOperationException($"The worker exited ({_process.ExitCode}):\n{Output}")
            : Output.Contains("Application started", StringComparison.Ordinal)), "the extra worker to start", explain: () => Output);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(); }
        }
        _process.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class SyncStackCollection : ICollectionFixture<SyncStackFixture>
{
    public const string Name = "sync-stack";
}
