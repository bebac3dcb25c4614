using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Pfa.Data.Legacy;

/// <summary>
/// The old system's credential encryption (backend/src/utils/encryption.ts): AES-256-GCM, key = ENCRYPTION_KEY hex-decoded
/// (32 bytes), a 16-byte IV, a 16-byte tag, no AAD, stored as <c>base64(iv):base64(tag):base64(ciphertext)</c>. .NET's AesGcm
/// takes only 12-byte nonces, so BouncyCastle's GCM does the work. The key comes from the environment or configuration
/// (<see cref="KeyVariable"/>), never a command line, and neither it nor a plaintext is ever logged.
/// </summary>
public sealed class LegacySecrets
{
    public const string KeyVariable = "LEGACY_ENCRYPTION_KEY";

    private readonly byte[] _key;

    private LegacySecrets(byte[] key) => _key = key;

    /// <summary>The key from its hex text, or null when none is configured (credentials must then be re-entered).</summary>
    public static LegacySecrets? FromHex(string? hex)
    {
        if (string.IsNullOrWhiteSpace(hex)) return null;
        byte[] key;
        try { key = Convert.FromHexString(hex.Trim()); }
        catch (FormatException) { throw new LegacyImportException($"{KeyVariable} is not hexadecimal (the old system's ENCRYPTION_KEY is 64 hex digits)."); }
        if (key.Length != 32) throw new LegacyImportException($"{KeyVariable} is {key.Length} bytes; the old system's ENCRYPTION_KEY is 32 bytes (64 hex digits).");
        return new LegacySecrets(key);
    }

    /// <summary>The plaintext, or a <see cref="LegacyImportException"/> naming only the column (wrong key or damaged value).</summary>
    public string Decrypt(string stored, string what)
    {
        var parts = stored.Split(':');
        if (parts.Length != 3) throw new LegacyImportException($"{what}: not the old system's iv:tag:ciphertext form.");
        try
        {
            var (iv, tag, ciphertext) = (Convert.FromBase64String(parts[0]), Convert.FromBase64String(parts[1]), Convert.FromBase64String(parts[2]));
            var gcm = new GcmBlockCipher(new AesEngine());
            gcm.Init(false, new AeadParameters(new KeyParameter(_key), tag.Length * 8, iv));
            var input = ciphertext.Concat(tag).ToArray(); // BouncyCastle expects the tag after the ciphertext
            var plain = new byte[gcm.GetOutputSize(input.Length)];
            var n = gcm.ProcessBytes(input, 0, input.Length, plain, 0);
            n += gcm.DoFinal(plain, n);
            return Encoding.UTF8.GetString(plain, 0, n);
        }
        catch (Exception e) when (e is FormatException or InvalidCipherTextException or ArgumentException)
        {
            throw new LegacyImportException($"{what} cannot be decrypted with {KeyVariable} (a different key, or a damaged value).");
        }
    }

    /// <summary>The old system's encrypt, for tests and the generator: the same format with a fresh 16-byte IV.</summary>
    public static string Encrypt(string plaintext, string hexKey)
    {
        var iv = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var gcm = new GcmBlockCipher(new AesEngine());
        gcm.Init(true, new AeadParameters(new KeyParameter(Convert.FromHexString(hexKey)), 128, iv));
        var input = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[gcm.GetOutputSize(input.Length)];
        var n = gcm.ProcessBytes(input, 0, input.Length, output, 0);
        n += gcm.DoFinal(output, n);
        var (ciphertext, tag) = (output[..(n - 16)], output[(n - 16)..n]);
        return $"{Convert.ToBase64String(iv)}:{Convert.ToBase64String(tag)}:{Convert.ToBase64String(ciphertext)}";
    }
}
