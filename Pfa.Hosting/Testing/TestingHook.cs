namespace Pfa.Hosting;

/// <summary>
/// Lets the testing builder run the AppHost's real entry point: options are applied when Program.cs calls
/// <c>CreateBuilder</c>, and <c>Build()</c> hands the described model back instead of running it.
/// </summary>
internal sealed class TestingHook(Action<DistributedApplicationOptions> configure)
{
    private static readonly AsyncLocal<TestingHook?> CurrentHook = new();

    public static TestingHook? Current => CurrentHook.Value;

    public DistributedApplicationBuilder? Builder { get; private set; }

    public void Apply(DistributedApplicationOptions options) => configure(options);

    public bool Capture(DistributedApplicationBuilder builder)
    {
        Builder = builder;
        return true;
    }

    public void Install() => CurrentHook.Value = this;
}
