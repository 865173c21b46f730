// itwin-owner-automation on Azure: a Flex Consumption function app with a user-assigned identity,
// identity-only storage (queues, status table, deployment package), Key Vault for secrets, and
// Application Insights with Entra ID authentication. `azd up` deploys it; docs/deploy.md explains.
//
// test/unit/infra/consistency.test.ts reads this folder as text and keeps it in step with
// src/config.ts and host.json: required settings present, contract names equal to the schema
// defaults, no storage keys anywhere, node 22, parameter defaults repeated in main.parameters.json.
// Keep `var appSettings` below one object literal. Settings made per listed name (the mapped webhooks'
// SOURCE_SECRET_*) join it only as a `toObject(names, name => '<PREFIX>${name}', name => <value>)` var
// inside the `union(appSettings, ...)` handed to the api module: that is the shape the test can read.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; part of every resource name and the azd-env-name tag.')
param environmentName string

// The regions that offer Flex Consumption, as Azure's own azd template for it lists them
// (Azure-Samples/functions-quickstart-typescript-azd, infra/main.bicep): elsewhere the plan cannot be
// created, and this way azd offers only these and a typo fails before anything is deployed.
@minLength(1)
@description('Region for every resource; it must offer the Flex Consumption plan.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Optional: object id of the person running the deployment, given data roles for debugging (azd fills it in).')
param principalId string = ''

@description('Type of principalId; only a User gets the debugging roles (azd fills it in).')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

// --- the iTwin Platform ---

@description('Base URL of the iTwin Platform APIs.')
param itwinApiBaseUrl string = 'https://api.bentley.com'

@description('Bentley IMS authority; the token endpoint is <authority>/connect/token.')
param itwinAuthority string = 'https://ims.bentley.com'

@minLength(1)
@description('Client id of the iTwin Platform service application (client credentials).')
param itwinClientId string

@description('OAuth scope requested with the client credentials.')
param itwinScope string = 'itwin-platform'

@secure()
@description('Optional: the service application\'s client secret, written to Key Vault. Leave empty and set it with `az keyvault secret set` instead (docs/deploy.md).')
param itwinClientSecret string = ''

// --- signed webhooks (design §7) ---

@description('Whether the app reads WEBHOOK_SECRETS from Key Vault; set the secret before turning this on.')
param webhookSecretsEnabled bool = false

@secure()
@description('Optional: webhook signing secrets (whsec_..., comma-separated), written to Key Vault.')
param webhookSecrets string = ''

// --- SCIM provisioning (design §3) ---

@description('Whether the app reads SCIM_BEARER_TOKENS from Key Vault; set the secret before turning this on.')
param scimBearerTokensEnabled bool = false

@secure()
@description('Optional: SCIM bearer tokens (name=token, comma-separated), written to Key Vault.')
param scimBearerTokens string = ''

// --- mapped webhooks (docs/sources.md) ---

// Base64, not JSON: azd pastes a variable's value into main.parameters.json as raw text and only then
// parses that file as JSON, so the quotes of a JSON value would break it (or rewrite other parameters).
@description('Optional: SOURCE_MAPPINGS, the JSON object of source name -> mapping, base64-encoded. Empty: no mapped webhooks.')
param sourceMappingsBase64 string = ''

@description('Optional: the <NAME>s of the SOURCE_SECRET_<NAME> settings the mappings name, comma-separated (JIRA,HR_LEAVER). Each becomes a Key Vault reference to the secret source-secret-<name>; create the secret before adding its name.')
param sourceSecretNames string = ''

// --- scale ---

