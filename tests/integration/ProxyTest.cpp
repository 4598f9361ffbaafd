// The local proxy with real clients on loopback: curl, Python (urllib and requests) and Node
// (fetch through undici's EnvHttpProxyAgent, and the gateway), against the Aperture-like paid
// API, paying through LND's double. Then bad input on raw sockets.

#include "core/policy/Agents.h"
#include "core/policy/RuleEdit.h"
#include "core/protocol/Macaroon.h"
#include "core/proxy/ProxyServer.h"
#include "tests/support/EngineHarness.h"
#include "tests/support/FakeHttpServer.h"
#include "tests/support/ManualClock.h"
#include "tests/support/ProcessRunner.h"
#include "tests/support/TestCertificates.h"

#include <QSslCertificateExtension>
#include <QTemporaryFile>

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTest>

using namespace l402;
using namespace l402::test;

namespace {

// A client environment without any proxy settings of the machine running the tests.
QProcessEnvironment cleanEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy",
                             "NO_PROXY", "ALL_PROXY", "all_proxy"}) {
        environment.remove(QString::fromLatin1(name));
    }
    return environment;
}

struct Exchange {
    QByteArray raw; // everything the proxy sent back
    int status = 0;
    QByteArray head() const { return raw.left(raw.indexOf("\r\n\r\n")); }
    QByteArray body() const { return raw.mid(raw.indexOf("\r\n\r\n") + 4); }
};

// Writes raw bytes to the proxy and collects what comes back until it closes or `waitMs`.
Exchange rawExchange(quint16 port, const QByteArray& bytes, int waitMs = 3000,
                     bool closeWrite = false)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    Exchange exchange;
    if (!socket.waitForConnected(3000)) {
        return exchange;
    }
    socket.write(bytes);
    socket.flush();
    if (closeWrite) {
        socket.disconnectFromHost();
    }
    (void)QTest::qWaitFor(
        [&] {
            exchange.raw += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        waitMs);
    exchange.raw += socket.readAll();
    const QList<QByteArray> statusLine = exchange.raw.left(exchange.raw.indexOf("\r\n")).split(' ');
    exchange.status = statusLine.value(1).toInt();
    return exchange;
}

} // namespace

class ProxyTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void curlThroughTheForwardProxy();
    void curlThroughTheGateway();
    void pythonUrllibAndRequests();
    void nodeFetchThroughProxyAndGateway();
    void credentialsAreRequiredEverywhere();
    void gatewayRefusesBrowsersAndForeignHosts();
    void refusalsAreTheContractsJson();
    void walletHeadersAndCredentialsNeverGoUpstream();
    void concurrentAgentsPayOnce();
    void pipelinedRequestsAnswerInOrder();
    void malformedAndSmuggledRequestsGet400();
    void oversizedHeadersGet431();
    void slowClientTimesOut();
    void clientVanishingMidBodyLeavesNothing();
    void upstreamResetMidResponseCutsTheClient();
    void chunkedRequestBodiesAreReplayedAfterPaying();
    void connectTunnelsBlind();
    void runsOnItsOwnThread();
    void httpsIsInterceptedAndPaid();
    void interceptedHttpsForPythonAndNode();
    void bypassedHostsStayBlind();
    void clientsThatDoNotTrustTheCaGetNothing();
    void leafCertificatesAreShapedLikeMitmproxys();
    void aRejectedTokenIsNotSentAgain();
    void largeBodiesStreamAndAreNotReplayed();
    void redirectsArePassedBackNotFollowed();
    void pausedWalletRefusesPaymentsNotFreeRequestsOrTokens();
    void agentRulesHoldUnderASiteRuleThroughTheProxy();
    void aServerThatRefusesWhatItSoldIsPausedAfterOnePayment();
    void aPriceSpikeIsRefusedWithNobodyToAsk();

private:
    QString tlsApiUrl(const QString& path) const
    {
        return QStringLiteral("https://127.0.0.1:%1%2").arg(m_tlsApi->http().port()).arg(path);
    }
    QString proxyUrl() const
    {
        return QStringLiteral("http://alice:%1@127.0.0.1:%2").arg(m_secret).arg(m_proxy->port());
    }
    QString gatewayUrl(const QString& path) const
    {
        return QStringLiteral("http://127.0.0.1:%1/gw/http/127.0.0.1:%2%3")
            .arg(m_proxy->port())
            .arg(m_harness->api().http().port())
            .arg(path);
    }
    QString apiUrl(const QString& path) const { return m_harness->api().url(path).toString(); }
    // curl -i through the forward proxy as alice.
    ProcessResult curlThroughProxy(const QString& path)
    {
        return runProgramServingEvents(QStringLiteral("curl"),
                                       {QStringLiteral("-sS"), QStringLiteral("-i"),
                                        QStringLiteral("-x"), proxyUrl(), apiUrl(path)},
                                       cleanEnvironment());
    }
    // The contract's {"error": {..}} of a refusal, from curl -i's output.
    static QJsonObject errorOf(const QByteArray& out)
    {
        return QJsonDocument::fromJson(out.mid(out.indexOf("\r\n\r\n") + 4))
            .object()[QLatin1String("error")]
            .toObject();
    }

    std::unique_ptr<EngineHarness> m_harness;
    // The engine, alice's credential and the gateway the proxy uses, on `clock`.
    void startWallet(const Clock& clock);
    std::unique_ptr<proxy::EngineGateway> m_gateway;
    proxy::AgentDirectory m_agents;
    std::unique_ptr<proxy::ProxyServer> m_proxy;
    QString m_secret;
    std::shared_ptr<proxy::LocalCa> m_ca;
    std::unique_ptr<QTemporaryFile> m_caFile;  // our CA, as agents get it with `ca export`
    std::unique_ptr<QTemporaryFile> m_apiCert; // the TLS paid API's own certificate
    std::unique_ptr<demo::PaidApiServer> m_tlsApi;
};

void ProxyTest::startWallet(const Clock& clock)
{
    m_harness = std::make_unique<EngineHarness>(clock);
    QVERIFY(m_harness->start());
    m_harness->allowEverything();
    policy::AgentBook agents(m_harness->store().database(), SystemClock::instance());
    auto alice = agents.add(QStringLiteral("alice"));
    QVERIFY(alice.ok());
    m_secret = alice->secret;
    m_agents.replace(agents.credentials().value());
    m_gateway = std::make_unique<proxy::EngineGateway>(m_harness->engine());
}

