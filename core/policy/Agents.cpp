#include "core/policy/Agents.h"

#include "core/crypto/Digest.h"
#include "core/protocol/Challenge.h"

#include <QRegularExpression>

namespace l402::policy {

bool AgentBook::validName(const QString& name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return pattern.match(name).hasMatch();
}

Result<NewAgent> AgentBook::add(const QString& name)
{
    using R = Result<NewAgent>;
    if (!validName(name)) {
        return R::failure(QStringLiteral("invalid_agent_name"),
                          QStringLiteral("An agent name is 1 to 64 letters, digits, '.', '_' or "
                                         "'-'."));
    }
    NewAgent agent;
    agent.name = name;
    // URL-safe so it can sit in HTTPS_PROXY=http://name:secret@127.0.0.1:8402 as is.
    agent.secret = QString::fromLatin1(protocol::encodeBase64Url(crypto::randomBytes(24)));
    auto statement = m_database.prepare(
        "INSERT INTO agents (name, secret_hash, created_at) VALUES (?1, ?2, ?3)");
    if (!statement) {
        return R(statement.error());
    }
    statement->bind(1, name)
        .bind(2, QByteArrayView(crypto::sha256(agent.secret.toLatin1())))
        .bind(3, m_clock.nowSeconds());
    if (auto done = statement->run(); !done) {
        if (done.error().code == QLatin1String(store::store_error::kConstraint)) {
            return R::failure(QStringLiteral("agent_exists"),
                              QStringLiteral("There is already an agent named %1; remove it "
                                             "first to issue a new secret.")
                                  .arg(name));
        }
        return R(done.error());
    }
    return agent;
}

Result<QList<Agent>> AgentBook::list()
{
    using R = Result<QList<Agent>>;
    auto statement = m_database.prepare(
        "SELECT name, created_at FROM agents WHERE revoked_at IS NULL ORDER BY name");
    if (!statement) {
        return R(statement.error());
    }
    QList<Agent> agents;
    for (;;) {
        auto row = statement->step();
        if (!row) {
            return R(row.error());
        }
        if (!row.value()) {
            return agents;
        }
        agents.append(Agent{statement->text(0), statement->integer(1)});
    }
}

Result<bool> AgentBook::remove(const QString& name)
{
    // The row goes: a removed name can be added again with a new secret. Its payments keep
    // the name in their history.
    auto statement = m_database.prepare("DELETE FROM agents WHERE name = ?1");
    if (!statement) {
        return Result<bool>(statement.error());
    }
    statement->bind(1, name);
    if (auto done = statement->run(); !done) {
        return Result<bool>(done.error());
    }
    return m_database.changes() > 0;
}

Result<QHash<QString, QByteArray>> AgentBook::credentials()
{
    using R = Result<QHash<QString, QByteArray>>;
    auto statement =
        m_database.prepare("SELECT name, secret_hash FROM agents WHERE revoked_at IS NULL");
    if (!statement) {
        return R(statement.error());
    }
    QHash<QString, QByteArray> credentials;
    for (;;) {
        auto row = statement->step();
        if (!row) {
            return R(row.error());
        }
        if (!row.value()) {
            return credentials;
        }
        credentials.insert(statement->text(0), statement->blob(1));
    }
}

std::optional<QString> verifyAgent(const QHash<QString, QByteArray>& credentials,
                                   QByteArrayView nameColonSecret)
{
    const qsizetype colon = nameColonSecret.indexOf(':');
    if (colon <= 0) {
        return std::nullopt;
    }
    const QString name = QString::fromUtf8(nameColonSecret.first(colon));
    const QByteArray hash = crypto::sha256(nameColonSecret.sliced(colon + 1));
    const auto found = credentials.constFind(name);
    // Compare against something of the right size either way, so an unknown name costs the
    // same as a wrong secret.
    const QByteArray expected = found == credentials.constEnd() ? QByteArray(32, '\0') : *found;
    const bool match = crypto::constantTimeEquals(hash, expected);
    if (!match || found == credentials.constEnd()) {
        return std::nullopt;
    }
    return name;
}

} // namespace l402::policy
