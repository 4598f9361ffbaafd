// The proxy against the usual tools, in one run on this machine, to one nginx origin:
//   plain HTTP keep-alive: requests/s through the wallet's proxy (cached-token path: a token
//   for the origin is in the wallet and goes out with every request), tinyproxy, and nginx as
//   a reverse proxy; added latency p50/p99 against going direct;
//   HTTPS through interception: the wallet's proxy against mitmproxy (mitmdump);
//   memory of 1,000 idle connections.
// Needs nginx, tinyproxy and mitmproxy (installers/install-bench-deps.sh). The load
// generator shares the machine's two cores with whatever it measures: compare within a run.

#include "core/crypto/Digest.h"
#include "core/node/DemoNode.h"
#include "core/payments/PaymentEngine.h"
#include "core/policy/Agents.h"
#include "core/protocol/Macaroon.h"
#include "core/proxy/ProxyServer.h"
#include "tests/support/StoreFixtures.h"
#include "tests/support/TestCertificates.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include <sys/resource.h>

using namespace l402;

namespace {

quint16 freePort()
{
    QTcpServer server;
    (void)server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

qint64 residentKiB(qint64 pid = 0)
{
    QFile status(pid ? QStringLiteral("/proc/%1/status").arg(pid)
                     : QStringLiteral("/proc/self/status"));
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

bool waitForPort(quint16 port, int timeoutMs = 15'000)
{
    return QTest::qWaitFor(
        [port] {
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, port);
            return probe.waitForConnected(100);
        },
        timeoutMs);
}

// How a load connection reaches the origin.
struct Route {
    quint16 port = 0;          // where the client connects
    QByteArray target;         // request target (absolute-form for forward proxies)
    QByteArray extraHeaders;   // e.g. Proxy-Authorization
    QByteArray connectTarget;  // when set: CONNECT to this, then TLS, then origin-form
    QByteArray connectHeaders; // headers of the CONNECT
};

// One keep-alive connection issuing requests back to back.
class LoadConnection : public QObject {
public:
    LoadConnection(const Route& route, std::vector<double>* latencies, int& done, int& errors,
                   const bool& running)
        : m_route(route)
        , m_latencies(latencies)
        , m_done(done)
        , m_errors(errors)
        , m_running(running)
    {
        m_socket.setPeerVerifyMode(QSslSocket::VerifyNone);
        connect(&m_socket, &QSslSocket::connected, this, [this] {
            if (m_route.connectTarget == "tls") { // TLS straight to the origin
                m_tunnelUp = true;
                m_socket.startClientEncryption();
            } else if (m_route.connectTarget.isEmpty()) {
                send();
            } else {
                m_socket.write("CONNECT " + m_route.connectTarget + " HTTP/1.1\r\nHost: " +
                               m_route.connectTarget + "\r\n" + m_route.connectHeaders + "\r\n");
            }
        });
        connect(&m_socket, &QSslSocket::encrypted, this, [this] { send(); });
        connect(&m_socket, &QSslSocket::readyRead, this, [this] { read(); });
        connect(&m_socket, &QSslSocket::errorOccurred, this, [this] {
            if (m_running && m_socket.error() != QAbstractSocket::RemoteHostClosedError) {
                ++m_errors;
            }
        });
        // A proxy that closes after each response (tinyproxy): reconnect and go on; every
        // new connection is part of its cost.
        connect(&m_socket, &QSslSocket::disconnected, this, [this] {
            if (m_running) {
                m_buffer.clear();
                m_tunnelUp = false;
                QMetaObject::invokeMethod(
                    this, [this] { open(); }, Qt::QueuedConnection);
            }
        });
        open();
    }

    void open() { m_socket.connectToHost(QHostAddress::LocalHost, m_route.port); }

private:
    void send()
    {
        if (!m_running) {
            return;
        }
        m_timer.start();
        m_socket.write("GET " + m_route.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                       m_route.extraHeaders + "\r\n");
    }
    void read()
    {
        m_buffer += m_socket.readAll();
        for (;;) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0) {
                return;
            }
            const QByteArray head = m_buffer.left(end).toLower();
            if (!m_tunnelUp && !m_route.connectTarget.isEmpty()) {
                m_buffer.remove(0, end + 4);
                m_tunnelUp = true;
                m_socket.startClientEncryption();
                return;
            }
            const qsizetype at = head.indexOf("content-length:");
            const qsizetype length =
                at < 0 ? 0
                       : head.mid(at + 15, head.indexOf('\r', at) - at - 15).trimmed().toLongLong();
            if (m_buffer.size() < end + 4 + length) {
                return;
            }
            m_buffer.remove(0, end + 4 + length);
            if (head.startsWith("http/1.1 200")) {
                ++m_done;
                if (m_latencies) {
                    m_latencies->push_back(static_cast<double>(m_timer.nsecsElapsed()) / 1e6);
                }
            } else {
                ++m_errors;
            }
            send();
        }
    }

    Route m_route;
    std::vector<double>* m_latencies;
    int& m_done;
    int& m_errors;
    const bool& m_running;
    QSslSocket m_socket;
    QByteArray m_buffer;
    QElapsedTimer m_timer;
    bool m_tunnelUp = false;
};

struct Measure {
    double rate = 0;
    double p50 = 0;
    double p99 = 0;
    int errors = 0;
};

// Runs the event loop for `ms` without the 10 ms naps of QTest::qWait: the engine and the load
// connections live on this thread and must be served at once.
void spin(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty()) {
        return 0;
    }
    std::sort(values.begin(), values.end());
    return values[static_cast<size_t>(p * static_cast<double>(values.size() - 1))];
}

