// ./pfa backup | restore | backups | import-legacy: operations on the application database (docs/architecture.md "Backup and restore", "Legacy import").
using Pfa.Ops;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
return await OpsCommands.RunAsync(args, OpsSettings.Load(args), Console.Out, Console.Error, cancel.Token);
