using System.Reflection;
using System.Runtime.CompilerServices;
using Selective.Restore.Providers;

namespace Selective.Restore.Tests.Providers;

/// <summary>A provider package is written against the public seam only: nothing it needs is internal.</summary>
[TestFixture]
public sealed class ProviderSeamTests
{
    [Test]
    public void No_provider_package_sees_the_core_internals()
    {
        // The PostgreSQL provider compiles against the public seam; a provider listed here would hide a gap in it.
        var friends = typeof(RestoreBuilder).Assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();
        friends.ShouldNotContain(name => name.StartsWith("Selective.Restore.", StringComparison.Ordinal) && !name.EndsWith(".Tests", StringComparison.Ordinal) && !name.EndsWith(".Benchmarks", StringComparison.Ordinal));
    }

    [Test]
    public void Every_type_in_a_role_signature_is_public()
    {
        var roles = new[] { typeof(IRestoreTarget), typeof(IVerifyTarget) };
        var seen = new HashSet<Type>();
        foreach (var role in roles.Concat(roles.SelectMany(r => r.GetInterfaces())))
        {
            foreach (var method in role.GetMethods())
            {
                foreach (var type in method.GetParameters().Select(p => p.ParameterType).Append(method.ReturnType))
                {
                    Visit(type, seen);
                }
            }

            foreach (var property in role.GetProperties())
            {
                Visit(property.PropertyType, seen);
            }
        }

        seen.Where(t => !(t.IsPublic || t.IsNestedPublic)).Select(t => t.FullName).ShouldBeEmpty();
        seen.ShouldContain(typeof(StagedTable));
        seen.ShouldContain(typeof(IRowLines));
        seen.ShouldContain(typeof(RowValues));
    }

    [Test]
    public void Builders_take_a_provider_through_the_public_hook()
    {
        typeof(RestoreBuilder).GetMethod(nameof(RestoreBuilder.WithTarget))!.IsPublic.ShouldBeTrue();
        typeof(VerifyBuilder).GetMethod(nameof(VerifyBuilder.WithTarget))!.IsPublic.ShouldBeTrue();
        Should.Throw<ArgumentNullException>(() => SelectiveRestore.FromDump("backup.sql").WithTarget(null!));
    }

    [Test]
    public void A_provider_row_whose_values_do_not_match_its_columns_is_refused()
    {
        string[] columns = ["id", "name"];
        Should.Throw<ArgumentException>(() => new RowValues(columns, [1], ["1", "a"])).Message.ShouldContain("2 columns");
        Should.Throw<ArgumentException>(() => new RowValues(columns, [1, "a"], ["1"])).Message.ShouldContain("2 columns");
        var row = new RowValues(columns, [1, null], ["1", null]);
        (row.ValueAt(0), row.TextAt(1), row.IsNull("name")).ShouldBe((1, null, true));
    }

    private static void Visit(Type type, HashSet<Type> seen)
    {
        if (type.IsByRef || type.IsArray || type.IsPointer)
        {
            Visit(type.GetElementType()!, seen);
            return;
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                Visit(argument, seen);
            }

            type = type.GetGenericTypeDefinition();
        }

        if (type.IsGenericParameter || !seen.Add(type))
        {
            return;
        }

        // The records a role hands over: their members are part of the contract too.
        if (type.Namespace?.StartsWith("Selective.Restore", StringComparison.Ordinal) == true && !type.IsEnum)
        {
            foreach (var property in type.GetProperties())
            {
                Visit(property.PropertyType, seen);
            }
        }
    }
}