void ProxyTest::init()
{
    startWallet(SystemClock::instance());
    QVERIFY(m_gateway);

    // The same paid API over HTTPS, with a certificate of its own the proxy is told to trust.
    auto apiCertificate = makeSelfSignedCertificate();
    QVERIFY(apiCertificate.ok());
    m_tlsApi = std::make_unique<demo::PaidApiServer>(
        [this](int64_t amountMsat, const QString& description) {
            return issueTestInvoice(m_harness->lnd(), amountMsat, description);
        },
        SystemClock::instance());
    m_tlsApi->addDemoEndpoints();
    QVERIFY(m_tlsApi->http().listenTls(serverTlsConfiguration(apiCertificate.value())));
    m_apiCert = std::make_unique<QTemporaryFile>();
    QVERIFY(m_apiCert->open());
    m_apiCert->write(apiCertificate->certificatePem);
    m_apiCert->flush();
    auto ca = proxy::LocalCa::createEphemeral(SystemClock::instance());
    QVERIFY(ca.ok());
    m_ca = ca.value();
    m_caFile = std::make_unique<QTemporaryFile>();
    QVERIFY(m_caFile->open());
    m_caFile->write(m_ca->certificatePem());
    m_caFile->flush();

    proxy::ProxySettings settings;
    settings.port = 0;
    settings.headerTimeoutMs = 1000;
    settings.ca = m_ca;
    settings.upstreamTls.extraCaPem = apiCertificate->certificatePem;
    m_proxy = std::make_unique<proxy::ProxyServer>(settings, *m_gateway, m_agents);
    QVERIFY2(m_proxy->listen(), qPrintable(m_proxy->errorString()));
}

void ProxyTest::cleanup()
{
    m_proxy.reset();
    m_tlsApi.reset();
    m_gateway.reset();
    m_harness.reset();
}

void ProxyTest::curlThroughTheForwardProxy()
{
    auto first = runProgramServingEvents(QStringLiteral("curl"),
                                         {QStringLiteral("-sS"), QStringLiteral("-D"),
                                          QStringLiteral("-"), QStringLiteral("-x"), proxyUrl(),
                                          apiUrl(QStringLiteral("/v1/quote"))},
                                         cleanEnvironment());
    QVERIFY2(first.exitCode == 0, first.err.constData());
    QVERIFY2(first.out.startsWith("HTTP/1.1 200"), first.out.constData());
    QVERIFY(first.out.contains("Alan Kay"));
    QVERIFY(first.out.contains("L402-Wallet-Payment: amount_msat=21000; fee_msat=1234; "
                               "payment_hash="));
    // Later requests carry the token: no new challenge, no payment, no payment header.
    auto second = runProgramServingEvents(QStringLiteral("curl"),
                                          {QStringLiteral("-sS"), QStringLiteral("-D"),
                                           QStringLiteral("-"), QStringLiteral("-x"), proxyUrl(),
                                           apiUrl(QStringLiteral("/v1/quote"))},
                                          cleanEnvironment());
    QVERIFY(second.out.startsWith("HTTP/1.1 200"));
    QVERIFY(!second.out.contains("L402-Wallet-Payment"));
    QCOMPARE(m_harness->api().challengesIssued(), 1);
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
}

void ProxyTest::curlThroughTheGateway()
{
    // The LSAT-and-L402 style, and the `token=` variant of older servers.
    for (const bool tokenParameter : {false, true}) {
        demo::ChallengeStyle style;
        style.tokenParameter = tokenParameter;
        m_harness->api().setChallengeStyle(style);
        const QString path =
            tokenParameter ? QStringLiteral("/v1/joke") : QStringLiteral("/v1/weather");
        auto result = runProgramServingEvents(
            QStringLiteral("curl"),
            {QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-H"),
             QStringLiteral("L402-Wallet-Agent: alice:%1").arg(m_secret), gatewayUrl(path)},
            cleanEnvironment());
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QVERIFY2(result.out.startsWith("HTTP/1.1 200"), result.out.constData());
        QVERIFY(result.out.contains("L402-Wallet-Payment"));
    }
    QCOMPARE(m_harness->lnd().totalSendCalls(), 2);
}

void ProxyTest::pythonUrllibAndRequests()
{
    QProcessEnvironment environment = cleanEnvironment();
    environment.insert(QStringLiteral("HTTP_PROXY"), proxyUrl());
    environment.insert(QStringLiteral("http_proxy"), proxyUrl());
    const QString urllib =
        QStringLiteral("import urllib.request, sys\n"
                       "r = urllib.request.urlopen(sys.argv[1])\n"
                       "print(r.status, r.headers.get('L402-Wallet-Payment') is not None)\n"
                       "print(r.read().decode())\n");
    auto plain = runProgramServingEvents(
        QStringLiteral("/usr/bin/python3"),
        {QStringLiteral("-c"), urllib, apiUrl(QStringLiteral("/v1/quote"))}, environment);
    QVERIFY2(plain.exitCode == 0, plain.err.constData());
    QVERIFY(plain.out.startsWith("200 True"));
    QVERIFY(plain.out.contains("Alan Kay"));

    const QString requests =
        QStringLiteral("import requests, sys\n"
                       "r = requests.post(sys.argv[1], json={'q': 'x'})\n"
                       "print(r.status_code, 'L402-Wallet-Payment' in r.headers)\n"
                       "r = requests.get(sys.argv[1])\n"
                       "print(r.status_code, 'L402-Wallet-Payment' in r.headers)\n");
    auto viaRequests = runProgramServingEvents(
        QStringLiteral("/usr/bin/python3"),
        {QStringLiteral("-c"), requests, apiUrl(QStringLiteral("/v1/joke"))}, environment);
    QVERIFY2(viaRequests.exitCode == 0, viaRequests.err.constData());
    QCOMPARE(viaRequests.out, QByteArray("200 True\n200 False\n"));

    // The gateway, with no proxy settings at all.
    const QString gateway = QStringLiteral(
        "import urllib.request, sys\n"
        "q = urllib.request.Request(sys.argv[1], headers={'L402-Wallet-Agent': sys.argv[2]})\n"
        "r = urllib.request.urlopen(q)\n"
        "print(r.status, r.headers.get('L402-Wallet-Payment') is not None, 'Demo City' in "
        "r.read().decode())\n");
    auto viaGateway = runProgramServingEvents(QStringLiteral("/usr/bin/python3"),
                                              {QStringLiteral("-c"), gateway,
                                               gatewayUrl(QStringLiteral("/v1/weather")),
                                               QStringLiteral("alice:") + m_secret},
                                              cleanEnvironment());
    QVERIFY2(viaGateway.exitCode == 0, viaGateway.err.constData());
    QCOMPARE(viaGateway.out, QByteArray("200 True True\n"));
}

