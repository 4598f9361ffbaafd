#include "core/crypto/Digest.h"
#include "core/protocol/Bolt11.h"
#include "tests/support/FakeCln.h"
#include "tests/support/FakeLnd.h"
#include "tests/support/TestSeed.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QSslConfiguration>
#include <QTest>

// The node doubles' answers checked against the real projects' own published schemas
// (tests/data/node-schemas: lnd's swagger definitions, Core Lightning's doc/schemas), with an
// independent validator (npm ajv, tests/crosscheck/schema-tool.mjs). A double that invents a
// field, sends an int64 as a number where grpc-gateway sends a string, or leaves out a field
// CLN always returns fails here, not silently in the backend tests.
namespace l402 {
namespace {

const QByteArray kPayeeKey = crypto::sha256("schema payee");

struct Invoice {
    QString text;
    QByteArray hash;
    QByteArray preimage;
};

Invoice makeInvoice(QRandomGenerator& random)
{
    Invoice out;
    out.preimage = test::randomBytes(random, 32);
    out.hash = crypto::sha256(out.preimage);
    protocol::InvoiceDraft draft;
    draft.network = protocol::Network::Regtest;
    draft.amountMsat = 21'000;
    draft.timestamp = QDateTime::currentSecsSinceEpoch();
    draft.paymentHash = out.hash;
    draft.paymentSecret = test::randomBytes(random, 32);
    draft.description = QStringLiteral("schema");
    draft.features = {8, 14};
    out.text = protocol::encodeInvoice(draft, kPayeeKey).value();
    return out;
}

// One answer of a double and the schema part it must satisfy.
struct Check {
    QString name;
    QString schema;     // file in tests/data/node-schemas
    QString definition; // swagger definition, empty for a whole-file schema
    bool closed = false;
    QJsonValue document;
};

// Runs schema-tool.mjs over the checks; one "" (valid) or ajv's errors per check.
QStringList validate(const QList<Check>& checks)
{
    QByteArray input;
    for (const Check& check : checks) {
        QJsonObject request{{QStringLiteral("schema"), check.schema},
                            {QStringLiteral("closed"), check.closed},
                            {QStringLiteral("document"), check.document}};
        if (!check.definition.isEmpty()) {
            request.insert(QStringLiteral("definition"), check.definition);
        }
        input += QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n';
    }
    QProcess process;
    process.setWorkingDirectory(QStringLiteral(L402_CROSSCHECK_DIR));
    process.start(QStringLiteral(NODE_EXECUTABLE),
                  {QStringLiteral(L402_CROSSCHECK_DIR "/schema-tool.mjs")});
    if (!process.waitForStarted(10'000)) {
        return {QStringLiteral("cannot start node")};
    }
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(60'000) || process.exitCode() != 0) {
        return {QString::fromUtf8(process.readAllStandardError())};
    }
    QStringList out;
    for (const QByteArray& line : process.readAllStandardOutput().split('\n')) {
        if (line.trimmed().isEmpty()) {
            continue;
        }
        const QJsonObject answer = QJsonDocument::fromJson(line).object();
        out.append(
            answer.value(QStringLiteral("valid")).toBool()
                ? QString()
                : answer.value(QStringLiteral("errors")).toString(QStringLiteral("no answer")));
    }
    return out;
}

// A raw HTTP exchange with a double: status and body, trusting only `authority`.
struct Raw {
    int status = 0;
    QByteArray body;
};

Raw exchange(QNetworkAccessManager& network, const QByteArray& method, const QUrl& url,
             const QList<std::pair<QByteArray, QByteArray>>& headers, const QByteArray& body,
             const QSslCertificate& authority)
{
    QNetworkRequest request(url);
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates({authority});
    request.setSslConfiguration(tls);
    for (const auto& [name, value] : headers) {
        request.setRawHeader(name, value);
    }
    if (!body.isEmpty()) {
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
    }
    QNetworkReply* reply = network.sendCustomRequest(request, method, body);
    Raw out;
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 20'000)) {
        reply->abort();
    }
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = reply->readAll();
    reply->deleteLater();
    return out;
}

QJsonObject object(const QByteArray& json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

class NodeSchemaTest : public QObject {
    Q_OBJECT

    QRandomGenerator m_random;
    QNetworkAccessManager m_network;

    // Fails with every mismatch, each named after the answer it was found in.
    static void expectValid(const QList<Check>& checks)
    {
        const QStringList results = validate(checks);
        QCOMPARE(results.size(), checks.size());
        QStringList problems;
        for (qsizetype i = 0; i < checks.size(); ++i) {
            if (!results.at(i).isEmpty()) {
                problems.append(checks.at(i).name + QStringLiteral(": ") + results.at(i));
            }
        }
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }

private Q_SLOTS:
    void initTestCase() { m_random.seed(test::testSeed("NodeSchemaTest")); }

    // The validator itself rejects what the schemas forbid (so a pass below means something).
    void validatorRejectsWrongShapes()
    {
        const QJsonObject payment{{QStringLiteral("payment_hash"), QStringLiteral("ab")},
                                  {QStringLiteral("value_msat"), QStringLiteral("1000")},
                                  {QStringLiteral("status"), QStringLiteral("SUCCEEDED")}};
        QJsonObject numberInt64 = payment;
        numberInt64.insert(QStringLiteral("value_msat"), 1000); // grpc-gateway sends a string
        QJsonObject invented = payment;
        invented.insert(QStringLiteral("preimage"), QStringLiteral("00")); // not lnd's name
        QJsonObject badStatus = payment;
        badStatus.insert(QStringLiteral("status"), QStringLiteral("PAID"));
        const QList<Check> checks = {
            {QStringLiteral("good"), QStringLiteral("lnd-rest.schema.json"),
             QStringLiteral("lnrpcPayment"), true, payment},
            {QStringLiteral("int64 as number"), QStringLiteral("lnd-rest.schema.json"),
             QStringLiteral("lnrpcPayment"), true, numberInt64},
            {QStringLiteral("invented field"), QStringLiteral("lnd-rest.schema.json"),
             QStringLiteral("lnrpcPayment"), true, invented},
            {QStringLiteral("unknown status"), QStringLiteral("lnd-rest.schema.json"),
             QStringLiteral("lnrpcPayment"), true, badStatus},
            {QStringLiteral("xpay without parts"), QStringLiteral("cln-xpay.response.schema.json"),
             QString(), false,
             QJsonObject{{QStringLiteral("payment_preimage"), QString(64, QLatin1Char('0'))}}},
        };
        const QStringList results = validate(checks);
        QCOMPARE(results.size(), checks.size());
        QCOMPARE(results.at(0), QString());
        for (qsizetype i = 1; i < checks.size(); ++i) {
            QVERIFY2(!results.at(i).isEmpty(), qPrintable(checks.at(i).name));
        }
    }

    // FakeLnd: getinfo, channel balance, SendPaymentV2 stream lines (success, failure,
    // refusal, a repeat's 409), TrackPaymentV2 of a settled payment.
    void lndAnswersMatchLndsSwagger()
    {
        test::FakeLnd lnd;
        QVERIFY(lnd.start());
        const QList<std::pair<QByteArray, QByteArray>> auth = {
            {QByteArrayLiteral("Grpc-Metadata-macaroon"), lnd.macaroon().toHex()}};
        const QString file = QStringLiteral("lnd-rest.schema.json");
        QList<Check> checks;
        const auto get = [&](const QString& path) {
            return exchange(m_network, "GET", lnd.url().resolved(QUrl(path)), auth, {},
                            lnd.certificate());
        };
        const auto send = [&](const Invoice& invoice) {
            const QJsonObject body{{QStringLiteral("payment_request"), invoice.text},
                                   {QStringLiteral("fee_limit_msat"), QStringLiteral("10000")},
                                   {QStringLiteral("timeout_seconds"), 30},
                                   {QStringLiteral("no_inflight_updates"), true}};
            return exchange(m_network, "POST",
                            lnd.url().resolved(QUrl(QStringLiteral("/v2/router/send"))), auth,
                            QJsonDocument(body).toJson(QJsonDocument::Compact), lnd.certificate());
        };
        // Each NDJSON line is {"result": Payment} or {"error": Status}; an RPC that fails
        // before its first message answers with the bare Status.
        const auto addLines = [&](const QString& name, const Raw& raw) {
            QVERIFY2(!raw.body.trimmed().isEmpty(), qPrintable(name));
            for (const QByteArray& line : raw.body.split('\n')) {
                if (line.trimmed().isEmpty()) {
                    continue;
                }
                const QJsonObject json = object(line);
                if (json.contains(QStringLiteral("result"))) {
                    checks.append({name, file, QStringLiteral("lnrpcPayment"), true,
                                   json.value(QStringLiteral("result"))});
                } else if (json.contains(QStringLiteral("error"))) {
                    checks.append({name + QStringLiteral(" (error line)"), file,
                                   QStringLiteral("rpcStatus"), true,
                                   json.value(QStringLiteral("error"))});
                } else {
                    checks.append({name + QStringLiteral(" (status)"), file,
                                   QStringLiteral("rpcStatus"), true, json});
                }
            }
        };

        const Raw info = get(QStringLiteral("/v1/getinfo"));
        QCOMPARE(info.status, 200);
        checks.append({QStringLiteral("getinfo"), file, QStringLiteral("lnrpcGetInfoResponse"),
                       true, object(info.body)});
        lnd.setNetworkName(QStringLiteral("testnet4"));
        checks.append({QStringLiteral("getinfo testnet4"), file,
                       QStringLiteral("lnrpcGetInfoResponse"), true,
                       object(get(QStringLiteral("/v1/getinfo")).body)});
        const Raw balance = get(QStringLiteral("/v1/balance/channels"));
        QCOMPARE(balance.status, 200);
        checks.append({QStringLiteral("channel balance"), file,
                       QStringLiteral("lnrpcChannelBalanceResponse"), true, object(balance.body)});

        const Invoice paid = makeInvoice(m_random);
        lnd.registerPreimage(paid.preimage);
        const Raw success = send(paid);
        QCOMPARE(success.status, 200);
        addLines(QStringLiteral("send succeeded"), success);
        const Raw repeat = send(paid);
        QCOMPARE(repeat.status, 409);
        addLines(QStringLiteral("send repeated (409)"), repeat);
        const QString track =
            QStringLiteral("/v2/router/track/") +
            QString::fromLatin1(paid.hash.toBase64(QByteArray::Base64UrlEncoding));
        addLines(QStringLiteral("track settled"), get(track));

        using B = test::FakeLnd::PayBehaviour;
        const QList<std::pair<B, QString>> behaviours = {
            {B::Fail, QStringLiteral("send failed")},
            {B::ErrorLine, QStringLiteral("send error line")},
            {B::Refuse, QStringLiteral("send refused (500)")},
            {B::WrongPreimage, QStringLiteral("send wrong preimage")},
        };
        for (const auto& [behaviour, name] : behaviours) {
            lnd.setPayBehaviour(behaviour);
            const Invoice invoice = makeInvoice(m_random);
            lnd.registerPreimage(invoice.preimage);
            addLines(name, send(invoice));
        }
        expectValid(checks);
    }

    // FakeCln in both plugin modes: getinfo, listfunds, pay (xpay's answer and the old
    // pay plugin's), listpays of a complete and of a failed payment.
    void clnAnswersMatchClnSchemas_data()
    {
        QTest::addColumn<int>("plugin");
        QTest::newRow("xpay") << int(test::FakeCln::Plugin::Xpay);
        QTest::newRow("pay") << int(test::FakeCln::Plugin::LegacyPay);
    }
    void clnAnswersMatchClnSchemas()
    {
        QFETCH(int, plugin);
        test::FakeCln cln;
        cln.setPlugin(test::FakeCln::Plugin(plugin));
        QVERIFY(cln.start());
        const QList<std::pair<QByteArray, QByteArray>> auth = {
            {QByteArrayLiteral("Rune"), cln.rune()}};
        const auto call = [&](const QString& method, const QJsonObject& params) {
            return exchange(m_network, "POST",
                            cln.url().resolved(QUrl(QStringLiteral("/v1/") + method)), auth,
                            QJsonDocument(params).toJson(QJsonDocument::Compact), cln.authority());
        };
        const auto response = [](const QString& method) {
            return QStringLiteral("cln-%1.response.schema.json").arg(method);
        };
        QList<Check> checks;
        const Raw info = call(QStringLiteral("getinfo"), {});
        QCOMPARE(info.status, 201);
        checks.append({QStringLiteral("getinfo"), response(QStringLiteral("getinfo")), QString(),
                       false, object(info.body)});
        const Raw funds = call(QStringLiteral("listfunds"), {});
        QCOMPARE(funds.status, 201);
        checks.append({QStringLiteral("listfunds"), response(QStringLiteral("listfunds")),
                       QString(), false, object(funds.body)});

        const bool xpay = test::FakeCln::Plugin(plugin) == test::FakeCln::Plugin::Xpay;
        const QString payAnswer = xpay ? QStringLiteral("xpay") : QStringLiteral("pay");
        const Invoice paid = makeInvoice(m_random);
        cln.registerPreimage(paid.preimage);
        const QJsonObject payParams{{QStringLiteral("bolt11"), paid.text},
                                    {QStringLiteral("maxfee"), 10'000},
                                    {QStringLiteral("retry_for"), 30}};
        const Raw pay = call(QStringLiteral("pay"), payParams);
        QCOMPARE(pay.status, 201);
        checks.append({QStringLiteral("pay complete"), response(payAnswer), QString(), false,
                       object(pay.body)});
        const Raw again = call(QStringLiteral("pay"), payParams);
        QCOMPARE(again.status, 201);
        checks.append({QStringLiteral("pay of a paid hash"), response(payAnswer), QString(), false,
                       object(again.body)});
        const QJsonObject byHash{
            {QStringLiteral("payment_hash"), QString::fromLatin1(paid.hash.toHex())}};
        checks.append({QStringLiteral("listpays complete"), response(QStringLiteral("listpays")),
                       QString(), false, object(call(QStringLiteral("listpays"), byHash).body)});

        cln.setPayBehaviour(test::FakeCln::PayBehaviour::Fail);
        const Invoice failed = makeInvoice(m_random);
        cln.registerPreimage(failed.preimage);
        const Raw refused = call(QStringLiteral("pay"), {{QStringLiteral("bolt11"), failed.text},
                                                         {QStringLiteral("maxfee"), 10'000},
                                                         {QStringLiteral("retry_for"), 30}});
        QCOMPARE(refused.status, 500);
        checks.append(
            {QStringLiteral("listpays failed"), response(QStringLiteral("listpays")), QString(),
             false,
             object(call(QStringLiteral("listpays"), {{QStringLiteral("payment_hash"),
                                                       QString::fromLatin1(failed.hash.toHex())}})
                        .body)});
        expectValid(checks);
    }
};

} // namespace l402

QTEST_MAIN(l402::NodeSchemaTest)
#include "NodeSchemaTest.moc"
