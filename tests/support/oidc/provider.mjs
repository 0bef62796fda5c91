// A real OpenID Provider on loopback for the registry's staff sign-in tests; see tests/support/oidc_provider.py.
//
// Environment:
//   OIDC_PORT           port on 127.0.0.1 (0 picks a free one); the issuer is http://127.0.0.1:<port>
//   OIDC_CLIENT_ID      the one static client
//   OIDC_CLIENT_SECRET
//   OIDC_REDIRECT_URIS  comma separated
//   OIDC_ACCOUNTS       JSON object: account id -> claims, e.g. {"anna": {"email": "anna@example.nl", "roles": ["editor"]}}
//   OIDC_TOKEN_AUTH     token_endpoint_auth_method of the client (default client_secret_basic)
//   OIDC_SIGNING_JWK    the RSA private key (JWK, JSON) to sign ID tokens with
//
// The dev login form accepts any login name and ignores the password. A login name that is not in
// OIDC_ACCOUNTS still signs in, as an account with only `sub`: deciding who may enter is the registry's job.
//
// Prints `READY <issuer>` on stdout once it listens; exits on SIGTERM or SIGINT.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';

import Provider from 'oidc-provider';

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.mjs: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');
const redirectUris = required('OIDC_REDIRECT_URIS').split(',').map((uri) => uri.trim()).filter(Boolean);

// A fresh key per run, made by the fixture: generateKeyPairSync here hung about one start in 60
// (Node 20's OpenSSL 3.0, while oidc-provider's own start-up used crypto on another thread).
const signingKey = { ...JSON.parse(required('OIDC_SIGNING_JWK')), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

// Listen first so that OIDC_PORT=0 works: the issuer needs the port actually bound.
const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(process.env.OIDC_PORT || 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const clientId = required('OIDC_CLIENT_ID');
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: required('OIDC_CLIENT_SECRET'),
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: process.env.OIDC_TOKEN_AUTH || 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'locale'],
    roles: ['roles'],
  },
  // The ID token carries the scope's claims too, not only userinfo.
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    const claims = accounts[id] ?? {};
    return {
      accountId: id,
      // The provider filters these down to what the granted scopes allow.
      async claims() { return { ...claims, sub: id }; },
    };
  },
});

// Otherwise a refused request shows only as an error page or error redirect, without the reason.
provider.on('server_error', (_ctx, error) => console.error('server_error', error));
for (const event of ['authorization.error', 'grant.error', 'userinfo.error']) {
  provider.on(event, (_ctx, error) => console.error(event, error.message, error.error_description ?? ''));
}

// Static clients are only validated when first used; fail at start instead, where the error is reported.
try {
  await provider.Client.find(clientId);
} catch (error) {
  console.error(`provider.mjs: invalid client: ${error.message} ${error.error_description ?? ''}`);
  process.exit(1);
}

server.on('request', provider.callback());
console.log(`READY ${issuer}`);

function stop() {
  server.closeAllConnections();
  server.close(() => process.exit(0));
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
