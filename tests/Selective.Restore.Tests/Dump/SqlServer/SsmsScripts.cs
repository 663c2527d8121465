using System.Text;

namespace Selective.Restore.Tests.Dump.SqlServer;

/// <summary>Scripts in the shape SSMS "Generate Scripts" (schema and data) and mssql-scripter write, and helpers to locate text in them.</summary>
internal static class SsmsScripts
{
    public const string CustomersInsert = "INSERT [dbo].[Customers] ([Id], [Name], [Balance], [Created], [Photo], [Active]) VALUES ";

    /// <summary>Two tables, IDENTITY_INSERT, GO after every statement, every common value form, a <c>]]</c> in a name.</summary>
    public static readonly string Shop =
        """
        USE [Shop]
        GO
        /****** Object:  Schema [sales]    Script Date: 7/20/2026 6:30:28 PM ******/
        CREATE SCHEMA [sales]
        GO
        /****** Object:  Table [dbo].[Customers]    Script Date: 7/20/2026 6:30:28 PM ******/
        SET ANSI_NULLS ON
        GO
        SET QUOTED_IDENTIFIER ON
        GO
        CREATE TABLE [dbo].[Customers](
        	[Id] [int] IDENTITY(1,1) NOT NULL,
        	[Name] [nvarchar](50) NOT NULL,
        	[Balance] [decimal](18, 2) NULL,
        	[Created] [datetime2](7) NOT NULL,
        	[Photo] [varbinary](max) NULL,
        	[Active] [bit] NOT NULL,
        	[Twice]  AS ([Id]*(2)),
         CONSTRAINT [PK_Customers] PRIMARY KEY CLUSTERED 
        (
        	[Id] ASC
        )WITH (PAD_INDEX = OFF, STATISTICS_NORECOMPUTE = OFF, IGNORE_DUP_KEY = OFF, ALLOW_ROW_LOCKS = ON, ALLOW_PAGE_LOCKS = ON, OPTIMIZE_FOR_SEQUENTIAL_KEY = OFF) ON [PRIMARY]
        ) ON [PRIMARY] TEXTIMAGE_ON [PRIMARY]
        GO
        /****** Object:  Table [sales].[Order]]Lines]    Script Date: 7/20/2026 6:30:28 PM ******/
        SET ANSI_NULLS ON
        GO
        SET QUOTED_IDENTIFIER ON
        GO
        CREATE TABLE [sales].[Order]]Lines](
        	[OrderId] [int] NOT NULL,
        	[Line] [smallint] NOT NULL,
        	[Note] [nvarchar](max) NULL,
        	[Price] [money] NOT NULL,
        	[At] [datetimeoffset](7) NULL
        ) ON [PRIMARY] TEXTIMAGE_ON [PRIMARY]
        GO
        SET IDENTITY_INSERT [dbo].[Customers] ON 
        GO
        INSERT [dbo].[Customers] ([Id], [Name], [Balance], [Created], [Photo], [Active]) VALUES (1, N'Zoë', CAST(1.50 AS Decimal(18, 2)), CAST(N'2026-07-20T18:30:28.3330000' AS DateTime2), 0x0AFF, 1)
        GO
        INSERT [dbo].[Customers] ([Id], [Name], [Balance], [Created], [Photo], [Active]) VALUES (2, N'Дмитрий', NULL, CAST(N'2026-01-02T03:04:05.0000000' AS DateTime2), NULL, 0)
        GO
        INSERT [dbo].[Customers] ([Id], [Name], [Balance], [Created], [Photo], [Active]) VALUES (3, N'美咲 🐘', CAST(-12.25 AS Decimal(18, 2)), CAST(N'2026-07-20T00:00:00.0000000' AS DateTime2), 0x, 1)
        GO
        INSERT [dbo].[Customers] ([Id], [Name], [Balance], [Created], [Photo], [Active]) VALUES (4, N'O''Brien', CAST(0.00 AS Decimal(18, 2)), CAST(N'2026-07-20T18:30:28.3330000' AS DateTime2), NULL, 1)
        GO
        INSERT [dbo].[Customers] ([Id], [Name], [Balance], [Created], [Photo], [Active]) VALUES (5, N'multi
        line<TAB>tab \ C:\temp\', NULL, CAST(N'2026-07-20T18:30:28.3330000' AS DateTime2), NULL, 1)
        GO
        SET IDENTITY_INSERT [dbo].[Customers] OFF
        GO
        INSERT [sales].[Order]]Lines] ([OrderId], [Line], [Note], [Price], [At]) VALUES (1, 1, N'first', CAST(12.5000 AS Money), CAST(N'2026-07-20T18:30:28.3330000+02:00' AS DateTimeOffset))
        INSERT [sales].[Order]]Lines] ([OrderId], [Line], [Note], [Price], [At]) VALUES (1, 2, NULL, $-3.10, NULL)
        GO
        ALTER TABLE [dbo].[Customers] ADD  CONSTRAINT [DF_Customers_Active]  DEFAULT ((1)) FOR [Active]
        GO
        GRANT SELECT, INSERT ON [dbo].[Customers] TO [app]
        GO

        """.Replace("<TAB>", "\t", StringComparison.Ordinal);

    public static readonly string?[][] ShopCustomers =
    [
        ["1", "Zoë", "1.50", "2026-07-20 18:30:28.3330000", "\\x0aff", "1"],
        ["2", "Дмитрий", null, "2026-01-02 03:04:05.0000000", null, "0"],
        ["3", "美咲 🐘", "-12.25", "2026-07-20 00:00:00.0000000", "\\x", "1"],
        ["4", "O'Brien", "0.00", "2026-07-20 18:30:28.3330000", null, "1"],
        ["5", "multi\nline\ttab \\ C:\\temp\\", null, "2026-07-20 18:30:28.3330000", null, "1"],
    ];

    public static readonly string?[][] ShopOrderLines =
    [
        ["1", "1", "first", "12.5000", "2026-07-20 18:30:28.3330000+02:00"],
        ["1", "2", null, "-3.10", null],
    ];

    /// <summary>0-based UTF-8 byte offset of the <paramref name="occurrence"/>-th <paramref name="marker"/> in <paramref name="script"/>.</summary>
    public static long Offset(string script, string marker, int occurrence = 1) =>
        Encoding.UTF8.GetByteCount(script.AsSpan(0, Index(script, marker, occurrence)));

    /// <summary>1-based line of the <paramref name="occurrence"/>-th <paramref name="marker"/>.</summary>
    public static long Line(string script, string marker, int occurrence = 1) =>
        script.AsSpan(0, Index(script, marker, occurrence)).Count('\n') + 1;

    public static int Index(string script, string marker, int occurrence = 1)
    {
        var at = -1;
        for (var i = 0; i < occurrence; i++)
        {
            at = script.IndexOf(marker, at + 1, StringComparison.Ordinal);
            at.ShouldBeGreaterThanOrEqualTo(0, $"'{marker}' #{i + 1} is not in the script");
        }

        return at;
    }
}
