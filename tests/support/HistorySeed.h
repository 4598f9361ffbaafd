#pragma once

#include "core/crypto/Digest.h"
#include "core/store/Database.h"

#include <QByteArray>
#include <QStringList>

#include <memory>

namespace l402::test {

// Writes a realistic history straight into a wallet's tables, in one transaction: `payments`
// settled payments spread over the last `days` days across a few sites and agents (amounts
// and fees like real L402 prices), each with its "paid" event, plus one refusal or denial event
// for every `refusalEvery` payments. Deterministic. For screenshots and the GUI benchmark (a
// million rows take seconds, where the engine would take hours).
inline Status seedHistory(store::Database& database, qint64 payments, qint64 now, int days,
                          int refusalEvery = 7)
{
    static const QStringList sites{QStringLiteral("https://api.weatherly.example"),
                                   QStringLiteral("https://search.agentdata.example"),
                                   QStringLiteral("https://llm.paygate.example"),
                                   QStringLiteral("https://news.lightningwire.example"),
                                   QStringLiteral("https://maps.satstreet.example"),
                                   QStringLiteral("https://quotes.l402.example")};
    static const QStringList agents{QStringLiteral("research-bot"), QStringLiteral("coder"),
                                    QStringLiteral("demo")};
    static const qint64 prices[] = {21'000, 100'000, 250'000, 5'000, 1'000'000, 42'000};
    auto transaction = store::Transaction::begin(database);
    if (!transaction) {
        return Status(transaction.error());
    }
    auto payment = database.prepare(
        "INSERT INTO payments (created_at, updated_at, origin, agent, scheme, invoice, "
        "payment_hash, amount_msat, fee_limit_msat, fee_msat, status, preimage) "
        "VALUES (?1, ?1, ?2, ?3, 'L402', ?4, ?5, ?6, ?7, ?8, 'succeeded', ?9)");
    auto event = database.prepare(
        "INSERT INTO events (at, kind, origin, agent, amount_msat, code, message, payment_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!payment || !event) {
        return Status(payment ? event.error() : payment.error());
    }
    const qint64 span = qint64(days) * 86400;
    quint64 state = 0x9e3779b97f4a7c15ULL;
    const auto next = [&state] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (qint64 i = 0; i < payments; ++i) {
        // Older first, so ids follow time as they do in a real wallet.
        const qint64 at = now - span + (span * (i + 1)) / (payments + 1);
        const quint64 roll = next();
        // Sites get unequal shares, as they do in real use.
        const QString& site = sites.at(qsizetype((roll % 21) < 8    ? 0
                                                 : (roll % 21) < 13 ? 1
                                                 : (roll % 21) < 16 ? 2
                                                 : (roll % 21) < 18 ? 3
                                                 : (roll % 21) < 20 ? 4
                                                                    : 5));
        const QString& agent = agents.at(qsizetype((roll >> 8) % 3));
        const qint64 amount = prices[(roll >> 16) % 6];
        const qint64 fee = amount / 1000 + qint64((roll >> 24) % 3) * 1000;
        const QByteArray index = QByteArray::number(i);
        const QByteArray preimage = crypto::sha256(QByteArray("seed-preimage-") += index);
        const QByteArray hash = crypto::sha256(preimage);
        payment->bind(1, int64_t(at))
            .bind(2, site)
            .bind(3, agent)
            .bind(4, QStringLiteral("lnbc%1n1seed").arg(amount / 100))
            .bind(5, QByteArrayView(hash))
            .bind(6, int64_t(amount))
            .bind(7, int64_t(std::max<qint64>(10'000, amount / 100)))
            .bind(8, int64_t(fee))
            .bind(9, QByteArrayView(preimage));
        if (auto ran = payment->run(); !ran) {
            return ran;
        }
        payment->reset();
        const int64_t paymentId = database.lastInsertId();
        event->bind(1, int64_t(at))
            .bind(2, QStringLiteral("paid"))
            .bind(3, site)
            .bind(4, agent)
            .bind(5, int64_t(amount))
            .bind(6, QString())
            .bind(7, QString())
            .bind(8, paymentId);
        if (auto ran = event->run(); !ran) {
            return ran;
        }
        event->reset();
        if (refusalEvery > 0 && i % refusalEvery == refusalEvery - 1) {
            const bool denied = (roll >> 32) % 3 == 0;
            event->bind(1, int64_t(at + 30))
                .bind(2, denied ? QStringLiteral("denied") : QStringLiteral("refused"))
                .bind(3, site)
                .bind(4, agent)
                .bind(5, int64_t(amount * 4))
                .bind(6,
                      denied ? QStringLiteral("denied_by_user") : QStringLiteral("budget_exceeded"))
                .bind(7, denied ? QStringLiteral("You denied this payment.")
                                : QStringLiteral("Over the daily limit for %1 (agent %2).")
                                      .arg(QString(site).remove(QStringLiteral("https://")), agent))
                .bind(8, std::nullopt);
            if (auto ran = event->run(); !ran) {
                return ran;
            }
            event->reset();
        }
    }
    return transaction.value()->commit();
}

} // namespace l402::test
