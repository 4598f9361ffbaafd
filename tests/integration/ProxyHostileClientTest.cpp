// The proxy against clients that try to exhaust it rather than use it: bodies sent without a
// credential, slow heads holding every slot, bodies trickled a byte at a time, many large
// bodies at once. Each attack was reproduced against the earlier proxy (which buffered 8 MiB
// per unauthenticated POST and let 1,030 slow connections lock agents out); memory figures
// are measured in tests/bench, this asserts the behaviour.

#include "core/policy/Agents.h"
#include "core/proxy/ProxyServer.h"
#include "tests/support/EngineHarness.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTest>

#include <sys/resource.h>

#include <memory>
#include <vector>

using namespace l402;
using namespace l402::test;

namespace {

struct Exchange {
    QByteArray raw;
    int status = 0;
    bool closed = false;
};

// Writes `bytes`, then reads until the proxy closes or `waitMs` passes.
Exchange exchange(quint16 port, const QByteArray& bytes, int waitMs = 5000)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    Exchange result;
    if (!socket.waitForConnected(3000)) {
        return result;
    }
    socket.write(bytes);
    result.closed = QTest::qWaitFor(
        [&] {
            result.raw += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        waitMs);
    result.raw += socket.readAll();
    result.status = result.raw.left(result.raw.indexOf("\r\n")).split(' ').value(1).toInt();
    return result;
}

} // namespace

class ProxyHostileClientTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        m_harness = std::make_unique<EngineHarness>(SystemClock::instance());
        QVERIFY(m_harness->start());
        m_harness->allowEverything();
        policy::AgentBook agents(m_harness->store().database(), SystemClock::instance());
        auto alice = agents.add(QStringLiteral("alice"));
        QVERIFY(alice.ok());
        m_auth = "Proxy-Authorization: Basic " +
                 QByteArray("alice:" + alice->secret.toLatin1()).toBase64() + "\r\n";
        m_agentHeader = "L402-Wallet-Agent: alice:" + alice->secret.toLatin1() + "\r\n";
        m_agents.replace(agents.credentials().value());
        m_gateway = std::make_unique<proxy::EngineGateway>(m_harness->engine());
    }
    void cleanup()
    {
        m_proxy.reset();
        m_gateway.reset();
        m_harness.reset();
    }

    // A head without a valid credential (or for the gateway, from a browser or a foreign
    // Host) is answered at once and the connection closed: the 8 MiB body it announces is
    // never waited for, read or kept, and no 100 Continue invites it.
    void unauthenticatedBodiesAreNeverRead_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("code");
        const QByteArray body = "Content-Length: 8388608\r\nExpect: 100-continue\r\n\r\n";
        QTest::newRow("forward, no credential")
            << "POST http://127.0.0.1:9/v1/quote HTTP/1.1\r\nHost: 127.0.0.1:9\r\n" + body << 407
            << QByteArray("proxy_auth_required");
        QTest::newRow("forward, wrong credential")
            << "POST http://127.0.0.1:9/v1/quote HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
               "Proxy-Authorization: Basic " +
                   QByteArray("alice:wrong").toBase64() + "\r\n" + body
            << 407 << QByteArray("proxy_auth_required");
        QTest::newRow("gateway, no agent")
            << "POST /gw/http/127.0.0.1:9/v1/quote HTTP/1.1\r\nHost: 127.0.0.1\r\n" + body << 401
            << QByteArray("agent_auth_required");
        QTest::newRow("gateway, foreign Host")
            << "POST /gw/http/127.0.0.1:9/v1/quote HTTP/1.1\r\nHost: evil.example\r\n" + body << 403
            << QByteArray("host_not_allowed");
        QTest::newRow("gateway, browser Origin")
            << "POST /gw/http/127.0.0.1:9/v1/quote HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Origin: https://evil.example\r\n" +
                   body
            << 403 << QByteArray("forbidden_origin");
        QTest::newRow("proxy page with a body")
            << "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n" + body << 404
            << QByteArray("not_found");
        QTest::newRow("chunked, no credential")
            << QByteArray("POST http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n100000\r\n")
            << 407 << QByteArray("proxy_auth_required");
    }
    void unauthenticatedBodiesAreNeverRead()
    {
        QFETCH(QByteArray, head);
        QFETCH(int, status);
        QFETCH(QByteArray, code);
        startProxy(defaultSettings());
        const Exchange answer = exchange(m_proxy->port(), head);
        QVERIFY2(answer.closed, answer.raw.constData()); // not left waiting for the body
        QCOMPARE(answer.status, status);
        QVERIFY2(answer.raw.contains(QByteArray("L402-Wallet-Error: " + code)),
                 answer.raw.constData());
        QVERIFY(!answer.raw.contains("100 Continue"));
        QCOMPARE(m_proxy->replayBytesReserved(), 0);
        QCOMPARE(m_harness->api().challengesIssued(), 0);
    }

    // The same with the body sent: 40 unauthenticated 8 MiB uploads at once end with every
    // connection closed and nothing kept, while the wallet keeps answering agents.
    void fortyUnauthenticatedUploadsLeaveNothing()
    {
        startProxy(defaultSettings());
        const QByteArray chunk(1024 * 1024, 'x');
        std::vector<std::unique_ptr<QTcpSocket>> uploads;
        for (int i = 0; i < 40; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, m_proxy->port());
            QPointer<QTcpSocket> guard(socket.get());
            connect(socket.get(), &QTcpSocket::connected, socket.get(), [guard, chunk] {
                guard->write("POST http://127.0.0.1:9/ HTTP/1.1\r\nHost: 127.0.0.1:9\r\n"
                             "Content-Length: 8388608\r\n\r\n");
                for (int part = 0; part < 8; ++part) {
                    guard->write(chunk);
                }
            });
            uploads.push_back(std::move(socket));
        }
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const auto& socket : uploads) {
                    socket->readAll();
                    if (socket->state() != QAbstractSocket::UnconnectedState) {
                        return false;
                    }
                }
                return true;
            },
            20'000));
        QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 5000));
        QCOMPARE(m_proxy->replayBytesReserved(), 0);
        QCOMPARE(agentGetsQuote(), 200);
    }

    // 1,000 connections that send half a head and wait: they may hold at most the slots set
    // aside for unauthenticated clients, older ones are dropped for newcomers, and an agent is
    // served while they are open (the head timeout is an hour here: no timeout helps).
    void slowUnauthenticatedConnectionsDoNotLockAgentsOut()
    {
        constexpr int kAttackers = 1000;
        rlimit files{};
        QCOMPARE(getrlimit(RLIMIT_NOFILE, &files), 0);
        files.rlim_cur = std::min<rlim_t>(files.rlim_max, 8192);
        QCOMPARE(setrlimit(RLIMIT_NOFILE, &files), 0);
        QVERIFY2(files.rlim_cur >= 2 * kAttackers + 200, "the open-file limit is too low");

        proxy::ProxySettings settings = defaultSettings();
        settings.headerTimeoutMs = 3'600'000;
        // As if the slow clients were past the grace fresh connections get (2 s by default,
        // so a burst of agents connecting at once never pushes itself out: ProxyLoadTest).
        settings.unauthenticatedGraceMs = 0;
        startProxy(settings);
        std::vector<std::unique_ptr<QTcpSocket>> slow;
        for (int i = 0; i < kAttackers; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, m_proxy->port());
            QPointer<QTcpSocket> guard(socket.get());
            connect(socket.get(), &QTcpSocket::connected, socket.get(),
                    [guard] { guard->write("GET http://127.0.0.1:9/ HTTP/1.1\r\nHo"); });
            slow.push_back(std::move(socket));
        }
        auto settled = [&] {
            int waiting = 0;
            for (const auto& socket : slow) {
                if (socket->state() == QAbstractSocket::ConnectingState ||
                    socket->state() == QAbstractSocket::HostLookupState) {
                    ++waiting;
                }
            }
            return waiting == 0;
        };
        QVERIFY(QTest::qWaitFor(settled, 30'000));
        // Until the proxy has taken every one of them from its backlog (clients see
        // "connected" earlier): the slots left are theirs, the rest were dropped.
        auto openClients = [&] {
            int open = 0;
            for (const auto& socket : slow) {
                open += socket->state() == QAbstractSocket::ConnectedState ? 1 : 0;
            }
            return open;
        };
        QVERIFY(QTest::qWaitFor(
            [&] {
                return m_proxy->openConnections() <= settings.maxUnauthenticatedConnections &&
                       openClients() == m_proxy->openConnections();
            },
            20'000));
        int stillOpen = 0;
        for (const auto& socket : slow) {
            stillOpen += socket->state() == QAbstractSocket::ConnectedState ? 1 : 0;
        }
        QVERIFY2(stillOpen > 0, "the slow clients were all closed: nothing was tested");

        // Agents are served meanwhile, through the forward proxy and the gateway.
        QCOMPARE(agentGetsQuote(), 200);
        const Exchange gateway =
            exchange(m_proxy->port(), "GET /gw/http/127.0.0.1:" +
                                          QByteArray::number(m_harness->api().http().port()) +
                                          "/v1/quote HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                          m_agentHeader + "Connection: close\r\n\r\n");
        QCOMPARE(gateway.status, 200);
        QVERIFY(m_proxy->openConnections() <= settings.maxUnauthenticatedConnections + 1);
    }

    // Every slot taken by agents that keep their connections: a newcomer is refused (503)
    // rather than an agent's connection dropped.
    void agentsConnectionsAreNeverEvicted()
    {
        proxy::ProxySettings settings = defaultSettings();
        settings.maxConnections = 4;
        settings.headerTimeoutMs = 3'600'000;
        startProxy(settings);
        std::vector<std::unique_ptr<QTcpSocket>> agents;
        for (int i = 0; i < settings.maxConnections; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, m_proxy->port());
            QVERIFY(socket->waitForConnected(3000));
            socket->write("GET " + apiUrl("/v1/free") + " HTTP/1.1\r\nHost: x\r\n" + m_auth +
                          "\r\n");
            QVERIFY(QTest::qWaitFor([&] { return socket->bytesAvailable() > 0; }, 10'000));
            socket->readAll();
            agents.push_back(std::move(socket));
        }
        const Exchange newcomer = exchange(m_proxy->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        QCOMPARE(newcomer.status, 503);
        for (const auto& socket : agents) {
            QCOMPARE(socket->state(), QAbstractSocket::ConnectedState);
        }
    }

    // An admitted upload that trickles (a few bytes every 100 ms, far below the minimum
    // rate) is cut after a rate window, however long each piece keeps it "moving"; nothing
    // goes upstream.
    void aTrickledBodyIsCut()
    {
        proxy::ProxySettings settings = defaultSettings();
        settings.headerTimeoutMs = 500;
        startProxy(settings);
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_proxy->port());
        QVERIFY(socket.waitForConnected(3000));
        socket.write("POST " + apiUrl("/v1/quote") + " HTTP/1.1\r\nHost: x\r\n" + m_auth +
                     "Content-Length: 100000\r\n\r\n");
        QElapsedTimer trickling;
        trickling.start();
        while (socket.state() == QAbstractSocket::ConnectedState && trickling.elapsed() < 10'000) {
            socket.write("abcd");
            QTest::qWait(100); // the attacker's pace, not a wait for the proxy
        }
        QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState);
        QCOMPARE(m_harness->api().challengesIssued(), 0);
        QVERIFY(QTest::qWaitFor([&] { return m_proxy->openConnections() == 0; }, 5000));
        QCOMPARE(m_proxy->replayBytesReserved(), 0);
    }

    // Bodies kept for replay share one cap: past it a further upload is told to come back
    // (503, Retry-After) instead of being buffered; the cap frees as uploads end.
    void bufferedBodiesShareOneCap()
    {
        proxy::ProxySettings settings = defaultSettings();
        settings.maxReplayBodyBytes = 1024 * 1024;
        settings.maxTotalReplayBytes = 1536 * 1024;
        settings.headerTimeoutMs = 3'600'000;
        startProxy(settings);
        const QByteArray head = "POST " + apiUrl("/v1/quote") + " HTTP/1.1\r\nHost: x\r\n" +
                                m_auth + "Content-Length: 1000000\r\n\r\n";
        auto holder = std::make_unique<QTcpSocket>();
        holder->connectToHost(QHostAddress::LocalHost, m_proxy->port());
        QVERIFY(holder->waitForConnected(3000));
        holder->write(head + QByteArray(1000, 'x'));
        QVERIFY(QTest::qWaitFor([&] { return m_proxy->replayBytesReserved() == 1000000; }, 5000));

        const Exchange second = exchange(m_proxy->port(), head);
        QCOMPARE(second.status, 503);
        QVERIFY(second.raw.contains("Retry-After: 1"));
        QVERIFY(second.raw.contains("too_many_connections"));
        QCOMPARE(m_proxy->replayBytesReserved(), 1000000);

        holder->abort();
        QVERIFY(QTest::qWaitFor([&] { return m_proxy->replayBytesReserved() == 0; }, 5000));
        QCOMPARE(m_harness->api().challengesIssued(), 0);
    }

private:
    proxy::ProxySettings defaultSettings() const
    {
        proxy::ProxySettings settings;
        settings.port = 0;
        return settings;
    }
    void startProxy(const proxy::ProxySettings& settings)
    {
        m_proxy = std::make_unique<proxy::ProxyServer>(settings, *m_gateway, m_agents);
        QVERIFY2(m_proxy->listen(), qPrintable(m_proxy->errorString()));
    }
    QByteArray apiUrl(const char* path) const
    {
        return m_harness->api().url(QString::fromLatin1(path)).toEncoded();
    }
    // Alice buys a quote through the forward proxy (402, payment, replay): the status.
    int agentGetsQuote()
    {
        return exchange(m_proxy->port(),
                        "GET " + apiUrl("/v1/quote") + " HTTP/1.1\r\nHost: x\r\n" + m_auth +
                            "Connection: close\r\n\r\n",
                        20'000)
            .status;
    }

    std::unique_ptr<EngineHarness> m_harness;
    proxy::AgentDirectory m_agents;
    std::unique_ptr<proxy::EngineGateway> m_gateway;
    std::unique_ptr<proxy::ProxyServer> m_proxy;
    QByteArray m_auth;        // Proxy-Authorization for alice
    QByteArray m_agentHeader; // L402-Wallet-Agent for alice
};

QTEST_GUILESS_MAIN(ProxyHostileClientTest)
#include "ProxyHostileClientTest.moc"
