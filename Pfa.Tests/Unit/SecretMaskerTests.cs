using Pfa.Hosting.Dashboard;

namespace Pfa.Tests.Unit;

public sealed class SecretMaskerTests
{
    private readonly SecretMasker _masker = new(["Kn0wn-Secret-Value", "short"]);

    [Theory]
    [InlineData("PEMS_PASSWORD", "anything", "********")]
    [InlineData("Jwt__Key", "anything", "********")]
    [InlineData("DASHBOARD__FRONTEND__BROWSERTOKEN", "abc", "********")]
    [InlineData("Api__ClientSecret", "abc", "********")]
    [InlineData("ConnectionStrings__x", "Host=h;Password=\"a;b\";Database=d", "Host=h;Password=********;Database=d")]
    [InlineData("ConnectionStrings__x", "Server=h;User Id=u;Pwd=unknown;", "Server=h;User Id=u;Pwd=********;")]
    [InlineData("ConnectionStrings__cache", "localhost:6379,password=unknown,ssl=false", "localhost:6379,password=********,ssl=false")]
    [InlineData("SOME_URL", "amqp://user:unknown@host:5672/vhost", "amqp://user:********@host:5672/vhost")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key=Kn0wn-Secret-Value", "x-otlp-api-key=********")]
    [InlineData("CUSTOM", "prefix-Kn0wn-Secret-Value-suffix", "prefix-********-suffix")]
    public void Secrets_are_masked(string name, string value, string expected)
    {
        Assert.Equal((expected, true), _masker.Mask(name, value));
    }

    [Theory]
    [InlineData("OTEL_SERVICE_NAME", "api")]
    [InlineData("ASPNETCORE_URLS", "http://localhost:5310")]
    [InlineData("services__api__http__0", "http://localhost:5310")]
    [InlineData("KEYBOARD_LAYOUT", "short")] // a known secret under 6 characters would mask ordinary words: ignored
    public void Ordinary_values_are_shown_as_they_are(string name, string value)
    {
        Assert.Equal((value, false), _masker.Mask(name, value));
    }
}