// Flex Consumption scales per function, and this bound applies to each scale group, not to the app:
// the HTTP functions (submit, status, approve/reject, health) form one group, and the request-queue
// intake, the worker and the recovery timer each scale on their own. Only the worker calls the iTwin
// API, so at most this many worker instances split the OAuth client's one rate budget into fair shares
// (design §6; docs/rate-limits.md); more of them add no throughput, only smaller shares. 40 is the
// lowest value every region accepts; lower ones are being rolled out region by region, so the template
// allows down to 1 and leaves refusing them to Azure (docs/deploy.md, "Scale and the iTwin rate budget").
@description('Upper bound on instances per scale group (worker, queue intake, HTTP functions, timer each up to this many). The worker\'s instances share the iTwin client\'s rate budget.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Key Vault purge protection. Once on it cannot be turned off; turn it off only for throwaway environments.')
param keyVaultPurgeProtection bool = true

// --- policy (design §7); empty means "no restriction" / off ---

@description('Comma-separated e-mail domains that may be made owners. Empty: any domain.')
param policyAllowedEmailDomains string = ''

@description('Comma-separated iTwin ids the app may change. Empty: any iTwin the service client owns.')
param policyAllowedItwinIds string = ''

@description('Comma-separated e-mail addresses that are never removed as owners.')
param policyProtectedOwners string = ''

@description('"true" plans every change without calling the owners API\'s write endpoints.')
@allowed([
  ''
  'true'
  'false'
])
param policyDryRun string = ''

@description('"true" lets a removal take an iTwin\'s last human owner; by default such a removal is rejected.')
@allowed([
  ''
  'true'
  'false'
])
param policyAllowRemovingLastOwner string = ''

@description('"true" lets a removal take the service client\'s own ownership (it then cannot manage that iTwin); by default such a removal is rejected.')
@allowed([
  ''
  'true'
  'false'
])
param policyAllowRemovingServiceClient string = ''

@description('Removals per iTwin and window beyond which further ones are held for approval; empty or 0: never.')
param policyMassRemovalThreshold string = ''

@description('Length of the mass-removal window in minutes; empty: 60.')
param policyMassRemovalWindowMinutes string = ''

// --- names ---

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var keyVaultName = 'kv-${resourceToken}'
var tags = {
  'azd-env-name': environmentName
}

// Contract names (design §8). They equal the defaults in src/config.ts; the consistency test checks.
var requestsQueueName = 'owner-change-requests'
var jobsQueueName = 'owner-change-jobs'
var statusTableName = 'OwnerChanges'

var itwinClientSecretName = 'itwin-client-secret'
var webhookSecretName = 'webhook-secrets'
var scimTokensSecretName = 'scim-bearer-tokens'
// A Key Vault secret name may not hold '_': SOURCE_SECRET_HR_LEAVER reads source-secret-hr-leaver.
var sourceSecretNamePrefix = 'source-secret-'
var deploymentContainerName = 'deployment-package'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity './app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage './app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    queueNames: [
      requestsQueueName
      '${requestsQueueName}-poison'
      jobsQueueName
      '${jobsQueueName}-poison'
      // A batch's bundle of jobs, fanned out by fanOutJobBundles (design §2.1; bundleQueueName in
      // src/storage/queue-rules.ts); the host never needs its poison twin, which is here all the same.
      '${jobsQueueName}-bundles'
      '${jobsQueueName}-bundles-poison'
    ]
    tableNames: [
      statusTableName
    ]
    deploymentContainerName: deploymentContainerName
  }
}

module monitoring './app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault './app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
    itwinClientSecretName: itwinClientSecretName
    itwinClientSecret: itwinClientSecret
    webhookSecretName: webhookSecretName
    webhookSecrets: webhookSecrets
    scimTokensSecretName: scimTokensSecretName
    scimBearerTokens: scimBearerTokens
  }
}

module rbac './app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    debugPrincipalId: principalId
    debugPrincipalType: principalType
  }
}

// Key Vault references use versionless secret URIs (a trailing slash, no version): they follow the
// latest version of the secret, so rotating it needs no change here (docs/deploy.md).
var itwinClientSecretReference = '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${itwinClientSecretName}/)'
var webhookSecretReference = '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${webhookSecretName}/)'
var scimTokensReference = '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.uri}secrets/${scimTokensSecretName}/)'