void ProxyTest::nodeFetchThroughProxyAndGateway()
{
    // Through the proxy with undici's EnvHttpProxyAgent (HTTP_PROXY), as Node agents do.
    QProcessEnvironment environment = cleanEnvironment();
    environment.insert(QStringLiteral("HTTP_PROXY"), proxyUrl());
    environment.insert(QStringLiteral("NODE_PATH"),
                       QStringLiteral(L402_CROSSCHECK_DIR "/node_modules"));
    const QString viaProxy = QStringLiteral(
        "const { EnvHttpProxyAgent, setGlobalDispatcher, fetch } = require('undici');\n"
        "setGlobalDispatcher(new EnvHttpProxyAgent());\n"
        "fetch(process.argv[1]).then(async (r) => {\n"
        "  console.log(r.status, r.headers.has('l402-wallet-payment'),\n"
        "              (await r.text()).includes('Alan Kay'));\n"
        "}).catch((e) => { console.error(e); process.exit(1); });\n");
    auto proxied = runProgramServingEvents(
        QStringLiteral(NODE_EXECUTABLE),
        {QStringLiteral("-e"), viaProxy, apiUrl(QStringLiteral("/v1/quote"))}, environment);
    QVERIFY2(proxied.exitCode == 0, proxied.err.constData());
    QCOMPARE(proxied.out, QByteArray("200 true true\n"));

    // The gateway with Node's built-in fetch and no proxy settings at all.
    const QString viaGateway = QStringLiteral(
        "fetch(process.argv[1], { headers: { 'L402-Wallet-Agent': process.argv[2] } })\n"
        "  .then(async (r) => console.log(r.status, (await r.text()).includes('Demo City')))\n"
        "  .catch((e) => { console.error(e); process.exit(1); });\n");
    auto gateway = runProgramServingEvents(QStringLiteral(NODE_EXECUTABLE),
                                           {QStringLiteral("-e"), viaGateway,
                                            gatewayUrl(QStringLiteral("/v1/weather")),
                                            QStringLiteral("alice:") + m_secret},
                                           cleanEnvironment());
    QVERIFY2(gateway.exitCode == 0, gateway.err.constData());
    QCOMPARE(gateway.out, QByteArray("200 true\n"));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 2);
}

