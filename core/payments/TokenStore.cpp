#include "core/payments/TokenStore.h"

#include "core/protocol/Macaroon.h"
#include "core/protocol/PaymentCredential.h"

#include <algorithm>

namespace l402::payments {
namespace {

constexpr const char* kColumns = "id, origin, agent, scheme, payment_hash, macaroon, preimage, "
                                 "amount_msat, created_at, expires_at, status, payment_id";

Token readToken(const store::Statement& row)
{
    Token token;
    token.id = row.integer(0);
    token.origin = row.text(1);
    token.agent = row.text(2);
    token.scheme = row.text(3);
    token.paymentHash = row.blob(4);
    token.macaroon = row.blob(5);
    token.preimage = row.blob(6);
    token.amountMsat = row.integer(7);
    token.createdAt = row.integer(8);
    if (!row.isNull(9)) {
        token.expiresAt = row.integer(9);
    }
    token.status = row.text(10);
    token.paymentId = row.isNull(11) ? 0 : row.integer(11);
    if (auto macaroon = protocol::Macaroon::fromBinary(token.macaroon)) {
        for (const auto& service : protocol::ApertureCaveats::fromMacaroon(*macaroon).services) {
            token.services.append(service.name);
        }
    }
    return token;
}

} // namespace

bool Token::covers(const QStringList& challengeServices) const
{
    return std::all_of(challengeServices.cbegin(), challengeServices.cend(),
                       [this](const QString& service) { return services.contains(service); });
}

QByteArray Token::authorizationValue() const
{
    auto value = protocol::l402AuthorizationValue(macaroon, preimage);
    if (!value) {
        return {};
    }
    if (scheme.compare(QLatin1String("LSAT"), Qt::CaseInsensitive) == 0) {
        // Servers that only speak the old name get it back; the value format is the same.
        return QByteArray("LSAT") + value->mid(4);
    }
    return value.value();
}

Result<int64_t> TokenStore::insert(const Token& token)
{
    auto statement = m_database.prepare(
        "INSERT INTO tokens (origin, agent, scheme, payment_hash, macaroon, preimage, "
        "amount_msat, created_at, expires_at, status, payment_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'active', ?10)");
    if (!statement) {
        return Result<int64_t>(statement.error());
    }
    statement->bind(1, token.origin)
        .bind(2, token.agent)
        .bind(3, token.scheme)
        .bind(4, QByteArrayView(token.paymentHash))
        .bind(5, QByteArrayView(token.macaroon))
        .bind(6, QByteArrayView(token.preimage))
        .bind(7, token.amountMsat)
        .bind(8, token.createdAt ? token.createdAt : m_clock.nowSeconds())
        .bindOptional(9, token.expiresAt);
    if (token.paymentId) {
        statement->bind(10, token.paymentId);
    } else {
        statement->bind(10, std::nullopt);
    }
    if (auto done = statement->run(); !done) {
        return Result<int64_t>(done.error());
    }
    return m_database.lastInsertId();
}

Result<QList<Token>> TokenStore::query(const char* sql,
                                       const std::function<void(store::Statement&)>& bind)
{
    using R = Result<QList<Token>>;
    auto statement = m_database.prepare(sql);
    if (!statement) {
        return R(statement.error());
    }
    bind(*statement);
    QList<Token> tokens;
    for (;;) {
        auto row = statement->step();
        if (!row) {
            return R(row.error());
        }
        if (!row.value()) {
            return tokens;
        }
        tokens.append(readToken(*statement));
    }
}

Result<QList<Token>> TokenStore::activeForOrigin(const QString& origin)
{
    using R = Result<QList<Token>>;
    static const QByteArray sql = QByteArray("SELECT ") + kColumns +
                                  " FROM tokens WHERE origin = ?1 AND status = 'active' "
                                  "ORDER BY id DESC";
    auto tokens = query(sql.constData(), [&](store::Statement& s) { s.bind(1, origin); });
    if (!tokens) {
        return R(tokens.error());
    }
    const int64_t now = m_clock.nowSeconds();
    QList<Token> active;
    for (const Token& token : tokens.value()) {
        if (token.expiresAt && *token.expiresAt <= now) {
            if (auto marked = setStatus(token.id, "expired"); !marked) {
                return R(marked.error());
            }
            continue;
        }
        active.append(token);
    }
    return active;
}

Result<std::optional<Token>> TokenStore::active(const QString& origin)
{
    auto tokens = activeForOrigin(origin);
    if (!tokens) {
        return Result<std::optional<Token>>(tokens.error());
    }
    return tokens->isEmpty() ? std::optional<Token>() : std::optional(tokens->first());
}

Result<std::optional<Token>> TokenStore::find(int64_t id)
{
    static const QByteArray sql = QByteArray("SELECT ") + kColumns + " FROM tokens WHERE id = ?1";
    auto tokens = query(sql.constData(), [&](store::Statement& s) { s.bind(1, id); });
    if (!tokens) {
        return Result<std::optional<Token>>(tokens.error());
    }
    return tokens->isEmpty() ? std::optional<Token>() : std::optional(tokens->first());
}

Result<std::optional<Token>> TokenStore::forPayment(int64_t paymentId)
{
    static const QByteArray sql =
        QByteArray("SELECT ") + kColumns + " FROM tokens WHERE payment_id = ?1";
    auto tokens = query(sql.constData(), [&](store::Statement& s) { s.bind(1, paymentId); });
    if (!tokens) {
        return Result<std::optional<Token>>(tokens.error());
    }
    return tokens->isEmpty() ? std::optional<Token>() : std::optional(tokens->first());
}

Status TokenStore::setStatus(int64_t id, const char* status)
{
    auto statement = m_database.prepare("UPDATE tokens SET status = ?2 WHERE id = ?1");
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, id).bind(2, QString::fromLatin1(status));
    return statement->run();
}

Status TokenStore::markRejected(int64_t id)
{
    return setStatus(id, "rejected");
}

Result<int> TokenStore::removeOrigin(const QString& origin)
{
    // The row stays (history links to it) but its secrets are gone.
    auto statement = m_database.prepare(
        "UPDATE tokens SET status = 'removed', macaroon = x'', preimage = zeroblob(32) "
        "WHERE origin = ?1 AND status <> 'removed'");
    if (!statement) {
        return Result<int>(statement.error());
    }
    statement->bind(1, origin);
    if (auto done = statement->run(); !done) {
        return Result<int>(done.error());
    }
    return m_database.changes();
}

Result<QList<Token>> TokenStore::recentForOrigin(const QString& origin, int limit)
{
    static const QByteArray sql = QByteArray("SELECT ") + kColumns +
                                  " FROM tokens WHERE origin = ?1 ORDER BY id DESC LIMIT ?2";
    return query(sql.constData(),
                 [&](store::Statement& s) { s.bind(1, origin).bind(2, int64_t(limit)); });
}

Result<QList<Token>> TokenStore::list()
{
    static const QByteArray sql =
        QByteArray("SELECT ") + kColumns + " FROM tokens ORDER BY id DESC";
    return query(sql.constData(), [](store::Statement&) {});
}

} // namespace l402::payments
