// While `serve` (or the window) holds the wallet, the CLI's data commands, `fetch` and `mcp`
// reach it through its control socket: same data, its budgets and approvals, and the copies
// it keeps in memory follow what the CLI changed. When it stops, the same commands open the
// wallet themselves.

#include "tests/support/CliWorld.h"
#include "tests/support/ProcessRunner.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

using namespace l402::test;

class RunningWalletTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void dataCommandsWorkOnTheRunningWallet();
    void fetchPaysThroughTheRunningWalletAndItsApprovals();
    void mcpReadsTheRunningWallet();
    void fetchShowsAProgressBarOnATerminal();
    void serveWithoutANodeRefusesPaymentsClearly();

private:
    struct Ran {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    Ran wallet(QStringList arguments, int timeoutMs = 30'000);
    Ran curl(const QString& credentials, const QString& url);
    // The serve log's newest "approval needed" id not yet answered.
    QString waitForApproval();

    QTemporaryDir m_dir;
    QString m_dataDir;
    QProcess m_serve;
    QByteArray m_log;
    quint16 m_proxyPort = 0;
    QString m_apiAuthority; // 127.0.0.1:8403
    QString m_agent;        // demo:<secret>, the demo agent's credential (L402_WALLET_AGENT)
    QProcessEnvironment agentEnvironment() const;
    QStringList m_answered;
};

void RunningWalletTest::init()
{
    QVERIFY(m_dir.isValid());
    static int wallets = 0;
    m_dataDir = m_dir.path() + QStringLiteral("/w") + QString::number(++wallets);
    m_answered.clear();
    m_log.clear();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("running test"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    m_serve.setProcessEnvironment(environment);
    m_serve.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                  {QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo"),
                   // These tests are about reaching the running wallet; owner proof is
                   // TrustBoundaryTest's.
                   QStringLiteral("serve"), QStringLiteral("--trust-same-user"),
                   QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    QVERIFY(m_serve.waitForStarted());
    const QRegularExpression line(
        QStringLiteral("curl -H 'L402-Wallet-Agent: (demo:\\S+)' http://127.0.0.1:(\\d+)/gw/http/"
                       "([^/]+)/"));
    QRegularExpressionMatch match;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     m_log += m_serve.readAllStandardError();
                     match = line.match(QString::fromUtf8(m_log));
                     return match.hasMatch();
                 },
                 30'000),
             m_log.constData());
    m_agent = match.captured(1);
    m_proxyPort = match.captured(2).toUShort();
    m_apiAuthority = match.captured(3);
}

QProcessEnvironment RunningWalletTest::agentEnvironment() const
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    environment.insert(QStringLiteral("L402_WALLET_AGENT"), m_agent);
    return environment;
}