void ProxyTest::credentialsAreRequiredEverywhere()
{
    const QByteArray target = apiUrl(QStringLiteral("/v1/quote")).toLatin1();
    auto none =
        rawExchange(m_proxy->port(), "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QCOMPARE(none.status, 407);
    QVERIFY(none.head().contains("Proxy-Authenticate: Basic realm=\"L402 Wallet\""));
    QVERIFY(none.head().contains("L402-Wallet-Error: proxy_auth_required"));
    auto wrong =
        rawExchange(m_proxy->port(), "GET " + target + " HTTP/1.1\r\nProxy-Authorization: Basic " +
                                         QByteArray("alice:wrong").toBase64() + "\r\n\r\n");
    QCOMPARE(wrong.status, 407);
    auto connect = rawExchange(m_proxy->port(), "CONNECT example.com:443 HTTP/1.1\r\n\r\n");
    QCOMPARE(connect.status, 407);
    auto gateway = rawExchange(m_proxy->port(),
                               "GET /gw/http/127.0.0.1:1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QCOMPARE(gateway.status, 401);
    QVERIFY(gateway.head().contains("L402-Wallet-Error: agent_auth_required"));
    QCOMPARE(m_harness->api().challengesIssued(), 0); // nothing reached the API
}

void ProxyTest::gatewayRefusesBrowsersAndForeignHosts()
{
    const QByteArray agent = "L402-Wallet-Agent: alice:" + m_secret.toLatin1() + "\r\n";
    const QByteArray path =
        "/gw/http/127.0.0.1:" + QByteArray::number(m_harness->api().http().port()) + "/v1/quote";
    auto rebinding = rawExchange(m_proxy->port(),
                                 "GET " + path + " HTTP/1.1\r\nHost: attacker.example:8402\r\n" +
                                     agent + "\r\n");
    QCOMPARE(rebinding.status, 403);
    auto browser = rawExchange(m_proxy->port(), "GET " + path +
                                                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: "
                                                    "https://evil.example\r\n" +
                                                    agent + "\r\n");
    QCOMPARE(browser.status, 403);
    QVERIFY(browser.head().contains("L402-Wallet-Error: forbidden_origin"));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 0);
}

void ProxyTest::refusalsAreTheContractsJson()
{
    policy::BudgetRule block;
    block.pattern = QStringLiteral("127.0.0.1");
    block.mode = policy::Mode::Block;
    QVERIFY(m_harness->engine().budgets().saveRule(block).ok());
    auto result =
        runProgramServingEvents(QStringLiteral("curl"),
                                {QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-x"),
                                 proxyUrl(), apiUrl(QStringLiteral("/v1/quote"))},
                                cleanEnvironment());
    QVERIFY(result.out.startsWith("HTTP/1.1 402"));
    QVERIFY(result.out.contains("L402-Wallet-Error: site_blocked"));
    const QJsonObject error =
        QJsonDocument::fromJson(result.out.mid(result.out.indexOf("\r\n\r\n") + 4))
            .object()[QLatin1String("error")]
            .toObject();
    QCOMPARE(error[QLatin1String("code")].toString(), QStringLiteral("site_blocked"));
    QVERIFY(!error[QLatin1String("message")].toString().isEmpty());
    QCOMPARE(error[QLatin1String("origin")].toString(),
             policy::Origin::fromUrl(m_harness->api().url(QString()))->toString());

    // The node fails: 502 payment_failed.
    QVERIFY(m_harness->engine().budgets().removeRule(QStringLiteral("127.0.0.1"), {}).value());
    m_harness->lnd().setPayBehaviour(FakeLnd::PayBehaviour::Fail);
    auto failed =
        runProgramServingEvents(QStringLiteral("curl"),
                                {QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-x"),
                                 proxyUrl(), apiUrl(QStringLiteral("/v1/quote"))},
                                cleanEnvironment());
    QVERIFY2(failed.out.startsWith("HTTP/1.1 502"), failed.out.constData());
    QVERIFY(failed.out.contains("L402-Wallet-Error: payment_failed"));
}

void ProxyTest::walletHeadersAndCredentialsNeverGoUpstream()
{
    FakeHttpServer echo;
    QVERIFY(echo.listen());
    echo.route("GET", QStringLiteral("/echo"), [](const FakeRequest&, FakeResponder& r) {
        r.reply(200, {{"Content-Type", "text/plain"}}, "ok");
    });
    const QByteArray request =
        "GET " + echo.url(QStringLiteral("/echo")).toString().toLatin1() +
        " HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic " +
        QByteArray("alice:" + m_secret.toLatin1()).toBase64() +
        "\r\nL402-Wallet-Agent: alice:" + m_secret.toLatin1() +
        "\r\nL402-Wallet-Anything: x\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: "
        "timeout=5\r\nX-Kept: yes\r\n\r\n";
    auto response = rawExchange(m_proxy->port(), request);
    QCOMPARE(response.status, 200);
    QVERIFY(echo.waitForRequests(1));
    const FakeRequest seen = echo.requests().first();
    QVERIFY(!seen.hasHeader("Proxy-Authorization"));
    QVERIFY(!seen.hasHeader("L402-Wallet-Agent"));
    QVERIFY(!seen.hasHeader("L402-Wallet-Anything"));
    QVERIFY(!seen.hasHeader("X-Hop"));
    QVERIFY(!seen.hasHeader("Keep-Alive"));
    QCOMPARE(seen.header("X-Kept"), QByteArray("yes"));
    for (const auto& [name, value] : seen.headers) {
        QVERIFY2(!value.contains(m_secret.toLatin1()), name.constData());
    }
}

void ProxyTest::concurrentAgentsPayOnce()
{
    QNetworkAccessManager network;
    network.setProxy(QNetworkProxy(QNetworkProxy::HttpProxy, QStringLiteral("127.0.0.1"),
                                   m_proxy->port(), QStringLiteral("alice"), m_secret));
    constexpr int kRequests = 200;
    int ok = 0;
    int finished = 0;
    int paid = 0;
    for (int i = 0; i < kRequests; ++i) {
        QNetworkReply* reply =
            network.get(QNetworkRequest(QUrl(apiUrl(QStringLiteral("/v1/quote")))));
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply] {
            ++finished;
            ok += reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200;
            paid += reply->hasRawHeader("L402-Wallet-Payment");
            reply->deleteLater();
        });
    }
    QVERIFY(QTest::qWaitFor([&] { return finished == kRequests; }, 60'000));
    QCOMPARE(ok, kRequests);
    QCOMPARE(paid, 1);
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
}

void ProxyTest::pipelinedRequestsAnswerInOrder()
{
    const QByteArray auth = "Proxy-Authorization: Basic " +
                            QByteArray("alice:" + m_secret.toLatin1()).toBase64() + "\r\n";
    const QByteArray index = m_harness->api().url(QStringLiteral("/")).toString().toLatin1();
    const QByteArray quote = apiUrl(QStringLiteral("/v1/quote")).toLatin1();
    auto exchange =
        rawExchange(m_proxy->port(), "GET " + index + " HTTP/1.1\r\nHost: a\r\n" + auth + "\r\n" +
                                         "GET " + quote + " HTTP/1.1\r\nHost: a\r\n" + auth +
                                         "Connection: close\r\n\r\n");
    const QByteArray& raw = exchange.raw;
    QVERIFY2(raw.startsWith("HTTP/1.1 200"), raw.constData());
    const qsizetype second = raw.indexOf("HTTP/1.1 200", 10);
    QVERIFY(second > 0);
    QVERIFY(raw.indexOf("L402 Wallet demo API") < second); // the index first
    QVERIFY(raw.indexOf("Alan Kay") > second);             // then the paid quote
}

void ProxyTest::malformedAndSmuggledRequestsGet400()
{
    const QByteArray auth = "Proxy-Authorization: Basic " +
                            QByteArray("alice:" + m_secret.toLatin1()).toBase64() + "\r\n";
    const QByteArray target = apiUrl(QStringLiteral("/v1/quote")).toLatin1();
    const QList<QByteArray> attacks = {
        "GARBAGE\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n",
        "GET " + target + " HTTP/9.9\r\n\r\n",
        // CL.TE and TE.CL smuggling, duplicate lengths, obfuscated codings.
        "POST " + target + " HTTP/1.1\r\n" + auth +
            "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST " + target + " HTTP/1.1\r\n" + auth +
            "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        "POST " + target + " HTTP/1.1\r\n" + auth +
            "Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
        "POST " + target + " HTTP/1.1\r\n" + auth + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        "POST " + target + " HTTP/1.1\r\n" + auth +
            "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        "GET " + target + " HTTP/1.1\r\nBad Header: x\r\n\r\n",
        "CONNECT nohostport HTTP/1.1\r\n" + auth + "\r\n",
        "CONNECT evil.example:99999 HTTP/1.1\r\n" + auth + "\r\n",
    };
    for (const QByteArray& attack : attacks) {
        auto response = rawExchange(m_proxy->port(), attack);
        const int expected = attack.contains("HTTP/9.9") ? 505 : 400;
        QVERIFY2(response.status == expected, attack.constData());
    }
    QCOMPARE(m_harness->api().challengesIssued(), 0);
    QCOMPARE(m_harness->lnd().totalSendCalls(), 0);
    QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 5000));
}

void ProxyTest::oversizedHeadersGet431()
{
    const QByteArray big(proxy::kMaxHeaderBytes + 10, 'a');
    auto response = rawExchange(m_proxy->port(),
                                "GET http://127.0.0.1/ HTTP/1.1\r\nX-Big: " + big + "\r\n\r\n");
    QCOMPARE(response.status, 431);
    auto longTarget =
        rawExchange(m_proxy->port(), "GET http://127.0.0.1/" +
                                         QByteArray(proxy::kMaxRequestTargetBytes + 1, 'x') +
                                         " HTTP/1.1\r\n\r\n");
    QCOMPARE(longTarget.status, 431);
    QByteArray many = "GET http://127.0.0.1/ HTTP/1.1\r\n";
    for (int i = 0; i <= proxy::kMaxHeaderFields; ++i) {
        many += "X-" + QByteArray::number(i) + ": 1\r\n";
    }
    QCOMPARE(rawExchange(m_proxy->port(), many + "\r\n").status, 431);
}

void ProxyTest::slowClientTimesOut()
{
    // Half a request line and then silence: answered 408 once the head timeout (1 s here)
    // passes, and the connection is closed.
    auto response = rawExchange(m_proxy->port(), "GET http://127.0.0.1/ HT", 5000);
    QCOMPARE(response.status, 408);
    QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 5000));
}

