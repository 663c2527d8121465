using System.Text;
using Selective.Restore.Dump;
using Selective.Restore.Tests.Support;
using static Selective.Restore.Tests.Dump.Sqlite.SqliteHarness;

namespace Selective.Restore.Tests.Dump.Sqlite;

/// <summary>
/// Hand-written sqlite3 <c>.dump</c> scripts in the forms the versions from 3.7 to 3.50 write, read in every read mode:
/// the tables, their column names, each value as its <see cref="SqliteText"/> field, sqlite_sequence as sequences.
/// </summary>
public sealed class SqliteReadingTests
{
    [Test]
    public async Task Reads_a_dump_as_sqlite3_3_40_writes_it()
    {
        const string Dump = Head +
            "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v);\n" +
            "INSERT INTO t VALUES(1,1);\n" +
            "INSERT INTO t VALUES(2,'it''s');\n" +
            "INSERT INTO t VALUES(3,NULL);\n" +
            "CREATE TABLE IF NOT EXISTS \"we\"\"ird [t]\"(\"col a\" TEXT, [b c] INT, `d` REAL, e GENERATED ALWAYS AS (\"col a\"||'x') STORED, PRIMARY KEY(\"col a\")) WITHOUT ROWID;\n" +
            "INSERT INTO \"we\"\"ird [t]\" VALUES('k',1,2.0);\n" +
            "CREATE TABLE s(a INT, b TEXT AS (upper(a)), c ANY) STRICT;\n" +
            "INSERT INTO s VALUES(1,X'00ff');\n" +
            "ANALYZE sqlite_schema;\n" +
            "INSERT INTO sqlite_stat1 VALUES('t','i','3 1');\n" +
            "DELETE FROM sqlite_sequence;\n" +
            "INSERT INTO sqlite_sequence VALUES('t',3);\n" +
            "CREATE INDEX i ON t(v);\n" +
            "CREATE VIEW vv AS SELECT * FROM t;\n" +
            "CREATE TRIGGER tr AFTER INSERT ON s BEGIN INSERT INTO s VALUES(2,'y'); UPDATE s SET c = CASE WHEN 1 THEN 2 END; END;\n" +
            "COMMIT;\n";

        var result = await ReadAsync(Dump);

        result.Tables.Select(t => t.Name).ShouldBe([InMain("t"), InMain("we\"ird [t]"), InMain("s")]);
        result[InMain("t").ToString()].ColumnNames.ShouldBe(["id", "v"]);
        result[InMain("t").ToString()].Lines.ShouldBe(["1\t1", "2\t'it''s'", "3\t\\N"]);
        result[InMain("t").ToString()].Values.ShouldBe([["1", "1"], ["2", "'it''s'"], ["3", null]]);
        var weird = result.Tables[1];
        weird.ColumnNames.ShouldBe(["col a", "b c", "d"], "the generated column is not in the INSERTs");
        weird.Lines.ShouldBe(["'k'\t1\t2.0"]);
        result.Tables[2].ColumnNames.ShouldBe(["a", "c"]);
        result.Tables[2].Lines.ShouldBe(["1\tX'00FF'"]);
        result.Sequences.ShouldBe([new SequenceValue(InMain("t"), 3, IsCalled: true, Line: 14)]);
        result.Encoding.ShouldBe("UTF8");
        result.Tables[0].StartOffset.ShouldBe(Offset(Dump, "INSERT INTO t VALUES(1"));
        result.Tables[0].EndOffset.ShouldBe(Offset(Dump, "CREATE TABLE IF NOT EXISTS"));
        result.Tables[0].StartLine.ShouldBe(4);
        result.Tables[0].Rows.Select(r => r.Line).ShouldBe([4L, 5L, 6L]);

        await using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(Dump)));
        var first = (await reader.NextTableAsync()).ShouldNotBeNull();
        first.Form.ShouldBe(DumpDataForm.Insert);
        first.InsertableColumnsOnly.ShouldBeTrue();
        first.OmittedColumns.ShouldBeEmpty();
        (await reader.NextTableAsync()).ShouldNotBeNull().OmittedColumns.ShouldBe([new DumpOmittedColumn("e", DumpOmittedColumnKind.Computed)]);
        reader.Completeness.ShouldBe(DumpCompleteness.Unknown, "not judged before the end");
        while (await reader.NextTableAsync() is not null)
        {
        }

        reader.Completeness.ShouldBe(DumpCompleteness.Complete);
        reader.Notices.ShouldBeEmpty("sqlite3's own DELETE FROM sqlite_sequence and the statistics are not worth a note");
    }

    [Test]
    public async Task Text_with_control_characters_is_evaluated_exactly_in_every_form_sqlite3_writes()
    {
        const string Dump = Head +
            "CREATE TABLE t(id, v);\n" +
            "INSERT INTO t VALUES(1,replace('a\\nb','\\n',char(10)));\n" +
            "INSERT INTO t VALUES(2,replace(replace('a\\r\\nb','\\r',char(13)),'\\n',char(10)));\n" +
            "INSERT INTO t VALUES(3,replace('\\n\\012','\\012',char(10)));\n" + // the text holds backslash-n itself: sqlite3 picks \012
            "INSERT INTO t VALUES(4,replace('x(\\n0)y\\n','(\\n0)',char(10)));\n" +
            "INSERT INTO t VALUES(5,unistr('new\\u000aline'));\n" +
            "INSERT INTO t VALUES(6,unistr('\\u001b[31m\\\\\\000a\\+01F600\\U0001F600'));\n" +
            "INSERT INTO t VALUES(7,'a'||char(9,10)||'b'||char()||'''');\n" +
            "INSERT INTO t VALUES(8,char(0));\n" +
            "INSERT INTO t VALUES(9,'multi\nline\r\nraw');\n" + // 3.7 to 3.17 wrote line ends as they are
            "INSERT INTO t VALUES(10,replace('it''s\\n','\\n',char(10)));\n" +
            "INSERT INTO t VALUES(11,'tab\there \\ back\\slash');\n" +
            "COMMIT;\n";

        var values = (await ReadAsync(Dump)).Single().Values.Select(v => v[1]).ToArray();

        values.ShouldBe(
        [
            SqliteText.Text("a\nb"),
            SqliteText.Text("a\r\nb"),
            SqliteText.Text("\\n\n"),
            SqliteText.Text("x\ny\\n"),
            SqliteText.Text("new\nline"),
            SqliteText.Text("\u001b[31m\\\n😀😀"),
            SqliteText.Text("a\t\nb'"),
            SqliteText.Text("\0"),
            SqliteText.Text("multi\nline\r\nraw"),
            SqliteText.Text("it's\n"),
            SqliteText.Text("tab\there \\ back\\slash"),
        ]);
    }

    [Test]
    public async Task Numbers_read_as_SQLite_reads_them()
    {
        const string Dump = Head +
            "CREATE TABLE n(v);\n" +
            "INSERT INTO n VALUES(0);\nINSERT INTO n VALUES(-5);\nINSERT INTO n VALUES(007);\nINSERT INTO n VALUES(-0);\n" +
            "INSERT INTO n VALUES(9223372036854775807);\nINSERT INTO n VALUES(-9223372036854775808);\n" +
            "INSERT INTO n VALUES(9223372036854775808);\n" + // past 64 bits: a REAL
            "INSERT INTO n VALUES(100.0);\nINSERT INTO n VALUES(0.3000000000000000444);\nINSERT INTO n VALUES(-1.5e-7);\n" +
            "INSERT INTO n VALUES(9.9999999999999996322e+307);\nINSERT INTO n VALUES(1e999);\nINSERT INTO n VALUES(-1e999);\n" +
            "INSERT INTO n VALUES(9.0e+999);\nINSERT INTO n VALUES(-0.0);\nINSERT INTO n VALUES(.5);\nINSERT INTO n VALUES(1.);\n" +
            "INSERT INTO n VALUES(1e18);\n" +
            "COMMIT;\n";

        var values = (await ReadAsync(Dump)).Single().Values.Select(v => v[0]).ToArray();

        values.ShouldBe(
        [
            "0", "-5", "7", "0",
            "9223372036854775807", "-9223372036854775808",
            SqliteText.Real(9223372036854775808d),
            "100.0", SqliteText.Real(0.1 + 0.2), SqliteText.Real(-1.5e-7),
            SqliteText.Real(1e308), "1e999", "-1e999",
            "1e999", "-0.0", "0.5", "1.0",
            SqliteText.Real(1e18),
        ]);
        values.Select(SqliteText.Parse).Skip(6).ShouldAllBe(v => v is double);
    }

    [Test]
    public async Task Names_are_read_in_every_quoting_SQLite_takes()
    {
        const string Dump = Head +
            "CREATE TABLE \"a b\"(x);\nINSERT INTO \"a b\" VALUES(1);\n" +
            "CREATE TABLE [c d](x);\nINSERT INTO [c d] VALUES(2);\n" +
            "CREATE TABLE `e``f`(x);\nINSERT INTO `e``f` VALUES(3);\n" +
            "CREATE TABLE IF NOT EXISTS 'vt_data'(id INTEGER PRIMARY KEY, block BLOB);\nINSERT INTO vt_data VALUES(4,X'0101');\n" +
            "CREATE TABLE main.Zoë(\"x\"\"y\");\nINSERT INTO main.\"Zoë\" VALUES(5);\n" +
            "INSERT INTO \"ORDER\"(\"select\",[from]) VALUES(6,7);\n" +
            "COMMIT;\n";

        var result = await ReadAsync(Dump);

        result.Tables.Select(t => t.Name).ShouldBe([InMain("a b"), InMain("c d"), InMain("e`f"), InMain("vt_data"), InMain("Zoë"), InMain("ORDER")]);
        result.Tables.Select(t => string.Join(",", t.ColumnNames)).ShouldBe(["x", "x", "x", "id,block", "x\"y", "select,from"]);
    }

    [Test]
    public async Task Names_compare_without_ascii_case_as_in_SQLite()
    {
        const string Dump = Head + "CREATE TABLE Foo(a, b);\nINSERT INTO \"FOO\" VALUES(1,2);\nINSERT INTO foo VALUES(3,4);\nCOMMIT;\n";

        var table = (await ReadAsync(Dump)).Single();

        table.ColumnNames.ShouldBe(["a", "b"], "CREATE TABLE Foo names the columns of FOO");
        table.RowsRead.ShouldBe(2, "the INSERTs into FOO and foo are one section");
    }

    [Test]
    public async Task Inserts_with_a_column_list_or_several_rows_are_read()
    {
        const string Dump = Head +
            "CREATE TABLE t(a, b, c);\n" +
            "INSERT INTO \"t\"(\"c\",\"a\") VALUES(1,2),\n(3,4);\n" +
            "INSERT INTO t(rowid,a,b,c) VALUES(10,NULL,'',X'');\n" + // .dump --preserve-rowids
            "COMMIT;\n";

        var result = await ReadAsync(Dump);

        result.Tables.Select(t => string.Join(",", t.ColumnNames)).ShouldBe(["c,a", "rowid,a,b,c"]);
        result.Tables[0].Lines.ShouldBe(["1\t2", "3\t4"]);
        result.Tables[1].Values.ShouldBe([["10", null, "''", "X''"]]);
    }

    [Test]
    public async Task An_insert_without_create_table_has_positions_only()
    {
        // .dump --data-only writes no CREATE TABLE.
        const string Dump = "PRAGMA foreign_keys=OFF;\nINSERT INTO t VALUES(1,'a');\nINSERT INTO t VALUES(2,'b');\n";

        var table = (await ReadAsync(Dump)).Single();

        table.Columns.ShouldBe([new DumpColumn(null, 1), new DumpColumn(null, 2)]);
        table.RowsRead.ShouldBe(2);

        await using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(Dump)));
        (await reader.NextTableAsync()).ShouldNotBeNull().InsertableColumnsOnly.ShouldBeTrue();
        (await reader.NextTableAsync()).ShouldBeNull();
        reader.Completeness.ShouldBe(DumpCompleteness.Unknown, "without BEGIN TRANSACTION there is nothing to judge by");
    }

    [Test]
    public async Task Old_dumps_quote_every_name_and_write_sqlite_sequence_as_a_table()
    {
        // sqlite3 3.7: every INSERT's name in double quotes, reals with 15 digits, line ends as they are.
        const string Dump = Head +
            "CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);\n" +
            "INSERT INTO \"t\" VALUES(1,'line one\nline two');\n" +
            "INSERT INTO \"t\" VALUES(2,0.1);\n" +
            "DELETE FROM sqlite_sequence;\n" +
            "INSERT INTO \"sqlite_sequence\" VALUES('t',2);\n" +
            "ANALYZE sqlite_master;\n" +
            "INSERT INTO \"sqlite_stat1\" VALUES('t',NULL,'2');\n" +
            "COMMIT;\n";

        var result = await ReadAsync(Dump);

        result.Single().Values.ShouldBe([["1", "'line one\nline two'"], ["2", "0.1"]]);
        result.Sequences.ShouldBe([new SequenceValue(InMain("t"), 2, IsCalled: true, Line: 8)]);
    }

    [Test]
    public async Task A_virtual_table_block_is_noted_and_its_shadow_tables_read()
    {
        const string Dump = Head +
            "PRAGMA writable_schema=ON;\n" +
            "INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','vt','vt',0,'CREATE VIRTUAL TABLE vt using fts5(x)');\n" +
            "CREATE TABLE IF NOT EXISTS 'vt_content'(id INTEGER PRIMARY KEY, c0);\n" +
            "INSERT INTO vt_content VALUES(1,'hello');\n" +
            "PRAGMA writable_schema=OFF;\n" +
            "COMMIT;\n";

        (await ReadAsync(Dump)).Single().Name.ShouldBe(InMain("vt_content"));

        await using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(Dump)));
        while (await reader.NextTableAsync() is not null)
        {
        }

        reader.Notices.ShouldBe(
        [
            "the dump writes to sqlite_schema directly (the first at line 4), as sqlite3 does to create virtual tables under PRAGMA writable_schema; " +
            "a virtual table's rows are not in the dump (those of its shadow tables, such as an FTS table's _content, are read as tables)",
        ]);
    }

    [Test]
    public async Task A_filtered_out_table_is_stepped_over_and_counted()
    {
        const string Dump = Head +
            "CREATE TABLE a(x);\nINSERT INTO a VALUES(some_function(1, 'x'));\n" +
            "CREATE TABLE b(x);\nINSERT INTO b VALUES(2);\n" +
            "INSERT INTO sqlite_sequence VALUES('a',7);\n" +
            "COMMIT;\n";

        var result = await ReadAsync(Dump, TableFilter.Create(["main.b"]));

        result.Single().Name.ShouldBe(InMain("b"));
        result.TablesSkipped.ShouldBe(1);
        result.Sequences.ShouldBe([new SequenceValue(InMain("a"), 7, IsCalled: true, Line: 7)], "sequences are read whatever the filter");
    }

    [Test]
    public async Task A_dump_cut_short_is_incomplete()
    {
        const string Dump = Head + "CREATE TABLE t(x);\nINSERT INTO t VALUES(1);\n";

        await using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(Dump)));
        (await reader.NextTableAsync()).ShouldNotBeNull();
        (await reader.NextTableAsync()).ShouldBeNull();

        reader.Completeness.ShouldBe(DumpCompleteness.Incomplete);
        reader.IsIncomplete.ShouldBeTrue();
        reader.IncompleteReason.ShouldBe(
            "the dump opens a transaction (BEGIN TRANSACTION at line 2) and never commits it: sqlite3 ends every .dump with COMMIT, so this one is probably truncated, " +
            "and tables after the cut are missing (sqlite3 itself would load none of it: it rolls an open transaction back)");
        reader.Notices.ShouldBe([reader.IncompleteReason!]);
    }

    [Test]
    public async Task Statements_that_change_rows_are_noted()
    {
        const string Dump = Head + "CREATE TABLE t(x);\nINSERT INTO t VALUES(1);\nUPDATE t SET x = 2;\nDELETE FROM t;\nDELETE FROM t;\nCOMMIT;\n";

        await using var reader = DumpReader.Open(new MemoryStream(Encoding.UTF8.GetBytes(Dump)));
        var result = await DumpHarness.ReadAsync(reader);

        result.Single().RowsRead.ShouldBe(1);
        reader.Notices.ShouldBe(
        [
            "the dump runs UPDATE statements (the first at line 5); they are not replayed: the rows read are those of its INSERT ... VALUES statements",
            "the dump runs DELETE statements (the first at line 6); they are not replayed: the rows read are those of its INSERT ... VALUES statements",
        ]);
    }

    [Test]
    public async Task A_byte_order_mark_and_gzip_are_taken_as_for_other_dumps()
    {
        const string Dump = Head + "CREATE TABLE t(x);\nINSERT INTO t VALUES('Zoë 😀');\nCOMMIT;\n";
        byte[] withBom = [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(Dump)];

        var table = (await ReadAsync(withBom)).Single();
        table.StartOffset.ShouldBe(3 + Offset(Dump, "INSERT"));
        table.Values.ShouldBe([["'Zoë 😀'"]]);

        using var gzipped = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(gzipped, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(withBom);
        }

        gzipped.Position = 0;
        await using var reader = DumpReader.Open(gzipped);
        reader.Format.ShouldBe(DumpFormat.SqliteDump);
        reader.Compression.ShouldBe(DumpCompression.Gzip);
        (await DumpHarness.ReadAsync(reader)).Single().Values.ShouldBe([["'Zoë 😀'"]]);
    }
}