void RunningWalletTest::cleanup()
{
    if (m_serve.state() != QProcess::NotRunning) {
        m_serve.terminate();
        QVERIFY(m_serve.waitForFinished(15'000));
    }
}

RunningWalletTest::Ran RunningWalletTest::wallet(QStringList arguments, int timeoutMs)
{
    // No passphrase: with a wallet running, nothing is unlocked by the CLI.
    QProcessEnvironment none;
    none.insert(QStringLiteral("L402_WALLET_AGENT"), m_agent);
    auto result = runWalletServingEvents(
        QStringList{QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo")} + arguments,
        none, timeoutMs);
    return Ran{result.exitCode, result.out, result.err};
}

RunningWalletTest::Ran RunningWalletTest::curl(const QString& credentials, const QString& url)
{
    QProcessEnvironment clean = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"}) {
        clean.remove(QString::fromLatin1(name));
    }
    auto result =
        runProgramServingEvents(QStringLiteral("curl"),
                                {QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-H"),
                                 QStringLiteral("L402-Wallet-Agent: ") + credentials,
                                 QStringLiteral("http://127.0.0.1:%1/gw/http/%2%3")
                                     .arg(m_proxyPort)
                                     .arg(m_apiAuthority, url)},
                                clean);
    return Ran{result.exitCode, result.out, result.err};
}

QString RunningWalletTest::waitForApproval()
{
    const QRegularExpression approval(QStringLiteral("approval needed: ([0-9a-f]{8})"));
    QString id;
    (void)QTest::qWaitFor(
        [&] {
            m_log += m_serve.readAllStandardError();
            QRegularExpressionMatchIterator all = approval.globalMatch(QString::fromUtf8(m_log));
            while (all.hasNext()) {
                const QString found = all.next().captured(1);
                if (!m_answered.contains(found)) {
                    id = found;
                }
            }
            return !id.isEmpty();
        },
        20'000);
    m_answered.append(id);
    return id;
}

void RunningWalletTest::dataCommandsWorkOnTheRunningWallet()
{
    // A new agent works in the running proxy at once.
    Ran added = wallet({QStringLiteral("--json"), QStringLiteral("agent"), QStringLiteral("add"),
                        QStringLiteral("bob")});
    QVERIFY2(added.exitCode == 0, added.err.constData());
    const QString secret =
        QJsonDocument::fromJson(added.out).object().value(QLatin1String("secret")).toString();
    QVERIFY(!secret.isEmpty());
    // The agent is told where the running proxy really listens.
    QCOMPARE(
        QJsonDocument::fromJson(added.out).object().value(QLatin1String("proxy_url")).toString(),
        QStringLiteral("http://bob:%1@127.0.0.1:%2").arg(secret).arg(m_proxyPort));
    Ran paid = curl(QStringLiteral("bob:") + secret, QStringLiteral("/v1/quote"));
    QVERIFY2(paid.out.startsWith("HTTP/1.1 200"), paid.out.constData());
    QVERIFY(paid.out.contains("L402-Wallet-Payment: amount_msat=21000"));

    Ran history = wallet({QStringLiteral("--json"), QStringLiteral("history")});
    QCOMPARE(history.exitCode, 0);
    const QJsonArray payments = QJsonDocument::fromJson(history.out).array();
    QCOMPARE(payments.size(), 1);
    QCOMPARE(payments.first()[QLatin1String("agent")].toString(), QStringLiteral("bob"));
    QCOMPARE(payments.first()[QLatin1String("status")].toString(), QStringLiteral("succeeded"));

    // Removing the token makes the running proxy pay again (its in-memory copy is dropped).
    Ran removed = wallet({QStringLiteral("tokens"), QStringLiteral("remove"),
                          QStringLiteral("http://") + m_apiAuthority});
    QVERIFY2(removed.exitCode == 0, removed.err.constData());
    Ran again = curl(QStringLiteral("bob:") + secret, QStringLiteral("/v1/quote"));
    QVERIFY(again.out.contains("L402-Wallet-Payment: amount_msat=21000"));

    // A revoked agent is refused at once.
    QCOMPARE(
        wallet({QStringLiteral("agent"), QStringLiteral("remove"), QStringLiteral("bob")}).exitCode,
        0);
    Ran refused = curl(QStringLiteral("bob:") + secret, QStringLiteral("/v1/quote"));
    QVERIFY2(refused.out.startsWith("HTTP/1.1 407") || refused.out.startsWith("HTTP/1.1 401"),
             refused.out.constData());

    // A relative file name is ours, not the running wallet's working folder's.
    const QString here = m_dir.path() + QStringLiteral("/cwd");
    QVERIFY(QDir().mkpath(here));
    QProcess exporter;
    exporter.setWorkingDirectory(here);
    exporter.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                   {QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo"),
                    QStringLiteral("ca"), QStringLiteral("export"), QStringLiteral("ca-copy.pem")});
    QVERIFY(QTest::qWaitFor([&] { return exporter.state() == QProcess::NotRunning; }, 20'000));
    QCOMPARE(exporter.exitCode(), 0);
    QFile exported(here + QStringLiteral("/ca-copy.pem"));
    QVERIFY(exported.open(QIODevice::ReadOnly));
    QVERIFY(exported.readAll().startsWith("-----BEGIN CERTIFICATE-----"));

    // Usage errors come back as they would locally.
    Ran bad = wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("*"),
                      QStringLiteral("--daily"), QStringLiteral("lots")});
    QCOMPARE(bad.exitCode, 64);
    QVERIFY(bad.err.contains("whole number of sats"));

    // Once it stops, the same command opens the wallet itself (and needs the passphrase).
    m_serve.terminate();
    QVERIFY(m_serve.waitForFinished(15'000));
    Ran locked = wallet({QStringLiteral("history")});
    QCOMPARE(locked.exitCode, 1);
    QProcessEnvironment passphrase;
    passphrase.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("running test"));
    auto local =
        runWalletServingEvents({QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo"),
                                QStringLiteral("--json"), QStringLiteral("history")},
                               passphrase);
    QCOMPARE(local.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(local.out).array().size(), 2);
}

void RunningWalletTest::fetchPaysThroughTheRunningWalletAndItsApprovals()
{
    QCOMPARE(wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("127.0.0.1"),
                     QStringLiteral("--mode"), QStringLiteral("ask")})
                 .exitCode,
             0);
    QProcess fetch;
    fetch.setProcessEnvironment(agentEnvironment());
    fetch.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                {QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo"),
                 QStringLiteral("fetch"), QStringLiteral("--json"),
                 QStringLiteral("http://%1/v1/joke").arg(m_apiAuthority)});
    const QString id = waitForApproval();
    QVERIFY2(!id.isEmpty(), m_log.constData());
    QCOMPARE(wallet({QStringLiteral("approve"), id}).exitCode, 0);
    QVERIFY(QTest::qWaitFor([&] { return fetch.state() == QProcess::NotRunning; }, 20'000));
    QCOMPARE(fetch.exitCode(), 0);
    const QJsonObject summary = QJsonDocument::fromJson(fetch.readAllStandardOutput()).object();
    QCOMPARE(summary[QLatin1String("status")].toInt(), 200);
    QCOMPARE(summary[QLatin1String("payment")][QLatin1String("amount_sat")].toDouble(), 5.0);

    // Denied in the running wallet: lnget's "payment failed".
    QProcess denied;
    denied.setProcessEnvironment(agentEnvironment());
    denied.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                 {QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo"),
                  QStringLiteral("fetch"),
                  QStringLiteral("http://%1/v1/weather").arg(m_apiAuthority)});
    const QString second = waitForApproval();
    QVERIFY(!second.isEmpty());
    QCOMPARE(wallet({QStringLiteral("deny"), second}).exitCode, 0);
    QVERIFY(QTest::qWaitFor([&] { return denied.state() == QProcess::NotRunning; }, 20'000));
    QCOMPARE(denied.exitCode(), 3);
    QVERIFY(denied.readAllStandardError().contains("denied"));

    Ran history = wallet({QStringLiteral("--json"), QStringLiteral("history")});
    QCOMPARE(QJsonDocument::fromJson(history.out).array().size(), 1);
}

void RunningWalletTest::mcpReadsTheRunningWallet()
{
    QVERIFY(
        curl(QStringLiteral("demo:") + QRegularExpression(QStringLiteral("demo:([A-Za-z0-9_-]+)"))
                                           .match(QString::fromUtf8(m_log))
                                           .captured(1),
             QStringLiteral("/v1/quote"))
            .out.contains("L402-Wallet-Payment"));
    QProcess mcp;
    mcp.setProcessEnvironment(agentEnvironment());
    mcp.start(
        QStringLiteral(L402_WALLET_EXECUTABLE),
        {QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo"), QStringLiteral("mcp")});
    QVERIFY(mcp.waitForStarted());
    const auto call = [&](int id, const QString& method, const QJsonObject& params) {
        mcp.write(QJsonDocument(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                            {QStringLiteral("id"), id},
                                            {QStringLiteral("method"), method},
                                            {QStringLiteral("params"), params}})
                      .toJson(QJsonDocument::Compact) +
                  '\n');
        QByteArray line;
        (void)QTest::qWaitFor(
            [&] {
                if (mcp.canReadLine()) {
                    line = mcp.readLine();
                    return true;
                }
                return false;
            },
            20'000);
        return QJsonDocument::fromJson(line).object();
    };
    QCOMPARE(call(1, QStringLiteral("initialize"),
                  {{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")}})
                 .value(QLatin1String("id"))
                 .toInt(),
             1);
    const QJsonObject tokens = call(2, QStringLiteral("tools/call"),
                                    {{QStringLiteral("name"), QStringLiteral("list_tokens")}});
    const QJsonArray list =
        tokens[QLatin1String("result")][QLatin1String("structuredContent")][QLatin1String("tokens")]
            .toArray();
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.first()[QLatin1String("origin")].toString(),
             QStringLiteral("http://") + m_apiAuthority);
    QCOMPARE(list.first()[QLatin1String("services")].toArray().first().toString(),
             QStringLiteral("quotes"));
    mcp.closeWriteChannel();
    QVERIFY(QTest::qWaitFor([&] { return mcp.state() == QProcess::NotRunning; }, 10'000));
    QCOMPARE(mcp.exitCode(), 0);
}

void RunningWalletTest::fetchShowsAProgressBarOnATerminal()
{
    // script(1) gives the command a terminal, as a person at a shell would.
    const QString file = m_dir.path() + QStringLiteral("/dataset.csv");
    const QString command =
        QStringLiteral("'%1' --data-dir '%2' --demo fetch -o '%3' http://%4/v1/dataset.csv")
            .arg(QStringLiteral(L402_WALLET_EXECUTABLE), m_dataDir, file, m_apiAuthority);
    auto ran = runProgramServingEvents(
        QStringLiteral("script"), {QStringLiteral("-qec"), command, QStringLiteral("/dev/null")},
        agentEnvironment());
    QVERIFY2(ran.exitCode == 0, ran.out.constData());
    QFile saved(file);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    const QByteArray body = saved.readAll();
    QVERIFY(body.startsWith("0,0\n1,1\n"));
    QVERIFY2(ran.out.contains("100%"), ran.out.constData());
    QVERIFY(ran.out.contains("[#####"));
    QVERIFY(ran.out.contains(QByteArray::number(body.size() / 1024)));
    QVERIFY(ran.out.contains("Paid 1,000 sat"));

    // Not on a terminal (a pipe, here): no bar.
    auto piped =
        runWalletServingEvents({QStringLiteral("--data-dir"), m_dataDir, QStringLiteral("--demo"),
                                QStringLiteral("fetch"), QStringLiteral("-o"), file,
                                QStringLiteral("http://%1/v1/dataset.csv").arg(m_apiAuthority)},
                               agentEnvironment());
    QCOMPARE(piped.exitCode, 0);
    QVERIFY(!piped.err.contains("%"));
}

void RunningWalletTest::serveWithoutANodeRefusesPaymentsClearly()
{
    // A real wallet (not --demo) with no node set: serve still opens the proxy, free requests
    // pass, and a 402 gets the contract's node_unavailable saying no node is connected;
    // nothing is recorded as paid.
    CliWorld world;
    QVERIFY(world.startWithoutNode());
    QProcessEnvironment passphrase;
    passphrase.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("no node"));
    const QStringList base{QStringLiteral("--data-dir"), world.dataDir()};
    auto added =
        runWalletServingEvents(base + QStringList{QStringLiteral("--json"), QStringLiteral("agent"),
                                                  QStringLiteral("add"), QStringLiteral("bot")},
                               passphrase);
    QCOMPARE(added.exitCode, 0);
    const QString secret =
        QJsonDocument::fromJson(added.out).object().value(QLatin1String("secret")).toString();
    QCOMPARE(
        runWalletServingEvents(base + QStringList{QStringLiteral("budget"), QStringLiteral("set"),
                                                  QStringLiteral("*"), QStringLiteral("--daily"),
                                                  QStringLiteral("1000")},
                               passphrase)
            .exitCode,
        0);
    QProcess serve;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("no node"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    serve.setProcessEnvironment(environment);
    const auto stop = qScopeGuard([&serve] {
        if (serve.state() != QProcess::NotRunning) {
            serve.terminate();
            serve.waitForFinished(15'000);
        }
    });
    serve.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                base + QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                                   QStringLiteral("127.0.0.1:0")});
    QByteArray log;
    QRegularExpressionMatch port;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     log += serve.readAllStandardError();
                     port = QRegularExpression(QStringLiteral("proxy listening on port (\\d+)"))
                                .match(QString::fromUtf8(log));
                     return port.hasMatch();
                 },
                 30'000),
             log.constData());
    QVERIFY(log.contains("No Lightning node is set up"));
    QProcessEnvironment clean = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"}) {
        clean.remove(QString::fromLatin1(name));
    }
    const QString gateway =
        QStringLiteral("http://127.0.0.1:%1/gw/http/%2")
            .arg(port.captured(1), world.api().url(QStringLiteral("/")).authority());
    const QStringList credentials{QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-H"),
                                  QStringLiteral("L402-Wallet-Agent: bot:") + secret};
    auto free = runProgramServingEvents(
        QStringLiteral("curl"), credentials + QStringList{gateway + QStringLiteral("/")}, clean);
    QVERIFY2(free.out.startsWith("HTTP/1.1 200"), free.out.constData());
    auto paid = runProgramServingEvents(
        QStringLiteral("curl"), credentials + QStringList{gateway + QStringLiteral("/v1/quote")},
        clean);
    QVERIFY2(paid.out.startsWith("HTTP/1.1 502"), paid.out.constData());
    QVERIFY(paid.out.contains("L402-Wallet-Error: node_unavailable"));
    QVERIFY(paid.out.contains("No Lightning node is connected yet"));
    serve.terminate();
    QVERIFY(serve.waitForFinished(15'000));
    auto history = runWalletServingEvents(
        base + QStringList{QStringLiteral("--json"), QStringLiteral("history")}, passphrase);
    QCOMPARE(QJsonDocument::fromJson(history.out).array().size(), 0);
}

QTEST_GUILESS_MAIN(RunningWalletTest)
#include "RunningWalletTest.moc"
