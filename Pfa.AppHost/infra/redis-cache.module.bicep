// Azure Cache for Redis for the AppHost's 'cache' (Hosting/AzureRedis.cs): TLS only (6380); the connection string,
// which carries the access key, goes into the Key Vault and never out as an output.
@description('The location for the resource(s) to be deployed.')
param location string = resourceGroup().location

@description('Key Vault that receives the connection string.')
param keyVaultName string

@description('Basic (no replica), Standard (replicated) or Premium.')
param skuName string = 'Standard'

@description('Cache size within the SKU family: 0 = C0 (250 MB).')
param capacity int = 0

resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  name: take('cache-${uniqueString(resourceGroup().id)}', 63)
  location: location
  properties: {
    sku: {
      name: skuName
      family: skuName == 'Premium' ? 'P' : 'C'
      capacity: capacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
  tags: {
    'aspire-resource-name': 'cache'
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  name: 'connectionstrings--cache'
  parent: keyVault
  properties: {
    value: '${redis.properties.hostName}:6380,ssl=true,password=${redis.listKeys().primaryKey}'
  }
}

output name string = redis.name

output hostName string = redis.properties.hostName
