#include "tests/support/FakeLnd.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Secp256k1.h"
#include "core/protocol/Bolt11.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <algorithm>

namespace l402::test {
namespace {

HttpHeaders jsonHeaders()
{
    return {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}};
}

QByteArray line(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
}

QJsonObject grpcError(int code, const QString& message)
{
    return QJsonObject{{QStringLiteral("code"), code},
                       {QStringLiteral("message"), message},
                       {QStringLiteral("details"), QJsonArray()}};
}

} // namespace

FakeLnd::FakeLnd()
{
    m_macaroon = crypto::randomBytes(80);
    m_pubkey = crypto::publicKeyFromPrivate(QByteArray(32, '\x21')).value();

    m_server.route(
        "GET", QStringLiteral("/v1/getinfo"),
        [this](const FakeRequest& request, FakeResponder& responder) {
            if (!authorized(request, responder)) {
                return;
            }
            responder.replyJson(
                200,
                QJsonDocument(QJsonObject{
                    {QStringLiteral("alias"), QStringLiteral("fake-lnd")},
                    {QStringLiteral("identity_pubkey"), QString::fromLatin1(m_pubkey.toHex())},
                    {QStringLiteral("num_active_channels"), 3},
                    {QStringLiteral("block_height"), 812345},
                    {QStringLiteral("synced_to_chain"), true},
                    {QStringLiteral("chains"),
                     QJsonArray{QJsonObject{{QStringLiteral("chain"), QStringLiteral("bitcoin")},
                                            {QStringLiteral("network"), m_networkName}}}},
                    {QStringLiteral("version"), QStringLiteral("0.18.0-beta")}}));
        });
    m_server.route(
        "GET", QStringLiteral("/v1/balance/channels"),
        [this](const FakeRequest& request, FakeResponder& responder) {
            if (!authorized(request, responder)) {
                return;
            }
            // int64 fields as strings, as LND's REST gateway writes them.
            responder.replyJson(
                200,
                QJsonDocument(QJsonObject{
                    {QStringLiteral("balance"), QString::number(m_balanceMsat / 1000)},
                    {QStringLiteral("local_balance"),
                     QJsonObject{{QStringLiteral("sat"), QString::number(m_balanceMsat / 1000)},
                                 {QStringLiteral("msat"), QString::number(m_balanceMsat)}}},
                    {QStringLiteral("remote_balance"),
                     QJsonObject{{QStringLiteral("sat"), QStringLiteral("0")},
                                 {QStringLiteral("msat"), QStringLiteral("0")}}}}));
        });
    m_server.route("POST", QStringLiteral("/v2/router/send"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (authorized(request, responder)) {
                           handleSend(request, responder);
                       }
                   });
    m_server.route("GET", QStringLiteral("/v2/router/track/*"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (authorized(request, responder)) {
                           handleTrack(request, responder);
                       }
                   });
}

bool FakeLnd::start()
{
    auto certificate = makeSelfSignedCertificate();
    if (!certificate) {
        return false;
    }
    m_certificate = certificate.value();
    return m_server.listenTls(m_certificate.certificate(), m_certificate.privateKey());
}

void FakeLnd::registerPreimage(const QByteArray& preimage)
{
    m_preimages.insert(crypto::sha256(preimage), preimage);
}

int FakeLnd::totalSendCalls() const
{
    int total = 0;
    for (const int calls : m_sendCalls) {
        total += calls;
    }
    return total;
}

bool FakeLnd::authorized(const FakeRequest& request, FakeResponder& responder)
{
    if (QByteArray::fromHex(request.header("Grpc-Metadata-macaroon")) == m_macaroon) {
        return true;
    }
    // LND answers a bad macaroon with HTTP 500 and gRPC code 2, not 401.
    responder.replyJson(
        500,
        QJsonDocument(grpcError(2, QStringLiteral("verification failed: signature "
                                                  "mismatch after caveat verification"))),
        jsonHeaders());
    return false;
}

