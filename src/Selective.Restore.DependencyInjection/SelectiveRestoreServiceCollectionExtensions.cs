using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Selective.Restore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Selective.Restore in an application's container (an admin console, an ops service).</summary>
public static class SelectiveRestoreServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="SelectiveRestoreOptions"/> from <paramref name="configuration"/> (e.g. <c>Configuration.GetSection("SelectiveRestore")</c>)
    /// and registers <see cref="SelectiveRestoreFactory"/> as a singleton. Logging goes to the container's <see cref="ILoggerFactory"/> when there is one.
    /// </summary>
    public static IServiceCollection AddSelectiveRestore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SelectiveRestoreOptions>().Bind(configuration);
        return AddFactory(services);
    }

    /// <summary>Registers <see cref="SelectiveRestoreFactory"/> with options set in code by <paramref name="configure"/> (after any configuration binding).</summary>
    public static IServiceCollection AddSelectiveRestore(this IServiceCollection services, Action<SelectiveRestoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SelectiveRestoreOptions>().Configure(configure);
        return AddFactory(services);
    }

    private static IServiceCollection AddFactory(IServiceCollection services)
    {
        services.TryAddSingleton(provider => new SelectiveRestoreFactory(
            provider.GetRequiredService<IOptions<SelectiveRestoreOptions>>().Value,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<NpgsqlDataSource>()));
        return services;
    }
}
