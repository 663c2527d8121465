using Selective.Restore.Tests.Providers.InMemory;

namespace Selective.Restore.Tests.Providers;

/// <summary>The provider contract on the in-memory database (no server needed).</summary>
public sealed class InMemoryContractTests : ProviderContractTests
{
    protected override Task<IContractDatabase> CreateAsync(params ContractTable[] tables) =>
        Task.FromResult<IContractDatabase>(new InMemoryContractDatabase(tables));
}
