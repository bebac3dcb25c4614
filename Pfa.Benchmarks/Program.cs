using Pfa.Benchmarks;

// dotnet run -c Release --project Pfa.Benchmarks -- --preset full|quick|smoke|scale [--users 50] [--out bench-results] [--only sync|backup] [--sync-lines 50000]
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

var reports = new List<BenchmarkReport>();
string? output = null;
foreach (var options in BenchmarkOptions.ParseRuns(args))
{
    Console.WriteLine($"PFA Vanguard benchmark, preset {options.Preset}: {options.MirrorRecords:N0} mirror records, {options.Organizations} orgs, {options.Users} users, {options.OpenDeltas:N0} open deltas");
    var report = await BenchmarkHarness.RunAsync(options, Console.WriteLine, cancel.Token);
    reports.Add(report);
    output = options.OutputDirectory;
    Directory.CreateDirectory(output);
    var stem = Path.Combine(output, $"pfa-bench-{options.Preset}{(options.Only is { } only ? "-" + only : "")}");
    await File.WriteAllTextAsync(stem + ".md", report.ToMarkdown());
    await File.WriteAllTextAsync(stem + ".json", report.ToJson());
    Console.WriteLine(report.ToMarkdown());
    Console.WriteLine($"Wrote {stem}.md and {stem}.json");
}
if (reports.Count > 1)
{
    var scale = Path.Combine(output!, "pfa-bench-scale.md");
    await File.WriteAllTextAsync(scale, ScaleReport.ToMarkdown(reports));
    Console.WriteLine(ScaleReport.ToMarkdown(reports));
    Console.WriteLine($"Wrote {scale}");
}
return reports.Sum(r => r.Errors) == 0 ? 0 : 1;
