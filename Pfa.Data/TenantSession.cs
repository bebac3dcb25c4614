using Npgsql;

namespace Pfa.Data;

/// <summary>
/// A connection + transaction running as the non-login role <c>pfa_app</c> with the caller's organization and user
/// set for row-level security. Everything inside is transaction-scoped (SET LOCAL / set_config(..., true)), so nothing
/// leaks to the next user of the pooled connection.
/// </summary>
public sealed class TenantSession : IAsyncDisposable
{
    public NpgsqlConnection Connection { get; }
    public NpgsqlTransaction Transaction { get; }
    public Guid OrganizationId { get; }
    public Guid UserId { get; }

    private TenantSession(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid organizationId, Guid userId)
    {
        Connection = connection;
        Transaction = transaction;
        OrganizationId = organizationId;
        UserId = userId;
    }

    public static async Task<TenantSession> BeginAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<Guid> organizationIds,
        Guid organizationId, Guid userId, CancellationToken ct)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var tx = await connection.BeginTransactionAsync(ct);
            await using (var cmd = new NpgsqlCommand(
                "SELECT set_config('pfa.org_ids', @orgs, true), set_config('pfa.user_id', @user, true); SET LOCAL ROLE pfa_app;", connection, tx))
            {
                cmd.Parameters.AddWithValue("orgs", "{" + string.Join(',', organizationIds) + "}");
                cmd.Parameters.AddWithValue("user", userId.ToString());
                await cmd.ExecuteNonQueryAsync(ct);
            }
            return new TenantSession(connection, tx, organizationId, userId);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

    /// <summary>Several statements in one round trip, run in order in the session's transaction.</summary>
    public NpgsqlBatch Batch(params NpgsqlBatchCommand[] commands)
    {
        var batch = new NpgsqlBatch(Connection, Transaction);
        foreach (var c in commands) batch.BatchCommands.Add(c);
        return batch;
    }

    public Task CommitAsync(CancellationToken ct) => Transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
