// Load: 1,000 concurrent keep-alive connections through the proxy (on its own thread) for 60 s
// (L402_LOAD_SECONDS to change it), each asking a paid endpoint whose token the wallet already
// holds: zero errors, and memory flat once warm. Pass/fail is about errors and growth, never
// about speed (speed is tests/bench/ProxyBench).

#include "core/policy/Agents.h"
#include "core/proxy/ProxyServer.h"
#include "tests/support/EngineHarness.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <sys/resource.h>

using namespace l402;
using namespace l402::test;

namespace {

qint64 residentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').first().toLongLong();
        }
    }
    return -1;
}

// One client: sends a request, reads the whole response (Content-Length framed), repeats.
class Client : public QObject {
public:
    Client(quint16 proxyPort, QByteArray request, int& ok, int& errors, bool& running)
        : m_request(std::move(request))
        , m_ok(ok)
        , m_errors(errors)
        , m_running(running)
    {
        connect(&m_socket, &QTcpSocket::connected, this, [this] { send(); });
        connect(&m_socket, &QTcpSocket::readyRead, this, [this] { read(); });
        connect(&m_socket, &QTcpSocket::errorOccurred, this, [this] {
            if (m_running) {
                ++m_errors;
                m_failed = true;
            }
        });
        m_socket.connectToHost(QHostAddress::LocalHost, proxyPort);
    }
    bool failed() const { return m_failed; }

private:
    void send()
    {
        if (m_running) {
            m_socket.write(m_request);
        }
    }
    void read()
    {
        m_buffer += m_socket.readAll();
        for (;;) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0) {
                return;
            }
            const QByteArray head = m_buffer.left(end);
            const qsizetype at = head.toLower().indexOf("content-length:");
            const qsizetype length =
                at < 0 ? 0
                       : head.mid(at + 15, head.indexOf('\r', at) - at - 15).trimmed().toLongLong();
            if (m_buffer.size() < end + 4 + length) {
                return;
            }
            if (head.startsWith("HTTP/1.1 200")) {
                ++m_ok;
            } else {
                ++m_errors;
            }
            m_buffer.remove(0, end + 4 + length);
            send();
        }
    }

    QTcpSocket m_socket;
    QByteArray m_request;
    QByteArray m_buffer;
    int& m_ok;
    int& m_errors;
    bool& m_running;
    bool m_failed = false;
};

} // namespace

class ProxyLoadTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void thousandConnectionsForAMinute();
};

void ProxyLoadTest::thousandConnectionsForAMinute()
{
    // Client and proxy sides of 1,000 connections, plus upstream ones, in one process.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 16384);
    setrlimit(RLIMIT_NOFILE, &limit);
    QVERIFY2(limit.rlim_cur >= 4096, "needs at least 4096 file descriptors");

    EngineHarness h;
    QVERIFY(h.start());
    h.allowEverything();
    policy::AgentBook agents(h.store().database(), SystemClock::instance());
    auto agent = agents.add(QStringLiteral("load"));
    QVERIFY(agent.ok());
    proxy::AgentDirectory directory;
    directory.replace(agents.credentials().value());
    proxy::EngineGateway gateway(h.engine());
    proxy::ProxySettings settings;
    settings.port = 0;
    settings.maxConnections = 2048;
    proxy::ProxyThread proxy(settings, gateway, directory);
    auto port = proxy.start();
    QVERIFY(port.ok());
    // Buy the token once.
    QVERIFY(h.fetch(QStringLiteral("/v1/quote")).ok());
    QCOMPARE(h.lnd().totalSendCalls(), 1);

    const QByteArray request =
        "GET " + h.api().url(QStringLiteral("/v1/quote")).toString().toLatin1() +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nProxy-Authorization: Basic " +
        QByteArray("load:" + agent->secret.toLatin1()).toBase64() + "\r\n\r\n";
    int ok = 0;
    int errors = 0;
    bool running = true;
    constexpr int kConnections = 1000;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < kConnections; ++i) {
        clients.push_back(std::make_unique<Client>(port.value(), request, ok, errors, running));
    }
    const int seconds = qEnvironmentVariableIntValue("L402_LOAD_SECONDS") > 0
                            ? qEnvironmentVariableIntValue("L402_LOAD_SECONDS")
                            : 60;
    QElapsedTimer elapsed;
    elapsed.start();
    qint64 warmRss = -1;
    int warmOk = 0;
    while (elapsed.elapsed() < seconds * 1000) {
        // A real event loop, not qWait's 10 ms naps: the engine runs on this thread too.
        QEventLoop loop;
        QTimer::singleShot(250, &loop, &QEventLoop::quit);
        loop.exec();
        if (warmRss < 0 && elapsed.elapsed() >= seconds * 1000 / 4) {
            warmRss = residentKiB(); // after a quarter: every connection open, caches warm
            warmOk = ok;
        }
    }
    running = false;
    const qint64 endRss = residentKiB();
    qInfo("%d responses in %d s over %d connections (%.0f/s), %d errors; RSS warm %lld KiB, "
          "end %lld KiB",
          ok, seconds, kConnections, ok / double(seconds), errors, warmRss, endRss);
    QCOMPARE(errors, 0);
    QVERIFY(ok > warmOk); // still serving in the last three quarters
    QVERIFY(ok >= kConnections * 2);
    // Flat: the last three quarters may not grow memory by more than 10% (+16 MiB slack for
    // allocator and sanitizer noise).
    QVERIFY2(endRss <= warmRss + warmRss / 10 + 16 * 1024,
             qPrintable(QStringLiteral("RSS grew from %1 to %2 KiB").arg(warmRss).arg(endRss)));
    // Nothing was paid again.
    QCOMPARE(h.lnd().totalSendCalls(), 1);
    clients.clear();
}

QTEST_GUILESS_MAIN(ProxyLoadTest)
#include "ProxyLoadTest.moc"
