namespace Pfa.Hosting.ApplicationModel;

/// <summary>A named part of the distributed application, as in Aspire's app model.</summary>
public interface IResource
{
    string Name { get; }

    /// <summary>Short kind shown in the resource table ("postgres", "project", …).</summary>
    string Kind { get; }

    List<IResourceAnnotation> Annotations { get; }
}

/// <summary>Marker for metadata attached to a resource (references, waits, health checks, …).</summary>
public interface IResourceAnnotation;

/// <summary>A resource other resources can reference by connection string (<c>ConnectionStrings__{name}</c>).</summary>
public interface IResourceWithConnectionString : IResource
{
    /// <summary>The connection string; only resolvable once ports are allocated and parameters have values.</summary>
    string GetConnectionString();

    /// <summary>Aspire's connection properties, injected as <c>{NAME}_{PROPERTY}</c>.</summary>
    IEnumerable<KeyValuePair<string, string>> GetConnectionProperties();

    /// <summary>The manifest expression of the connection string (publish mode).</summary>
    string ConnectionStringExpression { get; }
}

/// <summary>A resource that listens on endpoints.</summary>
public interface IResourceWithEndpoints : IResource;

/// <summary>A resource that may be waited for (parameters and values have no lifetime).</summary>
public interface IResourceWithLifetime : IResource;

/// <summary>A resource whose environment the AppHost controls (projects, and the containers they stand in for).</summary>
public interface IResourceWithEnvironment : IResource;

/// <summary>A resource that lives inside another (a database inside its server).</summary>
public interface IResourceWithParent : IResource
{
    IResource Parent { get; }
}

public abstract class Resource(string name) : IResource
{
    public string Name { get; } = ResourceNameValidator.Validate(name);
    public abstract string Kind { get; }
    public List<IResourceAnnotation> Annotations { get; } = [];
    public override string ToString() => $"{Kind} '{Name}'";
}

internal static class ResourceNameValidator
{
    // Aspire's rule: ASCII letters, digits and hyphens, starting with a letter, no trailing or double hyphen.
    public static string Validate(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var ok = name.Length <= 64 && char.IsAsciiLetter(name[0]) && !name.EndsWith('-') && !name.Contains("--", StringComparison.Ordinal)
                 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
        return ok ? name : throw new ArgumentException($"Resource name '{name}' is invalid: use ASCII letters, digits and single hyphens, starting with a letter.", nameof(name));
    }
}
