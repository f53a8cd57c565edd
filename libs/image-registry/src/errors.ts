/** An image reference or tag that is not valid: a terminal error, trying again cannot help. */
export class ImageReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageReferenceError';
  }
}

/**
 * The registry (or its token server) refused the credentials configured for its host, or
 * refused anonymous access when none are configured: 401/403 after authenticating. Terminal
 * until someone fixes the credentials; the message names the host and user, never a secret.
 */
export class RegistryCredentialsError extends Error {
  constructor(
    /** `host[:port]` as the image reference names it (docker.io, ghcr.io, 127.0.0.1:55001). */
    readonly host: string,
    readonly repository: string,
    readonly status: number,
    /** The user name that was refused; undefined when the refused request was anonymous. */
    readonly username: string | undefined,
    /** Whether credentials are configured for the host (an anonymous refusal may come before they are sent). */
    readonly credentialsConfigured: boolean = username !== undefined,
  ) {
    super(
      username !== undefined
        ? `the credentials for ${host} were refused (user ${JSON.stringify(username)}, ${status} for ${repository})`
        : `the registry ${host} refused anonymous access to ${repository} (${status})${credentialsConfigured ? '' : `; no credentials are configured for ${host}`}`,
    );
    this.name = 'RegistryCredentialsError';
  }

  get anonymous(): boolean {
    return this.username === undefined;
  }
}

/**
 * Any other failure after retries: `transient` (5xx, 429, timeouts, network errors) means a
 * later try may succeed; otherwise (an unexpected 4xx, a malformed answer) it will not.
 */
export class RegistryRequestError extends Error {
  constructor(
    /** The HTTP status; 0 for a network error or a timeout. */
    readonly status: number,
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'RegistryRequestError';
  }
}
