using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Pfa.Tests.Publishing;

namespace Pfa.Tests.Web;

/// <summary>
/// Razor passes <c>Error="_error"</c> to a <c>string</c> parameter as the literal text "_error" (only non-string parameters
/// are read as C#). That is how the portfolio page rendered "_error" over working figures (issue #19): every component
/// attribute in Pfa.Web whose value names a field without <c>@</c> is checked against the parameter's type.
/// </summary>
public sealed partial class RazorBindingTests
{
    [GeneratedRegex("""\s([A-Z][A-Za-z0-9]*)="(_[A-Za-z]\w*)"(?=[\s/>])""")]
    private static partial Regex FieldLiteral();

    [GeneratedRegex("""<([A-Z][A-Za-z0-9]*)\b""")]
    private static partial Regex ComponentTag();

    private static readonly Assembly[] ComponentAssemblies = [typeof(Pfa.Web.Components.App).Assembly, typeof(MudBlazor.MudButton).Assembly];

    /// <summary>"Tag.Attribute = _field" for each field name bound as literal text to a string parameter.</summary>
    public static IReadOnlyList<string> LiteralFieldNames(string razor)
    {
        var found = new List<string>();
        foreach (Match m in FieldLiteral().Matches(razor))
        {
            // Only names the file itself uses elsewhere (its fields); "_blank" and the like are meant as text.
            if (Regex.Matches(razor, $@"\b{m.Groups[2].Value}\b").Count < 2) continue;
            var tag = ComponentTag().Matches(razor[..m.Index]).LastOrDefault()?.Groups[1].Value;
            if (tag is null) continue;
            var parameter = ComponentAssemblies.SelectMany(a => a.GetExportedTypes())
                .Where(t => t.Name == tag || t.Name.StartsWith(tag + "`", StringComparison.Ordinal))
                .Select(t => t.GetProperty(m.Groups[1].Value))
                .FirstOrDefault(p => p?.GetCustomAttribute<ParameterAttribute>() is not null);
            if (parameter?.PropertyType == typeof(string)) found.Add($"{tag}.{m.Groups[1].Value} = {m.Groups[2].Value}");
        }
        return found;
    }

    [Fact]
    public void The_check_sees_a_field_name_passed_as_text_to_a_string_parameter()
    {
        const string code = "@code { string? _error; PortfolioResult? _portfolio; bool _busy; }";
        Assert.Equal(["PortfolioTable.Error = _error"], LiteralFieldNames("""<PortfolioTable Portfolio="_portfolio" Error="_error" />""" + code));
        Assert.Empty(LiteralFieldNames("""<PortfolioTable Portfolio="_portfolio" Error="@_error" />""" + code));
        Assert.Empty(LiteralFieldNames("""<MudButton Disabled="_busy">Go</MudButton>""" + code));
        Assert.Empty(LiteralFieldNames("""<MudButton Target="_blank">Open</MudButton>""" + code));
    }

    [Fact]
    public void No_component_gets_a_field_name_as_text()
    {
        var web = Path.Combine(PublishingEnvironment.RepositoryRoot, "Pfa.Web");
        var files = Directory.EnumerateFiles(web, "*.razor", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.NotEmpty(files);
        var wrong = files.SelectMany(f => LiteralFieldNames(File.ReadAllText(f)).Select(w => $"{Path.GetRelativePath(web, f)}: {w}")).ToList();
        Assert.True(wrong.Count == 0, "Field names passed as text (add @):\n" + string.Join("\n", wrong));
    }
}