QJsonObject FakeLnd::paymentJson(const QByteArray& hash, const Payment& payment) const
{
    QJsonObject json{
        {QStringLiteral("payment_hash"), QString::fromLatin1(hash.toHex())},
        {QStringLiteral("value_msat"), QString::number(payment.valueMsat)},
        {QStringLiteral("value_sat"), QString::number(payment.valueMsat / 1000)},
        {QStringLiteral("fee_msat"), QString::number(payment.feeMsat)},
        {QStringLiteral("fee_sat"), QString::number(payment.feeMsat / 1000)},
        {QStringLiteral("status"), payment.status},
        {QStringLiteral("creation_time_ns"), QStringLiteral("1700000000000000000")},
        {QStringLiteral("htlcs"), QJsonArray()},
        {QStringLiteral("payment_index"), QStringLiteral("7")},
        {QStringLiteral("failure_reason"), payment.failureReason.isEmpty()
                                               ? QStringLiteral("FAILURE_REASON_NONE")
                                               : payment.failureReason},
        // LND always sends the field; all zeroes until the payment succeeds.
        {QStringLiteral("payment_preimage"), payment.status == QLatin1String("SUCCEEDED")
                                                 ? QString::fromLatin1(payment.preimage.toHex())
                                                 : QString(64, QLatin1Char('0'))},
    };
    return json;
}

void FakeLnd::settle(const QByteArray& hash, bool succeed)
{
    Payment& payment = m_payments[hash];
    if (succeed) {
        payment.status = QStringLiteral("SUCCEEDED");
        payment.preimage = m_preimages.value(hash);
        payment.feeMsat = 1'234;
    } else {
        payment.status = QStringLiteral("FAILED");
        payment.failureReason = QStringLiteral("FAILURE_REASON_NO_ROUTE");
    }
    for (qsizetype i = m_trackWaiters.size() - 1; i >= 0; --i) {
        if (m_trackWaiters.at(i).first == hash) {
            FakeResponder waiter = m_trackWaiters.at(i).second;
            waiter.writeChunk(
                line(QJsonObject{{QStringLiteral("result"), paymentJson(hash, payment)}}));
            waiter.finishStream();
            m_trackWaiters.removeAt(i);
        }
    }
}

