
namespace Selective.Restore;

/// <summary>A declared identity (natural) key: the columns that say which entity a row is, for the tables matching a pattern.</summary>
internal sealed record IdentityKey(TableFilter Pattern, string PatternText, IReadOnlyList<string> Columns);
