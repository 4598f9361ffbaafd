#include "tests/support/FakeHttpServer.h"
#include "tests/support/FakeWebSocketRelay.h"
#include "tests/support/TestCertificates.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>

using namespace l402::test;
using namespace std::chrono_literals;

namespace {

constexpr int kWaitMs = 10'000;

bool finished(QNetworkReply* reply)
{
    return QTest::qWaitFor([reply] { return reply->isFinished(); }, kWaitMs);
}

QNetworkRequest jsonRequest(const QUrl& url)
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setTransferTimeout(kWaitMs);
    return request;
}

// Sends `bytes` on a fresh connection and collects everything the server writes until it
// closes the connection or `done` says enough.
QByteArray rawExchange(quint16 port, const QByteArray& bytes,
                       const std::function<bool(const QByteArray&)>& done = {})
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress(QHostAddress::LocalHost), port);
    if (!socket.waitForConnected(kWaitMs)) {
        return {};
    }
    QByteArray received;
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
                     [&socket, &received] { received.append(socket.readAll()); });
    socket.write(bytes);
    [[maybe_unused]] const bool settled = QTest::qWaitFor(
        [&] {
            return socket.state() == QAbstractSocket::UnconnectedState || (done && done(received));
        },
        kWaitMs);
    received.append(socket.readAll());
    return received;
}

// A Nostr client that keeps every message the relay sends it.
class RelayClient {
public:
    RelayClient()
    {
        QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket,
                         [this](const QString& text) {
                             messages.append(QJsonDocument::fromJson(text.toUtf8()).array());
                         });
        // QWebSocket::errorOccurred is Qt 6.5; 6.4 has the error signal.
        QObject::connect(&socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error),
                         &socket,
                         [this](QAbstractSocket::SocketError error) { lastError = error; });
    }
    // True once connected; false as soon as the attempt fails.
    bool open(const QUrl& url)
    {
        socket.open(url);
        const bool settled = QTest::qWaitFor(
            [this] {
                return socket.state() == QAbstractSocket::ConnectedState ||
                       lastError != QAbstractSocket::UnknownSocketError;
            },
            kWaitMs);
        return settled && socket.state() == QAbstractSocket::ConnectedState;
    }
    void send(const QJsonArray& message)
    {
        socket.sendTextMessage(
            QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
    }
    QList<QJsonArray> messagesOf(const QString& command) const
    {
        QList<QJsonArray> found;
        for (const QJsonArray& message : messages) {
            if (message.at(0).toString() == command) {
                found.append(message);
            }
        }
        return found;
    }
    bool waitFor(const QString& command, qsizetype count = 1)
    {
        return QTest::qWaitFor([&] { return messagesOf(command).size() >= count; }, kWaitMs);
    }

    QWebSocket socket;
    QList<QJsonArray> messages;
    QAbstractSocket::SocketError lastError = QAbstractSocket::UnknownSocketError;
};

QString hex64(char c)
{
    return QString(64, QLatin1Char(c));
}

// `tags` is a list of tags, each a JSON array: an initializer list, because a one-element
// braced QJsonArray{QJsonArray{...}} would copy the inner array instead of nesting it.
QJsonObject makeEvent(int kind, qint64 createdAt, const QString& content,
                      std::initializer_list<QJsonArray> tagList = {},
                      const QString& pubkey = hex64('a'))
{
    QJsonArray tags;
    for (const QJsonArray& item : tagList) {
        tags.append(item);
    }
    QJsonObject event;
    event.insert(QStringLiteral("pubkey"), pubkey);
    event.insert(QStringLiteral("created_at"), createdAt);
    event.insert(QStringLiteral("kind"), kind);
    event.insert(QStringLiteral("tags"), tags);
    event.insert(QStringLiteral("content"), content);
    event.insert(QStringLiteral("sig"), QString(128, QLatin1Char('0')));
    event.insert(QStringLiteral("id"), FakeWebSocketRelay::computeEventId(event));
    return event;
}

QJsonArray tag(const QString& name, const QString& value)
{
    return QJsonArray{name, value};
}

} // namespace

class FakeHttpServerTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // --- HTTP --------------------------------------------------------------------------------

    void recordsWhatTheClientSent()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("POST", QStringLiteral("/v1/channels/transactions"),
                     [](const FakeRequest& request, FakeResponder& responder) {
                         QJsonObject answer;
                         answer.insert(QStringLiteral("echo"), request.json().object());
                         responder.replyJson(200, QJsonDocument(answer));
                     });
        QNetworkAccessManager manager;
        QNetworkRequest request =
            jsonRequest(server.url(QStringLiteral("/v1/channels/transactions?amt=21&x=a%20b")));
        request.setRawHeader("Grpc-Metadata-macaroon", "0201036c6e64");
        QNetworkReply* reply =
            manager.post(request, QByteArrayLiteral("{\"payment_request\":\"lnbc1\"}"));
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QJsonObject echoed = QJsonDocument::fromJson(reply->readAll())
                                       .object()
                                       .value(QStringLiteral("echo"))
                                       .toObject();
        QCOMPARE(echoed.value(QStringLiteral("payment_request")).toString(),
                 QStringLiteral("lnbc1"));
        reply->deleteLater();

        QCOMPARE(server.requestCount(), 1);
        QCOMPARE(server.requestCount("POST", QStringLiteral("/v1/channels/transactions")), 1);
        const FakeRequest seen = server.requests().constFirst();
        QCOMPARE(seen.method, QByteArray("POST"));
        QCOMPARE(seen.path, QStringLiteral("/v1/channels/transactions"));
        QCOMPARE(seen.target, QByteArray("/v1/channels/transactions?amt=21&x=a%20b"));
        QCOMPARE(seen.query.queryItemValue(QStringLiteral("amt")), QStringLiteral("21"));
        QCOMPARE(seen.query.queryItemValue(QStringLiteral("x"), QUrl::FullyDecoded),
                 QStringLiteral("a b"));
        QCOMPARE(seen.header("grpc-metadata-MACAROON"), QByteArray("0201036c6e64"));
        QCOMPARE(seen.header("content-type"), QByteArray("application/json"));
        QVERIFY(!seen.hasHeader("Authorization"));
        QCOMPARE(seen.body, QByteArray("{\"payment_request\":\"lnbc1\"}"));
        QCOMPARE(seen.httpMinor, 1);
    }

    void unknownRoutesGet404AndLaterRoutesWin()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/api/v1/payments/*"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.reply(200, {}, "first");
                     });
        server.route("GET", QStringLiteral("/api/v1/payments/*"),
                     [](const FakeRequest& request, FakeResponder& responder) {
                         responder.reply(200, {}, request.path.toUtf8());
                     });
        QNetworkAccessManager manager;
        QNetworkReply* hit =
            manager.get(jsonRequest(server.url(QStringLiteral("/api/v1/payments/ab12"))));
        QNetworkReply* miss =
            manager.get(jsonRequest(server.url(QStringLiteral("/api/v1/wallet"))));
        QVERIFY(finished(hit));
        QVERIFY(finished(miss));
        QCOMPARE(hit->readAll(), QByteArray("/api/v1/payments/ab12"));
        QCOMPARE(miss->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 404);
        hit->deleteLater();
        miss->deleteLater();
    }

    void readsBasicCredentials()
    {
        const QByteArray phoenixdValue = "Basic " + QByteArray(":s3cret pw").toBase64();
        const QByteArray proxyValue = "basic " + QByteArray("agent:xyz").toBase64();
        FakeRequest request;
        request.headers = {{"authorization", phoenixdValue}, {"Proxy-Authorization", proxyValue}};
        const auto phoenixd = request.basicCredentials();
        QVERIFY(phoenixd.has_value());
        QCOMPARE(phoenixd->user, QString());
        QCOMPARE(phoenixd->password, QStringLiteral("s3cret pw"));
        const auto proxy = request.basicCredentials("proxy-authorization");
        QVERIFY(proxy.has_value());
        QCOMPARE(proxy->user, QStringLiteral("agent"));
        QCOMPARE(proxy->password, QStringLiteral("xyz"));

        FakeRequest wrong;
        wrong.headers = {{"Authorization", "Bearer abc"}};
        QVERIFY(!wrong.basicCredentials().has_value());
        wrong.headers = {{"Authorization", "Basic !!notbase64"}};
        QVERIFY(!wrong.basicCredentials().has_value());
    }

    void keepAliveReusesOneConnection()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/v1/getinfo"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.reply(200, {{"Content-Type", "application/json"}}, "{}");
                     });
        QNetworkAccessManager manager;
        for (int i = 0; i < 3; ++i) {
            QNetworkReply* reply =
                manager.get(jsonRequest(server.url(QStringLiteral("/v1/getinfo"))));
            QVERIFY(finished(reply));
            QCOMPARE(reply->error(), QNetworkReply::NoError);
            reply->deleteLater();
        }
        QCOMPARE(server.connectionsAccepted(), 1);
        const QList<FakeRequest> requests = server.requests();
        QCOMPARE(requests.size(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(requests.at(i).connectionId, requests.constFirst().connectionId);
            QCOMPARE(requests.at(i).indexOnConnection, i);
        }
    }

    void pipelinedRequestsAreAnsweredInOrder()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/slow"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.replyAfter(100ms, 200, {}, "slow");
                     });
        server.route("POST", QStringLiteral("/fast"),
                     [](const FakeRequest& request, FakeResponder& responder) {
                         const QByteArray body = "fast:" + request.body;
                         responder.reply(200, {}, body);
                     });
        const QByteArray received = rawExchange(
            server.port(),
            QByteArrayLiteral("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /fast HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nhello\r\n0\r\n\r\n"),
            [](const QByteArray& bytes) { return bytes.contains("fast:hello"); });
        const qsizetype slow = received.indexOf("\r\n\r\nslow");
        const qsizetype fast = received.indexOf("\r\n\r\nfast:hello");
        QVERIFY2(slow > 0 && fast > slow, received.constData());
        QCOMPARE(server.connectionsAccepted(), 1);
        QCOMPARE(server.requests().at(1).body, QByteArray("hello"));
    }

    void http10WithoutKeepAliveIsClosed()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/"), [](const FakeRequest&, FakeResponder& responder) {
            responder.reply(200, {}, "ok");
        });
        const QByteArray received =
            rawExchange(server.port(), QByteArrayLiteral("GET / HTTP/1.0\r\n\r\n"));
        QVERIFY2(received.startsWith("HTTP/1.1 200 OK\r\n"), received.constData());
        QVERIFY(received.contains("Connection: close\r\n"));
        QVERIFY(received.endsWith("\r\n\r\nok"));
        QCOMPARE(server.requests().constFirst().httpMinor, 0);
    }

    void garbageGets400()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        QTest::ignoreMessage(QtWarningMsg, "HttpServer: unparseable request (HPE_INVALID_METHOD)");
        const QByteArray received =
            rawExchange(server.port(), QByteArrayLiteral("HELLO WORLD\r\n\r\n"));
        QVERIFY2(received.startsWith("HTTP/1.1 400 Bad Request\r\n"), received.constData());
        QCOMPARE(server.requestCount(), 0);
    }

    void delayedReplyArrivesLater()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/v1/balance"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.replyAfter(300ms, 200, {}, "{\"balance\":1}");
                     });
        QNetworkAccessManager manager;
        QElapsedTimer clock;
        clock.start();
        QNetworkReply* reply = manager.get(jsonRequest(server.url(QStringLiteral("/v1/balance"))));
        QVERIFY(server.waitForRequests(1));
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QVERIFY2(clock.elapsed() >= 290, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(reply->readAll(), QByteArray("{\"balance\":1}"));
        reply->deleteLater();
    }

    void unansweredRequestTimesTheClientOut()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("POST", QStringLiteral("/payinvoice"),
                     [](const FakeRequest&, FakeResponder& responder) { responder.neverAnswer(); });
        QNetworkAccessManager manager;
        QNetworkRequest request = jsonRequest(server.url(QStringLiteral("/payinvoice")));
        request.setTransferTimeout(300);
        QNetworkReply* reply = manager.post(request, QByteArrayLiteral("{}"));
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::OperationCanceledError);
        QCOMPARE(server.requestCount("POST", QStringLiteral("/payinvoice")), 1);
        reply->deleteLater();
    }

    void streamIsReadIncrementally()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        FakeResponder stream;
        server.route("POST", QStringLiteral("/v2/router/send"),
                     [&stream](const FakeRequest&, FakeResponder& responder) {
                         responder.startStream(200, {{"Content-Type", "application/json"}});
                         stream = responder;
                     });
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.post(
            jsonRequest(server.url(QStringLiteral("/v2/router/send"))), QByteArrayLiteral("{}"));
        QList<QByteArray> lines;
        connect(reply, &QNetworkReply::readyRead, reply, [reply, &lines] {
            while (reply->canReadLine()) {
                lines.append(reply->readLine().trimmed());
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(stream.isCurrent(), kWaitMs);

        stream.writeChunk(QByteArrayLiteral("{\"result\":{\"status\":\"IN_FLIGHT\"}}\n"));
        QTRY_COMPARE_WITH_TIMEOUT(lines.size(), 1, kWaitMs);
        QVERIFY(!reply->isFinished()); // the first line came while the response was open
        stream.writeChunk(QByteArrayLiteral("{\"result\":{\"status\":\"SUCCEEDED\"}}\n"));
        QTRY_COMPARE_WITH_TIMEOUT(lines.size(), 2, kWaitMs);
        stream.finishStream();
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QCOMPARE(lines.at(1), QByteArray("{\"result\":{\"status\":\"SUCCEEDED\"}}"));
        QVERIFY(!stream.isCurrent());
        QTest::ignoreMessage(QtWarningMsg, "HttpServer: chunk ignored, no stream is open");
        stream.writeChunk("ignored"); // a stale responder writes nothing
        reply->deleteLater();
    }

    void timedStreamOfJsonLines()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/events"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.streamChunks(
                             200, {}, {"{\"n\":1}\n", "{\"n\":2}\n", "{\"n\":3}\n"}, 30ms);
                     });
        QNetworkAccessManager manager;
        QElapsedTimer clock;
        clock.start();
        QNetworkReply* reply = manager.get(jsonRequest(server.url(QStringLiteral("/events"))));
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::NoError);
        QCOMPARE(reply->readAll(), QByteArray("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"));
        // Two intervals separate the three chunks (how a client sees them arrive one by one
        // is streamIsReadIncrementally's business: timing-free).
        QVERIFY2(clock.elapsed() >= 55, qPrintable(QString::number(clock.elapsed())));
        reply->deleteLater();
    }

    void abruptCloseMidStreamIsAnError()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("POST", QStringLiteral("/v2/router/send"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.streamChunks(200, {},
                                                {"{\"result\":{\"status\":\"IN_FLIGHT\"}}\n"}, 10ms,
                                                FakeResponder::StreamEnd::CloseAbruptly);
                     });
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.post(
            jsonRequest(server.url(QStringLiteral("/v2/router/send"))), QByteArrayLiteral("{}"));
        QByteArray body;
        connect(reply, &QNetworkReply::readyRead, reply,
                [reply, &body] { body.append(reply->readAll()); });
        QVERIFY(finished(reply));
        body.append(reply->readAll());
        QCOMPARE(reply->error(), QNetworkReply::RemoteHostClosedError);
        QCOMPARE(body, QByteArray("{\"result\":{\"status\":\"IN_FLIGHT\"}}\n"));
        QCOMPARE(server.requestCount(), 1);
        reply->deleteLater();
    }

    void truncatedBodyUnderContentLengthIsAnError()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/v1/invoices"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.startStream(200, {{"Content-Length", "100"}});
                         responder.writeChunk("{\"invoices\":[");
                         responder.closeAbruptly();
                     });
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.get(jsonRequest(server.url(QStringLiteral("/v1/invoices"))));
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::RemoteHostClosedError);
        reply->deleteLater();
    }

    void dropBeforeAnyResponseIsAnError()
    {
        // Qt resends a request whose connection closes before any response byte. Tests of
        // "pay exactly once" must count on the server side, as here.
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route(
            "POST", QStringLiteral("/api/v1/payments"),
            [](const FakeRequest&, FakeResponder& responder) { responder.closeAbruptly(); });
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.post(
            jsonRequest(server.url(QStringLiteral("/api/v1/payments"))), QByteArrayLiteral("{}"));
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::RemoteHostClosedError);
        qInfo("requests seen by the server after one POST whose connection dropped: %lld",
              static_cast<long long>(server.requestCount()));
        QVERIFY(server.requestCount() >= 1);
        reply->deleteLater();
    }

    void closedServerRefusesThenComesBack()
    {
        FakeHttpServer server;
        QVERIFY(server.listen());
        server.route("GET", QStringLiteral("/"),
                     [](const FakeRequest&, FakeResponder& responder) { responder.reply(204); });
        const quint16 port = server.port();
        server.close();
        QVERIFY(!server.isListening());
        QNetworkAccessManager manager;
        QNetworkReply* refused = manager.get(jsonRequest(server.url(QStringLiteral("/"))));
        QVERIFY(finished(refused));
        QCOMPARE(refused->error(), QNetworkReply::ConnectionRefusedError);
        refused->deleteLater();

        QVERIFY(server.listen(QHostAddress(QHostAddress::LocalHost), port));
        QNetworkReply* back = manager.get(jsonRequest(server.url(QStringLiteral("/"))));
        QVERIFY(finished(back));
        QCOMPARE(back->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 204);
        back->deleteLater();
    }

    // --- TLS ---------------------------------------------------------------------------------

    void httpsTrustingOnlyTheGeneratedCertificate_data()
    {
        QTest::addColumn<bool>("rsa");
        QTest::addColumn<QString>("host");
        QTest::newRow("EC P-256, 127.0.0.1") << false << QStringLiteral("127.0.0.1");
        QTest::newRow("RSA 2048, 127.0.0.1") << true << QStringLiteral("127.0.0.1");
        QTest::newRow("EC P-256, localhost") << false << QStringLiteral("localhost");
    }

    void httpsTrustingOnlyTheGeneratedCertificate()
    {
        QFETCH(bool, rsa);
        QFETCH(QString, host);
        CertificateSpec spec;
        spec.keyType = rsa ? CertificateKeyType::Rsa2048 : CertificateKeyType::EcP256;
        const auto certificate = makeSelfSignedCertificate(spec);
        QVERIFY2(certificate.ok(),
                 qPrintable(certificate.ok() ? QString() : certificate.error().message));
        QVERIFY(certificate->certificatePem.startsWith("-----BEGIN CERTIFICATE-----"));
        QVERIFY(certificate->privateKeyPem.startsWith("-----BEGIN PRIVATE KEY-----"));
        QVERIFY(!certificate->certificate().isNull());
        QVERIFY(!certificate->privateKey().isNull());
        QStringList addresses =
            certificate->certificate().subjectAlternativeNames().values(QSsl::IpAddressEntry);
        addresses.sort();
        QCOMPARE(addresses, (QStringList{QStringLiteral("127.0.0.1"), QStringLiteral("::1")}));

        FakeHttpServer server;
        QVERIFY(server.listenTls(certificate->certificate(), certificate->privateKey()));
        server.route("GET", QStringLiteral("/v1/getinfo"),
                     [](const FakeRequest&, FakeResponder& responder) {
                         responder.reply(200, {{"Content-Type", "application/json"}},
                                         "{\"alias\":\"fake\"}");
                     });
        QUrl url = server.url(QStringLiteral("/v1/getinfo"));
        url.setHost(host);
        QNetworkRequest request = jsonRequest(url);
        request.setSslConfiguration(clientTlsConfigurationTrusting({certificate->certificate()}));
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.get(request);
        QVERIFY(finished(reply));
        QVERIFY2(reply->error() == QNetworkReply::NoError, qPrintable(reply->errorString()));
        QCOMPARE(reply->readAll(), QByteArray("{\"alias\":\"fake\"}"));
        QCOMPARE(reply->sslConfiguration().peerCertificate(), certificate->certificate());
        reply->deleteLater();
    }

    void httpsWithAuthorityAndLeaf()
    {
        const auto chain = makeCertificateChain();
        QVERIFY2(chain.ok(), qPrintable(chain.ok() ? QString() : chain.error().message));
        const QSslCertificate authority = chain->authority.certificate();
        const QSslCertificate leaf = chain->leaf.certificate();
        QCOMPARE(leaf.issuerDisplayName(), authority.subjectDisplayName());
        QVERIFY(leaf.subjectAlternativeNames()
                    .values(QSsl::DnsEntry)
                    .contains(QStringLiteral("localhost")));

        FakeHttpServer server;
        QVERIFY(server.listenTls(serverTlsConfiguration(chain->leaf, {authority})));
        server.route(
            "GET", QStringLiteral("/v1/getinfo"),
            [](const FakeRequest&, FakeResponder& responder) { responder.reply(200, {}, "cln"); });
        QNetworkRequest request = jsonRequest(server.url(QStringLiteral("/v1/getinfo")));
        request.setSslConfiguration(clientTlsConfigurationTrusting({authority}));
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.get(request);
        QVERIFY(finished(reply));
        QVERIFY2(reply->error() == QNetworkReply::NoError, qPrintable(reply->errorString()));
        QCOMPARE(reply->readAll(), QByteArray("cln"));
        reply->deleteLater();
    }

    void clientRefusesABadCertificate_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("expected");
        QTest::newRow("untrusted") << 0 << int{QSslError::SelfSignedCertificate};
        QTest::newRow("expired") << 1 << int{QSslError::CertificateExpired};
        QTest::newRow("not yet valid") << 2 << int{QSslError::CertificateNotYetValid};
        QTest::newRow("other host") << 3 << int{QSslError::HostNameMismatch};
    }

    void clientRefusesABadCertificate()
    {
        QFETCH(int, kind);
        QFETCH(int, expected);
        CertificateSpec spec;
        if (kind == 1) {
            spec.notBefore = QDateTime::currentDateTimeUtc().addDays(-10);
            spec.notAfter = QDateTime::currentDateTimeUtc().addDays(-1);
        } else if (kind == 2) {
            spec.notBefore = QDateTime::currentDateTimeUtc().addDays(1);
            spec.notAfter = QDateTime::currentDateTimeUtc().addDays(10);
        } else if (kind == 3) {
            spec.commonName = QStringLiteral("node.example");
            spec.dnsNames = {QStringLiteral("node.example")};
            spec.ipAddresses = {QHostAddress(QStringLiteral("10.1.2.3"))};
        }
        const auto served = makeSelfSignedCertificate(spec);
        const auto other = makeSelfSignedCertificate();
        QVERIFY(served.ok() && other.ok());
        const QSslCertificate trusted = kind == 0 ? other->certificate() : served->certificate();

        FakeHttpServer server;
        QVERIFY(server.listenTls(served->certificate(), served->privateKey()));
        server.route("", QStringLiteral("*"),
                     [](const FakeRequest&, FakeResponder& responder) { responder.reply(200); });
        QNetworkRequest request = jsonRequest(server.url(QStringLiteral("/v1/getinfo")));
        request.setSslConfiguration(clientTlsConfigurationTrusting({trusted}));
        QNetworkAccessManager manager;
        QNetworkReply* reply = manager.get(request);
        QList<int> errors;
        connect(reply, &QNetworkReply::sslErrors, reply, [&errors](const QList<QSslError>& list) {
            for (const QSslError& error : list) {
                errors.append(error.error());
            }
        });
        QVERIFY(finished(reply));
        QCOMPARE(reply->error(), QNetworkReply::SslHandshakeFailedError);
        QVERIFY2(errors.contains(expected), qPrintable(reply->errorString()));
        QCOMPARE(server.requestCount(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(server.tlsHandshakeFailures() >= 1, kWaitMs);
        reply->deleteLater();
    }

    void spkiPinMatchesTheCertificatePublicKey()
    {
        for (const CertificateKeyType type :
             {CertificateKeyType::EcP256, CertificateKeyType::Rsa2048}) {
            CertificateSpec spec;
            spec.keyType = type;
            const auto generated = makeSelfSignedCertificate(spec);
            QVERIFY(generated.ok());
            const QSslCertificate certificate = generated->certificate();
            const QByteArray pin = spkiSha256(certificate);
            QCOMPARE(pin.size(), 32);
            // Qt's own DER of the public key is the SubjectPublicKeyInfo.
            QCOMPARE(pin, QCryptographicHash::hash(certificate.publicKey().toDer(),
                                                   QCryptographicHash::Sha256));
            const QByteArray curlPin = "sha256//" + pin.toBase64();
            QCOMPARE(curlPinnedPublicKey(certificate), curlPin);
            QVERIFY(spkiSha256(makeSelfSignedCertificate()->certificate()) != pin);
        }
        QVERIFY(spkiSha256(QSslCertificate()).isEmpty());
    }

    // --- Nostr relay -------------------------------------------------------------------------

    void relayStoredThenEoseThenLive()
    {
        FakeWebSocketRelay relay;
        QVERIFY(relay.listen());
        const QJsonObject stored = makeEvent(1, 1'700'000'000, QStringLiteral("stored"));
        relay.publish(stored);

        RelayClient subscriber;
        QVERIFY(subscriber.open(relay.url()));
        QJsonObject filter;
        filter.insert(QStringLiteral("kinds"), QJsonArray{1});
        subscriber.send(QJsonArray{QStringLiteral("REQ"), QStringLiteral("feed"), filter});
        QVERIFY(subscriber.waitFor(QStringLiteral("EOSE")));
        QCOMPARE(subscriber.messages.size(), 2);
        QCOMPARE(subscriber.messages.at(0),
                 (QJsonArray{QStringLiteral("EVENT"), QStringLiteral("feed"), stored}));
        QCOMPARE(subscriber.messages.at(1),
                 (QJsonArray{QStringLiteral("EOSE"), QStringLiteral("feed")}));
        QCOMPARE(relay.subscriptionIds(), QStringList{QStringLiteral("feed")});

        RelayClient publisher;
        QVERIFY(publisher.open(relay.url()));
        const QJsonObject live = makeEvent(1, 1'700'000'100, QStringLiteral("live"));
        publisher.send(QJsonArray{QStringLiteral("EVENT"), live});
        QVERIFY(publisher.waitFor(QStringLiteral("OK")));
        QCOMPARE(
            publisher.messagesOf(QStringLiteral("OK")).constFirst(),
            (QJsonArray{QStringLiteral("OK"), live.value(QStringLiteral("id")), true, QString()}));
        QVERIFY(subscriber.waitFor(QStringLiteral("EVENT"), 2));
        QCOMPARE(subscriber.messagesOf(QStringLiteral("EVENT")).at(1).at(2).toObject(), live);

        // Not a kind the subscriber asked for: not forwarded.
        publisher.send(
            QJsonArray{QStringLiteral("EVENT"), makeEvent(7, 1'700'000'200, QStringLiteral("+"))});
        QVERIFY(publisher.waitFor(QStringLiteral("OK"), 2));

        subscriber.send(QJsonArray{QStringLiteral("CLOSE"), QStringLiteral("feed")});
        QTRY_VERIFY_WITH_TIMEOUT(relay.subscriptionIds().isEmpty(), kWaitMs);
        publisher.send(QJsonArray{QStringLiteral("EVENT"),
                                  makeEvent(1, 1'700'000'300, QStringLiteral("after"))});
        QVERIFY(publisher.waitFor(QStringLiteral("OK"), 3));
        QTest::qWait(50);
        QCOMPARE(subscriber.messagesOf(QStringLiteral("EVENT")).size(), 2);
        QCOMPARE(relay.storedEvents().size(), 4);
    }

    void relayAnswersLikeANwcWalletThroughTheHook()
    {
        FakeWebSocketRelay relay;
        QVERIFY(relay.listen());
        const QString walletKey = hex64('b');
        const QString clientKey = hex64('c');
        int requestsSeen = 0;
        relay.setOnEvent([&](const QJsonObject& event) {
            if (event.value(QStringLiteral("kind")).toInt() != 23194) {
                return;
            }
            ++requestsSeen;
            relay.publish(makeEvent(
                23195, 1'700'000'001, QStringLiteral("encrypted result"),
                {tag(QStringLiteral("p"), event.value(QStringLiteral("pubkey")).toString()),
                 tag(QStringLiteral("e"), event.value(QStringLiteral("id")).toString())},
                walletKey));
        });

        const QJsonObject request =
            makeEvent(23194, 1'700'000'000, QStringLiteral("encrypted pay_invoice"),
                      {tag(QStringLiteral("p"), walletKey)}, clientKey);
        RelayClient client;
        QVERIFY(client.open(relay.url()));
        QJsonObject filter;
        filter.insert(QStringLiteral("kinds"), QJsonArray{23195});
        filter.insert(QStringLiteral("authors"), QJsonArray{walletKey});
        filter.insert(QStringLiteral("#e"), QJsonArray{request.value(QStringLiteral("id"))});
        client.send(QJsonArray{QStringLiteral("REQ"), QStringLiteral("nwc"), filter});
        QVERIFY(client.waitFor(QStringLiteral("EOSE")));
        client.send(QJsonArray{QStringLiteral("EVENT"), request});
        QVERIFY(client.waitFor(QStringLiteral("OK")));
        QVERIFY(client.waitFor(QStringLiteral("EVENT")));
        const QJsonObject response =
            client.messagesOf(QStringLiteral("EVENT")).constFirst().at(2).toObject();
        QCOMPARE(response.value(QStringLiteral("kind")).toInt(), 23195);
        QCOMPARE(response.value(QStringLiteral("content")).toString(),
                 QStringLiteral("encrypted result"));
        QCOMPARE(requestsSeen, 1);

        // Ephemeral: never stored, so a late subscriber gets only EOSE.
        QVERIFY(relay.storedEvents().isEmpty());
        RelayClient late;
        QVERIFY(late.open(relay.url()));
        late.send(QJsonArray{QStringLiteral("REQ"), QStringLiteral("nwc"), filter});
        QVERIFY(late.waitFor(QStringLiteral("EOSE")));
        QCOMPARE(late.messages.size(), 1);
    }

    void relayRejectsWhatRealRelaysReject()
    {
        FakeWebSocketRelay relay;
        QVERIFY(relay.listen());
        relay.setEventPolicy([](const QJsonObject& event) {
            return event.value(QStringLiteral("kind")).toInt() == 4
                       ? QStringLiteral("blocked: no DMs here")
                       : QString();
        });
        RelayClient client;
        QVERIFY(client.open(relay.url()));

        QJsonObject forged = makeEvent(1, 1'700'000'000, QStringLiteral("a"));
        forged.insert(QStringLiteral("content"), QStringLiteral("changed after signing"));
        client.send(QJsonArray{QStringLiteral("EVENT"), forged});
        const QJsonObject blocked = makeEvent(4, 1'700'000'000, QStringLiteral("dm"));
        client.send(QJsonArray{QStringLiteral("EVENT"), blocked});
        const QJsonObject fine = makeEvent(1, 1'700'000'000, QStringLiteral("fine"));
        client.send(QJsonArray{QStringLiteral("EVENT"), fine});
        client.send(QJsonArray{QStringLiteral("EVENT"), fine});
        client.send(QJsonArray{QStringLiteral("EVENT"), QJsonObject{{QStringLiteral("kind"), 1}}});
        QVERIFY(client.waitFor(QStringLiteral("OK"), 5));
        const QList<QJsonArray> oks = client.messagesOf(QStringLiteral("OK"));
        QCOMPARE(oks.at(0).at(2).toBool(), false);
        QCOMPARE(oks.at(0).at(3).toString(), QStringLiteral("invalid: event id does not match"));
        QCOMPARE(oks.at(1).at(3).toString(), QStringLiteral("blocked: no DMs here"));
        QCOMPARE(oks.at(2).at(2).toBool(), true);
        QCOMPARE(oks.at(3).at(2).toBool(), true);
        QVERIFY(oks.at(3).at(3).toString().startsWith(QStringLiteral("duplicate:")));
        QCOMPARE(oks.at(4).at(2).toBool(), false);
        QCOMPARE(relay.storedEvents(), QList<QJsonObject>{fine});
        QCOMPARE(relay.receivedEvents().size(), 5);

        client.send(QJsonArray{QStringLiteral("HELLO")});
        QVERIFY(client.waitFor(QStringLiteral("NOTICE")));
    }

    void relayFiltersLimitsAndReplaces()
    {
        FakeWebSocketRelay relay;
        QVERIFY(relay.listen());
        const QJsonObject first =
            makeEvent(1, 100, QStringLiteral("1"), {tag(QStringLiteral("t"), QStringLiteral("x"))});
        const QJsonObject second = makeEvent(1, 200, QStringLiteral("2"));
        const QJsonObject third =
            makeEvent(1, 300, QStringLiteral("3"), {tag(QStringLiteral("t"), QStringLiteral("x"))});
        const QJsonObject oldInfo = makeEvent(13194, 100, QStringLiteral("pay_invoice"));
        const QJsonObject newInfo =
            makeEvent(13194, 200, QStringLiteral("pay_invoice get_balance"));
        for (const QJsonObject& event : {first, second, third, newInfo, oldInfo}) {
            relay.publish(event);
        }
        QCOMPARE(relay.storedEvents().size(), 4); // the older 13194 lost to the newer one

        RelayClient client;
        QVERIFY(client.open(relay.url()));
        QJsonObject newestTwo;
        newestTwo.insert(QStringLiteral("kinds"), QJsonArray{1});
        newestTwo.insert(QStringLiteral("limit"), 2);
        client.send(QJsonArray{QStringLiteral("REQ"), QStringLiteral("a"), newestTwo});
        QJsonObject tagged;
        tagged.insert(QStringLiteral("#t"), QJsonArray{QStringLiteral("x")});
        tagged.insert(QStringLiteral("until"), 250);
        QJsonObject info;
        info.insert(QStringLiteral("kinds"), QJsonArray{13194});
        client.send(QJsonArray{QStringLiteral("REQ"), QStringLiteral("b"), tagged, info});
        QVERIFY(client.waitFor(QStringLiteral("EOSE"), 2));
        QList<QJsonObject> forA;
        QList<QJsonObject> forB;
        for (const QJsonArray& message : client.messagesOf(QStringLiteral("EVENT"))) {
            (message.at(1).toString() == QLatin1String("a") ? forA : forB)
                .append(message.at(2).toObject());
        }
        QCOMPARE(forA, (QList<QJsonObject>{third, second}));
        QCOMPARE(forB, (QList<QJsonObject>{newInfo, first}));
    }

    void eventIdFollowsNip01Serialisation()
    {
        // Expected values from Python's json.dumps(separators=(',',':'), ensure_ascii=False),
        // which escapes U+0001 as JSON.stringify does; for NIP-01 the \u0001 was replaced by
        // the raw byte before hashing.
        QJsonObject event;
        event.insert(QStringLiteral("pubkey"), hex64('a'));
        event.insert(QStringLiteral("created_at"), 1'700'000'000);
        event.insert(QStringLiteral("kind"), 1);
        event.insert(QStringLiteral("tags"),
                     QJsonArray{QJsonArray{QStringLiteral("e"), hex64('b'),
                                           QStringLiteral("wss://relay.example")},
                                tag(QStringLiteral("p"), hex64('c')),
                                tag(QStringLiteral("t"), QStringLiteral("caf\u00e9"))});
        event.insert(
            QStringLiteral("content"),
            QStringLiteral("line one\nline \"two\"\t\\ \u00e9\u20ac\U0001F600 \x01 </end>"));
        QCOMPARE(
            FakeWebSocketRelay::computeEventId(event),
            QStringLiteral("3672a05d8158cbac27e85999bf657d57f07a53bca2c4b150e5cc36266111b2d9"));
        QCOMPARE(
            FakeWebSocketRelay::computeEventId(event,
                                               FakeWebSocketRelay::IdEscaping::JsonStringify),
            QStringLiteral("6d4afef46f6c2bf98372bd6a69c49351967178bd34f9a3352a557110a0509cc6"));

        // The relay takes an id made either way.
        FakeWebSocketRelay relay;
        QVERIFY(relay.listen());
        RelayClient client;
        QVERIFY(client.open(relay.url()));
        event.insert(QStringLiteral("sig"), QString(128, QLatin1Char('0')));
        for (const auto escaping : {FakeWebSocketRelay::IdEscaping::Nip01,
                                    FakeWebSocketRelay::IdEscaping::JsonStringify}) {
            event.insert(QStringLiteral("id"), FakeWebSocketRelay::computeEventId(event, escaping));
            client.send(QJsonArray{QStringLiteral("EVENT"), event});
        }
        QVERIFY(client.waitFor(QStringLiteral("OK"), 2));
        for (const QJsonArray& ok : client.messagesOf(QStringLiteral("OK"))) {
            QVERIFY2(ok.at(2).toBool(), qPrintable(ok.at(3).toString()));
        }
    }

    void relayDropsRefusesAndComesBack()
    {
        FakeWebSocketRelay relay;
        QVERIFY(relay.listen());
        RelayClient client;
        QVERIFY(client.open(relay.url()));
        QTRY_COMPARE_WITH_TIMEOUT(relay.connectionCount(), 1, kWaitMs);
        relay.dropAllConnections();
        QTRY_COMPARE_WITH_TIMEOUT(client.socket.state(), QAbstractSocket::UnconnectedState,
                                  kWaitMs);
        QCOMPARE(relay.connectionCount(), 0);

        QVERIFY(relay.setRefuseConnections(true));
        RelayClient refused;
        QVERIFY(!refused.open(relay.url()));
        QCOMPARE(refused.lastError, QAbstractSocket::ConnectionRefusedError);

        QVERIFY(relay.setRefuseConnections(false));
        RelayClient again;
        QVERIFY(again.open(relay.url()));
        QCOMPARE(relay.connectionsAccepted(), 2);
    }

    void relayOverTls()
    {
        const auto certificate = makeSelfSignedCertificate();
        QVERIFY(certificate.ok());
        FakeWebSocketRelay relay;
        QVERIFY(relay.listenTls(serverTlsConfiguration(*certificate)));
        QCOMPARE(relay.url().scheme(), QStringLiteral("wss"));
        RelayClient client;
        client.socket.setSslConfiguration(
            clientTlsConfigurationTrusting({certificate->certificate()}));
        QVERIFY(client.open(relay.url()));
        client.send(QJsonArray{QStringLiteral("REQ"), QStringLiteral("s")});
        QVERIFY(client.waitFor(QStringLiteral("EOSE")));
    }
};

QTEST_GUILESS_MAIN(FakeHttpServerTest)
#include "FakeHttpServerTest.moc"
