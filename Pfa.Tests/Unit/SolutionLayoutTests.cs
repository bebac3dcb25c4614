using Pfa.ServiceDefaults;

namespace Pfa.Tests.Unit;

public class SolutionLayoutTests
{
    [Fact]
    public void Resource_names_are_the_ones_the_aspire_contract_uses()
    {
        Assert.Equal("pfadb", PfaResources.Database);
        Assert.Equal("cache", PfaResources.Redis);
        Assert.Equal("pg-password", PfaResources.PostgresPassword);
    }
}
