namespace Pfa.Data.Backups;

/// <summary>A backup or restore that could not be done or not be verified; the message says what and what was left behind.</summary>
public sealed class BackupException : Exception
{
    public BackupException(string message) : base(message) { }
    public BackupException(string message, Exception inner) : base(message, inner) { }
}
