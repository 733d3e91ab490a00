// authenticate: check a bearer token against the token registry (tokens.json).
//
// Event:   {"token": "Bearer demo-token", "requestId": "req-7f3a9c"}
// Result:  {"userId": "u-1042", "roles": ["user"], "tokenName": "demo"}
//
// tokens.json stores SHA-256 hashes of the secrets, never the secrets, each with the
// user it belongs to, the user's roles, and optionally "revoked": true or an
// "expires" timestamp. The shipped tokens: demo-token (u-1042), admin-token (u-1001,
// admin), banned-token (revoked), expired-token (expired).
//
// Errors (the web_request workflow catches both and answers 401):
//   Auth.Unauthorized  no "Bearer <secret>" token, an unknown secret, or an expired one
//   Auth.Forbidden     a revoked token

'use strict';

const crypto = require('node:crypto');
const { tokens } = require('./tokens.json');

class AuthError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name; // the ASL error name the engine reports
  }
}

exports.handler = async (event) => {
  const match = /^Bearer (\S+)$/.exec(typeof event.token === 'string' ? event.token.trim() : '');
  if (!match) throw new AuthError('Auth.Unauthorized', 'missing or malformed bearer token');

  const hash = crypto.createHash('sha256').update(match[1]).digest();
  // Compare in constant time, so the answer's timing says nothing about the hashes.
  const entry = tokens.find((t) => crypto.timingSafeEqual(Buffer.from(t.sha256, 'hex'), hash));
  if (!entry) throw new AuthError('Auth.Unauthorized', 'unknown token');
  if (entry.revoked) {
    throw new AuthError('Auth.Forbidden', `token "${entry.name}" has been revoked`);
  }
  if (entry.expires && Date.parse(entry.expires) <= Date.now()) {
    throw new AuthError('Auth.Unauthorized', `token "${entry.name}" expired at ${entry.expires}`);
  }
  return { userId: entry.userId, roles: entry.roles, tokenName: entry.name };
};
