-- OAuth 2.0 clients (client credentials grant) and the access tokens issued to them. The client's secret
-- and every access token are stored as lower-case hex SHA-256, never in clear; `salt` is kept as given,
-- because TeamTools' activity events are signed with it and must be checked against it.
CREATE TABLE oauth_clients (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    client_id   TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    salt        TEXT NOT NULL,
    created_by  INTEGER REFERENCES staff (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL
);

-- Deleting a client ends its tokens (the store deletes them first; the cascade is the safety net).
CREATE TABLE oauth_access_tokens (
    id         INTEGER PRIMARY KEY,
    client_id  INTEGER NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
-- A client's expired tokens are deleted whenever it is issued a new one.
CREATE INDEX oauth_access_tokens_client_expiry ON oauth_access_tokens (client_id, expires_at);
