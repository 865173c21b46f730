// Least-privilege data roles. The app's identity gets exactly what the Functions host and our code
// use, each role scoped to the one resource it is for; role assignment names are derived with guid()
// from scope, principal and role so a redeploy finds the same assignment instead of adding one.
//
// Optionally, a person (the one running `azd up`) gets data roles too, for debugging: peeking at
// queues and the status table, and setting the client secret in Key Vault. Only principals of type
// User get them, so a CI service principal never picks up data access through this path.

@description('Principal id (object id) of the app\'s user-assigned identity.')
param appPrincipalId string

param storageAccountName string
param keyVaultName string
param applicationInsightsName string

@description('Optional: object id of a person to give data access for debugging. Empty: nobody.')
param debugPrincipalId string = ''

@description('Type of debugPrincipalId; only a User gets the debugging roles.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param debugPrincipalType string = 'User'

// Built-in role definition ids (the same in every subscription).
var roles = {
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  // Owner, not Contributor: the host's identity-based AzureWebJobsStorage connection needs it.
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var grantDebugAccess = !empty(debugPrincipalId) && debugPrincipalType == 'User'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// --- the app's identity ---

resource appQueueData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appTableData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appBlobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- optional: a person, for debugging ---

resource debugQueueData 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDebugAccess) {
  name: guid(storage.id, debugPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: debugPrincipalId
    principalType: 'User'
  }
}

resource debugTableData 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDebugAccess) {
  name: guid(storage.id, debugPrincipalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: debugPrincipalId
    principalType: 'User'
  }
}

resource debugBlobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDebugAccess) {
  name: guid(storage.id, debugPrincipalId, roles.storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: debugPrincipalId
    principalType: 'User'
  }
}

// Lets that person run `az keyvault secret set` for the client secret (docs/deploy.md).
resource debugSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDebugAccess) {
  name: guid(vault.id, debugPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: debugPrincipalId
    principalType: 'User'
  }
}