// Mapped webhooks. The mappings: '' when none are deployed, which the app reads as not set.
var sourceMappings = empty(sourceMappingsBase64) ? '' : base64ToString(sourceMappingsBase64)

// Their signature secrets: one SOURCE_SECRET_<NAME> setting per listed name, each a Key Vault reference.
// The names are checked here, so that a typo stops the deployment instead of making a setting no mapping
// can name; the SOURCE_SECRET_ prefix may be written too. The vault's URI is spelled out rather than read
// from the keyvault module's output, because an output is a reference(), which a lambda cannot hold.
var sourceSecretNameText = toUpper(replace(sourceSecretNames, ' ', ''))
var sourceSecretNameErrors = filter(range(0, length(sourceSecretNameText)), i => !contains('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,', substring(sourceSecretNameText, i, 1)))
var sourceSecretNameList = filter(map(split(sourceSecretNameText, ','), name => startsWith(name, 'SOURCE_SECRET_') ? substring(name, 14) : name), name => !empty(name))
var sourceSecretSettingNames = empty(sourceSecretNameErrors) ? sourceSecretNameList : fail('sourceSecretNames must be names of A-Z, 0-9 and _, comma-separated (JIRA,HR_LEAVER); got \'${sourceSecretNames}\'.')
var keyVaultUri = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/'
var sourceSecretAppSettings = toObject(sourceSecretSettingNames, name => 'SOURCE_SECRET_${name}', name => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${sourceSecretNamePrefix}${toLower(replace(name, '_', '-'))}/)')

// Every app setting the app gets but the SOURCE_SECRET_* above. Secrets are Key Vault references,
// storage is identity-based (AzureWebJobsStorage__* is read by the host's triggers and by our own
// queue/table clients alike).
var appSettings = {
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId

  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'

  OWNER_CHANGE_REQUESTS_QUEUE: requestsQueueName
  OWNER_CHANGE_JOBS_QUEUE: jobsQueueName
  OWNER_CHANGE_STATUS_TABLE: statusTableName

  ITWIN_API_BASE_URL: itwinApiBaseUrl
  ITWIN_AUTHORITY: itwinAuthority
  ITWIN_CLIENT_ID: itwinClientId
  ITWIN_CLIENT_SECRET: itwinClientSecretReference
  ITWIN_SCOPE: itwinScope

  // An unresolvable reference would reach the app as the literal "@Microsoft.KeyVault(...)" text,
  // so the reference is only written once webhook signing is switched on.
  WEBHOOK_SECRETS: webhookSecretsEnabled ? webhookSecretReference : ''
  // Likewise; without tokens every SCIM route answers 404.
  SCIM_BEARER_TOKENS: scimBearerTokensEnabled ? scimTokensReference : ''

  SOURCE_MAPPINGS: sourceMappings

  POLICY_ALLOWED_EMAIL_DOMAINS: policyAllowedEmailDomains
  POLICY_ALLOWED_ITWIN_IDS: policyAllowedItwinIds
  POLICY_PROTECTED_OWNERS: policyProtectedOwners
  POLICY_DRY_RUN: policyDryRun
  POLICY_ALLOW_REMOVING_LAST_OWNER: policyAllowRemovingLastOwner
  POLICY_ALLOW_REMOVING_SERVICE_CLIENT: policyAllowRemovingServiceClient
  POLICY_MASS_REMOVAL_THRESHOLD: policyMassRemovalThreshold
  POLICY_MASS_REMOVAL_WINDOW_MINUTES: policyMassRemovalWindowMinutes
}

module api './app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: union(appSettings, sourceSecretAppSettings)
  }
  // The app starts resolving Key Vault references and reaching storage as soon as it exists: give
  // its identity the roles first.
  dependsOn: [
    rbac
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_URL string = api.outputs.url
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
