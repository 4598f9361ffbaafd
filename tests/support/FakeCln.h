#pragma once

#include "tests/support/FakeHttpServer.h"
#include "tests/support/TestCertificates.h"

#include <QHash>
#include <QJsonObject>
#include <QStringList>

#include <chrono>

namespace l402::test {

// A faithful double of Core Lightning v26.06's clnrest plugin over real HTTPS, presenting a
// leaf certificate signed by its own CA (clnrest's server.pem + ca.pem), reproducing what the
// CLN backend must handle (plugins/rest-plugin handlers.rs / shared.rs, plugins/xpay/xpay.c,
// common/jsonrpc_errors.h, doc/schemas). By default `pay` is handled by xpay, as in every
// release since xpay-handle-pay became the default (v25.02): see Plugin for the two modes.
// - `POST /v1/<method>` with JSON params, the rune in a `Rune` header, success HTTP 201;
// - no rune: 403 {"code": 1501, "message": "Not authorized: Missing rune"}; a rune the node
//   did not issue: 401 {"code": 1501, "message": "Not authorized: Not derived from master"};
// - RPC errors as HTTP 500 with the JSON-RPC error object; unknown methods 404 (-32601);
// - pay requires `maxfee` (msat) and `retry_for`, refuses maxfee together with maxfeepercent
//   or exemptfee (-32602), answers a completed hash again with its old preimage, a pending
//   one with 200 PAY_IN_PROGRESS; failures 205 (no route) (the old pay plugin); under xpay
//   a completed hash again with the success object, a pending one with -3 "Unexpected
//   injectpaymentonion error 200: ...", failures after attempts and timeouts with 209, and
//   203 or 205 while other parts may still be out;
// - listpays {payment_hash} lists attempts ("pays": [] when none);
// - listfunds lists channels; only CHANNELD_NORMAL ones are spendable (a closing channel with
//   funds is always listed too).
class FakeCln : public QObject {
    Q_OBJECT
public:
    enum class PayBehaviour {
        Succeed,         // 201 complete with the preimage
        Fail,            // 500 {code 205}, the attempt recorded as failed
        NoRpc,           // 500 with no code (lightningd unreachable behind clnrest): nothing sent
        DropThenSucceed, // starts, the answer is cut off mid-way, the payment then completes
        DropThenFail,    // starts, the answer is cut off mid-way, the payment then fails
        Hang,            // starts and never answers
        WrongPreimage,   // 201 complete with a preimage that is not the hash's
        UnclearFailure,  // a failure code while the hash's record is setUnclearRecord's
    };

    // Which plugin answers `pay`.
    enum class Plugin {
        Xpay,      // xpay-handle-pay (default since v25.02): xpay's codes and answers
        LegacyPay, // the old pay plugin (xpay-handle-pay=false)
    };
    // The record a failure answer leaves behind it (PayBehaviour::UnclearFailure).
    enum class Record { Pending, Complete, Failed };

    struct Payment {
        QString status = QStringLiteral("pending"); // pending, complete, failed
        QByteArray preimage;
        qint64 amountMsat = 0;
        qint64 feeMsat = 0;
        QString bolt11;
    };

    FakeCln();
    bool start();

    QUrl url() const { return m_server.baseUrl(); }
    QSslCertificate authority() const { return m_chain.authority.certificate(); }
    QByteArray rune() const { return m_rune; }
    FakeHttpServer& server() { return m_server; }

    void registerPreimage(const QByteArray& preimage);
    void setPayBehaviour(PayBehaviour behaviour) { m_behaviour = behaviour; }
    void setPlugin(Plugin plugin) { m_plugin = plugin; }
    void setUnclearRecord(Record record) { m_unclearRecord = record; }
    // listpays answers an RPC error (lightningd busy or unreachable behind clnrest).
    void setListpaysBroken(bool broken) { m_listpaysBroken = broken; }
    void setSettleDelay(std::chrono::milliseconds delay) { m_settleDelay = delay; }
    void setBalanceMsat(qint64 msat) { m_balanceMsat = msat; }
    void setFeeMsat(qint64 msat) { m_feeMsat = msat; }

    // Payment attempts the node started for a hash (a repeated pay of a completed hash is
    // answered from the record and starts nothing).
    int attempts(const QByteArray& paymentHash) const { return m_attempts.value(paymentHash); }
    QHash<QByteArray, Payment> payments() const { return m_payments; }
    QStringList violations() const { return m_violations; }
    // Ends a pending payment now, as the network would (it stays in flight until then).
    void settle(const QByteArray& hash, bool succeed);

private:
    bool authorized(const FakeRequest& request, FakeResponder& responder);
    void handlePay(const FakeRequest& request, FakeResponder& responder);
    void handleListpays(const FakeRequest& request, FakeResponder& responder);
    QJsonObject payJson(const QByteArray& hash, const Payment& payment) const;
    void replyError(FakeResponder& responder, int status, int code, const QString& message,
                    const QJsonObject& data = {});

    FakeHttpServer m_server;
    CertificateChain m_chain;
    QByteArray m_rune;
    QByteArray m_nodeId;
    PayBehaviour m_behaviour = PayBehaviour::Succeed;
    Plugin m_plugin = Plugin::Xpay;
    Record m_unclearRecord = Record::Failed;
    bool m_listpaysBroken = false;
    std::chrono::milliseconds m_settleDelay{100};
    qint64 m_balanceMsat = 5'000'000'000;
    qint64 m_feeMsat = 1'501;
    QHash<QByteArray, QByteArray> m_preimages;
    QHash<QByteArray, Payment> m_payments;
    QHash<QByteArray, int> m_attempts;
    QStringList m_violations;
};

} // namespace l402::test
