#include "core/store/Schema.h"

#include <QString>

#include <array>

namespace l402::store {
namespace {

// Append only. Never edit a migration that has shipped; add a new one.
constexpr std::array<const char*, 4> kMigrations = {
    // 1: the initial schema.
    R"SQL(
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The payment ledger: one row per payment attempt. Written (initiated) before the node is
-- called; an attempt whose outcome is unknown stays in_flight until reconciled.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    origin TEXT NOT NULL,
    agent TEXT,
    scheme TEXT NOT NULL CHECK (scheme IN ('L402', 'LSAT', 'Payment')),
    invoice TEXT NOT NULL,
    payment_hash BLOB NOT NULL CHECK (length(payment_hash) = 32),
    amount_msat INTEGER NOT NULL CHECK (amount_msat > 0),
    fee_limit_msat INTEGER NOT NULL CHECK (fee_limit_msat >= 0),
    fee_msat INTEGER,
    status TEXT NOT NULL CHECK (status IN ('initiated', 'in_flight', 'succeeded', 'failed')),
    preimage BLOB CHECK (preimage IS NULL OR length(preimage) = 32),
    failure_code TEXT,
    failure_message TEXT,
    CHECK (status <> 'succeeded' OR preimage IS NOT NULL)
);
-- The database itself refuses a second live attempt for one payment hash (DESIGN §3.3).
CREATE UNIQUE INDEX payments_one_live_attempt_per_hash
    ON payments(payment_hash) WHERE status IN ('initiated', 'in_flight', 'succeeded');
CREATE INDEX payments_by_status ON payments(status) WHERE status IN ('initiated', 'in_flight');
CREATE INDEX payments_by_origin_time ON payments(origin, created_at);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    scheme TEXT NOT NULL,
    payment_hash BLOB NOT NULL,
    macaroon BLOB NOT NULL,
    preimage BLOB NOT NULL CHECK (length(preimage) = 32),
    amount_msat INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    status TEXT NOT NULL CHECK (status IN ('active', 'expired', 'rejected', 'removed')),
    payment_id INTEGER REFERENCES payments(id)
);
CREATE INDEX tokens_by_origin ON tokens(origin, status);

CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE budget_rules (
    id INTEGER PRIMARY KEY,
    pattern TEXT NOT NULL,
    agent TEXT,
    max_payment_msat INTEGER,
    daily_msat INTEGER,
    weekly_msat INTEGER,
    monthly_msat INTEGER,
    mode TEXT NOT NULL CHECK (mode IN ('auto', 'ask', 'block')),
    ask_above_msat INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (pattern, agent)
);

-- Money set aside for a payment between the budget check and its outcome.
CREATE TABLE reservations (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER REFERENCES payments(id),
    rule_id INTEGER REFERENCES budget_rules(id),
    origin TEXT NOT NULL,
    agent TEXT,
    amount_msat INTEGER NOT NULL,
    fee_reserve_msat INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    released_at INTEGER
);
CREATE INDEX reservations_open ON reservations(released_at) WHERE released_at IS NULL;

CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    agent TEXT,
    amount_msat INTEGER NOT NULL,
    description TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    decision TEXT CHECK (decision IS NULL OR decision IN ('approved', 'denied', 'timed_out')),
    decided_at INTEGER
);

CREATE TABLE remembered_decisions (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    agent TEXT,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'deny')),
    scope TEXT NOT NULL CHECK (scope IN ('1h', 'session', 'always')),
    max_amount_msat INTEGER,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);

CREATE TABLE node_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    backend TEXT NOT NULL,
    settings TEXT NOT NULL,
    secret BLOB,
    updated_at INTEGER NOT NULL
);

-- Everything the history view shows: payments, refusals, denials, timeouts.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    origin TEXT,
    agent TEXT,
    amount_msat INTEGER,
    code TEXT,
    message TEXT,
    payment_id INTEGER REFERENCES payments(id)
);
CREATE INDEX events_by_time ON events(at);
)SQL",
    // 2: the payment engine. What was bought is written with the attempt (so a payment the
    // node completed while the wallet was down still yields its token), and budget windows
    // are range scans on time.
    R"SQL(
ALTER TABLE payments ADD COLUMN credential BLOB;
CREATE INDEX payments_by_time ON payments(created_at);
CREATE INDEX reservations_unlinked ON reservations(payment_id) WHERE released_at IS NULL;
ALTER TABLE tokens ADD COLUMN agent TEXT;
CREATE INDEX events_by_origin ON events(origin, at);
)SQL",
    // 3: the window. Activity filters by status and by agent, in time order, as index range
    // scans (a history of millions of rows is paged, never sorted whole); spend per day, site
    // and agent read from one covering index (no table row is visited for the charts).
    R"SQL(
CREATE INDEX events_by_kind ON events(kind, at);
CREATE INDEX events_by_agent ON events(agent, at);
CREATE INDEX payments_spend ON payments(status, created_at, origin, agent, amount_msat, fee_msat);
)SQL",
    // 4: payment rates (`budget set --max-rate N/min|N/h|N/day`). Existing rules keep every
    // stored field; no rate means none. Rates count recent reservations by time.
    R"SQL(
ALTER TABLE budget_rules ADD COLUMN max_rate_count INTEGER;
ALTER TABLE budget_rules ADD COLUMN max_rate_period_seconds INTEGER;
CREATE INDEX reservations_by_time ON reservations(created_at) WHERE released_at IS NULL;
)SQL",
};

} // namespace

int Schema::latestVersion()
{
    return static_cast<int>(kMigrations.size());
}

Result<int> Schema::currentVersion(Database& database)
{
    auto statement = database.prepare("PRAGMA user_version");
    if (!statement) {
        return Result<int>(statement.error());
    }
    auto row = statement->step();
    if (!row) {
        return Result<int>(row.error());
    }
    return static_cast<int>(statement->integer(0));
}

Status Schema::migrate(Database& database, int targetVersion)
{
    if (targetVersion < 0) {
        targetVersion = latestVersion();
    }
    auto current = currentVersion(database);
    if (!current) {
        return Status(current.error());
    }
    if (current.value() > latestVersion()) {
        return Status::failure(QStringLiteral("schema_too_new"),
                               QStringLiteral("The wallet database was written by a newer "
                                              "version of L402 Wallet (schema %1; this build "
                                              "knows up to %2).")
                                   .arg(current.value())
                                   .arg(latestVersion()));
    }
    for (int version = current.value(); version < targetVersion; ++version) {
        auto transaction = Transaction::begin(database);
        if (!transaction) {
            return Status(transaction.error());
        }
        if (auto applied = database.exec(kMigrations[static_cast<size_t>(version)]); !applied) {
            return applied;
        }
        const QByteArray bump = "PRAGMA user_version = " + QByteArray::number(version + 1);
        if (auto bumped = database.exec(bump.constData()); !bumped) {
            return bumped;
        }
        if (auto committed = (*transaction)->commit(); !committed) {
            return committed;
        }
    }
    return success();
}

} // namespace l402::store