void ProxyTest::clientVanishingMidBodyLeavesNothing()
{
    const QByteArray auth = "Proxy-Authorization: Basic " +
                            QByteArray("alice:" + m_secret.toLatin1()).toBase64() + "\r\n";
    auto response =
        rawExchange(m_proxy->port(),
                    "POST " + apiUrl(QStringLiteral("/v1/quote")).toLatin1() + " HTTP/1.1\r\n" +
                        auth + "Content-Length: 1000\r\n\r\nonly-a-bit",
                    500, true);
    QVERIFY(response.raw.isEmpty());
    QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 5000));
    QCOMPARE(m_harness->api().challengesIssued(), 0);
}

void ProxyTest::upstreamResetMidResponseCutsTheClient()
{
    FakeHttpServer breaking;
    QVERIFY(breaking.listen());
    breaking.route("GET", QStringLiteral("/big"), [](const FakeRequest&, FakeResponder& r) {
        r.streamChunks(200, {{"Content-Length", "100000"}}, {QByteArray(1000, 'x')},
                       std::chrono::milliseconds(10), FakeResponder::StreamEnd::CloseAbruptly);
    });
    auto result = runProgramServingEvents(
        QStringLiteral("curl"),
        {QStringLiteral("-sS"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
         QStringLiteral("-x"), proxyUrl(), breaking.url(QStringLiteral("/big")).toString()},
        cleanEnvironment());
    QVERIFY(result.exitCode != 0); // curl sees a truncated transfer, not a complete one
    QVERIFY2(result.err.contains("transfer closed"), result.err.constData());
    QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 5000));
}

void ProxyTest::chunkedRequestBodiesAreReplayedAfterPaying()
{
    FakeHttpServer paid;
    QVERIFY(paid.listen());
    auto invoice = issueTestInvoice(m_harness->lnd(), 21'000, QStringLiteral("upload"));
    QVERIFY(invoice.ok());
    protocol::L402Identifier identifier;
    identifier.paymentHash = invoice->paymentHash;
    identifier.tokenId = crypto::randomBytes(32);
    const auto macaroon =
        protocol::Macaroon::mint("root", identifier.encode(), QStringLiteral("up"));
    QByteArray bodySeenAfterPaying;
    paid.route(
        "POST", QStringLiteral("/upload"), [&](const FakeRequest& request, FakeResponder& r) {
            if (request.header("Authorization").isEmpty()) {
                const QByteArray challenge = "L402 macaroon=\"" + macaroon.toBase64() +
                                             "\", invoice=\"" + invoice->invoice.toLatin1() + "\"";
                r.reply(402, {{"WWW-Authenticate", challenge}});
                return;
            }
            bodySeenAfterPaying = request.body;
            r.reply(201, {}, "stored");
        });
    const QByteArray auth = "Proxy-Authorization: Basic " +
                            QByteArray("alice:" + m_secret.toLatin1()).toBase64() + "\r\n";
    auto response = rawExchange(
        m_proxy->port(), "POST " + paid.url(QStringLiteral("/upload")).toString().toLatin1() +
                             " HTTP/1.1\r\n" + auth +
                             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                             "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    QCOMPARE(response.status, 201);
    QCOMPARE(bodySeenAfterPaying, QByteArray("hello world"));
}

void ProxyTest::connectTunnelsBlind()
{
    FakeHttpServer origin;
    QVERIFY(origin.listen());
    origin.route("GET", QStringLiteral("/x"), [](const FakeRequest&, FakeResponder& r) {
        r.reply(200, {}, "through the tunnel");
    });
    auto result =
        runProgramServingEvents(QStringLiteral("curl"),
                                {QStringLiteral("-sS"), QStringLiteral("-p"), QStringLiteral("-x"),
                                 proxyUrl(), origin.url(QStringLiteral("/x")).toString()},
                                cleanEnvironment());
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QCOMPARE(result.out, QByteArray("through the tunnel"));
}

void ProxyTest::runsOnItsOwnThread()
{
    m_proxy.reset();
    proxy::ProxySettings settings;
    settings.port = 0;
    proxy::ProxyThread thread(settings, *m_gateway, m_agents);
    auto port = thread.start();
    QVERIFY2(port.ok(), qPrintable(port ? QString() : port.error().message));
    auto result = runProgramServingEvents(
        QStringLiteral("curl"),
        {QStringLiteral("-sS"), QStringLiteral("-x"),
         QStringLiteral("http://alice:%1@127.0.0.1:%2").arg(m_secret).arg(port.value()),
         apiUrl(QStringLiteral("/v1/quote"))},
        cleanEnvironment());
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QVERIFY(result.out.contains("Alan Kay"));
}

void ProxyTest::httpsIsInterceptedAndPaid()
{
    const QStringList arguments{QStringLiteral("-sS"),
                                QStringLiteral("-i"),
                                QStringLiteral("--cacert"),
                                m_caFile->fileName(),
                                QStringLiteral("-x"),
                                proxyUrl(),
                                tlsApiUrl(QStringLiteral("/v1/quote"))};
    auto first = runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment());
    QVERIFY2(first.exitCode == 0, first.err.constData());
    QVERIFY2(first.out.startsWith("HTTP/1.1 200 Connection established"), first.out.constData());
    QVERIFY2(first.out.contains("L402-Wallet-Payment: amount_msat=21000"), first.out.constData());
    QVERIFY(first.out.contains("Alan Kay"));
    auto second = runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment());
    QVERIFY(second.out.contains("Alan Kay"));
    QVERIFY(!second.out.contains("L402-Wallet-Payment"));
    QCOMPARE(m_tlsApi->challengesIssued(), 1);
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
}

