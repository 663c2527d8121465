using System.Text;
using System.Text.Json;

namespace Selective.Restore;

/// <summary>The JSON pieces every machine-readable output shares, so the field names stay one contract.</summary>
internal static class JsonText
{
    public static void WriteTableName(Utf8JsonWriter writer, TableName name)
    {
        writer.WriteString("schema", name.Schema);
        writer.WriteString("table", name.Name);
    }

    public static string FormName(DumpDataForm form) => form == DumpDataForm.Copy ? "copy" : "insert";

    public static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string?> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary>Renders indented JSON (UTF-8, no byte order mark) through <paramref name="write"/>.</summary>
    public static string Render(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }
}
