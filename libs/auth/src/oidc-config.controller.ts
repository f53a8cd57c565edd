import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OIDC_VERIFIER, type OidcVerifier } from './oidc';

/** What a client (the dashboard, `sluice login --oidc`) needs to sign a person in. */
export interface OidcClientConfig {
  readonly oidc: { readonly issuer: string; readonly clientId: string; readonly scopes: readonly string[]; readonly teamsClaim: string } | null;
}

/**
 * `GET /api/auth/oidc`: public, like an issuer's own discovery document — the issuer and
 * client id are no secret; `oidc: null` when sign-in with OpenID Connect is not set up.
 */
@ApiTags('auth')
@Controller('api/auth/oidc')
export class OidcConfigController {
  constructor(@Optional() @Inject(OIDC_VERIFIER) private readonly oidc?: OidcVerifier | null) {}

  @Get()
  @ApiOperation({ summary: 'How to sign in with OpenID Connect (public): issuer, client id, scopes; null when not configured' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['oidc'],
      properties: {
        oidc: {
          type: 'object',
          nullable: true,
          required: ['issuer', 'clientId', 'scopes', 'teamsClaim'],
          properties: { issuer: { type: 'string' }, clientId: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } }, teamsClaim: { type: 'string' } },
        },
      },
    },
  })
  config(): OidcClientConfig {
    if (!this.oidc) return { oidc: null };
    const { issuer, clientId, teamsClaim } = this.oidc.settings;
    return { oidc: { issuer, clientId, scopes: ['openid', 'email', teamsClaim], teamsClaim } };
  }
}
