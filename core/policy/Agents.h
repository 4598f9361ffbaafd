#pragma once

#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <optional>

namespace l402::policy {

struct Agent {
    QString name;
    int64_t createdAt = 0;
};

struct NewAgent {
    QString name;
    QString secret; // shown once; only its hash is kept
};

// Agent credentials (DESIGN §4 `agent add`): each agent proves itself to the proxy with
// name:secret. The secret is 192 random bits, so a plain SHA-256 of it is safe to keep (no
// password KDF needed: there is nothing to guess); verification is in constant time.
class AgentBook {
public:
    AgentBook(store::Database& database, const Clock& clock)
        : m_database(database)
        , m_clock(clock)
    {
    }

    static bool validName(const QString& name); // 1-64 of [A-Za-z0-9._-]

    Result<NewAgent> add(const QString& name);
    Result<QList<Agent>> list();
    Result<bool> remove(const QString& name); // false when there was none
    // name -> secret hash of every active agent, for a verifier on another thread.
    Result<QHash<QString, QByteArray>> credentials();

private:
    store::Database& m_database;
    const Clock& m_clock;
};

// Checks `name:secret` against a snapshot of AgentBook::credentials().
std::optional<QString> verifyAgent(const QHash<QString, QByteArray>& credentials,
                                   QByteArrayView nameColonSecret);

} // namespace l402::policy
