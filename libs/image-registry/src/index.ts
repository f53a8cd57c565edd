export { ImageRegistries, MANIFEST_MEDIA_TYPES, type ImageRegistriesOptions, type ManifestCheck, type RegistryLogger, type RegistryRetryPolicy } from './image-registries';
export { parseImageReference, type ImageReference } from './image-reference';
export { ImageReferenceError, RegistryCredentialsError, RegistryRequestError } from './errors';
export { imageRegistrySettings, registryCredentialsSetting, type ImageRegistrySettings, type RegistryCredentials } from './settings';
export { parseChallenges, type AuthChallenge } from './challenge';