Measure run(const Route& route, int connections, int milliseconds, bool latency)
{
    int done = 0;
    int errors = 0;
    bool running = true;
    std::vector<double> latencies;
    std::vector<std::unique_ptr<LoadConnection>> load;
    for (int i = 0; i < connections; ++i) {
        load.push_back(std::make_unique<LoadConnection>(route, latency ? &latencies : nullptr, done,
                                                        errors, running));
    }
    spin(300); // connect, handshake, first requests
    const int startDone = done;
    latencies.clear();
    QElapsedTimer timer;
    timer.start();
    spin(milliseconds);
    const double seconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
    Measure measure;
    measure.rate = (done - startDone) / seconds;
    measure.p50 = percentile(latencies, 0.5);
    measure.p99 = percentile(latencies, 0.99);
    measure.errors = errors;
    running = false;
    load.clear();
    spin(100);
    return measure;
}

struct External {
    std::unique_ptr<QProcess> process;
    bool start(const QString& program, const QStringList& arguments, quint16 port)
    {
        process = std::make_unique<QProcess>();
        process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process->start(program, arguments);
        return process->waitForStarted(5000) && waitForPort(port);
    }
    ~External()
    {
        if (process) {
            process->terminate();
            if (!process->waitForFinished(5000)) {
                process->kill();
                process->waitForFinished(2000);
            }
        }
    }
};

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication application(argc, argv);
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 16384);
    setrlimit(RLIMIT_NOFILE, &limit);
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
    const int connections = 32;
    QTemporaryDir dir;

    for (const char* tool : {"nginx", "tinyproxy", "mitmdump"}) {
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty() &&
            !QFile::exists(QStringLiteral("/usr/sbin/%1").arg(QLatin1String(tool)))) {
            std::fprintf(stderr, "%s is missing: run installers/install-bench-deps.sh\n", tool);
            return 1;
        }
    }

    // nginx: the origin (HTTP and HTTPS) and a reverse proxy in front of it.
    const quint16 origin = freePort();
    const quint16 originTls = freePort();
    const quint16 reverse = freePort();
    auto certificate = test::makeSelfSignedCertificate().value();
    {
        QFile cert(dir.filePath(QStringLiteral("cert.pem")));
        cert.open(QIODevice::WriteOnly);
        cert.write(certificate.certificatePem);
        QFile key(dir.filePath(QStringLiteral("key.pem")));
        key.open(QIODevice::WriteOnly);
        key.write(certificate.privateKeyPem);
        QFile conf(dir.filePath(QStringLiteral("nginx.conf")));
        conf.open(QIODevice::WriteOnly);
        conf.write(QStringLiteral(
                       "daemon off; master_process off; worker_processes 1; user root;\n"
                       "pid %1/nginx.pid; error_log stderr crit;\n"
                       "events { worker_connections 8192; }\n"
                       "http { access_log off; keepalive_requests 1000000;\n"
                       "  client_body_temp_path %1; proxy_temp_path %1; fastcgi_temp_path %1;\n"
                       "  uwsgi_temp_path %1; scgi_temp_path %1;\n"
                       "  upstream origin { server 127.0.0.1:%2; keepalive 64; }\n"
                       "  server { listen 127.0.0.1:%2; location / { return 200 "
                       "\"{\\\"ok\\\":true}\\n\"; } }\n"
                       "  server { listen 127.0.0.1:%3 ssl; ssl_certificate %1/cert.pem;\n"
                       "    ssl_certificate_key %1/key.pem;\n"
                       "    location / { return 200 \"{\\\"ok\\\":true}\\n\"; } }\n"
                       "  server { listen 127.0.0.1:%4; location / { proxy_pass http://origin;\n"
                       "    proxy_http_version 1.1; proxy_set_header Connection \"\"; } }\n"
                       "}\n")
                       .arg(dir.path())
                       .arg(origin)
                       .arg(originTls)
                       .arg(reverse)
                       .toUtf8());
    }
    External nginx;
    if (!nginx.start(QStringLiteral("nginx"),
                     {QStringLiteral("-c"), dir.filePath(QStringLiteral("nginx.conf"))}, origin) ||
        !waitForPort(reverse) || !waitForPort(originTls)) {
        std::fprintf(stderr, "nginx did not start\n");
        return 1;
    }
    const quint16 tiny = freePort();
    {
        QFile conf(dir.filePath(QStringLiteral("tinyproxy.conf")));
        conf.open(QIODevice::WriteOnly);
        conf.write(QStringLiteral("User nobody\nGroup nogroup\nPort %1\nListen 127.0.0.1\n"
                                  "Timeout 600\nMaxClients 1024\nAllow 127.0.0.1\n"
                                  "DisableViaHeader Yes\nLogLevel Critical\n")
                       .arg(tiny)
                       .toUtf8());
    }
    External tinyproxy;
    if (!tinyproxy.start(QStringLiteral("tinyproxy"),
                         {QStringLiteral("-d"), QStringLiteral("-c"),
                          dir.filePath(QStringLiteral("tinyproxy.conf"))},
                         tiny)) {
        std::fprintf(stderr, "tinyproxy did not start\n");
        return 1;
    }
    const quint16 mitm = freePort();
    External mitmproxy;
    if (!mitmproxy.start(
            QStringLiteral("mitmdump"),
            {QStringLiteral("--listen-host"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
             QString::number(mitm), QStringLiteral("--ssl-insecure"), QStringLiteral("-q"),
             QStringLiteral("--set"), QStringLiteral("confdir=%1/mitm").arg(dir.path())},
            mitm)) {
        std::fprintf(stderr, "mitmproxy did not start\n");
        return 1;
    }

    // The wallet: store, engine on the demo node, an agent, the proxy on its own thread, and a
    // token for each nginx origin so every request goes out with its Authorization.
    auto opened = test::openWalletAndWait(
        test::passphraseRequest(dir.filePath(QStringLiteral("wallet")), "bench"), nullptr,
        SystemClock::instance());
    auto wallet = std::move(opened.value());
    node::DemoNode demoNode(std::make_shared<node::DemoLedger>());
    policy::ApprovalBroker broker(SystemClock::instance());
    payments::PaymentEngine engine(*wallet, demoNode, broker, SystemClock::instance());
    engine.start();
    for (const quint16 port : {origin, originTls}) {
        payments::Token token;
        token.origin = QStringLiteral("%1://127.0.0.1:%2")
                           .arg(port == origin ? QStringLiteral("http") : QStringLiteral("https"))
                           .arg(port);
        token.scheme = QStringLiteral("L402");
        token.preimage = crypto::sha256("bench");
        token.paymentHash = crypto::sha256(token.preimage);
        protocol::L402Identifier identifier;
        identifier.paymentHash = token.paymentHash;
        identifier.tokenId = crypto::sha256("id");
        token.macaroon = protocol::Macaroon::mint("k", identifier.encode(), QStringLiteral("b"))
                             .withFirstPartyCaveat("services=bench:0")
                             .toBinaryV2();
        token.amountMsat = 1000;
        (void)engine.tokens().insert(token);
    }
    policy::AgentBook agents(wallet->database(), SystemClock::instance());
    const auto agent = agents.add(QStringLiteral("bench")).value();
    proxy::AgentDirectory directory;
    directory.replace(agents.credentials().value());
    proxy::EngineGateway gateway(engine);
    proxy::ProxySettings settings;
    settings.port = 0;
    settings.maxConnections = 4096;
    settings.ca = proxy::LocalCa::createEphemeral(SystemClock::instance()).value();
    settings.upstreamTls.extraCaPem = certificate.certificatePem;
    const qint64 rssBeforeProxy = residentKiB();
    proxy::ProxyThread walletProxy(settings, gateway, directory);
    const quint16 ours = walletProxy.start().value();
    const QByteArray auth = "Proxy-Authorization: Basic " +
                            QByteArray("bench:" + agent.secret.toLatin1()).toBase64() + "\r\n";
    const QByteArray absolute = "http://127.0.0.1:" + QByteArray::number(origin) + "/x";
    const QByteArray tlsTarget = "127.0.0.1:" + QByteArray::number(originTls);

    const int ms = seconds * 1000;
    if (argc > 2 && QByteArrayView(argv[2]) == "wallet-only") {
        // For profiling: only the wallet's plain HTTP path.
        const Measure only = run({ours, absolute, auth, {}, {}}, connections, ms, false);
        std::printf("l402-wallet proxy (cached-token path): %.0f req/s (errors %d)\n", only.rate,
                    only.errors);
        return 0;
    }
    std::printf("plain HTTP keep-alive, %d connections, %d s each; origin nginx\n", connections,
                seconds);
    const Measure direct = run({origin, "/x", {}, {}, {}}, connections, ms, false);
    const Measure wallet_ = run({ours, absolute, auth, {}, {}}, connections, ms, false);
    const Measure tinyRun = run({tiny, absolute, {}, {}, {}}, connections, ms, false);
    const Measure nginxRun = run({reverse, "/x", {}, {}, {}}, connections, ms, false);
    std::printf("  %-44s %9.0f req/s (errors %d)\n", "direct to nginx", direct.rate, direct.errors);
    std::printf("  %-44s %9.0f req/s (errors %d)\n", "l402-wallet proxy (cached-token path)",
                wallet_.rate, wallet_.errors);
    std::printf("  %-44s %9.0f req/s (errors %d)\n", "tinyproxy", tinyRun.rate, tinyRun.errors);
    std::printf("  %-44s %9.0f req/s (errors %d)\n", "nginx reverse proxy", nginxRun.rate,
                nginxRun.errors);
    std::printf("  wallet / tinyproxy = %.2f, wallet / nginx = %.2f\n",
                wallet_.rate / std::max(1.0, tinyRun.rate),
                wallet_.rate / std::max(1.0, nginxRun.rate));

    const Measure directLatency = run({origin, "/x", {}, {}, {}}, 1, ms, true);
    const Measure walletLatency = run({ours, absolute, auth, {}, {}}, 1, ms, true);
    std::printf("latency, one connection: direct p50 %.3f ms p99 %.3f ms; through the wallet "
                "p50 %.3f ms p99 %.3f ms; added p50 %.3f ms, p99 %.3f ms\n",
                directLatency.p50, directLatency.p99, walletLatency.p50, walletLatency.p99,
                walletLatency.p50 - directLatency.p50, walletLatency.p99 - directLatency.p99);

    std::printf("HTTPS through interception, %d connections, %d s each; origin nginx (TLS)\n",
                connections, seconds);
    const Measure directTls = run({originTls, "/x", {}, "tls", {}}, connections, ms, false);
    std::printf("  %-44s %9.0f req/s (errors %d)\n", "direct to nginx (TLS)", directTls.rate,
                directTls.errors);
    const Measure walletTls = run({ours, "/x", {}, tlsTarget, auth}, connections, ms, false);
    const Measure mitmTls = run({mitm, "/x", {}, tlsTarget, {}}, connections, ms, false);
    std::printf("  %-44s %9.0f req/s (errors %d)\n", "l402-wallet proxy (MITM)", walletTls.rate,
                walletTls.errors);
    std::printf("  %-44s %9.0f req/s (errors %d)\n", "mitmproxy (mitmdump)", mitmTls.rate,
                mitmTls.errors);
    std::printf("  wallet / mitmproxy = %.2f\n", walletTls.rate / std::max(1.0, mitmTls.rate));
    const Measure walletTlsLatency = run({ours, "/x", {}, tlsTarget, auth}, 1, ms, true);
    const Measure mitmTlsLatency = run({mitm, "/x", {}, tlsTarget, {}}, 1, ms, true);
    std::printf("  latency, one connection: wallet p50 %.3f ms p99 %.3f ms; mitmproxy p50 %.3f ms "
                "p99 %.3f ms\n",
                walletTlsLatency.p50, walletTlsLatency.p99, mitmTlsLatency.p50, mitmTlsLatency.p99);

    // 1,000 idle connections, measured on `l402-wallet serve` in its own process.
    {
        const quint16 servePort = freePort();
        QProcess serve;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("bench"));
        serve.setProcessEnvironment(environment);
        serve.setProcessChannelMode(QProcess::ForwardedOutputChannel);
        serve.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                    {QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("serve")),
                     QStringLiteral("--demo"), QStringLiteral("serve"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:%1").arg(servePort)});
        if (serve.waitForStarted(5000) && waitForPort(servePort, 30'000)) {
            spin(1000);
            const qint64 idleRss = residentKiB(serve.processId());
            std::vector<std::unique_ptr<QTcpSocket>> sockets;
            for (int i = 0; i < 1000; ++i) {
                auto socket = std::make_unique<QTcpSocket>();
                socket->connectToHost(QHostAddress::LocalHost, servePort);
                sockets.push_back(std::move(socket));
            }
            spin(2000);
            const qint64 loadedRss = residentKiB(serve.processId());
            std::printf(
                "l402-wallet serve: idle RSS %lld KiB; with 1,000 idle connections %lld KiB "
                "(%.1f KiB each)\n",
                idleRss, loadedRss, (loadedRss - idleRss) / 1000.0);
            sockets.clear();
            serve.terminate();
            serve.waitForFinished(10'000);
        } else {
            std::printf("l402-wallet serve did not start; no memory figure\n");
        }
    }
    std::printf("(in-process proxy: process RSS %lld KiB, %lld KiB before it started)\n",
                residentKiB(), rssBeforeProxy);
    return 0;
}