void ProxyTest::interceptedHttpsForPythonAndNode()
{
    QProcessEnvironment environment = cleanEnvironment();
    environment.insert(QStringLiteral("HTTPS_PROXY"), proxyUrl());
    environment.insert(QStringLiteral("https_proxy"), proxyUrl());
    environment.insert(QStringLiteral("REQUESTS_CA_BUNDLE"), m_caFile->fileName());
    environment.insert(QStringLiteral("NODE_EXTRA_CA_CERTS"), m_caFile->fileName());
    environment.insert(QStringLiteral("NODE_PATH"),
                       QStringLiteral(L402_CROSSCHECK_DIR "/node_modules"));
    const QString requests = QStringLiteral(
        "import requests, sys\n"
        "r = requests.get(sys.argv[1])\n"
        "print(r.status_code, 'L402-Wallet-Payment' in r.headers, 'Alan Kay' in r.text)\n");
    auto python = runProgramServingEvents(
        QStringLiteral("/usr/bin/python3"),
        {QStringLiteral("-c"), requests, tlsApiUrl(QStringLiteral("/v1/quote"))}, environment);
    QVERIFY2(python.exitCode == 0, python.err.constData());
    QCOMPARE(python.out, QByteArray("200 True True\n"));
    const QString node = QStringLiteral(
        "const { EnvHttpProxyAgent, setGlobalDispatcher, fetch } = require('undici');\n"
        "setGlobalDispatcher(new EnvHttpProxyAgent());\n"
        "fetch(process.argv[1]).then(async (r) => {\n"
        "  console.log(r.status, r.headers.has('l402-wallet-payment'),\n"
        "              (await r.text()).includes('Demo City'));\n"
        "}).catch((e) => { console.error(e); process.exit(1); });\n");
    auto viaNode = runProgramServingEvents(
        QStringLiteral(NODE_EXECUTABLE),
        {QStringLiteral("-e"), node, tlsApiUrl(QStringLiteral("/v1/weather"))}, environment);
    QVERIFY2(viaNode.exitCode == 0, viaNode.err.constData());
    QCOMPARE(viaNode.out, QByteArray("200 true true\n"));
}

void ProxyTest::bypassedHostsStayBlind()
{
    m_proxy.reset();
    proxy::ProxySettings settings;
    settings.port = 0;
    settings.ca = m_ca;
    settings.bypassHosts = {QStringLiteral("127.0.0.1")};
    m_proxy = std::make_unique<proxy::ProxyServer>(settings, *m_gateway, m_agents);
    QVERIFY(m_proxy->listen());
    // The client sees the origin's own certificate (it trusts only that one), and the 402
    // passes through unpaid: the wallet cannot read a blind tunnel.
    auto result = runProgramServingEvents(
        QStringLiteral("curl"),
        {QStringLiteral("-sS"), QStringLiteral("-o"), QStringLiteral("/dev/null"),
         QStringLiteral("-w"), QStringLiteral("%{http_code}"), QStringLiteral("--cacert"),
         m_apiCert->fileName(), QStringLiteral("-x"), proxyUrl(),
         tlsApiUrl(QStringLiteral("/v1/quote"))},
        cleanEnvironment());
    QVERIFY2(result.exitCode == 0, result.err.constData());
    QCOMPARE(result.out, QByteArray("402"));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 0);
}

void ProxyTest::clientsThatDoNotTrustTheCaGetNothing()
{
    auto result = runProgramServingEvents(QStringLiteral("curl"),
                                          {QStringLiteral("-sS"), QStringLiteral("--cacert"),
                                           m_apiCert->fileName(), QStringLiteral("-x"), proxyUrl(),
                                           tlsApiUrl(QStringLiteral("/v1/quote"))},
                                          cleanEnvironment());
    QVERIFY(result.exitCode != 0); // certificate problem: the client refuses, nothing is paid
    QCOMPARE(m_harness->lnd().totalSendCalls(), 0);
    QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 5000));
}

void ProxyTest::leafCertificatesAreShapedLikeMitmproxys()
{
    auto leaf = m_ca->leafFor(QStringLiteral("api.example.com"));
    QVERIFY(leaf.ok());
    const QSslCertificate& certificate = leaf->certificate;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QVERIFY(certificate.effectiveDate() <= now.addDays(-1)); // back-dated
    QVERIFY(certificate.expiryDate() <= now.addDays(proxy::LocalCa::kLeafValidityDays));
    QVERIFY(certificate.expiryDate() > now.addDays(100));
    QCOMPARE(certificate.subjectAlternativeNames().values(QSsl::DnsEntry),
             QStringList{QStringLiteral("api.example.com")});
    QCOMPARE(certificate.issuerDisplayName(), m_ca->certificate().subjectDisplayName());
    bool authorityKeyId = false;
    for (const QSslCertificateExtension& extension : certificate.extensions()) {
        authorityKeyId =
            authorityKeyId || extension.name() == QLatin1String("authorityKeyIdentifier");
    }
    QVERIFY(authorityKeyId);
    // (That a client trusting the CA accepts it is what httpsIsInterceptedAndPaid shows.)
    // IP addresses go into the SAN as addresses; leaves are cached per host.
    auto address = m_ca->leafFor(QStringLiteral("127.0.0.1"));
    QVERIFY(address.ok());
    QCOMPARE(address->certificate.subjectAlternativeNames().values(QSsl::IpAddressEntry),
             QStringList{QStringLiteral("127.0.0.1")});
    QCOMPARE(m_ca->leafFor(QStringLiteral("api.example.com"))->certificate, certificate);
}

void ProxyTest::aRejectedTokenIsNotSentAgain()
{
    const QStringList arguments{QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-x"),
                                proxyUrl(), apiUrl(QStringLiteral("/v1/quote"))};
    QVERIFY(runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment())
                .out.contains("L402-Wallet-Payment"));
    // The proxy now answers this site from its copy of the tokens...
    QVERIFY(!runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment())
                 .out.contains("L402-Wallet-Payment"));
    // ...until the server stops taking the token (restarted, its root keys gone): the 402
    // marks it rejected, and once the owner lets the site be paid again a new one is bought
    // and the copy follows.
    const quint16 port = m_harness->api().http().port();
    m_harness->api().http().close();
    demo::PaidApiServer restarted(
        [this](int64_t amountMsat, const QString& description) {
            return issueTestInvoice(m_harness->lnd(), amountMsat, description);
        },
        SystemClock::instance());
    restarted.addDemoEndpoints();
    QVERIFY(restarted.listen(port));
    // A token bought a moment ago refused: the drain guard cannot tell a restart from a
    // server that takes money without giving access, so the site waits for the owner.
    auto suspected = runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment());
    QVERIFY2(suspected.out.contains("L402-Wallet-Error: origin_paused"), suspected.out.constData());
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
    QVERIFY(m_harness->engine()
                .drainGuard()
                .resume(m_harness->api().url(QString()).adjusted(QUrl::RemovePath).toString())
                .value());
    auto renewed = runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment());
    QVERIFY2(renewed.out.startsWith("HTTP/1.1 200"), renewed.out.constData());
    QVERIFY(renewed.out.contains("L402-Wallet-Payment"));
    auto after = runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment());
    QVERIFY(after.out.startsWith("HTTP/1.1 200"));
    QVERIFY(!after.out.contains("L402-Wallet-Payment"));
    QCOMPARE(restarted.challengesIssued(), 2); // the suspected request and the renewal
    QCOMPARE(m_harness->lnd().totalSendCalls(), 2);
}

