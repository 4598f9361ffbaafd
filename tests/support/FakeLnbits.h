#pragma once

#include "tests/support/FakeHttpServer.h"
#include "tests/support/TestCertificates.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

#include <chrono>

namespace l402::test {

// A faithful double of an LNbits v1.5.2 wallet's REST API (lnbits/decorators.py,
// core/views/payment_api.py, wallet_api.py, services/payments.py, exceptions.py), over plain
// HTTP (a LAN install) or HTTPS (a certificate the client must trust), reproducing what the
// LNbits backend must handle:
// - `X-Api-Key`: none is 401, a key no wallet has is 404 "Wallet not found.", the invoice key
//   where the admin key is needed 403;
// - `POST /api/v1/payments {"out": true, "bolt11"}` answers 201 with the Payment: status
//   "success", or "pending" when the funding source is slow (it settles later);
// - the order of pay's checks: wallet limits, then the balance (which already counts
//   pending outgoing payments: "Insufficient balance.") and the fee reserve ("You must
//   reserve at least (N sat) to cover potential routing fees."), and only then the existing
//   payment of the hash; so a repeat of a hash in flight or paid, on a wallet the first
//   attempt emptied, fails as a balance error (ChecksBalanceFirst; older releases looked at
//   the hash first, the other mode);
// - failures as HTTP 520 {"detail", "status": "failed"}; a hash it already has as 520
//   {"detail": "Payment already paid.", "status": "success"} or {"detail": "Payment is still
//   pending.", "status": "pending"}; unexpected exceptions as 500 {"detail"};
// - fees and amounts of outgoing payments are negative msat;
// - `GET /api/v1/payments/{hash}`: {"paid": true, "preimage", "details"}, {"paid": false,
//   "status": "failed"|"pending", "details"}; without a valid key, the same minus details;
//   404 {"detail": "Payment does not exist."};
// - `GET /api/v1/wallet`: {"id", "name", "balance"} with the balance in msat.
class FakeLnbits : public QObject {
    Q_OBJECT
public:
    enum class PayBehaviour {
        Succeed,            // 201 status "success" with the preimage
        PendingThenSucceed, // 201 status "pending"; settles as success after the settle delay
        Fail,               // 520 {"status": "failed"}
        ServerError,        // 500 {"detail"} from an unexpected exception, nothing recorded
        DropThenSucceed,    // the 201 is cut off mid-way; the payment then succeeds
        DropThenFail,       // the 201 is cut off mid-way; the payment then fails
        Hang,               // never answers; the payment stays pending
        WrongPreimage,      // 201 "success" with a preimage that is not the hash's
        UnclearFailure,     // 520 "Insufficient balance." while the hash's record is
                            // setUnclearRecord's (a repeat on an emptied wallet)
    };

    struct Payment {
        QString status = QStringLiteral("pending"); // pending, success, failed
        QByteArray preimage;
        qint64 amountMsat = 0;
        qint64 feeMsat = 0;
        QString bolt11;
    };

    FakeLnbits();
    bool start();    // plain HTTP
    bool startTls(); // HTTPS with a self-signed certificate

    QUrl url() const { return m_server.baseUrl(); }
    QSslCertificate certificate() const { return m_certificate.certificate(); }
    QByteArray adminKey() const { return m_adminKey; }
    QByteArray invoiceKey() const { return m_invoiceKey; }
    FakeHttpServer& server() { return m_server; }

    void registerPreimage(const QByteArray& preimage);
    void setPayBehaviour(PayBehaviour behaviour) { m_behaviour = behaviour; }
    void setSettleDelay(std::chrono::milliseconds delay) { m_settleDelay = delay; }
    void setBalanceMsat(qint64 msat) { m_balanceMsat = msat; }
    void setFeeMsat(qint64 msat) { m_feeMsat = msat; }
    // The record UnclearFailure leaves: "pending", "success" or "failed".
    void setUnclearRecord(const QString& status) { m_unclearRecord = status; }
    // GET /api/v1/payments/{hash} answers 500 (the funding source's status check raised).
    void setStatusBroken(bool broken) { m_statusBroken = broken; }
    // v1.5.2 checks the balance before it looks for the hash; false: the older order.
    void setChecksBalanceFirst(bool first) { m_checksBalanceFirst = first; }
    // What pay may still spend: the balance less pending outgoing payments and their
    // reserves (services/payments.py), as LNbits computes it.
    qint64 availableMsat() const;

    int attempts(const QByteArray& paymentHash) const { return m_attempts.value(paymentHash); }
    QHash<QByteArray, Payment> payments() const { return m_payments; }
    QStringList violations() const { return m_violations; }
    // Ends a pending payment now, as the network would (it stays in flight until then).
    void settle(const QByteArray& hash, bool succeed);

private:
    enum class KeyType { None, Unknown, Invoice, Admin };
    static qint64 feeReserveMsat(qint64 amountMsat);
    // The balance and fee reserve checks; false after answering the refusal.
    bool balanceCovers(qint64 amountMsat, FakeResponder& responder);
    // Answers a hash LNbits already has; false when it has none (or only a failed one).
    bool answerExisting(const QByteArray& hash, FakeResponder& responder);
    KeyType keyType(const FakeRequest& request) const;
    // Answers 401 or 404 for a missing or unknown key; true for a wallet's key.
    bool authorized(KeyType key, FakeResponder& responder) const;
    void handlePay(const FakeRequest& request, FakeResponder& responder);
    void handleStatus(const FakeRequest& request, FakeResponder& responder);
    QJsonObject paymentJson(const QByteArray& hash, const Payment& payment) const;

    FakeHttpServer m_server;
    GeneratedCertificate m_certificate;
    QByteArray m_adminKey;
    QByteArray m_invoiceKey;
    QString m_walletId;
    PayBehaviour m_behaviour = PayBehaviour::Succeed;
    QString m_unclearRecord = QStringLiteral("failed");
    bool m_statusBroken = false;
    bool m_checksBalanceFirst = true;
    std::chrono::milliseconds m_settleDelay{100};
    qint64 m_balanceMsat = 5'000'000'000;
    qint64 m_feeMsat = 2'345;
    QHash<QByteArray, QByteArray> m_preimages;
    QHash<QByteArray, Payment> m_payments;
    QHash<QByteArray, int> m_attempts;
    QStringList m_violations;
};

} // namespace l402::test
