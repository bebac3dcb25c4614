// Placeholder until the app model lands (issue #2).
Console.WriteLine("Pfa.AppHost");