void ProxyTest::largeBodiesStreamAndAreNotReplayed()
{
    FakeHttpServer origin;
    QVERIFY(origin.listen());
    origin.route(
        "POST", QStringLiteral("/upload"), [](const FakeRequest& request, FakeResponder& r) {
            r.reply(200, {{"Content-Type", "text/plain"}}, crypto::sha256(request.body).toHex());
        });
    auto invoice = issueTestInvoice(m_harness->lnd(), 21'000, QStringLiteral("upload"));
    protocol::L402Identifier identifier;
    identifier.paymentHash = invoice->paymentHash;
    identifier.tokenId = crypto::randomBytes(32);
    const QByteArray challenge =
        "L402 macaroon=\"" +
        protocol::Macaroon::mint("root", identifier.encode(), QStringLiteral("up")).toBase64() +
        "\", invoice=\"" + invoice->invoice.toLatin1() + "\"";
    origin.route("POST", QStringLiteral("/paid-upload"), [&](const FakeRequest&, FakeResponder& r) {
        r.reply(402, {{"WWW-Authenticate", challenge}}, "payment required\n");
    });
    // 12 MiB: more than the 8 MiB kept for a replay.
    QTemporaryFile big;
    QVERIFY(big.open());
    QByteArray block(1024 * 1024, '\0');
    for (int i = 0; i < 12; ++i) {
        block.fill(static_cast<char>('a' + i));
        big.write(block);
    }
    big.flush();
    big.seek(0);
    const QByteArray expected = crypto::sha256(big.readAll()).toHex();
    for (const bool chunked : {false, true}) {
        QStringList arguments{QStringLiteral("-sS"),
                              QStringLiteral("-x"),
                              proxyUrl(),
                              QStringLiteral("--data-binary"),
                              QStringLiteral("@") + big.fileName(),
                              origin.url(QStringLiteral("/upload")).toString()};
        if (chunked) {
            arguments << QStringLiteral("-H") << QStringLiteral("Transfer-Encoding: chunked");
        }
        auto result = runProgramServingEvents(QStringLiteral("curl"), arguments, cleanEnvironment(),
                                              {}, 60'000);
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QCOMPARE(result.out, expected); // every byte arrived, in order
    }
    // A large body meeting a 402 cannot be sent again after paying: a clear 413, no payment.
    auto refused = runProgramServingEvents(
        QStringLiteral("curl"),
        {QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-x"), proxyUrl(),
         QStringLiteral("--data-binary"), QStringLiteral("@") + big.fileName(),
         origin.url(QStringLiteral("/paid-upload")).toString()},
        cleanEnvironment(), {}, 60'000);
    // (After the "100 Continue" the proxy sends to a client that waits for it.)
    QVERIFY2(refused.out.contains("\r\n\r\nHTTP/1.1 413 "), refused.out.left(300).constData());
    QVERIFY(refused.out.contains("L402-Wallet-Error: body_too_large_to_replay"));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 0);
    // Small bodies are still kept and replayed after paying (chunkedRequestBodiesAre...).
    QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 10'000));
}

void ProxyTest::redirectsArePassedBackNotFollowed()
{
    FakeHttpServer origin;
    QVERIFY(origin.listen());
    origin.route("GET", QStringLiteral("/old"), [&](const FakeRequest&, FakeResponder& r) {
        r.reply(302, {{"Location", origin.url(QStringLiteral("/new")).toString().toLatin1()}});
    });
    origin.route("GET", QStringLiteral("/new"),
                 [](const FakeRequest&, FakeResponder& r) { r.reply(200, {}, "new"); });
    auto result =
        runProgramServingEvents(QStringLiteral("curl"),
                                {QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-x"),
                                 proxyUrl(), origin.url(QStringLiteral("/old")).toString()},
                                cleanEnvironment());
    QVERIFY2(result.out.startsWith("HTTP/1.1 302"), result.out.constData());
    const QByteArray location =
        "Location: " + origin.url(QStringLiteral("/new")).toString().toLatin1();
    QVERIFY(result.out.contains(location));
    QCOMPARE(origin.requestCount("GET", QStringLiteral("/new")), 0); // the client decides
}

// The kill switch through the real proxy: a paid request gets 402 wallet_paused (the contract's
// JSON), a free one passes, a token bought before the pause still works, an agent pause names
// the agent; nothing is paid while paused.
void ProxyTest::pausedWalletRefusesPaymentsNotFreeRequestsOrTokens()
{
    auto curl = [this](const QString& path) {
        return curlThroughProxy(path);
    };
    QVERIFY(curl(QStringLiteral("/v1/quote")).out.startsWith("HTTP/1.1 200"));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
    QVERIFY(m_harness->engine().spendingSwitch().pauseAll().value());

    const auto paid = curl(QStringLiteral("/v1/joke"));
    QVERIFY2(paid.out.startsWith("HTTP/1.1 402"), paid.out.constData());
    QVERIFY(paid.out.contains("L402-Wallet-Error: wallet_paused"));
    const QJsonObject error = errorOf(paid.out);
    QCOMPARE(error[QLatin1String("code")].toString(), QStringLiteral("wallet_paused"));
    QVERIFY(error[QLatin1String("message")].toString().contains(QStringLiteral("paused")));

    const auto free = curl(QStringLiteral("/"));
    QVERIFY2(free.out.startsWith("HTTP/1.1 200"), free.out.constData());
    QVERIFY(!free.out.contains("L402-Wallet-Error"));
    const auto cached = curl(QStringLiteral("/v1/quote"));
    QVERIFY2(cached.out.startsWith("HTTP/1.1 200"), cached.out.constData());
    QVERIFY(cached.out.contains("Alan Kay"));
    QVERIFY(!cached.out.contains("L402-Wallet-Payment"));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);

    QVERIFY(m_harness->engine().spendingSwitch().resumeAll().value());
    QVERIFY(m_harness->engine().spendingSwitch().pauseAgent(QStringLiteral("alice")).value());
    const auto agentPaused = curl(QStringLiteral("/v1/joke"));
    QVERIFY2(agentPaused.out.startsWith("HTTP/1.1 402"), agentPaused.out.constData());
    QVERIFY(agentPaused.out.contains("L402-Wallet-Error: agent_paused"));
    QVERIFY(errorOf(agentPaused.out)[QLatin1String("message")].toString().contains(
        QStringLiteral("alice")));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);

    QVERIFY(m_harness->engine().spendingSwitch().resumeAgent(QStringLiteral("alice")).value());
    const auto resumed = curl(QStringLiteral("/v1/joke"));
    QVERIFY2(resumed.out.startsWith("HTTP/1.1 200"), resumed.out.constData());
    QCOMPARE(m_harness->lnd().totalSendCalls(), 2);
}

