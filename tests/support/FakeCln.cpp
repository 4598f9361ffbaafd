#include "tests/support/FakeCln.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Secp256k1.h"
#include "core/protocol/Bolt11.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace l402::test {
namespace {

HttpHeaders jsonHeaders()
{
    return {{QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")}};
}

QString hex(const QByteArray& bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

} // namespace

FakeCln::FakeCln()
{
    // A rune is base64url of a 32-byte authcode plus restrictions.
    m_rune = crypto::randomBytes(32).toBase64(QByteArray::Base64UrlEncoding) +
             QByteArrayLiteral("PTAmbWV0aG9kXnBheXxtZXRob2RebGlzdA==");
    m_nodeId = crypto::publicKeyFromPrivate(QByteArray(32, '\x31')).value();

    m_server.route(
        "POST", QStringLiteral("/v1/getinfo"),
        [this](const FakeRequest& request, FakeResponder& responder) {
            if (!authorized(request, responder)) {
                return;
            }
            responder.replyJson(
                201,
                QJsonDocument(QJsonObject{
                    {QStringLiteral("id"), hex(m_nodeId)},
                    {QStringLiteral("alias"), QStringLiteral("fake-cln")},
                    {QStringLiteral("color"), QStringLiteral("023456")},
                    {QStringLiteral("num_peers"), 2},
                    {QStringLiteral("num_pending_channels"), 0},
                    {QStringLiteral("num_active_channels"), 2},
                    {QStringLiteral("num_inactive_channels"), 1},
                    {QStringLiteral("address"), QJsonArray()},
                    {QStringLiteral("binding"), QJsonArray()},
                    {QStringLiteral("version"), QStringLiteral("v26.06")},
                    {QStringLiteral("blockheight"), 812345},
                    {QStringLiteral("network"), QStringLiteral("regtest")},
                    {QStringLiteral("fees_collected_msat"), 0},
                    {QStringLiteral("lightning-dir"), QStringLiteral("/root/.lightning/regtest")},
                    // BOLT 9 feature bits as hex, per context (getinfo.json).
                    {QStringLiteral("our_features"),
                     QJsonObject{{QStringLiteral("init"), QStringLiteral("08a0882a0a69a2")},
                                 {QStringLiteral("node"), QStringLiteral("88a0882a0a69a2")},
                                 {QStringLiteral("channel"), QString()},
                                 {QStringLiteral("invoice"), QStringLiteral("02000002024100")}}}}),
                jsonHeaders());
        });
    m_server.route(
        "POST", QStringLiteral("/v1/listfunds"),
        [this](const FakeRequest& request, FakeResponder& responder) {
            if (!authorized(request, responder)) {
                return;
            }
            // The balance spread over two normal channels, plus a closing one whose funds are
            // not spendable and must not count.
            const qint64 first = m_balanceMsat / 3;
            auto channel = [](const QString& state, qint64 ours, int index) {
                return QJsonObject{
                    {QStringLiteral("peer_id"),
                     QString(QStringLiteral("02") + QString(64, QLatin1Char(char('a' + index))))},
                    {QStringLiteral("connected"), state == QLatin1String("CHANNELD_NORMAL")},
                    {QStringLiteral("state"), state},
                    {QStringLiteral("channel_id"), QString(64, QLatin1Char(char('0' + index)))},
                    {QStringLiteral("short_channel_id"), QStringLiteral("%1x1x0").arg(100 + index)},
                    {QStringLiteral("our_amount_msat"), ours},
                    {QStringLiteral("amount_msat"), qint64(10'000'000'000)},
                    {QStringLiteral("funding_txid"), QString(64, QLatin1Char(char('1' + index)))},
                    {QStringLiteral("funding_output"), index}};
            };
            responder.replyJson(
                201,
                QJsonDocument(QJsonObject{
                    {QStringLiteral("outputs"),
                     QJsonArray{QJsonObject{
                         {QStringLiteral("txid"), QString(64, QLatin1Char('f'))},
                         {QStringLiteral("output"), 0},
                         {QStringLiteral("amount_msat"), qint64(2'000'000'000)},
                         {QStringLiteral("scriptpubkey"),
                          QString(QStringLiteral("0014") + QString(40, QLatin1Char('e')))},
                         {QStringLiteral("status"), QStringLiteral("confirmed")},
                         {QStringLiteral("blockheight"), 111},
                         {QStringLiteral("reserved"), false}}}},
                    {QStringLiteral("channels"),
                     QJsonArray{
                         channel(QStringLiteral("CHANNELD_NORMAL"), first, 1),
                         channel(QStringLiteral("CLOSINGD_COMPLETE"), 500'000'000, 2),
                         channel(QStringLiteral("CHANNELD_NORMAL"), m_balanceMsat - first, 3)}}}),
                jsonHeaders());
        });
    m_server.route("POST", QStringLiteral("/v1/pay"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (authorized(request, responder)) {
                           handlePay(request, responder);
                       }
                   });
    m_server.route("POST", QStringLiteral("/v1/listpays"),
                   [this](const FakeRequest& request, FakeResponder& responder) {
                       if (authorized(request, responder)) {
                           handleListpays(request, responder);
                       }
                   });
    // Any other method: lightningd's "Unknown command", which clnrest maps to 404.
    m_server.setFallback([this](const FakeRequest& request, FakeResponder& responder) {
        if (!authorized(request, responder)) {
            return;
        }
        replyError(
            responder, 404, -32601,
            QStringLiteral("Unknown command '%1'").arg(request.path.section(QLatin1Char('/'), -1)));
    });
}

bool FakeCln::start()
{
    auto chain = makeCertificateChain();
    if (!chain) {
        return false;
    }
    m_chain = chain.value();
    // server.pem is presented with ca.pem behind it, as clnrest does.
    return m_server.listenTls(m_chain.leaf.certificate(), m_chain.leaf.privateKey(),
                              {m_chain.authority.certificate()});
}

void FakeCln::registerPreimage(const QByteArray& preimage)
{
    m_preimages.insert(crypto::sha256(preimage), preimage);
}

void FakeCln::replyError(FakeResponder& responder, int status, int code, const QString& message,
                         const QJsonObject& data)
{
    QJsonObject error{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}};
    if (!data.isEmpty()) {
        error.insert(QStringLiteral("data"), data);
    }
    responder.replyJson(status, QJsonDocument(error), jsonHeaders());
}

bool FakeCln::authorized(const FakeRequest& request, FakeResponder& responder)
{
    if (!request.hasHeader("Rune")) {
        replyError(responder, 403, 1501, QStringLiteral("Not authorized: Missing rune"));
        return false;
    }
    if (request.header("Rune") != m_rune) {
        // checkrune fails: clnrest's AppError::Unauthorized.
        replyError(responder, 401, 1501, QStringLiteral("Not authorized: Not derived from master"));
        return false;
    }
    return true;
}

QJsonObject FakeCln::payJson(const QByteArray& hash, const Payment& payment) const
{
    if (m_plugin == Plugin::Xpay) {
        // xpay.json's response: no status, the preimage is the success.
        return QJsonObject{
            {QStringLiteral("payment_preimage"), hex(payment.preimage)},
            {QStringLiteral("failed_parts"), 0},
            {QStringLiteral("successful_parts"), 1},
            {QStringLiteral("amount_msat"), payment.amountMsat},
            {QStringLiteral("amount_sent_msat"), payment.amountMsat + payment.feeMsat},
        };
    }
    return QJsonObject{
        {QStringLiteral("destination"),
         QString(QStringLiteral("03") + QString(64, QLatin1Char('c')))},
        {QStringLiteral("payment_hash"), hex(hash)},
        {QStringLiteral("created_at"), double(QDateTime::currentSecsSinceEpoch())},
        {QStringLiteral("parts"), 1},
        {QStringLiteral("amount_msat"), payment.amountMsat},
        {QStringLiteral("amount_sent_msat"), payment.amountMsat + payment.feeMsat},
        {QStringLiteral("payment_preimage"), hex(payment.preimage)},
        {QStringLiteral("status"), payment.status},
    };
}

void FakeCln::settle(const QByteArray& hash, bool succeed)
{
    Payment& payment = m_payments[hash];
    if (succeed) {
        payment.status = QStringLiteral("complete");
        payment.preimage = m_preimages.value(hash);
        payment.feeMsat = m_feeMsat;
    } else {
        payment.status = QStringLiteral("failed");
    }
}

void FakeCln::handlePay(const FakeRequest& request, FakeResponder& responder)
{
    const QJsonObject params = request.json().object();
    if (!params.contains(QStringLiteral("maxfee"))) {
        m_violations.append(QStringLiteral("pay without maxfee"));
    } else if (!params.value(QStringLiteral("maxfee")).isDouble() &&
               !params.value(QStringLiteral("maxfee")).isString()) {
        m_violations.append(QStringLiteral("pay with a maxfee that is not an msat amount"));
    }
    if (!params.contains(QStringLiteral("retry_for"))) {
        m_violations.append(QStringLiteral("pay without retry_for"));
    }
    if (params.contains(QStringLiteral("maxfee")) &&
        (params.contains(QStringLiteral("maxfeepercent")) ||
         params.contains(QStringLiteral("exemptfee")))) {
        // pay.json: "if you specify maxfee you cannot specify either of those".
        replyError(responder, 500, -32602,
                   QStringLiteral("Cannot specify both maxfee and maxfeepercent/exemptfee"));
        return;
    }
    auto invoice = protocol::decodeInvoice(params.value(QStringLiteral("bolt11")).toString());
    if (!invoice) {
        replyError(responder, 500, -32602,
                   QStringLiteral("bolt11: Invalid bolt11: %1").arg(invoice.error().message));
        return;
    }
    if (invoice->amountMsat && params.contains(QStringLiteral("amount_msat"))) {
        replyError(responder, 500, -32602, QStringLiteral("amount_msat parameter unnecessary"));
        return;
    }
    const QByteArray hash = invoice->paymentHash;
    const bool xpay = m_plugin == Plugin::Xpay;
    if (m_payments.contains(hash)) {
        const Payment existing = m_payments.value(hash);
        if (existing.status == QLatin1String("complete")) {
            // pay: "Once a payment has succeeded, calls to pay with the same bolt11 will
            // succeed immediately."; xpay answers with its success object the same way.
            responder.replyJson(201, QJsonDocument(payJson(hash, existing)), jsonHeaders());
            return;
        }
        if (existing.status == QLatin1String("pending")) {
            if (xpay) {
                // xpay injects the onion, lightningd refuses it with 200 (PAY_IN_PROGRESS),
                // and xpay passes that on as a plugin error.
                replyError(responder, 500, -3,
                           QStringLiteral("Unexpected injectpaymentonion error 200: Payment is "
                                          "pending by some other request."));
            } else {
                replyError(responder, 500, 200,
                           QStringLiteral("Payment is pending by some other request."));
            }
            return;
        }
        // A failed attempt may be retried: pay starts a new attempt group.
    }
    if (m_behaviour == PayBehaviour::NoRpc) {
        // clnrest could not reach lightningd: cln_rpc's error has no code.
        responder.replyJson(
            500,
            QJsonDocument(QJsonObject{
                {QStringLiteral("message"), QStringLiteral("Connection refused (os error 111)")}}),
            jsonHeaders());
        return;
    }
    Payment payment;
    payment.amountMsat = static_cast<qint64>(invoice->amountMsat.value_or(0));
    payment.bolt11 = params.value(QStringLiteral("bolt11")).toString();
    m_payments.insert(hash, payment);
    m_attempts[hash] += 1;
    switch (m_behaviour) {
    case PayBehaviour::Succeed:
    case PayBehaviour::WrongPreimage: {
        settle(hash, true);
        Payment answered = m_payments.value(hash);
        if (m_behaviour == PayBehaviour::WrongPreimage) {
            answered.preimage = QByteArray(32, '\x66');
        }
        responder.replyJson(201, QJsonDocument(payJson(hash, answered)), jsonHeaders());
        return;
    }
    case PayBehaviour::Fail:
        settle(hash, false);
        if (xpay) {
            replyError(responder, 500, 209,
                       QStringLiteral("Failed after 3 attempts. We got temporary_channel_failure "
                                      "for the last one, error message was not parsable"));
        } else {
            replyError(responder, 500, 205,
                       QStringLiteral("Ran out of routes to try after 3 attempts: see "
                                      "`paystatus`"),
                       QJsonObject{{QStringLiteral("getroute_tries"), 3},
                                   {QStringLiteral("sendpay_tries"), 0},
                                   {QStringLiteral("failures"), QJsonArray()}});
        }
        return;
    case PayBehaviour::UnclearFailure:
        // xpay: 203 from the recipient while other parts are still out, or 209 at the end of
        // retry_for; the pay plugin's 205. The record is what listpays then shows.
        if (m_unclearRecord == Record::Complete) {
            settle(hash, true);
        } else if (m_unclearRecord == Record::Failed) {
            settle(hash, false);
        }
        if (xpay) {
            replyError(responder, 500, m_unclearRecord == Record::Pending ? 203 : 209,
                       m_unclearRecord == Record::Pending
                           ? QStringLiteral("Destination said it doesn't know invoice: "
                                            "incorrect_or_unknown_payment_details")
                           : QStringLiteral("Timed out after 60 seconds"));
        } else {
            replyError(responder, 500, 205,
                       QStringLiteral("Ran out of routes to try after 2 attempts: see "
                                      "`paystatus`"));
        }
        return;
    case PayBehaviour::DropThenSucceed:
    case PayBehaviour::DropThenFail: {
        // The status line and headers went out; the body is cut off (clnrest or the link
        // died while pay was running). Sending the head first also keeps the client's HTTP
        // stack from resending the POST.
        HttpHeaders headers = jsonHeaders();
        headers.append({QByteArrayLiteral("Content-Length"), QByteArrayLiteral("420")});
        responder.startStream(201, headers);
        responder.writeChunk(QByteArrayLiteral("{\"destination\":\"03"));
        responder.closeAbruptly();
        const bool succeed = m_behaviour == PayBehaviour::DropThenSucceed;
        QTimer::singleShot(m_settleDelay, this, [this, hash, succeed] { settle(hash, succeed); });
        return;
    }
    case PayBehaviour::Hang:
        responder.neverAnswer();
        return;
    case PayBehaviour::NoRpc:
        return;
    }
}

void FakeCln::handleListpays(const FakeRequest& request, FakeResponder& responder)
{
    const QJsonObject params = request.json().object();
    if (m_listpaysBroken) {
        replyError(responder, 500, -1, QStringLiteral("Error calling listpays: database busy"));
        return;
    }
    const QByteArray hash =
        QByteArray::fromHex(params.value(QStringLiteral("payment_hash")).toString().toLatin1());
    if (params.contains(QStringLiteral("payment_hash")) && hash.size() != 32) {
        replyError(responder, 500, -32602,
                   QStringLiteral("payment_hash: should be a 32 byte hex value"));
        return;
    }
    QJsonArray pays;
    for (auto it = m_payments.cbegin(); it != m_payments.cend(); ++it) {
        if (params.contains(QStringLiteral("payment_hash")) && it.key() != hash) {
            continue;
        }
        const Payment& payment = it.value();
        QJsonObject entry{
            {QStringLiteral("bolt11"), payment.bolt11},
            {QStringLiteral("destination"),
             QString(QStringLiteral("03") + QString(64, QLatin1Char('c')))},
            {QStringLiteral("payment_hash"), hex(it.key())},
            {QStringLiteral("status"), payment.status},
            {QStringLiteral("created_at"), double(QDateTime::currentSecsSinceEpoch())},
            {QStringLiteral("created_index"), qint64(pays.size() + 1)}};
        if (payment.status == QLatin1String("complete")) {
            entry.insert(QStringLiteral("completed_at"),
                         double(QDateTime::currentSecsSinceEpoch()));
            entry.insert(QStringLiteral("preimage"), hex(payment.preimage));
            entry.insert(QStringLiteral("amount_msat"), payment.amountMsat);
            entry.insert(QStringLiteral("amount_sent_msat"), payment.amountMsat + payment.feeMsat);
        } else if (payment.status == QLatin1String("failed")) {
            entry.insert(QStringLiteral("amount_sent_msat"), 0);
        }
        pays.append(entry);
    }
    responder.replyJson(201, QJsonDocument(QJsonObject{{QStringLiteral("pays"), pays}}),
                        jsonHeaders());
}

} // namespace l402::test
