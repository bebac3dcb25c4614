using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Pfa.Data;

/// <summary>For <c>dotnet ef migrations add</c> only: no database is needed to scaffold.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<PfaDbContext>
{
    public PfaDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PfaDbContext>().UseNpgsql("Host=127.0.0.1;Port=1;Database=design").Options);
}