// The issue's case through the real proxy: an agent's cap and rate are not lifted by a site
// rule in auto; each refusal is the contract's 402 naming the rule that refused.
void ProxyTest::agentRulesHoldUnderASiteRuleThroughTheProxy()
{
    auto curl = [this](const QString& path) {
        return curlThroughProxy(path);
    };
    policy::BudgetRule site;
    site.pattern = m_harness->api().url(QStringLiteral("/")).host();
    site.mode = policy::Mode::Auto;
    QVERIFY(m_harness->engine().budgets().saveRule(site).ok());
    policy::RuleEdit alice;
    alice.pattern = QStringLiteral("*");
    alice.agent = QStringLiteral("alice");
    alice.dailyMsat = std::optional<int64_t>(20'000);
    QVERIFY(m_harness->engine().budgets().editRule(alice).ok());

    const auto over = curl(QStringLiteral("/v1/quote")); // 21 sat
    QVERIFY2(over.out.startsWith("HTTP/1.1 402"), over.out.constData());
    QVERIFY(over.out.contains("L402-Wallet-Error: budget_exceeded"));
    QVERIFY2(errorOf(over.out)[QLatin1String("message")].toString().contains(
                 QStringLiteral("\"*\" (agent alice)")),
             over.out.constData());
    QCOMPARE(m_harness->lnd().totalSendCalls(), 0);

    // The same rule, now one payment a minute and no daily cap (the edit keeps the rest).
    alice.dailyMsat = std::optional<int64_t>();
    alice.maxRate = std::optional<policy::PaymentRate>(policy::PaymentRate{1, 60});
    QVERIFY(m_harness->engine().budgets().editRule(alice).ok());
    QVERIFY(curl(QStringLiteral("/v1/joke")).out.startsWith("HTTP/1.1 200"));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
    const auto fast = curl(QStringLiteral("/v1/quote"));
    QVERIFY2(fast.out.startsWith("HTTP/1.1 402"), fast.out.constData());
    QVERIFY(fast.out.contains("L402-Wallet-Error: rate_limited"));
    QVERIFY(
        errorOf(fast.out)[QLatin1String("message")].toString().contains(QStringLiteral("1/min")));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
}

// The drain guard through the real proxy: paid once, then 402 origin_paused for every request
// to that site, with the contract's JSON; nothing more is paid.
void ProxyTest::aServerThatRefusesWhatItSoldIsPausedAfterOnePayment()
{
    demo::PaidEndpoint drain;
    drain.path = QStringLiteral("/v1/drain");
    drain.service = QStringLiteral("drain");
    drain.priceSat = 7;
    drain.body = "never served";
    drain.neverServes = true;
    m_harness->api().addEndpoint(drain);
    for (int i = 0; i < 3; ++i) {
        const auto refused = runProgramServingEvents(QStringLiteral("curl"),
                                                     {QStringLiteral("-sS"), QStringLiteral("-i"),
                                                      QStringLiteral("-x"), proxyUrl(),
                                                      apiUrl(QStringLiteral("/v1/drain"))},
                                                     cleanEnvironment());
        QVERIFY2(refused.out.startsWith("HTTP/1.1 402"), refused.out.constData());
        QVERIFY2(refused.out.contains("L402-Wallet-Error: origin_paused"), refused.out.constData());
        const QJsonObject error =
            QJsonDocument::fromJson(refused.out.mid(refused.out.indexOf("\r\n\r\n") + 4))
                .object()[QLatin1String("error")]
                .toObject();
        QCOMPARE(error[QLatin1String("code")].toString(), QStringLiteral("origin_paused"));
    }
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
}

// The price-spike guard through the real proxy, on a wallet whose clock the test moves (so a
// token can expire and a new one be bought at the new price): with nobody to ask, a price
// more than 10x the last one is refused with 402 price_spike naming both prices.
void ProxyTest::aPriceSpikeIsRefusedWithNobodyToAsk()
{
    m_proxy.reset();
    m_gateway.reset();
    m_harness.reset();
    ManualClock clock(QDateTime::currentDateTimeUtc());
    const auto beforeTheClock = qScopeGuard([this] { // gone before `clock` is, however it ends
        m_proxy.reset();
        m_gateway.reset();
        m_harness.reset();
    });
    startWallet(clock);
    QVERIFY(m_gateway);
    proxy::ProxySettings settings;
    settings.port = 0;
    settings.ca = m_ca;
    m_proxy = std::make_unique<proxy::ProxyServer>(settings, *m_gateway, m_agents);
    QVERIFY(m_proxy->listen());

    demo::PaidEndpoint cheap;
    cheap.path = QStringLiteral("/v1/cheap");
    cheap.service = QStringLiteral("cheap");
    cheap.priceSat = 2;
    cheap.body = "{}";
    cheap.validForSeconds = 60;
    m_harness->api().addEndpoint(cheap);
    auto curl = [this] {
        return runProgramServingEvents(QStringLiteral("curl"),
                                       {QStringLiteral("-sS"), QStringLiteral("-i"),
                                        QStringLiteral("-x"), proxyUrl(),
                                        apiUrl(QStringLiteral("/v1/cheap"))},
                                       cleanEnvironment());
    };
    QVERIFY(curl().out.startsWith("HTTP/1.1 200"));
    cheap.priceSat = 50; // 25x
    m_harness->api().addEndpoint(cheap);
    clock.advance(120); // the token has expired
    const auto spiked = curl();
    QVERIFY2(spiked.out.startsWith("HTTP/1.1 402"), spiked.out.constData());
    QVERIFY(spiked.out.contains("L402-Wallet-Error: price_spike"));
    const QString message =
        QJsonDocument::fromJson(spiked.out.mid(spiked.out.indexOf("\r\n\r\n") + 4))
            .object()[QLatin1String("error")]
            .toObject()[QLatin1String("message")]
            .toString();
    QVERIFY2(message.contains(QStringLiteral("50 sat")) &&
                 message.contains(QStringLiteral("2 sat")),
             qPrintable(message));
    QCOMPARE(m_harness->lnd().totalSendCalls(), 1);
}

QTEST_GUILESS_MAIN(ProxyTest)
#include "ProxyTest.moc"
