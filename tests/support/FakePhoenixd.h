#pragma once

#include "tests/support/FakeHttpServer.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

#include <chrono>

namespace l402::test {

// A faithful double of phoenixd's HTTP API (phoenixd 2026-05 on lightning-kmp 1.12: Api.kt,
// json/JsonSerializers.kt; lightning-kmp FinalFailure texts) on plain HTTP, as phoenixd
// listens on 127.0.0.1:9740 by default, reproducing what the phoenixd backend must handle:
// - HTTP Basic, any user name, the http-password; otherwise 401 with a plain-text body;
// - form bodies (application/x-www-form-urlencoded);
// - `POST /payinvoice` answers 200 either way: {recipientAmountSat, routingFeeSat (truncated
//   to sats), paymentId, paymentHash, paymentPreimage} or {paymentHash, reason};
//   "this invoice has already been paid" / "another payment is in progress for that
//   invoice" for a hash it already has; no fee limit exists;
// - `GET /payments/outgoingbyhash/{hash}`: {paymentHash, preimage (only when paid), isPaid,
//   sent, fees (msat), invoice, completedAt, createdAt}; isPaid is true only for a success
//   now, while older releases set it from completedAt, true for a failure too (the
//   IsPaidWhenCompleted quirk); 404 plain text when unknown;
// - `/getinfo` {nodeId, channels, chain, blockHeight, version}, no alias; `/getbalance`
//   {balanceSat, feeCreditSat} truncated to whole sats;
// - unexpected exceptions as HTTP 500 with the exception message as plain text.
class FakePhoenixd : public QObject {
    Q_OBJECT
public:
    enum class PayBehaviour {
        Succeed,         // PaymentSent with the preimage
        Fail,            // 200 PaymentFailed with a reason, no preimage
        ServerError,     // 500 plain text before anything was sent
        DropThenSucceed, // the answer is cut off mid-way; the payment then succeeds
        DropThenFail,    // the answer is cut off mid-way; the payment then fails
        Hang,            // never answers; the payment stays pending
        WrongPreimage,   // PaymentSent with a preimage that is not the hash's
        UnclearFailure,  // 200 with a reason while the hash's record is setUnclearRecord's
    };
    enum class Record { Pending, Paid, Failed };

    struct Payment {
        QByteArray preimage; // set once paid
        bool completed = false;
        qint64 amountMsat = 0;
        qint64 feeMsat = 0;
        QString invoice;
        qint64 createdAt = 0;
        qint64 completedAt = 0;
    };

    FakePhoenixd();
    bool start();

    QUrl url() const { return m_server.baseUrl(); }
    QByteArray password() const { return m_password; }
    FakeHttpServer& server() { return m_server; }

    void registerPreimage(const QByteArray& preimage);
    void setPayBehaviour(PayBehaviour behaviour) { m_behaviour = behaviour; }
    void setSettleDelay(std::chrono::milliseconds delay) { m_settleDelay = delay; }
    void setBalanceMsat(qint64 msat) { m_balanceMsat = msat; }
    void setFeeMsat(qint64 msat) { m_feeMsat = msat; }
    void setUnclearRecord(Record record) { m_unclearRecord = record; }
    // The lookup answers 500 (an exception inside phoenixd).
    void setLookupBroken(bool broken) { m_lookupBroken = broken; }
    // Older releases: isPaid = completedAt != null, true for a failed payment too.
    void setIsPaidWhenCompleted(bool old) { m_isPaidWhenCompleted = old; }

    int attempts(const QByteArray& paymentHash) const { return m_attempts.value(paymentHash); }
    QHash<QByteArray, Payment> payments() const { return m_payments; }
    QStringList violations() const { return m_violations; }
    // Ends a pending payment now, as the network would (it stays in flight until then).
    void settle(const QByteArray& hash, bool succeed);

private:
    bool authorized(const FakeRequest& request, FakeResponder& responder);
    void handlePay(const FakeRequest& request, FakeResponder& responder);
    void handleOutgoing(const FakeRequest& request, FakeResponder& responder);

    FakeHttpServer m_server;
    QByteArray m_password;
    QByteArray m_nodeId;
    PayBehaviour m_behaviour = PayBehaviour::Succeed;
    Record m_unclearRecord = Record::Failed;
    bool m_lookupBroken = false;
    bool m_isPaidWhenCompleted = false;
    std::chrono::milliseconds m_settleDelay{100};
    qint64 m_balanceMsat = 5'000'000'000;
    qint64 m_feeMsat = 3'210;
    QHash<QByteArray, QByteArray> m_preimages;
    QHash<QByteArray, Payment> m_payments;
    QHash<QByteArray, int> m_attempts;
    QStringList m_violations;
};

} // namespace l402::test
