// Key Vault holding the connection strings of one data store (written by its module as connectionstrings--<resource>).
// Referenced from the AppHost's manifest (Hosting/AzureKeyVault.cs); azd deploys it.
@description('The location for the resource(s) to be deployed.')
param location string = resourceGroup().location

@description('The AppHost resource whose secrets this vault holds (pg, cache).')
param ownerName string

@description('Principal that reads the secrets (the container apps identity; filled in by azd).')
param principalId string

@description('Type of that principal (filled in by azd).')
param principalType string

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // 3-24 characters, globally unique: a readable prefix and a suffix unique to the resource group.
  name: take('${take(replace(ownerName, '-', ''), 8)}kv${uniqueString(resourceGroup().id, ownerName)}', 24)
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
  }
  tags: {
    'aspire-resource-name': '${ownerName}-kv'
  }
}

// Key Vault Secrets User
var secretsUserRole = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '4633458b-17de-408a-b874-0445c86b69e6')

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, secretsUserRole)
  scope: keyVault
  properties: {
    principalId: principalId
    principalType: principalType
    roleDefinitionId: secretsUserRole
  }
}

output vaultUri string = keyVault.properties.vaultUri

output name string = keyVault.name
