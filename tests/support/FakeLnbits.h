#pragma once

#include "tests/support/FakeHttpServer.h"
#include "tests/support/TestCertificates.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

#include <chrono>

namespace l402::test {

// A faithful double of an LNbits wallet's REST API (lnbits/core/views/payment_api.py,
// wallet_api.py, services/payments.py, exceptions.py), over plain HTTP (a LAN install) or
// HTTPS (a certificate the client must trust), reproducing what the LNbits backend must
// handle:
// - `X-Api-Key`: the admin key may pay, the invoice key may not (401 "Invoice (or Admin) key
//   required."); an unknown key is 401;
// - `POST /api/v1/payments {"out": true, "bolt11"}` answers 201 with the Payment: status
//   "success", or "pending" when the funding source is slow (it settles later);
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

    int attempts(const QByteArray& paymentHash) const { return m_attempts.value(paymentHash); }
    QHash<QByteArray, Payment> payments() const { return m_payments; }
    QStringList violations() const { return m_violations; }
    // Ends a pending payment now, as the network would (it stays in flight until then).
    void settle(const QByteArray& hash, bool succeed);

private:
    enum class KeyType { None, Invoice, Admin };
    KeyType keyType(const FakeRequest& request) const;
    void handlePay(const FakeRequest& request, FakeResponder& responder);
    void handleStatus(const FakeRequest& request, FakeResponder& responder);
    QJsonObject paymentJson(const QByteArray& hash, const Payment& payment) const;

    FakeHttpServer m_server;
    GeneratedCertificate m_certificate;
    QByteArray m_adminKey;
    QByteArray m_invoiceKey;
    QString m_walletId;
    PayBehaviour m_behaviour = PayBehaviour::Succeed;
    std::chrono::milliseconds m_settleDelay{100};
    qint64 m_balanceMsat = 5'000'000'000;
    qint64 m_feeMsat = 2'345;
    QHash<QByteArray, QByteArray> m_preimages;
    QHash<QByteArray, Payment> m_payments;
    QHash<QByteArray, int> m_attempts;
    QStringList m_violations;
};

} // namespace l402::test
