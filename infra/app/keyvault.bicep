// Key Vault for the app's secrets, in RBAC mode: access is granted with role assignments
// (rbac.bicep), never with access policies. The app reads secrets through Key Vault references in
// its app settings, resolved by the platform with the app's user-assigned identity.
//
// A secret value is written only when one is passed in. Leaving the parameter empty (the normal
// case with azd) keeps whatever value the vault already holds, so a redeploy never wipes or rolls
// back a secret that was set or rotated with `az keyvault secret set` (docs/deploy.md).

@description('Key Vault name: 3-24 letters, digits and hyphens, globally unique.')
param name string

param location string
param tags object

@description('Purge protection keeps a deleted vault and its secrets recoverable for the retention period; once on it cannot be turned off.')
param enablePurgeProtection bool = true

@description('Days a deleted vault or secret stays recoverable (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Name of the secret holding the iTwin Platform service client secret.')
param itwinClientSecretName string

@secure()
@description('Optional: a value for the iTwin client secret. Empty: leave the vault as it is.')
param itwinClientSecret string = ''

@description('Name of the secret holding the webhook signing secrets (whsec_..., comma-separated for rotation).')
param webhookSecretName string

@secure()
@description('Optional: a value for the webhook signing secrets. Empty: leave the vault as it is.')
param webhookSecrets string = ''

@description('Name of the secret holding the SCIM bearer tokens (name=token, comma-separated for rotation).')
param scimTokensSecretName string

@secure()
@description('Optional: a value for the SCIM bearer tokens. Empty: leave the vault as it is.')
param scimBearerTokens string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The API refuses `false` here; "off" is expressed by leaving the property out.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource itwinClientSecretValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(itwinClientSecret)) {
  parent: vault
  name: itwinClientSecretName
  properties: {
    value: itwinClientSecret
    contentType: 'text/plain'
  }
}

resource webhookSecretsValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(webhookSecrets)) {
  parent: vault
  name: webhookSecretName
  properties: {
    value: webhookSecrets
    contentType: 'text/plain'
  }
}

resource scimBearerTokensValue 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(scimBearerTokens)) {
  parent: vault
  name: scimTokensSecretName
  properties: {
    value: scimBearerTokens
    contentType: 'text/plain'
  }
}

output name string = vault.name
output id string = vault.id
// Ends with a slash: https://<name>.vault.azure.net/
output uri string = vault.properties.vaultUri
