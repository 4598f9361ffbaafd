#pragma once

#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace l402::payments {

// A bought L402 token: the macaroon and the preimage that completes it. Secrets: they live
// only in the encrypted database and in the Authorization header sent to their origin.
struct Token {
    int64_t id = 0;
    QString origin;
    QString agent;  // who bought it (the token serves every agent of the wallet)
    QString scheme; // "L402" or "LSAT": what the server offered
    QByteArray paymentHash;
    QByteArray macaroon; // binary
    QByteArray preimage;
    int64_t amountMsat = 0;
    int64_t createdAt = 0;
    std::optional<int64_t> expiresAt; // the earliest <service>_valid_until caveat
    QString status;                   // active|expired|rejected|removed
    int64_t paymentId = 0;
    QStringList services; // from the services= caveat (derived, not stored)

    // Whether this token is for everything `challengeServices` names (an empty list says
    // nothing, and any token may be tried).
    bool covers(const QStringList& challengeServices) const;
    // The Authorization header value: `<scheme> <base64 macaroon>:<hex preimage>`.
    QByteArray authorizationValue() const;
};

class TokenStore {
public:
    TokenStore(store::Database& database, const Clock& clock)
        : m_database(database)
        , m_clock(clock)
    {
    }

    // Inside the caller's transaction when there is one.
    Result<int64_t> insert(const Token& token);
    // The newest active token of an origin; tokens found past their expiry are marked expired
    // on the way.
    Result<std::optional<Token>> active(const QString& origin);
    // Every active token of an origin, newest first (expired ones are marked on the way).
    Result<QList<Token>> activeForOrigin(const QString& origin);
    Result<std::optional<Token>> find(int64_t id);
    Result<std::optional<Token>> forPayment(int64_t paymentId);
    // A 402 despite this token: the server no longer takes it.
    Status markRejected(int64_t id);
    // `tokens remove ORIGIN`: returns how many were removed.
    Result<int> removeOrigin(const QString& origin);
    // Every token, newest first.
    Result<QList<Token>> list();
    // An origin's latest tokens whatever became of them (expired, rejected), newest first, at
    // most `limit`: what it was paid before (the price-spike guard).
    Result<QList<Token>> recentForOrigin(const QString& origin, int limit);

private:
    Result<QList<Token>> query(const char* sql, const std::function<void(store::Statement&)>& bind);
    Status setStatus(int64_t id, const char* status);

    store::Database& m_database;
    const Clock& m_clock;
};

} // namespace l402::payments
