#pragma once

#include "tests/support/EngineHarness.h"
#include "tests/support/ProcessRunner.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

namespace l402::test {

// What the e2e tests of the real binary start from: LND's double and the Aperture-like paid
// API served from the test process, and a wallet data folder whose `l402-wallet` pays
// through them (`node set lnd` with the double's macaroon and certificate, done by the binary
// itself). The passphrase comes from the environment, as on a headless machine.
class CliWorld {
public:
    CliWorld() = default;
    // The world's folder (wallet, node files) under `base` instead of the system's temporary
    // folder: for tests of what a sandbox with its own /tmp can and cannot see.
    explicit CliWorld(const QString& base)
        : m_dir(base + QStringLiteral("/cli-world-XXXXXX"))
    {
    }

    // The paid API and the LND double, and a wallet with nothing set (no node): for tests
    // of a wallet before its node is connected.
    [[nodiscard]] bool startWithoutNode()
    {
        if (!m_dir.isValid() || !m_lnd.start()) {
            return false;
        }
        m_api = std::make_unique<demo::PaidApiServer>(
            [this](int64_t amountMsat, const QString& description) {
                return issueTestInvoice(m_lnd, amountMsat, description);
            },
            SystemClock::instance());
        m_api->addDemoEndpoints();
        return m_api->listen();
    }

    [[nodiscard]] bool start()
    {
        if (!startWithoutNode()) {
            return false;
        }
        const QString macaroon = m_dir.filePath(QStringLiteral("admin.macaroon"));
        const QString certificate = m_dir.filePath(QStringLiteral("tls.cert"));
        if (!writeFile(macaroon, m_lnd.macaroon()) ||
            !writeFile(certificate, m_lnd.certificate().toPem())) {
            return false;
        }
        m_environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QStringLiteral("cli world"));
        const auto set =
            wallet({QStringLiteral("node"), QStringLiteral("set"), QStringLiteral("lnd"),
                    QStringLiteral("--url"), m_lnd.url().toString(), QStringLiteral("--macaroon"),
                    macaroon, QStringLiteral("--cert"), certificate});
        if (set.exitCode != 0) {
            qWarning("node set failed: %s", set.err.constData());
            return false;
        }
        // fetch and mcp act for an agent that proves itself (DESIGN §3.8): "tester".
        const auto added = wallet({QStringLiteral("--json"), QStringLiteral("agent"),
                                   QStringLiteral("add"), QStringLiteral("tester")});
        m_agentCredential = QJsonDocument::fromJson(added.out)
                                .object()
                                .value(QLatin1String("credential"))
                                .toString();
        if (added.exitCode != 0 || m_agentCredential.isEmpty()) {
            qWarning("agent add failed: %s", added.err.constData());
            return false;
        }
        m_environment.insert(QStringLiteral("L402_WALLET_AGENT"), m_agentCredential);
        return true;
    }

    // "tester:<secret>", in L402_WALLET_AGENT of every run after start().
    QString agentCredential() const { return m_agentCredential; }

    // Runs `l402-wallet --data-dir <wallet> ARGUMENTS` while this process serves the doubles.
    ProcessResult wallet(QStringList arguments, const QProcessEnvironment& extra = {},
                         const std::function<void(qint64)>& started = {})
    {
        arguments = QStringList{QStringLiteral("--data-dir"), dataDir()} + arguments;
        QProcessEnvironment all = m_environment;
        for (const QString& key : extra.keys()) {
            all.insert(key, extra.value(key));
        }
        return runWalletServingEvents(arguments, all, 60'000, started);
    }

    // Added to the environment of every later run.
    void setEnvironment(const QString& name, const QString& value)
    {
        m_environment.insert(name, value);
    }

    FakeLnd& lnd() { return m_lnd; }
    demo::PaidApiServer& api() { return *m_api; }
    QString dataDir() const { return m_dir.filePath(QStringLiteral("wallet")); }
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QProcessEnvironment environment() const { return m_environment; }
    void unsetEnvironment(const QString& name) { m_environment.remove(name); }

private:
    static bool writeFile(const QString& path, const QByteArray& content)
    {
        QFile file(path);
        return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
    }

    QTemporaryDir m_dir;
    FakeLnd m_lnd;
    std::unique_ptr<demo::PaidApiServer> m_api;
    QProcessEnvironment m_environment;
    QString m_agentCredential;
};

} // namespace l402::test
