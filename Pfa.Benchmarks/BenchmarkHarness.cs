using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Pfa.Data;
using Pfa.Data.Queries;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Pfa.AppHost.Hosting;
using Pfa.ServiceDefaults;

namespace Pfa.Benchmarks;

/// <summary>
/// One benchmark run: PostgreSQL and Redis from the AppHost model, the data set by binary COPY, the built API as its own
/// process over loopback HTTP, then every workload with warm-up, percentiles and CPU time per request of the API process and
/// of PostgreSQL. Never asserts timings; errors are counted.
/// </summary>
public static class BenchmarkHarness
{
    /// <summary>The category the overlay-filter workload asks for; a third of the preloaded drafts set it.</summary>
    public const string OverlayCategory = "04004";

    public static async Task<BenchmarkReport> RunAsync(BenchmarkOptions options, Action<string> log, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        log("Starting PostgreSQL and Redis from the AppHost model…");
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"pfa-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDirectory); // not CreateTempSubdirectory: its 0700 would keep the postgres user out
        try
        {
            return await RunAsync(options, dataDirectory, started, log, ct);
        }
        finally
        {
            try { Directory.Delete(dataDirectory, recursive: true); }
            catch (IOException) { } // DCP may still be stopping the servers; the temp directory is cleaned eventually
            catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<BenchmarkReport> RunAsync(BenchmarkOptions options, string dataDirectory, DateTimeOffset started, Action<string> log, CancellationToken ct)
    {
        await using var infra = await StartDataStoresAsync(dataDirectory, ct);
        var pg = (await infra.GetConnectionStringAsync(PfaResources.Database, ct))!;
        var redis = (await infra.GetConnectionStringAsync(PfaResources.Redis, ct))!;

        await using var model = await CannedModel.StartAsync(ct);
        log("Starting the API as its own process (Production; it migrates the schema at start)…");
        await using var api = await ApiProcess.StartAsync(pg, redis, model.ConnectionString, ct);

        await using var db = NpgsqlDataSource.Create(pg);
        string pgVersion;
        int backend;
        await using (var v = db.CreateCommand("SELECT current_setting('server_version'), pg_backend_pid()"))
        await using (var r = await v.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            (pgVersion, backend) = (r.GetString(0), r.GetInt32(1));
        }
        var cpu = new CpuMeter(api.Pid, CpuMeter.ParentOf(backend));

        log($"Loading {options.MirrorRecords:N0} mirror records and {options.OpenDeltas:N0} deltas with binary COPY…");
        var data = new DataSet(options);
        var load = Stopwatch.StartNew();
        await data.LoadAsync(db, ct);
        log($"Loaded in {load.Elapsed.TotalSeconds:F1} s.");

        var report = new BenchmarkReport
        {
            Preset = options.Preset, StartedAt = started, Machine = MachineInfo.Describe(pgVersion),
            DataSet = new DataSetInfo(options.MirrorRecords, options.Organizations, options.Users, options.OpenDeltas, load.Elapsed.TotalSeconds),
        };
        var run = new Run(options, api, cpu, db, data, report, log, ct, model);
        if (options.Only is null or "api")
        {
            await run.WarmUpAsync();
            await run.StorageAsync();
            await run.StatementsPerRequestAsync();
            await run.ListPagesAsync();
            await run.KpisAsync();
            await run.EditsAsync();
            await run.AssistantAsync();
            // Without think time the users saturate the machine (p95 is then queueing: users / throughput); with it they behave like people.
            await run.ConcurrencyAsync(TimeSpan.Zero);
            await run.ConcurrencyAsync(options.ThinkTime);
        }
        if (options.Only is null or "sync") await run.SyncAsync();
        if (options.Only is null or "backup") await new BackupWorkloads(pg, dataDirectory, report, log, ct).RunAsync();
        report.Metrics.Add(new Metric("peak memory of the API process", "MiB", Value: api.PeakResidentBytes() / (1024.0 * 1024),
            Note: $"peak resident set (VmHWM); the benchmark process (load generator, sync workloads, simulator): {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0} MiB"));
        return report;
    }

    /// <summary>
    /// The real AppHost through Aspire.Hosting.Testing with only the data stores left in its model (and the parameters, which
    /// cost nothing): local processes under DCP here, in a throw-away data directory without fsync.
    /// </summary>
    private static async Task<DistributedApplication> StartDataStoresAsync(string dataDirectory, CancellationToken ct)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfa_AppHost>(
            [$"--{LocalDataStores.DataDirectoryKey}={dataDirectory}", $"--{LocalDataStores.FastUnsafeStorageKey}=true",
             // The servers' consoles (PostgreSQL logs everything to stderr, which reads as errors) would interleave with the measurements.
             "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Pfa.AppHost.Resources=None"], ct);
        string[] keep = [PfaResources.Postgres, PfaResources.Database, PfaResources.Redis];
        foreach (var resource in builder.Resources.Where(r => r is not ParameterResource && !keep.Contains(r.Name)).ToList())
            builder.Resources.Remove(resource);

        var app = await builder.BuildAsync(ct);
        try
        {
            await app.StartAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromMinutes(3));
            await app.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.Database, timeout.Token);
            await app.ResourceNotifications.WaitForResourceHealthyAsync(PfaResources.Redis, timeout.Token);
            return app;
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            await app.DisposeAsync();
            throw new TimeoutException("PostgreSQL or Redis did not become healthy within 3 minutes; `dotnet run --project Pfa.AppHost` shows their consoles.", e);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private sealed class Run(BenchmarkOptions options, ApiProcess api, CpuMeter cpu, NpgsqlDataSource db, DataSet data,
        BenchmarkReport report, Action<string> log, CancellationToken ct, CannedModel model)
    {
        private BenchOrg Org => data.Organizations[0];
        private BenchUser Caller => Org.Users[0];
        private int Lines => options.RecordsPerOrganization;

        private async Task<HttpClient> LoginAsync(BenchUser user)
        {
            var client = api.CreateClient();
            var response = await client.PostAsJsonAsync("/api/auth/login", new { username = user.Username, password = DataSet.Password }, ct);
            response.EnsureSuccessStatusCode();
            var token = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["accessToken"]!.GetValue<string>();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        private static async Task<JsonObject> Ok(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri?.PathAndQuery}: {body}");
            return JsonNode.Parse(body)!.AsObject();
        }

        /// <summary>
        /// Warm-up, then <paramref name="n"/> timed calls of <paramref name="body"/>; <paramref name="prepare"/> runs untimed before each.
        /// CPU time of the API and PostgreSQL is read around each timed call only (outside the stopwatch), so preparation does not count.
        /// </summary>
        private async Task<Metric> Time(string name, int n, Func<int, Task> body, Func<int, Task>? prepare = null, int? warmup = null, string? note = null)
        {
            var samples = new List<double>(n);
            var errors = 0;
            var used = new CpuSample();
            var total = (warmup ?? options.Warmup) + n;
            for (var i = 0; i < total; i++)
            {
                try
                {
                    if (prepare is not null) await prepare(i);
                    var measured = i >= total - n;
                    var before = measured ? cpu.Read() : default;
                    var t = Stopwatch.GetTimestamp();
                    await body(i);
                    var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    if (!measured) continue;
                    samples.Add(ms);
                    used += cpu.Read() - before;
                }
                catch (Exception e) when (e is HttpRequestException or NpgsqlException or InvalidOperationException)
                {
                    if (errors++ == 0) log($"  {name}: {e.Message}");
                }
            }
            var metric = Metric.Latency(name, samples, errors, note).WithCpu(used);
            report.Metrics.Add(metric);
            log($"  {name}: p50 {metric.P50:F2} / p95 {metric.P95:F2} / p99 {metric.P99:F2} ms, CPU/request API {metric.ApiCpuMs:F2} PostgreSQL {metric.PostgresCpuMs:F2} ms, errors {errors}");
            return metric;
        }

        /// <summary>
        /// The API process starts cold: tiered JIT compiles and recompiles its hot paths over the first few hundred requests, on
        /// background threads whose CPU would land in whichever workload runs first. The mix, untimed, gets that out of the way.
        /// </summary>
        public async Task WarmUpAsync()
        {
            var http = await LoginAsync(Caller);
            var own = data.DeltaLines(Caller.Index).Select(DataSet.PfaId).ToArray();
            for (var i = 0; i < options.Warmup * 20; i++)
                await MixAsync(http, Org.Code, own, new Random(i));
            await Task.Delay(TimeSpan.FromSeconds(1), ct); // tier-1 recompilation runs after a short delay
        }

        /// <summary>One request of the concurrency mix: 45% first page, 20% overlay filter, 15% KPI with drafts, 20% draft save.</summary>
        private async Task MixAsync(HttpClient http, string orgCode, string[] ownLines, Random random)
        {
            var dice = random.NextDouble();
            if (dice < 0.45) await Ok(await http.GetAsync($"/api/orgs/{orgCode}/pfa?limit=100", ct));
            else if (dice < 0.65) await Ok(await http.GetAsync($"/api/orgs/{orgCode}/pfa?limit=100&category={OverlayCategory}", ct));
            else if (dice < 0.80) await Ok(await http.GetAsync($"/api/orgs/{orgCode}/kpis?includeDrafts=true", ct));
            else await SaveOneAsync(http, orgCode, ownLines[random.Next(ownLines.Length)]);
        }

        /// <summary>
        /// Round trips of each request of the mix: statements PostgreSQL executed (pg_stat_statements' calls, top level, BEGIN,
        /// SET and COMMIT included) per request, over 20 sequential requests. Counts any other session's statements in the
        /// window too (the API's background services are idle here), so it is an upper bound.
        /// </summary>
        public async Task StatementsPerRequestAsync()
        {
            try
            {
                await using var create = db.CreateCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                await create.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e)
            {
                log($"  statements per request: not measured ({e.MessageText})");
                return;
            }
            async Task<Dictionary<string, (long Calls, double ExecMs)>> Calls()
            {
                await using var cmd = db.CreateCommand(
                    "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 70), sum(calls)::bigint, sum(total_exec_time)::float8 FROM pg_stat_statements GROUP BY 1");
                var calls = new Dictionary<string, (long, double)>();
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) calls[r.GetString(0)] = (r.GetInt64(1), r.GetDouble(2));
                return calls;
            }
            var http = await LoginAsync(Caller);
            var own = data.DeltaLines(Caller.Index).Select(DataSet.PfaId).ToArray();
            var kpi = $"/api/orgs/{Org.Code}/kpis?includeDrafts=true";
            await Ok(await http.GetAsync(kpi, ct)); // cached from here on: the warm KPI read the mix mostly makes
            (string Name, Func<int, Task> Call)[] requests =
            [
                ("list first page", async _ => await Ok(await http.GetAsync($"/api/orgs/{Org.Code}/pfa?limit=100", ct))),
                ("list overlay filter", async _ => await Ok(await http.GetAsync($"/api/orgs/{Org.Code}/pfa?limit=100&category={OverlayCategory}", ct))),
                ("KPI with my drafts, warm", async _ => await Ok(await http.GetAsync(kpi, ct))),
                ("draft save (1 line)", async i => await SaveOneAsync(http, Org.Code, own[i % own.Length])),
            ];
            const int n = 20;
            foreach (var (name, call) in requests)
            {
                var before = await Calls();
                for (var i = 0; i < n; i++) await call(i);
                var after = await Calls();
                // Per statement text, what the n requests ran (the first count's own statement is not one of them).
                var ran = after.Select(a => (Text: a.Key, Calls: a.Value.Calls - before.GetValueOrDefault(a.Key).Calls,
                        ExecMs: a.Value.ExecMs - before.GetValueOrDefault(a.Key).ExecMs))
                    .Where(a => a.Calls > 0 && !a.Text.Contains("pg_stat_statements", StringComparison.Ordinal))
                    .OrderByDescending(a => a.ExecMs).ToList();
                var statements = ran.Sum(a => a.Calls) / (double)n;
                var execMs = ran.Sum(a => a.ExecMs) / n;
                // Execution time inside PostgreSQL per request, per statement: where PostgreSQL's share of a request goes
                // (the rest of its CPU per request is protocol, parse/plan of unprepared statements, commit, background work).
                report.Metrics.Add(new Metric($"statements per request: {name}", "statements", Value: statements,
                    Note: $"pg_stat_statements over {n} sequential requests (BEGIN/SET/COMMIT included; utility statements run as " +
                          $"prepared statements are not counted), execution {execMs:0.###} ms per request: " +
                          string.Join("; ", ran.Select(a => $"{a.Calls / (double)n:0.##}× {a.ExecMs / a.Calls:0.###} ms `{a.Text.Replace("|", "/")}`"))));
                log($"  statements per request, {name}: {statements:F1}, executing {execMs:F2} ms");
            }
        }

        public async Task StorageAsync()
        {
            await using var cmd = db.CreateCommand("""
                SELECT pg_total_relation_size('pfa_mirror'), pg_indexes_size('pfa_mirror'), (SELECT count(*) FROM pfa_mirror),
                       pg_total_relation_size('pfa_modification'), pg_indexes_size('pfa_modification'), (SELECT count(*) FROM pfa_modification)
                """);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            var (mirror, mirrorIdx, mirrorRows) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
            var (delta, deltaIdx, deltaRows) = (r.GetInt64(3), r.GetInt64(4), r.GetInt64(5));
            report.Metrics.Add(new Metric("storage per mirror record (heap + TOAST + indexes)", "bytes", Value: (double)mirror / mirrorRows,
                Note: $"{mirrorRows:N0} rows, {mirror / 1048576.0:F1} MiB total of which indexes {mirrorIdx / 1048576.0:F1} MiB"));
            report.Metrics.Add(new Metric("storage per delta row (heap + TOAST + indexes)", "bytes", Value: (double)delta / deltaRows,
                Note: $"{deltaRows:N0} rows, {delta / 1048576.0:F1} MiB total of which indexes {deltaIdx / 1048576.0:F1} MiB"));
        }

        /// <summary>One list workload: the API's query string, and the same filter (and cursor) for the raw-SQL floor.</summary>
        private sealed record ListCase(string Name, string Query, PfaFilter Filter, string? Cursor = null);

        public async Task ListPagesAsync()
        {
            var http = await LoginAsync(Caller);
            var deep = DataSet.PfaId(Lines * 9 / 10);
            var deepCursor = Cursor.Encode(new Cursor(deep, deep, Cursor.OrderOf("pfaId", descending: false)));
            var cases = new ListCase[]
            {
                new("first page", "", new PfaFilter()),
                new("deep keyset page (90%)", "&cursor=" + deepCursor, new PfaFilter(), deepCursor),
                new("selective filter (area + plan-start month)", "&areaSilo=SILO-4&planStartFrom=2025-03-01&planStartTo=2025-03-31",
                    new PfaFilter { AreaSilo = ["SILO-4"], PlanStartFrom = new DateOnly(2025, 3, 1), PlanStartTo = new DateOnly(2025, 3, 31) }),
                new("filter on a draft-overlaid value (category)", $"&category={OverlayCategory}", new PfaFilter { Category = [OverlayCategory] }),
                new("text search (merged manufacturer/model)", "&search=m299", new PfaFilter { Search = "m299" }),
            };
            foreach (var c in cases)
            {
                var apiMetric = await Time($"list {c.Name}: HTTP API", options.ReadIterations,
                    async _ => await Ok(await http.GetAsync($"/api/orgs/{Org.Code}/pfa?limit=100{c.Query}", ct)));
                var raw = await Time($"list {c.Name}: raw SQL floor", options.ReadIterations, async _ => await RawPageAsync(c));
                report.Metrics.Add(new Metric($"list {c.Name}: API/raw p95 ratio", "×", Value: raw.P95 > 0 ? apiMetric.P95 / raw.P95 : null));
                await ExplainAsync(c);
            }
            // pfa_search_ids runs as its owner: its own statement's plan is not in the page's plan (only its buffers are).
            var search = new StringBuilder();
            await using (var cmd = db.CreateCommand("""
                EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM pfa_mirror
                WHERE organization_id = $1 AND deleted_in_pems_at IS NULL AND search_text LIKE $2
                """))
            {
                cmd.Parameters.AddWithValue(Org.Id);
                cmd.Parameters.AddWithValue(new PfaFilter { Search = "m299" }.SearchPattern);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) search.AppendLine(r.GetString(0));
            }
            report.Plans["text search: the statement inside pfa_search_ids"] = search.ToString();
        }

