#pragma once

#include "tests/support/FakeWebSocketRelay.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>

#include <chrono>

namespace l402::test {

// A faithful double of a Nostr Wallet Connect wallet service (NIP-47, nostr-protocol/nips
// 47.md as of 2026-06) sitting on a real NIP-01 relay (FakeWebSocketRelay) through its event hook:
// - publishes its replaceable info event (kind 13194) with the supported methods as content
//   and an `encryption` tag ("nip44_v2 nip04", "nip04", or none: NIP-04 only);
// - answers requests (23194) addressed to it (`p` tag) with responses (23195) tagged `p`
//   (the client) and `e` (the request), signed with BIP340, encrypted with the request's
//   scheme (NIP-44 v2 when the request carries ["encryption","nip44_v2"], else NIP-04);
// - ignores requests past their `expiration` tag, and answers UNAUTHORIZED to a client key it
//   does not know (a wrong NWC secret), UNSUPPORTED_ENCRYPTION to a scheme it did not offer;
// - pay_invoice, get_balance, get_info, lookup_invoice (with `state`), NOT_IMPLEMENTED else;
// - keeps a balance and the payments by hash; a second pay of a settled or pending hash is
//   PAYMENT_FAILED ("already paid"), never a second payment;
// - in the ways real services differ (all allowed by 47.md): lookup_invoice without the
//   optional `state` (older Alby Hub, Mutiny-era services: settled_at/preimage only), no
//   lookup_invoice at all, no get_info (NOT_IMPLEMENTED, and left out of the info event);
// - PAYMENT_FAILED for a payment it still holds (47.md: the code also covers the service's
//   own timeout), with the record of the hash left pending, settled or failed;
// - can be told to fail, hang, answer INTERNAL, UNAUTHORIZED, INSUFFICIENT_BALANCE...,
//   answer with a wrong preimage, or drop every relay connection mid-payment and settle
//   (or fail) the payment a moment later.
// Violations of the client's obligations are recorded: a request without `expiration`, a
// request published before a subscription that would receive its response was open, a
// NIP-04 request although NIP-44 v2 was offered, a request that does not verify.
class FakeNwcWallet : public QObject {
    Q_OBJECT
public:
    enum class PayBehaviour {
        Succeed,
        Fail,            // PAYMENT_FAILED (no route); the attempt is recorded as failed
        InternalError,   // INTERNAL; the payment never started
        DropThenSucceed, // records it pending, drops the relay connections, settles later
        DropThenFail,    // same, then fails it
        Hang,            // records it pending and never answers
        WrongPreimage,   // "succeeds" with a preimage that is not the hash's
        Unauthorized,    // UNAUTHORIZED
        InsufficientBalance,
        QuotaExceeded,
        Restricted,
        RateLimited,
        UnclearFailure, // PAYMENT_FAILED "timed out" while the record is setUnclearRecord's
    };
    enum class Encryption { Nip44AndNip04, Nip04Only, NoTag };

    struct Payment {
        enum class State { Pending, Settled, Failed };
        State state = State::Pending;
        QString invoice;
        QByteArray preimage;
        qint64 amountMsat = 0;
        qint64 feeMsat = 0;
        qint64 createdAt = 0;
        qint64 settledAt = 0;
        int attempts = 0;
    };

    explicit FakeNwcWallet(QObject* parent = nullptr);
    ~FakeNwcWallet() override;

    // Starts the relay on loopback and publishes the info event.
    [[nodiscard]] bool start();
    FakeWebSocketRelay& relay() { return m_relay; }

    QByteArray walletPubkey() const { return m_walletPubkey; }
    QByteArray clientSecret() const { return m_clientSecret; } // the one authorized client
    // nostr+walletconnect://<wallet>?relay=<ws url>&secret=<client secret>&lud16=...
    QString connectionUri() const;

    void setEncryption(Encryption encryption); // republishes the info event
    void registerPreimage(const QByteArray& preimage);
    void setPayBehaviour(PayBehaviour behaviour) { m_behaviour = behaviour; }
    void setBalanceMsat(qint64 msat) { m_balanceMsat = msat; }
    void setFeeMsat(qint64 msat) { m_feeMsat = msat; }
    void setSettleDelay(std::chrono::milliseconds delay) { m_settleDelay = delay; }
    // false: every request is received and never answered.
    void setAnswering(bool answering) { m_answering = answering; }
    // Services that implement less of 47.md: lookup_invoice results without `state`, no
    // lookup_invoice, no get_info (each republishes the info event's method list).
    void setLookupHasState(bool hasState) { m_lookupHasState = hasState; }
    void setImplements(const QString& method, bool implemented);
    // What UnclearFailure leaves as the hash's record, and a lookup that answers INTERNAL.
    void setUnclearRecord(Payment::State state) { m_unclearRecord = state; }
    void setLookupBroken(bool broken) { m_lookupBroken = broken; }

    QHash<QByteArray, Payment> payments() const { return m_payments; }
    int paymentsMade(const QByteArray& paymentHash) const;
    QStringList violations() const { return m_violations; }
    // Decrypted {method, params} of every request answered or not, in order.
    QList<QJsonObject> requests() const { return m_requests; }
    // The scheme each request used ("nip44_v2" or "nip04"), in order.
    QStringList requestEncryptions() const { return m_requestEncryptions; }
    qint64 balanceMsat() const { return m_balanceMsat; }
    // Ends a payment still pending, as the wallet's node eventually does.
    void settle(const QByteArray& hash, bool succeed);
    static QString alias() { return QStringLiteral("fake-nwc"); }

private:
    void publishInfo();
    QStringList supportedMethods() const;
    void onEvent(const QJsonObject& event);
    bool responseSubscriptionOpen(const QString& requestId, const QString& clientHex) const;
    QJsonObject handle(const QString& method, const QJsonObject& params, const QString& replyTo,
                       const QString& clientHex, bool nip44, bool* answer);
    QJsonObject payInvoice(const QJsonObject& params, const QString& replyTo,
                           const QString& clientHex, bool nip44, bool* answer);
    QJsonObject lookupInvoice(const QJsonObject& params) const;
    void respond(const QString& requestId, const QString& clientHex, bool nip44,
                 const QJsonObject& body);
    static QJsonObject errorBody(const QString& method, const QString& code,
                                 const QString& message);

    FakeWebSocketRelay m_relay;
    QByteArray m_walletSecret;
    QByteArray m_walletPubkey;
    QByteArray m_clientSecret;
    QSet<QByteArray> m_authorizedClients; // x-only pubkeys
    QByteArray m_nodePubkey;              // 33 bytes, get_info's pubkey
    Encryption m_encryption = Encryption::Nip44AndNip04;
    PayBehaviour m_behaviour = PayBehaviour::Succeed;
    qint64 m_balanceMsat = 5'000'000'000;
    qint64 m_feeMsat = 2'000;
    std::chrono::milliseconds m_settleDelay{300};
    bool m_answering = true;
    bool m_lookupHasState = true;
    bool m_lookupBroken = false;
    Payment::State m_unclearRecord = Payment::State::Pending;
    QSet<QString> m_unimplemented;
    QHash<QByteArray, QByteArray> m_preimages; // hash -> preimage
    QHash<QByteArray, Payment> m_payments;
    QHash<QString, QJsonArray> m_openSubscriptions; // id -> filters (all clients)
    QStringList m_violations;
    QList<QJsonObject> m_requests;
    QStringList m_requestEncryptions;
};

} // namespace l402::test
