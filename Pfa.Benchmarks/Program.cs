using Pfa.Benchmarks;

// dotnet run -c Release --project Pfa.Benchmarks -- --preset full|quick|smoke [--users 50] [--out bench-results] [--only sync|backup] [--sync-lines 50000]
var options = BenchmarkOptions.Parse(args);
Console.WriteLine($"PFA Vanguard benchmark, preset {options.Preset}: {options.MirrorRecords:N0} mirror records, {options.Organizations} orgs, {options.Users} users, {options.OpenDeltas:N0} open deltas");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

var report = await BenchmarkHarness.RunAsync(options, Console.WriteLine, cancel.Token);

Directory.CreateDirectory(options.OutputDirectory);
var stem = Path.Combine(options.OutputDirectory, $"pfa-bench-{options.Preset}{(options.Only is { } only ? "-" + only : "")}");
await File.WriteAllTextAsync(stem + ".md", report.ToMarkdown());
await File.WriteAllTextAsync(stem + ".json", report.ToJson());
Console.WriteLine(report.ToMarkdown());
Console.WriteLine($"Wrote {stem}.md and {stem}.json");
return report.Errors == 0 ? 0 : 1;