void FakeLnd::handleSend(const FakeRequest& request, FakeResponder& responder)
{
    const QJsonObject body = request.json().object();
    if (!body.contains(QStringLiteral("fee_limit_msat")) &&
        !body.contains(QStringLiteral("fee_limit_sat"))) {
        m_violations.append(QStringLiteral("send without a fee limit"));
    }
    if (!body.contains(QStringLiteral("timeout_seconds"))) {
        m_violations.append(QStringLiteral("send without timeout_seconds"));
    }
    auto invoice =
        protocol::decodeInvoice(body.value(QStringLiteral("payment_request")).toString());
    if (!invoice) {
        responder.replyJson(400,
                            QJsonDocument(grpcError(3, QStringLiteral("invalid payment request"))),
                            jsonHeaders());
        return;
    }
    const QByteArray hash = invoice->paymentHash;
    m_sendCalls[hash] += 1;
    if (m_payments.contains(hash)) {
        const Payment& existing = m_payments.value(hash);
        if (existing.status != QLatin1String("FAILED")) {
            const QString message = existing.status == QLatin1String("SUCCEEDED")
                                        ? QStringLiteral("invoice is already paid")
                                        : QStringLiteral("payment is in transition");
            responder.replyJson(409, QJsonDocument(grpcError(6, message)), jsonHeaders());
            return;
        }
    }
    Payment payment;
    payment.valueMsat = static_cast<qint64>(invoice->amountMsat.value_or(0));
    const auto streamHeaders = jsonHeaders();
    switch (m_behaviour) {
    case PayBehaviour::ErrorLine:
        responder.startStream(200, streamHeaders);
        responder.writeChunk(line(QJsonObject{
            {QStringLiteral("error"),
             grpcError(2, QStringLiteral(
                              "invoice expired. Valid until 2023-11-14 22:13:20 +0000 UTC"))}}));
        responder.finishStream();
        return;
    case PayBehaviour::Succeed:
    case PayBehaviour::Fail:
    case PayBehaviour::WrongPreimage: {
        m_payments.insert(hash, payment);
        settle(hash, m_behaviour != PayBehaviour::Fail);
        Payment& settled = m_payments[hash];
        if (m_behaviour == PayBehaviour::WrongPreimage) {
            settled.preimage = QByteArray(32, '\x66');
        }
        responder.startStream(200, streamHeaders);
        responder.writeChunk(
            line(QJsonObject{{QStringLiteral("result"), paymentJson(hash, settled)}}));
        responder.finishStream();
        return;
    }
    case PayBehaviour::DropThenSucceed:
    case PayBehaviour::DropThenFail: {
        m_payments.insert(hash, payment);
        responder.startStream(200, streamHeaders);
        responder.closeAbruptly();
        const bool succeed = m_behaviour == PayBehaviour::DropThenSucceed;
        QTimer::singleShot(m_settleDelay, this, [this, hash, succeed] { settle(hash, succeed); });
        return;
    }
    case PayBehaviour::Hang:
        m_payments.insert(hash, payment);
        responder.neverAnswer();
        return;
    case PayBehaviour::Refuse:
    case PayBehaviour::UnclearFailure:
        // The RPC returned an error before its first message: the same path as the 409
        // above, the gateway's HTTP status from the gRPC code (Unknown: 500) and the bare
        // Status as the body.
        if (m_behaviour == PayBehaviour::UnclearFailure) {
            m_payments.insert(hash, payment);
            if (m_unclearRecord != QLatin1String("IN_FLIGHT")) {
                settle(hash, m_unclearRecord == QLatin1String("SUCCEEDED"));
            }
        }
        responder.replyJson(
            500,
            QJsonDocument(grpcError(
                2, QStringLiteral("invoice expired. Valid until 2023-11-14 22:13:20 +0000 UTC"))),
            jsonHeaders());
        return;
    }
}

int FakeLnd::openTrackStreams() const
{
    return static_cast<int>(
        std::count_if(m_trackWaiters.cbegin(), m_trackWaiters.cend(),
                      [](const auto& waiter) { return waiter.second.isConnected(); }));
}

void FakeLnd::handleTrack(const FakeRequest& request, FakeResponder& responder)
{
    // The path segment is base64url of the hash bytes *with* padding ('='), which
    // grpc-gateway requires for a bytes path parameter; anything else is a 400.
    const QString encoded = request.path.mid(QStringLiteral("/v2/router/track/").size());
    const auto decoded = QByteArray::fromBase64Encoding(
        encoded.toLatin1(),
        QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != 32 || !encoded.endsWith(QLatin1Char('='))) {
        responder.replyJson(
            400,
            QJsonDocument(grpcError(3, QStringLiteral("type mismatch, parameter: payment_hash"))),
            jsonHeaders());
        return;
    }
    const QByteArray hash = decoded.decoded;
    if (m_trackBroken) {
        responder.replyJson(500, QJsonDocument(grpcError(2, QStringLiteral("database is locked"))),
                            jsonHeaders());
        return;
    }
    if (!m_payments.contains(hash)) {
        responder.replyJson(404,
                            QJsonDocument(grpcError(5, QStringLiteral("payment isn't initiated"))),
                            jsonHeaders());
        return;
    }
    const Payment payment = m_payments.value(hash);
    const bool waitForFinal = request.query.queryItemValue(QStringLiteral("no_inflight_updates")) ==
                              QLatin1String("true");
    responder.startStream(200, jsonHeaders());
    if (payment.status == QLatin1String("IN_FLIGHT") && waitForFinal) {
        m_trackWaiters.append({hash, responder});
        return;
    }
    responder.writeChunk(line(QJsonObject{{QStringLiteral("result"), paymentJson(hash, payment)}}));
    if (payment.status == QLatin1String("IN_FLIGHT")) {
        m_trackWaiters.append({hash, responder}); // a live stream: updates follow
        return;
    }
    responder.finishStream();
}

} // namespace l402::test
