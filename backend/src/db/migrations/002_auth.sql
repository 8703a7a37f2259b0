-- 002 auth: Sign-In with Ethereum nonces, API sessions and role grants.

CREATE TABLE auth_nonces (
  nonce text PRIMARY KEY CHECK (nonce ~ '^[A-Za-z0-9]{16,64}$'),
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- set once, when a sign-in spends it; a spent nonce never signs in again
  used_at timestamptz
);
CREATE INDEX auth_nonces_expires_idx ON auth_nonces (expires_at);

CREATE TABLE api_sessions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- SHA-256 of the bearer token; the token itself is never stored
  token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  chain_id integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX api_sessions_address_idx ON api_sessions (address);

CREATE TABLE role_grants (
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  role text NOT NULL CHECK (role IN ('trader', 'oracle_operator', 'verifier', 'compliance', 'admin')),
  granted_by text NOT NULL CHECK (granted_by <> ''),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (address, role)
);
