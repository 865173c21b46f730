// The one identity the function app runs as. It is user-assigned (not system-assigned) so that its
// role assignments, its Key Vault access and the app settings that name its client id can all be
// created before the app exists, and survive the app being re-created.

@description('Name of the user-assigned managed identity.')
param name string

param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
