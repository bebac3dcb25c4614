using System.Buffers.Binary;
using System.Security.Cryptography;
using Npgsql;

namespace Pfa.Data.Backups;

/// <summary>
/// Row count and content hash of every ordinary table: SHA-256 over the table's binary COPY in primary-key order (rows
/// of a table without a key in the order of their text form). Binary COPY does not depend on session settings such as
/// DateStyle or TimeZone, so the same rows give the same hash in the source and in a restored database of the same
/// PostgreSQL version. Run inside the caller's transaction: the backup's exported snapshot.
/// </summary>
public static class TableFingerprints
{
    // Extension-owned tables come with CREATE EXTENSION, not with our data; partitioned parents hold no rows themselves.
    private const string TablesSql = """
        SELECT format('%I.%I', n.nspname, c.relname) AS qualified,
               n.nspname || '.' || c.relname AS name,
               (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
                  FROM pg_index i
                  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
                 WHERE i.indrelid = c.oid AND i.indisprimary) AS key_columns
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
        ORDER BY 2
        """;

    // Roles named in grants and row-level security policies (pfa_app): they must exist before pg_restore can grant to them.
    private const string RolesSql = """
        SELECT DISTINCT r.rolname FROM (
          SELECT (aclexplode(c.relacl)).grantee AS role, c.relowner AS owner FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relacl IS NOT NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          UNION ALL
          SELECT (aclexplode(n.nspacl)).grantee, n.nspowner FROM pg_namespace n
           WHERE n.nspacl IS NOT NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
          UNION ALL
          SELECT unnest(p.polroles), 0 FROM pg_policy p
        ) g
        JOIN pg_roles r ON r.oid = g.role
        WHERE g.role <> 0 AND g.role <> g.owner AND r.rolname NOT LIKE 'pg\_%' AND r.rolname <> current_user
        ORDER BY 1
        """;

    public static async Task<IReadOnlyList<TableFingerprint>> ComputeAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var tables = new List<(string Qualified, string Name, string? Key)>();
        await using (var command = new NpgsqlCommand(TablesSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                tables.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        var result = new List<TableFingerprint>(tables.Count);
        foreach (var (qualified, name, key) in tables)
        {
            // Identifiers come from the catalog, quoted by format('%I')/quote_ident: COPY takes no parameters.
            var order = key ?? "t::text COLLATE \"C\"";
            var copy = $"COPY (SELECT * FROM {qualified} t ORDER BY {order}) TO STDOUT (FORMAT binary)";
            await using var stream = await connection.BeginRawBinaryCopyAsync(copy, ct).ConfigureAwait(false);
            var (rows, hash) = await HashCopyAsync(stream, ct).ConfigureAwait(false);
            result.Add(new TableFingerprint(name, rows, hash));
        }
        return result;
    }

    public static async Task<IReadOnlyList<string>> RolesAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var roles = new List<string>();
        await using var command = new NpgsqlCommand(RolesSql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) roles.Add(reader.GetString(0));
        return roles;
    }

    /// <summary>Hashes the whole COPY stream and counts its tuples (binary COPY: header, then per tuple a field count and length-prefixed fields, then -1).</summary>
    internal static async Task<(long Rows, string Sha256)> HashCopyAsync(Stream copy, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var reader = new CopyReader(copy, hash);
        await reader.SkipAsync(11, ct).ConfigureAwait(false); // PGCOPY\n\377\r\n\0
        await reader.SkipAsync(4, ct).ConfigureAwait(false);  // flags
        await reader.SkipAsync(await reader.ReadInt32Async(ct).ConfigureAwait(false), ct).ConfigureAwait(false); // header extension
        long rows = 0;
        while (true)
        {
            var fields = await reader.ReadInt16Async(ct).ConfigureAwait(false);
            if (fields == -1) break;
            rows++;
            for (var i = 0; i < fields; i++)
            {
                var length = await reader.ReadInt32Async(ct).ConfigureAwait(false);
                if (length > 0) await reader.SkipAsync(length, ct).ConfigureAwait(false);
            }
        }
        await reader.DrainAsync(ct).ConfigureAwait(false);
        return (rows, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Reads a stream in large chunks, hashing every byte once, and parses from the buffer.</summary>
    private sealed class CopyReader(Stream stream, IncrementalHash hash)
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _position;
        private int _length;

        private async ValueTask FillAsync(int needed, CancellationToken ct)
        {
            if (_length - _position >= needed) return;
            Buffer.BlockCopy(_buffer, _position, _buffer, 0, _length - _position);
            _length -= _position;
            _position = 0;
            while (_length < needed)
            {
                var read = await stream.ReadAsync(_buffer.AsMemory(_length), ct).ConfigureAwait(false);
                if (read == 0) throw new EndOfStreamException("The COPY stream ended inside a row.");
                hash.AppendData(_buffer, _length, read);
                _length += read;
            }
        }

        public async ValueTask<short> ReadInt16Async(CancellationToken ct)
        {
            await FillAsync(2, ct).ConfigureAwait(false);
            var value = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_position));
            _position += 2;
            return value;
        }

        public async ValueTask<int> ReadInt32Async(CancellationToken ct)
        {
            await FillAsync(4, ct).ConfigureAwait(false);
            var value = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_position));
            _position += 4;
            return value;
        }

        public async ValueTask SkipAsync(int count, CancellationToken ct)
        {
            while (count > 0)
            {
                if (_position == _length)
                {
                    _position = _length = 0;
                    await FillAsync(1, ct).ConfigureAwait(false);
                }
                var step = Math.Min(count, _length - _position);
                _position += step;
                count -= step;
            }
        }

        public async ValueTask DrainAsync(CancellationToken ct)
        {
            int read;
            while ((read = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false)) > 0) hash.AppendData(_buffer, 0, read);
        }
    }
}
