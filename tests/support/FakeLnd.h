#pragma once

#include "tests/support/FakeHttpServer.h"
#include "tests/support/TestCertificates.h"

#include <QHash>
#include <QJsonObject>

#include <chrono>

namespace l402::test {

// A faithful double of LND's REST gateway (lnd master 2026-08, grpc-gateway v2; router
// endpoints as since v0.17) over real HTTPS with a self-signed certificate, reproducing the
// quirks the LND backend must handle: NDJSON streams of {"result": Payment} with int64 as
// strings, a final {"error"} line on HTTP 200, 409 (gRPC AlreadyExists) for a hash it already
// has, SendPaymentV2's refusals before any HTLC (expired invoice, self-payment, decoding) as
// HTTP 500 {"error": {"code": 2, ...}} (gRPC Unknown), 404 "payment isn't initiated" on track,
// a track stream that stays open after its first line while the payment is in flight, HTTP
// 500 "verification failed" for a bad macaroon, track paths taking base64url with padding, and
// getinfo naming the chain's network as lnd does ("testnet4" among them).
class FakeLnd : public QObject {
    Q_OBJECT
public:
    // What the next /v2/router/send does.
    enum class PayBehaviour {
        Succeed,         // one final SUCCEEDED line
        Fail,            // one final FAILED line (FAILURE_REASON_NO_ROUTE)
        ErrorLine,       // HTTP 200 with a final {"error": ...} line, payment never started
        DropThenSucceed, // starts, connection drops, the payment settles a moment later
        DropThenFail,    // starts, connection drops, the payment fails a moment later
        Hang,            // accepts and never answers; the payment stays in flight
        WrongPreimage,   // reports SUCCEEDED with a preimage that is not the hash's
        Refuse,          // HTTP 500 gRPC Unknown "invoice expired", nothing started
        UnclearFailure,  // HTTP 500 gRPC Unknown while the hash's record is setUnclearRecord's
    };

    struct Payment {
        QString status = QStringLiteral("IN_FLIGHT"); // IN_FLIGHT, SUCCEEDED, FAILED
        QByteArray preimage;
        qint64 valueMsat = 0;
        qint64 feeMsat = 0;
        QString failureReason;
    };

    FakeLnd();
    bool start();

    QUrl url() const { return m_server.baseUrl(); }
    QSslCertificate certificate() const { return m_certificate.certificate(); }
    QByteArray macaroon() const { return m_macaroon; }
    FakeHttpServer& server() { return m_server; }

    // The node knows the preimage of invoices it is asked to pay through this map (a real
    // node learns it from the payee).
    void registerPreimage(const QByteArray& preimage);
    void setPayBehaviour(PayBehaviour behaviour) { m_behaviour = behaviour; }
    void setSettleDelay(std::chrono::milliseconds delay) { m_settleDelay = delay; }
    void setBalanceMsat(qint64 msat) { m_balanceMsat = msat; }
    // The record UnclearFailure leaves: IN_FLIGHT, SUCCEEDED or FAILED.
    void setUnclearRecord(const QString& status) { m_unclearRecord = status; }
    // Track answers 500 (the router subserver not ready, a database error).
    void setTrackBroken(bool broken) { m_trackBroken = broken; }
    // getinfo's chains[0].network: "regtest", "testnet", "testnet4", "mainnet", ...
    void setNetworkName(const QString& name) { m_networkName = name; }
    // Track streams a client still holds open.
    int openTrackStreams() const;

    int sendCalls(const QByteArray& paymentHash) const { return m_sendCalls.value(paymentHash); }
    int totalSendCalls() const;
    QHash<QByteArray, Payment> payments() const { return m_payments; }
    // Every violation of how a client must call LND (missing fee limit, timeout...).
    QStringList violations() const { return m_violations; }
    // Ends a payment still in flight, as the network eventually does.
    void settle(const QByteArray& hash, bool succeed);

private:
    bool authorized(const FakeRequest& request, FakeResponder& responder);
    void handleSend(const FakeRequest& request, FakeResponder& responder);
    void handleTrack(const FakeRequest& request, FakeResponder& responder);
    QJsonObject paymentJson(const QByteArray& hash, const Payment& payment) const;

    FakeHttpServer m_server;
    GeneratedCertificate m_certificate;
    QByteArray m_macaroon;
    QByteArray m_pubkey;
    PayBehaviour m_behaviour = PayBehaviour::Succeed;
    QString m_unclearRecord = QStringLiteral("FAILED");
    bool m_trackBroken = false;
    QString m_networkName = QStringLiteral("regtest");
    std::chrono::milliseconds m_settleDelay{100};
    qint64 m_balanceMsat = 5'000'000'000;
    QHash<QByteArray, QByteArray> m_preimages; // hash -> preimage
    QHash<QByteArray, Payment> m_payments;
    QHash<QByteArray, int> m_sendCalls;
    QList<std::pair<QByteArray, FakeResponder>> m_trackWaiters;
    QStringList m_violations;
};

} // namespace l402::test
