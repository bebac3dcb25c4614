using Pfa.Hosting.ApplicationModel;

namespace Pfa.Hosting;

public static class ProjectResourceBuilderExtensions
{
    /// <summary>
    /// A .NET project, launched from its build output. Endpoints come from the launch profile's
    /// <c>applicationUrl</c> (first http → "http", first https → "https"), as in Aspire.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddProject<TProject>(this IDistributedApplicationBuilder builder, string name, string? launchProfileName = null)
        where TProject : IProjectMetadata, new()
        => builder.AddProject(name, new TProject().ProjectPath, launchProfileName);

    public static IResourceBuilder<ProjectResource> AddProject(this IDistributedApplicationBuilder builder, string name, string projectPath, string? launchProfileName = null)
    {
        // Not checked for existence here: a partial run (AppHost:Only) or publish from a copied AppHost must not need every project.
        var fullPath = Path.GetFullPath(projectPath, builder.AppHostDirectory);

        var project = new ProjectResource(name, fullPath) { LaunchProfile = LaunchProfile.Read(Path.GetDirectoryName(fullPath)!, launchProfileName) };
        var urls = project.LaunchProfile?.ApplicationUrls ?? [];
        foreach (var scheme in new[] { "http", "https" })
        {
            var index = 0;
            foreach (var url in urls.Where(u => u.Scheme == scheme))
            {
                var endpointName = index == 0 ? scheme : $"{scheme}{index + 1}";
                project.Annotations.Add(new EndpointAnnotation(endpointName, scheme, url.Port, targetPort: null) { TargetHost = url.Host });
                index++;
            }
        }
        return builder.AddResource(project);
    }
}