        /// <summary>
        /// The floor: the API's page query (PfaStore.ListCommand, the same tenant transaction with RLS), read as text, without
        /// HTTP, auth, the total (which the API computes in the same statement on first pages) or JSON.
        /// </summary>
        private async Task RawPageAsync(ListCase c)
        {
            await using var s = await TenantSession.BeginAsync(db, [Org.Id], Org.Id, Caller.Id, ct);
            await using var cmd = PfaStore.ListCommand(s, c.Filter, "pfaId", false, 100, c.Cursor, withTotal: false, out _);
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct))
                {
                    _ = r.GetString(3);
                    if (!r.IsDBNull(5)) _ = r.GetString(5);
                }
            await s.CommitAsync(ct);
        }

        /// <summary>EXPLAIN ANALYZE of the page exactly as the API runs it (with the total on first pages), kept in the report as the reason behind the figures.</summary>
        private async Task ExplainAsync(ListCase c)
        {
            await using var s = await TenantSession.BeginAsync(db, [Org.Id], Org.Id, Caller.Id, ct);
            var plan = new StringBuilder();
            await using (var cmd = PfaStore.ListCommand(s, c.Filter, "pfaId", false, 100, c.Cursor, withTotal: c.Cursor is null, out _))
            {
                cmd.CommandText = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + cmd.CommandText;
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) plan.AppendLine(r.GetString(0));
            }
            await s.CommitAsync(ct);
            report.Plans[$"list {c.Name}"] = plan.ToString();
        }

        /// <summary>EXPLAIN ANALYZE of an API statement taking @org and @user, as the caller in its tenant session.</summary>
        private async Task ExplainAsync(string name, string sql)
        {
            await using var s = await TenantSession.BeginAsync(db, [Org.Id], Org.Id, Caller.Id, ct);
            var plan = new StringBuilder();
            await using (var cmd = s.Command("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql))
            {
                cmd.Parameters.AddWithValue("org", Org.Id);
                cmd.Parameters.AddWithValue("user", Caller.Id);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) plan.AppendLine(r.GetString(0));
            }
            await s.CommitAsync(ct);
            report.Plans[name] = plan.ToString();
        }

        private int _rate = 1000;

        /// <summary>One single-line draft save by <paramref name="http"/>'s user: moves its draft version, so its KPI cache keys.</summary>
        private async Task SaveOneAsync(HttpClient http, string orgCode, string pfaId) =>
            await Ok(await http.PostAsJsonAsync($"/api/orgs/{orgCode}/drafts",
                new { items = new[] { new { pfaId, changes = new JsonObject { ["monthlyRate"] = Interlocked.Increment(ref _rate) } } } }, ct));

        public async Task KpisAsync()
        {
            var http = await LoginAsync(Caller);
            var line = DataSet.PfaId(data.DeltaLines(Caller.Index).Last());
            var kpi = $"/api/orgs/{Org.Code}/kpis?includeDrafts=true";
            Func<int, Task> bump = async _ => await SaveOneAsync(http, Org.Code, line);
            await Time("KPI with my drafts, cold (cache miss)", options.WriteIterations, async _ => Expect(await Ok(await http.GetAsync(kpi, ct)), false), bump);
            await Time("KPI with my drafts, warm (Redis hit)", options.ReadIterations, async _ => Expect(await Ok(await http.GetAsync(kpi, ct)), true));
            await Time("KPI group roll-up by category, cold", options.WriteIterations,
                async _ => Expect(await Ok(await http.GetAsync(kpi + "&groupBy=category", ct)), false), bump);
            await Time("timeline bounds with my drafts, cold", options.WriteIterations,
                async _ => Expect(await Ok(await http.GetAsync($"/api/orgs/{Org.Code}/timeline?includeDrafts=true", ct)), false), bump);
            await ExplainAsync("timeline bounds with my drafts", Pfa.Api.Apis.KpiApi.TimelineWithDraftsSql);
        }

        /// <summary>A cold measurement that hit the cache (or the reverse) measured the wrong thing: count it as an error.</summary>
        private static void Expect(JsonObject body, bool cached)
        {
            if (body["cached"]!.GetValue<bool>() != cached) throw new InvalidOperationException($"Expected cached={cached}.");
        }

        public async Task EditsAsync()
        {
            var http = await LoginAsync(Caller);
            var own = data.DeltaLines(Caller.Index).Select(DataSet.PfaId).ToArray();
            await Time("draft save (1 line)", options.WriteIterations, async i => await SaveOneAsync(http, Org.Code, own[i % own.Length]));

            // Bulk shift: the same 600 lines each time (alternating direction), from the front of the organization.
            var shiftIds = Enumerable.Range(2, options.BulkLines).Select(DataSet.PfaId).ToArray();
            await Time($"bulk shift of {options.BulkLines} lines", options.BulkIterations, async i =>
            {
                var r = await Ok(await http.PostAsJsonAsync($"/api/orgs/{Org.Code}/drafts/bulk",
                    new { operation = "ShiftForecast", days = i % 2 == 0 ? 7 : -7, pfaIds = shiftIds }, ct));
                if (r["matched"]!.GetValue<int>() != options.BulkLines) throw new InvalidOperationException($"Bulk matched {r["matched"]}.");
            }, warmup: 1);

            // Commit: a second user drafts a fresh block of 600 lines (untimed, in its own session) and commits it (timed).
            // Actualized lines refuse a forecast shift, so the commit must move exactly what the bulk edit changed.
            var committer = await LoginAsync(Org.Users[1 % Org.Users.Count]);
            var commitIds = (int i) => Enumerable.Range(0, options.BulkLines).Select(j => DataSet.PfaId(Lines - i * options.BulkLines - j)).ToArray();
            var drafted = 0;
            await Time($"commit of {options.BulkLines} lines", options.BulkIterations, async i =>
            {
                var r = await Ok(await committer.PostAsJsonAsync($"/api/orgs/{Org.Code}/commit", new { sessionId = $"bench-{i}" }, ct));
                if (r["committed"]!.GetValue<int>() + r["conflicts"]!.GetValue<int>() != drafted)
                    throw new InvalidOperationException($"Committed {r["committed"]}, conflicts {r["conflicts"]}, drafted {drafted}.");
            }, prepare: async i => drafted = (await Ok(await committer.PostAsJsonAsync($"/api/orgs/{Org.Code}/drafts/bulk",
                new { operation = "ShiftForecast", days = 7, pfaIds = commitIds(i), sessionId = $"bench-{i}" }, ct)))["changed"]!.GetValue<int>(),
                warmup: 1, note: $"{options.BulkLines} selected lines, the non-actualized ones drafted and committed");
        }

        /// <summary>
        /// Issue 20 part 3: the assistant's answer-to-render time, from the moment the (canned, instant) model sent its plan to the
        /// moment the API's finished result arrived here: parsing the plan and running it (list page or KPI roll-ups) at this
        /// data set's size, plus the response, all of it our own work. Full request time in the note.
        /// </summary>
        public async Task AssistantAsync()
        {
            var http = await LoginAsync(Caller);
            (string Name, string Plan)[] cases =
            [
                ("lines (category filter)", $$$"""{"kind":"lines","filter":{"category":["{{{OverlayCategory}}}"]}}"""),
                ("totals by category", """{"kind":"totals","groupBy":"category","filter":{"source":["Rental"]}}"""),
            ];
            foreach (var (name, plan) in cases)
            {
                model.Plan = plan;
                var samples = new List<double>();
                var requests = new List<double>();
                var used = new CpuSample();
                var errors = 0;
                for (var i = 0; i < options.Warmup + options.WriteIterations; i++)
                {
                    try
                    {
                        var before = cpu.Read();
                        var start = Stopwatch.GetTimestamp();
                        var body = await Ok(await http.PostAsJsonAsync($"/api/orgs/{Org.Code}/assistant/ask", new { question = "bench " + name }, ct));
                        var end = Stopwatch.GetTimestamp();
                        var answered = model.AnsweredAt;
                        if (body["kind"]?.GetValue<string>() is not ("lines" or "totals")) throw new InvalidOperationException($"Answer {body["kind"]}.");
                        if (answered < start) throw new InvalidOperationException("The canned model was not asked.");
                        if (i < options.Warmup) continue;
                        used += cpu.Read() - before;
                        samples.Add(Stopwatch.GetElapsedTime(answered, end).TotalMilliseconds);
                        requests.Add(Stopwatch.GetElapsedTime(start, end).TotalMilliseconds);
                    }
                    catch (Exception e) when (e is HttpRequestException or InvalidOperationException)
                    {
                        if (errors++ == 0) log($"  assistant {name}: {e.Message}");
                    }
                }
                var whole = Metric.Latency("", requests);
                var metric = Metric.Latency($"assistant answer-to-render: {name}", samples, errors,
                    $"canned plan {plan}; whole request p50/p95 {whole.P50:F1} / {whole.P95:F1} ms (CPU per whole request)").WithCpu(used);
                report.Metrics.Add(metric);
                log($"  {metric.Name}: p50 {metric.P50:F2} / p95 {metric.P95:F2} / p99 {metric.P99:F2} ms, CPU/request API {metric.ApiCpuMs:F2} PostgreSQL {metric.PostgresCpuMs:F2} ms, errors {errors}");
            }
        }

        /// <summary>N users, each in its own organization slot, mixing list reads, KPI reads and single-line draft saves for a fixed time.</summary>
        public async Task ConcurrencyAsync(TimeSpan think)
        {
            var users = data.Organizations.SelectMany(o => o.Users.Select(u => (Org: o, User: u)))
                .OrderBy(x => x.User.Index).ThenBy(x => x.Org.Code).Take(options.ConcurrentUsers).ToList();
            var clients = new List<(BenchOrg Org, BenchUser User, HttpClient Http)>();
            foreach (var (org, user) in users) clients.Add((org, user, await LoginAsync(user)));

            var latencies = new List<double>[clients.Count];
            var errors = new int[clients.Count];
            var before = cpu.Read();
            var deadline = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select((c, v) => Task.Run(async () =>
            {
                var mine = latencies[v] = [];
                var random = new Random(v);
                var own = data.DeltaLines(c.User.Index).Select(DataSet.PfaId).ToArray();
                // People arrive independently: with think time, each user's first request comes at a random moment of its
                // first think interval, not all of them in the same millisecond (a burst no real morning has: it queued the
                // first requests behind each other, in the tail this run measures).
                if (think > TimeSpan.Zero) await Task.Delay(TimeSpan.FromMilliseconds(random.Next((int)think.TotalMilliseconds)), ct);
                while (deadline.Elapsed < options.ConcurrencyDuration)
                {
                    var t = Stopwatch.GetTimestamp();
                    try
                    {
                        await MixAsync(c.Http, c.Org.Code, own, random);
                        mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                        if (think > TimeSpan.Zero) await Task.Delay(think / 2 + TimeSpan.FromMilliseconds(random.Next((int)think.TotalMilliseconds)), ct);
                    }
                    catch (HttpRequestException e)
                    {
                        if (Interlocked.Increment(ref errors[v]) == 1) log($"  concurrency user {v}: {e.Message}");
                    }
                }
            }, ct)));
            var seconds = deadline.Elapsed.TotalSeconds;
            var used = cpu.Read() - before;
            var all = latencies.SelectMany(l => l).ToList();
            var label = think > TimeSpan.Zero ? $"{think.TotalSeconds:0.#} s think time" : "no think time";
            var metric = Metric.Latency($"{clients.Count} concurrent users, {label}", all, errors.Sum(),
                $"{seconds:F0} s; 45% list, 20% overlay filter, 15% KPI, 20% draft save").WithCpu(used);
            report.Metrics.Add(metric);
            report.Metrics.Add(new Metric($"{clients.Count} concurrent users, {label}: throughput", "req/s", Value: all.Count / seconds));
            log($"  concurrency: {all.Count / seconds:F0} req/s, p95 {metric.P95:F1} ms, CPU/request API {metric.ApiCpuMs:F2} PostgreSQL {metric.PostgresCpuMs:F2} ms, errors {metric.Errors}");
        }

        public Task SyncAsync() => new SyncWorkloads(options, db, report, log, ct).RunAsync();
    }
}
